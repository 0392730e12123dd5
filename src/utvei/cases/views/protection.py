"""Pages: the protected identity of a case's person — set or lift it, name who reads it (docs/people.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from utvei.access import policy
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership
from utvei.core.errors import Forbidden, UtveiError
from utvei.core.web import forbidden, page

from .. import protection, selectors
from ..forms import IdentityReaderForm, ProtectionForm


def _url(ca: CaseAccess) -> str:
    return reverse("case_protection", args=[ca.case.public_id])


def _choices(state: protection.ProtectionState) -> list[tuple[str, str]]:
    return [
        (str(t.pk), f"{t.user.get_full_name() or t.user.username} ({t.organisation.name})")
        for t, named in state.team
        if not named
    ]


def _render(
    request: HttpRequest,
    ca: CaseAccess,
    *,
    status: int = 200,
    form: ProtectionForm | None = None,
    reader_form: IdentityReaderForm | None = None,
) -> HttpResponse:
    state = protection.protection_state(ca)
    ctx: dict[str, Any] = {
        "ca": ca,
        "case": ca.case,
        "state": state,
        "form": form or ProtectionForm(),
        "reader_form": reader_form or IdentityReaderForm(choices=_choices(state)),
        "lead_reads": ca.case.lead,
        "named": [t for t, named in state.team if named],
    }
    return render(request, "cases/case_protection.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def case_protection(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """The protected identity: its state and history, set or lift it with a reason, the named readers."""
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = policy.protection_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    if request.method == "GET":
        return _render(request, ca)
    form = ProtectionForm(request.POST)
    wanted = request.POST.get("protected")
    if wanted not in {"yes", "no"} or not form.is_valid():
        if wanted not in {"yes", "no"}:
            form.add_error(None, _("Choose whether to set or lift the protected identity."))
        return _render(request, ca, status=400, form=form)
    try:
        protection.protection_set(actor=m, case=ca.case, protected=wanted == "yes", reason=form.cleaned_data["reason"])
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _render(request, ca, status=exc.status, form=form)
    if wanted == "yes":
        messages.success(request, _("The identity is protected. Only you as case lead and those you name see it."))
    else:
        messages.success(request, _("The protected identity is lifted."))
    return HttpResponseRedirect(_url(ca))


@require_POST
@page
def identity_reader_name(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = policy.protection_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    state = protection.protection_state(ca)
    form = IdentityReaderForm(request.POST, choices=_choices(state))
    if not form.is_valid():
        return _render(request, ca, status=400, reader_form=form)
    try:
        protection.identity_reader_name(actor=m, case=ca.case, member_id=form.cleaned_data["member"])
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _render(request, ca, status=exc.status, reader_form=form)
    messages.success(request, _("The team member is named: they see who the person is."))
    return HttpResponseRedirect(_url(ca))


@require_POST
@page
def identity_reader_remove(request: HttpRequest, m: Membership, case_id: Any, member_id: int) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = policy.protection_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    try:
        protection.identity_reader_remove(actor=m, case=ca.case, member_id=member_id)
    except Forbidden:
        raise
    except UtveiError as exc:
        messages.error(request, exc.message)
        return _render(request, ca, status=exc.status)
    messages.success(request, _("The team member no longer sees who the person is."))
    return HttpResponseRedirect(_url(ca))
