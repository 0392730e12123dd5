"""The data file, the sync (migration and `utvei legalbases sync`), versioning and who may use which basis."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command

from utvei.accounts.models import OrgKind
from utvei.audit.models import Action, AuditEvent
from utvei.core.errors import Conflict, Forbidden, UtveiError
from utvei.sharing import catalogue
from utvei.sharing.consent import selectors, services
from utvei.sharing.models import BasisType, LegalBasis, LegalBasisNote, LegalBasisRevision

PROVISIONS = {
    "fvl-13a-1": BasisType.CONSENT,
    "fvl-13a-2": BasisType.ANONYMISED,
    "fvl-13b-5": BasisType.PERMISSION,
    "fvl-13b-6": BasisType.PERMISSION,
    "fvl-13b-7": BasisType.EMERGENCY,
    "hpl-21": BasisType.CONFIDENTIALITY,
    "hpl-22": BasisType.CONSENT,
    "hpl-23-4": BasisType.PERMISSION,
    "hpl-31": BasisType.DUTY,
    "hpl-33": BasisType.DUTY,
    "bvl-kap-13": BasisType.PERMISSION,
    "navl-7": BasisType.PERMISSION,
    "sotjl-44": BasisType.PERMISSION,
    "strl-196": BasisType.DUTY,
    "strl-17": BasisType.EMERGENCY,
    "prl-kap-6": BasisType.PERMISSION,
}


def _sync(path: Path | None = None) -> str:
    out = io.StringIO()
    args = ["legalbases", "sync"] + (["--file", str(path)] if path else [])
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_data_file_has_the_provisions_practitioners_cite():
    entries = {e["key"]: e for e in catalogue.load_entries()}
    for key, kind in PROVISIONS.items():
        assert entries[key]["type"] == kind, key
    for e in entries.values():
        # Every basis other than consent, anonymised data and the confidentiality rule needs a justification.
        needs = e["type"] not in {BasisType.CONSENT, BasisType.ANONYMISED, BasisType.CONFIDENTIALITY}
        assert e["justification_required"] is needs, e["key"]
        assert e["gdpr_frame"] and e["title_nb"] and e["title_en"] and e["conditions_nb"] and e["conditions_en"]
    assert entries["fvl-13b-7"]["max_duration_days"] == 30
    assert "legal counsel" in catalogue.DATA_FILE.read_text().split("\n- key:")[0].lower()


def test_the_migration_loads_the_data_file(db):
    LegalBasisRevision.objects.all().delete()
    LegalBasis.objects.all().delete()
    migration = __import__("utvei.sharing.migrations.0002_load_legal_bases", fromlist=["load"])
    migration.load(apps, None)
    assert set(LegalBasis.objects.values_list("key", flat=True)) == {e["key"] for e in catalogue.load_entries()}
    assert LegalBasisRevision.objects.filter(source="data-file", version=1).count() == LegalBasis.objects.count()


def test_sync_loads_everything_and_a_second_run_changes_nothing(db):
    LegalBasisRevision.objects.all().delete()
    LegalBasis.objects.all().delete()
    first = _sync()
    n = len(catalogue.load_entries())
    assert f"created: {n}" in first and "catalogue changed" in first
    revisions = LegalBasisRevision.objects.count()
    before = list(LegalBasis.objects.values_list("key", "version", "updated_at"))
    second = _sync()
    assert "created: 0" in second and "updated: 0" in second and f"unchanged: {n}" in second
    assert "nothing to change" in second
    assert LegalBasisRevision.objects.count() == revisions == n
    assert list(LegalBasis.objects.values_list("key", "version", "updated_at")) == before


def _changed_file(tmp_path: Path, key: str, **changes: Any) -> Path:
    data = yaml.safe_load(catalogue.DATA_FILE.read_text())
    for entry in data:
        if entry["key"] == key:
            entry.update(changes)
    path = tmp_path / "legal_bases.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_a_changed_entry_gets_a_new_version_and_a_revision(catalogue, tmp_path):
    path = _changed_file(tmp_path, "fvl-13b-5", max_duration_days=180)
    out = _sync(path)
    assert "updated: 1 (fvl-13b-5)" in out
    basis = LegalBasis.objects.get(key="fvl-13b-5")
    assert basis.version == 2 and basis.max_duration_days == 180
    revisions = list(basis.revisions.order_by("version"))
    assert [(r.version, r.source) for r in revisions] == [(1, "data-file"), (2, "data-file")]
    assert revisions[0].snapshot["max_duration_days"] == 365 and revisions[1].snapshot["max_duration_days"] == 180
    assert AuditEvent.objects.filter(action=Action.LEGAL_BASIS_UPDATE, object_id="fvl-13b-5").exists()
    assert "updated: 0" in _sync(path)  # idempotent with the changed file too


def test_an_organisations_note_survives_a_sync_even_when_the_file_changes_the_basis(world, catalogue, tmp_path):
    note = services.legal_basis_note_save(
        actor=world.m["adam"], basis=catalogue["hpl-23-4"], expected_version=0, text="Vår rutine: spør overlegen."
    )
    assert "unchanged" in _sync()
    _sync(_changed_file(tmp_path, "hpl-23-4", max_duration_days=21))
    basis = LegalBasis.objects.get(key="hpl-23-4")
    assert basis.version == 2 and basis.max_duration_days == 21
    assert LegalBasisNote.objects.get(pk=note.pk).text == "Vår rutine: spør overlegen."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "whim"}, "type must be one of"),
        ({"sender_kinds": ["police", "aliens"]}, "sender_kinds"),
        ({"max_duration_days": 0}, "max_duration_days"),
        ({"justification_required": "yes"}, "justification_required"),
        ({"title_en": ""}, "title_en is required"),
        ({"surprise": 1}, "unknown fields"),
    ],
)
def test_a_broken_data_file_is_refused_and_changes_nothing(catalogue, tmp_path, change, message):
    before = LegalBasisRevision.objects.count()
    with pytest.raises(CommandError, match=message):
        _sync(_changed_file(tmp_path, "navl-7", **change))
    assert LegalBasisRevision.objects.count() == before


def test_duplicate_keys_are_refused(tmp_path):
    data = yaml.safe_load(catalogue.DATA_FILE.read_text())
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump([*data, data[0]]))
    with pytest.raises(catalogue.CatalogueError, match="duplicate keys"):
        catalogue.load_entries(path)


def test_a_note_is_versioned_audited_and_conflicts_when_stale(world, catalogue):
    adam = world.m["adam"]
    note = services.legal_basis_note_save(
        actor=adam, basis=catalogue["navl-7"], expected_version=0, text="Sjekk først."
    )
    assert note.version == 1 and note.updated_by == adam.user and note.organisation == adam.organisation
    event = AuditEvent.objects.filter(action=Action.LEGAL_BASIS_UPDATE).last()
    assert event is not None and event.actor_id == adam.user.pk and event.object_id == "navl-7"
    with pytest.raises(Conflict) as exc:
        services.legal_basis_note_save(actor=adam, basis=catalogue["navl-7"], expected_version=0, text="Noe annet")
    assert exc.value.current.version == 1
    same = services.legal_basis_note_save(
        actor=adam, basis=catalogue["navl-7"], expected_version=1, text="Sjekk først."
    )
    assert same.version == 1  # the same text again: no new version
    assert LegalBasis.objects.get(key="navl-7").version == 1  # the national entry is never touched


@pytest.mark.parametrize("username", ["kari", "ola", "dina", "mona"])
def test_only_org_admins_may_write_notes(world, catalogue, username):
    with pytest.raises(Forbidden):
        services.legal_basis_note_save(actor=world.m[username], basis=catalogue["navl-7"], expected_version=0, text="x")
    assert not LegalBasisNote.objects.exists()


def test_a_note_too_long_is_refused(world, catalogue):
    with pytest.raises(UtveiError, match="at most 2000 characters"):
        services.legal_basis_note_save(
            actor=world.m["adam"], basis=catalogue["navl-7"], expected_version=0, text="x" * 2001
        )


@pytest.mark.parametrize(
    ("key", "kind", "usable"),
    [
        ("fvl-13b-5", OrgKind.NGO, False),
        ("fvl-13b-5", OrgKind.MENTOR_SERVICE, False),
        ("fvl-13b-5", OrgKind.FAITH_COMMUNITY, False),
        ("fvl-13b-5", OrgKind.MUNICIPALITY, True),
        ("fvl-13b-7", OrgKind.SCHOOL, True),
        ("hpl-23-4", OrgKind.HEALTH, True),
        ("hpl-23-4", OrgKind.MENTAL_HEALTH, True),
        ("hpl-23-4", OrgKind.POLICE, False),
        ("hpl-22", OrgKind.MUNICIPALITY, False),
        ("hpl-21", OrgKind.HEALTH, False),  # the confidentiality rule itself is never a basis
        ("prl-kap-6", OrgKind.POLICE, True),
        ("prl-kap-6", OrgKind.SECURITY_SERVICE, True),
        ("prl-kap-6", OrgKind.MUNICIPALITY, False),
        ("bvl-kap-13", OrgKind.CHILD_WELFARE, True),
        ("bvl-kap-13", OrgKind.SCHOOL, False),
        ("navl-7", OrgKind.WELFARE_EMPLOYMENT, True),
        ("navl-7", OrgKind.MUNICIPALITY, False),
        ("strl-196", OrgKind.NGO, True),  # everyone has the duty to avert
        ("strl-17", OrgKind.MENTOR_SERVICE, True),
    ],
)
def test_who_may_use_which_basis(catalogue, key, kind, usable):
    assert selectors.legal_basis_usable_by(catalogue[key], kind) is usable


def test_an_inactive_basis_is_usable_by_nobody(world, catalogue, tmp_path):
    _sync(_changed_file(tmp_path, "strl-17", active=False))
    assert not selectors.legal_basis_usable_by(LegalBasis.objects.get(key="strl-17"), OrgKind.POLICE)
