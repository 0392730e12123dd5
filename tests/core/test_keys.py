"""`utvei keys rotate` and `utvei keys status` (docs/encryption.md): every value moves under the new key, a crash
halfway is resumed, a value the application writes meanwhile is left alone, other processes see the new key."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from tests.core.keyhelp import fill, legacy, plaintexts, raw_values, use_fresh_keys
from utvei.cases.models import Case, Entry
from utvei.core import crypto, rotation
from utvei.people.models import Person


@pytest.fixture
def keys(tmp_path, settings):
    path = use_fresh_keys(tmp_path, settings)
    yield path
    crypto.reset_keyring_cache()


def _kinds(values):
    return {crypto.key_of(v) and crypto.key_of(v)[0] for v in values}


def test_values_about_a_person_go_under_their_data_key_and_the_rest_under_the_master_key(keys, world):
    case = fill(world)
    raw = raw_values()
    about_person = {k: v for k, v in raw.items() if not k[0].startswith("administration.")}
    assert about_person and _kinds(about_person.values()) == {"enc2"}
    assert crypto.key_of(raw[("cases.AttachmentBlob.data", case.attachments.get().pk)])[0] == "enc2"
    assert [crypto.key_of(v) for k, v in raw.items() if k[0] == "administration.MfaReset.explanation"] == [
        ("enc1", "k1")
    ]
    # One data key for the person: every value about them names it.
    assert len({crypto.key_of(v)[1] for v in about_person.values()}) == 1
    assert Entry.objects.filter(case=case).first().body.startswith("Notat")


def test_rotation_interrupted_halfway_and_run_again_ends_with_every_value_under_the_new_key(keys, world):
    case = fill(world)
    other = fill(world, name="Per Persen", entries=3)
    # Values from before per-person keys: under the master key, as an upgraded database holds them.
    for entry in Entry.objects.filter(case=case):
        legacy(Entry, "body", entry.pk)
    legacy(Person, "full_name", other.person.pk)
    before = plaintexts()
    st = rotation.status()
    assert st.values_under("k1") == 6 + 1 + 2  # six entries, a name, two administrators' notes

    def power_cut(done, total):
        if done >= 5:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        rotation.rotate(progress=power_cut)
    ring = crypto.keyring()
    assert ring.active == "k2" and ring.rotation is not None and ring.rotation["to"] == "k2"
    assert json.loads(keys.read_text())["rotation"]["from"] == ["k1"]  # the progress is in the file
    assert rotation.status().values_under("k1") > 0  # halfway

    result = rotation.rotate()
    assert result.resumed and result.new_key == "k2"
    ring = crypto.keyring()
    assert ring.rotation is None and ring.active == "k2" and ring.retired == {"k1"} and "k1" in ring.keys
    st = rotation.status()
    assert st.values_under("k1") == 0
    after = raw_values()
    assert {crypto.key_of(v) for k, v in after.items() if k[0].startswith("administration.")} == {("enc1", "k2")}
    assert _kinds(v for k, v in after.items() if not k[0].startswith("administration.")) == {"enc2"}
    assert plaintexts() == before  # every value still reads the same
    assert st.data_keys_by_master == {"k2": 2}  # both people's data keys wrapped again under the new key
    assert Case.objects.get(pk=other.pk).person.full_name == "Per Persen"


def test_a_second_rotation_with_drop_removes_the_old_keys_and_everything_still_reads(keys, world):
    fill(world)
    before = plaintexts()
    rotation.rotate()
    result = rotation.rotate(drop=True)
    assert result.dropped == ["k1", "k2"]
    ring = crypto.keyring()
    assert set(ring.keys) == {"k3"} and ring.active == "k3" and not ring.retired
    assert plaintexts() == before
    assert oct(keys.stat().st_mode & 0o777) == "0o600"


def test_a_value_the_application_writes_during_rotation_is_left_as_it_wrote_it(keys, world, monkeypatch):
    case = fill(world, entries=2)
    first = Entry.objects.filter(case=case).order_by("pk").first()
    legacy(Entry, "body", first.pk)
    real = rotation.decrypt

    def meanwhile(token, *, context):
        plain = real(token, context=context)
        if context == "cases.Entry.body" and plain.startswith("Notat 0"):
            Entry.objects.filter(pk=first.pk).update(body="Skrevet under rotasjonen")  # another process's write
        return plain

    monkeypatch.setattr(rotation, "decrypt", meanwhile)
    result = rotation.rotate()
    assert result.skipped_changed == 1
    assert Entry.objects.get(pk=first.pk).body == "Skrevet under rotasjonen"


def test_other_processes_see_a_new_active_key_without_a_restart(keys, world):
    assert crypto.keyring().active == "k1"
    data = json.loads(keys.read_text())
    data["keys"]["k9"] = data["keys"]["k1"]
    data["active"] = "k9"
    keys.write_text(json.dumps(data))  # as `utvei keys rotate` in another process would
    st = keys.stat()
    os.utime(keys, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert crypto.keyring().active == "k9"
    assert crypto.encrypt("x", context="c").startswith("enc1:k9:")


def test_status_and_rotate_commands_print_counts_and_a_progress_bar(keys, world):
    fill(world)
    out, err = io.StringIO(), io.StringIO()
    call_command("keys", "status", stdout=out)
    text = out.getvalue()
    assert "k1 (active): 1 values; 1 person data keys wrapped" in text
    assert "cases.Entry.body: person: 6" in text
    assert "Notat" not in text and "Rota" not in text
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out, stderr=err)
    assert "active key k2" in out.getvalue() and "retired (kept in the keyring for older backups): k1" in out.getvalue()
    assert "100%" in err.getvalue()
    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    assert "k1 (retired): 0 values" in out.getvalue() and "k2 (active): 1 values" in out.getvalue()


def test_a_new_models_encrypted_field_is_found_without_being_listed():
    class KeyProbe(models.Model):
        data_subject = None
        secret = crypto.EncryptedTextField()
        blob = crypto.EncryptedBinaryField(context_prefix="core.KeyProbe:", context_from="pk")

        class Meta:
            app_label = "core"

    try:
        labels = {c.label for c in crypto.encrypted_columns()}
        assert {"core.KeyProbe.secret", "core.KeyProbe.blob"} <= labels
    finally:
        del apps.all_models["core"]["keyprobe"]
        apps.clear_cache()


def test_every_model_with_encrypted_values_names_whose_they_are():
    """A new model with an encrypted field must declare `data_subject`: the path to the person its rows are about
    (so crypto-shredding reaches them), or None for rows about nobody."""
    from utvei.people.models import Person as P

    for col in crypto.encrypted_columns():
        assert "data_subject" in {k for cls in col.model.__mro__ for k in vars(cls)}, col.label
        path = col.data_subject
        if path in (None, "self"):
            assert path is None or col.model is P, col.label
            continue
        model = col.model
        for part in path.split("__"):
            model = model._meta.get_field(part).related_model
        assert model is P, col.label
