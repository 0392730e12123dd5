"""In Chromium: the login, MFA and access-log pages work end to end and have no serious axe violations."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.browser.support import code_for, log_in, serious_violations
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_login_page_is_accessible_and_rejects_a_wrong_password(live_server, world, page):
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious_violations(page) == []
    page.get_by_label("Username").fill("rolf")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").is_visible()
    assert serious_violations(page) == []


def test_a_coordinator_sets_up_totp_on_first_login(live_server, world, page):
    log_in(page, live_server.url, "kari", check=False)
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
    log_in(page, live_server.url, "dina", check=False)
    assert page.url.endswith("/accounts/2fa/authenticate/")
    assert serious_violations(page) == []
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.url}/audit/")
    assert page.get_by_role("heading", name="Access log", level=1).is_visible()
    assert serious_violations(page) == []
    page.get_by_label("Case").fill(case.reference)
    page.get_by_role("button", name="Search").click()
    # Wait for the result page itself: content() read mid-navigation is empty.
    expect(page.locator("main")).to_contain_text(case.reference)
    assert "Hemmeligsen" not in page.content()
    page.get_by_role("button", name="Verify chain").click()
    assert page.get_by_text("Chain intact.").is_visible()
    assert serious_violations(page) == []
