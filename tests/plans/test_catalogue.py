"""The toolbox as versioned data: the data file, its sync, local measures, usage counts with small-cell suppression."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.plans.helpers import add_item, approved_plan, draft_plan, events_since, seq
from utvei.audit.models import Action
from utvei.core.errors import Conflict, Forbidden, UtveiError
from utvei.plans import catalogue, selectors, services
from utvei.plans.models import Measure, MeasureRevision, Sector

# The measures the issue names, by key.
REQUIRED = {
    "mentor",
    "former-member-support",
    "motivational-conversation",
    "police-concern-conversation",
    "housing",
    "employment-work-training",
    "education-school-adaptation",
    "mental-health-trauma-care",
    "substance-use-care",
    "family-support-parents-network",
    "child-welfare-measures",
    "ideological-dialogue",
    "theological-counselling",
    "safety-planning-protection",
    "debt-counselling",
    "leisure-sport",
    "practical-help-authorities",
    "online-safety-support",
    "prison-contact-release-planning",
    "restorative-mediation",
    "returnee-child-follow-up",
    "individual-plan-coordinator",
}
# An evidence note says what is not known; it never claims that a measure works.
NOT_KNOWN = ("ikke", "ingen", "ukjent")
NOT_KNOWN_EN = ("not", "no ", "none", "unknown")
CLAIMS = re.compile(r"\b(works|proven|prevents|virker|forebygger)\b")


def test_the_data_file_holds_at_least_22_bilingual_measures_with_sector_and_evidence_note():
    entries = catalogue.load_entries()
    assert len(entries) >= 22
    assert {e["key"] for e in entries} >= REQUIRED
    for e in entries:
        for name in ("name_nb", "name_en", "description_nb", "description_en", "evidence_nb", "evidence_en"):
            assert e[name].strip(), (e["key"], name)
        assert e["sector"] in Sector.values and e["tracks"] and e["provider_kinds"]
        assert e["duration_nb"] and e["duration_en"]
        assert e["name_nb"] != e["name_en"] or e["key"] == "mentor", e["key"]


def test_every_evidence_note_is_honest_about_what_is_not_known():
    for e in catalogue.load_entries():
        nb, en = e["evidence_nb"].lower(), e["evidence_en"].lower()
        assert any(w in nb for w in NOT_KNOWN), e["key"]
        assert any(w in en for w in NOT_KNOWN_EN), e["key"]
        assert not CLAIMS.search(en) and not CLAIMS.search(nb), e["key"]


def test_the_migration_loaded_the_catalogue(db):
    assert Measure.objects.filter(owner_org__isnull=True).count() == len(catalogue.load_entries())
    mentor = Measure.objects.get(key="mentor")
    assert mentor.version == 1 and mentor.revisions.get().source == "data-file"


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def test_sync_is_idempotent_and_versions_changed_entries(db, tmp_path):
    out = StringIO()
    call_command("measures", "sync", stdout=out)
    assert "OK: nothing to change" in out.getvalue()
    entries = catalogue.load_entries()
    entries[0]["evidence_en"] += " One more sentence."
    start = seq()
    summary = services.measures_sync(path=_write(tmp_path, entries))
    assert summary.updated == [entries[0]["key"]] and not summary.created
    measure = Measure.objects.get(key=entries[0]["key"])
    assert measure.version == 2 and measure.evidence_en.endswith("One more sentence.")
    assert MeasureRevision.objects.filter(measure=measure).count() == 2
    assert [e.action for e in events_since(start)] == [Action.MEASURE_UPDATE]
    assert not services.measures_sync(path=_write(tmp_path, entries)).changed


@pytest.mark.parametrize(
    "change,message",
    [
        ({"sector": "space"}, "sector"),
        ({"colour": "blue"}, "unknown fields"),
        ({"tracks": []}, "tracks"),
        ({"tracks": ["exit", "exit"]}, "tracks"),
        ({"evidence_en": ""}, "evidence_en is required"),
        ({"key": "local-x"}, "local measures"),
        ({"key": "Not A Key"}, "key"),
        ({"provider_kinds": ["wizards"]}, "provider_kinds"),
    ],
)
def test_a_bad_data_file_is_refused_with_the_entry_and_field(db, tmp_path, change, message):
    entries = catalogue.load_entries()
    entries[0] = {**entries[0], **change}
    with pytest.raises(CommandError, match=message):
        call_command("measures", "sync", "--file", str(_write(tmp_path, entries)), stdout=StringIO())


def test_duplicate_keys_are_refused(db, tmp_path):
    entries = catalogue.load_entries()
    with pytest.raises(catalogue.CatalogueError, match="duplicate"):
        catalogue.load_entries(_write(tmp_path, [entries[0], entries[0]]))


def _local(world, by="kari", **kw):
    fields = {
        "name_nb": "Jobbklubb på Fjordvik bibliotek",
        "sector": "municipality",
        "tracks": ["exit"],
        "evidence_nb": "Ikke evaluert.",
    }
    return services.measure_create_local(actor=world.m[by], **{**fields, **kw})


def test_a_coordinator_adds_a_local_measure_owned_by_their_organisation(world):
    start = seq()
    measure = _local(world)
    assert measure.key == "local-kommune-jobbklubb-pa-fjordvik-bibliotek"
    assert measure.owner_org == world.orgs["kommune"] and measure.is_local
    assert _local(world).key.endswith("-2")  # keys stay unique
    assert [e.action for e in events_since(start)] == [Action.MEASURE_CREATE, Action.MEASURE_CREATE]
    # The data file's sync leaves local measures alone.
    assert not services.measures_sync().changed and Measure.objects.filter(owner_org__isnull=False).count() == 2


@pytest.mark.parametrize("username", ["ola", "mona", "dina", "adam"])
def test_only_coordinators_add_local_measures(world, username):
    with pytest.raises(Forbidden):
        _local(world, by=username)


def test_a_local_measure_needs_an_evidence_note_and_known_choices(world):
    with pytest.raises(UtveiError):
        _local(world, evidence_nb="")
    with pytest.raises(UtveiError):
        _local(world, sector="space")


def test_only_the_owning_organisation_changes_a_local_measure_and_the_national_ones_never(world):
    measure = _local(world)
    with pytest.raises(Forbidden):
        services.measure_update_local(actor=world.m["atle"], measure=measure, expected_version=1, name_nb="X")
    with pytest.raises(Forbidden):
        services.measure_update_local(
            actor=world.m["kari"], measure=Measure.objects.get(key="mentor"), expected_version=1, name_nb="X"
        )
    updated = services.measure_update_local(
        actor=world.m["kjell"], measure=measure, expected_version=1, name_nb="Jobbklubb", active=False
    )
    assert (updated.version, updated.active, updated.key) == (2, False, measure.key)
    with pytest.raises(Conflict):
        services.measure_update_local(actor=world.m["kari"], measure=measure, expected_version=1, name_nb="Y")


def test_the_catalogue_filters_by_sector_track_and_scope(world):
    _local(world)
    m = world.m["ola"]
    police = selectors.measure_list(actor=m, filters=selectors.MeasureFilters(sector="police"))
    assert {x.key for x in police} == {"police-concern-conversation", "safety-planning-protection"}
    returnee = selectors.measure_list(actor=m, filters=selectors.MeasureFilters(track="returnee"))
    assert "returnee-child-follow-up" in {x.key for x in returnee} and "police-concern-conversation" not in {
        x.key for x in returnee
    }
    local = selectors.measure_list(actor=m, filters=selectors.MeasureFilters(scope="local"))
    assert [x.key for x in local] == ["local-kommune-jobbklubb-pa-fjordvik-bibliotek"]
    assert len(selectors.measure_list(actor=m)) == len(catalogue.load_entries()) + 1
    assert selectors.measure_list(actor=None) == []


def test_usage_counts_current_plans_and_suppresses_small_numbers(world):
    kari = world.m["kari"]
    cases = [world.open_case(name=f"Person {i}") for i in range(4)]
    for case in cases[:3]:
        plan = draft_plan(world, case)
        add_item(world, plan, key="housing")
        add_item(world, plan, key="housing")  # twice in one plan counts once
        plan.refresh_from_db()
        services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    draft = draft_plan(world, cases[3])  # a draft is not in use
    add_item(world, draft, key="debt-counselling")
    approved_plan(world, world.open_case(name="Person 5"))

    def usage(key: str) -> selectors.Usage:
        return selectors.measure_get(actor=world.m["atle"], key=key).usage

    assert usage("housing") == selectors.Usage(3)
    assert usage("debt-counselling") == selectors.Usage(0)
    assert usage("mentor") == selectors.Usage(0)
    # Two current plans: shown as "fewer than 3", never as the number.
    plan = draft_plan(world, world.open_case(name="Person 6"))
    add_item(world, plan, key="debt-counselling")
    plan.refresh_from_db()
    services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    assert usage("debt-counselling") == selectors.Usage(None, True)
