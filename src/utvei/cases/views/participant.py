"""The case lead's side of the person's own page (docs/participant.md): invite the person or a guardian, see the
accounts and invitations, end an account's access."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from utvei.access import participant as participant_rules
from utvei.accounts.models import Membership
from utvei.core.errors import Forbidden, UtveiError
from utvei.core.web import page

from .. import participants, selectors
from ..models import ParticipantAs


def _page(request: HttpRequest, ca: Any, *, link: str = "", error: Any = "", status: int = 200) -> HttpResponse:
    context = {
        "ca": ca,
        "case": ca.case,
        "accounts": participants.participant_accounts(actor=ca.membership, case=ca.case),
        "can_invite": bool(participant_rules.invite_decision(ca)),
        "given_as_choices": ParticipantAs.choices,
        "link": link,
        "error": error,
    }
    return render(request, "cases/participant.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page
def case_participant(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = participant_rules.end_decision(ca)
    if not decision:
        raise Forbidden(decision.reason)
    if request.method == "GET":
        return _page(request, ca)
    try:
        _account, raw = participants.participant_invite(
            actor=m, case=ca.case, given_as=request.POST.get("given_as", "")
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        return _page(request, ca, error=exc.message, status=exc.status)
    link = request.build_absolute_uri(reverse("participant_join_link", args=[raw]))
    return _page(request, ca, link=link)


@require_POST
@page
def case_participant_end(request: HttpRequest, m: Membership, case_id: Any, account_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    account = participants.participant_account_get(actor=m, case=ca.case, account_id=account_id)
    try:
        participants.participant_end(actor=m, account=account)
    except Forbidden:
        raise
    except UtveiError as exc:
        return _page(request, ca, error=exc.message, status=exc.status)
    messages.success(request, _("The access has been ended."))
    return HttpResponseRedirect(reverse("case_participant", args=[ca.case.public_id]))
