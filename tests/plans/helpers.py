"""Helpers for the plan tests, and for other tests that need a case with an approved plan."""

from __future__ import annotations

from typing import Any

from utvei.audit.models import AuditEvent
from utvei.cases import services as case_services
from utvei.cases import workflow
from utvei.cases.models import Case, Phase
from utvei.plans import services
from utvei.plans.models import Goal, Measure, Plan, PlanItem

GOAL_TEXT = "Jeg vil ha en jobb jeg gleder meg til"


def measure(key: str = "mentor") -> Measure:
    return Measure.objects.get(key=key)


def fresh(plan: Plan) -> Plan:
    return Plan.objects.select_related("case", "author_org").get(pk=plan.pk)


def draft_plan(world: Any, case: Case, *, by: str = "kari", goals: tuple[str, ...] = (GOAL_TEXT,)) -> Plan:
    """A draft with the given goals and the person's participation recorded."""
    m = world.m[by]
    plan = services.plan_create(actor=m, case=case)
    for text in goals:
        services.goal_add(actor=m, plan=fresh(plan), text=text, domain="work")
    plan = fresh(plan)
    services.plan_update(actor=m, plan=plan, expected_version=plan.version, participation="person")
    return fresh(plan)


def approved_plan(world: Any, case: Case, *, by: str = "kari", goals: tuple[str, ...] = (GOAL_TEXT,)) -> Plan:
    """A case's plan, drafted and approved by a coordinator: what planning -> active needs."""
    plan = draft_plan(world, case, by=by, goals=goals)
    services.plan_approve(actor=world.m[by], plan=plan, expected_version=plan.version)
    return fresh(plan)


def add_item(
    world: Any, plan: Plan, *, by: str = "kari", key: str = "mentor", user: str | None = None, **kw: Any
) -> PlanItem:
    m = world.m[by]
    org = None if user else world.m[by].organisation
    responsible = world.m[user].user if user else None
    goal = kw.pop("goal", None)
    if goal is None:
        goal = Goal.objects.filter(plan=plan).order_by("position").first()
    return services.item_add(
        actor=m,
        plan=fresh(plan),
        measure=measure(key),
        goal=goal,
        responsible_org=org,
        responsible_user=responsible,
        **kw,
    )


def seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def events_since(n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=n).order_by("seq"))


def to_planning(world: Any, case: Case, *, by: str = "kari") -> Case:
    """Move a case from intake or assessment to planning. Where assessment -> planning needs a final assessment,
    record the coordinator's reason for planning without one (the assessments app's rule), so that tests about
    plans need not run an assessment."""
    m = world.m[by]
    if case.phase == Phase.INTAKE:
        case = case_services.case_transition(actor=m, case=case, to_phase=Phase.ASSESSMENT)
    allow_planning(world, case, by=by)
    return case_services.case_transition(actor=m, case=case, to_phase=Phase.PLANNING)


def allow_planning(world: Any, case: Case, *, by: str = "kari") -> None:
    """For a case in assessment: when planning needs a final assessment, record why it starts without one."""
    case.refresh_from_db()
    if workflow.blockers(case, Phase.PLANNING):
        from utvei.assessments.services import assessment_skip_record

        assessment_skip_record(actor=world.m[by], case=case, reason="other", explanation="Testen gjelder planen.")


def to_active(world: Any, case: Case, *, by: str = "kari") -> Case:
    """Planning -> active with an approved plan (made here when the case has none)."""
    from utvei.plans.models import PlanStatus

    if case.phase != Phase.PLANNING:
        case = to_planning(world, case, by=by)
    if not Plan.objects.filter(case=case, status=PlanStatus.APPROVED).exists():
        approved_plan(world, case, by=by)
        case.refresh_from_db()
    return case_services.case_transition(actor=world.m[by], case=case, to_phase=Phase.ACTIVE)
