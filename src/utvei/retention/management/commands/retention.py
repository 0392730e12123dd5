from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from utvei.core.crypto import KeyringError, decrypt_bytes
from utvei.retention.rules import RulesError, load_rules
from utvei.retention.run import archive_context, retention_run


class Command(BaseCommand):
    help = (
        "Retention (docs/retention.md). `retention run` takes every step the rules in "
        "src/utvei/retention/data/rules.yaml say is due — restrict, anonymise, delete, export for archiving — once, "
        "one transaction per case, audited, skipping cases under a legal hold; `--dry-run` lists what it would do "
        "and why, per rule, and changes nothing. `retention rules` prints the rules; `retention open-archive FILE` "
        "prints an archive file's JSON (it needs the keyring that wrote it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["run", "rules", "open-archive"])
        parser.add_argument("file", nargs="?", help="open-archive: the file")
        parser.add_argument("--dry-run", action="store_true", help="run: list what is due and why; change nothing")
        parser.add_argument("--today", help="run: act as if today were this date (YYYY-MM-DD), e.g. to look ahead")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, opts["subcommand"].replace("-", "_"))(opts)
        except (RulesError, KeyringError) as exc:
            raise CommandError(str(exc)) from exc

    def run(self, opts: dict[str, Any]) -> None:
        now = timezone.now()
        if opts["today"]:
            try:
                day = dt.date.fromisoformat(opts["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date, YYYY-MM-DD") from exc
            now = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        rules = load_rules()
        result = retention_run(now=now, dry_run=opts["dry_run"], rules=rules)
        if opts["dry_run"]:
            self.stdout.write(
                f"DRY RUN (rules v{rules.version}, {timezone.localdate(now).isoformat()}): nothing changed"
            )
            for p in result.planned:
                self.stdout.write("  " + p.line())
            if not result.planned:
                self.stdout.write("  nothing due")
            return
        self.stdout.write(f"retention (rules v{rules.version}): {result.summary()}")
        for p in result.planned:
            if p.blocked:
                self.stdout.write("  " + p.line())
        if result.failed:
            raise CommandError(f"{result.failed} case(s) failed; they were left as they were")

    def rules(self, opts: dict[str, Any]) -> None:
        rules = load_rules()
        self.stdout.write(f"rules v{rules.version}")
        for r in rules.rules:
            match = ", ".join(f"{k}={getattr(r, k)}" for k in ("track", "closure_reason", "org_kind") if getattr(r, k))
            then = f" then {r.archive_then}" if r.end == "archive" else ""
            self.stdout.write(
                f"  {r.id} [{match or 'any case'}]: restrict after {r.restrict_after_months} months, "
                f"{r.end}{then} after {r.end_after_months} — {r.statute_en}"
            )

    def open_archive(self, opts: dict[str, Any]) -> None:
        if not opts["file"]:
            raise CommandError("open-archive needs the file")
        path = Path(opts["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path.name}") from exc
        public_id = path.name.split(".", 1)[0]
        data = json.loads(decrypt_bytes(raw, context=archive_context(public_id)))
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
