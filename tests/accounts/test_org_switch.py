"""Switching the organisation a session acts for: only to one's own current memberships."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from utvei.accounts.middleware import SESSION_KEY
from utvei.accounts.models import Membership
from utvei.accounts.services import user_create


@pytest.fixture
def second(world):
    """kari is also a caseworker with the police."""
    return user_create(username="kari", password=PASSWORD, org_slug="politi", role="caseworker", validate=False)


def test_switching_to_an_own_membership(world, client_for, second):
    c = client_for("kari")
    r = c.post("/me/organisation/", {"membership": second.pk})
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert c.session[SESSION_KEY] == second.pk


def test_the_next_request_acts_for_the_new_membership(world, client_for, second):
    c = client_for("kari")
    c.post("/me/organisation/", {"membership": second.pk})
    r = c.get("/audit/")  # any page: the middleware sets request.membership
    assert r.wsgi_request.membership == second
    c.post("/me/organisation/", {"membership": world.m["kari"].pk})
    assert c.get("/audit/").wsgi_request.membership == world.m["kari"]


def test_the_header_offers_the_switch(world, client_for, second):
    html = client_for("kari").get("/audit/", follow=True).content.decode()
    assert 'action="/me/organisation/"' in html
    assert f'value="{second.pk}"' in html


def test_someone_elses_membership_is_404(world, client_for, second):
    c = client_for("kari")
    r = c.post("/me/organisation/", {"membership": world.m["per"].pk})
    assert r.status_code == 404
    assert c.session[SESSION_KEY] == world.m["kari"].pk


def test_an_ended_membership_is_404(world, client_for, second):
    Membership.objects.filter(pk=second.pk).update(valid_until=timezone.now() - dt.timedelta(days=1))
    c = client_for("kari")
    assert c.post("/me/organisation/", {"membership": second.pk}).status_code == 404


def test_a_deactivated_membership_is_404(world, client_for, second):
    Membership.objects.filter(pk=second.pk).update(is_active=False)
    assert client_for("kari").post("/me/organisation/", {"membership": second.pk}).status_code == 404


def test_a_future_membership_is_404(world, client_for, second):
    Membership.objects.filter(pk=second.pk).update(valid_from=timezone.now() + dt.timedelta(days=1))
    assert client_for("kari").post("/me/organisation/", {"membership": second.pk}).status_code == 404


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999", "1.5", "99999999999999999999999"])
def test_nonsense_is_404(world, client_for, value):
    assert client_for("kari").post("/me/organisation/", {"membership": value}).status_code == 404


def test_get_is_not_allowed(world, client_for):
    assert client_for("kari").get("/me/organisation/").status_code == 405


def test_anonymous_is_sent_to_login(db):
    r = Client().post("/me/organisation/", {"membership": 1})
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")


def test_csrf_is_required(world, client_for, second):
    client_for("kari")  # sets up MFA
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.m["kari"].user)
    assert c.post("/me/organisation/", {"membership": second.pk}).status_code == 403
