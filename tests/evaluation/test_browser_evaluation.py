"""The evidence engine in Chromium, with axe-core on every new page.

kari (coordinator) closes a case after its measures; the 6- and 12-month follow-ups are overdue. Her start page
lists the overdue follow-up; she opens it, first forgets why it was missed (the error summary), then records the
12-month follow-up as held with a value and something that happened — the case stays closed. She records intake
measurements on an open case. anna (analyst) opens the statistics, the report and the public releases; the DPO
gets «not found».
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from tests.plans.helpers import to_active
from utvei.cases import services as case_services
from utvei.cases.models import Phase
from utvei.evaluation.models import FollowUpStatus, Measurement
from utvei.evaluation.services import indicators_sync
from utvei.plans.services import measures_sync

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)


def test_a_follow_up_after_closure_and_the_analysts_pages(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("evaluation")
    indicators_sync()  # the migration loaded them, but a transactional test before this one may have flushed them
    measures_sync()
    secret = give_totp(world.m["kari"].user)
    case = world.open_case(name="Fredrik Fulgt")
    world.add(case, "ola")
    case.refresh_from_db()
    to_active(world, case)
    case.refresh_from_db()
    ended = timezone.localdate() - dt.timedelta(days=400)
    case = case_services.case_transition(
        actor=world.m["kari"], case=case, to_phase=Phase.FOLLOW_UP, measures_ended_on=ended
    )
    case = case_services.case_close(
        actor=world.m["kari"], case=case, reason="goals_met", summary="Mål nådd", expected_version=case.version
    )
    twelve = case.follow_ups.get(months=12)
    open_case = world.open_case(name="Olga Oppstart")

    kari = browser_page()
    log_in(kari, base, "kari", secret)
    kari.goto(f"{base}/")
    attention = kari.locator("section", has_text="Needs attention")
    expect(attention.get_by_role("link", name="Overdue follow-up").first).to_be_visible()
    kari.goto(f"{base}/cases/{case.public_id}/follow-ups/{twelve.public_id}/")
    expect(kari.get_by_role("heading", level=1)).to_contain_text("12 months")
    a11y.check(kari, "follow-up")
    kari.get_by_role("radio", name="No, it was missed").check()
    kari.get_by_role("button", name="Record the follow-up").click()
    expect(kari.locator(".error-summary")).to_contain_text("why the follow-up was missed")
    a11y.check(kari, "follow-up-errors")
    kari.get_by_role("radio", name="Yes, we had contact").check()
    kari.get_by_label("Held on").fill(timezone.localdate().isoformat())
    kari.get_by_label("Housing").select_option(label="Stable housing")
    kari.get_by_label("Something that happened since (optional)").select_option(value="work")
    kari.get_by_label("When it happened").fill((timezone.localdate() - dt.timedelta(days=20)).isoformat())
    kari.get_by_label("Source of what happened").select_option(value="person")
    kari.get_by_role("button", name="Record the follow-up").click()
    expect(kari.locator("[data-status]").first).to_have_attribute("data-status", "done")
    twelve.refresh_from_db()
    case.refresh_from_db()
    assert twelve.status == FollowUpStatus.DONE and case.phase == Phase.CLOSED
    a11y.check(kari, "follow-up-done")

    kari.goto(f"{base}/cases/{case.public_id}/outcomes/")
    expect(kari.locator("[data-follow-up='12']")).to_have_attribute("data-status", "done")
    a11y.check(kari, "outcomes")

    kari.goto(f"{base}/cases/{open_case.public_id}/outcomes/measurements/new/")
    a11y.check(kari, "measurements-new")
    kari.get_by_role("button", name="Record").click()
    expect(kari.locator(".error-summary")).to_be_visible()  # nothing recorded
    kari.get_by_label("Contact with the extremist milieu").select_option(label="Regular contact")
    kari.get_by_role("button", name="Record").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Outcomes and follow-up")
    assert Measurement.objects.filter(case=open_case, indicator__key="milieu-contact", value=2).exists()

    anna_secret = give_totp(world.m["anna"].user)
    anna = browser_page()
    log_in(anna, base, "anna", anna_secret)
    for path, name in (
        ("/analytics/", "statistics"),
        ("/analytics/report/", "report"),
        ("/analytics/releases/", "releases"),
    ):
        anna.goto(base + path)
        expect(anna.locator("main")).to_be_visible()
        a11y.check(anna, name)
    screenshot(anna, "analytics-releases")
    anna.goto(base + "/analytics/")
    expect(anna.locator("svg[role=img]").first).to_be_visible()
    screenshot(anna, "analytics")

    dina_secret = give_totp(world.m["dina"].user)
    dina = browser_page()
    log_in(dina, base, "dina", dina_secret)
    response = dina.goto(base + "/analytics/")
    assert response is not None and response.status == 404
    a11y.assert_clean()
