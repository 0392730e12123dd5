"""`utvei synth --jobs N`: the bulk writer in N processes at once.

Nothing that needs Django's apps is imported at the top: the processes started here are fresh interpreters that
import this module (for `_worker`) before they set Django up. So the writer (utvei.tools.synthetic) is imported
inside the functions, after that.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection


def synth_jobs(
    *,
    jobs: int,
    persons: int,
    seed: int | None,
    progress: Callable[[int], None] | None = None,
    entries: tuple[int, int] = (3, 10),
) -> None:
    """synth_bulk in `jobs` processes at once: this one and jobs - 1 started for it, sharing one count of the
    persons still to write, each building its next batch while another writes its own (SQLite takes one writer at
    a time and the audit log one appender: they take turns at that; PostgreSQL does the writing in processes of
    its own). Process i draws from Random(seed) for i = 0 and Random(f"{seed}/{i}") after, and makes identity
    numbers in its own lane (utvei.tools.synthetic.bulk_write). `progress` is told the persons written by all so
    far. The synthetic world must exist (synth_world); not inside a transaction, nor on an in-memory database:
    the other processes would not see them."""
    from utvei.tools.synthetic import synth_bulk, synth_world

    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this one's connections
    left = context.Value("q", persons)
    reports = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(connection.settings_dict["NAME"], settings.UTVEI_KEYRING, left, reports, i, jobs, seed, entries),
            name=f"synth-{i}",
            daemon=True,
        )
        for i in range(1, jobs)
    ]
    for w in workers:
        w.start()
    written = [0] * jobs
    failed: list[str] = []

    def drain(wait: float | None) -> None:
        while True:
            try:
                kind, i, value = reports.get(timeout=wait) if wait else reports.get_nowait()
            except queue.Empty:
                return
            wait = None
            if kind == "written":
                written[i] = value
                if progress is not None:
                    progress(sum(written))
            else:
                failed.append(value)
                _stop(left)

    def mine(done: int) -> None:
        written[0] = done
        drain(None)
        if progress is not None:
            progress(sum(written))

    try:
        synth_bulk(
            world=synth_world(),
            persons=0,
            rng=random.Random(seed),
            entries=entries,
            progress=mine,
            claim=lambda most: _claim(left, most),
            lane=(0, jobs),
        )
    except BaseException:
        _stop(left)
        raise
    finally:
        while any(w.is_alive() for w in workers):
            drain(0.5)
        drain(None)
        for w in workers:
            w.join()
    if failed:
        raise CommandError("a synth process failed:\n" + "\n".join(failed))
    if broken := [w.name for w in workers if w.exitcode != 0]:
        raise CommandError(f"synth processes ended before they were done: {', '.join(broken)}")


def _claim(left: Any, most: int) -> int:
    """Take up to `most` persons from the shared count of those still to write."""
    with left.get_lock():
        n = min(most, left.value)
        left.value -= n
    return n


def _stop(left: Any) -> None:
    with left.get_lock():
        left.value = 0


def _worker(
    name: str,
    keyring: str,
    left: Any,
    reports: Any,
    i: int,
    jobs: int,
    seed: int | None,
    entries: tuple[int, int],
) -> None:
    """Process i of synth_jobs: Django set up afresh on the same database and keyring as the first process (a
    test's or a benchmark's scratch ones too), then synth_bulk on the shared count, reporting the persons written
    (or the failure) to the first process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "utvei.settings")
    import django

    django.setup()
    from django.db import connections

    from utvei.tools.synthetic import synth_bulk, synth_world

    connections["default"].settings_dict["NAME"] = name
    settings.UTVEI_KEYRING = keyring  # read on first use, below
    try:
        synth_bulk(
            world=synth_world(),
            persons=0,
            rng=random.Random(None if seed is None else f"{seed}/{i}"),
            entries=entries,
            progress=lambda done: reports.put(("written", i, done)),
            claim=lambda most: _claim(left, most),
            lane=(i, jobs),
        )
    except BaseException:
        reports.put(("failed", i, traceback.format_exc()))
        raise
    finally:
        connections.close_all()
