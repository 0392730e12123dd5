"""Who may read and write individual plans: the plan part of THE policy (see policy.py and docs/plans.md).

A plan is an item of the case like a timeline entry: it has an author organisation, a classification and the
data category "plan", so steps 5–8 of the policy (`entry_decision`: classification, own organisation, sharing
basis) decide whether a viewer may read it at all. Then the viewer's role decides how much:

  full    coordinators and caseworkers: every version, every goal, rating and item
  mentor  a mentor on the team: the approved plan in force only — its goals (text, domain, target date and the
          ratings' values, not their notes) and the items assigned to them; nothing else of the plan
  none    nothing (a full reader sees a restricted marker: that a plan exists, its version, status and author
          organisation)

Writes: coordinators and caseworkers with a full relation (team, owning organisation's coordinator) who may read
the plan draft it and change it; only a coordinator approves it; the person responsible for an item (a mentor
too) may update that item's status and note. Referral recipients and emergency access read only.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.accounts.roles import Cap, has_cap

from .policy import FULL_RELATIONS, CaseAccess, Decision, Relation, entry_decision


class PlanView(StrEnum):
    FULL = "full"
    MENTOR = "mentor"
    NONE = "none"


# The policy's reasons speak of entries; for a plan these steps say it in the plan's words.
PLAN_REASONS = {
    "author": _("You started this plan."),
    "own_org": _("Your organisation started this plan."),
    "classification": _("The plan's classification does not include you."),
}


def plan_read_decision(ca: CaseAccess, plan: Any) -> Decision:
    """Steps 5–8 for a plan. No queries when plan.author_org is loaded and the case's bases are cached."""
    decision = entry_decision(ca, plan)
    if decision.step in PLAN_REASONS:
        return replace(decision, reason=PLAN_REASONS[decision.step])
    return decision


def plan_view(ca: CaseAccess, plan: Any, decision: Decision | None = None) -> PlanView:
    """How much of this plan the principal may see."""
    decision = decision if decision is not None else plan_read_decision(ca, plan)
    if not decision:
        return PlanView.NONE
    if ca.full:
        return PlanView.FULL
    if plan.status != "approved":  # a mentor sees the plan in force, not drafts or old versions
        return PlanView.NONE
    return PlanView.MENTOR


def item_visible(ca: CaseAccess, view: PlanView, item: Any) -> bool:
    """A mentor sees the items they are responsible for; a full reader sees all of them."""
    if view == PlanView.FULL:
        return True
    if view == PlanView.MENTOR:
        return item.responsible_user_id is not None and item.responsible_user_id == ca.membership.user_id
    return False


def rating_notes_visible(view: PlanView) -> bool:
    return view == PlanView.FULL


def _limited(ca: CaseAccess) -> Decision:
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))


def plan_write_decision(ca: CaseAccess, plan: Any = None) -> Decision:
    """May the principal start a plan or change a draft (goals, items, participation), or rate goals?"""
    m = ca.membership
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only coordinators and caseworkers can work on the plan."))
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    if plan is not None and not plan_read_decision(ca, plan):
        return Decision(False, "plan", _("You may not read this plan, so you cannot change it."))
    return Decision(True, "plan", _("You work on this case's team."), dict(ca.records))


def plan_approve_decision(ca: CaseAccess, plan: Any) -> Decision:
    """Approving a plan is a coordinator's decision."""
    if not has_cap(ca.membership.role, Cap.CASE_MANAGE):
        return Decision(False, "capability", _("Only a coordinator can approve a plan."))
    return plan_write_decision(ca, plan)


def item_status_decision(ca: CaseAccess, plan: Any, item: Any, view: PlanView | None = None) -> Decision:
    """May the principal update this item's status and note? The person responsible, or the plan's writers."""
    view = view if view is not None else plan_view(ca, plan)
    if not item_visible(ca, view, item):
        return Decision(False, "plan", _("Not your plan item."))
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    if item.responsible_user_id == ca.membership.user_id:
        return Decision(True, "plan", _("You are responsible for this item."), dict(ca.records))
    return plan_write_decision(ca, plan)
