"""A case with a mixed team for the meeting tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from utvei.cases.models import Case, TeamRole


@dataclass
class MeetingWorld:
    world: Any
    case: Case

    @property
    def m(self) -> Any:
        return self.world.m


@pytest.fixture
def mw(world: Any) -> MeetingWorld:
    """A case owned by kari's municipality; ola (municipality), per (police), nils (NAV) and mona (mentor, NGO) on
    the team, each organisation covered by the person's consent."""
    case = world.open_case(name="Mette Møtesen")
    for username in ("ola", "per", "nils"):
        world.add(case, username)
    world.add(case, "mona", role=TeamRole.MENTOR)
    case.refresh_from_db()
    return MeetingWorld(world, case)
