"""Sessions that end (issue 12, deliverable 2): 15 minutes without a request, 12 hours after the login, configurable;
the user is told why, audited, and sent back to where they were after logging in again."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import PASSWORD
from utvei.accounts import middleware
from utvei.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000

    def __call__(self) -> int:
        return self.t


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    c = Clock()
    monkeypatch.setattr(middleware, "now", c)
    return c


def logged_in(clock: Clock, username: str = "rolf") -> Client:
    """A real login (rolf, a reporter, needs no second factor)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    r = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def signed_out(r: Any) -> bool:
    return r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_a_session_ends_after_15_minutes_without_a_request(world, clock):
    client = logged_in(clock)
    clock.t += 14 * 60
    assert client.get("/").status_code == 200
    clock.t += 15 * 60  # 15 minutes after the last request: still within the limit and its minute
    assert client.get("/").status_code == 200
    clock.t += 16 * 60 + 1
    r = client.get("/cases/?phase=planning")
    assert signed_out(r) and r["Location"] == "/accounts/login/?next=/cases/%3Fphase%3Dplanning"
    assert signed_out(client.get("/"))  # and stays ended
    page = client.get(r["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page
    event = AuditEvent.objects.filter(action=Action.LOGOUT).latest("seq")
    assert event.reason == "idle" and event.actor_id == world.m["rolf"].user_id


def test_activity_keeps_it_going_but_not_beyond_12_hours(world, clock):
    client = logged_in(clock)
    for _ in range(12 * 6):  # a request every ten minutes for twelve hours
        clock.t += 10 * 60
        assert client.get("/").status_code == 200
    clock.t += 10 * 60
    r = client.get("/")
    assert signed_out(r)
    assert "a session lasts at most 12 hours" in client.get(r["Location"]).content.decode()
    assert AuditEvent.objects.filter(action=Action.LOGOUT).latest("seq").reason == "absolute"


def test_the_limits_are_configurable(world, clock, settings):
    settings.UTVEI_SESSION_IDLE_SECONDS = 5 * 60
    settings.UTVEI_SESSION_MAX_SECONDS = 3600
    client = logged_in(clock)
    clock.t += 6 * 60 + 1
    assert signed_out(client.get("/"))
    client = logged_in(clock)
    for _ in range(15):
        clock.t += 4 * 60
        assert client.get("/").status_code == 200  # up to 60 minutes
    clock.t += 60 + 1
    assert signed_out(client.get("/"))


def test_most_requests_write_nothing_to_the_session(world, clock):
    client = logged_in(clock)
    client.get("/")  # the first page chooses the session's membership
    key = client.cookies["sessionid"].value
    before = Session.objects.get(pk=key).session_data
    clock.t += 30
    client.get("/")
    assert Session.objects.get(pk=key).session_data == before  # within the minute: nothing to write
    clock.t += 60
    client.get("/")
    assert Session.objects.get(pk=key).session_data != before


def test_stay_signed_in_starts_the_idle_clock_again(world, clock):
    client = logged_in(clock)
    clock.t += 14 * 60 + 30
    assert client.post("/me/keepalive/").status_code == 204
    clock.t += 15 * 60
    assert client.get("/").status_code == 200
    assert client.get("/me/keepalive/").status_code == 405  # a GET changes nothing


def test_an_htmx_request_after_the_end_sends_the_whole_page_to_the_login(world, clock):
    client = logged_in(clock)
    clock.t += 20 * 60
    came_from = "http://testserver/cases/?ref=UTV-1"
    r = client.get("/cases/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=came_from, HTTP_HOST="testserver")
    assert r.status_code == 200 and r.content == b""
    assert r["HX-Redirect"] == "/accounts/login/?next=%2Fcases%2F%3Fref%3DUTV-1"


def test_a_form_post_after_the_end_goes_back_to_its_page_after_the_login(world, clock):
    case = world.open_case()
    client = logged_in(clock, "kari")
    page = f"/cases/{case.public_id}/"
    clock.t += 20 * 60
    r = client.post(f"{page}tasks/", {"title": "x"}, HTTP_REFERER=f"http://testserver{page}")
    assert signed_out(r) and r["Location"] == f"/accounts/login/?next={page.replace('/', '%2F')}"
    foreign = client.post("/me/keepalive/", HTTP_REFERER="https://elsewhere.example/x")
    assert signed_out(foreign) and "elsewhere" not in foreign["Location"]


def test_api_tokens_are_not_sessions(world, clock):
    api = world.api("kari")
    clock.t += 20 * 60
    assert api.get("/api/v1/cases/").status_code == 200
