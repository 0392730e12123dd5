"""Helpers for the retention tests: close a case at a chosen moment, move the clock by passing `now`; the
anonymisation tests share the demo load of tests/tools/test_demo.py (loaded once per module)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.tools.test_demo import _demo_once, demo  # noqa: F401  # fixtures
from utvei.cases import services as case_services
from utvei.cases.models import Case

CLOSED_AT = timezone.make_aware(dt.datetime(2026, 1, 15, 12, 0))


def at(year: int, month: int, day: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 12, 0))


@pytest.fixture
def closed_case(world: Any) -> Any:
    """A case of the municipality, closed with a reason on CLOSED_AT; kari (coordinator) leads it, ola is on the
    team."""

    def make(*, track: str = "exit", reason: str = "goals_met", name: str = "Test Testesen") -> Case:
        case = world.open_case(track=track, name=name)
        world.add(case, "ola")
        world.entry(case, "ola", body="Samtale om jobb")
        case_services.case_close(actor=world.m["kari"], case=case, reason=reason, summary="Avsluttet.")
        Case.objects.filter(pk=case.pk).update(closed_at=CLOSED_AT)
        return Case.objects.select_related("owning_org", "lead", "person").get(pk=case.pk)

    return make
