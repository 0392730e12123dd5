"""Fixtures for the API tests: a fresh cache (throttles, one-time codes) and a case with a mixed team."""

from __future__ import annotations

from typing import Any

import pytest

from .api_helpers import CaseWorld


@pytest.fixture
def cw(world: Any) -> CaseWorld:
    """A case owned by kari's municipality with per (police), siri (school) and mona (mentor) on the team,
    and one entry each: police-classified by per, team by siri, mentor by mona."""
    return CaseWorld.build(world)
