"""Passwords are reset by the organisation's administrator, not by e-mail."""

from __future__ import annotations

from django.test import Client


def test_the_reset_page_sends_people_to_their_administrator(db):
    c = Client()
    c.cookies["django_language"] = "en"
    r = c.get("/accounts/password/reset/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "administrator" in html
    assert 'type="email"' not in html and "<form" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_posting_to_the_reset_page_does_nothing(db):
    r = Client().post("/accounts/password/reset/", {"email": "someone@example.org"})
    assert r.status_code == 405
