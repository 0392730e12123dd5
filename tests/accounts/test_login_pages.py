"""The login and logout pages: in our layout, in both languages, with labels and errors, without sign-up."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from utvei.accounts.models import User

LANGS = {"nb": "Brukernavn", "en": "Username"}


@pytest.mark.parametrize(("lang", "username_label"), list(LANGS.items()))
def test_login_page_renders_in_each_language(db, lang, username_label):
    r = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/accounts/login/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<html lang="{lang}">' in html
    assert "base.html" in [t.name for t in r.templates]
    assert f'<label for="id_login">{username_label}' in html
    assert '<label for="id_password">' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert html.count("<h1") == 1
    assert 'class="skip-link"' in html


def test_login_page_offers_no_sign_up(db):
    html = Client().get("/accounts/login/").content.decode()
    assert "/accounts/signup/" not in html
    assert "/accounts/password/reset/" not in html


def test_sign_up_is_closed(db):
    r = Client().get("/accounts/signup/")
    assert r.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in r.templates]
    Client().post("/accounts/signup/", {"username": "x", "password1": PASSWORD, "password2": PASSWORD})
    assert not User.objects.filter(username="x").exists()


def test_a_wrong_password_shows_an_error_linked_to_the_form(world):
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post("/accounts/login/", {"login": "rolf", "password": "nope"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'role="alert"' in html
    assert "not correct" in html
    assert not r.wsgi_request.user.is_authenticated


def test_a_missing_field_is_marked_invalid(db):
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post("/accounts/login/", {"login": "rolf"})
    html = r.content.decode()
    assert re.search(r'<input type="password"[^>]*aria-invalid="true"', html)
    assert re.search(r'aria-describedby="[^"]*id_password_error', html)
    assert 'id="id_password_error"' in html


def test_login_lands_on_the_dashboard(world):
    c = Client()
    r = c.post("/accounts/login/", {"login": "rolf", "password": PASSWORD})
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert c.session["_auth_user_id"] == str(world.m["rolf"].user_id)


def test_login_honours_a_local_next_only(world):
    r = Client().post("/accounts/login/?next=/audit/", {"login": "rolf", "password": PASSWORD, "next": "/audit/"})
    assert r["Location"] == "/audit/"
    r = Client().post("/accounts/login/", {"login": "rolf", "password": PASSWORD, "next": "https://evil.example/"})
    assert r["Location"] == "/"


@pytest.mark.parametrize("lang", list(LANGS))
def test_logout_page_renders_in_each_language(world, lang):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.m["rolf"].user)
    r = c.get("/accounts/logout/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'<html lang="{lang}">' in html
    assert 'method="post" action="/accounts/logout/"' in html


def test_logout_needs_post(world):
    c = Client()
    c.force_login(world.m["rolf"].user)
    c.get("/accounts/logout/")
    assert "_auth_user_id" in c.session
    r = c.post("/accounts/logout/")
    assert r.status_code == 302
    assert r["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in c.session


def test_every_page_has_a_logout_form(world, client_for):
    html = client_for("dina").get("/audit/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', html)
