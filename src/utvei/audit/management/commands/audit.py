from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks the hash chain and exits non-zero at the first break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **opts: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"OK: {result.checked} events, chain intact")
            return
        raise CommandError(
            f"BROKEN at sequence {result.broken_seq}: {result.problem} ({result.checked} verified before it)"
        )
