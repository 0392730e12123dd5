"""The web session's limits (idle and absolute timeouts), its active membership, and the MFA requirement for roles
that read case content."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .models import Membership
from .roles import PARTICIPANT, mfa_required

SESSION_KEY = "utvei_membership"
AUTH_AT = "utvei_auth_at"  # when the session's user logged in (seconds since the epoch)
SEEN = "utvei_seen"  # the session's last request, to the minute
TOUCH = 60  # the last request is written at most once a minute; the idle limit is counted from it, plus this


def now() -> int:
    return int(time.time())


def session_started(request: HttpRequest) -> None:
    """Start the session's clocks (at login)."""
    request.session[AUTH_AT] = request.session[SEEN] = now()


def session_touched(request: HttpRequest) -> None:
    """The user is here (the page's "Stay signed in"): the idle clock starts again."""
    request.session[SEEN] = now()


class SessionTimeoutMiddleware:
    """Ends a web session UTVEI_SESSION_IDLE_SECONDS after its last request and UTVEI_SESSION_MAX_SECONDS after its
    login, whatever happened in between: the user is logged out (audited as `auth.logout` with the reason `idle`
    or `absolute`), told why on the login page, and sent back to the page they were on once they log in again.

    The last request is written to the session at most once a minute (TOUCH), so most requests write nothing; the
    idle limit is counted from it plus TOUCH, so a session never ends before the full idle time has passed. An htmx
    request gets an HX-Redirect (the whole page goes to the login), a form post goes back to the page it came from
    after the login (utvei.js keeps what was typed). API requests with a token have no session: untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ended = self.check(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        session, t = request.session, now()
        auth_at, seen = session.get(AUTH_AT), session.get(SEEN)
        if not isinstance(auth_at, int) or not isinstance(seen, int):  # a session from before these limits
            session[AUTH_AT] = auth_at if isinstance(auth_at, int) else t
            session[SEEN] = t
            return None
        if t - auth_at > settings.UTVEI_SESSION_MAX_SECONDS:
            return self.end(request, "absolute")
        if t - seen > settings.UTVEI_SESSION_IDLE_SECONDS + TOUCH:
            return self.end(request, "idle")
        if t - seen >= TOUCH:
            session[SEEN] = t
        return None

    def end(self, request: HttpRequest, reason: str) -> HttpResponse | None:
        back = self.back_to(request)
        request.utvei_logout_reason = reason  # type: ignore[attr-defined]  # accounts/signals.py audits it
        logout(request)
        if reason == "idle":
            text = _("You were signed out after %(n)s minutes without activity. Sign in to go on.")
            messages.info(request, text % {"n": settings.UTVEI_SESSION_IDLE_SECONDS // 60})
        else:
            text = _("You were signed out: a session lasts at most %(n)s hours. Sign in to go on.")
            messages.info(request, text % {"n": settings.UTVEI_SESSION_MAX_SECONDS // 3600})
        login = f"{reverse('account_login')}?{urlencode({'next': back})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = login
            return response
        if request.method not in ("GET", "HEAD") or request.path.startswith("/api/"):
            return HttpResponseRedirect(login)
        return None  # the view's login_required sends the user to the login, and back here after it

    @staticmethod
    def back_to(request: HttpRequest) -> str:
        """Where the user was: the page itself for a page, the page that sent an htmx request or a form post."""
        if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
            return request.get_full_path()
        came_from = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
        if came_from and url_has_allowed_host_and_scheme(came_from, {request.get_host()}, request.is_secure()):
            parts = urlsplit(came_from)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return reverse("dashboard")


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


SSO_MFA = "utvei_sso_mfa"  # set at a single sign-on whose identity provider asserted MFA (accounts/signals.py)


class RequireMfaMiddleware:
    """Users whose role can read case content must set up MFA before anything else (not in demo mode), unless the
    session's login was multi-factor at the organisation's identity provider (single sign-on, accounts/sso.py); so
    must the person reading their own page (a participant: no membership, `User.is_participant`), whose start page
    is /me/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        m = getattr(request, "membership", None)
        user = getattr(request, "user", None)
        participant = m is None and user is not None and user.is_authenticated and user.is_participant
        principal = m.role if m is not None else PARTICIPANT if participant else None
        if (
            principal is not None
            and not settings.DEMO
            and mfa_required(principal)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and request.session.get(SSO_MFA) is not True
            and not user_has_mfa(request.user)
        ):
            return redirect("mfa_activate_totp")
        if participant and request.path == "/":
            return redirect("participant_home")
        return self.get_response(request)
