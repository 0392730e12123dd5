"""The audit table refuses UPDATE and DELETE, whoever asks, on both databases (audit/migrations_sql.py)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_record, audit_verify

from .audit_helpers import trigger_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    audit_record(action=Action.LOGIN_FAILED, object_type="user")
    return audit_record(action=Action.LOGIN_FAILED, object_type="user")


def test_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_update_through_save_is_refused(event):
    event.object_type = "case"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()


def test_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_is_refused_too(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent")
    assert audit_verify().ok


def test_inserts_still_work(event):
    audit_record(action=Action.LOGOUT, object_type="user")
    assert audit_verify().ok


def test_verify_notices_an_emptied_log():
    """Even where TRUNCATE gets through, the head row still knows how long the chain was."""
    audit_record(action=Action.LOGIN_FAILED, object_type="user")
    with trigger_disabled(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent")
    result = audit_verify()
    assert not result.ok
    assert result.problem == "events missing at the end of the chain"
