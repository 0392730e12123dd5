"""Signed checkpoints: a chain rewritten by someone with database access (but not the keyring) is caught."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from utvei.audit.models import Action, AuditCheckpoint, AuditEvent, AuditHead
from utvei.audit.services import FIELDS, audit_checkpoint, audit_record, audit_verify, chain_hash

from .audit_helpers import trigger_disabled

pytestmark = pytest.mark.django_db


def events(n: int) -> None:
    for _ in range(n):
        audit_record(action=Action.LOGIN_FAILED, object_type="user")


def rewrite_chain_from(seq: int, *, reason: str) -> None:
    """What an attacker with database access would do: change an event and recompute every hash after it."""
    rows = list(AuditEvent.objects.order_by("seq").values(*FIELDS, "hash", "pk"))
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    with trigger_disabled(), connection.cursor() as cur:
        for row in rows[seq - 1 :]:
            if row["seq"] == seq:
                row["reason"] = reason
            row["prev_hash"] = prev
            row["hash"] = prev = chain_hash(row)
            cur.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row["reason"], row["prev_hash"], row["hash"], row["pk"]],
            )
    AuditHead.objects.filter(pk=1).update(hash=prev)


def test_a_consistently_rewritten_chain_fools_the_hashes_alone():
    events(5)
    rewrite_chain_from(3, reason="forged")
    assert audit_verify().ok  # why checkpoints exist


def test_a_consistently_rewritten_chain_does_not_match_its_checkpoint():
    events(5)
    audit_checkpoint()
    rewrite_chain_from(3, reason="forged")
    result = audit_verify()
    assert not result.ok
    assert result.broken_seq == 5
    assert "checkpoint" in result.problem


def test_a_forged_checkpoint_is_refused():
    events(3)
    cp = audit_checkpoint()
    assert cp is not None
    AuditCheckpoint.objects.filter(pk=cp.pk).update(hash="f" * 64)
    result = audit_verify()
    assert not result.ok and "not genuine" in result.problem


def test_cutting_the_log_back_before_a_checkpoint_is_caught():
    events(4)
    audit_checkpoint()
    last = AuditEvent.objects.order_by("-seq").first()
    with trigger_disabled():
        AuditEvent.objects.filter(pk=last.pk).delete()
    previous = AuditEvent.objects.order_by("-seq").first()
    AuditHead.objects.filter(pk=1).update(seq=previous.seq, hash=previous.hash)
    result = audit_verify()
    assert not result.ok and "checkpoint" in result.problem


def test_checkpoint_is_idempotent_and_the_command_reports_it(capsys):
    assert audit_checkpoint() is None or AuditEvent.objects.exists()
    events(2)
    first = audit_checkpoint()
    assert audit_checkpoint() == first
    events(1)
    call_command("audit", "checkpoint")
    assert AuditCheckpoint.objects.count() == 2
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out


def test_verify_command_fails_on_a_rewritten_chain():
    events(3)
    audit_checkpoint()
    rewrite_chain_from(2, reason="forged")
    with pytest.raises(CommandError, match="checkpoint"):
        call_command("audit", "verify")
