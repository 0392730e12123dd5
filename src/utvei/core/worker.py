"""The background worker: runs an idempotent job (the reminder pass) every few minutes, in a thread of
`utvei serve` or in its own process (`utvei reminders --loop`). A failing run is logged and the loop goes on."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connections

logger = logging.getLogger("utvei.worker")

Job = Callable[[], Any]


def run_once(job: Job, name: str) -> bool:
    """Run the job once; log a failure without its message and return False instead of raising."""
    close_old_connections()
    try:
        outcome = job()
    except Exception as exc:
        # The exception's class and where it was raised, never its message or values: a database error can quote
        # the row it failed on, and nothing about a case or a person may reach the log.
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
        logger.error("%s failed: %s%s; trying again at the next run", name, type(exc).__name__, where)
        return False
    else:
        if outcome:  # something happened: say what (a job's result holds counts only)
            logger.info("%s: %s", name, outcome)
        return True
    finally:
        connections.close_all()  # this thread's connections: nothing held open (or locked) between runs


def run_forever(job: Job, *, interval: float, stop: threading.Event, name: str = "job") -> None:
    """Run the job now and then every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        run_once(job, name)
        stop.wait(interval)


def start(job: Job, *, interval: float, name: str = "job") -> tuple[threading.Thread, threading.Event]:
    """Start the loop in a daemon thread; set the returned event to stop it after the current run."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        kwargs={"job": job, "interval": interval, "stop": stop, "name": name},
        name=f"utvei-worker-{name}",
        daemon=True,
    )
    thread.start()
    return thread, stop
