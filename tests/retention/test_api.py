"""retention/ in the API: the same services and the same policy as the pages."""

from __future__ import annotations

from typing import Any

import pytest

from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, RetentionState
from utvei.people.models import PersonVersion
from utvei.retention import services
from utvei.retention.models import LegalHold, RectificationRequest

JSON = "application/json"


@pytest.fixture
def case(world: Any, closed_case: Any) -> Case:
    return closed_case()


def _url(case: Case, rest: str = "") -> str:
    return f"/api/v1/retention/cases/{case.public_id}/{rest}"


def test_the_dpo_reads_a_cases_retention_with_rule_statute_and_dates(world: Any, case: Case) -> None:
    answer = world.api("dina").get(_url(case))
    assert answer.status_code == 200
    data = answer.json()
    assert data["state"] == "active" and data["rule"] == "municipality-archive" and data["rules_version"] == 1
    assert "arkivlova" in data["statute_nb"] and "Archives Act" in data["statute_en"]
    assert data["restrict_on"] == "2027-01-15" and data["end_step"] == "archive+restrict"
    assert "Samtale" not in answer.content.decode()  # never content


@pytest.mark.parametrize("who", ["ola", "per", "dora", "atle", "anna"])
def test_others_get_404(world: Any, case: Case, who: str) -> None:
    api = world.api(who)
    assert api.get(_url(case)).status_code == 404
    assert api.post(_url(case, "holds/"), {"reason": "x"}, content_type=JSON).status_code == 404
    assert api.post(_url(case, "restrict/"), {"reason": "x"}, content_type=JSON).status_code == 404
    assert not LegalHold.objects.exists()


def test_a_hold_is_set_and_lifted_once_both_audited(world: Any, case: Case) -> None:
    api = world.api("kari")
    made = api.post(_url(case, "holds/"), {"reason": "Klagesak hos Datatilsynet"}, content_type=JSON)
    assert made.status_code == 201
    hold = made.json()["holds"][0]
    assert hold["reason"] == "Klagesak hos Datatilsynet" and hold["lifted_at"] is None
    lift = _url(case, f"holds/{hold['id']}/lift/")
    assert world.api("dina").post(lift, {}, content_type=JSON).status_code == 200
    assert world.api("dina").post(lift, {}, content_type=JSON).status_code == 409
    actions = list(AuditEvent.objects.filter(case_id=str(case.public_id)).values_list("action", flat=True))
    assert actions.count(Action.HOLD_SET) == 1 and actions.count(Action.HOLD_LIFT) == 1


def test_restriction_on_request_and_its_lifting(world: Any, case: Case) -> None:
    api = world.api("kari")
    assert api.post(_url(case, "restrict/"), {"reason": "Bestrider"}, content_type=JSON).status_code == 200
    assert api.post(_url(case, "restrict/"), {"reason": "Igjen"}, content_type=JSON).status_code == 409
    assert api.get(f"/api/v1/cases/{case.public_id}/").status_code == 404  # restricted, not opened
    opened = api.post(_url(case, "open/"), {"reason_code": "subject_request", "reason": "Svar"}, content_type=JSON)
    assert opened.status_code == 201
    assert api.get(f"/api/v1/cases/{case.public_id}/").status_code == 200
    assert api.post(_url(case, "unrestrict/"), {"reason": ""}, content_type=JSON).status_code == 400
    assert api.post(_url(case, "unrestrict/"), {"reason": "Rettet"}, content_type=JSON).status_code == 200
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ACTIVE


def test_rectification_corrects_the_identity_through_person_update_and_records_the_answer(
    world: Any, case: Case
) -> None:
    api = world.api("dina")
    made = api.post(_url(case, "rectification/"), {"claim": "Navnet er feilstavet"}, content_type=JSON)
    assert made.status_code == 201
    request_id = made.json()["requests"][0]["id"]
    answer = _url(case, f"rectification/{request_id}/answer/")
    body: dict[str, Any] = {"status": "done", "answer": "Navnet rettet", "corrections": {"full_name": "Test Testsen"}}
    assert api.post(answer, body, content_type=JSON).status_code == 400  # no person_version
    assert api.post(answer, {**body, "person_version": 99}, content_type=JSON).status_code == 409
    assert api.post(answer, {**body, "person_version": case.person.version}, content_type=JSON).status_code == 200
    case.person.refresh_from_db()
    assert case.person.full_name == "Test Testsen"
    assert PersonVersion.objects.get(person=case.person).changed == ["full_name"]  # the earlier name is kept
    assert RectificationRequest.objects.get().status == "done"
    assert api.post(answer, {**body, "person_version": case.person.version}, content_type=JSON).status_code == 409
    actions = set(AuditEvent.objects.filter(case_id=str(case.public_id)).values_list("action", flat=True))
    assert {Action.RECTIFICATION_REGISTER, Action.RECTIFICATION_ANSWER, Action.PERSON_UPDATE} <= actions


def test_a_refusal_needs_a_reason_and_corrects_nothing(world: Any, case: Case) -> None:
    api = world.api("kari")
    made = api.post(_url(case, "rectification/"), {"claim": "Feil dato"}, content_type=JSON)
    answer = _url(case, f"rectification/{made.json()['requests'][0]['id']}/answer/")
    assert api.post(answer, {"status": "refused", "answer": ""}, content_type=JSON).status_code == 400
    refused = api.post(answer, {"status": "refused", "answer": "Datoen stemmer med folkeregisteret"}, content_type=JSON)
    assert refused.status_code == 200 and refused.json()["requests"][0]["status"] == "refused"


def test_the_overview_lists_held_and_restricted_cases(world: Any, case: Case, closed_case: Any) -> None:
    other = closed_case(name="Annen")
    services.hold_set(actor=world.m["dina"], case=case, reason="Hold")
    services.restriction_request(actor=world.m["dina"], case=other, reason="Art. 18")
    data = world.api("dina").get("/api/v1/retention/").json()
    assert data["count"] == 2
    found = {r["reference"]: r for r in data["results"]}
    assert found[case.reference]["held"] is True
    assert found[other.reference]["state"] == "restricted"
    assert world.api("dora").get("/api/v1/retention/").json()["results"] == []
    # A page at a time, the oldest closed first; nothing beyond a page is lost.
    first = world.api("dina").get("/api/v1/retention/?limit=1").json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["next"]
    second = world.api("dina").get("/api/v1/retention/?limit=1&offset=1").json()
    assert {first["results"][0]["reference"], second["results"][0]["reference"]} == {case.reference, other.reference}
    assert world.api("dina").get("/api/v1/retention/?limit=none").status_code == 400
