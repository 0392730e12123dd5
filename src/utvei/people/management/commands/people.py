from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from utvei.people.services import reindex_people


class Command(BaseCommand):
    help = (
        "The persons' search index. `people reindex` rebuilds every person's keyed name and birth-date tokens from "
        "the encrypted identity (after the index key changed, or for persons written before the index existed). "
        "Safe to run twice or to stop halfway."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["reindex"])

    def handle(self, *args: Any, **opts: Any) -> None:
        n = reindex_people()
        self.stdout.write(f"OK: {n} persons indexed")
