"""In Chromium: the login, MFA and access-log pages work end to end and have no serious axe violations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


def code_for(secret: str) -> str:
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(3)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(locale="en-GB")
        yield context.new_page()
        browser.close()


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_login_page_is_accessible_and_rejects_a_wrong_password(live_server, world, page):
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious_violations(page) == []
    page.get_by_label("Username").fill("rolf")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").is_visible()
    assert serious_violations(page) == []


def test_a_coordinator_sets_up_totp_on_first_login(live_server, world, page):
    log_in(page, live_server.url, "kari")
    # The MFA requirement sends her to set-up; allauth first asks for the password again.
    if "/accounts/reauthenticate/" in page.url:
        assert serious_violations(page) == []
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    assert serious_violations(page) == []
    secret = page.get_by_label("Secret for typing in").input_value()
    page.get_by_label("Authenticator code").fill(code_for(secret))
    page.get_by_role("button", name="Activate").click()
    assert page.url.endswith("/accounts/2fa/recovery-codes/")
    assert serious_violations(page) == []


def test_the_dpo_logs_in_with_a_code_and_searches_the_log(live_server, world, page):
    secret = generate_totp_secret()
    TOTP.activate(world.m["dina"].user, secret)
    case = world.open_case(name="Kåre Hemmeligsen")
    log_in(page, live_server.url, "dina")
    assert page.url.endswith("/accounts/2fa/authenticate/")
    assert serious_violations(page) == []
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.url}/audit/")
    assert page.get_by_role("heading", name="Access log", level=1).is_visible()
    assert serious_violations(page) == []
    page.get_by_label("Case").fill(case.reference)
    page.get_by_role("button", name="Search").click()
    assert case.reference in page.content()
    assert "Hemmeligsen" not in page.content()
    page.get_by_role("button", name="Verify chain").click()
    assert page.get_by_text("Chain intact.").is_visible()
    assert serious_violations(page) == []
