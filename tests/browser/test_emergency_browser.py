"""Emergency access in Chromium, with axe-core on every page: atle (another municipality) breaks the glass on
kari's case, reads it under the banner and ends it; dina (the DPO) finds the notification, reviews the use in
the queue and sees it in the case's access report."""

from __future__ import annotations

import pytest

from tests.browser.support import A11yLog, give_totp, log_in
from utvei.core.vocabulary import Classification
from utvei.sharing.models import EmergencyAccess, ReviewStatus

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

REASON = "The person is reported missing after threats; the police need the team's contacts tonight."


def test_break_the_glass_and_review(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("emergency")
    case = world.open_case(name="Glass Person")
    world.add(case, "ola")
    world.entry(case, "ola", Classification.TEAM, body="TEAM-ENTRY-VISIBLE")
    secrets = {name: give_totp(world.m[name].user) for name in ("atle", "dina")}

    atle = browser_page()
    log_in(atle, base, "atle", secrets["atle"])
    atle.get_by_role("link", name="Emergency access", exact=True).click()
    expect(atle.get_by_role("heading", level=1)).to_have_text("Emergency access")
    a11y.check(atle, "form")

    # A mistake first: no reason text.
    atle.get_by_label("Case reference").fill(case.reference)
    atle.get_by_role("radio", name="The person is missing").check()
    atle.get_by_role("button", name="Open with emergency access").click()
    expect(atle.get_by_role("alert")).to_contain_text("What is happening")
    a11y.check(atle, "form-error")

    atle.get_by_label("What is happening").fill(REASON)
    atle.get_by_label("For how long").select_option("2")
    atle.get_by_role("button", name="Open with emergency access").click()
    atle.wait_for_url(f"{base}/cases/{case.public_id}/")
    expect(atle.locator("#emergency-banner")).to_contain_text("You have emergency access until")
    expect(atle.locator("#timeline")).to_contain_text("TEAM-ENTRY-VISIBLE")
    a11y.check(atle, "case-banner")

    dina = browser_page()
    log_in(dina, base, "dina", secrets["dina"])
    dina.get_by_role("link", name="Notifications").click()
    expect(dina.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(dina.locator("main")).to_contain_text("opened case")
    a11y.check(dina, "notifications")
    dina.locator("main").get_by_role("link", name="atle").click()
    expect(dina.get_by_role("heading", level=1)).to_have_text("Emergency access review")
    expect(dina.locator("main")).to_contain_text(REASON)
    a11y.check(dina, "queue")
    dina.get_by_role("radio", name="Flag").check()
    dina.get_by_role("button", name="Save the review").click()
    expect(dina.get_by_role("alert")).to_contain_text("Say why you flag this use.")
    a11y.check(dina, "queue-error")
    dina.get_by_role("radio", name="Approve").check()
    dina.get_by_role("button", name="Save the review").click()
    expect(dina.get_by_role("status").filter(has_text="The use is approved.")).to_be_visible()
    assert EmergencyAccess.objects.get().review_status == ReviewStatus.APPROVED

    dina.goto(f"{base}/audit/?case={case.reference}")
    expect(dina.locator("#case-emergency")).to_contain_text("atle")
    a11y.check(dina, "report")

    atle.get_by_role("button", name="End emergency access").click()
    expect(atle.get_by_role("status").filter(has_text="Your emergency access has ended.")).to_be_visible()
    a11y.check(atle, "ended")
    atle.goto(f"{base}/cases/{case.public_id}/")
    expect(atle.get_by_role("heading", level=1)).not_to_have_text(f"Case {case.reference}")
    a11y.assert_clean()
