"""Reads of the measure catalogue and of individual plans. Plans go through `cases.selectors.case_get` and
`access.plans`; every read of a plan is audited (the case page's plan section is covered by its case.view event).

The catalogue is not case data: any user with a current membership may read it, and reading it is not audited
(as with the legal bases). Its usage figures are aggregates over every case in the installation, with small
numbers suppressed (`SUPPRESS_BELOW`), so the catalogue never tells which cases use a measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.access.plans import PlanView, item_visible, plan_read_decision, plan_view, rating_notes_visible
from utvei.access.policy import CaseAccess, Decision, membership_ok
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Phase
from utvei.cases.selectors import case_get
from utvei.core.errors import NotFound
from utvei.core.validation import parse_uuid as _uuid

from .models import ITEM_IN_USE, Goal, GoalRating, Measure, Plan, PlanItem, PlanReview, PlanStatus

# Counts of 1 and 2 are shown as "fewer than 3" (Statistics Norway's usual threshold for small cells).
SUPPRESS_BELOW = 3


# ---- The catalogue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How many current plans use a measure: the count, or None when it is too small to show."""

    count: int | None
    suppressed: bool = False

    @classmethod
    def of(cls, n: int) -> Usage:
        if 0 < n < SUPPRESS_BELOW:
            return cls(None, True)
        return cls(n)


@dataclass(frozen=True)
class MeasureFilters:
    sector: str = ""
    track: str = ""
    scope: str = ""  # "" every measure, "national" the data file's, "local" coordinators' own
    include_inactive: bool = False


def usage_counts() -> dict[int, int]:
    """Measure id -> number of approved plans in force, on open cases, with a planned or ongoing item using it.
    One aggregate query; it names no case."""
    rows = (
        PlanItem.objects.filter(plan__status=PlanStatus.APPROVED, status__in=ITEM_IN_USE)
        .exclude(plan__case__phase=Phase.CLOSED)
        .values("measure_id")
        .annotate(n=Count("plan_id", distinct=True))
    )
    return {r["measure_id"]: r["n"] for r in rows}


def _measures(actor: Membership | None) -> QuerySet[Measure]:
    if not membership_ok(actor):
        return Measure.objects.none()
    return Measure.objects.select_related("owner_org", "updated_by").annotate(revision_count=Count("revisions"))


def measure_list(*, actor: Membership | None, filters: MeasureFilters | None = None) -> list[Measure]:
    """The catalogue in data-file order (local measures after), filtered, each with `usage`. Two queries."""
    f = filters or MeasureFilters()
    qs = _measures(actor)
    if not f.include_inactive:
        qs = qs.filter(active=True)
    if f.sector:
        qs = qs.filter(sector=f.sector)
    if f.scope == "national":
        qs = qs.filter(owner_org__isnull=True)
    elif f.scope == "local":
        qs = qs.filter(owner_org__isnull=False)
    rows = list(qs.order_by("position", "name_nb", "key"))
    if f.track:  # a JSON list: filtered here, portable across SQLite and PostgreSQL (the catalogue is small)
        rows = [m for m in rows if f.track in m.tracks]
    counts = usage_counts() if rows else {}
    for m in rows:
        m.usage = Usage.of(counts.get(m.pk, 0))  # type: ignore[attr-defined]
    return rows


def measure_get(*, actor: Membership | None, key: str) -> Measure:
    """One measure by key, active or not, with `revision_count` and `usage`."""
    measure = _measures(actor).filter(key=key).first()
    if measure is None:
        raise NotFound(_("There is no measure with that key."))
    measure.usage = Usage.of(usage_counts().get(measure.pk, 0))  # type: ignore[attr-defined]
    return measure


def measure_choices(*, actor: Membership | None) -> list[Measure]:
    """Active measures a plan item may use, in catalogue order."""
    return list(_measures(actor).filter(active=True).order_by("position", "name_nb", "key"))


def measure_revisions(measure: Measure) -> list[Any]:
    return list(measure.revisions.select_related("saved_by").order_by("-version"))


# ---- Plans ---------------------------------------------------------------------------------------------


@dataclass
class PlanAccess:
    """A plan and how much of it the principal may see."""

    ca: CaseAccess
    plan: Plan
    decision: Decision
    view: PlanView

    @property
    def readable(self) -> bool:
        return self.view != PlanView.NONE

    @property
    def full(self) -> bool:
        return self.view == PlanView.FULL

    @property
    def rating_notes(self) -> bool:
        """Who rated each goal and their notes (access.plans.rating_notes_visible)."""
        return rating_notes_visible(self.view)


@dataclass
class GoalRow:
    goal: Goal
    ratings: list[GoalRating]
    items: list[PlanItem] = field(default_factory=list)

    @property
    def latest(self) -> GoalRating | None:
        return self.ratings[-1] if self.ratings else None


@dataclass
class PlanContent:
    """What the principal may see of one plan: goals with ratings, the visible items, and (full) reviews."""

    access: PlanAccess
    goals: list[GoalRow]
    items: list[PlanItem]
    unlinked_items: list[PlanItem]
    reviews: list[PlanReview]


def _plans(case: Any) -> QuerySet[Plan]:
    return Plan.objects.filter(case=case).select_related(
        "case", "author", "author_org", "approved_by", "approved_org", "based_on"
    )


def _access(ca: CaseAccess, plan: Plan) -> PlanAccess:
    decision = plan_read_decision(ca, plan)
    return PlanAccess(ca, plan, decision, plan_view(ca, plan, decision))


def case_plans(ca: CaseAccess) -> list[PlanAccess]:
    """Every version of the case's plan, newest first. Full readers see all of them (unreadable ones as markers);
    a mentor sees only the approved plan in force, and only when they may read it. One query."""
    rows = [_access(ca, p) for p in _plans(ca.case).order_by("-number")]
    if not ca.full:
        rows = [r for r in rows if r.readable]
    return rows


def draft_exists(ca: CaseAccess) -> bool:
    """Does the case have a draft version of its plan (whoever may read it)? One query. Starting another version
    waits for it (services.plan_create); the actions shown for a plan say so (access.plans.plan_actions)."""
    return Plan.objects.filter(case=ca.case, status=PlanStatus.DRAFT).exists()


def plan_get(
    *,
    actor: Membership | None,
    case_id: Any,
    plan_id: Any,
    audit: bool = True,
    audit_action: str = Action.PLAN_VIEW,
) -> PlanAccess:
    """One plan of one case. Missing, forbidden and (for a mentor) not-in-force all raise NotFound; audited."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    pk = _uuid(plan_id)
    plan = _plans(ca.case).filter(public_id=pk).first() if pk else None
    pa = _access(ca, plan) if plan is not None else None
    if pa is None or (not pa.readable and not ca.full):
        audit_by(actor, Action.CASE_DENIED, object_type="plan", object_id=str(pk or "")[:64], case=ca.case)
        raise NotFound(_("The plan was not found."))
    if audit:
        audit_by(actor, audit_action, obj=pa.plan, case=ca.case, reason="" if pa.readable else "restricted")
    return pa


def plan_content(pa: PlanAccess) -> PlanContent:
    """Goals (with ratings) and the items the principal may see. Three queries however long the plan."""
    if not pa.readable:
        return PlanContent(pa, [], [], [], [])
    ratings = GoalRating.objects.select_related("rated_by", "rated_by_org").order_by("rated_on", "pk")
    goals = list(pa.plan.goals.prefetch_related(Prefetch("ratings", queryset=ratings)).order_by("position", "pk"))
    items = [
        i
        for i in pa.plan.items.select_related("measure", "goal", "responsible_org", "responsible_user").order_by(
            "position", "pk"
        )
        if item_visible(pa.ca, pa.view, i)
    ]
    rows = [GoalRow(g, list(g.ratings.all()), [i for i in items if i.goal_id == g.pk]) for g in goals]
    unlinked = [i for i in items if i.goal_id is None]
    reviews = list(pa.plan.reviews.select_related("reviewed_by").order_by("reviewed_on", "pk")) if pa.full else []
    return PlanContent(pa, rows, items, unlinked, reviews)


@dataclass
class PlanSection:
    """The case page's plan section: the plan in force, the draft, and how many versions there are."""

    current: PlanContent | None
    draft: PlanAccess | None
    versions: list[PlanAccess]


def case_plan_section(ca: CaseAccess) -> PlanSection:
    plans = case_plans(ca)
    approved = next((p for p in plans if p.plan.status == PlanStatus.APPROVED), None)
    draft = next((p for p in plans if p.plan.status == PlanStatus.DRAFT), None)
    return PlanSection(plan_content(approved) if approved is not None else None, draft, plans)


def goal_in(pa: PlanAccess, goal_id: Any) -> Goal:
    """A goal of the plan the principal may see."""
    pk = _uuid(goal_id)
    goal = pa.plan.goals.filter(public_id=pk).first() if pk and pa.readable else None
    if goal is None:
        raise NotFound(_("The goal was not found."))
    goal.plan = pa.plan
    return goal


def item_in(pa: PlanAccess, item_id: Any) -> PlanItem:
    """An item of the plan the principal may see (a mentor: only their own)."""
    pk = _uuid(item_id)
    item = (
        pa.plan.items.select_related("measure", "goal", "responsible_org", "responsible_user")
        .filter(public_id=pk)
        .first()
        if pk
        else None
    )
    if item is None or not item_visible(pa.ca, pa.view, item):
        raise NotFound(_("The plan item was not found."))
    item.plan = pa.plan
    return item
