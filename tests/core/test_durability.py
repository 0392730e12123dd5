"""The embedded database keeps what it acknowledged (issue 12, deliverable 7).

A writer process appends audit events as the services do, one committed transaction each, and says so after each
commit; it is killed with SIGKILL in the middle of its writes. Afterwards every event it acknowledged is there and
the chain verifies: nothing acknowledged is lost and nothing is left half-written. The files under the data
directory that hold data or keys are readable by their owner only.

Runs on a SQLite database of its own (a file in a temporary directory, set up by `utvei migrate`), whichever
database the suite runs on: it is the embedded default that this is about; PostgreSQL's durability is its own.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

WRITER = """
import django
django.setup()
from utvei.audit.models import Action
from utvei.audit.services import audit_record
n = 0
while True:
    event = audit_record(action=Action.CASE_VIEW, object_type="probe", object_id=str(n))
    print(event.seq, flush=True)  # after the commit: acknowledged
    n += 1
"""

COUNT = """
import django
django.setup()
from utvei.audit.models import AuditEvent
print(AuditEvent.objects.count(), AuditEvent.objects.filter(object_type="probe").values_list("seq", flat=True).count())
print(",".join(str(s) for s in AuditEvent.objects.filter(object_type="probe").values_list("seq", flat=True)))
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data directory of its own with a migrated SQLite database; the environment that points at it."""
    root = tmp_path_factory.mktemp("durable")
    env = {
        **os.environ,
        "UTVEI_VAR": str(root / "var"),
        "DATABASE_URL": f"sqlite:///{root / 'var' / 'utvei.sqlite3'}",
        "UTVEI_KEYRING": str(root / "var" / "keyring.json"),
        "DJANGO_SETTINGS_MODULE": "utvei.settings",
    }
    env.pop("UTVEI_DEMO", None)
    subprocess.run([sys.executable, "-m", "utvei", "migrate", "-v0"], env=env, check=True, timeout=300)
    _python(env, "import django\ndjango.setup()\nfrom utvei.core.crypto import purpose_key\npurpose_key('probe')")
    return env


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_killed_writer_loses_no_acknowledged_write_and_the_chain_verifies(home: dict[str, str]) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER], env=home, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    acknowledged: list[int] = []
    try:
        for line in writer.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) == 300:
                os.kill(writer.pid, signal.SIGKILL)  # in the middle of the next write
                break
        acknowledged += [int(line) for line in writer.stdout.read().split()]  # printed before the kill landed
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 300

    stored = {int(s) for s in _python(home, COUNT).splitlines()[1].split(",")}
    assert set(acknowledged) <= stored  # every acknowledged event is there
    verified = subprocess.run(
        [sys.executable, "-m", "utvei", "audit", "verify"], env=home, capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout


def test_the_database_and_the_keys_are_readable_by_their_owner_only(home: dict[str, str]) -> None:
    var = Path(home["UTVEI_VAR"])
    assert stat.S_IMODE(var.stat().st_mode) & 0o077 == 0
    for name in ("utvei.sqlite3", "keyring.json", "secret_key"):
        path = var / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{name}: {oct(path.stat().st_mode)}"
    for extra in ("utvei.sqlite3-wal", "utvei.sqlite3-shm"):
        path = var / extra
        if path.exists():  # SQLite gives them the database file's mode
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, extra


def test_sqlite_keeps_a_commit_through_a_power_cut(home: dict[str, str]) -> None:
    """WAL with synchronous=FULL on every connection: a commit is on the disk before it is acknowledged (NORMAL may
    lose the last commits on a power cut, which no process kill shows)."""
    out = _python(
        home,
        "import django\ndjango.setup()\nfrom django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0])",
    )
    assert out.split() == ["wal", "2"]  # 2 is FULL
