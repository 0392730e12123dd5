"""The first issue's acceptance walkthrough, in Chromium: from a school's concern to a shared, compartmented case.

rolf (school reporter) reports a concern to the municipality and gets a receipt; kari (municipality coordinator)
triages it into a case, puts per (police) and siri (school) on the team and writes a team entry and an own-
organisation entry; per writes a police-only entry; siri reads the team entry and sees only restricted markers
for the other two. atle (another municipality) gets the 404 page for the case. Each page is checked with axe-core
and screenshotted into test-artifacts/.

Why DEMO stays off (the suite-wide default): the walkthrough runs the production configuration, in which every
role that reads case content must use two-factor authentication. Each such user has an authenticator app (TOTP)
and logs in with a real code, so the test also proves that the MFA requirement lets the real work through and
that nothing in the flow depends on demo mode. Setting up MFA itself is tested in tests/accounts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from utvei.cases.models import Case, Concern, Entry

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

CONCERN_TEXT = "He has started sharing propaganda videos in class and talks about a group he has met online."
SUBJECT_NAME = "Aslak Testesen"
SUBJECT_NIN = "01010112345"

TEAM_TITLE = "Meeting with the school"
TEAM_TEXT = "Agreed weekly talks with the school counsellor; he wants to finish upper secondary."
OWN_ORG_TITLE = "OWNORG-TITLE housing"
OWN_ORG_TEXT = "OWNORG-SECRET the family has a housing debt the municipality is handling."
POLICE_TITLE = "POLICE-TITLE observation"
POLICE_TEXT = "POLICE-SECRET contact with the former milieu was observed at the station."
SECRETS = [OWN_ORG_TITLE, OWN_ORG_TEXT, POLICE_TITLE, POLICE_TEXT]


def write_entry(page: Any, classification: str, title: str, body: str) -> None:
    """From the case page: New entry, fill it in, save, and land back on the case page."""
    page.locator("#timeline").get_by_role("link", name="New entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New entry on the timeline")
    page.get_by_role("radio", name=classification, exact=True).check()
    page.get_by_label("Title (optional)").fill(title)
    page.get_by_label("Text", exact=True).fill(body)
    page.get_by_role("button", name="Save the entry").click()
    expect(page.get_by_role("status").filter(has_text="The entry is saved.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text(body)


def add_to_team(page: Any, username: str, organisation: str) -> None:
    """From the case page: the team form (sent by htmx) finds the person by name in their organisation (issue 14),
    then the confirmation inside the team section."""
    team = page.locator("#team")
    details = team.locator("details.add-form")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    team.get_by_label("Organisation").select_option(label=organisation)
    team.get_by_label("Name", exact=True).fill(username[:3])
    team.get_by_role("button", name="Find people").click()

    team.get_by_role("radio", name=username).check()
    team.get_by_role("button", name="Add to the team").click()
    expect(team).to_contain_text(f"{username} is added to the team.")
    expect(team.locator(".team-list")).to_contain_text(organisation)


def test_from_a_concern_to_a_compartmented_case(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("walkthrough")
    secrets = {name: give_totp(world.m[name].user) for name in ("kari", "per", "siri", "atle")}

    # ---- rolf, a school reporter, reports a concern to the municipality and gets a receipt ----
    rolf = browser_page()
    log_in(rolf, base, "rolf")  # reporters read no case content, so they need no second factor
    rolf.locator("main").get_by_role("link", name="Report a concern").click()
    expect(rolf.get_by_role("heading", level=1)).to_have_text("Report a concern")
    a11y.check(rolf, "concern-form")
    rolf.get_by_label("Send to").select_option(label="Testby kommune")
    rolf.get_by_label("What is it about?").select_option(label="Statements or expressions")
    rolf.get_by_label("What worries you?").fill(CONCERN_TEXT)
    rolf.get_by_label("Name of the person (optional)").fill(SUBJECT_NAME)
    rolf.get_by_label("National identity number (optional)").fill(SUBJECT_NIN)
    rolf.get_by_role("button", name="Send the concern").click()
    expect(rolf.get_by_role("heading", level=1)).to_have_text("Receipt for your concern")
    concern = Concern.objects.get()
    expect(rolf.locator("#receipt-reference")).to_have_text(concern.reference)
    expect(rolf.locator("main")).to_contain_text("Testby kommune")
    a11y.check(rolf, "receipt")

    # ---- kari, the municipality's coordinator, triages it: open a case ----
    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    expect(kari.locator("main")).to_contain_text("1 concern waits for triage.")
    a11y.check(kari, "dashboard-kari")
    kari.get_by_role("link", name="Go to the intake queue").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Intake queue")
    a11y.check(kari, "intake")
    kari.get_by_role("link", name=concern.reference).click()
    expect(kari.get_by_role("heading", level=1)).to_have_text(f"Concern {concern.reference}")
    expect(kari.locator("main")).to_contain_text(CONCERN_TEXT)
    # The identity the reporter gave is carried over into the triage form.
    expect(kari.get_by_label("Name", exact=True)).to_have_value(SUBJECT_NAME)
    expect(kari.get_by_label("National identity number")).to_have_value(SUBJECT_NIN)
    a11y.check(kari, "triage")
    kari.get_by_role("radio", name="Open a case").check()
    kari.get_by_label("Rationale").fill("Several signs over weeks; the school and the family are worried.")
    kari.get_by_label("Track").select_option(label="Exit")
    kari.get_by_role("button", name="Record the triage").click()

    case = Case.objects.get()
    case_url = f"{base}/cases/{case.public_id}/"
    kari.wait_for_url(case_url)
    expect(kari.get_by_role("heading", level=1)).to_have_text(f"Case {case.reference}")
    expect(kari.get_by_role("status").filter(has_text=f"Case {case.reference} is opened.")).to_be_visible()
    expect(kari.locator("main")).to_contain_text(SUBJECT_NAME)
    a11y.check(kari, "case-new")

    # ---- kari assembles the team across organisations, and writes two entries ----
    add_to_team(kari, "per", "Testby politidistrikt")
    add_to_team(kari, "siri", "Testby videregående skole")
    # The person consents to the police and the school reading for coordination. Recorded through the service
    # until the consent pages land; without a consent the team would see restricted markers only (the sharing
    # gate, tests/access/test_sharing_gate.py).
    world.consent(case, "politi", "skole")
    a11y.check(kari, "case-team-form")
    with kari.expect_navigation():  # axe must see the page the link opens
        kari.locator("#timeline").get_by_role("link", name="New entry").click()
    a11y.check(kari, "entry-form")
    kari.go_back()
    write_entry(kari, "Team", TEAM_TITLE, TEAM_TEXT)
    write_entry(kari, "Own organisation only", OWN_ORG_TITLE, OWN_ORG_TEXT)
    screenshot(kari, "walkthrough-kari-case-with-entries")

    # ---- per (police) finds the case on his overview and writes a police-only entry ----
    per = browser_page()
    log_in(per, base, "per", secrets["per"])
    per.locator("main").get_by_role("link", name=case.reference).click()
    per.wait_for_url(case_url)
    expect(per.locator("#timeline")).to_contain_text(TEAM_TEXT)
    assert OWN_ORG_TEXT not in per.content()  # the municipality's own note is not for the police either
    write_entry(per, "Police only", POLICE_TITLE, POLICE_TEXT)
    screenshot(per, "walkthrough-per-case")

    # ---- siri (school) reads the team entry; the other two are restricted markers without content ----
    siri = browser_page()
    log_in(siri, base, "siri", secrets["siri"])
    siri.locator("main").get_by_role("link", name=case.reference).click()
    siri.wait_for_url(case_url)
    timeline = siri.locator("#timeline")
    expect(timeline).to_contain_text(TEAM_TITLE)
    expect(timeline).to_contain_text(TEAM_TEXT)
    html = siri.content()
    for secret in SECRETS:
        assert secret not in html, f"siri (school) can read {secret!r}"
    restricted = timeline.locator("[data-restricted=true]")
    # The police note, the municipality's own note, and the concern the case was opened from (issue 13: the
    # concern's words are the receiving organisation's, so the school sees that it exists, not what it says).
    expect(restricted).to_have_count(3)
    concern_entry = case.entries.get(kind="concern")
    expect(siri.locator(f"#entry-{concern_entry.public_id}")).to_contain_text("Concern received")
    by_org = {"Testby politidistrikt": POLICE_TEXT, "Testby kommune": OWN_ORG_TEXT}
    for org, body in by_org.items():
        entry = _entry_by_body(case, body)
        marker = siri.locator(f"#entry-{entry.public_id}")
        expect(marker).to_have_attribute("data-restricted", "true")
        expect(marker).to_contain_text("Restricted entry")
        expect(marker).to_contain_text("Note")  # the kind
        expect(marker).to_contain_text(org)  # the author organisation
        expect(marker.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))  # the date
    a11y.check(siri, "case-siri")

    # The restricted entry's own page says no more than the marker.
    police_entry = _entry_by_body(case, POLICE_TEXT)
    siri.goto(f"{case_url}entries/{police_entry.public_id}/")
    expect(siri.get_by_role("heading", level=1)).to_have_text("Restricted entry")
    assert POLICE_TEXT not in siri.content() and POLICE_TITLE not in siri.content()
    a11y.check(siri, "entry-restricted-siri")

    # ---- Keyboard: the skip link is the first stop, is visible when focused, and moves focus to main ----
    siri.goto(case_url)
    siri.keyboard.press("Tab")
    focused = siri.evaluate("() => [document.activeElement.matches('a.skip-link'), document.activeElement.outerHTML]")
    assert focused[0], f"the first Tab stop is not the skip link but {focused[1]}"
    expect(siri.locator(".skip-link")).to_have_text("Skip to main content")
    box = siri.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    screenshot(siri, "walkthrough-skip-link-focused")
    siri.keyboard.press("Enter")
    assert siri.evaluate("() => document.activeElement.id") == "main"

    # ---- atle, coordinator in another municipality, has no relation: the case does not exist for him ----
    atle = browser_page()
    log_in(atle, base, "atle", secrets["atle"])
    response = atle.goto(case_url)
    assert response is not None and response.status == 404
    expect(atle.get_by_role("heading", level=1)).to_have_text("Not found")
    assert case.reference not in atle.content() and SUBJECT_NAME not in atle.content()
    a11y.check(atle, "case-404-atle")

    # ---- The case page on a 360 px wide phone: no sideways scrolling ----
    kari.set_viewport_size({"width": 360, "height": 780})
    kari.goto(case_url)
    kari.get_by_role("button", name="Team", exact=True).click()  # on a phone the team folds behind its heading
    kari.locator("#team details.add-form summary").click()  # the widest content: the open team form
    scroll_width = kari.evaluate("() => document.documentElement.scrollWidth")
    screenshot(kari, "walkthrough-case-360px")
    assert scroll_width <= 360 + 1, f"the case page scrolls sideways at 360 px: scrollWidth {scroll_width}"

    a11y.assert_clean()


def _entry_by_body(case: Case, body: str) -> Entry:
    """The entry with this text. Bodies are encrypted at rest, so they are compared after decryption."""
    return next(e for e in Entry.objects.filter(case=case) if e.body == body)
