"""Builds the scenario of table.py in a `world`: one case, its team, one entry per ENTRIES row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from utvei.cases.models import Case, Entry

from .table import ENTRIES, TEAM


@dataclass
class Scenario:
    case: Case
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    secrets: dict[tuple[str, str], str] = field(default_factory=dict)


def build(world) -> Scenario:  # type: ignore[no-untyped-def]
    case = world.open_case(name="Scenario Person")
    for username, role in TEAM.items():
        if username != "kari":
            world.add(case, username, role=role)
    sc = Scenario(case)
    for author, classification in ENTRIES:
        secret = f"SECRET-{author}-{classification}-{uuid.uuid4().hex[:8]}"
        sc.entries[(author, classification)] = world.entry(case, author, classification, secret)
        sc.secrets[(author, classification)] = secret
    return sc
