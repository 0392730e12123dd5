"""«Why can I see this?» in words: the team membership and the consent, disclosure or emergency access behind
each readable entry, on the case page and the entry page, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from utvei.access import explain, policy
from utvei.cases import selectors
from utvei.cases import services as case_services
from utvei.cases.models import EntryKind
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.consent import services as sharing
from utvei.sharing.models import EmergencyAccess, EmergencyReason


@pytest.fixture(autouse=True)
def _english() -> Any:
    """The lines are read in English here; pages follow the interface language (last test)."""
    with translation.override("en"):
        yield


@pytest.fixture
def setup(world: Any, catalogue: Any) -> Any:
    """A municipality case; the school (siri) and NAV (nils) on the team without consent; kari's entries."""
    case = world.open_case(name="Explain Person")
    world.add(case, "siri", consent=False)
    world.add(case, "nils", consent=False)

    def write(by: str, category: str, body: str) -> Any:
        return case_services.entry_create(
            actor=world.m[by],
            case=case,
            kind=EntryKind.NOTE,
            classification=Classification.TEAM,
            category=category,
            body=body,
        )

    entries = {
        "plan": write("kari", DataCategory.PLAN, "PLAN"),
        "family": write("kari", DataCategory.FAMILY, "FAMILY"),
        "siri": write("siri", DataCategory.PLAN, "SIRI"),
    }
    return case, entries


def lines_for(world: Any, username: str, entry: Any) -> list[explain.WhyLine]:
    m = world.m[username]
    decision = policy.explain(m, entry)
    return explain.why_lines(m, entry.case, [(decision, entry.category)])[0]


def day(value: dt.datetime) -> str:
    from django.utils import formats

    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def test_a_consent_is_named_with_giver_date_evidence_validity_and_what_it_covers(world, setup):
    case, entries = setup
    until = timezone.now() + dt.timedelta(days=90)
    consent = sharing.consent_record(
        actor=world.m["kari"],
        case=case,
        given_by="person",
        scope_org_slugs=["skole"],
        categories=[DataCategory.PLAN],
        purposes=["coordination"],
        valid_until=until,
        evidence="oral",
    )
    lines = lines_for(world, "siri", entries["plan"])
    assert [line.kind for line in lines] == ["team", "consent"]
    assert lines[0].text == "You are on the team as caseworker for Testby videregående skole."
    assert lines[1].text == (
        f"Consent given by the person on {day(consent.valid_from)} (oral), valid until {day(until)}, "
        "covering Plan and measures for Testby videregående skole."
    )
    assert lines[1].ref == str(consent.public_id)


def test_a_consent_for_a_kind_of_organisation_says_so(world, setup):
    case, entries = setup
    sharing.consent_record(
        actor=world.m["kari"],
        case=case,
        given_by="person",
        scope_kinds=["school"],
        categories=[DataCategory.PLAN],
        purposes=["coordination"],
        evidence="signed_form",
    )
    text = lines_for(world, "siri", entries["plan"])[1].text
    assert "valid until withdrawn" in text and "(signed form)" in text
    assert text.endswith("covering Plan and measures for organisations of the kind school.")


def test_a_guardians_consent_says_a_guardian_gave_it_and_never_names_them(world, setup):
    case, entries = setup
    case.person.age_band = "u15"
    case.person.save(update_fields=["age_band"])
    sharing.consent_record(
        actor=world.m["kari"],
        case=case,
        given_by="guardian",
        guardian_name="Gunnhild Verge",
        scope_org_slugs=["skole"],
        categories=[DataCategory.PLAN],
        purposes=["coordination"],
        evidence="digital",
    )
    text = lines_for(world, "siri", entries["plan"])[1].text
    assert text.startswith("Consent given by a guardian on") and "(digital)" in text
    assert "Gunnhild" not in text


def test_a_disclosure_is_named_with_sender_provision_decider_and_expiry(world, setup):
    case, entries = setup
    disclosure = sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="nav",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13b-5",
        justification="NAV må kjenne planen.",
    )
    lines = lines_for(world, "nils", entries["plan"])
    assert [line.kind for line in lines] == ["team", "disclosure"]
    assert lines[1].ref == str(disclosure.public_id)
    assert lines[1].text == (
        "Disclosure from Testby kommune under Public Administration Act (forvaltningsloven) "
        f"§ 13 b første ledd nr. 5, decided {day(disclosure.decided_at)} by kari, covering Plan and measures, "
        f"expires {day(disclosure.expires_at)}."
    )
    assert "NAV må kjenne" not in lines[1].text  # the justification stays on the sharing page
    assert lines_for(world, "nils", entries["family"]) == []  # refused: no lines


def test_own_entries_and_own_organisation_say_no_basis_is_needed(world, setup):
    case, entries = setup
    mine = lines_for(world, "siri", entries["siri"])
    assert [line.kind for line in mine] == ["team", "author"]
    assert lines_for(world, "kari", entries["plan"])[-1].kind == "author"
    own = lines_for(world, "ola", entries["plan"])  # ola: caseworker in the municipality, not on the team
    assert own == []  # no relation to the case: the policy refuses, nothing to explain
    world.add(case, "ola", consent=False)
    own = lines_for(world, "ola", entries["plan"])
    assert [line.kind for line in own] == ["team", "own_org"]
    assert "Testby kommune" in own[1].text


def test_the_owners_coordinator_off_the_team_is_named_as_such(world, setup):
    case, entries = setup
    lines = lines_for(world, "kjell", entries["plan"])
    assert lines[0].kind == "owner"
    assert lines[0].text == "You are a coordinator in Testby kommune, the organisation that owns the case."


def test_an_emergency_access_is_named_with_its_end(world, setup):
    case, entries = setup
    m = world.m["arne"]
    ends = timezone.now() + dt.timedelta(hours=2)
    access = EmergencyAccess.objects.create(
        case=case,
        user=m.user,
        organisation=m.organisation,
        role=m.role,
        reason_code=EmergencyReason.LIFE_HEALTH,
        reason_text="Akutt",
        expires_at=ends,
    )
    lines = lines_for(world, "arne", entries["plan"])
    assert [line.kind for line in lines] == ["emergency"]
    assert lines[0].ref == str(access.public_id)
    assert lines[0].text.startswith("Emergency access until ")
    assert "reviewed by the data protection officer" in lines[0].text


def test_many_entries_cost_at_most_two_queries(world, setup, django_assert_max_num_queries):
    case, _ = setup
    world.consent(case, "skole")
    sharing.disclosure_record(
        actor=world.m["kari"],
        case=case,
        to_org_slug="skole",
        categories=[DataCategory.PLAN],
        legal_basis_key="fvl-13b-5",
        justification="Skolen må kjenne planen.",
    )
    for i in range(15):
        case_services.entry_create(
            actor=world.m["kari"], case=case, kind=EntryKind.NOTE, classification=Classification.TEAM, body=f"{i}"
        )
    ca = selectors.case_get(actor=world.m["siri"], case_id=case.public_id, audit=False)
    items = selectors.timeline(ca)
    with django_assert_max_num_queries(2):
        explained = explain.explain_items(world.m["siri"], case, items)
    assert len(explained) == len(items) and all(e.why for e in explained if e.readable)


def test_the_case_page_and_the_entry_page_show_the_lines(world, setup, browse):
    case, entries = setup
    consent = world.consent(case, "skole", categories=[DataCategory.PLAN])
    page = browse("siri").get(f"/cases/{case.public_id}/").content.decode()
    assert "Consent given by the person on" in page
    assert f'data-consent="{consent.public_id}"' in page
    assert "You are on the team as caseworker for Testby videregående skole." in page
    entry = browse("siri").get(f"/cases/{case.public_id}/entries/{entries['plan'].public_id}/").content.decode()
    assert "Why can I see this?" in entry
    assert "covering Plan and measures for Testby videregående skole" in entry
    restricted = browse("siri").get(f"/cases/{case.public_id}/entries/{entries['family'].public_id}/")
    assert "Consent given" not in restricted.content.decode()


def test_the_lines_follow_the_interface_language(world, setup, client_for):
    case, entries = setup
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    page = client_for("siri").get(f"/cases/{case.public_id}/entries/{entries['plan'].public_id}/")
    html = page.content.decode()
    assert 'data-why="consent"' in html and "Plan og tiltak" in html
