"""API v1: cases/{id}/assessments/ (list, create, read, save a draft, finalise, compare, plan without one)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from utvei.assessments.models import Assessment, AssessmentSkip
from utvei.audit.models import Action

from .helpers import EVIDENCE, SUMMARY, case_in_assessment, events_since, final, seq, start

API = "/api/v1/"


@pytest.fixture
def case(world):
    return case_in_assessment(world)


def base(case):
    return f"{API}cases/{case.public_id}/assessments/"


def send(client, method, url, data=None):
    return getattr(client, method)(
        url, data=json.dumps(data) if data is not None else None, content_type="application/json"
    )


def all_items(a, rating="present"):
    return [
        {"code": c, "rating": rating, "confidence": "medium", "evidence": f"{EVIDENCE} {c}"}
        for c in a.instrument_version.item_codes()
    ]


def test_start_fill_and_finalise_through_the_api(world, case):
    api = world.api("ola")
    r = send(api, "post", base(case), {"instrument": "utvei-open", "assessors": ["per"]})
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["status"] == "draft" and data["version"] == 1 and data["instrument"] == "utvei-open"
    assert data["assessors"] == ["ola", "per"] and data["author_organisation"] == "kommune"
    assert len(data["items"]) == 36 and all(i["rating"] == "" for i in data["items"])
    url = f"{base(case)}{data['id']}/"
    a = Assessment.objects.get()
    r = send(
        api,
        "patch",
        url,
        {
            "version": 1,
            "items": all_items(a),
            "summary_level": "low",
            "summary_judgement": SUMMARY,
            "formulation": "F",
            "management": "M",
            "reassessment_due": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["version"] == 2 and data["items"][0]["evidence"].startswith(EVIDENCE)
    counts = data["descriptive_counts"]
    assert counts["domains"][0] == {
        "domain": "ideology",
        "counts": [
            {"item_type": "risk", "rating": "present", "items": 5},
            {"item_type": "motivation", "rating": "present", "items": 1},
        ],
    }
    r = send(api, "post", url + "finalise/", {"version": 2})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "final" and r.json()["finalised_by"] == "ola"
    # Final means fixed.
    r = send(api, "patch", url, {"version": 3, "formulation": "Endret"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_finalising_incomplete_lists_the_problems(world, case):
    a = start(world, case)
    r = send(world.api("ola"), "post", f"{base(case)}{a.public_id}/finalise/", {"version": 1})
    assert r.status_code == 422
    data = r.json()
    assert data["error"] == "incomplete" and len(data["problems"]) >= 5


def test_a_stale_version_is_409_with_the_saved_draft(world, case):
    a = start(world, case)
    url = f"{base(case)}{a.public_id}/"
    api = world.api("ola")
    assert send(api, "patch", url, {"version": 1, "formulation": "Først"}).status_code == 200
    r = send(api, "patch", url, {"version": 1, "formulation": "Sist"})
    assert r.status_code == 409 and r.json()["current"]["formulation"] == "Først"


@pytest.mark.parametrize(
    "body,status",
    [
        ({}, 400),
        ({"version": 1, "items": [{"code": "IB1", "rating": "huge"}]}, 422),  # not on the item's scale
        ({"version": 1, "items": [{"code": "NOPE", "rating": "present"}]}, 422),  # no such item
        ({"version": 1, "items": [{"code": "IB1", "confidence": "total"}]}, 400),
        ({"version": 1, "items": "IB1"}, 400),
        ({"version": 1, "summary_level": "extreme"}, 400),
        ({"version": 1, "classification": "mentor"}, 400),
        ({"version": 1, "classification": "police"}, 422),  # the municipality cannot read police
        ({"version": 1, "reassessment_due": "9999-01-01"}, 422),  # a date, outside 1900-2100
        ({"version": 1, "assessors": ["mona"]}, 422),  # not on the team
        ({"version": 1, "assessors": ["nobody"]}, 422),  # no such user
        ({"version": 1, "formulation": "x" * 20001}, 400),
        ({"version": "one"}, 400),
    ],
)
def test_bad_patches_are_refused(world, case, body, status):
    """400 where the schema rules the body out, 422 where it fits the schema but a rule refuses it."""
    a = start(world, case)
    r = send(world.api("ola"), "patch", f"{base(case)}{a.public_id}/", body)
    assert r.status_code == status, r.content
    assert set(r.json()) >= {"error", "detail"}
    assert Assessment.objects.get().version == 1


@pytest.mark.parametrize(
    "body,status",
    [
        ({}, 400),
        ({"instrument": "nope"}, 422),  # no such instrument
        ({"instrument": "utvei-open", "classification": "participant"}, 400),
        ({"instrument": 5}, 400),
    ],
)
def test_bad_creates_are_refused(world, case, body, status):
    assert send(world.api("ola"), "post", base(case), body).status_code == status
    assert not Assessment.objects.exists()


def test_the_list_shows_markers_and_audits_one_event(world, case):
    mine = final(world, case, by="ola")
    theirs = start(world, case, by="per")
    n = seq()
    r = world.api("ola").get(base(case))
    assert r.status_code == 200
    rows = {row["id"]: row for row in r.json()["results"]}
    assert rows[str(mine.public_id)]["summary_level"] == "moderate" and not rows[str(mine.public_id)]["restricted"]
    assert rows[str(theirs.public_id)] == {
        "id": str(theirs.public_id),
        "status": "draft",
        "created_at": rows[str(theirs.public_id)]["created_at"],
        "author_organisation": "politi",
        "restricted": True,
    }
    assert [e.action for e in events_since(n) if e.action != Action.TOKEN_CREATE] == [Action.ASSESSMENT_LIST]
    r = world.api("ola").get(f"{base(case)}{theirs.public_id}/")
    assert r.status_code == 200 and r.json()["restricted"] is True and "items" not in r.json()


@pytest.mark.parametrize(("username", "status"), [("mona", 403), ("atle", 404), ("dina", 404), ("pia", 404)])
def test_who_may_not_list(world, case, username, status):
    final(world, case)
    assert world.api(username).get(base(case)).status_code == status


@pytest.mark.parametrize("username", ["mona", "atle", "dina"])
def test_strangers_and_mentors_get_404_on_one_assessment(world, case, username):
    a = final(world, case)
    api = world.api(username)
    for suffix in ("", "compare/"):
        assert api.get(f"{base(case)}{a.public_id}/{suffix}").status_code == 404
    assert send(api, "patch", f"{base(case)}{a.public_id}/", {"version": 1}).status_code == 404
    assert send(api, "post", f"{base(case)}{a.public_id}/finalise/", {"version": 1}).status_code == 404


def test_mentors_cannot_start_one(world, case):
    assert send(world.api("mona"), "post", base(case), {"instrument": "utvei-open"}).status_code == 403
    assert send(world.api("atle"), "post", base(case), {"instrument": "utvei-open"}).status_code == 404


def test_unknown_ids_are_404(world, case):
    api = world.api("ola")
    assert api.get(f"{base(case)}{uuid.uuid4()}/").status_code == 404
    assert api.get(f"{API}cases/{uuid.uuid4()}/assessments/").status_code == 404


def test_compare_marks_each_changed_item(world, case):
    final(world, case, rating="present")
    second = final(world, case, rating="present", header={"changes_since_last": "Ny jobb"})
    from utvei.assessments.models import AssessmentItem

    # The same ratings: nothing changed. (Changing a final one is impossible; compare a third, drafted one.)
    third = start(world, case)
    assert third.previous == second
    from utvei.assessments import services

    third = services.assessment_update(
        actor=world.m["ola"],
        assessment=third,
        expected_version=1,
        items=[
            services.ItemInput(c, rating="present", confidence="medium") for c in third.instrument_version.item_codes()
        ]
        + [services.ItemInput("NW3", rating="not_present")],
    )
    n = seq()
    r = world.api("ola").get(f"{base(case)}{third.public_id}/compare/")
    assert r.status_code == 200
    data = r.json()
    assert data["previous"] == str(second.public_id) and data["previous_readable"] is True
    changed = [i["code"] for i in data["items"] if i["changed"]]
    assert changed == ["NW3"] and data["changed_items"] == 1
    nw3 = next(i for i in data["items"] if i["code"] == "NW3")
    assert nw3["before"]["rating"] == "present" and nw3["after"]["rating"] == "not_present"
    assert [e.action for e in events_since(n) if e.action != Action.TOKEN_CREATE] == [Action.ASSESSMENT_COMPARE]
    assert AssessmentItem.objects.filter(assessment=second, rating="present").count() == 36


def test_recording_planning_without_an_assessment(world, case):
    url = base(case) + "skip/"
    assert send(world.api("ola"), "post", url, {"reason": "other", "explanation": "x"}).status_code == 403
    assert send(world.api("kari"), "post", url, {"reason": "nope", "explanation": "x"}).status_code == 400
    r = send(world.api("kari"), "post", url, {"reason": "urgent", "explanation": "Bolig haster"})
    assert r.status_code == 201 and r.json()["recorded_by"] == "kari"
    assert AssessmentSkip.objects.count() == 1
    r = send(
        world.api("kari"),
        "post",
        f"{API}cases/{case.public_id}/transition/",
        {"to_phase": "planning", "version": case.version},
    )
    assert r.status_code == 200, r.content


def test_the_schema_documents_the_endpoints(world):
    r = world.api("kari").get(f"{API}schema/", HTTP_ACCEPT="application/json")
    text = r.content.decode()
    for path in (
        "/api/v1/instruments/",
        "/api/v1/instruments/{key}/",
        "/api/v1/cases/{case_id}/assessments/",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}/",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}/finalise/",
        "/api/v1/cases/{case_id}/assessments/{assessment_id}/compare/",
    ):
        assert path in text


def _list_queries(api, case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = api.get(base(case))
    assert r.status_code == 200
    return len(ctx.captured_queries), r.json()["count"]


def test_the_list_makes_a_constant_number_of_queries(world, case):
    api = world.api("kari")
    final(world, case)
    few, n = _list_queries(api, case)
    for _ in range(3):
        final(world, case)
    start(world, case, by="per")
    many, m = _list_queries(api, case)
    assert (n, m) == (1, 5) and few == many
