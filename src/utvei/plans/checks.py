"""The precondition the plans app adds to planning -> active (registered in `PlansConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from utvei.cases.models import Case

from .models import Plan, PlanStatus


def plan_approved(case: Case) -> str | None:
    """An approved individual plan is in force: the plan the active phase carries out."""
    if not Plan.objects.filter(case=case, status=PlanStatus.APPROVED).exists():
        return str(_("Approve the individual plan before activating the case (the «Plan» section)."))
    return None
