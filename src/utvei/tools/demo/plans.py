"""The demo story's plan step (`do: plan` in tools/data/demo.yaml), told through the plan services.

A plan is drafted by `by` (default: the owning organisation's coordinator), its goals rated on the story's dates,
its items added, approved by the coordinator and reviewed. Afterwards the timestamps the services set to "now" are
moved to the story's date, as the demo loader does for everything else; the audit log keeps the true time.

    - do: plan
      at: 185                      # days ago: drafted and approved
      by: saksbehandler            # optional
      participation: person        # person | guardian | person_and_guardian | did_not_take_part
      goals:
        - {text: "…", domain: network, target: 30, ratings: [{ago: 184, rating: -2}]}   # target: days from today
      items:
        - {measure: mentor, goal: 1, user: mentor, org: fjordvik-mentor, start: -160, end: 20, status: ongoing}
      reviews: [100]               # days ago; each sets the next review three months on
"""

from __future__ import annotations

from typing import Any

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.dates import add_months
from utvei.plans import services
from utvei.plans.models import Goal, GoalRating, Measure, Plan, PlanItem


def _fresh(plan: Plan) -> Plan:
    return Plan.objects.select_related("case", "author_org").get(pk=plan.pk)


def plan_step(loader: Any, case: Case, step: dict[str, Any]) -> Plan:
    clock = loader.clock
    at = clock.at(step["at"])
    approver = loader._manager(case, {})
    drafter = loader.m[step["by"]] if "by" in step else approver
    plan = services.plan_create(actor=drafter, case=case)
    goals: list[Goal] = []
    for g in step["goals"]:
        target = clock.date(g["target"]) if "target" in g else None
        goal = services.goal_add(
            actor=drafter, plan=_fresh(plan), text=g["text"], domain=g["domain"], target_date=target
        )
        for r in g.get("ratings", []):
            goal.plan = _fresh(plan)
            services.goal_rate(actor=drafter, goal=goal, rating=r["rating"], rated_on=clock.date(-r["ago"]))
        goals.append(goal)
    for i in step.get("items", []):
        services.item_add(
            actor=drafter,
            plan=_fresh(plan),
            measure=Measure.objects.get(key=i["measure"]),
            goal=goals[i["goal"] - 1] if "goal" in i else None,
            responsible_org=Organisation.objects.get(slug=i["org"]) if "org" in i else None,
            responsible_user=loader.m[i["user"]].user if "user" in i else None,
            start_on=clock.date(i["start"]) if "start" in i else None,
            end_on=clock.date(i["end"]) if "end" in i else None,
            status=i.get("status", "planned"),
        )
    plan = _fresh(plan)
    services.plan_update(
        actor=drafter,
        plan=plan,
        expected_version=plan.version,
        participation=step.get("participation", "person"),
        participation_note=step.get("participation_note"),
    )
    plan = _fresh(plan)
    services.plan_approve(actor=approver, plan=plan, expected_version=plan.version)
    Plan.objects.filter(pk=plan.pk).update(
        created_at=at, updated_at=at, approved_at=at, review_due=add_months(at.date(), 3)
    )
    Goal.objects.filter(plan=plan).update(created_at=at, updated_at=at)
    GoalRating.objects.filter(goal__plan=plan).update(created_at=at)
    PlanItem.objects.filter(plan=plan).update(created_at=at, updated_at=at)
    for ago in step.get("reviews", []):
        services.plan_review(actor=approver, plan=_fresh(plan), reviewed_on=clock.date(-ago))
    return _fresh(plan)
