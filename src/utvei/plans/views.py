"""Pages of the toolbox: the catalogue, one measure, and local measures coordinators add and change."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.access.plans import measure_add_decision, measure_edit_decision
from utvei.accounts.models import Membership
from utvei.core.errors import Forbidden, UtveiError
from utvei.core.forms import submit
from utvei.core.web import forbidden, page

from . import catalogue, selectors, services
from .forms import LocalMeasureEditForm, LocalMeasureForm, MeasureFilterForm
from .models import Measure

FORM_FIELDS = tuple(f for f in catalogue.FIELDS if f not in {"key", "active"})
LOCAL_EVIDENCE = {
    "evidence_nb": "Ikke evaluert. Bygger på lokal erfaring.",
    "evidence_en": "Not evaluated. Based on local experience.",
}


def _may_add(m: Membership) -> bool:
    return bool(measure_add_decision(m))


def _may_edit(m: Membership, measure: Measure) -> bool:
    return bool(measure_edit_decision(m, measure))


@require_GET
@page
def measure_list(request: HttpRequest, m: Membership) -> HttpResponse:
    form = MeasureFilterForm(request.GET or None)
    filters, status = selectors.MeasureFilters(), 200
    if form.is_bound:
        if form.is_valid():
            d = form.cleaned_data
            filters = selectors.MeasureFilters(sector=d["sector"], track=d["track"], scope=d["scope"])
        else:
            status = 400
    ctx = {
        "form": form,
        "measures": selectors.measure_list(actor=m, filters=filters),
        "filtered": filters != selectors.MeasureFilters(),
        "can_add": _may_add(m),
        "suppress_below": selectors.SUPPRESS_BELOW,
    }
    return render(request, "plans/measure_list.html", ctx, status=status)


@require_GET
@page
def measure_detail(request: HttpRequest, m: Membership, key: str) -> HttpResponse:
    measure = selectors.measure_get(actor=m, key=key)
    ctx = {
        "measure": measure,
        "revisions": selectors.measure_revisions(measure),
        "can_edit": _may_edit(m, measure),
        "suppress_below": selectors.SUPPRESS_BELOW,
    }
    return render(request, "plans/measure_detail.html", ctx)


@require_http_methods(["GET", "POST"])
@page
def measure_new(request: HttpRequest, m: Membership) -> HttpResponse:
    if not _may_add(m):
        return forbidden(request, _("Only a coordinator can add local measures."))
    status = 200
    if request.method == "POST":
        form = LocalMeasureForm(request.POST)
        if form.is_valid():
            try:
                measure = services.measure_create_local(actor=m, **{f: form.cleaned_data[f] for f in FORM_FIELDS})
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The local measure «%(name)s» is added.") % {"name": measure.name})
                return HttpResponseRedirect(reverse("measure_detail", args=[measure.key]))
        else:
            status = 400
    else:
        # The bokmål and English fields hold texts in those languages whatever the interface language is.
        form = LocalMeasureForm(initial=LOCAL_EVIDENCE)
    return render(request, "plans/measure_form.html", {"form": form, "measure": None}, status=status)


@require_http_methods(["GET", "POST"])
@page
def measure_edit(request: HttpRequest, m: Membership, key: str) -> HttpResponse:
    measure = selectors.measure_get(actor=m, key=key)
    if not _may_edit(m, measure):
        return forbidden(request, _("Only the organisation that added a local measure can change it."))
    status = 200
    if request.method == "POST":
        form = LocalMeasureEditForm(request.POST)
        failed = submit(
            form,
            lambda d: services.measure_update_local(
                actor=m,
                measure=measure,
                expected_version=d["version"],
                active=d["active"],
                **{f: d[f] for f in FORM_FIELDS},
            ),
        )
        if failed is None:
            messages.success(request, _("The measure is saved."))
            return HttpResponseRedirect(reverse("measure_detail", args=[measure.key]))
        status = failed
    else:
        initial = {f: getattr(measure, f) for f in FORM_FIELDS}
        form = LocalMeasureEditForm(initial={**initial, "active": measure.active, "version": measure.version})
    return render(request, "plans/measure_form.html", {"form": form, "measure": measure}, status=status)
