"""`utvei keys status` and `utvei keys rotate` (docs/encryption.md)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.core import rotation
from utvei.core.crypto import KeyringError
from utvei.core.keystore import KeyStoreError


class ProgressBar:
    """A plain progress bar on stderr: `[#####.....]  50%  1200/2400 rows`, redrawn at most ten times a second
    (on a terminal) or once per tenth of the way (into a file)."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self.last_draw = 0.0
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        total = max(total, done, 1)
        share = done / total
        now = time.monotonic()
        tenth = int(share * 10)
        if self.tty:
            if now - self.last_draw < 0.1 and done < total:
                return
        elif tenth == self.last_tenth and done < total:
            return
        self.last_draw, self.last_tenth = now, tenth
        filled = int(share * self.width)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%}  {done}/{total} rows"
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "The encryption keys (docs/encryption.md). `status` says, per master key, how many values it still "
        "protects (per column), which key is active and which are retired, and how many person data keys exist, "
        "are destroyed, and under which master key they are wrapped. `rotate` adds a master key, makes it active, "
        "moves every encrypted value under it (a value about a person under that person's data key), and retires "
        "the old keys (kept in the keyring, marked retired; --drop removes them instead). It is safe while the "
        "server runs, and resumes where it stopped when run again after a crash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["status", "rotate"])
        parser.add_argument(
            "--drop",
            action="store_true",
            help="rotate: remove the old keys from the keyring when done (a backup older than this can no "
            "longer be read with this keyring)",
        )
        parser.add_argument("--no-progress", action="store_true", help="rotate: no progress bar on stderr")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["subcommand"] == "status":
                for line in rotation.summary(rotation.status()):
                    self.stdout.write(line)
                return
            bar = None if opts["no_progress"] else ProgressBar(getattr(self.stderr, "_out", sys.stderr))
            try:
                result = rotation.rotate(drop=opts["drop"], progress=bar)
            finally:
                if bar is not None:
                    bar.close()
        except (KeyringError, KeyStoreError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{'resumed; ' if result.resumed else ''}active key {result.new_key}; {result.rewritten} values "
            f"rewritten, {result.skipped_changed} changed meanwhile and left as written, "
            f"{result.data_keys_rewrapped} person data keys wrapped again"
        )
        if result.retired:
            self.stdout.write(f"retired (kept in the keyring for older backups): {', '.join(result.retired)}")
        if result.dropped:
            self.stdout.write(f"dropped from the keyring: {', '.join(result.dropped)}")
