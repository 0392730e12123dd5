"""POST auth/token: log in and get a bearer token. DELETE auth/token: revoke the token you send."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from .. import services
from ..auth import BearerTokenAuthentication
from ..models import ApiToken
from ..schema import errors
from ..serializers import TokenLoginSerializer, TokenSerializer
from ..throttling import TokenAddressThrottle, TokenUsernameThrottle
from .base import ApiView


class TokenView(ApiView):
    throttle_scope = "auth_token"

    def _logging_in(self) -> bool:
        request = getattr(self, "request", None)  # the schema generator asks before there is one
        return request is not None and request.method == "POST"

    def get_authenticators(self) -> list[BaseAuthentication]:
        # Logging in needs no token: a stale one in the header must not stop you from getting a new one.
        return [] if self._logging_in() else [BearerTokenAuthentication()]

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self._logging_in() else [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        return [TokenAddressThrottle(), TokenUsernameThrottle()] if self._logging_in() else []

    @extend_schema(
        operation_id="auth_token_create",
        summary="Log in and get a bearer token",
        description=(
            "Username and password, plus the one-time code when the account has MFA. The token is bound to "
            "one membership (organisation and role) and expires after API_TOKEN_TTL_HOURS. Roles that read "
            "case content must have MFA set up in the web interface first. Attempts are throttled."
        ),
        request=TokenLoginSerializer,
        responses={200: TokenSerializer, **errors(400, 401, 403, 429)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.parse(TokenLoginSerializer)
        issued = services.token_issue(request=request._request, **data)
        m = issued.token.membership
        out = {
            "token": issued.raw,
            "token_type": "Bearer",
            "expires_at": issued.token.expires_at,
            "organisation": m.organisation.slug,
            "role": m.role,
        }
        return Response(TokenSerializer(out).data)

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the token you send",
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), **errors(401)},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = request.auth
        assert isinstance(token, ApiToken)
        services.token_revoke(token=token)
        return Response(status=204)
