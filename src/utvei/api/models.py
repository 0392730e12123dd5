"""API bearer tokens: each bound to one organisation membership; only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models
from django.utils import timezone

from utvei.accounts.models import Membership


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The user's session hash when the token was issued (accounts.User._get_session_auth_hash): a new password, an
    # MFA reset or "log out everywhere" changes it, and the token stops working with the sessions.
    stamp = models.CharField(max_length=64, default="", editable=False)

    @classmethod
    def issue(
        cls, *, membership: Membership, expires_at: Any, raw: str | None = None, **fields: Any
    ) -> tuple[ApiToken, str]:
        """A new token for the membership's user, as they are now; the raw token (shown once) with it."""
        raw = raw or cls.new_raw()
        token = cls.objects.create(
            key_hash=hash_token(raw),
            membership=membership,
            expires_at=expires_at,
            stamp=membership.user.get_session_auth_hash(),
            **fields,
        )
        return token, raw

    @staticmethod
    def new_raw() -> str:
        return "utv_" + secrets.token_urlsafe(32)
