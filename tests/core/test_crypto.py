"""Field encryption and blind indexes."""

from __future__ import annotations

import json

import pytest

from utvei.core import crypto


def test_round_trip_and_key_id_in_ciphertext():
    token = crypto.encrypt("hemmelig", context="t.T.f")
    assert token.startswith("enc1:") and "hemmelig" not in token
    assert crypto.decrypt(token, context="t.T.f") == "hemmelig"


def test_ciphertext_moved_to_another_column_does_not_open():
    token = crypto.encrypt("hemmelig", context="t.T.name")
    with pytest.raises(crypto.KeyringError):
        crypto.decrypt(token, context="t.T.other")


def test_tampered_ciphertext_does_not_open():
    token = crypto.encrypt("hemmelig", context="c")
    head, blob = token.rsplit(":", 1)
    flipped = blob[:-2] + ("A" if blob[-2] != "A" else "B") + blob[-1]
    with pytest.raises(crypto.KeyringError):
        crypto.decrypt(f"{head}:{flipped}", context="c")


def test_old_keys_still_open_after_rotation(tmp_path, settings):
    path = tmp_path / "ring.json"
    crypto.generate_keyring(path)
    settings.UTVEI_KEYRING = str(path)
    crypto.reset_keyring_cache()
    try:
        old = crypto.encrypt("før rotasjon", context="c")
        data = json.loads(path.read_text())
        data["keys"]["k2"] = "A" * 43 + "="
        data["active"] = "k2"
        path.write_text(json.dumps(data))
        crypto.reset_keyring_cache()
        new = crypto.encrypt("etter", context="c")
        assert new.split(":")[1] == "k2"
        assert crypto.decrypt(old, context="c") == "før rotasjon"
    finally:
        crypto.reset_keyring_cache()


def test_blind_index_matches_normalised_values_only():
    a = crypto.blind_index("010170 12345", context="nin")
    assert a == crypto.blind_index("01017012345", context="nin")
    assert a != crypto.blind_index("01017012346", context="nin")
    assert a != crypto.blind_index("01017012345", context="other")
    assert "01017012345" not in a


def test_encrypted_columns_refuse_content_searches(world):
    from django.core.exceptions import FieldError

    from utvei.people.models import Person

    with pytest.raises(FieldError):
        list(Person.objects.filter(full_name__icontains="a"))
