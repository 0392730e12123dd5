"""Appends from several threads at once keep one unbroken chain: the head row serialises them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from utvei.audit.models import Action, AuditEvent, AuditHead
from utvei.audit.services import audit_record, audit_verify

THREADS = 2
PER_THREAD = 50


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_two_threads_appending_keep_a_valid_chain():
    if _in_memory_sqlite():
        pytest.skip(
            "SQLite's shared-cache in-memory test database answers a second writer with 'table is locked' "
            "instead of waiting for it; the head-row lock is exercised on PostgreSQL"
        )
    AuditHead.objects.get_or_create(pk=1)  # as migration 0002 leaves it; a transactional test flushes it
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                audit_record(action=Action.CASE_VIEW, object_type="case", object_id=f"t{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert AuditEvent.objects.count() == THREADS * PER_THREAD
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, THREADS * PER_THREAD + 1))
    result = audit_verify()
    assert result.ok, result
    assert result.checked == THREADS * PER_THREAD


SQLITE_SCRIPT = """
import threading, django
django.setup()
from django.core.management import call_command
from django.db import connections
call_command("migrate", verbosity=0)
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_record, audit_verify
errors = []
start = threading.Barrier(%(threads)d)
def append(n):
    try:
        start.wait()
        for i in range(%(per)d):
            audit_record(action=Action.CASE_VIEW, object_type="case", object_id=f"t{n}-{i}")
    except BaseException as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=append, args=(n,)) for n in range(%(threads)d)]
[t.start() for t in threads]
[t.join() for t in threads]
r = audit_verify()
print(errors, AuditEvent.objects.count(), r.ok, r.checked)
"""


def test_two_threads_appending_on_a_sqlite_file_keep_a_valid_chain(tmp_path):
    """The embedded default: a SQLite file in WAL mode with IMMEDIATE transactions serialises the writers."""
    if connection.vendor != "sqlite":
        pytest.skip("runs on the SQLite pass of the suite")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "UTVEI_VAR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "utvei.settings",
    }
    script = SQLITE_SCRIPT % {"threads": THREADS, "per": PER_THREAD}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, check=True
    ).stdout.strip()
    assert out == f"[] {THREADS * PER_THREAD} True {THREADS * PER_THREAD}"
