"""Login, failed login, logout, MFA set-up and organisation switch each leave exactly one event."""

from __future__ import annotations

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client

from tests.conftest import PASSWORD
from utvei.accounts.services import user_create
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_verify

STRING_FIELDS = ["action", "object_type", "object_id", "case_id", "reason", "request_id"]


def new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=since).order_by("seq"))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def code_for(secret: str) -> str:
    """The authenticator app's current code (waiting out the last second of a period, so it stays valid)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 2:
        time.sleep(2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def test_login_writes_one_event(world):
    user = world.m["rolf"].user
    since = last_seq()
    r = Client().post("/accounts/login/", {"login": "rolf", "password": PASSWORD})
    assert r.status_code == 302
    [event] = new_events(since)
    assert event.action == Action.LOGIN
    assert event.actor_id == user.pk
    assert event.object_type == "user"
    assert event.object_id == str(user.pk)
    assert len(event.request_id) == 32


@pytest.mark.parametrize("attempt", ["rolf", "Kåre Hemmeligsen", "nobody-like-this"])
def test_failed_login_writes_one_event_without_the_username(world, attempt):
    since = last_seq()
    r = Client().post("/accounts/login/", {"login": attempt, "password": "wrong password"})
    assert r.status_code == 200
    [event] = new_events(since)
    assert event.action == Action.LOGIN_FAILED
    assert event.actor_id is None
    assert event.actor_org_id is None
    for f in STRING_FIELDS:
        assert attempt.lower() not in getattr(event, f).lower()
        assert "wrong password" not in getattr(event, f)


def test_logout_writes_one_event(world):
    c = Client()
    c.post("/accounts/login/", {"login": "rolf", "password": PASSWORD})
    since = last_seq()
    r = c.post("/accounts/logout/")
    assert r.status_code == 302
    [event] = new_events(since)
    assert event.action == Action.LOGOUT
    assert event.actor_id == world.m["rolf"].user_id


def test_adding_mfa_writes_one_event_per_authenticator(world, django_capture_on_commit_callbacks):
    c = Client()
    c.post("/accounts/login/", {"login": "kari", "password": PASSWORD})
    c.post("/accounts/reauthenticate/", {"password": PASSWORD})  # allauth asks again before adding a factor
    assert c.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = c.session[SECRET_SESSION_KEY]
    since = last_seq()
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        r = c.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert r.status_code == 302
    events = new_events(since)
    assert [(e.action, e.reason) for e in events] == [
        (Action.MFA_ADDED, "totp"),
        (Action.MFA_ADDED, "recovery_codes"),
    ]
    assert {e.actor_id for e in events} == {world.m["kari"].user_id}
    assert all(e.object_type == "authenticator" for e in events)


def test_switching_organisation_writes_one_event(world, client_for):
    second = user_create(username="kari", password=PASSWORD, org_slug="politi", role="caseworker", validate=False)
    c = client_for("kari")
    since = last_seq()
    r = c.post("/me/organisation/", {"membership": second.pk})
    assert r.status_code == 302
    [event] = new_events(since)
    assert event.action == Action.MEMBERSHIP_SWITCH
    assert event.actor_id == world.m["kari"].user_id
    assert event.actor_org_id == world.orgs["politi"].pk
    assert event.object_type == "membership"
    assert event.object_id == str(second.pk)


def test_a_refused_switch_writes_nothing(world, client_for):
    c = client_for("kari")
    since = last_seq()
    assert c.post("/me/organisation/", {"membership": world.m["per"].pk}).status_code == 404
    assert new_events(since) == []


def test_the_chain_holds_after_the_flows(world, django_capture_on_commit_callbacks):
    c = Client()
    c.post("/accounts/login/", {"login": "rolf", "password": "wrong password"})
    c.post("/accounts/login/", {"login": "rolf", "password": PASSWORD})
    c.post("/accounts/logout/")
    assert audit_verify().ok
