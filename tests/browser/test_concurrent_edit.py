"""In Chromium: two people edit the same entry at once. Nothing is overwritten; the second sees a conflict.

kari and ola (both municipality, both on the team) open the same entry's edit form in their own browsers. kari
saves first. When ola saves, the page answers with the conflict message, keeps ola's own text in the form and
shows kari's saved text beside it. ola merges the two and saves; the entry then has three versions.
"""

from __future__ import annotations

import pytest

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from utvei.core.vocabulary import Classification

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

ORIGINAL = "Meeting with the family on Monday."
KARI_TEXT = "Meeting with the family on Monday. His mother will come."
OLA_TEXT = "Meeting with the family on Monday at the youth club."
MERGED = "Meeting with the family on Monday at the youth club. His mother will come."


def test_a_concurrent_edit_conflicts_and_the_merge_keeps_every_version(live_server, world, browser_page):
    case = world.open_case()
    world.add(case, "ola")
    entry = world.entry(case, "kari", Classification.TEAM, body=ORIGINAL)
    edit_url = f"{live_server.url}/cases/{case.public_id}/entries/{entry.public_id}/edit/"
    a11y = A11yLog("conflict")

    kari, ola = browser_page(), browser_page()
    log_in(kari, live_server.url, "kari", give_totp(world.m["kari"].user))
    log_in(ola, live_server.url, "ola", give_totp(world.m["ola"].user))
    kari.goto(edit_url)
    ola.goto(edit_url)
    expect(ola.get_by_label("Text", exact=True)).to_have_value(ORIGINAL)
    a11y.check(ola, "edit-form")

    kari.get_by_label("Text", exact=True).fill(KARI_TEXT)
    kari.get_by_role("button", name="Save", exact=True).click()
    expect(kari.get_by_role("status").filter(has_text="The entry is saved (version 2).")).to_be_visible()

    ola.get_by_label("Text", exact=True).fill(OLA_TEXT)
    with ola.expect_response(edit_url) as answer:
        ola.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 409
    expect(ola.get_by_role("alert")).to_contain_text("Someone else saved this entry while you were editing it.")
    expect(ola.get_by_label("Text", exact=True)).to_have_value(OLA_TEXT)  # ola's own words are kept
    expect(ola.get_by_label("Saved text")).to_have_value(KARI_TEXT)  # and kari's are beside them
    expect(ola.get_by_role("heading", name="Saved version 2")).to_be_visible()
    a11y.check(ola, "conflict")

    ola.get_by_label("Text", exact=True).fill(MERGED)
    ola.get_by_role("button", name="Save my merged text").click()
    expect(ola.get_by_role("status").filter(has_text="The entry is saved (version 3).")).to_be_visible()
    expect(ola.locator(".entry-body")).to_have_text(MERGED)
    revisions = ola.locator("ul.revisions > li")
    expect(revisions).to_have_count(3)
    expect(revisions.first.locator("summary")).to_contain_text("Version 3")  # newest first, and open
    expect(revisions.first.get_by_text(MERGED)).to_be_visible()
    for n, text, by in ((2, KARI_TEXT, "kari"), (1, ORIGINAL, "kari")):
        revision = ola.locator(f"#revision-{n}")
        expect(revision.locator("summary")).to_contain_text(f"Version {n}")
        expect(revision.locator("summary")).to_contain_text(by)
        revision.locator("summary").click()  # older versions are folded; each opens with its own text
        expect(revision.get_by_text(text, exact=True)).to_be_visible()
    expect(revisions.first.locator("summary")).to_contain_text("ola")
    a11y.check(ola, "revisions")
    screenshot(kari, "conflict-kari-after-save")
    a11y.assert_clean()
