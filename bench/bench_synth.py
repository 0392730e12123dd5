"""`utvei synth` in bulk: persons written a second at 1,000 (small) and 10,000 (full) persons, in one process and
in two (--jobs 2). Issue 11's target: at least 1,000 a second on a 2-core machine.

Each run is the command as a user runs it (`utvei synth --persons N --seed 1 --jobs J`) on an empty database:
the synthetic organisations and users, then every person with a case, team, phases, concerns, entries and
their revisions, tasks, plans, outcome data (follow-ups, measurements, outcome events, plan exposure and
reviews), encrypted and with one audit event per object. Measured: its wall time, once (a run is long and
writes much; the machine's other load shows, so read it with `load_1min`), and the audit chain verified after.
"""

from __future__ import annotations

import os
import time
from io import StringIO
from typing import Any

from django.core.management import call_command

from utvei.audit.models import AuditEvent
from utvei.audit.services import audit_verify
from utvei.cases.models import Case

SIZES = {"small": [1000], "full": [10_000]}


def run(ctx: Any) -> dict[str, Any]:
    rows = []
    for n in ctx.pick(SIZES):
        for jobs in (1, 2):
            call_command("flush", interactive=False, verbosity=0)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            call_command("synth", "--persons", str(n), "--seed", "1", "--jobs", str(jobs), stdout=StringIO())
            took = time.perf_counter() - started
            verify_started = time.perf_counter()
            verified = audit_verify()
            row = {
                "persons": n,
                "jobs": jobs,
                "seconds": round(took, 2),
                "persons_per_s": round(n / took),
                "cases": Case.objects.count(),
                "audit_events": AuditEvent.objects.count(),
                "audit_verify_ok": verified.ok,
                "audit_verify_s": round(time.perf_counter() - verify_started, 2),
                "load_1min": round(load, 2),
            }
            ctx.log(f"{n} persons, {jobs} process(es): {took:.1f} s, {row['persons_per_s']}/s (load {load:.1f})")
            rows.append(row)
    return {"target_persons_per_s": 1000, "runs": rows}
