"""`utvei serve`: gunicorn with one worker process per core, and the reminder worker started once, by the master.

No server is started here: the command's gunicorn options, the gunicorn configuration they make, and the master's
hooks are checked on their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command

from utvei.tools.management.commands import serve


@pytest.fixture
def no_server(monkeypatch: Any) -> dict[str, Any]:
    """Run `serve` up to the point where gunicorn would start; return the options it would start with."""
    started: dict[str, Any] = {}
    monkeypatch.setattr(serve, "run", lambda options: started.update(options))
    return started


class _FakeProcess:
    started: list[_FakeProcess] = []

    def __init__(self, args: list[str], **kw: Any) -> None:
        self.args, self.kw = args, kw
        self.pid = 4242
        self.returncode: int | None = None
        self.signals: list[str] = []
        _FakeProcess.started.append(self)

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.signals.append("TERM")
        self.returncode = -15

    def kill(self) -> None:  # pragma: no cover - only when terminate is ignored
        self.signals.append("KILL")

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode


@pytest.fixture
def fake_popen(monkeypatch: Any) -> type[_FakeProcess]:
    _FakeProcess.started = []
    monkeypatch.setattr(serve, "_reminders", None)
    monkeypatch.setattr(subprocess, "Popen", _FakeProcess)
    return _FakeProcess


def test_serve_runs_one_worker_process_per_core_with_the_reminders_in_the_master(no_server, settings, capsys):
    settings.UTVEI_REMINDER_INTERVAL = 7
    call_command("serve", "--port", "8765")
    assert no_server["workers"] == os.cpu_count()
    assert no_server["bind"] == ["127.0.0.1:8765"]
    assert no_server["worker_class"] == "gthread"
    # The reminder worker is the master's business: started when it is ready, stopped when it exits ...
    assert no_server["when_ready"] is serve.start_reminders
    assert no_server["on_exit"] is serve.stop_reminders
    # ... and no hook that runs in (or for) each worker process starts anything.
    assert not {"pre_fork", "post_fork", "post_worker_init", "worker_int", "child_exit"} & no_server.keys()
    out = capsys.readouterr().out
    assert "a reminder pass every 7 min" in out and "http://127.0.0.1:8765/" in out


def test_serve_options(no_server, capsys):
    call_command("serve", "--host", "::1", "--port", "8766", "--workers", "3", "--threads", "2", "--no-worker")
    assert no_server["bind"] == ["[::1]:8766"]
    assert no_server["workers"] == 3 and no_server["threads"] == 2
    assert "when_ready" not in no_server and "on_exit" not in no_server
    assert "Background worker" not in capsys.readouterr().out


def test_the_port_comes_from_the_environment(no_server, monkeypatch):
    monkeypatch.setenv("PORT", "8767")
    call_command("serve")
    assert no_server["bind"] == ["127.0.0.1:8767"]


def test_the_gunicorn_configuration():
    app = serve.make_server(serve.gunicorn_options(host="127.0.0.1", port=8768, workers=5))
    cfg = app.cfg
    assert cfg.workers == 5 and cfg.threads == serve.THREADS and cfg.timeout == serve.TIMEOUT
    assert cfg.worker_class_str == "gthread"
    assert cfg.address == [("127.0.0.1", 8768)]
    assert cfg.when_ready is serve.start_reminders and cfg.on_exit is serve.stop_reminders
    assert cfg.control_socket_disable  # two servers on one machine do not share gunicorn's control socket
    assert not cfg.preload_app  # the app is loaded in each worker, after the fork
    assert app.load() is __import__("utvei.wsgi").wsgi.application


def test_without_the_worker_the_master_keeps_gunicorns_default_hooks():
    cfg = serve.make_server(serve.gunicorn_options(host="127.0.0.1", port=8769, workers=2, reminders=False)).cfg
    assert cfg.when_ready is not serve.start_reminders and cfg.on_exit is not serve.stop_reminders


def test_the_master_starts_one_reminder_process_and_stops_it(fake_popen):
    first = serve.start_reminders(None)
    again = serve.start_reminders(None)  # a second call (a reload) while it runs starts nothing new
    assert again is first and len(fake_popen.started) == 1
    (process,) = fake_popen.started
    assert process.args == [sys.executable, "-m", "utvei", "worker", "--verbosity", "0"]  # quiet: the banner is last
    if sys.platform.startswith("linux"):  # it dies with the master, however the master dies
        assert callable(process.kw["preexec_fn"])
    serve.stop_reminders(None)
    assert process.signals == ["TERM"]
    serve.stop_reminders(None)  # nothing left to stop
    assert process.signals == ["TERM"]


def test_a_reminder_process_that_ended_is_started_again_when_the_master_is_ready(fake_popen):
    first = serve.start_reminders(None)
    first.returncode = 1
    second = serve.start_reminders(None)
    assert second is not first and len(fake_popen.started) == 2


def test_the_demo_ends_its_start_with_where_to_log_in(no_server, settings, capsys):
    settings.DEMO = True
    call_command("serve", "--port", "8767", "--no-worker")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "Demo: log in at http://127.0.0.1:8767/" in last and "utvei-demo-2026" in last and "mail" in last
    settings.DEMO = False
    call_command("serve", "--port", "8768", "--no-worker")
    assert "Demo:" not in capsys.readouterr().out
