from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.plans.catalogue import DATA_FILE, CatalogueError
from utvei.plans.services import measures_sync


class Command(BaseCommand):
    help = (
        "The measure catalogue (the toolbox). `measures sync` loads src/utvei/plans/data/measures.yaml: new keys "
        "are created, changed entries get a new version and revision, unchanged ones are left alone. Local "
        "measures that coordinators added are never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["sync"])
        parser.add_argument("--file", type=Path, default=DATA_FILE, help="Another data file (default: the built-in).")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            summary = measures_sync(path=opts["file"])
        except (CatalogueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write("OK: catalogue changed" if summary.changed else "OK: nothing to change")
