from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.sharing.catalogue import DATA_FILE, CatalogueError
from utvei.sharing.consent.services import legal_bases_sync


class Command(BaseCommand):
    help = (
        "The catalogue of legal bases. `legalbases sync` loads src/utvei/sharing/data/legal_bases.yaml: new keys "
        "are created, changed entries get a new version and revision, unchanged ones are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["sync"])
        parser.add_argument("--file", type=Path, default=DATA_FILE, help="Another data file (default: the built-in).")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            summary = legal_bases_sync(path=opts["file"])
        except (CatalogueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write("OK: catalogue changed" if summary.changed else "OK: nothing to change")
