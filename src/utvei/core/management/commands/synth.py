"""`utvei synth --persons N`: see utvei.core.synthetic for what it writes and how.

Nothing that needs Django's apps is imported at the top: `--jobs` starts fresh processes that import this module
(for `_worker`) before they set Django up.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

BATCH = 500  # persons per batch: utvei.core.synthetic.BATCH (not imported here, see above)
AUTO_JOBS_FROM = 5000  # persons from which --jobs defaults to 2


class Progress:
    """A progress bar of our own on a text stream: persons written of N, the rate and the time left.

    On a terminal it redraws one line (at most ten times a second) and ends it when done; on anything else it
    writes a plain line every few seconds, and only when asked (`--progress`), so logs, pipes and tests stay quiet.
    """

    WIDTH = 24

    def __init__(self, total: int, emit: Callable[[str], None], *, terminal: bool) -> None:
        self.total, self.emit, self.terminal = total, emit, terminal
        self.start = self.last = time.monotonic()
        self.drawn = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.last < (0.1 if self.terminal else 5.0):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        left = (self.total - done) / rate if rate else 0.0
        filled = self.WIDTH * done // self.total
        line = (
            f"synth [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{self.total:,} persons "
            f"{100 * done // self.total}%  {rate:,.0f}/s  {left:.0f} s left"
        )
        self.emit(f"\r{line}\033[K" if self.terminal else f"{line}\n")
        self.drawn = True

    def close(self) -> None:
        if self.drawn and self.terminal:
            self.emit("\n")


class Command(BaseCommand):
    help = (
        "Create N synthetic persons with cases, teams, entries, tasks, plans and outcome data (measurements, "
        "events, follow-ups) (UTVEI_DEMO=1 or UTVEI_DEBUG=1 only)."
    )
    # The system checks import every URL module (the analytics, the PDF report) and take longer than writing
    # thousands of persons; `migrate` and the server run them, and this command uses none of what they check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help="how many persons (one case each)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable content")
        parser.add_argument(
            "--method",
            choices=["auto", "services", "bulk"],
            default="auto",
            help="services: every write through the domain services; bulk: bulk insert, still encrypted and "
            "audited per object; auto (default): services up to 50 persons, bulk above",
        )
        parser.add_argument("--password", default=None, help="password for the synth-* users (default: none usable)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="bulk: processes writing at once, each building its next batch while another writes (default: "
            "2 from 5,000 persons on a machine with 2 or more CPUs, else 1; always 1 inside a transaction or on "
            "an in-memory database)",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="report progress on stderr even when it is not a terminal (on a terminal it always shows, "
            "unless --verbosity 0)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from utvei.audit.models import AuditHead
        from utvei.cases.models import Case
        from utvei.core.synthetic import synth_bulk, synth_services, synth_world

        if not (settings.DEMO or settings.DEBUG):
            raise CommandError(
                "synth writes invented data and runs only in demo or debug mode: set UTVEI_DEMO=1 or UTVEI_DEBUG=1."
            )
        n = opts["persons"]
        if n < 1:
            raise CommandError("--persons must be at least 1")
        method = opts["method"]
        if method == "auto":
            method = "services" if n <= 50 else "bulk"
        jobs = self._jobs(opts["jobs"], n) if method == "bulk" else 1
        rng = random.Random(opts["seed"])
        events_before = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
        world = synth_world(password=opts["password"])
        progress = self._progress(n, opts)
        start = time.monotonic()
        try:
            if method == "services":
                with transaction.atomic():
                    synth_services(world=world, persons=n, rng=rng, progress=progress)
            elif jobs > 1:
                synth_jobs(jobs=jobs, persons=n, seed=opts["seed"], progress=progress)
            else:
                synth_bulk(world=world, persons=n, rng=rng, progress=progress)
        finally:
            if progress is not None:
                progress.close()
        took = time.monotonic() - start
        events = (AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0) - events_before
        owned = Case.objects.filter(owning_org__slug="synth-kommune").count()
        how = f"{method}, {jobs} processes" if jobs > 1 else method
        self.stdout.write(
            f"synth ({how}): {n} persons with one case each in {took:.1f} s ({n / max(took, 1e-9):,.0f} "
            f"persons/s); {events} audit events written. "
            f"synth-koordinator (Syntetisk kommune) now owns {owned} cases."
        )

    def _jobs(self, asked: int | None, persons: int) -> int:
        if asked is not None and asked < 1:
            raise CommandError("--jobs must be at least 1")
        in_memory = getattr(connection, "is_in_memory_db", lambda: False)()  # SQLite's wrapper has it
        if connection.in_atomic_block or in_memory:  # other processes would not see this transaction or database
            if asked is not None and asked > 1:
                raise CommandError("--jobs above 1 needs a database other processes see, outside a transaction")
            return 1
        if asked is None:  # another process starts in a second or two: worth it from a few thousand persons on
            asked = min(2, os.cpu_count() or 1) if persons >= AUTO_JOBS_FROM else 1
        return max(1, min(asked, -(-persons // BATCH)))  # no more processes than batches

    def _progress(self, total: int, opts: dict[str, Any]) -> Progress | None:
        terminal = self.stderr.isatty()
        if opts["verbosity"] < 1 or not (terminal or opts["progress"]):
            return None

        def emit(text: str) -> None:  # as it is: no line ending added, not coloured as an error
            self.stderr.write(text, style_func=lambda x: x, ending="")
            self.stderr.flush()

        return Progress(total, emit, terminal=terminal)


# ---- Several processes -----------------------------------------------------------------------------------


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
    numbers in its own lane (utvei.core.synthetic.bulk_write). `progress` is told the persons written by all so
    far. The synthetic world must exist (synth_world); not inside a transaction, nor on an in-memory database:
    the other processes would not see them."""
    from utvei.core.synthetic import synth_bulk, synth_world

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

    from utvei.core.synthetic import synth_bulk, synth_world

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
