"""Reminders in Chromium, with axe-core: kari leads a case with an overdue plan review and an overdue task; the
dashboard's "Needs attention" lists them and leads to the plan, and the reminder waits among the notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.support import A11yLog, give_totp, log_in
from tests.plans.helpers import approved_plan
from utvei.cases import services
from utvei.desk.reminders import reminders_run
from utvei.plans.models import Plan

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)


def test_needs_attention_and_the_reminder(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("reminders")
    case = world.open_case(name="Reminder Person")
    world.add(case, "ola")
    late = timezone.localdate() - dt.timedelta(days=4)
    plan = approved_plan(world, case)
    Plan.objects.filter(pk=plan.pk).update(review_due=late)
    services.task_create(
        actor=world.m["kari"], case=case, title="Ring skolen", assignee=world.m["ola"].user, due_on=late
    )
    reminders_run()
    secret = give_totp(world.m["kari"].user)

    kari = browser_page()
    log_in(kari, base, "kari", secret)
    attention = kari.locator("section[aria-labelledby=attention-h]")
    expect(attention.get_by_role("heading", level=2)).to_have_text("Needs attention")
    expect(attention).to_contain_text(case.reference)
    expect(attention).to_contain_text("Overdue task")
    a11y.check(kari, "dashboard")

    attention.get_by_role("link", name=f"Overdue plan review ({case.reference})").click()
    kari.wait_for_url(f"{base}/cases/{case.public_id}/plans/{plan.public_id}/")

    kari.get_by_role("link", name="Notifications").click()
    expect(kari.locator("main")).to_contain_text(f"You have an overdue plan review in case {case.reference}.")
    a11y.check(kari, "notifications")
    kari.locator("main").get_by_role("link", name=f"You have an overdue task in case {case.reference}.").click()
    kari.wait_for_url(f"{base}/cases/{case.public_id}/#task-*")
    a11y.assert_clean()
