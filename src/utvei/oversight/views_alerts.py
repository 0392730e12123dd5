"""The DPO's queue of unusual-access alerts (/audit/alerts/) and the review of one. Thin: oversight/alerts.py
checks the scope and writes the audit events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.accounts.models import Membership
from utvei.core.errors import UtveiError
from utvei.core.web import page

from . import alerts
from .forms import AlertReviewForm
from .models import AccessAlert
from .rules import load_rules

PAGE_SIZE = 50
FILTERS = (("pending", _("Waiting for review")), ("reviewed", _("Reviewed")), ("all", _("All")))


def _status(request: HttpRequest) -> str:
    value = request.GET.get("status", "pending")
    return value if value in alerts.QUEUE_STATUSES else "pending"


def rows(items: list[AccessAlert]) -> list[dict[str, Any]]:
    """What a list shows of each alert: the rule's title, the case reference; two queries for any number."""
    refs = alerts.case_references(items)
    return [{"obj": a, "title": alerts.title(a), "case_reference": refs.get(a.case_public_id, "")} for a in items]


@require_GET
@page
def alert_list(request: HttpRequest, m: Membership) -> HttpResponse:
    status = _status(request)
    qs = alerts.alert_queue(actor=m, status=status)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rows": rows(list(page_obj.object_list)),
        "page_obj": page_obj,
        "status_filter": status,
        "filters": FILTERS,
        "query": f"status={status}",
    }
    return render(request, "oversight/alert_list.html", context)


def _detail(
    request: HttpRequest, m: Membership, alert: AccessAlert, form: AlertReviewForm | None, status: int = 200
) -> HttpResponse:
    rules = load_rules()
    rule = rules.rules.get(alert.rule)
    context = {
        "alert": alert,
        "row": rows([alert])[0],
        "reason": rule.text("reason") if rule is not None else "",
        "current_version": rule.version if rule is not None else None,
        "audit_query": urlencode(alerts.audit_link_params(alert, rules.tz)),
        "form": form,
    }
    return render(request, "oversight/alert_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page
def alert_detail(request: HttpRequest, m: Membership, alert_id: Any) -> HttpResponse:
    """One alert with what made it a hit, a link to the events behind it, and the review (form or record)."""
    alert = alerts.alert_get(actor=m, alert_id=alert_id, audit=request.method == "GET")
    if request.method == "GET":
        return _detail(request, m, alert, AlertReviewForm() if alert.pending else None)
    form = AlertReviewForm(request.POST)
    if not form.is_valid():
        return _detail(request, m, alert, form, status=400)
    try:
        alerts.alert_review(
            actor=m, alert=alert, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"]
        )
    except UtveiError as exc:
        form.add_service_error(exc)
        return _detail(request, m, alerts.alert_get(actor=m, alert_id=alert_id, audit=False), form, status=exc.status)
    messages.success(request, _("The review is saved."))
    return HttpResponseRedirect(reverse("alert_list"))
