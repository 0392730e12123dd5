"""The retention pages: the overview, a case's retention page and its forms, the case page's banners."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.cases.models import Case, RetentionState
from utvei.retention import services
from utvei.retention.models import LegalHold, RectificationRequest


@pytest.fixture
def case(world: Any, closed_case: Any) -> Case:
    return closed_case()


def test_a_legal_hold_is_set_on_the_page_and_shown_on_the_case_page(world: Any, browse: Any, case: Case) -> None:
    url = f"/retention/cases/{case.public_id}/"
    kari = browse("kari")
    assert kari.post(f"{url}holds/", {"reason": ""}).status_code == 400  # a reason is needed
    assert kari.post(f"{url}holds/", {"reason": "Erstatningskrav varslet"}).status_code == 302
    hold = LegalHold.objects.get()
    shown = kari.get(f"/cases/{case.public_id}/").content.decode()
    assert "Legal hold." in shown and "Erstatningskrav varslet" in shown  # kari may lift it: sees why
    team = browse("ola").get(f"/cases/{case.public_id}/").content.decode()
    assert "Legal hold." in team and "Erstatningskrav varslet" not in team  # the team sees that, not why
    assert kari.post(f"{url}holds/{hold.public_id}/lift/", {"reason": "Forlikt"}).status_code == 302
    assert LegalHold.objects.active().count() == 0
    assert "Legal hold." not in browse("ola").get(f"/cases/{case.public_id}/").content.decode()


def test_the_overview_shows_the_dpo_the_cases_that_need_attention(world: Any, browse: Any, case: Case) -> None:
    services.hold_set(actor=world.m["dina"], case=case, reason="Tilsyn")
    page = browse("dina").get("/retention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert case.reference in text and "municipality-archive" in text
    assert case.reference not in browse("dora").get("/retention/").content.decode()


def test_the_overview_has_every_case_a_page_at_a_time(
    world: Any, browse: Any, closed_case: Any, monkeypatch: Any
) -> None:
    """Beyond a page the rest is on the next pages and counted (the overview stopped at 200, silently)."""
    monkeypatch.setattr("utvei.retention.views.PAGE_SIZE", 2)
    made = [closed_case(name=f"Person {i}") for i in range(3)]
    for c in made:
        services.hold_set(actor=world.m["dina"], case=c, reason="Tilsyn")
    dina = browse("dina")
    first, second = dina.get("/retention/").content.decode(), dina.get("/retention/?page=2").content.decode()
    assert "3 cases need attention." in first and "Page 1 of 2" in first
    shown = [c.reference for c in made if c.reference in first], [c.reference for c in made if c.reference in second]
    assert len(shown[0]) == 2 and len(shown[1]) == 1 and set(shown[0]) | set(shown[1]) == {c.reference for c in made}
    assert dina.get("/retention/?page=x").status_code == 200  # a page that is not one: the first


def test_art18_and_rectification_on_the_page(world: Any, browse: Any, case: Case) -> None:
    url = f"/retention/cases/{case.public_id}/"
    dina = browse("dina")
    assert dina.post(f"{url}rectification/", {"claim": "Feil kommune"}).status_code == 302
    request = RectificationRequest.objects.get()
    answer = {"status": "done", "answer": "Rettet", "municipality": "Annenby"}
    assert dina.post(f"{url}rectification/{request.public_id}/answer/", answer).status_code == 302
    case.person.refresh_from_db()
    assert case.person.municipality == "Annenby"
    assert dina.post(f"{url}restrict/", {"reason": "Personen krever begrensning"}).status_code == 302
    case.refresh_from_db()
    assert case.retention_state == RetentionState.RESTRICTED
    page = dina.get(url).content.decode()
    assert "Sperret" in page and "Personen krever begrensning" in page and "Lift the restriction" in page
    assert dina.post(f"{url}unrestrict/", {"reason": "Avklart"}).status_code == 302
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ACTIVE


def test_in_bokmal_a_restricted_case_is_sperret_everywhere(world: Any, client_for: Any, case: Case) -> None:
    """The state is «sperret» on the overview, the retention page and the case page's banner alike (the overview
    said «Skjermet», the word for screened entries, while the banner said «sperret»)."""
    services.restriction_request(actor=world.m["dina"], case=case, reason="Personen krever begrensning")
    dina = client_for("dina")
    overview = dina.get("/retention/").content.decode()
    row = overview[overview.index(f'data-case="{case.public_id}"') :].split("</tr>")[0]
    assert "<strong>Sperret</strong>" in row and "Skjermet" not in row
    page = dina.get(f"/retention/cases/{case.public_id}/").content.decode()
    assert "Sperret" in page and "Skjermet" not in page
