from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.audit.services import audit_checkpoint, audit_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. `audit verify` checks the hash chain and its signed checkpoints and exits non-zero at the "
        "first break; `audit checkpoint` signs the chain's current end (run it from a timer, e.g. hourly)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "checkpoint"])

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["subcommand"] == "checkpoint":
            cp = audit_checkpoint()
            self.stdout.write(f"checkpoint at sequence {cp.seq}" if cp else "nothing to sign: the log is empty")
            return
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"OK: {result.checked} events, chain intact")
            return
        raise CommandError(
            f"BROKEN at sequence {result.broken_seq}: {result.problem} ({result.checked} verified before it)"
        )
