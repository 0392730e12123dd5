"""Synthetic plans for `utvei synth` (core/synthetic.py): every synthetic case that reached the active phase has
an approved plan, through the services (`synth_plan`) or in bulk for benchmarks (`bulk_plans`)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases.models import Case
from utvei.core.dates import add_months

from . import services
from .models import Goal, GoalDomain, ItemStatus, Measure, Participation, Plan, PlanItem, PlanStatus

GOALS = (
    ("Jeg vil ha en jobb.", GoalDomain.WORK),
    ("Fullføre skoleåret.", GoalDomain.EDUCATION),
    ("Egen leilighet.", GoalDomain.HOUSING),
    ("Nye venner utenfor miljøet.", GoalDomain.NETWORK),
    ("Bedre kontakt med familien.", GoalDomain.FAMILY),
    ("Sove bedre og være mindre redd.", GoalDomain.HEALTH),
    ("Bli kvitt gjelda.", GoalDomain.FINANCES),
)


def _measures() -> list[Measure]:
    """The built-in toolbox, loaded from its data file first if the database has none (a fresh or flushed one)."""
    if not Measure.objects.filter(owner_org__isnull=True).exists():
        services.measures_sync()
    return list(Measure.objects.filter(active=True, owner_org__isnull=True).order_by("position"))


def synth_plan(*, actor: Membership, case: Case, rng: random.Random) -> Plan:
    """A small approved plan through the services: one or two goals, one to three items."""
    plan = services.plan_create(actor=actor, case=case)
    goals = []
    for text, domain in rng.sample(GOALS, rng.randint(1, 2)):
        fresh = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
        goals.append(services.goal_add(actor=actor, plan=fresh, text=text, domain=domain))
    for measure in rng.sample(_measures(), rng.randint(1, 3)):
        fresh = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
        services.item_add(
            actor=actor, plan=fresh, measure=measure, goal=rng.choice(goals), responsible_org=actor.organisation
        )
    plan = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
    services.plan_update(actor=actor, plan=plan, expected_version=plan.version, participation=Participation.PERSON)
    plan = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
    return services.plan_approve(actor=actor, plan=plan, expected_version=plan.version)


def bulk_plans(
    rows: list[tuple[Case, dt.datetime, bool]],
    *,
    coord: Membership,
    rng: random.Random,
    event: Callable[..., Any],
) -> int:
    """Approved plans for (case, approved at, measures ended) rows, written in bulk: one goal, one item each."""
    if not rows:
        return 0
    measures = _measures()
    plans = Plan.objects.bulk_create(
        [
            Plan(
                case=case,
                number=1,
                status=PlanStatus.APPROVED,
                participation=Participation.PERSON,
                review_due=add_months(at.date(), 3),
                author_id=coord.user_id,
                author_org_id=coord.organisation_id,
                created_at=at,
                updated_at=at,
                approved_by_id=coord.user_id,
                approved_org_id=coord.organisation_id,
                approved_at=at,
                version=4,
            )
            for case, at, _ended in rows
        ]
    )
    goals = Goal.objects.bulk_create(
        [
            Goal(plan=p, position=1, text=text, domain=domain, created_by_id=coord.user_id, created_at=p.created_at)
            for p in plans
            for text, domain in [rng.choice(GOALS)]
        ]
    )
    PlanItem.objects.bulk_create(
        [
            PlanItem(
                plan=p,
                position=1,
                measure=rng.choice(measures),
                goal=g,
                responsible_org_id=coord.organisation_id,
                status=ItemStatus.DONE if ended else ItemStatus.ONGOING,
                created_by_id=coord.user_id,
                created_at=p.created_at,
            )
            for p, g, (_case, _at, ended) in zip(plans, goals, rows, strict=True)
        ]
    )
    for p in plans:
        event(Action.PLAN_CREATE, p, case=p.case)
        event(Action.PLAN_APPROVE, p, case=p.case)
    return len(plans)
