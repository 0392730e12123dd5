"""Writing and verifying the audit chain."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, models, transaction
from django.utils import timezone

from utvei.core.crypto import purpose_key
from utvei.core.db import insert_rows
from utvei.core.middleware import current_request_id

from . import seals
from .models import AuditCheckpoint, AuditEvent, AuditHead

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_org_id",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "reason",
    "request_id",
    "prev_hash",
)


def canonical(values: dict[str, Any]) -> bytes:
    data = {k: values[k] for k in FIELDS}
    data["occurred_at"] = values["occurred_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def chain_key() -> bytes:
    """The key of the chain's MAC: derived from the keyring, never stored in the database, so whoever can write the
    database but not read the keyring cannot make an event that verifies (docs/audit.md)."""
    return purpose_key("audit-chain")


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> Any:
    """HMAC-SHA256 with the key already absorbed: each event then costs a copy and one pass over its text, not the
    key's two extra blocks (the difference is most of `audit verify`'s time per event)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def _mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of the message under the key, in hex: `hmac.digest(key, message, "sha256").hex()`, faster."""
    mac = _keyed(key).copy()
    mac.update(message)
    return mac.hexdigest()


def chain_hash(values: dict[str, Any], *, key: bytes | None = None) -> str:
    """The event's link in the chain: HMAC-SHA256, under `chain_key`, of the previous link and the event's values."""
    message = values["prev_hash"].encode() + canonical(values)
    return _mac(key or chain_key(), message)


def chain_hash_fields(
    seq: Any,
    occurred_at_utc: str | None,
    actor_id: Any,
    actor_org_id: Any,
    action: Any,
    object_type: Any,
    object_id: Any,
    case_id: Any,
    reason: Any,
    request_id: Any,
    prev_hash: Any,
    *,
    key: bytes | None = None,
) -> str | None:
    """`chain_hash` of one event's values given in FIELDS order, without a dict or `json.dumps`; for `audit_verify`.

    `occurred_at_utc` is the time exactly as `canonical` writes it ("2026-01-31T12:00:00.000000Z": `utc_text`
    gives it for a datetime), or None. The text hashed is the one `chain_hash` hashes: prev_hash, then what
    `json.dumps(sort_keys=True, separators=(",", ":"))` writes, keys in sorted order, an int as `repr`, None as
    null and a string through the same escaping function (`encode_basestring_ascii`: ensure_ascii=True). Values
    of other types (only a tampered row has them) give None, and the caller asks `chain_hash` itself.
    """
    if type(seq) is not int or occurred_at_utc is None:
        return None
    if type(actor_id) is not int:
        if actor_id is not None:
            return None
        actor_id = "null"
    if type(actor_org_id) is not int:
        if actor_org_id is not None:
            return None
        actor_org_id = "null"
    esc = encode_basestring_ascii
    try:
        # prev_hash + the canonical JSON, which is ASCII: one UTF-8 encoding of the whole is the same bytes as
        # chain_hash's prev_hash.encode() + canonical(values).
        data = (
            f'{prev_hash}{{"action":{esc(action)},"actor_id":{actor_id},"actor_org_id":{actor_org_id},'
            f'"case_id":{esc(case_id)},"object_id":{esc(object_id)},"object_type":{esc(object_type)},'
            f'"occurred_at":"{occurred_at_utc}","prev_hash":{esc(prev_hash)},"reason":{esc(reason)},'
            f'"request_id":{esc(request_id)},"seq":{seq}}}'
        ).encode()
    except (TypeError, ValueError):  # not a str where a string belongs; a string UTF-8 cannot encode
        return None
    return _mac(key or chain_key(), data)


def audit_record(
    *,
    action: str,
    actor: Any = None,
    organisation: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    case: Any = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction when there is one, so it commits with the write."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    row = {
        "actor_id": getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None,
        "actor_org_id": getattr(organisation, "pk", None),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "case_id": str(case.public_id) if case is not None else "",
        "reason": reason,
        "request_id": current_request_id(),
    }
    return _append([row])[0]


def audit_by(actor: Any, action: str, **kw: Any) -> AuditEvent | None:
    """Append one event by a user acting in a membership: every service's write and every selector's read. `None`
    as the actor is the system reading for itself (the reminder pass, a management command): nobody to record."""
    if actor is None:
        return None
    return audit_record(action=action, actor=actor.user, organisation=actor.organisation, **kw)


def audit_record_many(rows: list[dict[str, Any]]) -> int:
    """Append many events at once (bulk loads). Each row holds the keys audit_record builds."""
    return len(_append(rows)) if rows else 0


def audit_record_bulk(events: list[tuple[Any, ...]]) -> int:
    """Append many events at once, each given as (actor_id, actor_org_id, action, object_type, object_id, case_id,
    reason): bulk loads of invented data (`utvei synth`, the demo's historical cohort), thousands of events a batch.

    The chain grows as `_append` grows it — the head row locked, every event hashed and linked to the one before,
    the head moved on — but the rows are written at once (core.db.insert_rows) instead of a model instance per
    event and bulk_create, and hashed by `chain_hash_fields`. The first event is hashed by `chain_hash` too; should
    the two ever differ (or a value not be of a type `chain_hash_fields` takes), `chain_hash` hashes every event
    after. Returns how many events were appended."""
    if not events:
        return 0
    meta = AuditEvent._meta
    columns = [str(cast(models.Field, meta.get_field(name)).column) for name in (*FIELDS, "hash")]
    with transaction.atomic():
        head = _locked_head()
        seq, prev = head.seq, head.hash
        now = timezone.now()
        stored = meta.get_field("occurred_at").get_db_prep_save(now, connection)
        at = utc_text(now)
        key = chain_key()
        fast = at is not None
        rows: list[tuple[Any, ...]] = []
        for actor_id, actor_org_id, action, object_type, object_id, case_id, reason in events:
            seq += 1
            values = (
                seq,
                now,
                actor_id,
                actor_org_id,
                str(action),
                str(object_type),
                str(object_id)[:64],
                str(case_id),
                str(reason)[:64],
                "",
                prev,
            )
            digest = chain_hash_fields(seq, at, *values[2:], key=key) if fast else None
            if digest is None or not rows:
                exact = chain_hash(dict(zip(FIELDS, values, strict=True)), key=key)
                fast = fast and digest == exact
                digest = exact
            prev = digest
            rows.append((seq, stored, *values[2:], digest))
        insert_rows(meta.db_table, columns, rows)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return len(rows)


def _locked_head() -> AuditHead:
    """The head row, created on first use, locked until the caller's transaction ends: the chain grows from it in
    exactly one order."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _append(rows: list[dict[str, Any]]) -> list[AuditEvent]:
    """Extend the chain under a lock on the head row, so the chain has exactly one order."""
    with transaction.atomic():
        head = _locked_head()
        seq, prev = head.seq, head.hash
        now = timezone.now()
        key = chain_key()
        events = []
        for row in rows:
            seq += 1
            values: dict[str, Any] = {
                "seq": seq,
                "occurred_at": now,
                "actor_id": row.get("actor_id"),
                "actor_org_id": row.get("actor_org_id"),
                "action": str(row["action"]),
                "object_type": row.get("object_type", ""),
                "object_id": str(row.get("object_id", ""))[:64],
                "case_id": row.get("case_id", ""),
                "reason": str(row.get("reason", ""))[:64],
                "request_id": row.get("request_id", ""),
                "prev_hash": prev,
            }
            values["hash"] = prev = chain_hash(values, key=key)
            events.append(AuditEvent(**values))
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events, batch_size=2000)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return events


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""
    sealed_to: int = 0  # the highest sequence number a seal held outside the database vouches for


def signed_at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def audit_checkpoint(*, seal_file: Path | None = None) -> AuditCheckpoint | None:
    """Sign the chain's current end: a checkpoint row, a line in the seal file and a log line (audit/seals.py).
    Idempotent: nothing new when the end is already signed and sealed, or the log is empty."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None or head.seq == 0:
            return None
        cp = AuditCheckpoint.objects.filter(seq=head.seq).first()
        if cp is None:
            now = timezone.now()
            signed = seals.sign(head.seq, head.hash, signed_at(now))
            cp = AuditCheckpoint.objects.create(
                seq=head.seq, hash=head.hash, created_at=now, key_id=signed.key_id, signature=signed.signature
            )
    # After the commit: a seal is only ever written for a checkpoint that is in the database. Should the write fail
    # (a full disk), the next run writes it.
    if seals.last_sealed(seal_file) < cp.seq:
        seals.append(_seal_of(cp), seal_file)
    return cp


def _seal_of(cp: AuditCheckpoint) -> seals.Seal:
    return seals.Seal(cp.seq, cp.hash, signed_at(cp.created_at), cp.key_id, cp.signature)


def audit_verify(
    batch: int = 500, *, held: list[seals.Seal] | None = None, public_key: Ed25519PublicKey | None = None
) -> VerifyResult:
    """Walk the chain in order; report the first event whose number, link, MAC, signed checkpoint or seal fails.

    `held`: the seals kept outside the database (`seals.read`); with them, verify also finds events cut from the
    end, a chain rewritten by someone who had the keys, and checkpoints removed, back to the last seal held.
    `public_key`: the key the seals must be signed with (default: the keyring's).

    Rows come as plain tuples, `batch` at a time, and are hashed by `chain_hash_fields`. A row whose hash does not
    match that way is read again through the ORM and judged by `chain_hash` itself, so what counts as broken is
    exactly what `chain_hash` says.
    """
    key = chain_key()
    pub = public_key or seals.public_key()
    checkpoints = {cp.seq: cp for cp in AuditCheckpoint.objects.all()}
    for cp in checkpoints.values():
        if not seals.signature_ok(pub, cp.seq, cp.hash, signed_at(cp.created_at), cp.signature):
            return VerifyResult(False, 0, cp.seq, "signed checkpoint is not genuine")
    held = sorted(held or [], key=lambda s: s.seq)
    for seal in held:
        if not seal.genuine(pub):
            return VerifyResult(False, 0, seal.seq, "a seal held outside the database is not genuine")
    signed = {
        seq: (cp.hash, "chain rewritten: does not match its signed checkpoint") for seq, cp in checkpoints.items()
    }
    signed |= {s.seq: (s.hash, "chain rewritten: does not match the seal held outside the database") for s in held}
    sealed_to = held[-1].seq if held else 0
    expected_seq = 1
    prev = GENESIS
    checked = 0
    fast_hash, sqlite_time = chain_hash_fields, _sqlite_time
    with _chain_rows(batch) as (chunks, stored_text):
        for chunk in chunks:
            for pk, seq, at, actor, org, action, otype, oid, case, reason, request, prev_hash, hash_ in chunk:
                if seq != expected_seq:
                    return VerifyResult(False, checked, expected_seq, "missing or inserted event", sealed_to)
                if prev_hash != prev:
                    return VerifyResult(False, checked, seq, "link to previous event broken", sealed_to)
                if stored_text:
                    at = sqlite_time(at)
                digest = fast_hash(seq, at, actor, org, action, otype, oid, case, reason, request, prev_hash, key=key)
                if digest != hash_ and not _content_intact(pk, key):
                    return VerifyResult(False, checked, seq, "event content changed", sealed_to)
                if seq in signed and signed[seq][0] != hash_:
                    return VerifyResult(False, checked, seq, signed[seq][1], sealed_to)
                prev = hash_
                expected_seq += 1
                checked += 1
    if sealed_to > checked:
        problem = f"events missing at the end: a seal held outside the database covers up to {sealed_to}"
        return VerifyResult(False, checked, checked + 1, problem, sealed_to)
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != prev):
        return VerifyResult(False, checked, checked + 1, "events missing at the end of the chain", sealed_to)
    if checkpoints and max(checkpoints) > checked:
        return VerifyResult(False, checked, checked + 1, "events missing before a signed checkpoint", sealed_to)
    for seal in held:
        if seal.seq not in checkpoints:
            problem = "signed checkpoint removed from the database (a seal held outside has it)"
            return VerifyResult(False, checked, seal.seq, problem, sealed_to)
    return VerifyResult(True, checked, sealed_to=sealed_to)


def _content_intact(pk: Any, key: bytes) -> bool:
    """The authoritative check of one event: its values as the ORM reads them, hashed by `chain_hash`."""
    row = AuditEvent.objects.filter(pk=pk).values(*FIELDS, "hash").first()
    return row is not None and chain_hash(row, key=key) == row["hash"]


def utc_text(moment: Any) -> str | None:
    """An aware datetime as `canonical` writes it ("2026-01-31T12:00:00.000000Z"), or None.

    None for anything else (canonical would take a naive one for local time, the ORM never gives one), and for a
    year before 1000, where `isoformat` pads the year with zeros and `strftime` does not.
    """
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return None
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    if text[0] == "0":
        return None
    return text + "Z" if len(text) == 26 else text + ".000000Z"


def _sqlite_time(stored: Any) -> str | None:
    """occurred_at as SQLite holds it (the text Django wrote: naive UTC) as `canonical` writes it, or None.

    The ORM reads the column with `parse_datetime`, which returns what `datetime.fromisoformat` makes of it where
    that takes it, and makes a naive result aware in UTC. Where `fromisoformat` refuses it (or it is not a str)
    this gives None, and `chain_hash` decides. Django's own form, "YYYY-MM-DD HH:MM:SS.ffffff", is the only one
    of 26 characters with these separators that `fromisoformat` takes without an offset, reading ASCII digits
    only: its digits are the time's, which canonical's strftime writes back (for a year from 1000 on).
    """
    try:
        moment = datetime.fromisoformat(stored)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None and len(stored) == 26 and stored[4:20:3] == "-- ::." and stored[0] != "0":
        return f"{stored[:10]}T{stored[11:]}Z"
    return utc_text(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


_TIMESTAMPTZ = 1184  # PostgreSQL's type (oid) for occurred_at, whose to_char in _chain_rows is canonical's text


def _reader() -> str:
    """How `_chain_rows` reads the events here: "sqlite", "postgresql" or, for any other database and for a
    PostgreSQL table whose occurred_at is no longer a timestamp with time zone, "orm"."""
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor != "postgresql":
        return "orm"
    qn, opts = connection.ops.quote_name, AuditEvent._meta
    at = next(qn(field.column) for field in opts.concrete_fields if field.name == "occurred_at")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {at} FROM {qn(opts.db_table)} LIMIT 0")  # noqa: S608
        (column,) = cursor.description or [None]
    return "postgresql" if column is not None and column.type_code == _TIMESTAMPTZ else "orm"


@contextmanager
def _chain_rows(batch: int) -> Iterator[tuple[Iterator[list[Any]], bool]]:
    """The events in order of seq as lists of `batch` tuples (pk, *FIELDS, hash), and whether occurred_at in them
    is the text SQLite stores (else `canonical`'s text already, or None where only `chain_hash` can tell).

    SQLite streams from one plain cursor, occurred_at selected as text so that no converter parses it. PostgreSQL
    reads through a server-side cursor in a transaction and writes the time as `canonical` does with to_char, for
    the years 1000-9999 that a Python datetime holds and strftime writes with four digits (NULL outside them).
    Otherwise the ORM reads them.
    """
    opts = AuditEvent._meta
    qn = connection.ops.quote_name
    col = {field.name: qn(field.column) for field in opts.concrete_fields}
    at = col["occurred_at"]
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        reader = _reader()
        if reader == "sqlite":
            time = f"{at} || ''"
        elif reader == "postgresql":
            utc = f"({at} AT TIME ZONE 'UTC')"
            time = (
                f"CASE WHEN {utc} >= '1000-01-01' AND {utc} < '10000-01-01' "
                f"""THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
            )
        else:
            yield _orm_rows(batch), False
            return
        columns = ", ".join(
            [col[opts.pk.name], *(time if name == "occurred_at" else col[name] for name in (*FIELDS, "hash"))]
        )
        streams = reader == "postgresql" and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        with connection.chunked_cursor() if streams else connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {qn(opts.db_table)} ORDER BY {col['seq']}")  # noqa: S608
            yield iter(lambda: cursor.fetchmany(batch), []), reader == "sqlite"


def _orm_rows(batch: int) -> Iterator[list[Any]]:
    rows = AuditEvent.objects.order_by("seq").values_list("pk", *FIELDS, "hash").iterator(chunk_size=batch)
    while chunk := list(islice(rows, batch)):
        yield [(r[0], r[1], utc_text(r[2]), *r[3:]) for r in chunk]
