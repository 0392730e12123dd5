"""Assessments in Chromium, with axe-core on every page: ola starts an assessment from the case page, rates a
domain, writes the summary and finalises; a reassessment is compared with it; the mentor sees none of it."""

from __future__ import annotations

import pytest

from tests.browser.support import A11yLog, give_totp, log_in
from utvei.assessments import services
from utvei.assessments.models import Assessment
from utvei.cases import services as case_services
from utvei.cases.models import Phase, TeamRole

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

EVIDENCE = "He said at the meeting on 3 March that violence is the only way."


def _rest(world, a, rating="present"):
    """Every domain but the first, through the service (the page does the same for each domain)."""
    first = {i["code"] for i in a.instrument_version.domains[0]["items"]}
    items = [
        services.ItemInput(c, rating=rating, confidence="medium", evidence="Seen at school")
        for c in a.instrument_version.item_codes()
        if c not in first
    ]
    return services.assessment_update(actor=world.m["ola"], assessment=a, expected_version=a.version, items=items)


def test_assess_finalise_and_compare(live_server, world, browser_page):
    services.instruments_sync()  # a transactional test before this one may have flushed the migration's data
    base = live_server.url
    a11y = A11yLog("assessments")
    case = world.open_case(name="Assessed Person")
    world.add(case, "ola")
    world.add(case, "mona", role=TeamRole.MENTOR)
    case_services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ASSESSMENT)
    secrets = {name: give_totp(world.m[name].user) for name in ("ola", "mona")}

    ola = browser_page()
    log_in(ola, base, "ola", secrets["ola"])
    ola.goto(f"{base}/cases/{case.public_id}/")
    expect(ola.locator("#assessments")).to_contain_text("No assessments yet.")
    a11y.check(ola, "case-section")
    ola.locator("#assessments").get_by_role("link", name="New assessment").click()
    expect(ola.get_by_role("heading", level=1)).to_have_text("New assessment")
    a11y.check(ola, "new")
    ola.get_by_role("button", name="Start the assessment").click()
    expect(ola.get_by_role("heading", level=1)).to_have_text("Ideology and beliefs")
    a11y.check(ola, "domain")

    item = ola.locator("#item-IB1")
    item.get_by_role("radio", name="Present", exact=True).check()
    item.get_by_label("Confidence").select_option("high")
    item.get_by_label("Evidence").fill(EVIDENCE)
    ola.get_by_role("button", name="Save and go on").click()
    expect(ola.get_by_role("heading", level=1)).to_have_text("Social context and network")
    a = Assessment.objects.get()
    assert a.items.get(code="IB1").evidence == EVIDENCE

    _rest(world, a)
    ola.goto(f"{base}/cases/{case.public_id}/assessments/{a.public_id}/edit/ideology/")
    for code in ("IB2", "IB3", "IB4", "IB5", "IB6"):
        box = ola.locator(f"#item-{code}")
        box.get_by_role("radio", name="Unknown", exact=True).check()
        box.get_by_label("Evidence").fill("Not yet talked about")
    ola.get_by_role("button", name="Save and go on").click()
    ola.goto(f"{base}/cases/{case.public_id}/assessments/{a.public_id}/edit/summary/")
    expect(ola.get_by_role("heading", level=1)).to_have_text("Summary judgement")
    a11y.check(ola, "summary")
    ola.get_by_role("radio", name="Moderate concern").check()
    ola.get_by_label("Summary judgement").fill("Moderate concern: ideology central, but doubts.")
    ola.get_by_label("Formulation").fill("Came in through an online group after losing his job.")
    ola.get_by_label("Management recommendations").fill("Mentor, work training, review in three months.")
    ola.get_by_role("button", name="Save and check").click()
    expect(ola.get_by_role("heading", level=1)).to_have_text("Check and finalise")
    a11y.check(ola, "finalise")
    ola.get_by_role("button", name="Finalise the assessment").click()
    expect(ola.locator("#summary")).to_contain_text("Moderate concern")
    expect(ola.locator("main")).to_contain_text("Descriptive count, not a score")
    a11y.check(ola, "detail")

    # A reassessment: one rating changes; the comparison marks it.
    second = services.assessment_create(actor=world.m["ola"], case=case, instrument_key="utvei-open")
    items = [
        services.ItemInput(i.code, rating=i.rating, confidence=i.confidence, evidence=i.evidence)
        for i in Assessment.objects.get(pk=a.pk).items.all()
    ]
    items.append(services.ItemInput("IB1", rating="partly", confidence="high", evidence="Less sure of it now"))
    services.assessment_update(actor=world.m["ola"], assessment=second, expected_version=1, items=items)
    ola.goto(f"{base}/cases/{case.public_id}/assessments/{second.public_id}/compare/")
    expect(ola.locator("#change-IB1")).to_have_attribute("data-changed", "true")
    expect(ola.locator("#change-IB2")).not_to_have_attribute("data-changed", "true")
    a11y.check(ola, "compare")

    mona = browser_page()
    log_in(mona, base, "mona", secrets["mona"])
    mona.goto(f"{base}/cases/{case.public_id}/")
    expect(mona.locator("#assessments")).to_have_count(0)
    a11y.assert_clean()
