"""Pages of retention: the overview, a case's retention page (rule, dates, holds, restriction, the person's
requests, and for the DPO who opened it for a reason the restricted case's content), and their forms. Thin: each
parses, calls a selector or a service, and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from utvei.access.retention import is_case_lead
from utvei.accounts.models import Membership
from utvei.cases.models import Case
from utvei.core.errors import Conflict, UtveiError
from utvei.core.web import page

from . import selectors, services
from .forms import (
    HoldForm,
    HoldLiftForm,
    OpenForm,
    RectificationAnswerForm,
    RectificationForm,
    RestrictForm,
    UnrestrictForm,
)

PAGE_SIZE = 50  # overview rows a page


def _url(case: Case) -> str:
    return reverse("retention_case", args=[case.public_id])


@require_GET
@page
def overview(request: HttpRequest, m: Membership) -> HttpResponse:
    rows = Paginator(selectors.retention_overview(actor=m), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "retention/overview.html", {"page_obj": rows, "days": selectors.LOOK_AHEAD_DAYS})


def _render_case(request: HttpRequest, m: Membership, case: Case, status: int = 200, **forms: Any) -> HttpResponse:
    info = selectors.case_retention(m, case)
    answer_for = forms.get("answer_for")
    for r in info.requests:  # a form of its own per request: ids unique on the page
        posted = forms.get("answer_form") if r.public_id == answer_for else None
        r.form = posted or RectificationAnswerForm(auto_id=f"id_{r.public_id.hex[:8]}_%s")  # type: ignore[attr-defined]
    ctx: dict[str, Any] = {
        "case": case,
        "info": info,
        "entries": selectors.restricted_entries(m, case) if info.reading and not is_case_lead(m, case) else [],
        "lead_reads_on_case_page": bool(info.reading) and is_case_lead(m, case),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "open_form": forms.get("open_form") or OpenForm(),
        "restrict_form": forms.get("restrict_form") or RestrictForm(),
        "unrestrict_form": forms.get("unrestrict_form") or UnrestrictForm(),
        "rectification_form": forms.get("rectification_form") or RectificationForm(),
    }
    return render(request, "retention/case.html", ctx, status=status)


@require_GET
@page
def case_page(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id)
    return _render_case(request, m, case)


@require_POST
@page
def hold_set(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            services.hold_set(actor=m, case=case, reason=form.cleaned_data["reason"])
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The legal hold is set. The retention run takes no step on the case."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, hold_form=form)


@require_POST
@page
def hold_lift(request: HttpRequest, m: Membership, retention_case_id: Any, hold_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    hold = selectors.hold_get(actor=m, case=case, hold_id=hold_id)
    form = HoldLiftForm(request.POST)
    if form.is_valid():
        try:
            services.hold_lift(actor=m, hold=hold, reason=form.cleaned_data["reason"])
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The legal hold is lifted."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400)


@require_POST
@page
def restricted_open(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    form = OpenForm(request.POST)
    if form.is_valid():
        try:
            services.restricted_open(
                actor=m, case=case, reason_code=form.cleaned_data["reason_code"], reason=form.cleaned_data["reason"]
            )
        except UtveiError as exc:
            if exc.status == 404:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("The restricted case is open to you for a while. Every read is logged."))
            if is_case_lead(m, case):
                return HttpResponseRedirect(reverse("case_detail", args=[case.public_id]))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, open_form=form)


@require_POST
@page
def restrict(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    form = RestrictForm(request.POST)
    if form.is_valid():
        try:
            services.restriction_request(actor=m, case=case, reason=form.cleaned_data["reason"])
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The case is restricted on the person's request."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, restrict_form=form)


@require_POST
@page
def unrestrict(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    form = UnrestrictForm(request.POST)
    if form.is_valid():
        try:
            services.restriction_lift(actor=m, case=case, reason=form.cleaned_data["reason"])
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The restriction is lifted."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, unrestrict_form=form)


@require_POST
@page
def rectification_new(request: HttpRequest, m: Membership, retention_case_id: Any) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    form = RectificationForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_register(
                actor=m, case=case, claim=form.cleaned_data["claim"], received_on=form.cleaned_data["received_on"]
            )
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The request for rectification is registered."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, rectification_form=form)


@require_POST
@page
def rectification_answer(
    request: HttpRequest, m: Membership, retention_case_id: Any, rectification_id: Any
) -> HttpResponse:
    case = selectors.retention_case_get(actor=m, case_id=retention_case_id, audit=False)
    found = selectors.request_get(actor=m, case=case, request_id=rectification_id)
    form = RectificationAnswerForm(request.POST, auto_id=f"id_{found.public_id.hex[:8]}_%s")
    if form.is_valid():
        try:
            services.rectification_answer(
                actor=m,
                request=found,
                status=form.cleaned_data["status"],
                answer=form.cleaned_data["answer"],
                corrections=form.corrections(),
            )
        except Conflict:
            form.add_error(None, _("Someone else changed the person's details meanwhile. Reload and try again."))
        except UtveiError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The request for rectification is answered."))
            return HttpResponseRedirect(_url(case))
    return _render_case(request, m, case, status=400, answer_form=form, answer_for=found.public_id)
