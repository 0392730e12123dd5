"""cases/: the list and its filters, one case's header, edits with version, transitions, close, reopen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plans.helpers import allow_planning, approved_plan
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Case, Phase
from utvei.people.services import person_find_or_create
from utvei.sharing.consent.services import consent_withdraw

from .api_helpers import API, CaseWorld, assert_error, audit_seq, last_events, send


def test_the_list_shows_cases_with_a_relation(cw: CaseWorld) -> None:
    other = cw.world.open_case(by="atle", name="Annen Person")
    for username in ("kari", "kjell", "per", "siri", "mona"):
        rows = cw.api(username).get(API + "cases/").json()["results"]
        assert [r["id"] for r in rows] == [str(cw.case.public_id)], username
    rows = cw.api("atle").get(API + "cases/").json()["results"]
    assert [r["id"] for r in rows] == [str(other.public_id)]
    for username in ("rolf", "dina", "anna", "adam", "nils"):
        assert cw.api(username).get(API + "cases/").json()["count"] == 0, username


def test_list_rows_name_the_person_only_to_those_who_may_read_the_identity(cw: CaseWorld) -> None:
    r = cw.api("kari").get(API + "cases/")
    row = r.json()["results"][0]
    assert row["reference"] == cw.case.reference and row["owning_organisation"] == "kommune"
    assert row["lead"] == "kari" and row["phase"] == "intake" and row["version"] == cw.case.version
    assert row["person_name"] == "Test Testesen"  # the owning organisation's coordinator (issue 13)
    assert "person" not in row and "national_id" not in r.content.decode()
    for consent in cw.case.consents.filter(scope_orgs__slug="skole"):
        consent_withdraw(actor=cw.world.m["kari"], consent=consent, note="test")
    r = cw.api("siri").get(API + "cases/")  # on the team, no basis for the identity any more
    assert [x["person_name"] for x in r.json()["results"]] == [None] and "Testesen" not in r.content.decode()


def test_filters(cw: CaseWorld) -> None:
    kari = cw.api("kari")
    second = cw.world.open_case(track="prevention", name="Andre Person")
    ids = lambda q: [r["id"] for r in kari.get(API + "cases/" + q).json()["results"]]  # noqa: E731
    assert set(ids("")) == {str(cw.case.public_id), str(second.public_id)}
    assert ids("?track=prevention") == [str(second.public_id)]
    assert ids("?phase=assessment") == []
    assert ids("?ref=" + cw.case.reference.lower()) == [str(cw.case.public_id)]
    assert ids("?ref=" + cw.case.person.reference) == [str(cw.case.public_id)]
    assert ids("?mine=1") == [str(second.public_id), str(cw.case.public_id)]
    assert cw.api("kjell").get(API + "cases/?mine=1").json()["count"] == 0
    assert ids("?overdue=true") == []
    case_services.case_close(actor=cw.world.m["kari"], case=second, reason="other", summary="Ferdig")
    assert ids("") == [str(cw.case.public_id)]
    assert ids("?closed=1") == [str(second.public_id), str(cw.case.public_id)]
    assert ids("?phase=closed") == [str(second.public_id)]


def test_the_list_and_lookup_are_audited_once(cw: CaseWorld) -> None:
    seq = audit_seq()
    cw.api("kari").get(API + "cases/")
    cw.api("kari").get(API + "cases/?ref=" + cw.case.reference)
    assert [e.action for e in last_events(seq)] == [Action.CASE_LIST, Action.CASE_LOOKUP]


def test_an_unrelated_coordinator_finds_nothing(cw: CaseWorld) -> None:
    atle = cw.api("atle")
    assert atle.get(API + "cases/").json()["count"] == 0
    assert atle.get(API + "cases/?ref=" + cw.case.reference).json()["count"] == 0
    assert atle.get(API + "cases/?ref=" + cw.case.person.reference + "&closed=1").json()["count"] == 0
    for path in ("", "entries/", f"entries/{cw.team_entry.public_id}/", "team/"):
        seq = audit_seq()
        assert_error(atle.get(cw.url + path), 404, "not_found")
        events = last_events(seq)
        assert [e.action for e in events] == [Action.CASE_DENIED], path
        assert events[0].actor_id == cw.world.m["atle"].user_id


def test_writes_by_an_unrelated_coordinator_are_404_and_change_nothing(cw: CaseWorld) -> None:
    atle = cw.api("atle")
    v = cw.case.version
    attempts = [
        ("patch", "", {"version": v, "track": "prevention"}),
        ("post", "transition/", {"to_phase": "assessment", "version": v}),
        ("post", "close/", {"reason": "other", "summary": "x", "version": v}),
        ("post", "reopen/", {}),
        ("post", "entries/", {"kind": "note", "classification": "team", "body": "x"}),
        ("patch", f"entries/{cw.team_entry.public_id}/", {"version": 1, "body": "x"}),
        ("post", "team/", {"username": "atle", "organisation": "annen", "role": "caseworker"}),
    ]
    for method, path, payload in attempts:
        assert_error(send(atle, method, cw.url + path, payload), 404, "not_found")
    assert_error(send(atle, "post", "tasks/", {"case": str(cw.case.public_id), "title": "x"}), 404)
    cw.case.refresh_from_db()
    assert cw.case.version == v and cw.case.track == "exit"


def test_the_coordinator_sees_the_full_header_with_the_person_reference_and_name(cw: CaseWorld) -> None:
    r = cw.api("kari").get(cw.url)
    data = r.json()
    assert data["person"] == {"reference": cw.case.person.reference, "name": "Test Testesen"}
    assert {"ideologies", "motivation_stage", "safety_plan", "phase_history", "closure_reason"} <= set(data)
    assert data["phase_history"][0]["to_phase"] == "intake"


def test_no_identity_number_or_birth_date_ever(world: Any) -> None:
    person, _ = person_find_or_create(
        actor=world.m["kari"], full_name="Nina Nummer", national_id="01010112345", birth_date=None
    )
    person.birth_date = "2001-02-03"
    person.save()
    case = case_services.case_open(actor=world.m["kari"], person=person, track="exit")
    for path in ("", "entries/", "team/"):
        text = world.api("kari").get(f"{API}cases/{case.public_id}/{path}").content.decode()
        assert "01010112345" not in text and "2001-02-03" not in text


BASIC_HEADER = {
    "id",
    "reference",
    "track",
    "phase",
    "owning_organisation",
    "lead",
    "opened_at",
    "closed_at",
    "version",
    "protected_identity",  # every viewer is told the identity is protected (issue 14, deliverable 5)
}


def test_a_mentor_sees_the_basic_header_and_what_the_consent_covers_them_for(cw: CaseWorld) -> None:
    """The consent in this world covers the mentor service for every category: who the person is included, so the
    mentor knows whom they meet (issue 12). Nothing of the file beyond the header's gated facts."""
    r = cw.api("mona").get(cw.url)
    data = r.json()
    assert set(data) == BASIC_HEADER | {"person", "ideologies", "motivation_stage"}
    assert "Test Testesen" in r.content.decode()


def test_without_a_basis_a_mentor_sees_the_basic_header_only(cw: CaseWorld) -> None:
    from utvei.sharing.consent.services import consent_withdraw
    from utvei.sharing.models import Consent

    for consent in Consent.objects.filter(case=cw.case, scope_orgs__slug="ngo"):
        consent_withdraw(actor=cw.world.m["kari"], consent=consent, note="Trukket")
    r = cw.api("mona").get(cw.url)
    assert set(r.json()) == BASIC_HEADER
    assert "Test Testesen" not in r.content.decode()


def test_reading_a_case_is_audited_once_with_actor_and_case(cw: CaseWorld) -> None:
    seq = audit_seq()
    assert cw.api("per").get(cw.url).status_code == 200
    (event,) = last_events(seq)
    assert event.action == Action.CASE_VIEW
    assert event.actor_id == cw.world.m["per"].user_id and event.case_id == str(cw.case.public_id)


def test_patch_edits_the_header_with_the_version(cw: CaseWorld) -> None:
    v = cw.case.version
    payload = {
        "version": v,
        "ideologies": ["right_wing"],
        "motivation_stage": "contemplation",
        "threat_clarified_at": "2026-01-15",
        "safety_plan": "Bytte skole",
        "lead": "per",
        "track": "returnee",
    }
    r = send(cw.api("kari"), "patch", cw.url, payload)
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["ideologies"] == ["right_wing"] and data["lead"] == "per" and data["track"] == "returnee"
    assert data["safety_plan"] == "Bytte skole" and data["threat_clarified_at"] == "2026-01-15"
    assert data["version"] == v + 2
    cw.case.refresh_from_db()
    assert cw.case.lead == cw.world.m["per"].user and cw.case.track == "returnee"
    actions = list(AuditEvent.objects.filter(case_id=str(cw.case.public_id)).values_list("action", flat=True))
    assert Action.CASE_UPDATE in actions and Action.CASE_TRACK in actions


def test_patch_needs_the_version(cw: CaseWorld) -> None:
    data = assert_error(send(cw.api("kari"), "patch", cw.url, {"track": "prevention"}), 400, "invalid")
    assert "version" in data["fields"]


def test_a_stale_version_is_409_with_the_saved_version(cw: CaseWorld) -> None:
    v = cw.case.version
    assert send(cw.api("kari"), "patch", cw.url, {"version": v, "motivation_stage": "action"}).status_code == 200
    r = send(cw.api("kari"), "patch", cw.url, {"version": v, "motivation_stage": "relapse"})
    data = assert_error(r, 409, "conflict")
    assert data["current"]["version"] == v + 1 and data["current"]["motivation_stage"] == "action"
    cw.case.refresh_from_db()
    assert cw.case.motivation_stage == "action"


def test_a_failed_part_of_a_patch_changes_nothing(cw: CaseWorld) -> None:
    v = cw.case.version
    r = send(cw.api("kari"), "patch", cw.url, {"version": v, "track": "prevention", "lead": "nils"})
    assert_error(r, 422, "lead_not_on_team")
    cw.case.refresh_from_db()
    assert cw.case.track == "exit" and cw.case.version == v


def test_the_client_cannot_set_owner_reference_phase_or_person(cw: CaseWorld) -> None:
    payload = {
        "version": cw.case.version,
        "owning_organisation": "annen",
        "owning_org": "annen",
        "reference": "HACK-1",
        "phase": "closed",
        "person": {"reference": "UTV-X", "name": "Noen Andre"},
        "closure_reason": "deceased",
        "opened_at": "2000-01-01T00:00:00Z",
        "id": "00000000-0000-0000-0000-000000000001",
    }
    r = send(cw.api("kari"), "patch", cw.url, payload)
    assert r.status_code == 200, r.content
    cw.case.refresh_from_db()
    assert cw.case.owning_org.slug == "kommune" and cw.case.reference != "HACK-1"
    assert cw.case.phase == "intake" and cw.case.closure_reason == "" and cw.case.person.full_name == "Test Testesen"


@pytest.mark.parametrize("username", ["per", "siri", "mona"])
def test_team_members_who_are_not_coordinators_cannot_edit(cw: CaseWorld, username: str) -> None:
    v = cw.case.version
    assert_error(send(cw.api(username), "patch", cw.url, {"version": v, "track": "prevention"}), 403, "forbidden")
    assert_error(send(cw.api(username), "post", cw.url + "transition/", {"to_phase": "assessment", "version": v}), 403)
    assert_error(
        send(cw.api(username), "post", cw.url + "close/", {"reason": "other", "summary": "x", "version": v}), 403
    )


def test_transitions_follow_the_state_machine(cw: CaseWorld) -> None:
    kari = cw.api("kari")
    v = cw.case.version
    r = send(kari, "post", cw.url + "transition/", {"to_phase": "assessment", "version": v, "note": "Start"})
    assert r.status_code == 200, r.content
    assert r.json()["phase"] == "assessment" and r.json()["version"] == v + 1
    assert r.json()["phase_history"][-1]["note"] == "Start"
    # Skipping ahead is refused by the state machine.
    assert_error(send(kari, "post", cw.url + "transition/", {"to_phase": "active", "version": v + 1}), 409)
    # A stale version is refused with the saved header.
    data = assert_error(send(kari, "post", cw.url + "transition/", {"to_phase": "planning", "version": v}), 409)
    assert data["current"]["version"] == v + 1
    # planning -> active needs an approved individual plan.
    allow_planning(cw.world, cw.case)
    assert send(kari, "post", cw.url + "transition/", {"to_phase": "planning", "version": v + 1}).status_code == 200
    data = assert_error(send(kari, "post", cw.url + "transition/", {"to_phase": "active", "version": v + 2}), 409)
    assert data["error"] == "invalid_transition"
    cw.case.refresh_from_db()
    approved_plan(cw.world, cw.case)
    assert send(kari, "post", cw.url + "transition/", {"to_phase": "active", "version": v + 2}).status_code == 200


def test_closing_through_transition_is_refused(cw: CaseWorld) -> None:
    r = send(cw.api("kari"), "post", cw.url + "transition/", {"to_phase": "closed", "version": cw.case.version})
    assert_error(r, 400, "invalid")


def test_close_and_reopen(cw: CaseWorld) -> None:
    kari = cw.api("kari")
    v = cw.case.version
    assert_error(send(kari, "post", cw.url + "close/", {"reason": "goals_met", "version": v}), 400, "invalid")
    assert_error(send(kari, "post", cw.url + "reopen/", {}), 409, "invalid_transition")
    r = send(kari, "post", cw.url + "close/", {"reason": "goals_met", "summary": "Godt i gang", "version": v})
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["phase"] == "closed" and data["closure_reason"] == "goals_met" and data["closure_summary"]
    assert data["closed_at"]
    assert_error(send(kari, "post", cw.url + "close/", {"reason": "other", "summary": "x", "version": v + 1}), 409)
    r = send(kari, "post", cw.url + "reopen/", {"track": "prevention"})
    assert r.status_code == 201, r.content
    new = r.json()
    assert new["previous_case"] == str(cw.case.public_id) and new["phase"] == "intake"
    assert new["track"] == "prevention" and new["id"] != str(cw.case.public_id)
    assert Case.objects.get(public_id=new["id"]).person == cw.case.person
    assert_error(send(kari, "post", cw.url + "reopen/", {}), 409, "conflict")


def test_phase_history_is_kept_for_coordinators(cw: CaseWorld) -> None:
    case_services.case_transition(actor=cw.world.m["kari"], case=cw.case, to_phase=Phase.ASSESSMENT)
    history = cw.api("kari").get(cw.url).json()["phase_history"]
    assert [h["to_phase"] for h in history] == ["intake", "assessment"]
    assert history[1]["changed_by"] == "kari"
