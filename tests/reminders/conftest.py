"""A case led by kari with something overdue of each kind, and helpers to make things overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.plans.helpers import approved_plan
from utvei.assessments.models import Assessment
from utvei.assessments.services import instruments_sync
from utvei.cases import services as case_services
from utvei.cases.models import Case, Task, TeamRole
from utvei.plans.models import Plan

NAME = "Rikke Remindersen"


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@dataclass
class ReminderWorld:
    world: Any
    case: Case

    @property
    def m(self) -> Any:
        return self.world.m

    def task(self, *, assignee: str = "kari", days: int = 3, title: str = "Ring skolen om Rikke") -> Task:
        """An open task on the case, `days` overdue."""
        return case_services.task_create(
            actor=self.m["kari"], case=self.case, title=title, assignee=self.m[assignee].user, due_on=days_ago(days)
        )

    def review(self, *, days: int = 5) -> Plan:
        """The case's approved plan, its review `days` overdue."""
        plan = Plan.objects.filter(case=self.case, status="approved").first() or approved_plan(self.world, self.case)
        Plan.objects.filter(pk=plan.pk).update(review_due=days_ago(days))
        return Plan.objects.get(pk=plan.pk)

    def reassessment(self, *, by: str = "kari", days: int = 7, **kw: Any) -> Assessment:
        """A final assessment (by `by`) whose reassessment date passed `days` ago."""
        from tests.assessments.helpers import final

        a = final(self.world, self.case, by=by, **kw)
        Assessment.objects.filter(pk=a.pk).update(reassessment_due=days_ago(days))
        return Assessment.objects.get(pk=a.pk)

    def set_lead(self, username: str) -> None:
        self.case.refresh_from_db()
        case_services.case_update(
            actor=self.m["kari"], case=self.case, expected_version=self.case.version, lead=self.m[username].user
        )
        self.case.refresh_from_db()


@pytest.fixture
def rw(world: Any) -> ReminderWorld:
    """kari (municipality coordinator) opens and leads the case; ola (caseworker), per (police) and mona (mentor,
    NGO) are on the team. kari and mona have e-mail addresses."""
    instruments_sync()
    case = world.open_case(name=NAME)
    world.add(case, "ola")
    world.add(case, "per")
    world.add(case, "mona", role=TeamRole.MENTOR)
    for username in ("kari", "ola", "mona"):
        user = world.m[username].user
        user.email = f"{username}@example.org"
        user.save(update_fields=["email"])
    case.refresh_from_db()
    return ReminderWorld(world, case)
