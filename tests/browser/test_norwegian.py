"""In Chromium with a Norwegian browser: the pages say they are Norwegian, and axe finds nothing serious in them.

Finds elements by structure, not by text, so it holds while the Norwegian translations are being written.
"""

from __future__ import annotations

import pytest

from tests.browser.support import NORWEGIAN, A11yLog, give_totp, log_in
from utvei.core.vocabulary import Classification

pytestmark = pytest.mark.browser


def test_dashboard_and_case_page_in_norwegian(live_server, world, browser_page):
    case = world.open_case()
    world.add(case, "per")
    world.entry(case, "kari", Classification.TEAM, body="Samtale med skolen.")
    world.entry(case, "per", Classification.POLICE, body="Politiets notat.")  # a restricted marker for kari
    a11y = A11yLog("nb")
    kari = browser_page(locale=NORWEGIAN)
    log_in(kari, live_server.url, "kari", give_totp(world.m["kari"].user))

    assert kari.locator("html").get_attribute("lang") == "nb"
    # The language switch offers the other language, and says which language its own label is in.
    assert kari.locator("button[name=language]").get_attribute("lang") == "en"
    a11y.check(kari, "dashboard")

    kari.goto(f"{live_server.url}/cases/{case.public_id}/")
    assert kari.locator("html").get_attribute("lang") == "nb"
    assert kari.locator("#timeline [data-restricted=true]").count() == 1
    assert "Politiets notat." not in kari.content()
    a11y.check(kari, "case")
    a11y.assert_clean()
