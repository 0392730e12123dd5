"""`audit_verify()` over a hash chain of 10 000 and 100 000 events, and the cost of appending to it.

Events are appended in bulk to the real chain (the writer `utvei synth` uses; same hashing as
`audit_record`), then the whole chain is verified from the first event: events per second from the median of
five runs. Issue 11's target: at least 200,000 events per second at 100,000 events, on SQLite and on
PostgreSQL (`verify_events_per_s_at_100000`). Appending one event at a time through `audit_record` (what every
request does) is measured separately.
"""

from __future__ import annotations

import time
from typing import Any

from utvei.audit.models import Action
from utvei.audit.services import audit_record, audit_verify
from utvei.audit.services import audit_record_many as audit_append_many

SIZES = {"small": [10_000], "full": [10_000, 100_000]}
CHUNK = 10_000
TARGET_EVENTS = 100_000
TARGET_PER_S = 200_000


def _rows(n: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "actor_id": 1 + (start + i) % 40,
            "actor_org_id": 1 + (start + i) % 9,
            "action": Action.CASE_VIEW if i % 3 else Action.ENTRY_VIEW,
            "object_type": "case",
            "object_id": f"{start + i:032x}",
            "case_id": f"{(start + i) % 997:032x}",
            "reason": "bench",
        }
        for i in range(n)
    ]


def run(ctx: Any) -> dict[str, Any]:
    rows = []
    have = 0
    for n in ctx.pick(SIZES):
        started = time.perf_counter()
        while have < n:
            k = min(CHUNK, n - have)
            audit_append_many(_rows(k, have))
            have += k
        append_s = time.perf_counter() - started
        ctx.log(f"{n} events")
        result = audit_verify()
        timing = ctx.measure(audit_verify, repeat=5, warmup=0)
        per_s = round(n / (timing["median_ms"] / 1000))
        ctx.log(f"verify: {per_s} events/s (median of {timing['runs']})")
        rows.append(
            {
                "events": n,
                "ok": result.ok,
                "checked": result.checked,
                "verify": timing,
                "verify_events_per_s": per_s,
                "verify_events_per_s_best": round(n / (timing["min_ms"] / 1000)),
                "bulk_append_events_per_s": round(n / append_s) if n == have and append_s else None,
            }
        )
    at_target = next((r["verify_events_per_s"] for r in rows if r["events"] == TARGET_EVENTS), None)
    single = 500
    started = time.perf_counter()
    for i in range(single):
        audit_record(action=Action.CASE_VIEW, object_type="case", object_id=f"{i:032x}", reason="bench")
    per_event_ms = (time.perf_counter() - started) * 1000 / single
    return {
        "verify_events_per_s_at_100000": at_target,
        "target_events_per_s": TARGET_PER_S,
        "sizes": rows,
        "audit_record_ms_per_event": round(per_event_ms, 3),
    }
