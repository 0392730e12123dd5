"""Case list for a coordinator who owns every case: page time and queries at 100 and 1000 cases.

Cases come from the bulk writer of `utvei synth` (encrypted, audited), all owned by Syntetisk kommune, so its
coordinator sees every one. Measured: GET /cases/ (the page as a browser gets it: middleware, session, access
policy, audit event, template) and the selector `case_list` evaluated alone.
"""

from __future__ import annotations

import random
from typing import Any

from utvei.cases.models import Phase
from utvei.cases.selectors import case_list
from utvei.tools.synthetic import synth_bulk, synth_world

SIZES = {"small": [100], "full": [100, 1000]}


def run(ctx: Any) -> dict[str, Any]:
    world = synth_world()
    coord = world.coordinator
    rng = random.Random(1)
    rows = []
    have = 0
    for n in ctx.pick(SIZES):
        synth_bulk(world=world, persons=n - have, rng=rng)
        have = n
        ctx.log(f"{n} cases")
        visible = case_list(actor=coord, audit=False)
        row: dict[str, Any] = {
            "cases": n,
            "open_cases_listed": visible.exclude(phase=Phase.CLOSED).count(),
            "selector": ctx.measure(lambda: list(case_list(actor=coord, audit=False)), repeat=10),
            "selector_queries": ctx.queries(lambda: list(case_list(actor=coord, audit=False))),
        }
        row.update(ctx.page(coord, "case_list"))
        rows.append(row)
    return {"viewer": "coordinator of the owning organisation (synth-koordinator)", "sizes": rows}
