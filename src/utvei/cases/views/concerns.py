"""Pages: the concern form and receipts, the intake queue and triage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import policy
from utvei.access.policy import Act
from utvei.accounts.models import Membership
from utvei.core.errors import UtveiError
from utvei.core.web import forbidden, not_found, page

from .. import selectors, services
from ..forms import AnswerForm, ConcernForm, TriageForm
from ..models import TriageOutcome
from .cases import parallel_ask_response
from .common import CASE_LIST_PAGE_SIZE, case_url

# ---- Concerns ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def concern_new(request: HttpRequest, m: Membership) -> HttpResponse:
    decision = policy.can(m, Act.CONCERN_SUBMIT)
    if not decision:
        return forbidden(request, decision.reason)
    status = 200
    if request.method == "POST":
        form = ConcernForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                concern = services.concern_submit(
                    actor=m,
                    receiving_org=d["receiving_org"],
                    description=d["description"],
                    urgency=d["urgency"],
                    kind=d["kind"],
                    anonymous=d["anonymous"],
                    subject_name=d["subject_name"],
                    subject_national_id=d["subject_national_id"],
                    subject_birth_date=d["subject_birth_date"],
                )
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                return HttpResponseRedirect(reverse("concern_receipt", args=[concern.public_id]))
        else:
            status = 400
    else:
        form = ConcernForm()
    return render(request, "cases/concern_form.html", {"form": form}, status=status)


@require_GET
@page
def concern_receipt(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    concern = selectors.concern_get(actor=m, concern_id=concern_id)
    return _receipt(request, m, concern)


def _receipt(request: HttpRequest, m: Membership, concern: Any, form: Any = None, status: int = 200) -> HttpResponse:
    ctx = {
        "concern": concern,
        "questions": selectors.concern_questions(concern),
        "can_answer": bool(policy.can(m, Act.CONCERN_ANSWER, concern)),
        "answer_form": form or AnswerForm(),
        "handoff": selectors.concern_handoff(concern),
    }
    return render(request, "cases/concern_receipt.html", ctx, status=status)


@require_POST
@page
def concern_answer(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    """The reporter answers the question on their receipt; the concern goes back to the intake queue."""
    concern = selectors.concern_get(actor=m, concern_id=concern_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _receipt(request, m, concern, form, status=400)
    try:
        services.concern_answer(actor=m, concern=concern, answer=form.cleaned_data["answer"])
    except UtveiError as exc:
        form.add_service_error(exc)
        return _receipt(request, m, selectors.concern_get(actor=m, concern_id=concern_id), form, status=exc.status)
    messages.success(request, _("Thank you. Your answer is sent, and the concern is back with the organisation."))
    return HttpResponseRedirect(reverse("concern_receipt", args=[concern.public_id]))


@require_POST
@page
def concern_parallel_ask(request: HttpRequest, m: Membership, concern_id: Any, org_slug: str) -> HttpResponse:
    """From triage: ask the organisation with an open case for the same person to get in touch."""
    concern = selectors.concern_get(actor=m, concern_id=concern_id, for_triage=True)
    back = reverse("concern_triage", args=[concern.public_id])
    return parallel_ask_response(request, m, org_slug, back, concern=concern)


@require_POST
@page
def concern_take(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    """A coordinator takes an acute concern: nobody else is left wondering whether someone has it."""
    concern = selectors.concern_get(actor=m, concern_id=concern_id, for_triage=True)
    try:
        services.concern_take(actor=m, concern=concern)
    except UtveiError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You have taken the concern. The other coordinators see that you have it."))
    return HttpResponseRedirect(reverse("concern_triage", args=[concern.public_id]))


@require_GET
@page
def concern_mine(request: HttpRequest, m: Membership) -> HttpResponse:
    receipts = Paginator(selectors.my_receipts(actor=m), CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/concern_mine.html", {"page_obj": receipts})


@require_GET
@page
def intake(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, Act.CONCERN_TRIAGE):
        return not_found(request)
    include_triaged = request.GET.get("all") == "1"
    qs = selectors.intake_queue(actor=m, include_triaged=include_triaged)
    concerns = Paginator(qs, CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/intake.html",
        {"page_obj": concerns, "include_triaged": include_triaged, "query": "all=1" if include_triaged else ""},
    )


@require_http_methods(["GET", "POST"])
@page
def concern_triage(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    concern = selectors.concern_get(actor=m, concern_id=concern_id, for_triage=True)
    status = 200
    if request.method == "POST":
        form = TriageForm(request.POST, membership=m)
        if form.is_valid():
            d = form.cleaned_data
            started = timezone.now()
            handoff = None
            if d["handoff_to"]:
                handoff = services.Handoff(
                    to_kind=d["handoff_to"],
                    basis_key=d["basis"],
                    to_org=d["handoff_org"],
                    to_name=d["handoff_name"],
                    handed_at=d["handed_at"],
                )
            try:
                done = services.concern_triage(
                    actor=m,
                    concern=concern,
                    outcome=d["outcome"],
                    rationale=d["rationale"],
                    track=d["track"] or "prevention",
                    full_name=d["full_name"],
                    national_id=d["national_id"],
                    birth_date=d["birth_date"],
                    gender=d["gender"] or "unknown",
                    municipality=d["municipality"],
                    question=d["question"],
                    handoff=handoff,
                    protected_identity=d["protected_identity"] or "unknown",
                    protected_reason=d["protected_reason"],
                )
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                return _after_triage(request, done, started)
        else:
            status = 400
    else:
        form = TriageForm(
            membership=m,
            initial={
                "full_name": concern.subject_name,
                "national_id": concern.subject_national_id,
                "birth_date": concern.subject_birth_date or None,
            },
        )
    ctx = {
        "concern": concern,
        "form": form,
        "questions": selectors.concern_questions(concern),
        "handoff": selectors.concern_handoff(concern),
        "parallel": selectors.parallel_cases(actor=m, concern=concern) if concern.status != "triaged" else [],
        "show_identity": policy.concern_identity_visible(m, concern),
    }
    return render(request, "cases/concern_triage.html", ctx, status=status)


def _after_triage(request: HttpRequest, concern: Any, started: Any) -> HttpResponse:
    if concern.outcome == TriageOutcome.OPEN_CASE and concern.case is not None:
        person = concern.case.person
        if person.created_at < started:
            messages.warning(
                request,
                _(
                    "The identity number matched a person already registered in Utvei (%(ref)s). "
                    "The new case is linked to that person; no new person was registered."
                )
                % {"ref": person.reference},
            )
        else:
            messages.success(request, _("A new person was registered (%(ref)s).") % {"ref": person.reference})
        messages.success(request, _("Case %(ref)s is opened.") % {"ref": concern.case.reference})
        return HttpResponseRedirect(case_url(concern.case))
    if concern.outcome == TriageOutcome.MORE_INFO:
        messages.success(
            request,
            _("Your question is sent to the reporter. Concern %(ref)s comes back to the queue when answered.")
            % {"ref": concern.reference},
        )
        return HttpResponseRedirect(reverse("intake"))
    messages.success(request, _("Concern %(ref)s is triaged.") % {"ref": concern.reference})
    return HttpResponseRedirect(reverse("intake"))
