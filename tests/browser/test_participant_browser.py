"""The person's own page in Chromium, with axe-core on every page (docs/participant.md): kari (the case lead)
invites the person; the person opens the link, chooses a password, sets up an authenticator app, sees their goal,
rates it, answers a question about how things are going, reads who has read their record (organisations, never
workers' names) and asks to withdraw a consent; kari finds the notification and the consent withdrawn."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import A11yLog, code_for, give_totp, log_in
from tests.conftest import PASSWORD
from tests.plans import helpers as plans
from utvei.cases.models import ParticipantAccount
from utvei.core.vocabulary import Classification
from utvei.evaluation.services import indicators_sync
from utvei.sharing.models import Consent

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

GOAL = "Jeg vil fullføre skolen"


def test_the_person_joins_rates_answers_reads_the_log_and_withdraws(live_server, world, browser_page):
    base = live_server.url
    a11y = A11yLog("participant")
    indicators_sync()  # the migration loads the indicators; a transactional test before this one may have flushed them
    case = world.open_case(name="Petra Deltaker")
    world.add(case, "ola")
    world.add(case, "per")
    plans.approved_plan(world, case, goals=(GOAL,))
    world.entry(case, "kari", Classification.PARTICIPANT, body="Vi sees på tirsdag klokka ti.")
    world.entry(case, "per", Classification.POLICE, body="POLICE-ONLY-TEXT")
    police_consent = Consent.objects.get(case=case, scope_orgs__slug="politi")
    secret = give_totp(world.m["kari"].user)

    kari = browser_page()
    log_in(kari, base, "kari", secret)
    kari.goto(f"{base}/cases/{case.public_id}/")
    kari.get_by_role("link", name="The person's own page").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("The person's own page")
    a11y.check(kari, "lead-page")
    kari.get_by_role("radio", name="The person").check()
    kari.get_by_role("button", name="Make an invitation link").click()
    link = kari.locator("#invitation-link code").inner_text()
    assert re.fullmatch(rf"{re.escape(base)}/me/join/[^/]+/", link)
    a11y.check(kari, "lead-link")

    person = browser_page()
    person.goto(link)
    person.wait_for_url(f"{base}/me/join/")
    expect(person.get_by_role("heading", level=1)).to_have_text("Set up your account")
    a11y.check(person, "join")
    person.get_by_label("Username").fill("petra")
    person.get_by_label("Password", exact=True).fill(PASSWORD)
    person.get_by_label("The same password again").fill(PASSWORD)
    person.get_by_role("button", name="Create my account").click()
    person.wait_for_url(lambda url: "/me/join/" not in url)
    if "/accounts/reauthenticate/" in person.url:
        person.get_by_label("Password").fill(PASSWORD)
        person.get_by_role("button", name="Confirm").click()
    assert person.url.endswith("/accounts/2fa/totp/activate/"), person.url
    a11y.check(person, "totp")
    totp = person.get_by_label("Secret for typing in").input_value()
    person.get_by_label("Authenticator code").fill(code_for(totp))
    person.get_by_role("button", name="Activate").click()
    person.wait_for_url(lambda url: "/totp/activate/" not in url)

    person.goto(f"{base}/me/")
    expect(person.get_by_role("heading", level=1)).to_have_text("My page")
    expect(person.locator("#goals")).to_contain_text(GOAL)
    expect(person.locator("#entries")).to_contain_text("Vi sees på tirsdag klokka ti.")
    expect(person.locator("main")).not_to_contain_text("POLICE-ONLY-TEXT")
    a11y.check(person, "my-page")

    goal = person.locator("#goals article").first
    goal.get_by_label("How far have you come with this goal?").select_option("1")
    goal.get_by_role("button", name="Save my rating").click()
    expect(person.get_by_role("status").filter(has_text="Your rating is saved.")).to_be_visible()
    expect(person.locator("#goals")).to_contain_text("Your latest rating: +1 Somewhat more than expected")

    question = person.locator("form:has(input[value='working-alliance'])")
    question.get_by_label("Your answer").select_option(index=2)
    question.get_by_role("button", name="Save my answer").click()
    expect(person.get_by_role("status").filter(has_text="Your answer is saved.")).to_be_visible()
    expect(person.locator("form:has(input[value='working-alliance'])")).to_contain_text("Your last answer")
    a11y.check(person, "answered")

    log = person.locator("#access-log")
    expect(log).to_contain_text("Testby kommune")
    expect(log).to_contain_text("opened your case")
    expect(log).to_contain_text("It was you")
    for name in ("kari", "ola", "per"):
        assert not re.search(rf"\b{name}\b", log.inner_text()), name

    consent = person.locator(f"#consent-{police_consent.public_id}").locator("xpath=..")
    expect(consent).to_contain_text("Testby politidistrikt")
    consent.get_by_role("button", name="Ask to withdraw this consent").click()
    expect(person.get_by_role("status").filter(has_text="The consent is withdrawn.")).to_be_visible()
    expect(person.locator(f"#consent-{police_consent.public_id}")).to_contain_text("Withdrawn")
    a11y.check(person, "withdrawn")
    police_consent.refresh_from_db()
    assert police_consent.withdrawn_at is not None

    kari.goto(f"{base}/")
    kari.get_by_role("link", name="Notifications").click()
    expect(kari.locator("main")).to_contain_text(f"The person withdrew a consent in case {case.reference}")
    a11y.check(kari, "notification")
    kari.goto(f"{base}/cases/{case.public_id}/participant/")
    expect(kari.locator("main")).to_contain_text("In use.")
    assert ParticipantAccount.objects.get(case=case).user.username == "petra"
    a11y.assert_clean()
