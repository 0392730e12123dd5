"""`utvei synth --persons N`: see utvei.core.synthetic for what it writes and how."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from utvei.audit.models import AuditHead
from utvei.cases.models import Case
from utvei.core.synthetic import synth_bulk, synth_services, synth_world


class Command(BaseCommand):
    help = (
        "Create N synthetic persons with cases, teams, entries, tasks, plans and outcome data (measurements, "
        "events, follow-ups) (UTVEI_DEMO=1 or UTVEI_DEBUG=1 only)."
    )

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
        parser.add_argument("--password", default=None, help="password for the synth-* users (default: random)")

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
        rng = random.Random(opts["seed"])
        events_before = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
        world = synth_world(password=opts["password"])
        if method == "services":
            with transaction.atomic():
                synth_services(world=world, persons=n, rng=rng)
        else:
            synth_bulk(world=world, persons=n, rng=rng)
        events = (AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0) - events_before
        owned = Case.objects.filter(owning_org__slug="synth-kommune").count()
        self.stdout.write(
            f"synth ({method}): {n} persons with one case each; {events} audit events written. "
            f"synth-koordinator (Syntetisk kommune) now owns {owned} cases."
        )
