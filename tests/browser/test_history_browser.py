"""The history of the case details in Chromium, with axe-core: kari edits the person's details and the safety plan
with its review date, reads the history with the earlier values, and the passed review date waits under «Needs
attention»; siri (school, no consent for identity) sees that the identity changed, not from what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.support import A11yLog, give_totp, log_in
from utvei.cases.models import Case
from utvei.core.vocabulary import DataCategory
from utvei.desk.reminders import reminders_run

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)


def test_the_history_and_the_safety_plan_review(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("history")
    case = world.open_case(name="Historisk Person")
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    secret = give_totp(world.m["kari"].user)

    kari = browser_page()
    log_in(kari, base, "kari", secret)
    kari.goto(f"{base}/cases/{case.public_id}/")
    with kari.expect_navigation():  # axe must see the page the link opens
        kari.get_by_role("link", name="Edit the person's details").click()
    a11y.check(kari, "person edit")
    kari.get_by_label("Name", exact=True).fill("Historisk Nyperson")
    kari.get_by_role("button", name="Save").click()
    kari.wait_for_url(f"{base}/cases/{case.public_id}/")
    kari.get_by_role("link", name="Edit case details").click()
    kari.get_by_label("Safety plan", exact=True).fill("Ring politiet ved trusler")
    kari.get_by_label("Review the safety plan by", exact=True).fill("2030-06-01")
    kari.get_by_role("button", name="Save").click()
    kari.wait_for_url(f"{base}/cases/{case.public_id}/")
    kari.get_by_role("link", name="History of the case details").click()
    main = kari.locator("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("History of the case details")
    expect(main).to_contain_text("Person's identity details changed")
    expect(main).to_contain_text("Historisk Person")
    expect(main).to_contain_text("Case details changed")
    a11y.check(kari, "history")

    Case.objects.filter(pk=case.pk).update(safety_plan_review_on=timezone.localdate() - dt.timedelta(days=3))
    reminders_run()
    kari.goto(f"{base}/")
    attention = kari.locator("section[aria-labelledby=attention-h]")
    attention.get_by_role("link", name=f"Overdue safety plan review ({case.reference})").click()
    kari.wait_for_url(f"{base}/cases/{case.public_id}/#safety-plan")
    expect(kari.locator("#safety-plan")).to_be_visible()

    siri = browser_page()
    log_in(siri, base, "siri", give_totp(world.m["siri"].user))
    siri.goto(f"{base}/cases/{case.public_id}/history/")
    main = siri.locator("main")
    expect(main).to_contain_text("Person's identity details changed")
    expect(main).to_contain_text("Changed (the earlier value is not shown to you)")
    expect(main).not_to_contain_text("Historisk")
    a11y.check(siri, "history, identity not readable")
    a11y.assert_clean()
