"""The worker loop: a failing run is logged without its message and the loop goes on (`serve` starting it:
tests/tools/test_serve.py)."""

from __future__ import annotations

import logging
import threading

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
