"""`utvei worker`: the background work `utvei serve` starts once, in one process of its own beside the web workers —
the reminder pass every UTVEI_REMINDER_INTERVAL minutes (docs/reminders.md) and a signed, sealed audit checkpoint
every UTVEI_AUDIT_CHECKPOINT_INTERVAL minutes (docs/audit.md), the unusual-access scan every
UTVEI_ALERT_SCAN_INTERVAL minutes (docs/oversight.md) and the retention run every UTVEI_RETENTION_INTERVAL
hours (docs/retention.md), each in a thread of its own. SIGTERM or Ctrl-C stops
it after the runs in progress."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from utvei.audit.services import audit_checkpoint
from utvei.core import worker
from utvei.desk.reminders import reminders_run
from utvei.oversight.detector import scan_job
from utvei.retention.run import retention_run


def checkpoint() -> None:
    """A new seal is logged as it is written (audit/seals.py); with nothing new to sign, nothing is logged."""
    audit_checkpoint()


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else ""

    def handle(self, *args: Any, **opts: Any) -> None:
        reminders, seals = settings.UTVEI_REMINDER_INTERVAL, settings.UTVEI_AUDIT_CHECKPOINT_INTERVAL
        alerts = settings.UTVEI_ALERT_SCAN_INTERVAL
        retention = settings.UTVEI_RETENTION_INTERVAL
        jobs = [
            worker.start(reminders_run, interval=reminders * 60, name="reminders"),
            worker.start(checkpoint, interval=seals * 60, name="audit checkpoint"),
            worker.start(scan_job, interval=alerts * 60, name="unusual-access scan"),
            worker.start(retention_run, interval=retention * 3600, name="retention"),
        ]
        if opts["verbosity"] >= 1:  # `utvei serve` starts it with 0: its banner is the last line of `make run`
            self.stdout.write(
                f"worker: reminders every {reminders} min, audit checkpoint every {seals} min, "
                f"unusual-access scan every {alerts} min, retention every {retention} h"
            )
            self.stdout.flush()
        done = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            for _, stop in jobs:
                stop.set()
            for thread, _ in jobs:
                thread.join(timeout=30)
        self.stdout.write("worker: stopped")
