"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from utvei.core.crypto import purpose_key
from utvei.core.middleware import current_request_id

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


def chain_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(values["prev_hash"].encode() + canonical(values)).hexdigest()


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


def audit_by(actor: Any, action: str, **kw: Any) -> AuditEvent:
    """Append one event by a user acting in a membership (the services' usual case)."""
    return audit_record(action=action, actor=actor.user, organisation=actor.organisation, **kw)


def audit_record_many(rows: list[dict[str, Any]]) -> int:
    """Append many events at once (bulk loads). Each row holds the keys audit_record builds."""
    return len(_append(rows)) if rows else 0


def _append(rows: list[dict[str, Any]]) -> list[AuditEvent]:
    """Extend the chain under a lock on the head row, so the chain has exactly one order."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        seq, prev = head.seq, head.hash
        now = timezone.now()
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
            values["hash"] = prev = chain_hash(values)
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


def _checkpoint_mac(seq: int, chain_hash_value: str, created_at: Any) -> str:
    message = f"{seq}:{chain_hash_value}:{created_at.astimezone(UTC).isoformat()}".encode()
    return hmac.new(purpose_key("audit-checkpoint"), message, hashlib.sha256).hexdigest()


def audit_checkpoint() -> AuditCheckpoint | None:
    """Sign the chain's current end. Idempotent: nothing new when the end is already signed or the log is empty."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None or head.seq == 0:
            return None
        existing = AuditCheckpoint.objects.filter(seq=head.seq).first()
        if existing is not None:
            return existing
        now = timezone.now()
        return AuditCheckpoint.objects.create(
            seq=head.seq, hash=head.hash, created_at=now, mac=_checkpoint_mac(head.seq, head.hash, now)
        )


def audit_verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first event whose number, link, hash or signed checkpoint fails."""
    checkpoints = {cp.seq: cp for cp in AuditCheckpoint.objects.all()}
    for cp in checkpoints.values():
        if not hmac.compare_digest(cp.mac, _checkpoint_mac(cp.seq, cp.hash, cp.created_at)):
            return VerifyResult(False, 0, cp.seq, "signed checkpoint is not genuine")
    expected_seq = 1
    prev = GENESIS
    checked = 0
    qs = AuditEvent.objects.order_by("seq").values(*FIELDS, "hash")
    for row in qs.iterator(chunk_size=batch):
        if row["seq"] != expected_seq:
            return VerifyResult(False, checked, expected_seq, "missing or inserted event")
        if row["prev_hash"] != prev:
            return VerifyResult(False, checked, row["seq"], "link to previous event broken")
        if chain_hash(row) != row["hash"]:
            return VerifyResult(False, checked, row["seq"], "event content changed")
        signed = checkpoints.get(row["seq"])
        if signed is not None and signed.hash != row["hash"]:
            return VerifyResult(False, checked, row["seq"], "chain rewritten: does not match its signed checkpoint")
        prev = row["hash"]
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != prev):
        return VerifyResult(False, checked, checked + 1, "events missing at the end of the chain")
    if checkpoints and max(checkpoints) > checked:
        return VerifyResult(False, checked, checked + 1, "events missing before a signed checkpoint")
    return VerifyResult(True, checked)
