"""The start page: what the user may do, their tasks and cases, and what needs attention (`overdue.attention`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from utvei.access import policy, subject_access
from utvei.access.evaluation import analytics_decision
from utvei.access.policy import Act
from utvei.accounts.models import Membership, NotificationKind
from utvei.accounts.notifications import inbox
from utvei.cases import selectors
from utvei.cases.views.common import DASHBOARD_ROWS
from utvei.core.pagination import counted
from utvei.oversight import alerts as oversight_alerts
from utvei.oversight.views_alerts import rows as alert_rows
from utvei.retention.subject_access.services import request_list as subject_access_requests

from . import overdue


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    m: Membership | None = getattr(request, "membership", None)
    ctx: dict[str, Any] = {"m": m}
    if m is not None:
        ctx["case_role"] = bool(policy.can(m, Act.CASE_LIST))
        ctx["can_triage"] = bool(policy.can(m, Act.CONCERN_TRIAGE))
        ctx["can_submit"] = bool(policy.can(m, Act.CONCERN_SUBMIT))
        ctx["can_audit"] = bool(policy.can(m, Act.AUDIT_READ))
        ctx["can_stats"] = bool(analytics_decision(m))
        ctx["can_admin_org"] = bool(policy.can(m, Act.ORG_ADMIN))
        ctx["can_subject_access"] = bool(subject_access.dpo_decision(m))
        if ctx["can_subject_access"]:
            # The DPO's open subject-access requests, the most urgent first, until answered (docs/subject-access.md).
            ctx["subject_access"] = list(subject_access_requests(actor=m, open_only=True, audit=False)[:DASHBOARD_ROWS])
            ctx["today"] = timezone.localdate()
        if ctx["case_role"]:
            tasks = selectors.my_tasks(actor=m, audit=False)
            ctx["tasks"] = list(tasks[:DASHBOARD_ROWS])
            ctx["overdue_count"] = counted([tasks.filter(due_on__lt=timezone.localdate())])
            mine = selectors.CaseFilters(mine=True)
            ctx["cases"] = selectors.case_page(
                actor=m, filters=mine, size=DASHBOARD_ROWS, count=False, audit=False
            ).page.rows
            attention = overdue.attention(m, limit=DASHBOARD_ROWS)
            selectors.label_people(
                m,
                {
                    id(c): c
                    for c in [*ctx["cases"], *(t.case for t in ctx["tasks"]), *(g.case for g in attention.groups)]
                }.values(),
            )
            # Work an administrator handed over to the user (administration.services.member_handover), until read.
            handed = inbox(m).filter(kind=NotificationKind.HANDOVER, read_at__isnull=True)
            ctx["handovers"] = list(handed[:DASHBOARD_ROWS])
            ctx["attention"] = attention.groups
            ctx["attention_more"] = attention.more
            ctx["attention_capped"] = attention.capped
            selectors.dashboard_audit(actor=m)
        if ctx["can_audit"]:  # the DPO: unusual access waiting for review, oldest first (docs/oversight.md)
            waiting = oversight_alerts.alert_queue(actor=m, status="pending", where="dashboard")
            ctx["alert_rows"] = alert_rows(list(waiting[:DASHBOARD_ROWS]))
            ctx["alerts_pending"] = oversight_alerts.pending_count(actor=m)
        if ctx["can_triage"]:
            ctx["intake_count"] = selectors.intake_queue(actor=m, audit=False).count()
        ctx["show_receipts"] = ctx["can_submit"] and not ctx["case_role"]
        if ctx["show_receipts"]:
            ctx["receipts"] = list(selectors.my_receipts(actor=m)[:DASHBOARD_ROWS])
    return render(request, "dashboard.html", ctx)
