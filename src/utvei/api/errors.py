"""Every API error is JSON {"error": code, "detail": text} with the right 4xx, in the caller's language.

400 and 422 differ (docs/api.md): 400 means the request does not match the published schema (a wrong type, a
missing field, not one of the choices, too long); 422 means it matches the schema but Utvei's rules refuse it (a
date outside 1900-2100, an organisation or measure that does not exist, a step the case is not ready for). A client
that follows the schema meets only the second kind, and can show its message to the user as it stands."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from utvei.core.errors import UtveiError

logger = logging.getLogger("utvei.api")

# DRF's own codes, except where Utvei's services use another word for the same thing.
CODES = {"permission_denied": "forbidden"}


class Unauthorized(UtveiError):
    """Credentials or one-time code refused."""

    code = "invalid_credentials"
    status = 401


MAX_MESSAGE = 1000


def clean(value: Any) -> Any:
    """Messages may echo the client's input: keep them encodable (no lone surrogates) and short."""
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    text = str(value).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def body(code: str, detail: Any, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": clean(detail), **{k: clean(v) for k, v in extra.items()}}


def _first_message(detail: Any, prefix: str = "") -> str:
    """The first message in a nested DRF error structure, prefixed with the field it belongs to."""
    if isinstance(detail, dict):
        if not detail:
            return ""
        key, value = next(iter(detail.items()))
        name = "" if key == "non_field_errors" else str(key)
        return _first_message(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    if isinstance(detail, list):
        return next((_first_message(item, prefix) for item in detail if item), "")
    return f"{prefix}: {detail}" if prefix else str(detail)


# DRF's codes for input the schema itself rules out; any other code is a rule of Utvei's (422). Not "blank": DRF
# trims whitespace before it checks, so "\u001d" is blank to DRF but a one-character string to the schema.
SCHEMA_CODES = frozenset(
    {
        "required",
        "null",
        "invalid",
        "max_length",
        "min_length",
        "invalid_choice",
        "not_a_list",
        "not_a_dict",
        "empty",
        "max_value",
        "min_value",
        "max_string_length",
        "max_digits",
        "max_decimal_places",
        "max_whole_digits",
        "date",
        "datetime",
        "parse_error",
        "incorrect_type",
        "repeated",
        "unknown_field",
    }
)


def _codes(codes: Any) -> set[str]:
    if isinstance(codes, dict):
        return set().union(*(_codes(v) for v in codes.values())) if codes else set()
    if isinstance(codes, list | tuple):
        return set().union(*(_codes(v) for v in codes)) if codes else set()
    return {str(codes)}


def _validation(exc: exceptions.ValidationError) -> Response:
    detail = exc.detail
    fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    message = _first_message(detail) or _("The request is not valid.")
    status = 400 if _codes(exc.get_codes()) & SCHEMA_CODES else 422
    return Response(body("invalid", message, fields=fields), status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: map every exception to the JSON error body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(list(exc.messages), code="rule")

    if isinstance(exc, UtveiError):
        # A service refuses what the schema allowed: one of Utvei's rules (422), not a malformed request.
        return Response(body(exc.code, exc.message), status=422 if exc.status == 400 else exc.status)
    if isinstance(exc, exceptions.ValidationError):
        return _validation(exc)
    if isinstance(exc, exceptions.APIException):
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        detail = exc.detail if isinstance(exc.detail, str) else _first_message(exc.detail)
        code = CODES.get(exc.default_code, exc.default_code)
        return Response(body(code, detail), status=exc.status_code, headers=headers)
    # A bug, not the caller's fault: log it with the traceback, answer in JSON without internals.
    logger.exception("unhandled error in API view")
    return Response(body("server_error", _("Something went wrong on our side.")), status=500)


@csrf_exempt  # it changes nothing; a POST to no route gets the JSON 404 too, not Django's HTML CSRF page
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any address under /api/v1/ that matches no endpoint, by any method."""
    detail = _("There is no such address in the API.")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            detail = _("There is no such address in the API. Did you mean %(path)s?") % {"path": request.path + "/"}
    return JsonResponse(body("not_found", detail), status=404)
