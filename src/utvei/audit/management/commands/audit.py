from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from utvei.audit import seals
from utvei.audit.grants import runtime_grants
from utvei.audit.services import audit_checkpoint, audit_verify
from utvei.core.crypto import KeyringError
from utvei.core.worker import run_forever


class Command(BaseCommand):
    help = (
        "The audit log (docs/audit.md). `verify` checks the keyed chain, its signed checkpoints and, with --seals, "
        "the seals kept outside the database, and exits non-zero at the first break; `checkpoint` signs and seals "
        "the chain's end (the worker `utvei serve` starts does it every UTVEI_AUDIT_CHECKPOINT_INTERVAL minutes; "
        "--loop does the same here); `pubkey` prints the public key that verifies the seals; `grants ROLE` prints "
        "the PostgreSQL grants of the application's runtime role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "checkpoint", "pubkey", "grants"])
        parser.add_argument("role", nargs="?", help="grants: the runtime role (e.g. utvei_app)")
        parser.add_argument("--seals", help="verify: a seal file, a log with 'audit seal' lines, or a folder of them")
        parser.add_argument("--public-key", help="verify: the PEM public key the seals must be signed with")
        parser.add_argument("--loop", action="store_true", help="checkpoint: keep running, every interval")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, opts["subcommand"])(opts)
        except (KeyringError, seals.SealError) as exc:
            raise CommandError(str(exc)) from exc

    def checkpoint(self, opts: dict[str, Any]) -> None:
        if opts["loop"]:
            minutes = settings.UTVEI_AUDIT_CHECKPOINT_INTERVAL
            self.stdout.write(f"audit checkpoint: every {minutes} min, sealed to {seals.seal_path()}")
            run_forever(checkpoint_job, interval=minutes * 60, stop=threading.Event(), name="audit checkpoint")
            return
        cp = audit_checkpoint()
        self.stdout.write(f"checkpoint at sequence {cp.seq}, sealed" if cp else "nothing to sign: the log is empty")

    def verify(self, opts: dict[str, Any]) -> None:
        held = seals.read(opts["seals"]) if opts["seals"] else None
        key = seals.load_public_key(opts["public_key"]) if opts["public_key"] else None
        result = audit_verify(held=held, public_key=key)
        if not result.ok:
            raise CommandError(
                f"BROKEN at sequence {result.broken_seq}: {result.problem} ({result.checked} verified before it)"
            )
        sealed = f"; matches {len(held)} seals held outside, up to {result.sealed_to}" if held else ""
        unsealed = "; no seals given (--seals): events cut from the end cannot be seen" if held is None else ""
        self.stdout.write(f"OK: {result.checked} events, chain intact{sealed}{unsealed}")

    def pubkey(self, opts: dict[str, Any]) -> None:
        key = seals.public_key()
        self.stdout.write(seals.public_key_pem(key).rstrip())
        self.stdout.write(f"# key id {seals.key_id(key)}")

    def grants(self, opts: dict[str, Any]) -> None:
        if not opts["role"]:
            raise CommandError("name the runtime role: utvei audit grants utvei_app")
        if connection.vendor != "postgresql":
            raise CommandError("grants are for PostgreSQL; SQLite has no roles (docs/audit.md)")
        self.stdout.write(runtime_grants(opts["role"]))


def checkpoint_job() -> None:
    """One run of the worker's checkpoint: a new seal is logged as it is written (audit/seals.py); none, no line."""
    audit_checkpoint()
