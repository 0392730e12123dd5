"""Subject access in Chromium, with axe-core on every page: dina (the DPO) sees the panel on her start page,
registers a request (a mistake first), opens it, and the export's readable document passes axe in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.support import A11yLog, give_totp, log_in
from tests.retention.helpers import person_with_everything
from utvei.assessments.services import instruments_sync
from utvei.evaluation.services import indicators_sync
from utvei.plans.services import measures_sync
from utvei.retention.models import SubjectAccessRequest
from utvei.retention.subject_access import services
from utvei.retention.subject_access.render import as_html
from utvei.sharing.consent.services import legal_bases_sync

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)


def test_register_a_request_and_read_the_export(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("subject-access")
    # The migrations load these catalogues; a transactional test before this one may have flushed them.
    instruments_sync()
    legal_bases_sync()
    measures_sync()
    indicators_sync()
    sara = person_with_everything(world)
    secret = give_totp(world.m["dina"].user)

    dina = browser_page()
    log_in(dina, base, "dina", secret)
    expect(dina.locator("#sar-h")).to_have_text("Subject-access requests")
    a11y.check(dina, "dashboard")
    dina.get_by_role("link", name="All subject-access requests, and register a new one").click()
    expect(dina.get_by_role("heading", level=1)).to_have_text("Subject-access requests")
    a11y.check(dina, "register")

    dina.get_by_role("button", name="Register the request").click()
    expect(dina.get_by_role("alert").first).to_contain_text("Give the identity number")
    a11y.check(dina, "register-error")

    dina.get_by_label("National identity number").fill(sara.person.national_id)
    dina.get_by_label("Received by").select_option("letter")
    dina.get_by_label("Received on").fill(dt.date.today().isoformat())
    dina.get_by_role("button", name="Register the request").click()
    expect(dina.get_by_role("heading", level=1)).to_contain_text(sara.person.reference)
    a11y.check(dina, "request")

    made = SubjectAccessRequest.objects.filter(person=sara.person).order_by("-pk").first()
    export = services.request_export(actor=world.m["dina"], request=made, fmt="html")
    for lang in ("nb", "en"):
        dina.set_content(as_html(export, language=lang))
        expect(dina.get_by_role("heading", level=1)).to_be_visible()
        a11y.check(dina, f"document-{lang}")
    a11y.assert_clean()
