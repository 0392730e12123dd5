"""Tasks on the case page, the status buttons (with and without htmx), and my tasks."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.cases import services
from utvei.cases.models import Task, TaskStatus


@pytest.fixture
def case(world):
    c = world.open_case()
    world.add(c, "ola")
    world.add(c, "nils")
    return c


def make_task(world, case, assignee="ola", title="Ring NAV", due=None):
    return services.task_create(
        actor=world.m["kari"], case=case, title=title, assignee=world.m[assignee].user, due_on=due
    )


def test_adding_a_task_without_javascript(world, browse, case):
    response = browse("kari").post(
        f"/cases/{case.public_id}/tasks/", {"title": "Avtal møte", "assignee": "ola", "due_on": "2030-01-02"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#tasks")
    task = Task.objects.get()
    assert task.assignee == world.m["ola"].user and str(task.due_on) == "2030-01-02"


def test_adding_a_task_with_htmx_returns_the_task_section(world, browse, case):
    response = browse("kari").post(
        f"/cases/{case.public_id}/tasks/", {"title": "Avtal møte", "assignee": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section aria-labelledby="tasks-h" id="tasks"') and "Avtal møte" in body


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": "x" * 301},
        {"title": "t", "due_on": "2030-02-30"},
        {"title": "t", "due_on": "0001-01-01"},
        {"title": "t", "due_on": "9999-12-31"},
        {"title": "t", "assignee": "atle"},
        {"title": "t", "assignee": "hanne"},
    ],
)
def test_bad_task_input_gives_400(world, browse, case, data):
    assert browse("kari").post(f"/cases/{case.public_id}/tasks/", data).status_code == 400
    assert not Task.objects.exists()


def test_task_new_access(world, browse, case):
    assert browse("atle").post(f"/cases/{case.public_id}/tasks/", {"title": "t"}).status_code == 404
    assert browse("kari").post(f"/cases/{uuid.uuid4()}/tasks/", {"title": "t"}).status_code == 404
    assert browse("kari").get(f"/cases/{case.public_id}/tasks/").status_code == 405


def test_marking_a_task_done_without_javascript(world, browse, case):
    task = make_task(world, case)
    client = browse("ola")
    response = client.post(f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1, "next": "/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None


def test_an_outside_next_is_ignored(world, browse, case):
    task = make_task(world, case)
    response = browse("ola").post(
        f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1, "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/cases/{case.public_id}/#tasks"


def test_marking_a_task_done_with_htmx_returns_the_row(world, browse, case):
    task = make_task(world, case)
    response = browse("ola").post(
        f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1, "show_case": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith(f'<tr id="task-{task.public_id}"') and "Reopen task" in body
    assert case.reference in body


def test_task_status_access_and_bad_input(world, browse, case):
    task = make_task(world, case, assignee="kari")
    assert browse("ola").post(f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1}).status_code == 403
    assert browse("atle").post(f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1}).status_code == 404
    assert browse("kari").post(f"/tasks/{task.public_id}/status/", {"status": "maybe", "version": 1}).status_code == 400
    assert browse("kari").post(f"/tasks/{uuid.uuid4()}/status/", {"status": "done", "version": 1}).status_code == 404
    assert browse("kari").post("/tasks/zzz/status/", {"status": "done", "version": 1}).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_the_case_page_shows_status_buttons_only_where_allowed(world, browse, case):
    make_task(world, case, assignee="kari", title="Karis oppgave")
    make_task(world, case, assignee="ola", title="Olas oppgave")
    body = browse("ola").get(f"/cases/{case.public_id}/").content.decode()
    assert body.count("Mark done") == 1


def test_my_tasks_lists_mine_with_overdue_marked(world, browse, case):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    make_task(world, case, title="Forsinket", due=yesterday)
    make_task(world, case, assignee="nils", title="Ikke min")
    body = browse("ola").get("/tasks/").content.decode()
    assert "Forsinket" in body and "Overdue" in body and "Ikke min" not in body
    assert browse("atle").get("/tasks/").status_code == 200
    assert "Forsinket" not in browse("atle").get("/tasks/").content.decode()
    assert browse("rolf").get("/tasks/").status_code == 403


def _my_tasks_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/tasks/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_my_tasks_makes_a_constant_number_of_queries(world, browse, case):
    client = browse("ola")
    for i in range(2):
        make_task(world, case, title=f"Oppgave {i}")
    few, body = _my_tasks_queries(client)
    assert body.count("Mark done") == 2
    other = world.open_case()
    world.add(other, "ola")
    for i in range(8):
        make_task(world, other if i % 2 else case, title=f"Oppgave {i + 2}")
    many, body = _my_tasks_queries(client)
    assert body.count("Mark done") == 10
    assert few == many


def test_a_stale_or_missing_version_changes_nothing(world, browse, case):
    """Two people closing the same task: the second is told, sees the task as saved, and nothing is overwritten
    (issue 12, deliverable 5). A post without a version is refused."""
    task = make_task(world, case)
    first = browse("ola").post(f"/tasks/{task.public_id}/status/", {"status": "done", "version": 1})
    assert first.status_code == 302
    second = browse("kari").post(
        f"/tasks/{task.public_id}/status/", {"status": "cancelled", "version": 1}, HTTP_HX_REQUEST="true"
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert "Someone else changed this task" in body and 'name="version" value="2"' in body
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.version == 2
    assert browse("kari").post(f"/tasks/{task.public_id}/status/", {"status": "open"}).status_code == 400
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
