"""Headers on every kind of response (issue 12, deliverable 4): a strict Content-Security-Policy (nothing inline,
nothing from elsewhere), a Permissions-Policy, `Cache-Control: no-store` on every page and API answer, HSTS when
the secure-cookie switch is on; static files stay cacheable. tests/browser/test_csp_browser.py walks the main
pages in Chromium under the policy."""

from __future__ import annotations

import pytest
from django.test import Client

from utvei.core.middleware import CONTENT_SECURITY_POLICY


def _strict(policy: str) -> None:
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for name in ("default-src", "script-src", "style-src"):
        assert directives[name] == "'self'", name
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def _headers_hold(response) -> None:
    _strict(response["Content-Security-Policy"])
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_the_policy_is_strict() -> None:
    _strict(CONTENT_SECURITY_POLICY)


@pytest.mark.parametrize(
    "path",
    ["/", "/cases/", "/tasks/", "/me/notifications/", "/referrals/", "/legal-bases/", "/no/such/page/"],
)
def test_pages_of_every_kind(browse, path) -> None:
    _headers_hold(browse("kari").get(path))


def test_a_case_page_its_export_and_an_entry(world, browse) -> None:
    case = world.open_case()
    client = browse("kari")
    _headers_hold(client.get(f"/cases/{case.public_id}/"))
    _headers_hold(client.get(f"/cases/{case.public_id}/export/"))


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/tasks/", "/api/v1/no/such/", "/api/v1/schema/"])
def test_api_answers(world, path) -> None:
    _headers_hold(world.api("kari").get(path))


def test_pages_before_login_and_the_api_docs(db) -> None:  # the login page reads its single sign-on providers
    client = Client()
    for path in ("/accounts/login/", "/api/v1/docs/", "/healthz"):
        _headers_hold(client.get(path))
    _headers_hold(client.post("/api/v1/auth/token", {}, content_type="application/json"))


def test_the_swagger_page_has_no_inline_script_or_style() -> None:
    html = Client().get("/api/v1/docs/").content.decode()
    assert "<style" not in html
    assert html.count("<script") == html.count("<script src=")


def test_hsts_when_the_secure_switch_is_on(db, settings) -> None:
    """settings.py sets SECURE_HSTS_SECONDS from UTVEI_SECURE_COOKIES; off (the test settings) means no HSTS."""
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/", secure=True)
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/accounts/login/", secure=True)  # a new client: the middleware reads it at start
    assert "max-age=31536000" in response["Strict-Transport-Security"]
