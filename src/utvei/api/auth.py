"""Bearer tokens: `Authorization: Bearer <token>` names one ApiToken, bound to one current membership."""

from __future__ import annotations

import hmac
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from utvei.accounts.models import Membership

from .models import ApiToken, hash_token

KEYWORD = b"bearer"
MAX_TOKEN_LENGTH = 200


class BearerTokenAuthentication(BaseAuthentication):
    """Sets request.user to the token's user and request.auth to the ApiToken (its .membership acts)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use «Bearer <token>»."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from exc
        token = (
            ApiToken.objects.select_related("membership__user", "membership__organisation")
            .filter(key_hash=hash_token(raw))
            .first()
        )
        if not token_usable(token):
            raise exceptions.AuthenticationFailed(_("The token is not valid or has expired. Get a new one."))
        assert token is not None
        return token.membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="utvei"'


def token_usable(token: ApiToken | None) -> bool:
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
        return False
    m: Membership = token.membership
    if not (m.is_current and m.user.is_active):
        return False
    return hmac.compare_digest(token.stamp, m.user.get_session_auth_hash())  # no password change since, ...


def actor_of(request: Request) -> Membership:
    """The membership an authenticated API request acts as."""
    token = request.auth
    if not isinstance(token, ApiToken):
        raise exceptions.NotAuthenticated()
    return token.membership
