"""The active membership of a web session, and the MFA requirement for roles that read case content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Membership
from .roles import mfa_required

SESSION_KEY = "utvei_membership"


def current_memberships(user: Any) -> list[Membership]:
    return list(Membership.objects.active().filter(user=user).select_related("organisation", "user").order_by("pk"))


class ActiveMembershipMiddleware:
    """Sets request.membership: the membership chosen for this session, or the user's first one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            memberships = current_memberships(user)
            chosen = request.session.get(SESSION_KEY)
            active = next((m for m in memberships if m.pk == chosen), None)
            if active is None and memberships:
                active = memberships[0]
                request.session[SESSION_KEY] = active.pk
            request.membership = active  # type: ignore[attr-defined]
            request.memberships = memberships  # type: ignore[attr-defined]
        return self.get_response(request)


EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/")


def user_has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()


class RequireMfaMiddleware:
    """Users whose role can read case content must set up MFA before anything else (not in demo mode)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        m = getattr(request, "membership", None)
        if (
            m is not None
            and not settings.DEMO
            and mfa_required(m.role)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user_has_mfa(request.user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
