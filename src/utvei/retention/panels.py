"""What retention adds to the case page (through `cases.hooks.CASE_PAGE`): the «Sperret» banner with its reason for
the lead who reads a restricted case, the legal holds in force, and a link to the case's retention page for those
who answer for it."""

from __future__ import annotations

from typing import Any

from utvei.access.policy import CaseAccess
from utvei.access.retention import hold_decision, retention_page_decision

from .models import LegalHold


def case_panel(*, ca: CaseAccess) -> dict[str, Any] | None:
    case, m = ca.case, ca.membership
    holds = list(LegalHold.objects.active().filter(case=case).select_related("set_by_org"))
    link = bool(retention_page_decision(m, case))
    if not (holds or case.is_restricted or link):
        return None
    return {
        "template": "retention/_case_panel.html",
        "case_id": case.public_id,
        "restricted": case.is_restricted,
        "code_label": case.get_restriction_code_display() if case.restriction_code else "",
        "reason": case.restriction_reason if case.is_restricted else "",
        "holds": holds,
        "may_hold": bool(hold_decision(m, case)),
        "link": link,
    }
