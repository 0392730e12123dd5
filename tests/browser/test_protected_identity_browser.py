"""A protected identity in Chromium, with axe-core on every page: kari (the case lead) protects the person with a
reason and names ola; ola reads the name on the case page, per (also on the team) sees the reference only; arne's
emergency access is shown first in dina's review queue, marked as a priority."""

from __future__ import annotations

import pytest

from tests.browser.support import A11yLog, give_totp, log_in
from utvei.sharing.emergency.services import emergency_open

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

NAME = "Skjerma Person"
REASON = "Vedtak om strengt fortrolig adresse"


def test_the_lead_protects_the_identity_and_names_a_reader(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("protected")
    case = world.open_case(name=NAME)
    world.add(case, "ola")
    world.add(case, "per")
    secrets = {name: give_totp(world.m[name].user) for name in ("kari", "ola", "per", "dina")}

    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(f"{base}/cases/{case.public_id}/")
    kari.get_by_role("link", name="Protected identity: who sees who the person is").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Protected identity on case")
    a11y.check(kari, "page")
    kari.get_by_role("button", name="Protect the identity").click()  # no reason yet
    expect(kari.get_by_role("alert")).to_contain_text("Reason")
    a11y.check(kari, "error")
    kari.get_by_label("Reason").fill(REASON)
    kari.get_by_role("button", name="Protect the identity").click()
    expect(kari.locator("#protection-state")).to_contain_text("The person has a protected identity.")
    kari.get_by_label("Team member").select_option(label="ola (Testby kommune)")
    kari.get_by_role("button", name="Name as reader").click()
    expect(kari.locator("#named-readers")).to_contain_text("ola")
    expect(kari.locator("#protection-history")).to_contain_text(REASON)
    a11y.check(kari, "named")

    ola = browser_page()
    log_in(ola, base, "ola", secrets["ola"])
    ola.goto(f"{base}/cases/{case.public_id}/")
    expect(ola.locator("main")).to_contain_text(NAME)
    per = browser_page()
    log_in(per, base, "per", secrets["per"])
    per.goto(f"{base}/cases/{case.public_id}/")
    expect(per.locator(".protected-identity")).to_be_visible()
    expect(per.locator("main")).not_to_contain_text(NAME)
    a11y.check(per, "shielded")

    emergency_open(actor=world.m["arne"], case_reference=case.reference, reason_code="missing", reason_text="Savnet")
    dina = browser_page()
    log_in(dina, base, "dina", secrets["dina"])
    dina.goto(f"{base}/audit/emergency/")
    expect(dina.locator(".priority-review")).to_have_text("Priority: protected identity")
    a11y.check(dina, "queue")
    a11y.assert_clean()
