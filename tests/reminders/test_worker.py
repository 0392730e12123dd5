"""The worker loop: a failing run is logged without its message and the loop goes on; `serve` starts it."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.core.management import call_command

from utvei.core import worker


def test_the_loop_survives_an_exception_and_keeps_running(caplog):
    calls: list[int] = []
    stop = threading.Event()

    def job() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Rikke Remindersen UTV-2026-000001-1")  # whatever a failure might quote
        if len(calls) >= 3:
            stop.set()
        return "ok"

    caplog.set_level(logging.INFO, logger="utvei.worker")
    thread = threading.Thread(target=worker.run_forever, kwargs={"job": job, "interval": 0.01, "stop": stop})
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(calls) == 3
    assert "job failed: RuntimeError at test_worker.py:" in caplog.text
    assert "Rikke" not in caplog.text and "UTV-" not in caplog.text
    assert "job: ok" in caplog.text


def test_start_runs_in_a_daemon_thread_until_stopped():
    ran = threading.Event()
    thread, stop = worker.start(ran.set, interval=60, name="test")
    assert ran.wait(timeout=10)
    assert thread.daemon and thread.name == "utvei-worker-test"
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


class _Started:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def __call__(self, job: Any, **kw: Any) -> tuple[None, threading.Event]:
        self.calls.append({"job": job, **kw})
        return None, self.stop


@pytest.fixture
def no_server(monkeypatch: Any) -> _Started:
    import waitress

    monkeypatch.setattr(waitress, "serve", lambda *a, **k: None)
    started = _Started()
    monkeypatch.setattr(worker, "start", started)
    return started


def test_serve_starts_the_reminder_worker(no_server, settings, capsys):
    from utvei.cases.reminders import reminders_run

    settings.UTVEI_REMINDER_INTERVAL = 7
    call_command("serve", "--port", "8765")
    (call,) = no_server.calls
    assert call["job"] is reminders_run and call["interval"] == 7 * 60 and call["name"] == "reminders"
    assert no_server.stop.is_set()  # the server returned: the worker is told to stop
    assert "a pass every 7 min" in capsys.readouterr().out


def test_serve_without_the_worker(no_server, capsys):
    call_command("serve", "--port", "8765", "--no-worker")
    assert no_server.calls == []
    assert "Reminder worker" not in capsys.readouterr().out
