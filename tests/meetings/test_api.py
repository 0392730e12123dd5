"""API v1: cases/{id}/meetings/, meetings/{id}/ (hold, cancel) and their decisions; access by role and basis;
every read and write audited; bad input is a JSON 4xx, never a 5xx."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.api.api_helpers import API, assert_error, send
from tests.api.test_api_bad_input import BAD_BODIES, BAD_VALUES, RAW_BODIES
from tests.meetings.helpers import MINUTES, events_since, held, plan, seq
from utvei.audit.models import Action
from utvei.cases.models import Task, TaskOrigin
from utvei.core.vocabulary import DataCategory
from utvei.meetings.models import Meeting


def meetings_url(case: Any) -> str:
    return f"{API}cases/{case.public_id}/meetings/"


def meeting_url(meeting: Any, suffix: str = "") -> str:
    public_id = meeting if isinstance(meeting, str) else meeting.public_id
    return f"{API}meetings/{public_id}/{suffix}"


def when(days: int = -1) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def due(days: int = 14) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


BODY = {
    "kind": "responsibility_group",
    "starts_at": "2026-03-02T13:00:00+01:00",
    "place": "Rådhuset",
    "agenda": "Status",
    "attendees": [{"user": "kari"}, {"user": "nils", "organisation": "nav"}, {"organisation": "skole"}],
    "person_present": True,
}


# ---- The whole life of a meeting -----------------------------------------------------------------------


def test_a_meeting_through_the_api_from_call_to_decisions_done(mw):
    kari, nils = mw.world.api("kari"), mw.world.api("nils")
    r = send(kari, "post", meetings_url(mw.case), {**BODY, "starts_at": when(-1)})
    assert r.status_code == 201, r.content
    m = r.json()
    assert (m["status"], m["view"], m["version"], m["restricted"]) == ("draft", "full", 1, False)
    assert m["attendees"] == [
        {"user": "kari", "organisation": "kommune"},
        {"user": "nils", "organisation": "nav"},
        {"user": None, "organisation": "skole"},
    ]
    assert m["classification"] == "team" and m["category"] == "plan" and m["person_present"] is True
    url = meeting_url(m["id"])

    d = send(kari, "post", url + "decisions/", {"text": "NAV følger opp", "owner_user": "nils", "due_on": due()})
    assert d.status_code == 201, d.content
    assert d.json()["state"] == "proposed" and d.json()["task"] is None
    assert d.json()["owner_organisation"] == "nav"
    assert_error(send(kari, "patch", url + f"decisions/{d.json()['id']}/", {"status": "done", "version": 1}), 409)

    r = send(kari, "patch", url, {"version": 1, "minutes": "Utkast"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["minutes"] == "Utkast"
    stale = assert_error(send(kari, "patch", url, {"version": 1, "minutes": "Gammelt"}), 409, "conflict")
    assert stale["current"]["minutes"] == "Utkast" and stale["current"]["version"] == 2

    assert_error(send(kari, "post", url + "hold/", {"version": 2, "minutes": " "}), 422, "meeting_incomplete")
    start = seq()
    r = send(kari, "post", url + "hold/", {"version": 2, "minutes": MINUTES})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "held" and r.json()["recorded_at"] and r.json()["decisions"][0]["state"] == "open"
    assert [e.action for e in events_since(start)] == [Action.MEETING_HOLD, Action.TASK_CREATE]
    assert_error(send(kari, "post", url + "hold/", {"version": 3}), 409, "meeting_not_draft")

    task_id = r.json()["decisions"][0]["task"]
    task = send(nils, "get", f"{API}tasks/{task_id}/").json()
    assert task["title"] == "NAV følger opp" and task["origin"] == TaskOrigin.MEETING
    seen = send(nils, "get", url + f"decisions/{d.json()['id']}/").json()["version"]
    assert_error(send(nils, "patch", url + f"decisions/{d.json()['id']}/", {"status": "done"}), 400)  # no version
    r = send(nils, "patch", url + f"decisions/{d.json()['id']}/", {"status": "done", "version": seen})
    assert r.status_code == 200 and r.json()["state"] == "done" and r.json()["version"] == seen + 1
    # Someone who read it before: 409 with the decision as it is now, and it stays done.
    stale = assert_error(
        send(kari, "patch", url + f"decisions/{d.json()['id']}/", {"status": "open", "version": seen}), 409
    )
    assert stale["current"]["state"] == "done"
    body = {"status": "open", "text": "x", "version": seen + 1}
    assert_error(send(nils, "patch", url + f"decisions/{d.json()['id']}/", body), 422)
    version = send(kari, "get", url + f"decisions/{d.json()['id']}/").json()["version"]
    r = send(kari, "delete", url + f"decisions/{d.json()['id']}/?version={version}")
    assert_error(r, 409, "decision_in_force")

    listing = send(nils, "get", meetings_url(mw.case)).json()
    assert listing["count"] == 1 and listing["results"][0]["decisions"] == 1
    assert listing["results"][0]["restricted"] is False


def test_decisions_can_be_changed_and_proposed_ones_removed(mw):
    meeting = plan(mw.world, mw.case)
    kari = mw.world.api("kari")
    url = meeting_url(meeting)
    d = send(kari, "post", url + "decisions/", {"text": "Skolen", "owner_organisation": "kommune", "due_on": due()})
    assert d.status_code == 201, d.content
    did = d.json()["id"]
    r = send(kari, "patch", url + f"decisions/{did}/", {"version": 1, "owner_user": "per", "due_on": due(30)})
    assert r.status_code == 200 and r.json()["owner_user"] == "per" and r.json()["owner_organisation"] == "politi"
    assert r.json()["text"] == "Skolen" and r.json()["version"] == 2
    assert_error(send(kari, "patch", url + f"decisions/{did}/", {"text": "x"}), 400)  # no version
    assert_error(send(kari, "patch", url + f"decisions/{did}/", {"version": 1, "text": "x"}), 409)
    assert send(kari, "get", url + f"decisions/{did}/").json()["text"] == "Skolen"
    assert_error(send(kari, "delete", url + f"decisions/{did}/"), 400)  # no version
    assert_error(send(kari, "delete", url + f"decisions/{did}/?version=1"), 409, "conflict")  # stale
    assert send(kari, "delete", url + f"decisions/{did}/?version=2").status_code == 204
    assert_error(send(kari, "get", url + f"decisions/{did}/"), 404)


def test_a_planned_meeting_is_cancelled_and_then_kept_as_it_was(mw):
    meeting = plan(mw.world, mw.case)
    kari = mw.world.api("kari")
    r = send(kari, "post", meeting_url(meeting, "cancel/"), {"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert_error(send(kari, "patch", meeting_url(meeting), {"version": 2, "minutes": "x"}), 409, "meeting_cancelled")
    assert_error(send(kari, "post", meeting_url(meeting, "cancel/"), {"version": 2}), 409, "meeting_not_draft")


# ---- Access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username,status,view,decisions",
    [
        ("kari", 200, "full", 2),
        ("nils", 200, "full", 2),
        ("per", 200, "full", 2),
        ("mona", 200, "mentor", 1),
        ("atle", 404, None, None),
        ("arne", 404, None, None),
        ("dina", 404, None, None),
        ("rolf", 404, None, None),
    ],
)
def test_api_meeting_access(mw, username, status, view, decisions):
    meeting = held(mw.world, mw.case, owners=("nils", "mona"), attendees=("kari", "mona"))
    client = mw.world.api(username)
    r = send(client, "get", meeting_url(meeting))
    if status != 200:
        assert_error(r, status)
        assert_error(send(client, "get", meetings_url(mw.case)), 404)
        assert_error(send(client, "get", meeting_url(meeting, "decisions/")), 404)
        assert_error(send(client, "patch", meeting_url(meeting), {"version": 2, "minutes": "x"}), 404)
        assert_error(send(client, "post", meeting_url(meeting, "decisions/"), {"text": "x"}), 404)
        return
    data = r.json()
    assert r.status_code == 200 and data["view"] == view and len(data["decisions"]) == decisions
    if view == "mentor":
        assert "minutes" not in data and "agenda" not in data and data["restricted"] is True
        assert "classification" not in data and len(data["attendees"]) == 2
    else:
        assert data["minutes"] == MINUTES and data["restricted"] is False


def test_api_marker_for_an_organisation_without_a_basis(world):
    case = world.open_case()
    world.add(case, "nils")
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.CONCERN])
    meeting = held(world, case, owners=("nils",))
    siri = world.api("siri")
    data = send(siri, "get", meeting_url(meeting)).json()
    assert data["view"] == "marker" and data["restricted"] is True
    for hidden in ("minutes", "agenda", "attendees", "place", "classification", "person_present"):
        assert hidden not in data
    assert data["kind"] == "responsibility_group" and data["author_organisation"] == "kommune"
    assert data["decisions"] == []  # the decisions keep the meeting's compartment (issue 12)
    listing = send(siri, "get", meetings_url(case)).json()
    assert listing["results"][0]["restricted"] is True and listing["results"][0]["view"] == "marker"
    assert_error(send(siri, "patch", meeting_url(meeting), {"version": 2, "minutes": "x"}), 403)


def test_api_mentor_sees_and_updates_own_decisions_only(mw):
    meeting = held(mw.world, mw.case, owners=("nils", "mona"), attendees=("kari",))
    mona = mw.world.api("mona")
    data = send(mona, "get", meeting_url(meeting)).json()
    assert data["view"] == "owner" and "attendees" not in data and len(data["decisions"]) == 1
    decisions = send(mona, "get", meeting_url(meeting, "decisions/")).json()["results"]
    assert [d["owner_user"] for d in decisions] == ["mona"]
    body = {"status": "done", "version": decisions[0]["version"]}
    r = send(mona, "patch", meeting_url(meeting, f"decisions/{decisions[0]['id']}/"), body)
    assert r.status_code == 200 and r.json()["state"] == "done"
    nils_decision = meeting.decisions.get(owner_user=mw.m["nils"].user)
    assert_error(send(mona, "get", meeting_url(meeting, f"decisions/{nils_decision.public_id}/")), 404)
    body = {"version": 1, "text": "Endret"}
    assert_error(send(mona, "patch", meeting_url(meeting, f"decisions/{decisions[0]['id']}/"), body), 403)
    assert_error(send(mona, "post", meetings_url(mw.case), BODY), 403)


def test_a_caseworker_of_another_organisation_cannot_change_the_meeting(mw):
    meeting = held(mw.world, mw.case)
    nils = mw.world.api("nils")
    assert_error(send(nils, "patch", meeting_url(meeting), {"version": 2, "minutes": "NAV"}), 403, "forbidden")
    body = {"text": "x", "owner_user": "nils", "due_on": due()}
    assert_error(send(nils, "post", meeting_url(meeting, "decisions/"), body), 403)


def test_reads_are_audited(mw):
    meeting = held(mw.world, mw.case)
    kari = mw.world.api("kari")
    start = seq()
    send(kari, "get", meetings_url(mw.case))
    send(kari, "get", meeting_url(meeting))
    send(kari, "get", meeting_url(meeting, "decisions/"))
    assert [e.action for e in events_since(start)] == [Action.MEETING_LIST, Action.MEETING_VIEW, Action.MEETING_VIEW]


def test_unknown_ids_are_404(mw):
    meeting = held(mw.world, mw.case)
    kari = mw.world.api("kari")
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(send(kari, "get", meeting_url(zero)), 404)
    assert_error(send(kari, "get", meeting_url(meeting, f"decisions/{zero}/")), 404)
    assert_error(send(kari, "get", f"{API}cases/{zero}/meetings/"), 404)
    assert_error(send(kari, "get", f"{API}meetings/nope/"), 404)


def test_the_schema_documents_the_new_paths(world):
    schema = send(world.api("kari"), "get", "schema/?format=json", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for path in (
        "/api/v1/cases/{case_id}/meetings/",
        "/api/v1/meetings/{meeting_id}/",
        "/api/v1/meetings/{meeting_id}/hold/",
        "/api/v1/meetings/{meeting_id}/decisions/{decision_id}/",
    ):
        assert path in text


def test_errors_are_in_the_callers_language(mw):
    meeting = held(mw.world, mw.case)
    nils = mw.world.api("nils")
    body = {"version": 2, "minutes": "NAV"}
    nb = assert_error(send(nils, "patch", meeting_url(meeting), body, HTTP_ACCEPT_LANGUAGE="nb"), 403)
    en = assert_error(send(nils, "patch", meeting_url(meeting), body, HTTP_ACCEPT_LANGUAGE="en"), 403)
    assert "called the meeting" in en["detail"]
    required = assert_error(send(nils, "post", meetings_url(mw.case), {}, HTTP_ACCEPT_LANGUAGE="nb"), 400)
    assert "påkrevd" in required["detail"].lower() or "obligatorisk" in required["detail"].lower(), required
    assert nb["detail"]


# ---- No input gives a 5xx ------------------------------------------------------------------------------


def _assert_4xx(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.content[:300])
    if r.status_code >= 400:
        assert_error(r, r.status_code)


@pytest.fixture
def targets(mw):
    """Every write endpoint with a valid-looking body to corrupt field by field."""
    draft = plan(mw.world, mw.case)
    meeting = held(mw.world, mw.case)
    decision = meeting.decisions.get()
    return {
        "create": ("post", meetings_url(mw.case), BODY),
        "patch": ("patch", meeting_url(meeting), {"version": 2, "minutes": "x", **BODY}),
        "hold": ("post", meeting_url(draft, "hold/"), {"version": 1, "minutes": "x"}),
        "cancel": ("post", meeting_url(draft, "cancel/"), {"version": 1}),
        "decision": ("post", meeting_url(meeting, "decisions/"), {"text": "x", "owner_user": "nils", "due_on": due()}),
        "decision_patch": (
            "patch",
            meeting_url(meeting, f"decisions/{decision.public_id}/"),
            {"version": 1, "text": "x", "owner_user": "nils", "owner_organisation": "nav", "due_on": due()},
        ),
        "decision_status": (
            "patch",
            meeting_url(meeting, f"decisions/{decision.public_id}/"),
            {"status": "done", "version": decision.version},
        ),
    }


TARGETS = ["create", "patch", "hold", "cancel", "decision", "decision_patch", "decision_status"]


@pytest.mark.sampled(share=0.25)
@pytest.mark.parametrize("name", TARGETS)
def test_bad_and_malformed_bodies(mw, targets, name):
    method, url, _base = targets[name]
    kari = mw.world.api("kari")
    for body in BAD_BODIES:
        cache.clear()
        r = send(kari, method, url, body, raw="null" if body is None else None)
        _assert_4xx(r)
        if name not in {"decision_status"} or body != {}:
            assert r.status_code >= 400, (body, r.content[:200])
    for raw in RAW_BODIES:
        cache.clear()
        r = send(kari, method, url, raw=raw)
        _assert_4xx(r)
        if raw:
            assert r.status_code == 400


@pytest.mark.sampled(share=0.25)
@pytest.mark.parametrize(
    ("name", "field"),
    [
        (name, field)
        for name in ("create", "patch", "hold")
        for field in [*BODY, "minutes", "classification", "category", "version", "guardian_present"]
    ]
    + [
        (name, field)
        for name in ("decision", "decision_patch")
        for field in ("text", "owner_user", "owner_organisation", "due_on", "version", "status")
    ]
    + [("decision_status", "status"), ("cancel", "version")],
)
def test_bad_values_in_every_field(mw, targets, name, field):
    method, url, base = targets[name]
    kari = mw.world.api("kari")
    for value in [*BAD_VALUES, [None], [[]], [{}], [{"user": None, "organisation": None}], [{"user": "x" * 500}]]:
        cache.clear()
        _assert_4xx(send(kari, method, url, {**base, field: value}))
    assert Meeting.objects.filter(case=mw.case).count() <= 3 + len(BAD_VALUES)  # nothing half-written
    assert not Task.objects.filter(case=mw.case, title="").exists()


def test_bad_nested_attendees_are_refused(mw):
    """400 where the schema rules the value out, 422 where it fits the schema but names no one on the team."""
    kari = mw.world.api("kari")
    for attendees, status in (
        ([{"user": "nobody"}], 422),
        ([{"organisation": "nowhere"}], 422),
        ([{"user": "siri"}], 422),  # not on the team
        ([{}], 422),
        ([{"user": "kari"}] * 101, 400),
        ("kari", 400),
        ({"user": "kari"}, 400),
    ):
        r = send(kari, "post", meetings_url(mw.case), {**BODY, "attendees": attendees})
        assert_error(r, status)
