from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.evaluation.catalogue import DATA_FILE, CatalogueError
from utvei.evaluation.models import Indicator
from utvei.evaluation.services import indicators_sync


class Command(BaseCommand):
    help = (
        "The outcome indicators. `indicators sync` loads src/utvei/evaluation/data/indicators.yaml: new keys are "
        "created, changed entries get a new version and revision, unchanged ones are left alone. `indicators list` "
        "prints them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["sync", "list"])
        parser.add_argument("--file", type=Path, default=DATA_FILE, help="Another data file (default: the built-in).")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["subcommand"] == "list":
            for i in Indicator.objects.order_by("position", "key"):
                state = "" if i.active else " (retired)"
                self.stdout.write(f"{i.key} v{i.version}: {i.scale} {i.min_value}..{i.max_value}, {i.direction}{state}")
            return
        try:
            summary = indicators_sync(path=opts["file"])
        except (CatalogueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write("OK: catalogue changed" if summary.changed else "OK: nothing to change")
