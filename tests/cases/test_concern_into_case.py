"""The concern carried into the case (issue 13, deliverable 3): when triage opens a case, the concern's words, its
reporter organisation and its receipt become the case's first timeline entry, for the receiving organisation only,
linked both ways (entry -> concern, concern -> case and entry)."""

from __future__ import annotations

import re

import pytest

from tests.api.api_helpers import API, assert_error, send
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import EntryKind, TriageOutcome
from utvei.core.errors import UtveiError
from utvei.core.vocabulary import Classification, DataCategory

WORDS = "Eleven deler voldsforherligende innhold og har sluttet å møte på trening."


@pytest.fixture
def opened(world):
    concern = services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description=WORDS, subject_name="Test Elev"
    )
    return services.concern_triage(
        actor=world.m["kari"], concern=concern, outcome=TriageOutcome.OPEN_CASE, rationale="Trenger oppfølging"
    )


def test_the_concern_is_the_cases_first_entry_for_the_receiving_organisation(world, opened):
    entry = opened.case.entries.get()
    assert (entry.kind, entry.category, entry.classification) == (
        EntryKind.CONCERN,
        DataCategory.CONCERN,
        Classification.OWN_ORG,
    )
    assert entry.body == WORDS and entry.source_concern == opened and entry.occurred_at == opened.received_at
    assert entry.author_org == world.orgs["kommune"] and entry.author == world.m["kari"].user
    assert AuditEvent.objects.filter(action=Action.ENTRY_CREATE, object_id=str(entry.public_id)).count() == 1


def test_the_pages_link_the_concern_and_its_entry_both_ways(world, browse, opened):
    entry = opened.case.entries.get()
    kari = browse("kari")
    page = kari.get(f"/cases/{opened.case.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert WORDS in page and f"Concern {opened.reference}, reported by Testby videregående skole" in page
    detail = kari.get(f"/cases/{opened.case.public_id}/entries/{entry.public_id}/").content.decode()
    assert f'href="/intake/{opened.public_id}/"' in detail
    intake = kari.get(f"/intake/{opened.public_id}/").content.decode()
    assert f'href="/cases/{opened.case.public_id}/entries/{entry.public_id}/"' in intake


def test_another_organisation_on_the_team_sees_only_that_it_exists(world, browse, opened):
    world.add(opened.case, "siri")  # the school's caseworker joins the team; the concern stays the municipality's
    page = browse("siri").get(f"/cases/{opened.case.public_id}/").content.decode()
    assert WORDS not in page and 'data-restricted="true"' in page


def test_nobody_writes_or_makes_a_concern_entry_by_hand(world, opened):
    case = opened.case
    with pytest.raises(UtveiError):
        services.entry_create(
            actor=world.m["kari"], case=case, kind=EntryKind.CONCERN, classification=Classification.TEAM, body="x"
        )
    note = services.entry_create(
        actor=world.m["kari"], case=case, kind=EntryKind.NOTE, classification=Classification.TEAM, body="Notat"
    )
    with pytest.raises(UtveiError):
        services.entry_update(actor=world.m["kari"], entry=note, expected_version=1, body="y", kind=EntryKind.CONCERN)
    concern_entry = case.entries.get(kind=EntryKind.CONCERN)
    with pytest.raises(UtveiError):
        services.entry_update(
            actor=world.m["kari"], entry=concern_entry, expected_version=1, body=WORDS, kind=EntryKind.NOTE
        )
    # Its text may be corrected like any entry's (the words as received stay in its first revision).
    saved = services.entry_update(actor=world.m["kari"], entry=concern_entry, expected_version=1, body=WORDS + ".")
    assert saved.kind == EntryKind.CONCERN and saved.revisions.count() == 2
    body = {"kind": "concern", "classification": "team", "body": "x"}
    assert_error(send(world.api("kari"), "post", f"{API}cases/{case.public_id}/entries/", body), 422, "kind_reserved")


def test_the_entry_form_offers_concern_only_on_the_concerns_own_entry(world, browse, opened):
    case = opened.case
    kari = browse("kari")
    new = _kinds(kari.get(f"/cases/{case.public_id}/entries/new/").content.decode())
    assert "concern" not in new and "note" in new
    entry = case.entries.get()
    assert _kinds(kari.get(f"/cases/{case.public_id}/entries/{entry.public_id}/edit/").content.decode()) == ["concern"]


def _kinds(page: str) -> list[str]:
    select = re.search(r'<select name="kind".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group(0))
