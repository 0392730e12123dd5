"""Throttles for token login: per client address and per username, on the default cache.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when set there, else the defaults below.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

DEFAULT_RATES = {"auth_token": "20/min", "auth_token_user": "10/min"}


def _rate(scope: str | None) -> str | None:
    if not scope:
        return None
    configured = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(scope)
    return str(configured) if configured else DEFAULT_RATES.get(scope)


class TokenAddressThrottle(ScopedRateThrottle):
    """Token attempts from one client address (the view sets throttle_scope = "auth_token")."""

    def get_rate(self) -> str | None:
        return _rate(self.scope)


class TokenUsernameThrottle(SimpleRateThrottle):
    """Token attempts for one username from anywhere: slows down guessing one account's password."""

    scope = "auth_token_user"

    def get_rate(self) -> str | None:
        return _rate(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None
        ident = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
