"""OpenAPI: the bearer scheme, error responses and the schema class every API view uses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .serializers import ConflictSerializer, ErrorSerializer


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "utvei.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token, bound to one membership.",
        }


class UtveiAutoSchema(AutoSchema):
    """Fields a serializer lists in `optional_fields` may be missing from a response (limited by role)."""

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        optional = getattr(serializer, "optional_fields", ())
        if optional and "required" in result:
            result["required"] = [f for f in result["required"] if f not in optional]
            if not result["required"]:
                del result["required"]
        return result


DESCRIPTIONS = {
    400: "Invalid input: {error: invalid, detail, fields} or another code from the services.",
    401: "No token, or the token is invalid, expired or revoked.",
    403: "You may see this but not do this.",
    404: "Not found, or not visible to you: the two look the same.",
    409: "Conflict: a stale version (the saved one is in «current» when you may read it), or a phase rule.",
    429: "Too many attempts; see Retry-After.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        s: OpenApiResponse(ConflictSerializer if s == 409 else ErrorSerializer, description=DESCRIPTIONS[s])
        for s in statuses
    }


def page_of(name: str, child: Any) -> Any:
    """A paginated list response of `child` items."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": child,
        },
    )


PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Rows per page (default 100, at most 500)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]
