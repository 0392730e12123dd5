"""What is overdue on the cases a user leads: open tasks past their due date, plan reviews and reassessments —
and the follow-ups the user answers for (as owner, or as lead where nobody else owns one), on closed cases too.

One read serves the dashboard's "Needs attention" and the reminder pass (desk/reminders.py), so both always say
the same. It goes through access: only cases the principal may see (`policy.visible_cases`) and leads, and only
the items the principal may read there (`policy.task_visible`, the plan's full view, `assessment_decision`) — a
mentor never hears of a plan review or an assessment. Each item carries its kind, case, public id and due date:
no content. A constant number of queries however many cases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from utvei.access import policy
from utvei.access.assessments import assessment_decision
from utvei.access.evaluation import follow_ups_visible
from utvei.access.header import safety_plan_visible
from utvei.access.plans import PlanView, plan_view
from utvei.access.policy import Act
from utvei.accounts.models import Membership, NotificationKind
from utvei.assessments.models import Assessment, AssessmentStatus
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case, Phase, Task, TaskStatus
from utvei.evaluation.models import FollowUp, FollowUpStatus
from utvei.plans.models import Plan, PlanStatus

Kind = NotificationKind


@dataclass(frozen=True)
class Overdue:
    """One overdue thing on a case: what it is, which one (public id) and when it was due."""

    kind: str  # a NotificationKind of REMINDER_KINDS
    case: Case
    ref: uuid.UUID
    due_on: dt.date

    @property
    def label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def url(self) -> str:
        return item_url(self.kind, self.case.public_id, self.ref)


@dataclass(frozen=True)
class CaseAttention:
    """A case the user leads, and what on it is overdue, oldest first."""

    case: Case
    items: list[Overdue]


def item_url(kind: str, case_id: uuid.UUID, ref: uuid.UUID) -> str:
    """Where an overdue item is shown; the page checks access when it is opened."""
    if kind == Kind.REVIEW_OVERDUE:
        return reverse("plan_detail", args=[case_id, ref])
    if kind == Kind.REASSESSMENT_OVERDUE:
        return reverse("assessment_detail", args=[case_id, ref])
    if kind == Kind.FOLLOW_UP_OVERDUE:
        return reverse("follow_up_detail", args=[case_id, ref])
    if kind == Kind.SAFETY_PLAN_REVIEW_OVERDUE:  # the item is the case itself: its header holds the safety plan
        return reverse("case_detail", args=[case_id]) + "#safety-plan"
    return reverse("case_detail", args=[case_id]) + f"#task-{ref}"


# ---- What counts as overdue (one place for the dashboard and the pass) ----------------------------------


def late_tasks(today: dt.date) -> QuerySet[Task]:
    return Task.objects.filter(status=TaskStatus.OPEN, due_on__lt=today)


def late_reviews(today: dt.date) -> QuerySet[Plan]:
    """The plan in force whose next review date has passed."""
    return Plan.objects.filter(status=PlanStatus.APPROVED, review_due__lt=today)


def late_reassessments(today: dt.date) -> QuerySet[Assessment]:
    """Final assessments past their reassessment date that no later final assessment with the same instrument
    has followed: the case has not been reassessed yet."""
    later = Assessment.objects.filter(
        case_id=OuterRef("case_id"),
        status=AssessmentStatus.FINAL,
        instrument_version__instrument_id=OuterRef("instrument_version__instrument_id"),
        finalised_at__gt=OuterRef("finalised_at"),
    )
    return Assessment.objects.filter(status=AssessmentStatus.FINAL, reassessment_due__lt=today).exclude(Exists(later))


def late_safety_plans(today: dt.date) -> QuerySet[Case]:
    """Open cases whose safety plan's review date has passed (the item is the case: `case_id` is its own pk)."""
    late = Case.objects.filter(safety_plan_review_on__lt=today).exclude(phase=Phase.CLOSED)
    return late.annotate(case_id=F("pk"))


def late_follow_ups(today: dt.date) -> QuerySet[FollowUp]:
    """Follow-ups past their date and not recorded — on open and closed cases alike: a closed case is followed up."""
    return FollowUp.objects.filter(status=FollowUpStatus.PENDING, due_on__lt=today)


def follow_up_owner_q(user_id: int) -> Q:
    """The follow-ups a user answers for: those they own, and those without an owner on cases they lead."""
    return Q(owner_id=user_id) | Q(owner__isnull=True, case__lead_id=user_id)


def follow_up_owners_late(today: dt.date) -> set[int]:
    """The users who answer for a late follow-up (system read, for the reminder pass)."""
    late = late_follow_ups(today).order_by()
    owned = set(late.filter(owner__isnull=False).values_list("owner_id", flat=True))
    led = late.filter(owner__isnull=True, case__lead__isnull=False).values_list("case__lead_id", flat=True)
    return owned | set(led)


def led_cases_with_something_late(today: dt.date) -> QuerySet[Case]:
    """Open cases with a lead and anything overdue: whose leads the reminder pass asks about (system read)."""
    late = (
        Q(Exists(late_tasks(today).filter(case_id=OuterRef("pk"))))
        | Q(Exists(late_reviews(today).filter(case_id=OuterRef("pk"))))
        | Q(Exists(late_reassessments(today).filter(case_id=OuterRef("pk"))))
        | Q(safety_plan_review_on__lt=today)
    )
    return Case.objects.filter(lead__isnull=False).exclude(phase=Phase.CLOSED).filter(late)


# ---- The principal's list --------------------------------------------------------------------------------

# The fields the lists and the access decisions read; encrypted content is never loaded.
_CASE_FIELDS = ("pk", "public_id", "reference", "owning_org_id", "lead_id", "phase", "retention_state")
_ITEM_FIELDS = ("pk", "public_id", "case_id", "author_id", "author_org_id", "classification", "status")

# Up to this many led cases, their ids are read first and the overdue items looked up by case; above it, the
# items are read in the order of their due date and the first few cases taken (the due-date indexes answer).
FEW_CASES = 500
MORE_CAP = 100  # "more than 100 other cases": counting further costs more than the number tells


@dataclass(frozen=True)
class _Scope:
    """Where to look for overdue items: the principal's led open cases, as a filter on an item's case."""

    m: Membership
    full: bool  # reads the case as coordinators and caseworkers do (reviews, assessments, follow-ups)
    led: Q  # on an item: its case is one the principal leads and may see, and open
    follow_led: Q  # on a follow-up: its case is one the principal may see (owned follow-ups, closed cases too)
    led_cases: Q  # `led` on the case itself (the safety plan's review date is a field of the case)


OPEN_ITEM = ~Q(case__phase=Phase.CLOSED)
OPEN_CASE = ~Q(phase=Phase.CLOSED)


def _on(m: Membership, visible: Q, cases: list[int]) -> _Scope:
    """The scope narrowed to these cases (found through `visible`; `case_accesses` asks again for each)."""
    mine, mine_cases = Q(case__lead_id=m.user_id) & OPEN_ITEM, Q(lead_id=m.user_id) & OPEN_CASE
    return _Scope(
        m,
        policy.reads_in_full(m),
        mine & Q(case_id__in=cases),
        visible & Q(case_id__in=cases),
        mine_cases & Q(pk__in=cases),
    )


def _scope(m: Membership, cases: list[int] | None = None) -> _Scope | None:
    visible = policy.visible_q(m, "case")
    if visible is None:
        return None
    if cases is not None:
        return _on(m, visible, cases)
    mine, mine_cases = Q(case__lead_id=m.user_id) & OPEN_ITEM, Q(lead_id=m.user_id) & OPEN_CASE
    full = policy.reads_in_full(m)
    few = list(Case.objects.filter(lead_id=m.user_id).order_by().values_list("pk", flat=True)[: FEW_CASES + 1])
    if len(few) <= FEW_CASES:  # look items up by case: the cost follows the cases the principal leads
        ids = list(policy.visible_cases(m).filter(pk__in=few).values_list("pk", flat=True))
        return _Scope(m, full, Q(case_id__in=ids) & mine, visible, Q(pk__in=ids) & mine_cases)
    # Many led cases: the visible set as conditions (the case's own columns for the safety plan's date).
    return _Scope(m, full, visible & mine, visible, mine_cases & (policy.visible_q(m) or Q(pk__in=[])))


def _sources(scope: _Scope, today: dt.date) -> dict[str, tuple[QuerySet[Any], str]]:
    """Each kind of overdue item the principal may hear of, with its due-date field. A reader who does not read
    in full (a mentor) hears only of tasks assigned to them: the rest is not part of the case as they see it."""
    m = scope.m
    tasks = late_tasks(today).filter(scope.led)
    if not scope.full:
        return {Kind.TASK_OVERDUE: (tasks.filter(assignee_id=m.user_id), "due_on")}
    return {
        Kind.TASK_OVERDUE: (tasks, "due_on"),
        Kind.REVIEW_OVERDUE: (late_reviews(today).filter(scope.led), "review_due"),
        Kind.REASSESSMENT_OVERDUE: (late_reassessments(today).filter(scope.led), "reassessment_due"),
        Kind.FOLLOW_UP_OVERDUE: (
            late_follow_ups(today).filter(follow_up_owner_q(m.user_id)).filter(scope.follow_led),
            "due_on",
        ),
        Kind.SAFETY_PLAN_REVIEW_OVERDUE: (late_safety_plans(today).filter(scope.led_cases), "safety_plan_review_on"),
    }


def overdue_for(
    m: Membership | None, *, today: dt.date | None = None, audit: bool = True, cases: list[int] | None = None
) -> list[Overdue]:
    """Everything overdue on the open cases the principal leads and may see, that they may read; oldest first.
    With `cases`, only on those cases.

    audit=True writes one `case.list` event with the reason `overdue` when there is anything to show; the
    reminder pass audits each reminder it sends instead.
    """
    if m is None or not policy.can(m, Act.CASE_LIST):
        return []
    scope = _scope(m, cases)
    if scope is None:
        return []
    return _overdue(scope, today or timezone.localdate(), audit=audit)


def _overdue(scope: _Scope, today: dt.date, *, audit: bool) -> list[Overdue]:
    m = scope.m
    sources = _sources(scope, today)
    tasks = list(sources[Kind.TASK_OVERDUE][0].only("pk", "public_id", "case_id", "assignee_id", "due_on"))
    plans: list[Plan] = []
    assessments: list[Assessment] = []
    follow_ups: list[FollowUp] = []
    safety_plans: list[Case] = []
    if scope.full:
        plans = list(sources[Kind.REVIEW_OVERDUE][0].only(*_ITEM_FIELDS, "review_due"))
        assessments = list(sources[Kind.REASSESSMENT_OVERDUE][0].only(*_ITEM_FIELDS, "reassessment_due"))
        follow_ups = list(sources[Kind.FOLLOW_UP_OVERDUE][0].only("pk", "public_id", "case_id", "due_on"))
        safety_plans = list(sources[Kind.SAFETY_PLAN_REVIEW_OVERDUE][0].only("pk", "safety_plan_review_on"))
    if not (tasks or plans or assessments or follow_ups or safety_plans):
        return []
    wanted = {t.case_id for t in tasks} | {p.case_id for p in plans} | {a.case_id for a in assessments}
    wanted |= {f.case_id for f in follow_ups} | {c.pk for c in safety_plans}
    access = policy.case_accesses(m, Case.objects.filter(pk__in=wanted).only(*_CASE_FIELDS))
    items: list[Overdue] = []
    for task in tasks:
        ca = access.get(task.case_id)
        if ca is not None and task.due_on is not None and policy.task_visible(ca, task):
            items.append(Overdue(Kind.TASK_OVERDUE, ca.case, task.public_id, task.due_on))
    for plan in plans:
        ca = access.get(plan.case_id)
        # The review date is part of the plan as coordinators and caseworkers see it, not of a mentor's view.
        if ca is not None and plan.review_due is not None and plan_view(ca, plan) == PlanView.FULL:
            items.append(Overdue(Kind.REVIEW_OVERDUE, ca.case, plan.public_id, plan.review_due))
    for a in assessments:
        ca = access.get(a.case_id)
        if ca is not None and a.reassessment_due is not None and assessment_decision(ca, a):
            items.append(Overdue(Kind.REASSESSMENT_OVERDUE, ca.case, a.public_id, a.reassessment_due))
    for follow_up in follow_ups:
        ca = access.get(follow_up.case_id)
        if ca is not None and follow_ups_visible(ca):
            items.append(Overdue(Kind.FOLLOW_UP_OVERDUE, ca.case, follow_up.public_id, follow_up.due_on))
    for late in safety_plans:
        ca = access.get(late.pk)
        # The review date is part of the safety plan: reminded only to a lead who reads it (access/header.py).
        if ca is not None and late.safety_plan_review_on is not None and safety_plan_visible(ca):
            items.append(
                Overdue(Kind.SAFETY_PLAN_REVIEW_OVERDUE, ca.case, ca.case.public_id, late.safety_plan_review_on)
            )
    items.sort(key=_order)
    if audit and items:
        audit_by(m, Action.CASE_LIST, reason="overdue")
    return items


def _order(item: Overdue) -> tuple[Any, ...]:
    return (item.due_on, item.case.reference, item.kind, str(item.ref))


@dataclass(frozen=True)
class Attention:
    """The dashboard's "Needs attention": the first cases, and how many more have something overdue."""

    groups: list[CaseAttention]
    more: int  # how many more cases have something overdue, counted up to MORE_CAP
    capped: bool = False  # there are more than `more`


def attention(m: Membership | None, *, today: dt.date | None = None, limit: int = 10) -> Attention:
    """The cases the principal leads with the oldest overdue items, `limit` of them, each with all its items.

    Reads what it shows: the candidates come from the due-date indexes in date order, `limit` cases' worth at a
    time; access is worked out for those cases only; how many more there are is a COUNT (of cases with an
    overdue item of a kind the principal hears of, up to MORE_CAP). No audit event: the page writes its own.
    """
    if m is None or not policy.can(m, Act.CASE_LIST):
        return Attention([], 0)
    today = today or timezone.localdate()
    scope = _scope(m)
    if scope is None:
        return Attention([], 0)
    sources = _sources(scope, today)
    batch = limit * 4
    while True:
        ahead: list[tuple[dt.date, int]] = []
        exhausted = True
        for qs, due in sources.values():
            rows = list(qs.order_by(due, "case_id").values_list(due, "case_id")[:batch])
            exhausted = exhausted and len(rows) < batch
            ahead += rows
        order: dict[int, None] = {}
        for _due, case_id in sorted(ahead):
            order.setdefault(case_id, None)
        chosen = list(order)[: limit * 2]
        groups: dict[int, CaseAttention] = {}
        for item in _overdue(_on(m, scope.follow_led, chosen), today, audit=False):
            groups.setdefault(item.case.pk, CaseAttention(item.case, [])).items.append(item)
        if len(groups) >= limit or exhausted or batch >= 10_000:
            break
        batch *= 4
    shown = list(groups.values())[:limit]
    cap = len(shown) + MORE_CAP
    cases: set[int] = set()
    for qs, _field in sources.values():
        cases |= set(qs.order_by().values_list("case_id", flat=True).distinct()[: cap + 1])
    more = max(0, min(len(cases), cap) - len(shown))
    return Attention(shown, more, capped=len(cases) > cap)
