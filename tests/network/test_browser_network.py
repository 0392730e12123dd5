"""The network map in Chromium, with axe-core on every new page.

kari (coordinator) opens the map from the case page: the drawing and the table of ties for today. She chooses a
date half a year back, where the peer in the milieu is still on the map, then compares two hundred days ago with
yesterday and sees the changes listed: the peer's tie ended, the mother's valence changed, the mentor came closer.
She adds a contact (first with a label that looks like an identity number: the error summary) and records that a
tie ended.
"""

from __future__ import annotations

import pytest

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from tests.network.helpers import add, ago, observe
from utvei.cases.models import TeamRole
from utvei.network.models import Contact

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_the_map_at_a_date_and_two_dates_compared(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("network")
    secret = give_totp(world.m["kari"].user)
    case = world.open_case(name="Nora Nettverk")
    world.add(case, "nils")
    world.add(case, "mona", role=TeamRole.MENTOR)
    peer = add(world, case, label="P.", relation="milieu_peer", on=330, valence="risk", closeness=3)
    observe(world, peer, on=120, ended=True)
    mother = add(world, case, label="Mor", relation="parent", on=330, valence="ambivalent", closeness=2)
    observe(world, mother, on=60, valence="supportive", closeness=3)
    mentor = add(world, case, label="Mentor", relation="mentor", on=300, valence="supportive", closeness=1)
    observe(world, mentor, on=30, valence="supportive", closeness=3)
    case_url = f"{base}/cases/{case.public_id}/"

    kari = browser_page()
    log_in(kari, base, "kari", secret)
    kari.goto(case_url)
    section = kari.locator("#network")
    expect(section.locator('[data-count="supportive"]')).to_have_text("2")
    section.get_by_role("link", name="Open the network map").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Network on")
    expect(kari.locator("svg.ecomap")).to_have_count(1)
    expect(kari.locator(f'svg.ecomap g[data-key="{mother.public_id}"]')).to_have_attribute("data-valence", "supportive")
    expect(kari.locator(f'svg.ecomap g[data-key="{peer.public_id}"]')).to_have_count(0)
    expect(kari.locator("#ties")).to_contain_text("Mor")
    a11y.check(kari, "map-today")

    kari.get_by_label("Show the network on").fill(ago(180).isoformat())
    kari.get_by_role("button", name="Show the map").click()
    expect(kari.locator(f'svg.ecomap g[data-key="{peer.public_id}"]')).to_have_count(1)
    expect(kari.locator(f'svg.ecomap g[data-key="{mother.public_id}"]')).to_have_attribute("data-valence", "ambivalent")
    expect(kari.locator("#ties")).to_contain_text("Peer in the milieu")
    a11y.check(kari, "map-half-a-year-ago")

    kari.goto(f"{base}/cases/{case.public_id}/network/?on=2025-02-30")  # a browser's date field cannot send this
    expect(kari.locator(".error-summary")).to_be_visible()
    a11y.check(kari, "map-bad-date")

    kari.goto(f"{base}/cases/{case.public_id}/network/compare/")
    kari.get_by_label("From").fill(ago(200).isoformat())
    kari.get_by_label("To").fill(ago(1).isoformat())
    kari.get_by_role("button", name="Compare").click()
    changes = kari.locator("#changes")
    expect(changes.locator('[data-change="ended"]')).to_contain_text("P.")
    expect(changes.locator('[data-change="valence"]')).to_contain_text("from ambivalent to supportive")
    expect(changes.locator('[data-change="closeness"]')).to_have_count(2)  # the mother and the mentor
    expect(kari.locator("svg.ecomap")).to_have_count(2)
    a11y.check(kari, "compare")
    screenshot(kari, "network-compare")

    kari.goto(f"{base}/cases/{case.public_id}/network/contacts/new/")
    a11y.check(kari, "contact-new")
    kari.get_by_label("Label or initials").fill("010170 12345")
    kari.get_by_label("Relation").select_option(value="coach")
    kari.get_by_role("radio", name="Supportive").check()
    kari.get_by_role("radio", name="Medium (middle ring)").check()
    kari.get_by_role("button", name="Add the contact").click()
    expect(kari.locator(".error-summary")).to_contain_text("identity number")
    a11y.check(kari, "contact-new-errors")
    kari.get_by_label("Label or initials").fill("Trener")
    kari.get_by_role("button", name="Add the contact").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Trener")
    coach = Contact.objects.get(case=case, relation="coach")
    a11y.check(kari, "contact")

    observe_form = kari.locator("#observe")
    observe_form.get_by_label("The tie has ended").check()
    observe_form.get_by_role("button", name="Record the observation").click()
    expect(kari.locator("#contact-body")).to_contain_text("The tie is recorded as ended.")
    assert coach.observations.filter(ended=True).exists()
    a11y.check(kari, "contact-ended")

    a11y.assert_clean()
