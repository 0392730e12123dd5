from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from utvei.core.worker import run_forever
from utvei.desk.reminders import reminders_run


class Command(BaseCommand):
    help = (
        "Remind case leads of overdue tasks, plan reviews and reassessments: one notification and one e-mail per "
        "item and due date, however often it runs. Runs once; --loop runs it every UTVEI_REMINDER_INTERVAL "
        "minutes (the worker process `utvei serve` starts once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, every UTVEI_REMINDER_INTERVAL minutes")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["loop"]:
            self.stdout.write(str(reminders_run()))
            return

        minutes = settings.UTVEI_REMINDER_INTERVAL
        self.stdout.write(f"reminders: a pass every {minutes} min; stop with Ctrl-C")
        try:
            run_forever(reminders_run, interval=minutes * 60, stop=threading.Event(), name="reminders")
        except KeyboardInterrupt:
            self.stdout.write("stopped")
