from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve Utvei with waitress on 127.0.0.1:$PORT (default 8000), with the background worker (reminders every "
        "UTVEI_REMINDER_INTERVAL minutes) in a thread unless --no-worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run the reminder worker in this process (run `utvei reminders` from a timer, or "
            "`utvei reminders --loop`, instead)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import serve  # type: ignore[import-untyped,unused-ignore]

        from utvei.wsgi import application

        stop = None
        if not opts["no_worker"]:
            from utvei.cases.reminders import reminders_run
            from utvei.core import worker

            minutes = settings.UTVEI_REMINDER_INTERVAL
            _thread, stop = worker.start(reminders_run, interval=minutes * 60, name="reminders")
            self.stdout.write(f"Reminder worker: a pass every {minutes} min (--no-worker to turn off)")
        self.stdout.write(f"Utvei serving on http://{opts['host']}:{opts['port']}/")
        try:
            serve(application, host=opts["host"], port=opts["port"], threads=opts["threads"], ident="utvei")
        finally:
            if stop is not None:
                stop.set()
