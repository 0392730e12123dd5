"""`utvei audit verify`: OK on an intact chain, a non-zero exit after any change, deletion, insertion or swap;
and its fast reading of the rows, which must accept exactly what `chain_hash` accepts."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, connection
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from utvei.audit import services
from utvei.audit.models import Action, AuditEvent, AuditHead
from utvei.audit.services import (
    FIELDS,
    GENESIS,
    VerifyResult,
    audit_record,
    audit_verify,
    chain_hash,
    chain_hash_fields,
    utc_text,
)

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
    """A chain of events with every field filled in (the world itself is made without events)."""
    m = world.m["kari"]
    for i in range(10):
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


# --- The fast reading: rows as tuples hashed by chain_hash_fields, the time as the database writes it. What it
# --- accepts must be exactly what chain_hash accepts; where it cannot tell, chain_hash decides.

OSLO = ZoneInfo("Europe/Oslo")
TIMES = [
    dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC),  # no microseconds: SQLite stores "YYYY-MM-DD HH:MM:SS"
    dt.datetime(2026, 1, 31, 12, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 2, 30, 0, 250000, tzinfo=OSLO),  # in the gap when Norway moves to summer time
    dt.datetime(2026, 10, 25, 2, 30, 0, 500000, tzinfo=OSLO, fold=1),  # the repeated hour
    dt.datetime(1969, 12, 31, 23, 59, 59, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2000, 2, 29, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-1, minutes=-30))),
]
STRINGS = [
    "",
    "case.view",
    "æøå ÆØÅ",
    "line\nbreak\ttab\r",
    'a "quote" and a \\ backslash',
    "\x00\x1f\x7f\x80",
    "emoji \U0001f642 \U0001d518",
    "中文 العربية",
    "\u2028\u2029",
    "/" * 64,
]
IDS = [None, 0, 1, 7, -1, 2**63 - 1]


def _values(i: int) -> dict[str, Any]:
    """Varied rows: every time, string and id above turns up in every field in turn."""
    return {
        "seq": 1 + i * 7919,
        "occurred_at": TIMES[i % len(TIMES)],
        "actor_id": IDS[i % len(IDS)],
        "actor_org_id": IDS[(i + 2) % len(IDS)],
        "action": STRINGS[i % len(STRINGS)],
        "object_type": STRINGS[(i + 1) % len(STRINGS)],
        "object_id": STRINGS[(i + 2) % len(STRINGS)],
        "case_id": STRINGS[(i + 3) % len(STRINGS)],
        "reason": STRINGS[(i + 4) % len(STRINGS)],
        "request_id": STRINGS[(i + 5) % len(STRINGS)],
        "prev_hash": GENESIS if i % 4 == 0 else STRINGS[(i + 6) % len(STRINGS)],
    }


def _fields_hash(values: dict[str, Any]) -> str | None:
    return chain_hash_fields(*(utc_text(values[name]) if name == "occurred_at" else values[name] for name in FIELDS))


@pytest.mark.parametrize("i", range(90))
def test_chain_hash_fields_is_chain_hash(i):
    values = _values(i)
    assert _fields_hash(values) == chain_hash(values)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    at=st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.timezones()),
    ids=st.tuples(st.none() | st.integers(), st.none() | st.integers()),
    strings=st.lists(st.text(), min_size=7, max_size=7),
)
def test_chain_hash_fields_is_chain_hash_for_any_values(seq, at, ids, strings):
    values = {"seq": seq, "occurred_at": at, "actor_id": ids[0], "actor_org_id": ids[1]}
    names = ("action", "object_type", "object_id", "case_id", "reason", "request_id", "prev_hash")
    values |= dict(zip(names, strings, strict=True))
    if utc_text(at) is None:  # the time falls before the year 1000 in UTC, where strftime writes no leading zeros
        assert at.astimezone(dt.UTC).year < 1000
    else:
        assert _fields_hash(values) == chain_hash(values)


def test_utc_text_is_canonicals_time():
    for at in TIMES:
        assert utc_text(at) == at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert utc_text(dt.datetime(999, 12, 31, 23, 59, tzinfo=dt.UTC)) is None
    assert utc_text(dt.datetime(2026, 1, 1, 12, 0)) is None  # naive: canonical would read it as local time
    assert utc_text("2026-01-01T12:00:00Z") is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", True),
        ("seq", 5.0),
        ("seq", "5"),
        ("actor_id", True),
        ("actor_id", 1.0),
        ("actor_id", "null"),
        ("actor_org_id", "1"),
        ("action", None),
        ("action", 5),
        ("action", b"case.view"),
        ("reason", None),
        ("prev_hash", None),
        ("prev_hash", b"0" * 64),
        ("prev_hash", "\ud800"),  # a lone surrogate: UTF-8 cannot encode it, and chain_hash fails on it too
    ],
)
def test_chain_hash_fields_leaves_other_types_to_chain_hash(field, value):
    values = _values(1) | {field: value}
    assert _fields_hash(values) is None


def _orm_time(stored: str) -> str | None:
    """What chain_hash hashes for occurred_at stored as this text in SQLite: the ORM's parse_datetime, made
    aware in UTC, written by canonical's strftime (None where parse_datetime refuses it)."""
    try:
        moment = parse_datetime(stored)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


NEAR_TIMES = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(str)


@settings(max_examples=500, deadline=None)
@given(
    stored=NEAR_TIMES
    | st.tuples(NEAR_TIMES, st.integers(0, 25), st.sampled_from("0 9T:-.,+ZW\u0663\uff10x")).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]
    )
    | st.text(alphabet="0123456789 T:-.,+ZW\u0663", max_size=32)
)
def test_sqlite_stored_times_read_as_the_orm_reads_them(stored):
    """Whatever text SQLite holds, the fast reading gives canonical's text for it or leaves it to chain_hash."""
    fast = services._sqlite_time(stored)
    assert fast is None or fast == _orm_time(stored)
    if len(stored) == 26 and stored[0] != "0" and _orm_time(stored) and stored == str(parse_datetime(stored)):
        assert fast is not None  # Django's own form is read fast


def _append_event(**fields: Any) -> AuditEvent:
    """Append a correctly chained event with these values, as _append would (but with any value)."""
    head, _ = AuditHead.objects.get_or_create(pk=1)
    values: dict[str, Any] = {
        "seq": head.seq + 1,
        "occurred_at": TIMES[1],
        "actor_id": None,
        "actor_org_id": None,
        "action": str(Action.CASE_VIEW),
        "object_type": "case",
        "object_id": "",
        "case_id": "",
        "reason": "",
        "request_id": "",
        "prev_hash": head.hash,
        **fields,
    }
    values["hash"] = chain_hash(values)
    event = AuditEvent.objects.create(**values)
    AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


@pytest.fixture
def slow_checks(monkeypatch: Any) -> list[Any]:
    """The rows audit_verify had to hand to chain_hash (the ORM's reading) because the fast one did not match."""
    calls: list[Any] = []
    original = services._content_intact

    def counting(pk: Any, key: bytes) -> bool:
        calls.append(pk)
        return original(pk, key)

    monkeypatch.setattr(services, "_content_intact", counting)
    return calls


def test_the_database_reads_times_and_strings_as_chain_hash_does(db, slow_checks):
    """Times written back by the database (SQLite's text, PostgreSQL's to_char) and strings needing escapes."""
    assert services._reader() == connection.vendor  # the fast reading, not the ORM's
    for i in range(len(TIMES) * 3):
        values = _values(i)
        del values["seq"], values["prev_hash"]
        values["actor_id"] = values["actor_org_id"] = i if i % 3 else None
        for name in ("action", "object_type", "object_id", "case_id", "reason", "request_id"):
            values[name] = values[name].replace("\x00", "")[:32]  # PostgreSQL text holds no NUL
        _append_event(**values)
    assert audit_verify(batch=7) == VerifyResult(True, len(TIMES) * 3)
    assert slow_checks == []


def test_a_time_before_the_year_1000_is_left_to_chain_hash(db, slow_checks):
    _append_event()
    early = _append_event(occurred_at=dt.datetime(999, 12, 31, 23, 0, tzinfo=dt.UTC))
    _append_event()
    assert audit_verify() == VerifyResult(True, 3)
    assert slow_checks == [early.pk]


def _stored(event: AuditEvent, sql_value: str, column: str = "occurred_at") -> None:
    with trigger_disabled(), connection.cursor() as cur:
        cur.execute(f"UPDATE audit_auditevent SET {column} = {sql_value} WHERE id = %s", [event.pk])


sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite stores any type in any column")


@sqlite_only
@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31T12:00:00.000001",
        "2026-01-31 12:00:00.000001+00:00",
        "2026-01-31 13:00:00.000001+01:00",
        "2026-01-31T12:00:00.000001Z",
        "2026-01-31 12:00:00.0000010",
    ],
)
def test_sqlite_text_for_the_same_instant_in_another_form_verifies(db, text):
    """parse_datetime reads these as the stored time, so chain_hash accepts them, and so must verify."""
    _append_event()
    event = _append_event()  # at TIMES[1], 2026-01-31 12:00:00.000001 UTC
    _append_event()
    _stored(event, f"'{text}'")
    assert audit_verify() == VerifyResult(True, 3)


@sqlite_only
@pytest.mark.parametrize(
    ("column", "sql_value"),
    [
        ("occurred_at", "'2026-01-31 12:00:00.000001+01:00'"),
        ("occurred_at", "'2026-01-31 12:00:00.000002'"),
        ("occurred_at", "'2026-01-31 12:00:00'"),
        ("occurred_at", "'2026-01-31 12:00:00.00001'"),
        ("actor_id", "'null'"),  # a text where the NULL was: JSON "null", not null
        ("actor_id", "1.0"),
        ("seq", "2.5"),
    ],
)
def test_sqlite_values_of_another_type_or_time_break_the_chain(db, column, sql_value):
    _append_event()
    event = _append_event()
    _append_event()
    _stored(event, sql_value, column)
    result = audit_verify()
    assert not result.ok and result.checked == 1


@sqlite_only
def test_sqlite_a_blob_or_an_impossible_date_fails_as_chain_hash_does(db):
    """chain_hash cannot hash bytes, parse_datetime refuses 30 February: verify raises as it always has."""
    _append_event()
    event = _append_event()
    _stored(event, "CAST(action AS BLOB)", "action")
    with pytest.raises(TypeError):
        audit_verify()
    _stored(event, "'case.view'", "action")
    assert audit_verify().ok
    _stored(event, "'2026-02-30 12:00:00.000001'")
    with pytest.raises(ValueError):
        audit_verify()


postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's own types")


@postgresql_only
def test_postgresql_a_time_past_what_python_holds_fails_as_before(db):
    _append_event()
    event = _append_event()
    _stored(event, "'10000-01-01 00:00:00+00'")
    with pytest.raises(DataError):
        audit_verify()


def test_the_orm_reading_detects_the_same(chain, monkeypatch, slow_checks):
    """Other databases (and a PostgreSQL table altered to other column types) are read through the ORM."""
    monkeypatch.setattr(services, "_reader", lambda: "orm")
    assert audit_verify(batch=3) == VerifyResult(True, len(chain))
    assert slow_checks == []
    event = chain[4]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    assert audit_verify(batch=3) == VerifyResult(False, 4, event.seq, "event content changed")


@postgresql_only
def test_postgresql_a_time_column_of_another_type_is_read_through_the_orm(db):
    """to_char writes canonical's text for a timestamp with time zone only; chain_hash reads a naive time as local
    time, so a column altered to a timestamp without time zone breaks the chain at its first event."""
    _append_event()
    _append_event()
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE audit_auditevent ALTER COLUMN occurred_at TYPE timestamp")
    assert services._reader() == "orm"
    assert audit_verify() == VerifyResult(False, 0, 1, "event content changed")


def test_the_chain_mac_is_hmac_sha256_under_the_key():
    """The chain's link is exactly HMAC-SHA256 (the key absorbed once and copied per event is only faster)."""
    import hmac
    import os

    key = os.urandom(32)
    for size in (0, 1, 63, 64, 65, 330, 5000):
        message = os.urandom(size)
        assert services._mac(key, message) == hmac.digest(key, message, "sha256").hex()
