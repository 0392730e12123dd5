"""Timeline of one case with 200 entries from six organisations: writing them, and reading them back.

The 200 entries are written through `cases.services.entry_create` (checked, encrypted, audited) by team members
of the municipality, police, school, mental health, NAV and a mentor service, each with a classification their
organisation may write. Read back three ways: the case page GET /cases/<id>/ for the coordinator, and the
`timeline` selector (with every readable body decrypted) for the coordinator, the police caseworker and the
mentor, whose views differ by classification.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.utils import timezone

from utvei.access.policy import case_access, writable_classifications
from utvei.accounts.roles import Role
from utvei.cases import services
from utvei.cases.models import DataCategory, EntryKind, TeamRole, Track
from utvei.cases.selectors import timeline
from utvei.people.services import person_find_or_create
from utvei.tools.synthetic import SENTENCES, synth_world

ENTRIES = 200


def run(ctx: Any) -> dict[str, Any]:
    world = synth_world()
    coord = world.coordinator
    rng = random.Random(2)
    person, _ = person_find_or_create(actor=coord, full_name="Benk Benkesen")
    case = services.case_open(actor=coord, person=person, track=Track.EXIT)
    team = [coord]
    for username in ("synth-politi", "synth-skole", "synth-helse", "synth-nav", "synth-mentor"):
        m = world.m[username]
        role = TeamRole.MENTOR if m.role == Role.MENTOR else TeamRole.CASEWORKER
        services.team_add(actor=coord, case=case, user=m.user, organisation=m.organisation, role=role)
        team.append(m)
    now = timezone.now()
    started = time.perf_counter()
    for i in range(ENTRIES):
        author = rng.choice(team)
        services.entry_create(
            actor=author,
            case=case,
            kind=rng.choice(EntryKind.values),
            classification=rng.choice(writable_classifications(author)),
            category=rng.choice(DataCategory.values),
            title=f"Notat {i + 1}",
            body=" ".join(rng.sample(SENTENCES, 4)),
            occurred_at=now - dt.timedelta(days=ENTRIES - i),
        )
    write_ms = (time.perf_counter() - started) * 1000
    ctx.log(f"{ENTRIES} entries written")

    def read(username: str) -> Any:
        ca = case_access(world.m[username], case)
        assert ca is not None

        def go() -> int:
            items = timeline(ca)
            return sum(len(i.entry.body) for i in items if i.readable)

        readable = sum(1 for i in timeline(ca) if i.readable)
        shown = len(timeline(ca))
        return {
            "shown": shown,
            "readable": readable,
            "selector": ctx.measure(go, repeat=10),
            "queries": ctx.queries(go),
        }

    result: dict[str, Any] = {
        "entries": ENTRIES,
        "write_through_services_ms_per_entry": round(write_ms / ENTRIES, 3),
        "timeline": {u: read(u) for u in ("synth-koordinator", "synth-politi", "synth-mentor")},
    }
    result.update(ctx.page(coord, "case_detail", case.public_id))
    return result
