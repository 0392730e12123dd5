"""`audit_record_bulk`, the appender of bulk loads (`utvei synth`, the demo's historical cohort): the same chain as
`audit_record` writes, each event hashed as `chain_hash` hashes it, so `audit verify` holds after it."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.audit import services
from utvei.audit.models import Action, AuditEvent, AuditHead
from utvei.audit.services import FIELDS, audit_record, audit_record_bulk, audit_verify, chain_hash

pytestmark = pytest.mark.django_db


def _events(m: Any, n: int) -> list[tuple[Any, ...]]:
    return [
        (m.user_id, m.organisation_id, Action.CASE_CREATE, "case", f"obj-{i}", f"case-{i}", "synth") for i in range(n)
    ]


def test_it_appends_to_the_chain_where_audit_record_left_it(world: Any) -> None:
    m = world.m["kari"]
    audit_record(action=Action.CASE_VIEW, actor=m.user, organisation=m.organisation)
    before = AuditHead.objects.get(pk=1).seq
    assert audit_record_bulk(_events(m, 5)) == 5
    head = AuditHead.objects.get(pk=1)
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.seq for e in events] == list(range(before + 1, before + 6)) == list(range(before + 1, head.seq + 1))
    assert head.hash == events[-1].hash
    for e in events:
        assert e.hash == chain_hash({name: getattr(e, name) for name in FIELDS})
        assert (e.action, e.object_type, e.reason, e.request_id) == (Action.CASE_CREATE, "case", "synth", "")
    audit_record(action=Action.CASE_VIEW, actor=m.user, organisation=m.organisation)  # and the chain goes on
    assert audit_verify().ok


def test_long_values_are_cut_and_keys_written_as_text(world: Any) -> None:
    """No actor (None), an object by its key (an int, written as text); long ids and reasons cut to their columns,
    as audit_record cuts them."""
    m = world.m["kari"]
    rows = [
        (None, None, Action.CASE_VIEW, "case", "x" * 100, "", "r" * 100),
        (m.user_id, m.organisation_id, Action.CASE_VIEW, "case", 7, "", "synth"),
    ]
    assert audit_record_bulk(rows) == 2
    events = list(AuditEvent.objects.order_by("-seq")[:2])[::-1]
    assert (len(events[0].object_id), len(events[0].reason)) == (64, 64)
    assert events[1].object_id == "7"
    assert audit_verify().ok


def test_should_the_fast_hash_ever_differ_chain_hash_hashes_every_event(world: Any, monkeypatch: Any) -> None:
    m = world.m["kari"]
    monkeypatch.setattr(services, "chain_hash_fields", lambda *values, key=None: "0" * 64)
    assert audit_record_bulk(_events(m, 3)) == 3
    monkeypatch.undo()
    for e in AuditEvent.objects.order_by("-seq")[:3]:
        assert e.hash == chain_hash({name: getattr(e, name) for name in FIELDS})
    assert audit_verify().ok


def test_nothing_to_append_writes_nothing(world: Any) -> None:
    before = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    assert audit_record_bulk([]) == 0
    assert AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() == before
