"""`utvei alerts scan`: queue unusual access for the DPO's review (docs/oversight.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.oversight.detector import alerts_scan
from utvei.oversight.rules import RulesError


class Command(BaseCommand):
    help = (
        "Unusual access (docs/oversight.md). `scan` reads the audit log from where the last scan stopped and queues "
        "the hits of the rules in oversight/data/alert_rules.yaml for the data protection officer; running it again "
        "queues nothing twice. The worker `utvei serve` starts does it every UTVEI_ALERT_SCAN_INTERVAL minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["scan"])

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = alerts_scan()
        except RulesError as exc:
            raise CommandError(f"the rules file: {exc}") from exc
        rules = ", ".join(f"{k} {v}" for k, v in sorted(result.by_rule.items()))
        self.stdout.write(
            f"scanned {result.scanned} events up to sequence {result.last_seq}: "
            f"{result.created} new alerts{f' ({rules})' if rules else ''}, {result.updated} updated"
        )
