"""Request id (one opaque id per request, for audit events and log lines), security headers, Norwegian language tags."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = uuid.uuid4().hex
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-Id"] = rid
        return response


# The pages load scripts, styles, fonts and images from this server only; nothing inline (htmx is told not to add
# its indicator style, base.html); no framing, no plugins, forms post here only. The one exception: a page that
# shows single sign-on buttons (the login page) sets `request.csp_form_action` to the identity providers' origins,
# where its sign-in forms are redirected to (accounts/templatetags/sso.py).
def content_security_policy(form_action: list[str] | tuple[str, ...] = ()) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(["form-action 'self'", *form_action]),
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
SOURCE = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")
# Powerful browser features no page uses. WebAuthn (publickey-credentials-*) stays allowed: security keys for MFA.
# Only features the browsers know: an unknown one (Chromium does not know `bluetooth`) is a console error on every page.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response the application makes, and
    `Cache-Control: no-store` on each of them: pages and API answers hold case data or depend on who asks, and no
    browser or proxy may keep them. Static files are answered before this (WhiteNoise) and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            extra = [o for o in getattr(request, "csp_form_action", ()) if isinstance(o, str) and SOURCE.match(o)]
            response["Content-Security-Policy"] = content_security_policy(extra) if extra else CONTENT_SECURITY_POLICY
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        response["Cache-Control"] = "no-store"
        return response


NORWEGIAN = re.compile(r"(?i)(?<![\w-])(?:no|nn)(?:-[a-z]{2})?(?=\s*(?:;|,|$))")


class NorwegianLanguageMiddleware:
    """Before Django's LocaleMiddleware: a browser that asks for Norwegian as `no` or `nn` (not `nb`) gets bokmål,
    not the next language on its list (often English). Django knows only the `nb` tag."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        if header:
            request.META["HTTP_ACCEPT_LANGUAGE"] = NORWEGIAN.sub("nb", header)
        return self.get_response(request)
