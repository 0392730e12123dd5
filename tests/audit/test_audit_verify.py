"""`utvei audit verify`: OK on an intact chain, a non-zero exit after any change, deletion, insertion or swap."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from utvei.audit.models import Action, AuditEvent, AuditHead
from utvei.audit.services import FIELDS, audit_record, audit_verify, chain_hash

from .audit_helpers import trigger_disabled

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def assert_broken() -> None:
    with pytest.raises(CommandError, match="BROKEN"):
        verify()
    assert not audit_verify().ok


@pytest.fixture
def chain(world: Any) -> list[AuditEvent]:
    """The world's events plus some with every field filled in."""
    m = world.m["kari"]
    for i in range(5):
        audit_record(
            action=Action.CASE_VIEW,
            actor=m.user,
            organisation=m.organisation,
            object_type="case",
            object_id=str(uuid.uuid4()),
            reason=f"r{i}",
        )
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 10
    return events


def test_intact_chain_verifies(chain):
    out = verify()
    assert out.startswith("OK:")
    assert f"{len(chain)} events" in out


def test_empty_log_verifies(db):
    assert verify().startswith("OK: 0 events")


def _changed(field: str, value: Any) -> Any:
    if field == "seq":
        return value + 1000
    if field == "occurred_at":
        return value + dt.timedelta(seconds=1)
    if field in {"actor_id", "actor_org_id"}:
        return 1 if value is None else value + 1
    if field in {"prev_hash", "hash"}:
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if field == "request_id":
        return (value + "x")[-32:]
    return (value + "x")[:40] if value else "x"


POSITIONS = {"first": 0, "middle": None, "last": -1}


@pytest.mark.parametrize("position", list(POSITIONS))
@pytest.mark.parametrize("field", [*FIELDS, "hash"])
def test_altering_any_field_of_any_row_breaks_the_chain(chain, field, position):
    index = POSITIONS[position]
    event = chain[len(chain) // 2 if index is None else index]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(**{field: _changed(field, getattr(event, field))})
    assert_broken()


@pytest.mark.parametrize("position", list(POSITIONS))
def test_deleting_a_row_breaks_the_chain(chain, position):
    index = POSITIONS[position]
    event = chain[len(chain) // 2 if index is None else index]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert_broken()


def _forged(after: AuditEvent, seq: int) -> dict[str, Any]:
    """A row that links correctly to `after` and carries a correct hash of its own content."""
    values: dict[str, Any] = {
        "seq": seq,
        "occurred_at": after.occurred_at + dt.timedelta(milliseconds=1),
        "actor_id": after.actor_id,
        "actor_org_id": after.actor_org_id,
        "action": str(Action.CASE_VIEW),
        "object_type": "case",
        "object_id": str(uuid.uuid4()),
        "case_id": "",
        "reason": "",
        "request_id": "",
        "prev_hash": after.hash,
    }
    values["hash"] = chain_hash(values)
    return values


def test_appending_a_forged_row_at_the_end_breaks_the_chain(chain):
    last = chain[-1]
    AuditEvent.objects.create(**_forged(last, last.seq + 1))  # an INSERT: the trigger allows it
    assert_broken()


def test_inserting_a_forged_row_in_the_middle_breaks_the_chain(chain):
    k = len(chain) // 2
    at = chain[k]
    with trigger_disabled():
        # Make room: move every later row one place on (in two steps, to keep seq unique).
        AuditEvent.objects.filter(seq__gte=at.seq).update(seq=F("seq") + 1_000_000)
        AuditEvent.objects.filter(seq__gte=1_000_000).update(seq=F("seq") - 1_000_000 + 1)
    AuditEvent.objects.create(**_forged(chain[k - 1], at.seq))
    assert AuditEvent.objects.count() == len(chain) + 1
    assert_broken()


def test_forging_the_head_as_well_is_caught_in_the_middle(chain):
    """Rewriting the head row hides an appended row; it cannot hide a row inserted before later events."""
    k = len(chain) // 2
    at = chain[k]
    with trigger_disabled():
        AuditEvent.objects.filter(seq__gte=at.seq).update(seq=F("seq") + 1_000_000)
        AuditEvent.objects.filter(seq__gte=1_000_000).update(seq=F("seq") - 1_000_000 + 1)
    AuditEvent.objects.create(**_forged(chain[k - 1], at.seq))
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    AuditHead.objects.filter(pk=1).update(seq=last.seq, hash=last.hash)
    assert_broken()


def test_swapping_two_rows_contents_breaks_the_chain(chain):
    a, b = chain[3], chain[-2]
    content = [f for f in (*FIELDS, "hash") if f != "seq"]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=a.pk).update(**{f: getattr(b, f) for f in content})
        AuditEvent.objects.filter(pk=b.pk).update(**{f: getattr(a, f) for f in content})
    assert_broken()


def test_swapping_two_rows_sequence_numbers_breaks_the_chain(chain):
    a, b = chain[2], chain[5]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
        AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
        AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
    assert_broken()


def test_the_report_names_the_first_broken_event(chain):
    event = chain[4]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    with pytest.raises(CommandError, match=f"BROKEN at sequence {event.seq}: event content changed"):
        verify()
