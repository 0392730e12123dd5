"""The sealed log (issue 12): the chain becomes a keyed MAC, checkpoints are signed with Ed25519, and guards keep the
events, the checkpoints and the head append-only on both databases (audit/migrations_sql.py, docs/audit.md).

An existing log is checked link by link as it was (unkeyed SHA-256, and each checkpoint against it) and then sealed
once with the key; a log that does not verify is refused rather than blessed: `utvei audit verify` on the previous
release says where it broke.
"""

import hashlib
import hmac
import json
from datetime import UTC

from django.db import migrations, models

from utvei.audit import migrations_sql as sql
from utvei.audit import seals
from utvei.core.crypto import purpose_key

GENESIS = "0" * 64
FIELDS = (  # as they are hashed at this migration
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
BATCH = 5000


def _canonical(values):
    data = {k: values[k] for k in FIELDS}
    data["occurred_at"] = values["occurred_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def reseal(apps, schema_editor):
    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditHead")
    Checkpoint = apps.get_model("audit", "AuditCheckpoint")
    connection = schema_editor.connection
    if not Event.objects.exists():
        return
    key = purpose_key("audit-chain")
    checkpoints = {cp.seq: cp for cp in Checkpoint.objects.all()}
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    old_prev = new_prev = GENESIS
    last = 0
    while True:
        rows = list(Event.objects.filter(seq__gt=last).order_by("seq").values("pk", *FIELDS, "hash")[:BATCH])
        if not rows:
            break
        updates = []
        for row in rows:
            old = hashlib.sha256(old_prev.encode() + _canonical(row)).hexdigest()
            if row["seq"] != last + 1 or row["prev_hash"] != old_prev or row["hash"] != old:
                raise RuntimeError(f"the audit chain does not verify at sequence {last + 1}: not sealing it")
            cp = checkpoints.get(row["seq"])
            if cp is not None and cp.hash != old:
                raise RuntimeError(f"the audit chain does not match its checkpoint at {row['seq']}: not sealing it")
            old_prev, last = old, row["seq"]
            row["prev_hash"] = new_prev
            new_prev = hmac.digest(key, new_prev.encode() + _canonical(row), "sha256").hex()
            updates.append((row["prev_hash"], new_prev, row["pk"]))
            if cp is not None:
                signed = seals.sign(cp.seq, new_prev, cp.created_at.astimezone(UTC).isoformat())
                cp.hash, cp.key_id, cp.signature = new_prev, signed.key_id, signed.signature
                cp.save(update_fields=["hash", "key_id", "signature"])
        with connection.cursor() as cursor:
            cursor.executemany("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", updates)
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    Head.objects.filter(pk=1).update(seq=last, hash=new_prev)


def guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql.PG_GUARDS)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in sql.SQLITE_GUARDS:
            schema_editor.execute(statement)


def guards_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql.PG_GUARDS_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for name in sql.SQLITE_GUARD_NAMES:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("audit", "0013_credentials_end")]

    operations = [
        migrations.AddField(
            model_name="auditcheckpoint",
            name="key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="signature",
            field=models.CharField(default="", max_length=128),
            preserve_default=False,
        ),
        migrations.RemoveField(model_name="auditcheckpoint", name="mac"),
        migrations.RunPython(reseal),
        migrations.RunPython(guards, guards_backward),
    ]
