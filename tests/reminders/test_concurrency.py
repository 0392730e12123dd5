"""Several workers running the pass at the same moment still give one notification and one e-mail per item:
the reminder key's unique constraint and the e-mail claim decide, on PostgreSQL and on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from utvei.accounts.models import Notification, Reminder
from utvei.audit.models import Action, AuditEvent, AuditHead
from utvei.desk.reminders import reminders_run

WORKERS = 3
ITEMS = 5


@pytest.mark.django_db(transaction=True)
def test_workers_at_the_same_moment_remind_once(rw):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "SQLite's shared-cache in-memory test database answers a second writer with 'table is locked' "
            "instead of waiting for it; the SQLite file test below covers SQLite"
        )
    AuditHead.objects.get_or_create(pk=1)
    for i in range(ITEMS):
        rw.task(title=f"Oppgave {i}", days=i + 1)
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work() -> None:
        try:
            start.wait()
            reminders_run()
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Notification.objects.count() == ITEMS
    assert Reminder.objects.filter(email_status="sent").count() == ITEMS
    assert len(mail.outbox) == ITEMS
    assert AuditEvent.objects.filter(action=Action.REMINDER_SEND).count() == ITEMS


SQLITE_SCRIPT = """
import datetime as dt, threading, django
django.setup()
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
call_command("migrate", verbosity=0)
from utvei.accounts.models import Membership, Notification, Organisation, Reminder
from utvei.accounts.services import user_create
from utvei.cases import services
from utvei.desk.reminders import reminders_run
from utvei.people.services import person_find_or_create
Organisation.objects.create(slug="k", name="K", kind="municipality")
m = user_create(username="kari", password="x", org_slug="k", role="coordinator", validate=False)
m.user.email = "kari@example.org"
m.user.save()
m = Membership.objects.select_related("user", "organisation").get(pk=m.pk)
person, _ = person_find_or_create(actor=m, full_name="P")
case = services.case_open(actor=m, person=person, track="exit")
for i in range(%(items)d):
    due = timezone.localdate() - dt.timedelta(days=i + 1)
    services.task_create(actor=m, case=case, title="T", assignee=m.user, due_on=due)
connections.close_all()
errors = []
start = threading.Barrier(%(workers)d)
def work():
    try:
        start.wait()
        reminders_run()
    except BaseException as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=work) for _ in range(%(workers)d)]
[t.start() for t in threads]
[t.join() for t in threads]
print(errors, Notification.objects.count(), Reminder.objects.filter(email_status="sent").count(), len(mail.outbox))
"""


def test_workers_at_the_same_moment_remind_once_on_a_sqlite_file(tmp_path):
    """The embedded default: a SQLite file in WAL mode with IMMEDIATE transactions."""
    if connection.vendor != "sqlite":
        pytest.skip("runs on the SQLite pass of the suite")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'reminders.sqlite3'}",
        "UTVEI_VAR": str(tmp_path),
        "UTVEI_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "utvei.settings",
    }
    script = SQLITE_SCRIPT % {"workers": WORKERS, "items": ITEMS}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, check=True
    ).stdout.strip()
    assert out == f"[] {ITEMS} {ITEMS} {ITEMS}"
