"""API v1: measures/ and cases/{id}/plans/ with goals, ratings, items, approval and reviews; bad input gives 4xx."""

from __future__ import annotations

import pytest

from tests.api.api_helpers import API, assert_error, send
from tests.plans.helpers import approved_plan, draft_plan, events_since, seq
from utvei.audit.models import Action
from utvei.plans.models import Plan, PlanStatus


def plans_url(pw):
    return f"{API}cases/{pw.case.public_id}/plans/"


# ---- measures/ -----------------------------------------------------------------------------------------


def test_measures_list_filter_and_detail(world):
    client = world.api("nils")
    data = send(client, "get", "measures/?limit=500").json()
    assert data["count"] >= 22
    row = next(r for r in data["results"] if r["key"] == "housing")
    assert row["name_nb"] == "Bolig" and row["name_en"] == "Housing" and row["sector"] == "municipality"
    assert row["evidence_nb"] and row["evidence_en"]
    assert "Ingen vet" in row["evidence_caveat"]  # the API speaks bokmål unless asked
    assert row["in_use"] == {"count": 0, "suppressed": False} and row["local"] is False
    police = send(client, "get", "measures/?sector=police").json()["results"]
    assert {r["key"] for r in police} == {"police-concern-conversation", "safety-planning-protection"}
    assert send(client, "get", "measures/mentor/").json()["revisions"] == 1
    assert_error(send(client, "get", "measures/no-such-thing/"), 404)
    assert_error(send(client, "get", "measures/?sector=space"), 400)
    assert_error(send(world.api("kari"), "get", "measures/", HTTP_AUTHORIZATION="Bearer nope"), 401)


def test_a_coordinator_adds_and_changes_a_local_measure_through_the_api(world):
    kari = world.api("kari")
    body = {"name_nb": "Jobbklubb", "sector": "municipality", "tracks": ["exit"], "evidence_nb": "Ikke evaluert."}
    r = send(kari, "post", "measures/", body)
    assert r.status_code == 201, r.content
    key = r.json()["key"]
    assert r.json()["owner_organisation"] == "kommune" and r.json()["local"] is True
    assert_error(send(world.api("ola"), "post", "measures/", body), 403)
    assert_error(send(kari, "post", "measures/", {**body, "tracks": []}), 400)
    r = send(kari, "patch", f"measures/{key}/", {"version": 1, "active": False})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["version"] == 2
    data = assert_error(send(kari, "patch", f"measures/{key}/", {"version": 1, "name_nb": "X"}), 409)
    assert data["current"]["version"] == 2
    assert_error(send(kari, "patch", f"measures/{key}/", {"name_nb": "X"}), 400)
    assert_error(send(world.api("atle"), "patch", f"measures/{key}/", {"version": 2, "name_nb": "X"}), 403)
    assert_error(send(kari, "patch", "measures/mentor/", {"version": 1, "name_nb": "X"}), 403)


# ---- cases/{id}/plans/ ---------------------------------------------------------------------------------


def test_a_plan_through_the_api_from_draft_to_review(pw):
    ola, kari = pw.world.api("ola"), pw.world.api("kari")
    r = send(ola, "post", plans_url(pw))
    assert r.status_code == 201, r.content
    plan = r.json()
    assert (plan["number"], plan["status"], plan["view"], plan["goals"]) == (1, "draft", "full", [])
    url = f"{plans_url(pw)}{plan['id']}/"
    assert_error(send(ola, "post", plans_url(pw)), 409)  # one draft at a time

    goal = send(ola, "post", url + "goals/", {"text": "Jeg vil ha jobb", "domain": "work"})
    assert goal.status_code == 201, goal.content
    goal_id = goal.json()["id"]
    r = send(ola, "patch", url + f"goals/{goal_id}/", {"version": 1, "target_date": "2027-06-30"})
    assert r.status_code == 200 and r.json()["target_date"] == "2027-06-30" and r.json()["text"] == "Jeg vil ha jobb"
    assert_error(send(ola, "patch", url + f"goals/{goal_id}/", {"version": 1, "text": "x"}), 409)

    item = send(ola, "post", url + "items/", {"measure": "mentor", "goal": goal_id, "responsible_user": "mona"})
    assert item.status_code == 201, item.content
    assert item.json()["responsible_organisation"] == "ngo" and item.json()["goal"] == goal_id
    assert_error(send(ola, "post", url + "items/", {"measure": "no-such", "responsible_user": "mona"}), 422)
    assert_error(send(ola, "post", url + "items/", {"measure": "housing", "goal": "0" * 32}), 422)
    assert_error(send(ola, "post", url + "items/", {"measure": "housing"}), 422, "responsible_required")
    r = send(ola, "patch", url + f"items/{item.json()['id']}/", {"version": 1, "start_on": "2026-01-01"})
    assert r.status_code == 200 and r.json()["start_on"] == "2026-01-01" and r.json()["measure"] == "mentor"

    current = send(kari, "get", url).json()
    assert_error(send(kari, "post", url + "approve/", {"version": current["version"]}), 422, "plan_incomplete")
    r = send(ola, "patch", url, {"version": current["version"], "participation": "person"})
    assert r.status_code == 200 and r.json()["participation"] == "person"
    v = r.json()["version"]
    assert_error(send(ola, "post", url + "approve/", {"version": v}), 403)
    assert_error(send(kari, "post", url + "approve/", {"version": v - 1}), 409)
    start = seq()
    r = send(kari, "post", url + "approve/", {"version": v})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_by"] == "kari"
    assert [e.action for e in events_since(start)] == [Action.PLAN_APPROVE]

    assert_error(send(ola, "post", url + "goals/", {"text": "Nytt", "domain": "work"}), 409, "plan_not_draft")
    r = send(ola, "post", url + f"goals/{goal_id}/ratings/", {"rating": -1, "note": "Start"})
    assert r.status_code == 201 and r.json()["ratings"][0]["rating"] == -1
    assert_error(send(ola, "post", url + f"goals/{goal_id}/ratings/", {"rating": 5}), 400)
    r = send(ola, "post", url + "reviews/", {"reviewed_on": "2026-03-31"})
    assert r.status_code == 201 and r.json()["review_due"] == "2026-06-30" and len(r.json()["reviews"]) == 1

    listing = send(kari, "get", plans_url(pw)).json()
    assert [p["number"] for p in listing["results"]] == [1] and listing["results"][0]["restricted"] is False
    r = send(kari, "post", plans_url(pw))
    assert r.status_code == 201 and r.json()["number"] == 2 and r.json()["based_on"] == plan["id"]
    assert len(r.json()["goals"]) == 1 and len(r.json()["items"]) == 1


def test_goal_and_item_deletion_on_a_draft(pw):
    plan = draft_plan(pw.world, pw.case)
    url = f"{plans_url(pw)}{plan.public_id}/"
    kari = pw.world.api("kari")
    goal_id = plan.goals.get().public_id
    item = send(kari, "post", url + "items/", {"measure": "housing", "responsible_organisation": "kommune"}).json()
    # A removal names the version it saw: missing is 400, stale is 409 with the saved one; nothing is removed.
    assert_error(send(kari, "delete", url + f"items/{item['id']}/"), 400)
    stale = assert_error(send(kari, "delete", url + f"items/{item['id']}/?version=7"), 409, "conflict")
    assert stale["current"]["id"] == item["id"]
    assert_error(send(kari, "delete", url + f"goals/{goal_id}/?version=2"), 409, "conflict")
    assert plan.goals.exists() and plan.items.exists()
    assert send(kari, "delete", url + f"items/{item['id']}/?version={item['version']}").status_code == 204
    assert send(kari, "delete", url + f"goals/{goal_id}/?version=1").status_code == 204
    assert_error(send(kari, "delete", url + f"goals/{goal_id}/?version=1"), 404)


@pytest.mark.parametrize(
    "path,body",
    [
        ("", {"version": "x"}),
        ("", {"version": 1, "classification": "police"}),
        ("", {"version": 1, "review_due": "9999-01-01"}),
        ("approve/", {}),
        ("approve/", {"version": 2**40}),
        ("goals/", {"text": "x" * 3000, "domain": "work"}),
        ("goals/", {"text": "x", "domain": "moon"}),
        ("goals/", ["not", "an", "object"]),
        ("items/", {"measure": 7, "responsible_user": "mona"}),
        ("items/", {"measure": "mentor", "responsible_user": "nobody-here"}),
        ("items/", {"measure": "mentor", "responsible_user": "mona", "status": "lost"}),
        ("reviews/", {"reviewed_on": "2999-01-01"}),
    ],
)
def test_bad_input_is_a_4xx_never_a_5xx(pw, path, body):
    plan = draft_plan(pw.world, pw.case)
    r = send(pw.world.api("kari"), "patch" if path == "" else "post", f"{plans_url(pw)}{plan.public_id}/{path}", body)
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])


def test_unknown_ids_are_404(pw):
    plan = approved_plan(pw.world, pw.case)
    kari = pw.world.api("kari")
    url = f"{plans_url(pw)}{plan.public_id}/"
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(send(kari, "get", f"{plans_url(pw)}{zero}/"), 404)
    assert_error(send(kari, "get", url + f"goals/{zero}/"), 404)
    assert_error(send(kari, "get", url + f"items/{zero}/"), 404)
    assert_error(send(kari, "get", f"{API}cases/{zero}/plans/"), 404)


def test_the_plan_list_is_audited_as_one_event(pw):
    approved_plan(pw.world, pw.case)
    start = seq()
    assert send(pw.world.api("per"), "get", plans_url(pw)).status_code == 200
    assert [e.action for e in events_since(start)] == [Action.PLAN_LIST]


def test_the_schema_documents_the_new_paths(world):
    schema = send(world.api("kari"), "get", "schema/?format=json", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for path in (
        "/api/v1/measures/",
        "/api/v1/cases/{case_id}/plans/",
        "/api/v1/cases/{case_id}/plans/{plan_id}/approve/",
    ):
        assert path in text


def test_the_approved_status_is_what_activation_counts(pw):
    plan = approved_plan(pw.world, pw.case)
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED
