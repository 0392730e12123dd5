from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.assessments.instruments import InstrumentError
from utvei.assessments.models import Instrument
from utvei.assessments.services import instrument_load, instruments_sync


class Command(BaseCommand):
    help = (
        "Assessment instruments. `instruments sync` loads the built-in files (src/utvei/assessments/data/*.yaml); "
        "`instruments load PATH` loads one from a local file, such as a licensed instrument whose item texts must "
        "not be committed (format: docs/assessments.md); `instruments list` shows what is loaded. A version in use "
        "by an assessment is never changed: a changed file needs a new version number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["sync", "load", "list"])
        parser.add_argument("path", nargs="?", type=Path, help="The local YAML file (load only).")

    def handle(self, *args: Any, **opts: Any) -> None:
        sub, path = opts["subcommand"], opts["path"]
        if sub == "list":
            for instrument in Instrument.objects.prefetch_related("versions").order_by("key"):
                versions = ", ".join(f"v{v.version} ({v.source})" for v in instrument.versions.all())
                self.stdout.write(f"{instrument.key}\t{instrument.licence}\t{instrument.name_en}\t{versions}")
            return
        if sub == "load" and path is None:
            raise CommandError("instruments load needs the path of a local YAML file")
        if sub == "sync" and path is not None:
            raise CommandError("instruments sync takes no path; use `instruments load PATH` for a local file")
        try:
            summary = instrument_load(path=path) if sub == "load" else instruments_sync()
        except (InstrumentError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write("OK: instruments changed" if summary.changed else "OK: nothing to change")
