"""A case with a mixed team for the network tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from utvei.cases.models import Case, TeamRole


@dataclass
class NetworkWorld:
    world: Any
    case: Case

    @property
    def m(self) -> Any:
        return self.world.m


@pytest.fixture
def nw(world: Any) -> NetworkWorld:
    """A case owned by kari's municipality; ola (municipality), per (police), nils (NAV) and mona (mentor, NGO) on
    the team, each organisation covered by the person's consent for every category."""
    case = world.open_case(name="Nina Nettverk")
    for username in ("ola", "per", "nils"):
        world.add(case, username)
    world.add(case, "mona", role=TeamRole.MENTOR)
    case.refresh_from_db()
    return NetworkWorld(world, case)
