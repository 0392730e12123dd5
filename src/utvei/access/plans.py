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
too) may update that item's status and note. Referral recipients and emergency access read only. What that means
for one version of the plan now — edit the draft, rate, approve, review, start a new version, update an item — is
`plan_actions` and `item_status_allowed`, which the plan page and the API both show.

The toolbox: a coordinator adds local measures for their organisation, and only that organisation changes them
(`measure_add_decision`, `measure_edit_decision`); the national catalogue changes only through its data file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap

from .policy import FULL_RELATIONS, CaseAccess, Decision, Relation, entry_decision, membership_ok

# Plan statuses (plans.models.PlanStatus), kept here too so that the policy does not import the plans app.
DRAFT, APPROVED, SUPERSEDED = "draft", "approved", "superseded"


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
    if plan.status != APPROVED:  # a mentor sees the plan in force, not drafts or old versions
        return PlanView.NONE
    return PlanView.MENTOR


def item_visible(ca: CaseAccess, view: PlanView, item: Any) -> bool:
    """A mentor sees the items they are responsible for; a full reader sees all of them."""
    if view == PlanView.FULL:
        return True
    if view == PlanView.MENTOR:
        return item.responsible_user_id is not None and item.responsible_user_id == ca.membership.user_id
    return False


def rating_notes_visible(view: PlanView | str) -> bool:
    """Who rated a goal and their note: for full readers. A mentor sees the ratings' values and dates only."""
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


def item_status_allowed(ca: CaseAccess, plan: Any, item: Any, view: PlanView | None = None) -> bool:
    """May the principal update this item's status and note now? `item_status_decision`, on a draft or the plan
    in force (a superseded version is history)."""
    return plan.status != SUPERSEDED and bool(item_status_decision(ca, plan, item, view))


@dataclass(frozen=True)
class PlanActions:
    """What the principal may do to one version of the plan now: the plan page's forms and buttons, and the API's
    `actions`. The services refuse the same things when asked (403, or 409 for the wrong status)."""

    write: Decision  # plan_write_decision: its reason says why not
    edit: bool  # change the draft: goals, items, participation, classification, review date
    rate: bool  # rate its goals: a draft or the plan in force, not a superseded version
    approve: bool  # approve the draft: a coordinator
    review: bool  # record a review of the plan in force
    new_version: bool  # start a new version from the plan in force, while there is no draft

    def as_dict(self) -> dict[str, bool]:
        return {
            "edit": self.edit,
            "rate": self.rate,
            "approve": self.approve,
            "review": self.review,
            "new_version": self.new_version,
        }


def plan_actions(ca: CaseAccess, plan: Any, *, draft_exists: bool) -> PlanActions:
    """What the principal may do to this plan now. `draft_exists`: the case has a draft version (of any number).
    No queries once the case's bases are loaded."""
    write = plan_write_decision(ca, plan)
    is_draft = plan.status == DRAFT
    is_approved = plan.status == APPROVED
    return PlanActions(
        write=write,
        edit=bool(write) and is_draft,
        rate=bool(write) and plan.status != SUPERSEDED,
        approve=is_draft and bool(plan_approve_decision(ca, plan)),
        review=bool(write) and is_approved,
        new_version=bool(write) and is_approved and not draft_exists,
    )


def plan_start_allowed(ca: CaseAccess, *, draft_exists: bool) -> bool:
    """May the principal start the case's plan (or its next version) now? A plan writer, while there is no draft."""
    return bool(plan_write_decision(ca)) and not draft_exists


# ---- The toolbox: local measures -----------------------------------------------------------------------


def measure_add_decision(m: Membership | None) -> Decision:
    """May the principal add a local measure their organisation offers? A coordinator."""
    if m is None or not membership_ok(m) or not has_cap(m.role, Cap.CASE_MANAGE):
        return Decision(False, "capability", _("Only a coordinator can add or change local measures."))
    return Decision(True, "capability", _("Your role allows this."), {"membership": m.pk})


def measure_edit_decision(m: Membership | None, measure: Any) -> Decision:
    """May the principal change this measure? A coordinator of the organisation that added it; the national
    catalogue changes only through its data file."""
    add = measure_add_decision(m)
    if not add or m is None:
        return add
    if measure.owner_org_id is None:
        return Decision(False, "national", _("The national catalogue changes only through its data file."))
    if measure.owner_org_id != m.organisation_id:
        return Decision(False, "owner", _("Only the organisation that added a local measure can change it."))
    return Decision(True, "owner", _("Your organisation added this measure."), {"membership": m.pk})
