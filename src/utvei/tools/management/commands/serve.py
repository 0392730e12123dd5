"""`utvei serve`: Utvei as it runs in production — gunicorn, one worker process per core, each with a few threads
(gthread), static files from whitenoise (a middleware, so in every worker), and the background worker (reminders and
the audit log's sealed checkpoints) in ONE process of its own beside them.

The background worker is started by the gunicorn master once it is ready (the `when_ready` hook, which runs once per
master, never in a worker) as a child process `utvei worker`, and stopped by the master when it exits
(`on_exit`). It is a fresh interpreter, not a fork of the master: no thread, lock or database connection crosses a
fork. It is tied to the master's life (SIGTERM when the master dies, on Linux), so it never outlives the server.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import get_internal_wsgi_application
from django.db import connections

from .demo import DEFAULT_PASSWORD

logger = logging.getLogger("utvei.worker")

WORKER_COMMAND = [sys.executable, "-m", "utvei", "worker", "--verbosity", "0"]
THREADS = 4  # per worker process (gthread): requests waiting on the database do not hold up the others
TIMEOUT = 120  # seconds a request may take before its worker is restarted (the PDF report at scale takes a few)

_reminders: subprocess.Popen[bytes] | None = None  # the reminder process, in the master only


def default_workers() -> int:
    return os.cpu_count() or 1


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_options(
    *, host: str, port: int, workers: int, threads: int = THREADS, timeout: int = TIMEOUT, reminders: bool = True
) -> dict[str, Any]:
    """The gunicorn settings of `utvei serve`. With `reminders`, the master starts the reminder process once."""
    options: dict[str, Any] = {
        "bind": [bind_address(host, port)],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "proc_name": "utvei",
        "errorlog": "-",
        # gunicorn's start-up lines (listening, booting worker N) are INFO: the banner says the same, and it should be
        # the last thing `make run` prints. Warnings and errors (a worker that died, a timeout) are still logged.
        "loglevel": "warning",
        "accesslog": None,  # no request log of our own: paths carry ids only, but nothing needs them logged
        # gunicorn's control socket lives at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn): two servers on
        # one machine (a bench beside `make run`) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }
    if reminders:
        options["when_ready"] = start_reminders
        options["on_exit"] = stop_reminders
    return options


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a function for the child, between fork and exec, that has the kernel send it SIGTERM when the master
    dies, however it dies. Looked up here, in the parent: the child then only calls it (no import, no dlopen)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)
    return lambda: prctl(pr_set_pdeathsig, sigterm)


def start_reminders(server: Any = None) -> subprocess.Popen[bytes]:
    """gunicorn's `when_ready` hook: runs once, in the master, when it listens. Starts the reminder process."""
    global _reminders
    if _reminders is not None and _reminders.poll() is None:
        return _reminders  # already running: never a second one
    _reminders = subprocess.Popen(WORKER_COMMAND, preexec_fn=_die_with_parent())
    logger.debug("worker: process %s started (reminders, audit checkpoints)", _reminders.pid)
    return _reminders


def stop_reminders(server: Any = None) -> None:
    """gunicorn's `on_exit` hook: the master is stopping; so does the reminder process (SIGTERM). A pass cut short
    loses nothing: each reminder is written in one transaction, and an e-mail claim expires (docs/reminders.md)."""
    global _reminders
    process, _reminders = _reminders, None
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def make_server(options: dict[str, Any]) -> Any:
    """A gunicorn application serving the project's WSGI application (settings.WSGI_APPLICATION: utvei.wsgi's) with
    these options (nothing is started until .run())."""
    from gunicorn.app.base import BaseApplication

    class UtveiServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:  # in each worker, after the fork
            return get_internal_wsgi_application()

    return UtveiServer()


def run(options: dict[str, Any]) -> None:
    connections.close_all()  # the workers are forked from this process: no connection of its own goes with them
    make_server(options).run()


class Command(BaseCommand):
    help = (
        "Serve Utvei with gunicorn on 127.0.0.1:$PORT (default 8000): one worker process per core (--workers), and "
        "the background worker (`utvei worker`: the reminder pass and the audit log's sealed checkpoints) in one "
        "process of its own unless --no-worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the number of cores)")
        parser.add_argument("--threads", type=int, default=THREADS, help=f"threads per worker (default {THREADS})")
        parser.add_argument(
            "--timeout", type=int, default=TIMEOUT, help=f"seconds before a stuck worker is restarted ({TIMEOUT})"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run the background worker beside the server (run `utvei worker`, or `utvei reminders` and "
            "`utvei audit checkpoint` from a timer, instead)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        workers = opts["workers"] or default_workers()
        reminders = not opts["no_worker"]
        options = gunicorn_options(
            host=opts["host"],
            port=opts["port"],
            workers=workers,
            threads=opts["threads"],
            timeout=opts["timeout"],
            reminders=reminders,
        )
        if reminders:
            minutes = settings.UTVEI_REMINDER_INTERVAL
            self.stdout.write(
                f"Background worker: a reminder pass every {minutes} min and an audit checkpoint every "
                f"{settings.UTVEI_AUDIT_CHECKPOINT_INTERVAL} min, in one process of its own (--no-worker to turn off)"
            )
        self.stdout.write(
            f"Utvei serving on http://{bind_address(opts['host'], opts['port'])}/ "
            f"({workers} worker processes × {opts['threads']} threads)"
        )
        if settings.DEMO:
            self.stdout.write(
                f"Demo: log in at http://{bind_address(opts['host'], opts['port'])}/ with an account listed above "
                f"(password {DEFAULT_PASSWORD}); e-mails are written to {settings.EMAIL_FILE_PATH}/"
            )
        self.stdout.flush()
        run(options)
