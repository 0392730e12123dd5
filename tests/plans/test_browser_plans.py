"""The toolbox and an individual plan in Chromium, with axe-core on every new page: issue 4's acceptance walk.

The case starts in «Assessment» with ola's assessment filled in: kari (coordinator) finalises it, moves the case
to «Planning», reads the catalogue, starts the plan from the case page, adds the person's goal and a measure
for mona (mentor) through htmx, records the participation, approves the plan, moves the case to «Active» and opens
the printable plan. mona then sees the goal and her own measure, and nothing else of the plan.
"""

from __future__ import annotations

import pytest

from tests.assessments.helpers import fill, start
from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from utvei.assessments.services import instruments_sync
from utvei.cases import services as case_services
from utvei.cases.models import Phase, TeamRole
from utvei.plans.models import Plan, PlanStatus
from utvei.plans.services import measures_sync

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

GOAL = "I want to finish school and get an apprenticeship."
NAV_NOTE = "NAV-ONLY work training details"


def test_a_plan_from_the_toolbox_to_the_mentor(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("plans")
    measures_sync()  # the migration loaded it, but a transactional test before this one may have flushed it
    secrets = {name: give_totp(world.m[name].user) for name in ("kari", "mona")}
    case = world.open_case(name="Aslak Plansen")
    world.add(case, "nils")
    world.add(case, "mona", role=TeamRole.MENTOR)
    case = case_services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ASSESSMENT)
    instruments_sync()
    assessment = fill(world, start(world, case, by="kari"), by="kari")
    case_url = f"{base}/cases/{case.public_id}/"

    # ---- assessment -> planning: the assessment is finalised, then the phase changes ----
    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(f"{base}/cases/{case.public_id}/assessments/{assessment.public_id}/finalise/")
    kari.get_by_role("button", name="Finalise the assessment").click()
    expect(kari.locator("#summary")).to_contain_text("SAMMENFATNING-HEMMELIG")
    kari.goto(case_url)
    kari.get_by_role("button", name="Move to «Planning»").click()
    expect(kari.get_by_role("status").filter(has_text="The case is now in the phase «Planning».")).to_be_visible()
    case.refresh_from_db()
    assert case.phase == Phase.PLANNING

    # ---- the toolbox ----
    kari.goto(f"{base}/measures/")
    expect(kari.get_by_role("heading", level=1)).to_have_text("Toolbox: measures")
    expect(kari.locator("#evidence-note")).to_contain_text("Nobody knows which exit measures work.")
    a11y.check(kari, "measures")
    kari.get_by_label("Sector").select_option(value="police")
    kari.get_by_role("button", name="Show measures").click()
    expect(kari.locator(".measure-card")).to_have_count(2)
    kari.locator("#measure-police-concern-conversation summary").click()
    a11y.check(kari, "measures-police")
    kari.get_by_role("link", name="Police concern conversation").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Police concern conversation")
    a11y.check(kari, "measure-detail")

    kari.goto(f"{base}/measures/new/")
    expect(kari.get_by_role("heading", level=1)).to_have_text("Add a local measure")
    a11y.check(kari, "measure-new")

    # ---- kari starts the plan from the case page and fills it in (htmx) ----
    kari.goto(case_url)
    kari.locator("#plan").get_by_role("button", name="Start the plan").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Individual plan, version 1")
    a11y.check(kari, "plan-draft-empty")
    goals = kari.locator("#goals")
    goals.get_by_label("Goal, in the person's own words").fill(GOAL)
    goals.get_by_label("Domain").select_option(value="education")
    goals.get_by_role("button", name="Add the goal").click()
    expect(kari.locator("#plan-body")).to_contain_text("The goal is added.")
    expect(kari.locator(".goal-text")).to_contain_text(GOAL)
    items = kari.locator("#items")
    items.locator("details.add-form > summary").click()
    items.get_by_label("Measure", exact=True).select_option(value="mentor")
    items.get_by_label("Goal it serves").select_option(index=1)
    items.get_by_label("Person responsible (on the team)").select_option(value="mona")
    items.get_by_role("button", name="Add the measure").click()
    expect(kari.locator("#plan-body")).to_contain_text("The measure is added to the plan.")
    items = kari.locator("#items")
    items.locator("details.add-form > summary").last.click()
    items.get_by_label("Measure", exact=True).last.select_option(value="employment-work-training")
    items.get_by_label("Person responsible (on the team)").last.select_option(value="nils")
    items.get_by_label("Note (optional)").last.fill(NAV_NOTE)
    items.get_by_role("button", name="Add the measure").click()
    expect(kari.locator(".plan-item")).to_have_count(2)
    about = kari.locator("#about")
    about.get_by_role("radio", name="The person took part", exact=True).check()
    about.get_by_role("button", name="Save").click()
    expect(kari.locator("#plan-body")).to_contain_text("The plan is saved.")
    a11y.check(kari, "plan-draft-filled")
    kari.locator("#approve").get_by_role("button", name="Approve the plan").click()
    # The whole page reloads: the message, and the head's status says approved (it said «Draft» after a swap).
    expect(kari.locator(".messages")).to_contain_text("The plan is approved and in force.")
    expect(kari.locator(".page-head-badges")).to_contain_text("Approved")
    plan = Plan.objects.get(case=case)
    assert plan.status == PlanStatus.APPROVED
    a11y.check(kari, "plan-approved")
    screenshot(kari, "plans-kari-approved")

    # ---- planning -> active, now that a plan is approved ----
    kari.goto(case_url)
    expect(kari.locator("#plan")).to_contain_text(GOAL)
    kari.get_by_role("button", name="Move to «Active»").click()
    expect(kari.get_by_role("status").filter(has_text="The case is now in the phase «Active».")).to_be_visible()
    case.refresh_from_db()
    assert case.phase == Phase.ACTIVE
    a11y.check(kari, "case-with-plan")

    # ---- the printable plan ----
    kari.goto(f"{base}/cases/{case.public_id}/plans/{plan.public_id}/print/?lang=en")
    expect(kari.get_by_role("heading", level=1)).to_have_text("Individual plan")
    expect(kari.locator("main")).to_contain_text(GOAL)
    a11y.check(kari, "plan-print")

    # ---- mona, the mentor: the goal and her own measure, nothing else ----
    mona = browser_page()
    log_in(mona, base, "mona", secrets["mona"])
    mona.goto(case_url)
    expect(mona.locator("#plan")).to_contain_text(GOAL)
    mona.locator("#plan").get_by_role("link", name="Open the plan").click()
    expect(mona.locator(".goal-text")).to_contain_text(GOAL)
    expect(mona.locator(".plan-item")).to_have_count(1)
    expect(mona.locator(".plan-item")).to_contain_text("Mentor")
    assert NAV_NOTE not in mona.content()
    a11y.check(mona, "plan-mentor")
    mona.locator(".plan-item details > summary").click()
    mona.get_by_label("Status").select_option(value="ongoing")
    mona.get_by_role("button", name="Save the status").click()
    expect(mona.locator("#plan-body")).to_contain_text("The status is saved.")
    a11y.check(mona, "plan-mentor-status")

    a11y.assert_clean()
