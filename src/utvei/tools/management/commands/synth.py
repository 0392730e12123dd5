"""`utvei synth --persons N`: see utvei.tools.synthetic for what it writes and how, and utvei.tools.synth_jobs for
`--jobs`.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from utvei.audit.models import AuditHead
from utvei.cases.models import Case
from utvei.tools.synth_jobs import synth_jobs
from utvei.tools.synthetic import BATCH, synth_bulk, synth_services, synth_world

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
