"""cases/{id}/team/ and tasks/."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import Task, TeamMember

from .api_helpers import API, CaseWorld, assert_error, audit_seq, last_events, send


def test_the_team_is_listed_for_every_member(cw: CaseWorld) -> None:
    for username in ("kari", "per", "mona", "kjell"):
        seq = audit_seq()
        r = cw.api(username).get(cw.url + "team/")
        assert r.status_code == 200
        rows = r.json()["results"]
        assert {(m["username"], m["organisation"], m["role"]) for m in rows} == {
            ("kari", "kommune", "lead"),
            ("per", "politi", "caseworker"),
            ("siri", "skole", "caseworker"),
            ("mona", "ngo", "mentor"),
        }
        (event,) = last_events(seq)
        assert event.action == Action.TEAM_VIEW and event.case_id == str(cw.case.public_id)


def test_the_coordinator_adds_and_ends_a_member(cw: CaseWorld) -> None:
    r = send(cw.api("kari"), "post", cw.url + "team/", {"username": "nils", "organisation": "nav", "role": "adviser"})
    assert r.status_code == 201, r.content
    member = r.json()
    assert (member["username"], member["organisation"], member["role"]) == ("nils", "nav", "adviser")
    assert cw.api("nils").get(cw.url).status_code == 200
    assert TeamMember.objects.get(pk=member["id"]).added_by == cw.world.m["kari"].user
    r = cw.api("kari").delete(f"{cw.url}team/{member['id']}/")
    assert r.status_code == 200 and r.json()["ended_at"]
    assert_error(cw.api("nils").get(cw.url), 404)
    assert_error(cw.api("kari").delete(f"{cw.url}team/{member['id']}/"), 404)


def test_team_rules_come_back_as_errors(cw: CaseWorld) -> None:
    kari = cw.api("kari")
    cases = [
        ({"username": "nils", "organisation": "politi", "role": "caseworker"}, 422, "no_membership"),
        ({"username": "rolf", "organisation": "skole", "role": "caseworker"}, 422, "role_cannot_join"),
        ({"username": "mona", "organisation": "ngo", "role": "mentor"}, 409, "conflict"),
        ({"username": "nobody", "organisation": "ngo", "role": "mentor"}, 422, "invalid"),
        ({"username": "nils", "organisation": "nav", "role": "boss"}, 400, "invalid"),
    ]
    for payload, status, code in cases:
        assert_error(send(kari, "post", cw.url + "team/", payload), status, code)


def test_only_coordinators_manage_the_team(cw: CaseWorld) -> None:
    payload = {"username": "nils", "organisation": "nav", "role": "caseworker"}
    assert_error(send(cw.api("per"), "post", cw.url + "team/", payload), 403, "forbidden")
    member = TeamMember.objects.get(case=cw.case, user__username="siri")
    assert_error(cw.api("per").delete(f"{cw.url}team/{member.pk}/"), 403, "forbidden")


def test_a_task_is_created_and_the_assignee_sees_it(cw: CaseWorld) -> None:
    payload = {
        "case": str(cw.case.public_id),
        "title": "Ring skolen",
        "assignee": "siri",
        "due_on": "2026-12-01",
        "created_by": "atle",
        "status": "done",
        "origin": "meeting",
    }
    r = send(cw.api("kari"), "post", "tasks/", payload)
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["assignee"] == "siri" and task["status"] == "open" and task["origin"] == "manual"
    assert task["case"] == str(cw.case.public_id) and task["case_reference"] == cw.case.reference
    assert Task.objects.get(public_id=task["id"]).created_by == cw.world.m["kari"].user
    rows = cw.api("siri").get(API + "tasks/").json()["results"]
    assert [t["id"] for t in rows] == [task["id"]]
    assert cw.api("kari").get(API + "tasks/").json()["count"] == 0


def test_the_assignee_reads_and_completes_a_task(cw: CaseWorld) -> None:
    task = case_services.task_create(
        actor=cw.world.m["kari"], case=cw.case, title="Møte", assignee=cw.world.m["siri"].user
    )
    url = f"{API}tasks/{task.public_id}/"
    seq = audit_seq()
    r = cw.api("siri").get(url)
    assert r.status_code == 200 and r.json()["title"] == "Møte"
    (event,) = last_events(seq)
    assert event.case_id == str(cw.case.public_id) and event.actor_id == cw.world.m["siri"].user_id
    r = send(cw.api("siri"), "patch", url, {"status": "done", "version": 1})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["completed_at"]
    assert cw.api("siri").get(API + "tasks/").json()["count"] == 0
    assert cw.api("siri").get(API + "tasks/?done=1").json()["count"] == 1


def test_others_cannot_see_or_change_a_task(cw: CaseWorld) -> None:
    task = case_services.task_create(
        actor=cw.world.m["kari"], case=cw.case, title="Møte", assignee=cw.world.m["siri"].user
    )
    url = f"{API}tasks/{task.public_id}/"
    assert_error(cw.api("atle").get(url), 404)
    assert_error(cw.api("mona").get(url), 404)  # a mentor sees only their own tasks
    assert_error(send(cw.api("atle"), "patch", url, {"status": "done", "version": 1}), 404)
    assert_error(send(cw.api("per"), "patch", url, {"status": "done", "version": 1}), 403, "forbidden")
    assert cw.api("per").get(url).status_code == 200
    assert send(cw.api("kari"), "patch", url, {"status": "cancelled", "version": 1}).status_code == 200


def test_task_rules_come_back_as_errors(cw: CaseWorld) -> None:
    kari = cw.api("kari")
    base = {"case": str(cw.case.public_id), "title": "x"}
    assert_error(send(kari, "post", "tasks/", {**base, "assignee": "nils"}), 422, "assignee_not_on_team")
    assert_error(send(kari, "post", "tasks/", {**base, "case": "nope"}), 400, "invalid")
    assert_error(send(cw.api("mona"), "post", "tasks/", base), 403, "forbidden")
    assert_error(send(kari, "post", "tasks/", {**base, "case": "00000000-0000-0000-0000-000000000000"}), 404)


def test_overdue_filter_finds_cases_with_late_tasks(cw: CaseWorld) -> None:
    case_services.task_create(
        actor=cw.world.m["kari"], case=cw.case, title="Sent", due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    rows = cw.api("kari").get(API + "cases/?overdue=1").json()["results"]
    assert [r["id"] for r in rows] == [str(cw.case.public_id)]


def test_a_stale_or_missing_task_version_is_refused(cw: CaseWorld) -> None:
    """PATCH names the version it read: two people closing one task no longer both get 200 (issue 12)."""
    task = case_services.task_create(actor=cw.world.m["kari"], case=cw.case, title="Møte")
    url = f"{API}tasks/{task.public_id}/"
    assert send(cw.api("kari"), "patch", url, {"status": "done", "version": 1}).status_code == 200
    stale = send(cw.api("kari"), "patch", url, {"status": "cancelled", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "done"
    assert stale.json()["current"]["version"] == 2
    assert_error(send(cw.api("kari"), "patch", url, {"status": "cancelled"}), 400)
    task.refresh_from_db()
    assert task.status == "done" and task.version == 2
