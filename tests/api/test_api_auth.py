"""Token login, bearer authentication and revocation."""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client
from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.accounts.services import user_create
from utvei.api import throttling
from utvei.api.models import ApiToken, hash_token
from utvei.audit.models import Action

from .api_helpers import API, assert_error, audit_seq, last_events, send

PASSWORD = "correct horse battery staple"
SECRET = base64.b32encode(b"0123456789abcdefghij").decode()


def login(**data: Any) -> Any:
    return send(Client(), "post", "auth/token", {"password": PASSWORD, **data})


def current_code() -> str:
    return format_hotp_value(hotp_value(SECRET, int(time.time()) // mfa_settings.TOTP_PERIOD))


def with_totp(world: Any, username: str) -> None:
    TOTP.activate(world.m[username].user, SECRET)


def test_a_reporter_gets_a_token_bound_to_their_membership(world: Any) -> None:
    r = login(username="rolf")
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["organisation"] == "skole" and data["role"] == "reporter" and data["token_type"] == "Bearer"
    token = ApiToken.objects.get()
    assert token.membership == world.m["rolf"]
    assert token.key_hash == hash_token(data["token"]) and data["token"] not in token.key_hash
    ttl = dt.datetime.fromisoformat(data["expires_at"]) - timezone.now()
    assert dt.timedelta(hours=11, minutes=59) < ttl <= dt.timedelta(hours=12)
    me = Client(HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    assert me.get(API + "concerns/").status_code == 200


def test_success_is_audited_as_login_and_token_issue(world: Any) -> None:
    seq = audit_seq()
    assert login(username="rolf").status_code == 200
    events = last_events(seq)
    assert [e.action for e in events] == [Action.LOGIN, Action.TOKEN_CREATE]
    user = world.m["rolf"].user
    assert all(e.actor_id == user.pk for e in events)
    assert events[1].actor_org_id == world.orgs["skole"].pk
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize("username", ["rolf", "nobody"])
def test_a_wrong_password_is_refused_and_audited(world: Any, username: str) -> None:
    seq = audit_seq()
    r = send(Client(), "post", "auth/token", {"username": username, "password": "wrong password"})
    assert_error(r, 401, "invalid_credentials")
    assert [e.action for e in last_events(seq)] == [Action.LOGIN_FAILED]
    assert not ApiToken.objects.exists()


def test_an_inactive_user_cannot_log_in(world: Any) -> None:
    user = world.m["rolf"].user
    user.is_active = False
    user.save()
    assert_error(login(username="rolf"), 401, "invalid_credentials")


def test_a_role_that_needs_mfa_is_refused_without_it(world: Any) -> None:
    seq = audit_seq()
    data = assert_error(login(username="siri"), 403, "mfa_setup_required")
    assert "web" in data["detail"].lower() or "nett" in data["detail"].lower()
    assert not ApiToken.objects.exists()
    assert Action.LOGIN_FAILED in [e.action for e in last_events(seq)]


def test_demo_mode_lets_a_role_that_needs_mfa_in_without_it(world: Any, settings: Any) -> None:
    settings.DEMO = True
    assert login(username="siri").status_code == 200


def test_with_totp_the_one_time_code_is_required(world: Any) -> None:
    with_totp(world, "siri")
    assert_error(login(username="siri"), 401, "otp_required")
    seq = audit_seq()
    assert_error(login(username="siri", otp="000000" if current_code() != "000000" else "111111"), 401, "otp_invalid")
    assert [e.action for e in last_events(seq)] == [Action.LOGIN_FAILED]
    r = login(username="siri", otp=current_code())
    assert r.status_code == 200, r.content
    assert r.json()["role"] == "caseworker"


def test_a_one_time_code_works_only_once(world: Any) -> None:
    with_totp(world, "siri")
    code = current_code()
    assert login(username="siri", otp=code).status_code == 200
    assert_error(login(username="siri", otp=code), 401, "otp_invalid")


def test_a_recovery_code_is_accepted_once(world: Any) -> None:
    with_totp(world, "siri")
    code = RecoveryCodes.activate(world.m["siri"].user).generate_codes()[0]
    assert login(username="siri", otp=code).status_code == 200
    assert_error(login(username="siri", otp=code), 401, "otp_invalid")


def test_a_user_with_several_organisations_must_choose_one(world: Any, settings: Any) -> None:
    settings.DEMO = True
    user_create(username="kari", password="x", org_slug="nav", role="reporter", validate=False)
    data = assert_error(login(username="kari"), 422, "organisation_required")
    assert "kommune" in data["detail"] and "nav" in data["detail"]
    r = login(username="kari", organisation="nav")
    assert r.status_code == 200, r.content
    assert (r.json()["organisation"], r.json()["role"]) == ("nav", "reporter")
    assert ApiToken.objects.get().membership.organisation.slug == "nav"


def test_the_one_time_code_is_checked_before_memberships_are_revealed(world: Any) -> None:
    user_create(username="kari", password="x", org_slug="nav", role="reporter", validate=False)
    with_totp(world, "kari")
    data = assert_error(login(username="kari"), 401, "otp_required")
    assert "nav" not in data["detail"]
    assert_error(login(username="kari", otp=current_code()), 422, "organisation_required")


def test_the_token_acts_only_as_its_membership(world: Any, settings: Any) -> None:
    settings.DEMO = True
    case = world.open_case()
    user_create(username="kari", password="x", org_slug="nav", role="reporter", validate=False)
    as_reporter = login(username="kari", organisation="nav").json()["token"]
    as_coordinator = login(username="kari", organisation="kommune").json()["token"]
    reporter = Client(HTTP_AUTHORIZATION=f"Bearer {as_reporter}")
    coordinator = Client(HTTP_AUTHORIZATION=f"Bearer {as_coordinator}")
    assert reporter.get(API + "cases/").json()["results"] == []
    assert_error(reporter.get(f"{API}cases/{case.public_id}/"), 404, "not_found")
    assert [c["id"] for c in coordinator.get(API + "cases/").json()["results"]] == [str(case.public_id)]


def test_several_roles_in_one_organisation_need_a_role(world: Any, settings: Any) -> None:
    settings.DEMO = True
    user_create(username="rolf", password="x", org_slug="skole", role="caseworker", validate=False)
    assert_error(login(username="rolf"), 422, "role_required")
    r = login(username="rolf", role="reporter")
    assert r.status_code == 200 and r.json()["role"] == "reporter"


def test_no_matching_membership_is_refused(world: Any) -> None:
    assert_error(login(username="rolf", organisation="politi"), 403, "no_membership")
    Membership.objects.filter(user=world.m["rolf"].user).update(is_active=False)
    assert_error(login(username="rolf"), 403, "no_membership")


def test_a_missing_token_is_401_with_a_challenge(world: Any) -> None:
    r = Client().get(API + "cases/")
    assert_error(r, 401, "not_authenticated")
    assert r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer utv_notatoken", "Bearer " + "x" * 5000, "Bearer \u00e6\u00f8\u00e5", "Token abc"],
)
def test_a_bad_token_is_401(world: Any, header: str) -> None:
    assert_error(Client(HTTP_AUTHORIZATION=header).get(API + "cases/"), 401)


def _token(world: Any, username: str, **fields: Any) -> Client:
    values = {"expires_at": timezone.now() + dt.timedelta(hours=1), **fields}
    _, raw = ApiToken.issue(membership=world.m[username], **values)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_an_expired_or_revoked_token_is_401(world: Any) -> None:
    expired = _token(world, "kari", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(expired.get(API + "cases/"), 401, "authentication_failed")
    revoked = _token(world, "kari", revoked_at=timezone.now())
    assert_error(revoked.get(API + "cases/"), 401, "authentication_failed")


def test_a_token_stops_working_when_the_membership_ends(world: Any) -> None:
    client = _token(world, "kari")
    assert client.get(API + "cases/").status_code == 200
    Membership.objects.filter(pk=world.m["kari"].pk).update(valid_until=timezone.now())
    assert_error(client.get(API + "cases/"), 401, "authentication_failed")


def test_a_token_stops_working_when_the_user_is_deactivated(world: Any) -> None:
    client = _token(world, "kari")
    user = world.m["kari"].user
    user.is_active = False
    user.save()
    assert_error(client.get(API + "cases/"), 401, "authentication_failed")


def test_delete_revokes_the_token(world: Any) -> None:
    client = _token(world, "kari")
    seq = audit_seq()
    assert client.delete(API + "auth/token").status_code == 204
    assert [e.action for e in last_events(seq)] == [Action.LOGOUT]
    assert ApiToken.objects.get().revoked_at is not None
    assert_error(client.get(API + "cases/"), 401)
    assert_error(Client().delete(API + "auth/token"), 401)


def test_a_stale_token_in_the_header_does_not_block_logging_in(world: Any) -> None:
    r = send(
        Client(HTTP_AUTHORIZATION="Bearer stale"), "post", "auth/token", {"username": "rolf", "password": PASSWORD}
    )
    assert r.status_code == 200


def test_the_trailing_slash_is_forgiven(world: Any) -> None:
    r = send(Client(), "post", "auth/token/", {"username": "rolf", "password": PASSWORD})
    assert r.status_code == 200


def test_token_attempts_are_throttled(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(throttling.DEFAULT_RATES, "auth_token_user", "3/min")
    for _ in range(3):
        assert_error(send(Client(), "post", "auth/token", {"username": "rolf", "password": "nope"}), 401)
    r = send(Client(), "post", "auth/token", {"username": "rolf", "password": PASSWORD})
    assert_error(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    # Another username from the same address still gets through, until the address limit.
    assert send(Client(), "post", "auth/token", {"username": "mona", "password": "nope"}).status_code == 401
    monkeypatch.setitem(throttling.DEFAULT_RATES, "auth_token", "5/min")
    assert_error(send(Client(), "post", "auth/token", {"username": "nils", "password": "nope"}), 429, "throttled")
