"""concerns/: submit, receipts, intake queue, reading one, triage."""

from __future__ import annotations

from typing import Any

from utvei.audit.models import Action
from utvei.cases.models import Case, Concern, ConcernStatus

from .api_helpers import API, assert_error, audit_seq, last_events, send

CONCERN = {
    "receiving_organisation": "kommune",
    "description": "Eleven har endret seg og snakker om vold.",
    "urgency": "soon",
    "subject_name": "Test Testesen",
    "subject_national_id": "01010112345",
    "subject_birth_date": "2008-01-01",
}


def submit(world: Any, by: str = "rolf", **extra: Any) -> Any:
    r = send(world.api(by), "post", "concerns/", {**CONCERN, **extra})
    assert r.status_code == 201, r.content
    return r.json()


def test_a_reporter_submits_a_concern_and_gets_a_receipt(world: Any) -> None:
    seq = audit_seq()
    receipt = submit(world)
    assert receipt["reference"].startswith("BEK") and receipt["status"] == "received"
    assert receipt["receiving_organisation"] == "kommune"
    for hidden in ("description", "subject_name", "subject_national_id", "subject_birth_date", "outcome"):
        assert hidden not in receipt
    concern = Concern.objects.get(public_id=receipt["id"])
    assert concern.reporter == world.m["rolf"].user and concern.reporter_org == world.orgs["skole"]
    assert [e.action for e in last_events(seq)] == [Action.CONCERN_CREATE]


def test_the_client_cannot_choose_the_reporter(world: Any) -> None:
    receipt = submit(
        world,
        reporter="kari",
        reporter_org="politi",
        reporter_organisation="politi",
        status="triaged",
        reference="BEK-HACK",
        id="00000000-0000-0000-0000-000000000001",
    )
    concern = Concern.objects.get(public_id=receipt["id"])
    assert concern.reporter.username == "rolf" and concern.reporter_org.slug == "skole"
    assert concern.status == ConcernStatus.RECEIVED and concern.reference != "BEK-HACK"


def test_an_unknown_receiving_organisation_is_400(world: Any) -> None:
    r = send(world.api("rolf"), "post", "concerns/", {**CONCERN, "receiving_organisation": "nowhere"})
    data = assert_error(r, 422, "invalid")
    assert "receiving_organisation" in data["fields"]


def test_a_role_without_the_capability_cannot_submit(world: Any) -> None:
    assert_error(send(world.api("dina"), "post", "concerns/", CONCERN), 403, "forbidden")


def test_the_reporter_lists_their_receipts_and_nothing_else(world: Any) -> None:
    mine = submit(world)
    submit(world, by="siri")
    seq = audit_seq()
    r = world.api("rolf").get(API + "concerns/")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["results"]] == [mine["id"]]
    assert len(last_events(seq)) == 1


def test_the_coordinator_sees_the_intake_queue_most_urgent_first(world: Any) -> None:
    routine = submit(world, urgency="routine")
    acute = submit(world, by="siri", urgency="acute")
    submit(world, receiving_organisation="annen")
    rows = world.api("kari").get(API + "concerns/").json()["results"]
    assert [c["id"] for c in rows] == [acute["id"], routine["id"]]
    assert rows[0]["reporter_organisation"] == "skole"
    assert "description" not in rows[0] and "subject_name" not in rows[0]
    assert world.api("atle").get(API + "concerns/").json()["count"] == 1
    assert world.api("kari").get(API + "concerns/?mine=1").json()["count"] == 0


def test_the_coordinator_reads_the_concern_without_the_identity_number(world: Any) -> None:
    receipt = submit(world)
    r = world.api("kari").get(f"{API}concerns/{receipt['id']}/")
    assert r.status_code == 200
    data = r.json()
    assert data["description"] == CONCERN["description"] and data["subject_name"] == "Test Testesen"
    assert data["has_national_id"] is True and data["has_birth_date"] is True
    assert "01010112345" not in r.content.decode() and "2008-01-01" not in r.content.decode()


def test_the_reporter_reads_only_the_receipt(world: Any) -> None:
    receipt = submit(world)
    data = world.api("rolf").get(f"{API}concerns/{receipt['id']}/").json()
    assert "description" not in data and "subject_name" not in data and data["id"] == receipt["id"]


def test_others_get_404_and_the_attempt_is_audited(world: Any) -> None:
    receipt = submit(world)
    for username in ("atle", "siri", "per"):
        seq = audit_seq()
        assert_error(world.api(username).get(f"{API}concerns/{receipt['id']}/"), 404, "not_found")
        assert [e.action for e in last_events(seq)] == [Action.CASE_DENIED]


def test_triage_opens_a_case(world: Any) -> None:
    receipt = submit(world)
    r = send(
        world.api("kari"),
        "post",
        f"concerns/{receipt['id']}/triage/",
        {"outcome": "open_case", "rationale": "Trenger oppfølging", "track": "prevention"},
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["status"] == "triaged" and data["outcome"] == "open_case" and data["case"]
    case = Case.objects.get(public_id=data["case"])
    assert case.owning_org == world.orgs["kommune"] and case.person.full_name == "Test Testesen"
    assert world.api("kari").get(f"{API}cases/{data['case']}/").status_code == 200


def test_triage_twice_is_a_conflict(world: Any) -> None:
    receipt = submit(world)
    url = f"concerns/{receipt['id']}/triage/"
    payload = {"outcome": "no_action", "rationale": "Ingen grunn"}
    assert send(world.api("kari"), "post", url, payload).status_code == 200
    assert_error(send(world.api("kari"), "post", url, payload), 409, "conflict")


def test_an_anonymous_concern_needs_a_name_to_open_a_case(world: Any) -> None:
    receipt = submit(world, anonymous=True)
    url = f"concerns/{receipt['id']}/triage/"
    payload = {"outcome": "open_case", "rationale": "Må følges opp"}
    assert_error(send(world.api("kari"), "post", url, payload), 422, "identity_required")
    r = send(world.api("kari"), "post", url, {**payload, "full_name": "Ny Person"})
    assert r.status_code == 200, r.content


def test_only_the_receiving_coordinators_can_triage(world: Any) -> None:
    receipt = submit(world)
    payload = {"outcome": "no_action", "rationale": "x"}
    for username in ("rolf", "atle", "ola"):
        assert_error(send(world.api(username), "post", f"concerns/{receipt['id']}/triage/", payload), 404)
