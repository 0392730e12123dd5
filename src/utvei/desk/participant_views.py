"""The person's own page (/me/) and the invitation they accept (/me/join/); docs/participant.md.

Every view asks `access.participant.participant_account` first: a user without a current participant account —
staff, an ended account, anyone — gets the same 404 as for something that does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access.participant import participant_account
from utvei.accounts.middleware import session_started
from utvei.cases.models import ParticipantAccount
from utvei.cases.participants import participant_accept, participant_document, participant_invitation
from utvei.core.errors import NotFound, UtveiError
from utvei.core.web import not_found
from utvei.evaluation.services import self_report_record
from utvei.plans.services import goal_rate_by_person
from utvei.sharing.consent.services import consent_withdraw_by_person

from .participant import my_page

JOIN_SESSION_KEY = "utvei_participant_invitation"

ParticipantView = Callable[..., HttpResponse]


def participant_page(view: ParticipantView) -> ParticipantView:
    """Login required; hands the view the user's current participant account, or answers 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = participant_account(request.user)
        if account is None:
            return not_found(request)
        try:
            return view(request, account, *args, **kwargs)
        except NotFound as exc:
            return not_found(request, exc.message)
        except UtveiError as exc:
            return _home(request, account, error=str(exc.message), status=exc.status)

    return login_required(wrapper)


def _home(request: HttpRequest, account: ParticipantAccount, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"my": my_page(account), "error": error}
    return render(request, "participant/home.html", context, status=status)


def _back(anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("participant_home") + f"#{anchor}")


@require_GET
@participant_page
def home(request: HttpRequest, account: ParticipantAccount) -> HttpResponse:
    return _home(request, account)


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value  # the service says what is wrong with it


@require_POST
@participant_page
def goal_rate(request: HttpRequest, account: ParticipantAccount, goal_id: Any) -> HttpResponse:
    goal_rate_by_person(account=account, goal_id=goal_id, rating=_int(request.POST.get("rating")))
    messages.success(request, _("Thank you. Your rating is saved."))
    return _back("goals")


@require_POST
@participant_page
def answer(request: HttpRequest, account: ParticipantAccount) -> HttpResponse:
    self_report_record(
        account=account, indicator_key=request.POST.get("indicator", ""), value=_int(request.POST.get("value"))
    )
    messages.success(request, _("Thank you. Your answer is saved."))
    return _back("questions")


@require_POST
@participant_page
def consent_withdraw(request: HttpRequest, account: ParticipantAccount, consent_id: Any) -> HttpResponse:
    consent_withdraw_by_person(account=account, consent_id=consent_id)
    messages.success(request, _("The consent is withdrawn. Your case lead has been told."))
    return _back("consents")


@require_GET
@participant_page
def document(request: HttpRequest, account: ParticipantAccount, attachment_id: Any) -> HttpResponse:
    att, data = participant_document(account=account, attachment_id=attachment_id)
    response = HttpResponse(data, content_type=att.content_type)
    response["Content-Disposition"] = "attachment"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---- The invitation --------------------------------------------------------------------------------------


@require_GET
def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation: the token goes into the session and the address loses it (as Django's own
    password reset does), so it is not left in the browser's history or sent on as a referrer."""
    request.session[JOIN_SESSION_KEY] = token[:200]
    return HttpResponseRedirect(reverse("participant_join"))


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Choose a username and a password; then the second factor (the next page asks for it)."""
    raw = request.session.get(JOIN_SESSION_KEY, "")
    account = participant_invitation(raw) if isinstance(raw, str) else None
    if account is None:
        return render(request, "participant/join_invalid.html", status=404)
    error, username = "", ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        password, again = request.POST.get("password", ""), request.POST.get("password_again", "")
        if password != again:
            error = _("The two passwords are not the same.")
        else:
            try:
                user = participant_accept(raw=raw, username=username, password=password)
            except NotFound:
                return render(request, "participant/join_invalid.html", status=404)
            except UtveiError as exc:
                error = str(exc.message)
            else:
                request.session.pop(JOIN_SESSION_KEY, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                session_started(request)
                return HttpResponseRedirect(reverse("participant_home"))
    context = {"account": account, "error": error, "username": username}
    return render(request, "participant/join.html", context, status=400 if error else 200)
