"""Pages: start, fill in (domain by domain), finalise, read and compare assessments; plan without one.

Thin: parse with a form, call a selector or a service, render. Access is decided in utvei.access.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.access import assessments as access
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.cases.views.common import case_url
from utvei.core.errors import Forbidden, NotFound, UtveiError
from utvei.core.forms import submit
from utvei.core.web import forbidden, page

from . import selectors, services
from .forms import DomainForm, FinaliseForm, NewAssessmentForm, SkipForm, SummaryForm
from .models import Assessment
from .selectors import AssessmentRow

SUMMARY = "summary"


def _url(a: Assessment, name: str = "assessment_detail", *extra: Any) -> str:
    return reverse(name, args=[a.case.public_id, a.public_id, *extra])


def _readable(m: Membership, case_id: Any, assessment_id: Any, **kw: Any) -> AssessmentRow:
    row = selectors.assessment_get(actor=m, case_id=case_id, assessment_id=assessment_id, **kw)
    if not row.readable:
        raise NotFound(_("The assessment was not found."))
    return row


# ---- Start ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def assessment_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = case_selectors.case_get(actor=m, case_id=case_id)
    decision = access.may_create(ca)
    if not decision:
        return forbidden(request, decision.reason)
    instruments = list(selectors.instrument_list(actor=m))
    classifications = access.assessment_classifications(m)
    status = 200
    if request.method == "POST":
        form = NewAssessmentForm(request.POST, instruments=instruments, classifications=classifications)
        if form.is_valid():
            try:
                a = services.assessment_create(
                    actor=m,
                    case=ca.case,
                    instrument_key=form.cleaned_data["instrument"],
                    classification=form.cleaned_data["classification"],
                )
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The assessment is started as a draft."))
                first = a.instrument_version.domains[0]["code"]
                return HttpResponseRedirect(_url(a, "assessment_edit", first))
        else:
            status = 400
    else:
        form = NewAssessmentForm(instruments=instruments, classifications=classifications)
    ctx = {"ca": ca, "case": ca.case, "form": form}
    return render(request, "assessments/assessment_new.html", ctx, status=status)


# ---- Fill in -------------------------------------------------------------------------------------------


def _team_choices(row: AssessmentRow) -> list[tuple[str, str]]:
    author = row.assessment.author_id
    return [
        (t.user.username, f"{t.user.get_full_name() or t.user.username} ({t.organisation.name})")
        for t in case_selectors.team_list(row.ca)
        if access.co_assessor_allowed(t) and t.user_id != author
    ]


def _summary_initial(a: Assessment) -> dict[str, Any]:
    return {
        "summary_level": a.summary_level,
        "summary_judgement": a.summary_judgement,
        "formulation": a.formulation,
        "scenarios": a.scenarios,
        "management": a.management,
        "changes_since_last": a.changes_since_last,
        "reassessment_due": a.reassessment_due,
        "classification": a.classification,
        "assessors": [u.username for u in a.assessors.all() if u.pk != a.author_id],
        "version": a.version,
    }


def _save(m: Membership, row: AssessmentRow, form: Any) -> Assessment:
    a = row.assessment
    d = form.cleaned_data
    if isinstance(form, DomainForm):
        return services.assessment_update(
            actor=m, assessment=a, expected_version=d["version"], items=form.item_inputs()
        )
    chosen = set(d["assessors"])
    people = [t.user for t in case_selectors.team_list(row.ca) if t.user.username in chosen]
    return services.assessment_update(
        actor=m,
        assessment=a,
        expected_version=d["version"],
        classification=d["classification"],
        summary_level=d["summary_level"],
        summary_judgement=d["summary_judgement"],
        formulation=d["formulation"],
        scenarios=d["scenarios"],
        management=d["management"],
        changes_since_last=d.get("changes_since_last"),
        reassessment_due=d["reassessment_due"],
        assessors=people,
    )


@require_http_methods(["GET", "POST"])
@page
def assessment_edit(request: HttpRequest, m: Membership, case_id: Any, assessment_id: Any, part: str) -> HttpResponse:
    row = _readable(m, case_id, assessment_id)
    a = row.assessment
    decision = access.may_edit(row.ca, a)
    if not decision:
        return forbidden(request, decision.reason)
    blocks = selectors.domains(row)
    codes = [b.code for b in blocks]
    if part != SUMMARY and part not in codes:
        raise NotFound(_("There is no such part of the assessment."))
    block = next((b for b in blocks if b.code == part), None)
    team = _team_choices(row)
    classifications = access.assessment_classifications(m)
    if classifications and a.classification not in classifications:
        classifications = [a.classification, *classifications]

    def make(data: Any = None, initial: Any = None) -> Any:
        if block is not None:
            return DomainForm(data, initial=initial, items=block.items, scale=a.instrument_version.scale_choices())
        return SummaryForm(
            data,
            initial=initial,
            classifications=classifications,
            team=team,
            reassessment=a.previous_id is not None,
        )

    status = 200
    if request.method == "POST":
        form = make(request.POST)
        failed = submit(form, lambda _d: _save(m, row, form))
        if failed is None:
            saved = form.result
            messages.success(request, _("The draft is saved."))
            target = part
            if "next" in request.POST:
                later = codes[codes.index(part) + 1 :] if part in codes else []
                target = later[0] if later else SUMMARY
                if part == SUMMARY:
                    return HttpResponseRedirect(_url(saved, "assessment_finalise"))
            return HttpResponseRedirect(_url(saved, "assessment_edit", target))
        status = failed
    else:
        if block is not None:
            initial: dict[str, Any] = {"version": a.version}
            for item in block.items:
                initial |= {
                    f"r-{item.code}": item.rating,
                    f"c-{item.code}": item.confidence,
                    f"e-{item.code}": item.evidence,
                }
        else:
            initial = _summary_initial(a)
        form = make(initial=initial)
    previous = selectors.previous_items(row) if block is not None else {}
    ctx = {
        "row": row,
        "assessment": a,
        "case": a.case,
        "blocks": blocks,
        "domain": block,
        "part": part,
        "form": form,
        "item_rows": [(*fields, previous.get(fields[0].code)) for fields in form.rows()] if block else [],
    }
    return render(request, "assessments/assessment_edit.html", ctx, status=status)


# ---- Finalise ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def assessment_finalise(request: HttpRequest, m: Membership, case_id: Any, assessment_id: Any) -> HttpResponse:
    row = _readable(m, case_id, assessment_id)
    a = row.assessment
    decision = access.may_edit(row.ca, a)
    if not decision:
        return forbidden(request, decision.reason)
    status = 200
    form = FinaliseForm(request.POST or None, initial={"version": a.version})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_finalise(actor=m, assessment=a, expected_version=form.cleaned_data["version"])
            except Forbidden:
                raise
            except UtveiError as exc:
                status = exc.status
                if not isinstance(exc, services.Incomplete):  # the list of what is missing is shown anyway
                    form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("The assessment is final. It can no longer be changed."))
                return HttpResponseRedirect(_url(a))
        else:
            status = 400
    a.refresh_from_db()
    problems = services.finalise_problems(a, selectors.items_of(a))
    ctx = {"row": row, "assessment": a, "case": a.case, "form": form, "problems": problems}
    return render(request, "assessments/assessment_finalise.html", ctx, status=status)


# ---- Read and compare ----------------------------------------------------------------------------------


@require_GET
@page
def assessment_detail(request: HttpRequest, m: Membership, case_id: Any, assessment_id: Any) -> HttpResponse:
    row = selectors.assessment_get(actor=m, case_id=case_id, assessment_id=assessment_id)
    a = row.assessment
    comparison = selectors.comparison(row)
    ctx = {
        "row": row,
        "assessment": a,
        "case": a.case,
        "blocks": selectors.domains(row),
        "assessors": selectors.assessors(row),
        "comparison": comparison,
        "can_edit": bool(access.may_edit(row.ca, a)) if row.readable else False,
        "revisions": selectors.revision_count(row),
    }
    return render(request, "assessments/assessment_detail.html", ctx)


@require_GET
@page
def assessment_compare(request: HttpRequest, m: Membership, case_id: Any, assessment_id: Any) -> HttpResponse:
    row = _readable(m, case_id, assessment_id, audit_action=Action.ASSESSMENT_COMPARE)
    comparison = selectors.comparison(row)
    only_changed = request.GET.get("changed") == "1"
    ctx = {
        "row": row,
        "assessment": row.assessment,
        "case": row.assessment.case,
        "comparison": comparison,
        "changes": comparison.changed if only_changed else comparison.changes,
        "only_changed": only_changed,
    }
    return render(request, "assessments/assessment_compare.html", ctx)


# ---- Planning without an assessment --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def assessment_skip(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = case_selectors.case_get(actor=m, case_id=case_id)
    decision = access.may_record_skip(m, ca)
    if not decision:
        return forbidden(request, decision.reason)
    status = 200
    form = SkipForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_skip_record(
                    actor=m,
                    case=ca.case,
                    reason=form.cleaned_data["reason"],
                    explanation=form.cleaned_data["explanation"],
                )
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The reason is recorded. The case can move to planning."))
                return HttpResponseRedirect(case_url(ca.case, "phase"))
        else:
            status = 400
    ctx = {"ca": ca, "case": ca.case, "form": form, "skips": selectors.case_skips(ca)}
    return render(request, "assessments/assessment_skip.html", ctx, status=status)
