"""The consent and sharing page of a case: lists, the two forms, withdraw and revoke, and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from utvei.cases import services as case_services
from utvei.cases.models import EntryKind
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.models import Consent, Disclosure


@pytest.fixture
def gated(world: Any, catalogue: Any) -> Any:
    """A case where siri (school) is on the team without consent, and kari has written a plan entry."""
    case = world.open_case(name="Page Person")
    world.add(case, "siri", consent=False)
    case_services.entry_create(
        actor=world.m["kari"],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        category=DataCategory.PLAN,
        body="PLAN-SECRET",
    )
    return case


def url(case: Any, tail: str = "") -> str:
    return f"/cases/{case.public_id}/sharing/{tail}"


def restricted(browse: Any, case: Any) -> int:
    html = browse("siri").get(f"/cases/{case.public_id}/").content.decode()
    return html.count('data-restricted="true"')


CONSENT = {
    "form": "consent",
    "consent-given_by": "person",
    "consent-organisations": ["skole"],
    "consent-categories": ["plan"],
    "consent-purposes": ["coordination"],
    "consent-evidence": "signed_form",
    "consent-evidence_note": "Signed in the meeting",
}


def test_the_page_lists_consents_and_disclosures_for_kari(world, browse, gated):
    world.consent(gated, "politi")
    response = browse("kari").get(url(gated))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Consents" in html and "Disclosures" in html
    assert "Record a consent" in html and "Record a disclosure" in html
    assert "<legend" in html and 'scope="col"' in html
    assert "Coordination" in html and "Active" in html
    detail = browse("kari").get(f"/cases/{gated.public_id}/").content.decode()
    assert url(gated) in detail


def test_no_relation_gets_404(world, browse, gated):
    assert browse("atle").get(url(gated)).status_code == 404
    assert browse("atle").post(url(gated), CONSENT).status_code == 404
    assert not Consent.objects.filter(case=gated, scope_orgs__slug="skole").exists()


def test_a_consent_from_the_form_opens_and_withdrawing_closes(world, browse, gated):
    before = restricted(browse, gated)
    assert before >= 1
    kari = browse("kari")
    response = kari.post(url(gated), CONSENT)
    assert response.status_code == 302
    assert restricted(browse, gated) == before - 1
    consent = Consent.objects.get(case=gated, scope_orgs__slug="skole")
    response = kari.post(url(gated, f"consents/{consent.public_id}/withdraw/"), {"note": "Withdrew by phone"})
    assert response.status_code == 302
    assert restricted(browse, gated) == before
    again = kari.post(url(gated, f"consents/{consent.public_id}/withdraw/"), {"note": ""})
    assert again.status_code == 409


def test_a_disclosure_without_justification_is_refused_with_the_message(world, browse, gated):
    data = {
        "form": "disclosure",
        "disclosure-to_org": "skole",
        "disclosure-categories": ["plan"],
        "disclosure-legal_basis": "fvl-13b-5",
        "disclosure-justification": "",
    }
    response = browse("kari").post(url(gated), data)
    assert response.status_code == 400
    assert "justification" in response.content.decode()
    assert not Disclosure.objects.filter(case=gated).exists()
    data["disclosure-justification"] = "The school must know the plan to keep him safe."
    response = browse("kari").post(url(gated), data)
    assert response.status_code == 302
    disclosure = Disclosure.objects.get(case=gated)
    page = browse("kari").get(url(gated)).content.decode()
    assert "fvl-13b-5" in page
    revoked = browse("kari").post(url(gated, f"disclosures/{disclosure.public_id}/revoke/"))
    assert revoked.status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.revoked_at is not None


@pytest.mark.parametrize(
    "change",
    [
        {"consent-organisations": ["nowhere"]},
        {"consent-categories": []},
        {"consent-categories": ["nonsense"]},
        {"consent-given_by": "cat"},
        {"consent-valid_until": "9999-01-01"},
        {"consent-valid_until": "2001-01-01"},
    ],
)
def test_bad_consent_input_is_a_4xx(world, browse, gated, change):
    response = browse("kari").post(url(gated), {**CONSENT, **change})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "change",
    [
        {"disclosure-to_org": "nowhere"},
        {"disclosure-to_org": "kommune"},
        {"disclosure-categories": []},
        {"disclosure-legal_basis": "no-such-basis"},
    ],
)
def test_bad_disclosure_input_is_a_4xx(world, browse, gated, change):
    data = {
        "form": "disclosure",
        "disclosure-to_org": "skole",
        "disclosure-categories": ["plan"],
        "disclosure-legal_basis": "fvl-13b-5",
        "disclosure-justification": "Needed.",
        **change,
    }
    response = browse("kari").post(url(gated), data)
    assert 400 <= response.status_code < 500


def test_bad_ids_are_404(world, browse, gated):
    kari = browse("kari")
    assert kari.get("/cases/not-a-uuid/sharing/").status_code == 404
    assert kari.get(f"/cases/{uuid.uuid4()}/sharing/").status_code == 404
    assert kari.post(url(gated, f"consents/{uuid.uuid4()}/withdraw/")).status_code == 404
    assert kari.post(url(gated, f"disclosures/{uuid.uuid4()}/revoke/")).status_code == 404
    assert kari.post(url(gated, "consents/nope/withdraw/")).status_code == 404


def test_a_mentor_gets_no_sharing_page(world, browse, gated):
    world.add(gated, "mona", role="mentor")
    assert browse("mona").get(url(gated)).status_code in (403, 404)
