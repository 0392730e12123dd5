"""The access table for the person's own page: the person of the scenario's case (paula) and of another case
(bert), against the policy's rows for them, the page, the API and every staff surface of the table.

They read exactly what is classified `participant` on their own case, never a marker, nothing of another case, no
team and no staff page or endpoint (404 there, as for a case that does not exist), and each read is audited.
"""

from __future__ import annotations

import pytest

from tests.cases import attachment_files as f
from tests.participant.helpers import client_of, join
from tests.plans import helpers as plans
from utvei.access.table import Outcome, participant_outcome
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.core.vocabulary import Classification
from utvei.sharing.models import Consent

from .scenario import build
from .table import ENTRIES, PARTICIPANTS, expect_participant

API = "/api/v1"


@pytest.mark.parametrize("classification", Classification.values)
@pytest.mark.parametrize("own_case", [True, False])
def test_the_policys_rows_for_the_person_follow_the_table(classification, own_case):
    got = participant_outcome(own_case=own_case, classification=classification)
    if expect_participant(classification, own_case=own_case):
        assert got == Outcome.READ
    else:
        assert got == (Outcome.HIDDEN if own_case else Outcome.NO_CASE)  # never a marker


@pytest.fixture
def two(world):
    sc = build(world)
    other = world.open_case(name="Bert Andersen")
    other_secrets = {}
    for classification in (Classification.TEAM, Classification.PARTICIPANT, Classification.MENTOR):
        secret = f"OTHER-CASE-{classification}"
        world.entry(other, "kari", classification, secret)
        other_secrets[classification] = secret
    other_plan = plans.approved_plan(world, other, goals=("OTHER-GOAL",))
    other_doc = case_services.attachment_add(
        actor=world.m["kari"],
        owner=world.entry(other, "kari", Classification.PARTICIPANT, "OTHER-DOC-ENTRY"),
        filename="Annen.pdf",
        data=f.PDF,
        classification=Classification.PARTICIPANT,
    )
    accounts = {"paula": join(world, sc.case, "paula"), "bert": join(world, other, "bert")}
    return sc, other, other_plan, other_doc, accounts


@pytest.mark.parametrize("viewer", list(PARTICIPANTS))
def test_the_page_and_the_api_follow_the_table(world, two, viewer):
    sc, _other, _plan, _doc, accounts = two
    own = PARTICIPANTS[viewer] == "own"
    c = client_of(accounts[viewer])
    before = AuditEvent.objects.filter(action=Action.PARTICIPANT_VIEW, actor_id=accounts[viewer].user_id).count()
    html = c.get("/me/").content.decode()
    api = c.get(f"{API}/me/").content.decode()
    entries = c.get(f"{API}/me/entries/").content.decode()
    for author, classification in ENTRIES:
        secret = sc.secrets[(author, classification)]
        want = expect_participant(classification, own_case=own)
        label = (viewer, author, classification)
        assert (secret in html) is want, label
        assert (secret in api) is want, label
        assert (secret in entries) is want, label
    assert "data-restricted" not in html and '"restricted"' not in api  # no markers
    assert "OTHER-CASE-team" not in html + api and "OTHER-CASE-mentor" not in html + api
    assert ("OTHER-CASE-participant" in html) is (not own)
    assert ("OTHER-GOAL" in html) is (not own)
    after = AuditEvent.objects.filter(action=Action.PARTICIPANT_VIEW, actor_id=accounts[viewer].user_id).count()
    assert after == before + 3  # every read audited


@pytest.mark.parametrize("viewer", list(PARTICIPANTS))
def test_every_staff_surface_of_the_table_is_not_found(world, two, viewer):
    sc, other, _plan, _doc, accounts = two
    c = client_of(accounts[viewer])
    for case in (sc.case, other):
        assert c.get(f"/cases/{case.public_id}/").status_code == 404
        assert c.get(f"/cases/{case.public_id}/participant/").status_code == 404
        assert str(case.public_id) not in c.get("/cases/", {"ref": case.reference}).content.decode()
        assert c.get(f"{API}/cases/{case.public_id}/").status_code in {401, 403}  # no token: the API has no session
    for e in sc.entries.values():
        assert c.get(f"/cases/{sc.case.public_id}/entries/{e.public_id}/").status_code == 404


def test_the_person_of_another_case_finds_nothing_of_it(world, two):
    sc, other, other_plan, other_doc, accounts = two
    c = client_of(accounts["paula"])
    goal = other_plan.goals.get()
    consent = Consent.objects.filter(case=other).first()
    assert c.post(f"/me/goals/{goal.public_id}/rate/", {"rating": "0"}).status_code == 404
    assert c.post(f"/me/consents/{consent.public_id}/withdraw/").status_code == 404
    assert c.get(f"/me/documents/{other_doc.public_id}/").status_code == 404
    json = "application/json"
    assert c.post(f"{API}/me/goals/{goal.public_id}/ratings/", {"rating": 0}, content_type=json).status_code == 404
    assert c.post(f"{API}/me/consents/{consent.public_id}/withdraw/").status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and not goal.ratings.exists()
    # …and the other person reads their own.
    b = client_of(accounts["bert"])
    assert b.get(f"/me/documents/{other_doc.public_id}/").status_code == 200
