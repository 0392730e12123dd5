"""The large tables on the second database: a sample, not nothing.

`make test` runs every test on SQLite and again on PostgreSQL. A few tests are tables of thousands of requests (the
URL walk, the policy table, the schema-driven API requests) whose every row runs on SQLite; on PostgreSQL
(`make test-pg` sets UTVEI_TEST_SAMPLE=1) they run on a sample, so the whole of `make test` stays within its
20 minutes while PostgreSQL still answers every kind of request. The sample is drawn from a seed that changes
every day, so that day by day the second database sees the whole table; the seed is printed in pytest's header
and UTVEI_TEST_SAMPLE_SEED repeats a run's sample exactly. UTVEI_TEST_SAMPLE unset (or 0): every row, as on
SQLite.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from typing import TypeVar

import pytest

T = TypeVar("T")

SAMPLED = os.environ.get("UTVEI_TEST_SAMPLE", "") not in ("", "0")
# Set in the environment by the first process that reads it (tests/conftest.py imports this module), so that the
# pytest-xdist workers it starts draw the same sample even across midnight.
SEED = int(os.environ.setdefault("UTVEI_TEST_SAMPLE_SEED", str(dt.date.today().toordinal())))


def pick(items: Sequence[T], share: float, *, salt: str) -> list[T]:
    """Every item, or (sampling) a `share` of them, at least one, in their own order: the same items for the same
    seed and salt, whichever worker draws them."""
    if not SAMPLED:
        return list(items)
    k = max(1, round(len(items) * share))
    chosen = set(random.Random(f"{SEED}:{salt}").sample(range(len(items)), k))
    return [item for i, item in enumerate(items) if i in chosen]


def draw(items: list[pytest.Item]) -> None:
    """Mark the rows of every `@pytest.mark.sampled(share)` table that the sample did not draw as skipped (before
    their fixtures are made), naming the seed. A table is one test function's rows, in collection order."""
    if not SAMPLED:
        return
    tables: dict[tuple[str, str], list[pytest.Item]] = {}
    for item in items:
        if item.get_closest_marker("sampled") is not None:
            tables.setdefault((item.nodeid.split("::")[0], getattr(item, "originalname", item.name)), []).append(item)
    reason = f"not in today's sample on the second database (tests/sampling.py, UTVEI_TEST_SAMPLE_SEED={SEED})"
    for (module, name), rows in tables.items():
        marker = rows[0].get_closest_marker("sampled")
        share = float(marker.kwargs.get("share", marker.args[0] if marker.args else 0.25))  # type: ignore[union-attr]
        drawn = {row.nodeid for row in pick(rows, share, salt=f"{module}::{name}")}
        for row in rows:
            if row.nodeid not in drawn:
                row.add_marker(pytest.mark.skip(reason=reason))


def header() -> str:
    if not SAMPLED:
        return "large tables: every row"
    return f"large tables: a sample (UTVEI_TEST_SAMPLE_SEED={SEED} repeats it; tests/sampling.py)"
