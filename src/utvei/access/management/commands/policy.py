from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.access import table


class Command(BaseCommand):
    help = (
        "The access policy for timeline items as a table (access/table.py, docs/policy-table.md). "
        "`policy rules` prints the ordered rules (the first that matches decides); `policy table` prints every "
        "combination that can occur with its outcome and the rule that decided it. Filter the table with "
        "--role, --sector, --relation, --classification, --category, --basis, --outcome."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["table", "rules"])
        parser.add_argument("--format", choices=["markdown", "csv", "json"], default="markdown")
        for dimension, values in table.DIMENSIONS.items():
            parser.add_argument(f"--{dimension}", choices=values, help=f"Only rows with this {dimension}.")
        parser.add_argument("--outcome", choices=[o.value for o in table.Outcome])

    def handle(self, *args: Any, **opts: Any) -> None:
        fmt = opts["format"]
        if opts["subcommand"] == "rules":
            columns = ["#", "rule", *table.DIMENSIONS, "outcome", "says"]
            records = [
                [str(n), r.key, *(r.describe(d) for d in table.DIMENSIONS), r.outcome.value, r.says]
                for n, r in enumerate(table.RULES, 1)
            ]
        else:
            wanted = {d: opts[d] for d in (*table.DIMENSIONS, "outcome") if opts.get(d)}
            columns = [*table.DIMENSIONS, "outcome", "rule"]
            records = [
                [str(v) for v in row.as_dict().values()]
                for row in table.rows()
                if all(getattr(row, d) == v for d, v in wanted.items())
            ]
            if not records:
                raise CommandError("No rows match.")
        self._print(fmt, columns, records)

    def _print(self, fmt: str, columns: list[str], records: list[list[str]]) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in records], indent=1))
        elif fmt == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(records)
        else:
            self.stdout.write("| " + " | ".join(columns) + " |")
            self.stdout.write("|" + "---|" * len(columns))
            for r in records:
                self.stdout.write("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
