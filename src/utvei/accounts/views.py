"""Account pages of our own: choosing the organisation a session acts for, logging out everywhere. Login and MFA
are allauth's."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from utvei.core.errors import NotFound

from .middleware import SESSION_KEY, session_touched
from .services import credentials_end, membership_switch


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session and API token of the user, this one too, on every device."""
    credentials_end(user=request.user, reason="everywhere")  # type: ignore[arg-type]
    logout(request)
    return HttpResponseRedirect(reverse("account_login"))


@login_required
@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": the user is at the page; the session's idle clock starts again. Nothing else changes."""
    session_touched(request)
    return HttpResponse(status=204)


@login_required
@require_POST
def org_switch(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's own, current memberships. Anything else is 404; the switch is audited."""
    try:
        membership_id = int(request.POST.get("membership", ""))
    except ValueError:
        raise Http404 from None
    try:
        m = membership_switch(user=request.user, membership_id=membership_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    request.session[SESSION_KEY] = m.pk
    # Back to the overview: the page the user came from may belong to the organisation they left.
    return HttpResponseRedirect(reverse("dashboard"))
