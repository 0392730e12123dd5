"""In Chromium (issue 14, deliverable 1): the organisation administrator invites a caseworker; the caseworker opens
the link, chooses a password, sets up an authenticator app and lands on their start page; the administrator
deactivates them, and the caseworker's open page's next request is no longer logged in. Every page is checked
with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import A11yLog, code_for, log_in, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "et langt og godt passord 2026"


def test_an_invited_caseworker_sets_up_and_is_deactivated(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("administration")
    admin = browser_page()
    log_in(admin, base, "adam")  # no MFA for an administrator's role
    admin.get_by_role("link", name="Manage the members").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Members of Testby kommune")
    a11y.check(admin, "members")
    with admin.expect_navigation():  # axe must see the page the link opens
        admin.get_by_role("link", name="Invite a user").click()
    a11y.check(admin, "invite")
    admin.get_by_label("Username").fill("tina")
    admin.get_by_label("First name").fill("Tina")
    admin.get_by_label("Last name").fill("Test")
    admin.get_by_label("Role").select_option("caseworker")
    admin.get_by_role("button", name="Invite").click()
    link = admin.locator("[data-invitation-link]").input_value()
    assert re.search(r"/invitations/[\w-]+/$", link)
    a11y.check(admin, "invited")
    screenshot(admin, "administration-invited")

    # The caseworker, in a browser of their own.
    worker = browser_page()
    worker.goto(base + "/" + link.split("://", 1)[1].split("/", 1)[1])
    assert worker.url.endswith("/invitations/accept/")  # the token is no longer in the address
    expect(worker.get_by_role("heading", level=1)).to_have_text("Choose your password")
    a11y.check(worker, "accept")
    worker.get_by_label("Password", exact=True).fill(PASSWORD)
    worker.get_by_label("Password (again)").fill(PASSWORD)
    worker.get_by_role("button", name="Set the password").click()
    worker.wait_for_url(lambda url: not url.endswith("/invitations/accept/"))
    assert worker.url.endswith("/accounts/2fa/totp/activate/"), (worker.url, worker.content()[:3000])
    a11y.check(worker, "totp")
    secret = worker.get_by_label("Secret for typing in").input_value()
    worker.get_by_label("Authenticator code").fill(code_for(secret))
    worker.get_by_role("button", name="Activate").click()
    worker.wait_for_url(lambda url: "/accounts/2fa/recovery-codes/" in url)
    worker.goto(base + "/")
    expect(worker.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(worker.get_by_text("You are acting as Caseworker in Testby kommune.")).to_be_visible()
    a11y.check(worker, "start")

    # The administrator sees the account taken up, and deactivates it.
    admin.goto(base + "/organisation/members/")
    row = admin.get_by_role("row").filter(has_text="tina")
    expect(row).to_contain_text("Accepted")
    expect(row).to_contain_text("Set up")
    with admin.expect_navigation():  # axe must see the page the link opens
        row.get_by_role("link", name="Tina Test").click()
    a11y.check(admin, "member")
    with admin.expect_navigation():  # axe must see the page the link opens
        admin.get_by_role("link", name="Deactivate the membership").click()
    a11y.check(admin, "deactivate")
    admin.get_by_role("button", name="Deactivate").click()
    expect(admin.get_by_role("status").filter(has_text="The membership is deactivated")).to_be_visible()
    screenshot(admin, "administration-deactivated")

    # The caseworker's open page: the next request is not logged in.
    worker.reload()
    assert "/accounts/login/" in worker.url
    a11y.assert_clean()
