"""OpenAPI: the bearer scheme, error responses and the schema class every API view uses."""

from __future__ import annotations

import inspect
import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .serializers import ConflictSerializer, ErrorSerializer

OPTIONAL = re.compile(r"(^|\|)\s*None\s*($|\|)|^Optional\[")


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "utvei.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token, bound to one membership.",
        }


class ParticipantSessionScheme(OpenApiAuthenticationExtension):
    """The person's own pages under me/ (docs/participant.md): their web session, not a token."""

    target_class = "utvei.api.views.me.ParticipantSessionAuthentication"
    name = "participantSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The web session of a person signed in to their own page (with MFA); staff use tokens.",
        }


class UtveiAutoSchema(AutoSchema):
    """Fields a serializer lists in `optional_fields` may be missing from a response (limited by role); a serializer
    parsed partially names what its view still requires in `required_fields`; a method
    field whose method may return None is nullable."""

    def _map_response_type_hint(self, method: Any) -> Any:
        schema = super()._map_response_type_hint(method)
        # drf-spectacular resolves hints with get_type_hints, which fails on names imported for type checking only
        # and then drops the `| None`: read the return annotation as written.
        hint = inspect.get_annotations(getattr(method, "__func__", method)).get("return")
        if isinstance(hint, str) and OPTIONAL.search(hint) and isinstance(schema, dict):
            schema = {**schema, "nullable": True}
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if getattr(serializer, "required_fields", ()):  # what the view requires, whatever DRF's partial says
            result["required"] = sorted(serializer.required_fields)
        optional = getattr(serializer, "optional_fields", ())
        if optional and "required" in result:
            result["required"] = [f for f in result["required"] if f not in optional]
            if not result["required"]:
                del result["required"]
        return result


DESCRIPTIONS = {
    400: "The request breaks this schema (type, required field, choice, length, query): {error, detail, fields}.",
    401: "No token, or the token is invalid, expired or revoked.",
    403: "You may see this but not do this.",
    404: "Not found, or not visible to you: the two look the same.",
    409: "Conflict: a stale version (the saved one is in «current» when you may read it), or a phase rule.",
    413: "The file is larger than the attachment limit (UTVEI_ATTACHMENT_MAX_BYTES).",
    422: "The request matches the schema but a rule refuses it: {error, detail, fields} (docs/api.md).",
    429: "Too many attempts; see Retry-After.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        s: OpenApiResponse(ConflictSerializer if s == 409 else ErrorSerializer, description=DESCRIPTIONS[s])
        for s in statuses
    }


def page_of(name: str, child: Any, **extra: Any) -> Any:
    """A paginated list response of `child` items (and any `extra` fields the list adds beside them)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": child,
            **extra,
        },
    )


PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 1}, description="Rows per page (default 100, at most 500)."
    ),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="Rows to skip."),
]


def _error_response(components: dict[str, Any], status: int) -> dict[str, Any]:
    name = "Conflict" if status == 409 else "Error"
    assert name in components.get("schemas", {}), name
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"content": {"application/json": {"schema": ref}}, "description": DESCRIPTIONS[status]}


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: what holds for every operation, said once.

    Every operation that takes input documents 400 (the input breaks the schema) and 422 (a rule refuses it), every
    one with a path parameter 404, every one behind a token 401; a text query parameter is never empty (an empty
    or repeated parameter is refused: views/base.strict_query); a partial update requires its version."""
    components = result.get("components", {})
    schemas = components.get("schemas", {})
    for name, component in schemas.items():
        if name.startswith("Patched") and "version" in component.get("properties", {}):
            # Every change names the version it saw (issue 12): a partial update still needs it.
            component["required"] = sorted({*component.get("required", []), "version"})
        if name.endswith("OrMarker") and "oneOf" in component:
            # A restricted marker's fields are a subset of the full object's: either may match, so anyOf.
            component["anyOf"] = component.pop("oneOf")
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            body_ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if schemas.get(body_ref.get("schema", {}).get("$ref", "").rpartition("/")[2], {}).get("required"):
                operation["requestBody"]["required"] = True
            query = [p for p in parameters if p.get("in") == "query"]
            for p in query:
                schema = p.get("schema", {})
                if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
                    schema.setdefault("minLength", 1)
            statuses = set()
            if query or "requestBody" in operation:
                statuses |= {400, 422}
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if operation.get("security") != [{}] and operation.get("security") != []:
                statuses.add(401)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(str(status), _error_response(components, status))
    return result
