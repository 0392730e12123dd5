"""Every API error is JSON {"error": code, "detail": text} with the right 4xx, in the caller's language."""

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


def _validation(detail: Any) -> Response:
    fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    message = _first_message(detail) or _("The request is not valid.")
    return Response(body("invalid", message, fields=fields), status=400)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: map every exception to the JSON error body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(list(exc.messages))

    if isinstance(exc, UtveiError):
        return Response(body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        return _validation(exc.detail)
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
