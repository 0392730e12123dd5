"""A responsibility group meeting in Chromium, with axe-core on every new page.

kari (coordinator) plans the meeting from the case page with nils (NAV) and mona (mentor) invited, records two
decisions through htmx, writes the minutes and records the meeting as held: the decisions become tasks. The case
page lists them with their state; the printable minutes open. mona sees the meeting she took part in and her own
decision, not the team's minutes, and marks her decision done.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from utvei.cases.models import TeamRole
from utvei.meetings.models import DecisionState, Meeting, MeetingStatus

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

MINUTES = "TEAM-MINUTES: school attendance is better; work training starts in May."


def test_a_meeting_from_plan_to_decisions_done(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("meetings")
    secrets = {name: give_totp(world.m[name].user) for name in ("kari", "mona")}
    case = world.open_case(name="Mina Møtesen")
    world.add(case, "nils")
    world.add(case, "mona", role=TeamRole.MENTOR)
    case_url = f"{base}/cases/{case.public_id}/"

    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(case_url)
    kari.locator("#meetings").get_by_role("link", name="Plan a meeting").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Plan a meeting")
    a11y.check(kari, "meeting-new")
    kari.get_by_role("button", name="Plan the meeting").click()  # nothing filled in: the error summary
    expect(kari.locator(".error-summary")).to_be_visible()
    a11y.check(kari, "meeting-new-errors")
    kari.get_by_role("radio", name="Responsibility group meeting").check()
    yesterday = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    kari.get_by_label("When").fill(yesterday)
    kari.get_by_label("Place (optional)").fill("Rådhuset")
    kari.locator("input[value='nils@nav']").check()
    kari.locator("input[value='mona@ngo']").check()
    kari.locator("input[value='kari@kommune']").check()
    kari.get_by_role("checkbox", name="The person took part").check()
    kari.get_by_label("Agenda (optional)").fill("School, work, leisure")
    kari.get_by_role("button", name="Plan the meeting").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Responsibility group meeting")
    meeting = Meeting.objects.get(case=case)
    a11y.check(kari, "meeting-planned")

    decisions = kari.locator("#decisions")
    decisions.locator("details.add-form > summary").click()
    decisions.get_by_label("Decision").fill("NAV arranges work training")
    decisions.get_by_label("Owner").select_option(value="nils@nav")
    decisions.get_by_label("Due").fill((timezone.localdate() + dt.timedelta(days=30)).isoformat())
    decisions.get_by_role("button", name="Record the decision").click()
    expect(kari.locator("#meeting-body")).to_contain_text("It becomes a task when the meeting is recorded as held.")
    decisions = kari.locator("#decisions")
    decisions.locator("details.add-form > summary").last.click()
    decisions.get_by_label("Decision").last.fill("Mentor meets the person every Tuesday")
    decisions.get_by_label("Owner").last.select_option(value="mona@ngo")
    decisions.get_by_label("Due").last.fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    decisions.get_by_role("button", name="Record the decision").click()
    expect(kari.locator(".decision")).to_have_count(2)
    a11y.check(kari, "meeting-decisions-proposed")

    edit = kari.locator("#edit")
    if not edit.locator("details").get_attribute("open"):
        edit.locator("details > summary").click()
    edit.get_by_label("Minutes", exact=True).fill(MINUTES)
    edit.get_by_role("button", name="Save and record as held").click()
    expect(kari.locator("#meeting-body")).to_contain_text("The meeting is recorded as held.")
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.HELD
    a11y.check(kari, "meeting-held")
    screenshot(kari, "meetings-kari-held")

    kari.goto(case_url)
    section = kari.locator("#meetings")
    expect(section).to_contain_text("NAV arranges work training")
    expect(section).to_contain_text("Mentor meets the person every Tuesday")
    a11y.check(kari, "case-with-meeting")
    kari.goto(f"{base}/cases/{case.public_id}/meetings/{meeting.public_id}/print/")
    expect(kari.locator("main")).to_contain_text(MINUTES)
    a11y.check(kari, "meeting-print")

    mona = browser_page()
    log_in(mona, base, "mona", secrets["mona"])
    mona.goto(case_url)
    expect(mona.locator("#meetings")).to_contain_text("Mentor meets the person every Tuesday")
    assert "NAV arranges work training" not in mona.locator("#meetings").inner_text()
    mona.locator("#meetings").get_by_role("link", name="Responsibility group meeting", exact=True).click()
    expect(mona.locator(".decision")).to_have_count(1)
    assert MINUTES not in mona.content()
    a11y.check(mona, "meeting-mentor")
    mona.get_by_role("button", name="Mark done").click()
    expect(mona.locator("#meeting-body")).to_contain_text("The decision's status is saved.")
    decision = meeting.decisions.get(owner_user=world.m["mona"].user)
    decision.refresh_from_db()
    assert decision.state == DecisionState.DONE
    a11y.check(mona, "meeting-mentor-done")

    a11y.assert_clean()
