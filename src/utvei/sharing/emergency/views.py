"""Pages of emergency access: opening one (/emergency/), ending it, and the DPO's review queue
(/audit/emergency/). Thin: the services (emergency/services.py) check access and write the audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from utvei.access.policy import Act, can
from utvei.accounts.models import Membership
from utvei.accounts.roles import Role
from utvei.cases.views.common import case_url
from utvei.core.errors import Forbidden, NotFound, UtveiError
from utvei.core.web import page

from ..models import EmergencyAccess, ReviewStatus
from . import services
from .forms import EmergencyOpenForm, EmergencyReviewForm

ROLE_LABELS = dict(Role.choices)
QUEUE_PAGE_SIZE = 50
QUEUE_FILTERS = (
    ("pending", _("Waiting for review")),
    ("all", _("All")),
    ("approved", _("Approved")),
    ("flagged", _("Flagged")),
)


def state(access: EmergencyAccess, now: dt.datetime) -> tuple[str, Any]:
    """The access's state now, as a code and a label."""
    if access.ended_at is not None:
        return "ended", _("Ended")
    if access.expires_at <= now:
        return "expired", _("Expired")
    return "active", _("Active")


def _rows(accesses: Any, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for a in accesses:
        code, label = state(a, now)
        role = ROLE_LABELS.get(a.role, a.role)
        rows.append({"obj": a, "state": code, "state_label": label, "role_label": role})
    return rows


def not_allowed(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/emergency_not_allowed.html", status=403)


def _open_page(request: HttpRequest, m: Membership, form: EmergencyOpenForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    context = {
        "form": form,
        "max_hours": services.max_hours(),
        "accesses": _rows(services.my_emergency_accesses(actor=m)[:20], now),
    }
    return render(request, "sharing/emergency.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page
def emergency_open(request: HttpRequest, m: Membership) -> HttpResponse:
    """The break-the-glass form and the user's own emergency accesses."""
    if not can(m, Act.EMERGENCY_OPEN):
        return not_allowed(request)
    if request.method == "GET":
        return _open_page(request, m, EmergencyOpenForm())
    form = EmergencyOpenForm(request.POST)
    if not form.is_valid():
        return _open_page(request, m, form, status=400)
    d = form.cleaned_data
    try:
        opened = services.emergency_open(
            actor=m,
            case_reference=d["case_reference"],
            national_id=d["national_id"],
            reason_code=d["reason_code"],
            reason_text=d["reason_text"],
            hours=d["hours"],
        )
    except Forbidden:
        return not_allowed(request)
    except UtveiError as exc:
        form.add_service_error(exc)
        return _open_page(request, m, form, status=exc.status)
    if opened.access is None:
        messages.info(request, _("You can already see this case, so no emergency access was opened."))
    elif not opened.created:
        until = timezone.localtime(opened.access.expires_at).strftime("%H:%M")
        messages.info(
            request,
            _("You already have emergency access to this case until %(until)s. No new access was opened.")
            % {"until": until},
        )
    else:
        messages.warning(
            request,
            _(
                "Emergency access is open. The case lead and the data protection officer have been told, "
                "and every read is logged."
            ),
        )
    return HttpResponseRedirect(case_url(opened.case))


@require_POST
@page
def emergency_end(request: HttpRequest, m: Membership, access_id: Any) -> HttpResponse:
    """End one's own emergency access before it expires."""
    access = services.emergency_get(actor=m, access_id=access_id)
    if access.user_id != m.user_id or access.organisation_id != m.organisation_id:
        raise NotFound(_("The emergency access was not found."))
    try:
        services.emergency_end(actor=m, access=access)
    except UtveiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your emergency access has ended."))
    if can(m, Act.EMERGENCY_OPEN):
        return HttpResponseRedirect(reverse("emergency_open"))
    return HttpResponseRedirect(reverse("dashboard"))


# ---- The DPO's review queue ----------------------------------------------------------------------------


def _queue_status(request: HttpRequest) -> str:
    value = request.GET.get("status", "pending")
    return value if value in services.QUEUE_STATUSES else "pending"


def _queue_page(
    request: HttpRequest,
    m: Membership,
    *,
    status_filter: str,
    bound: tuple[str, EmergencyReviewForm] | None = None,
    http_status: int = 200,
) -> HttpResponse:
    qs = services.review_queue(actor=m, status=status_filter)
    page_obj = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = _rows(page_obj.object_list, now)
    for row in rows:
        a = row["obj"]
        hex_id = a.public_id.hex
        if bound is not None and bound[0] == hex_id:
            row["form"] = bound[1]
        elif a.review_status == ReviewStatus.PENDING:
            row["form"] = EmergencyReviewForm(auto_id=f"review-{hex_id}-%s")
    context = {
        "rows": rows,
        "page_obj": page_obj,
        "status_filter": status_filter,
        "filters": QUEUE_FILTERS,
        "query": f"status={status_filter}",
        "error_form": bound[1] if bound is not None else None,
    }
    return render(request, "sharing/emergency_queue.html", context, status=http_status)


@require_http_methods(["GET"])
@page
def review_queue(request: HttpRequest, m: Membership) -> HttpResponse:
    if not can(m, Act.EMERGENCY_REVIEW):
        raise NotFound(_("Not found."))
    return _queue_page(request, m, status_filter=_queue_status(request))


@require_POST
@page
def review(request: HttpRequest, m: Membership, access_id: Any) -> HttpResponse:
    if not can(m, Act.EMERGENCY_REVIEW):
        raise NotFound(_("Not found."))
    access = services.emergency_get(actor=m, access_id=access_id)
    status_filter = request.POST.get("status_filter", "pending")
    if status_filter not in services.QUEUE_STATUSES:
        status_filter = "pending"
    hex_id = access.public_id.hex
    form = EmergencyReviewForm(request.POST, auto_id=f"review-{hex_id}-%s")
    if not form.is_valid():
        return _queue_page(request, m, status_filter=status_filter, bound=(hex_id, form), http_status=400)
    try:
        services.emergency_review(
            actor=m, access=access, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _queue_page(request, m, status_filter=status_filter, bound=(hex_id, form), http_status=exc.status)
    if form.cleaned_data["decision"] == ReviewStatus.FLAGGED:
        messages.success(request, _("The use is flagged."))
    else:
        messages.success(request, _("The use is approved."))
    return HttpResponseRedirect(reverse("emergency_queue") + f"?status={status_filter}")
