"""The sealed audit log (issue 12): tampering as someone with write access to the database would, on SQLite and on
PostgreSQL, and `verify` naming the first bad event or the missing seal. A chain left alone verifies."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from utvei.audit import seals
from utvei.audit.models import Action, AuditCheckpoint, AuditEvent, AuditHead
from utvei.audit.services import (
    FIELDS,
    GENESIS,
    audit_checkpoint,
    audit_record,
    audit_verify,
    canonical,
    chain_hash,
    chain_key,
    signed_at,
)

from .audit_helpers import guard_names, trigger_disabled

pytestmark = pytest.mark.django_db


def events(n: int) -> list[AuditEvent]:
    return [audit_record(action=Action.LOGIN_FAILED, object_type="user") for _ in range(n)]


def held() -> list[seals.Seal]:
    path = seals.seal_path()
    return seals.read(path) if path.exists() else []


def unkeyed(values: dict[str, Any]) -> str:
    """The chain as it was before it was keyed, and as anyone who knows the scheme but not the key can compute it."""
    return hashlib.sha256(values["prev_hash"].encode() + canonical(values)).hexdigest()


def rewrite_chain_from(seq: int, *, reason: str, hasher: Any) -> None:
    """Change one event and recompute every link after it, the head too, as an attacker with the owner's rights."""
    rows = list(AuditEvent.objects.order_by("seq").values(*FIELDS, "hash", "pk"))
    prev = rows[seq - 2]["hash"] if seq > 1 else GENESIS
    with trigger_disabled(), connection.cursor() as cur:
        for row in rows[seq - 1 :]:
            if row["seq"] == seq:
                row["reason"] = reason
            row["prev_hash"] = prev
            row["hash"] = prev = hasher(row)
            cur.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row["reason"], row["prev_hash"], row["hash"], row["pk"]],
            )
        AuditHead.objects.filter(pk=1).update(hash=prev)


def cut_back_to(seq: int, *, checkpoints_too: bool) -> None:
    """Delete the newest events and set the head to what is left: the chain that remains is whole."""
    with trigger_disabled():
        AuditEvent.objects.filter(seq__gt=seq).delete()
        if checkpoints_too:
            AuditCheckpoint.objects.filter(seq__gt=seq).delete()
        last = AuditEvent.objects.get(seq=seq)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=last.hash)


# ---- Left alone -------------------------------------------------------------------------------------------


def test_a_chain_left_alone_verifies_with_its_seals():
    events(3)
    first = audit_checkpoint()
    events(2)
    second = audit_checkpoint()
    assert first is not None and second is not None
    assert [s.seq for s in held()] == [3, 5]
    result = audit_verify(held=held())
    assert result.ok and result.checked == 5 and result.sealed_to == 5


def test_the_seal_file_is_owner_only_and_append_only_and_the_seal_is_logged(caplog):
    events(1)
    with caplog.at_level("INFO", logger="utvei.audit.seal"):
        audit_checkpoint()
    path = seals.seal_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    (line,) = path.read_text().splitlines()
    assert json.loads(line)["seq"] == 1
    # The log line carries the same seal: a copy of the log verifies as the seal file does.
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "utvei.audit.seal"]
    assert logged == seals.LOG_PREFIX + line
    audit_checkpoint()  # nothing new: nothing written
    assert len(path.read_text().splitlines()) == 1


def test_a_seal_lost_on_the_way_out_is_written_at_the_next_run(monkeypatch):
    events(1)

    def full_disk(*args: Any, **kw: Any) -> None:
        raise OSError("no space left")

    monkeypatch.setattr(seals, "append", full_disk)
    with pytest.raises(OSError):
        audit_checkpoint()
    assert AuditCheckpoint.objects.filter(seq=1).exists() and held() == []
    monkeypatch.undo()
    audit_checkpoint()
    assert [s.seq for s in held()] == [1]


# ---- Someone who knows the scheme but not the key --------------------------------------------------------


def test_a_full_recomputation_without_the_key_is_caught_at_the_changed_event():
    events(5)
    rewrite_chain_from(3, reason="forged", hasher=unkeyed)
    result = audit_verify()
    assert not result.ok and result.broken_seq == 3 and result.problem == "event content changed"


def test_a_recomputation_from_the_start_is_caught_at_the_first_event():
    events(4)
    rewrite_chain_from(1, reason="", hasher=unkeyed)  # nothing changed but the hashing: still not ours
    result = audit_verify()
    assert not result.ok and result.broken_seq == 1


def test_forged_events_appended_with_the_head_moved_on_are_caught():
    events(3)
    head = AuditHead.objects.get(pk=1)
    forged = {
        "seq": head.seq + 1,
        "occurred_at": AuditEvent.objects.get(seq=3).occurred_at,
        "actor_id": None,
        "actor_org_id": None,
        "action": Action.LOGOUT,
        "object_type": "user",
        "object_id": "",
        "case_id": "",
        "reason": "",
        "request_id": "",
        "prev_hash": head.hash,
    }
    forged["hash"] = unkeyed(forged)
    AuditEvent.objects.create(**forged)  # inserting is what the application itself may do
    AuditHead.objects.filter(pk=1).update(seq=forged["seq"], hash=forged["hash"])  # forward: the guard lets it
    result = audit_verify()
    assert not result.ok and result.broken_seq == 4 and result.problem == "event content changed"


def test_a_forged_checkpoint_is_refused():
    events(3)
    cp = audit_checkpoint()
    assert cp is not None
    with trigger_disabled():
        AuditCheckpoint.objects.filter(pk=cp.pk).update(hash="f" * 64)
    result = audit_verify()
    assert not result.ok and result.broken_seq == 3 and result.problem == "signed checkpoint is not genuine"


def test_a_forged_seal_is_refused():
    events(2)
    audit_checkpoint()
    real = held()[0]
    fake = seals.Seal(real.seq, "e" * 64, real.created_at, real.key_id, real.signature)
    result = audit_verify(held=[real, fake])
    assert not result.ok and result.problem == "a seal held outside the database is not genuine"


# ---- Someone who can write the database, and cut or empty it ---------------------------------------------


def test_deleting_the_newest_events_is_caught_by_the_checkpoint_left_behind():
    events(4)
    audit_checkpoint()
    cut_back_to(3, checkpoints_too=False)
    result = audit_verify()
    assert not result.ok and result.broken_seq == 4 and "checkpoint" in result.problem


def test_deleting_the_newest_events_and_their_checkpoints_is_caught_by_the_seals_held_outside():
    events(3)
    audit_checkpoint()
    events(2)
    audit_checkpoint()
    cut_back_to(3, checkpoints_too=True)
    assert audit_verify().ok  # inside the database, nothing is left to tell: why the seals live elsewhere
    result = audit_verify(held=held())
    assert not result.ok and result.broken_seq == 4
    assert result.problem == "events missing at the end: a seal held outside the database covers up to 5"


def test_removing_checkpoints_is_caught_by_the_seals():
    events(2)
    audit_checkpoint()
    events(1)
    audit_checkpoint()
    with trigger_disabled():
        AuditCheckpoint.objects.filter(seq=2).delete()
    result = audit_verify(held=held())
    assert not result.ok and result.broken_seq == 2 and "checkpoint removed" in result.problem


def test_emptying_the_log_and_resetting_the_head_is_caught_by_the_seals():
    events(3)
    audit_checkpoint()
    with trigger_disabled():
        AuditEvent.objects.all().delete()
        AuditCheckpoint.objects.all().delete()
        AuditHead.objects.filter(pk=1).update(seq=0, hash=GENESIS)
    assert audit_verify().ok  # "0 events, chain intact" without the seals ...
    result = audit_verify(held=held())  # ... and with them, the truth
    assert not result.ok and result.broken_seq == 1 and "covers up to 3" in result.problem


def test_someone_with_the_keys_too_is_caught_back_to_the_last_seal_held_outside():
    """With the keyring, a rewritten chain and re-signed checkpoints pass inside the database; the seal kept
    elsewhere still holds the link the chain had."""
    events(4)
    audit_checkpoint()
    rewrite_chain_from(2, reason="forged", hasher=lambda v: chain_hash(v, key=chain_key()))
    cp = AuditCheckpoint.objects.get(seq=4)
    new = AuditEvent.objects.get(seq=4).hash
    resigned = seals.sign(4, new, signed_at(cp.created_at))
    with trigger_disabled():
        AuditCheckpoint.objects.filter(pk=cp.pk).update(hash=new, signature=resigned.signature)
    assert audit_verify().ok
    result = audit_verify(held=held())
    assert not result.ok and result.broken_seq == 4
    assert result.problem == "chain rewritten: does not match the seal held outside the database"


# ---- The guards ------------------------------------------------------------------------------------------


def test_the_guards_are_in_place_on_this_database():
    """A migration that rebuilds an audit table (SQLite does, for many changes) would drop them: this says so."""
    names = guard_names()
    if connection.vendor == "postgresql":
        expected = {
            "audit_auditevent_guard_change",
            "audit_auditevent_guard_truncate",
            "audit_auditcheckpoint_guard_change",
            "audit_auditcheckpoint_guard_truncate",
            "audit_audithead_guard_forward",
            "audit_audithead_guard_delete",
            "audit_audithead_guard_truncate",
        }
    else:
        expected = {
            "audit_auditevent_guard_update",
            "audit_auditevent_guard_delete",
            "audit_auditcheckpoint_guard_update",
            "audit_auditcheckpoint_guard_delete",
            "audit_audithead_guard_forward",
            "audit_audithead_guard_delete",
        }
    assert expected <= names


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET reason = 'x'",
        "DELETE FROM audit_auditcheckpoint",
        "UPDATE audit_auditcheckpoint SET hash = 'x'",
        "DELETE FROM audit_audithead",
        "UPDATE audit_audithead SET seq = 0",
        "UPDATE audit_audithead SET hash = 'x'",
        "UPDATE audit_audithead SET id = 2",
    ],
)
def test_the_guards_refuse_changes_to_the_log(statement):
    events(2)
    audit_checkpoint()
    with (
        pytest.raises(DatabaseError, match="append-only|only moves forward"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(statement)
    assert audit_verify(held=held()).ok


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditcheckpoint", "audit_audithead"])
def test_truncate_is_refused_on_postgresql(table):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused (above)")
    events(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"TRUNCATE {table} CASCADE")
    assert audit_verify().ok


# ---- The command -----------------------------------------------------------------------------------------


def test_verify_command_with_the_seal_file_a_log_and_the_public_key(tmp_path, capsys):
    events(2)
    audit_checkpoint()
    key = tmp_path / "audit.pub"
    call_command("audit", "pubkey", stdout=(out := _Out()))
    key.write_text(out.text)
    log = tmp_path / "utvei.log"
    line = seals.seal_path().read_text()
    log.write_text(f"2026-12-07 INFO something else\n2026-12-07 INFO utvei.audit.seal {seals.LOG_PREFIX}{line}")
    for source in (seals.seal_path(), log, seals.seal_path().parent):
        call_command("audit", "verify", "--seals", str(source), "--public-key", str(key), stdout=(out := _Out()))
        assert out.text.startswith("OK: 2 events, chain intact; matches 1 seals held outside, up to 2")


def test_verify_command_names_the_first_bad_event_and_the_missing_seal():
    events(3)
    audit_checkpoint()
    events(2)
    audit_checkpoint()
    cut_back_to(3, checkpoints_too=True)
    with pytest.raises(CommandError, match=r"BROKEN at sequence 4: events missing at the end"):
        call_command("audit", "verify", "--seals", str(seals.seal_path()))
    rewrite_chain_from(2, reason="forged", hasher=unkeyed)
    with pytest.raises(CommandError, match=r"BROKEN at sequence 2: event content changed"):
        call_command("audit", "verify")


def test_verify_command_refuses_another_key_and_an_unreadable_seal_file(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    events(1)
    audit_checkpoint()
    other = tmp_path / "other.pub"
    other.write_text(seals.public_key_pem(Ed25519PrivateKey.generate().public_key()))
    with pytest.raises(CommandError, match="not genuine"):
        call_command("audit", "verify", "--public-key", str(other))
    broken = tmp_path / "seals.jsonl"
    broken.write_text('{"seq": "not a number"}\n')
    with pytest.raises(CommandError, match="line 1"):
        call_command("audit", "verify", "--seals", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("audit", "verify", "--seals", str(tmp_path / "missing"))


def test_verify_without_seals_says_what_it_cannot_see():
    events(1)
    call_command("audit", "verify", stdout=(out := _Out()))
    assert "no seals given" in out.text


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


# ---- The runtime role (PostgreSQL) -----------------------------------------------------------------------


def test_the_runtime_role_appends_but_cannot_change_empty_or_unguard_the_log():
    if connection.vendor != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's; SQLite is one file, guarded by its owner's file mode")
    events(1)
    call_command("audit", "grants", "utvei_test_runtime", stdout=(out := _Out()))
    with connection.cursor() as cur:
        cur.execute("CREATE ROLE utvei_test_runtime NOLOGIN")  # rolled back with the test's transaction
        cur.execute(out.text)
        cur.execute("SET LOCAL ROLE utvei_test_runtime")
    audit_record(action=Action.LOGOUT, object_type="user")  # the application's own append works
    for statement in (
        "UPDATE audit_auditevent SET reason = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "DELETE FROM audit_auditcheckpoint",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
        "DROP TRIGGER audit_auditevent_guard_change ON audit_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="permission denied|must be owner"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement)
    with connection.cursor() as cur:
        cur.execute("RESET ROLE")
    assert audit_verify().ok


def test_grants_are_for_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the command prints the grants (above)")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("audit", "grants", "utvei_app")


def test_the_seal_dir_is_configurable(settings: Any, tmp_path: Path):
    settings.UTVEI_AUDIT_SEAL_DIR = str(tmp_path / "elsewhere")
    events(1)
    audit_checkpoint()
    assert (tmp_path / "elsewhere" / seals.SEAL_FILE).exists()
    assert os.fspath(seals.seal_path()).startswith(str(tmp_path))
    assert str(Path(settings.VAR_DIR) / "seals") != settings.UTVEI_AUDIT_SEAL_DIR
