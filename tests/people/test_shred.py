"""Crypto-shredding (docs/encryption.md): destroying a person's data key makes everything about them unreadable,
in the live database and in any backup of it, while everyone else stays readable; their pages still work."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess

import pytest
from django.db import connection

from tests.core.keyhelp import fill, legacy, plaintexts, raw_values, use_fresh_keys
from utvei.access.erasure import person_shred_decision
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Attachment, Case, Concern, Entry
from utvei.cases.services import person_erase
from utvei.core import crypto, keystore
from utvei.core.errors import NotFound
from utvei.core.rotation import rotate
from utvei.people.models import Person, PersonToken
from utvei.people.services import person_shred, person_update

API = "/api/v1"


def _subject_tokens() -> dict[str, dict[tuple[str, object], object]]:
    """Every ciphertext in the database, grouped by the public id of the person it is about (or "")."""
    cols = {c.label: c for c in crypto.encrypted_columns()}
    out: dict[str, dict[tuple[str, object], object]] = {}
    for (label, pk), token in raw_values().items():
        col = cols[label]
        subject = ""
        if col.data_subject:
            lookup = "public_id" if col.data_subject == "self" else f"{col.data_subject}__public_id"
            found = col.model._base_manager.filter(pk=pk).values_list(lookup, flat=True).first()
            subject = str(found) if found else ""
        out.setdefault(subject, {})[(label, pk)] = token
    return out


def test_shredding_erases_everything_about_the_person_and_nothing_about_anyone_else(world):
    gone = fill(world, name="Gunnar Gone", via_concern=True)
    kept = fill(world, name="Kari Kept", entries=2)
    legacy(Entry, "body", gone.entries.first().pk)  # one value still under the master key, from before
    assert PersonToken.objects.filter(person=gone.person).exists()
    before = plaintexts()

    # Two data keys destroyed: the person's, and the concern's from before it was linked to them.
    assert person_shred(actor=world.m["dina"], person=gone.person, reason="request") == 2

    person = Person.objects.get(pk=gone.person.pk)
    assert crypto.is_erased(person.full_name) and str(person.full_name) == "Erased"
    assert all(crypto.is_erased(e.body) for e in Entry.objects.filter(case=gone))
    assert crypto.is_erased(Attachment.objects.get(case=gone).filename)
    concern = Concern.objects.get(case=gone)  # written before the person was linked: under the concern's own key
    assert crypto.is_erased(concern.subject_name) and crypto.is_erased(concern.description)
    assert not PersonToken.objects.filter(person=gone.person).exists() and person.national_id_index is None
    assert Person.objects.get(pk=kept.person.pk).full_name == "Kari Kept"
    after = plaintexts()
    about = _subject_tokens()
    for key in about[str(gone.person.public_id)]:
        assert crypto.is_erased(after[key]), key
    for key in [*about[str(kept.person.public_id)], *about.get("", {})]:
        assert after[key] == before[key], key
    event = AuditEvent.objects.get(action=Action.PERSON_SHRED)
    assert (event.object_id, event.reason) == (str(gone.person.public_id), "request")
    # Done twice: nothing more to destroy. Saving an erased row again writes the unreadable ciphertext back.
    assert person_shred(actor=None, person=gone.person, reason="retention") == 0
    person.save()
    assert crypto.is_erased(Person.objects.get(pk=person.pk).full_name)
    # New data about the person after the shredding is written under a new key, and reads.
    entry = world.entry(Case.objects.get(pk=gone.pk), "ola", body="Etterpå")
    assert Entry.objects.get(pk=entry.pk).body == "Etterpå"


def test_a_destruction_in_another_process_is_seen_at_the_next_read(world):
    case = fill(world, name="Annen Prosess", entries=1)
    assert Person.objects.get(pk=case.person.pk).full_name == "Annen Prosess"  # its key is cached now
    other = sqlite3.connect(keystore.path())  # another process, straight at the key store
    other.execute(
        "UPDATE data_key SET wrapped = NULL, master = NULL, destroyed_at = 'now' WHERE subject = ?",
        (str(case.person.public_id),),
    )
    other.commit()
    other.close()
    assert crypto.is_erased(Person.objects.get(pk=case.person.pk).full_name)


def test_the_pages_and_the_api_of_a_shredded_person_work(world, browse):
    case = fill(world, name="Side Sidesen")
    att = Attachment.objects.get(case=case)
    person = Person.objects.get(pk=case.person.pk)
    person_update(actor=world.m["kari"], person=person, expected_version=person.version, full_name="Side Sidesen Ny")
    with pytest.raises(NotFound):
        person_erase(actor=world.m["kari"], person=case.person, reason="request")
    person_erase(actor=world.m["dina"], person=case.person, reason="request")
    kari = browse("kari")
    for url in (
        f"/cases/{case.public_id}/",
        f"/cases/{case.public_id}/history/",
        f"/cases/{case.public_id}/export/",
        "/cases/",
    ):
        response = kari.get(url)
        assert response.status_code == 200, url
        assert "Side Sidesen" not in response.content.decode(), url
    assert "Erased" in kari.get(f"/cases/{case.public_id}/history/").content.decode()
    assert "Erased" in kari.get(f"/cases/{case.public_id}/").content.decode()  # «Slettet» in bokmål
    api = world.api("kari")
    for url in (
        f"{API}/cases/{case.public_id}/",
        f"{API}/cases/{case.public_id}/entries/",
        f"{API}/cases/{case.public_id}/person/",
        f"{API}/cases/",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert "Side Sidesen" not in response.content.decode(), url
    assert api.get(f"{API}/attachments/{att.public_id}/").status_code == 404


def test_only_the_owning_organisations_data_protection_officer_may_shred(world):
    case = world.open_case()
    assert person_shred_decision(world.m["dina"], case.person)
    for who in ("kari", "ola", "dora", "adam"):
        assert not person_shred_decision(world.m[who], case.person), who
    assert not person_shred_decision(None, case.person)


def _backup() -> object:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(":memory:")
        connection.connection.backup(copy)  # SQLite's online backup API
        return copy
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    args = [pg_dump, "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"], s["NAME"]]
    return subprocess.run(args, check=True, capture_output=True, env=env).stdout


@pytest.fixture
def fresh_keys(tmp_path, settings):
    yield use_fresh_keys(tmp_path, settings)
    crypto.reset_keyring_cache()


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_before_the_shredding_holds_nothing_readable_about_the_person(fresh_keys, world):
    gone = fill(world, name="Gunnar Gone", via_concern=True)
    kept = fill(world, name="Kari Kept", entries=2)
    world.entry(gone, "ola", body="Under hovednøkkelen")
    legacy(Entry, "body", gone.entries.order_by("-pk").first().pk)  # a value from before per-person keys...
    rotate()  # ...moved under the person's data key by the upgrade's `utvei keys rotate`
    before = plaintexts()
    about = _subject_tokens()
    backup = _backup()

    person_shred(actor=world.m["dina"], person=gone.person, reason="request")

    gone_keys, kept_keys = set(about[str(gone.person.public_id)]), set(about[str(kept.person.public_id)])
    assert any(label == "cases.AttachmentBlob.data" for label, _ in gone_keys)
    if connection.vendor == "sqlite":
        # Restore the backup over the live database, then read it as the application does.
        backup.backup(connection.connection)
        restored = plaintexts()
        assert set(restored) == set(before)
        for key in gone_keys:
            assert crypto.is_erased(restored[key]), key
        for key in kept_keys | set(about.get("", {})):
            assert restored[key] == before[key], key
        assert crypto.is_erased(Person.objects.get(pk=gone.person.pk).full_name)
        assert Person.objects.get(pk=kept.person.pk).full_name == "Kari Kept"
    else:
        # Read the dump's ciphertexts: every one about the person is there, and none opens.
        dump = backup
        assert b"Gunnar" not in dump and b"Kari Kept" not in dump
        text_tokens = set(re.findall(rb"enc[12]:[A-Za-z0-9_-]+:[A-Za-z0-9_=-]+", dump))
        hex_blobs = {bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]{32,})", dump)}
        cols = {c.label: c for c in crypto.encrypted_columns()}
        for key in gone_keys | kept_keys:
            token = about[str(gone.person.public_id)].get(key) or about[str(kept.person.public_id)][key]
            col = cols[key[0]]
            if col.is_bytes:
                assert token in hex_blobs, key
                context = f"cases.Attachment:{Attachment.objects.get(pk=key[1]).public_id}"
                opened = lambda t=token, c=context: crypto.decrypt_bytes(t, context=c)  # noqa: E731
            else:
                assert token.encode() in text_tokens, key
                opened = lambda t=token, c=col.field._context: crypto.decrypt(t, context=c)  # noqa: E731
            if key in gone_keys:
                with pytest.raises(crypto.KeyErased):
                    opened()
            else:
                assert opened() == before[key], key
