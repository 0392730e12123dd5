"""The coordinator's day in Chromium (issue 13), with axe-core on every page: finding people by name (and a
caseworker who may not read the identity finding only by reference), the same person followed by another
municipality, an acute concern reaching every coordinator, a «more information» round trip, and a hand-off to the
police. (Attachments: test_attachments_browser.py; the phone layout: test_phone_browser.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests.browser.support import A11yLog, give_totp, log_in
from utvei.cases import services
from utvei.cases.models import Concern, ConcernHandoff, ConcernStatus, ParallelInquiry
from utvei.people.services import person_find_or_create
from utvei.sharing.consent.services import legal_bases_sync

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

BORN = dt.date(2009, 3, 12)


def users(world, *names):
    return {name: give_totp(world.m[name].user) for name in names}


def test_a_coordinator_finds_henrik_by_name_and_a_caseworker_only_by_reference(live_server, world, browser_page):
    base, a11y = live_server.url, A11yLog("find-people")
    person, _ = person_find_or_create(actor=world.m["kari"], full_name="Henrik Olsen", birth_date=BORN)
    henrik = services.case_open(actor=world.m["kari"], person=person, track="prevention")
    world.consent(henrik, "kommune")
    world.add(henrik, "siri", consent=False)  # on the team, no basis for the identity
    world.open_case(name="Hans Hansen")
    secrets = users(world, "kari", "siri")

    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(f"{base}/cases/")
    expect(kari.locator("main table")).to_contain_text("Henrik Olsen")
    kari.get_by_label("Find a person or case").fill("hennrik")
    kari.get_by_role("button", name="Show cases").click()
    expect(kari.locator("main .count")).to_have_text("1 case matches the search.")
    expect(kari.locator("main table")).to_contain_text("Henrik Olsen")
    expect(kari.locator("main table")).not_to_contain_text("Hans Hansen")
    assert "hennrik" not in kari.url.lower()  # the search is not in the address
    a11y.check(kari, "coordinator-search")
    kari.get_by_label("Find a person or case").fill("12.03.2009")
    kari.get_by_role("button", name="Show cases").click()
    expect(kari.locator("main table")).to_contain_text(henrik.reference)

    siri = browser_page()
    log_in(siri, base, "siri", secrets["siri"])
    siri.goto(f"{base}/cases/")
    expect(siri.locator("main table")).to_contain_text(henrik.reference)
    expect(siri.locator("main table")).not_to_contain_text("Henrik")
    siri.get_by_label("Find a person or case").fill("Henrik")
    siri.get_by_role("button", name="Show cases").click()
    expect(siri.locator("main .count")).to_have_text("0 cases match the search.")
    a11y.check(siri, "caseworker-search-name")
    siri.get_by_label("Find a person or case").fill(henrik.reference)
    siri.get_by_role("button", name="Show cases").click()
    expect(siri.locator("main table")).to_contain_text(henrik.reference)
    expect(siri.locator("main table")).not_to_contain_text("Henrik Olsen")
    a11y.assert_clean()


def test_the_same_person_in_another_municipality_is_flagged_without_revealing_its_case(
    live_server, world, browser_page
):
    base, a11y = live_server.url, A11yLog("parallel")
    person, _ = person_find_or_create(
        actor=world.m["atle"], full_name="Henrik Olsen", birth_date=BORN, national_id="12030912345"
    )
    theirs = services.case_open(actor=world.m["atle"], person=person, track="exit")
    services.entry_create(actor=world.m["atle"], case=theirs, kind="note", classification="team", body="ANNENBY-NOTAT")
    concern = services.concern_submit(
        actor=world.m["rolf"],
        receiving_org=world.orgs["kommune"],
        description="Henrik har endret seg.",
        subject_name="Henrik Olsen",
        subject_birth_date=BORN,
    )
    secrets = users(world, "kari", "atle")

    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(f"{base}/intake/{concern.public_id}/")
    warning = kari.locator("section.parallel")
    expect(warning).to_contain_text("The same person may already be followed elsewhere")
    expect(warning).to_contain_text("Annenby kommune")
    expect(warning).to_contain_text("same name and date of birth")
    for secret in (theirs.reference, "ANNENBY-NOTAT", "Exit"):
        expect(warning).not_to_contain_text(secret)
    a11y.check(kari, "warning")
    warning.get_by_role("button", name="Ask Annenby kommune to get in touch").click()
    expect(kari.get_by_role("status").filter(has_text="is asked to contact you")).to_be_visible()
    assert ParallelInquiry.objects.get().case == theirs

    atle = browser_page()
    log_in(atle, base, "atle", secrets["atle"])
    atle.get_by_role("link", name="Notifications").first.click()
    expect(atle.locator("main")).to_contain_text("Another organisation follows the person of case")
    atle.goto(f"{base}/cases/{theirs.public_id}/")
    request = atle.locator("section.inquiries")
    expect(request).to_contain_text("Testby kommune")
    expect(request.get_by_role("link", name="Send a referral")).to_be_visible()
    a11y.check(atle, "owner-request")
    request.get_by_role("button", name="Mark as handled").click()
    expect(atle.locator("section.inquiries")).to_have_count(0)
    a11y.assert_clean()


def test_an_acute_concern_reaches_every_coordinator_and_one_takes_it(live_server, world, browser_page):
    base, a11y = live_server.url, A11yLog("acute")
    for name in ("kari", "kjell"):
        world.m[name].user.email = f"{name}@example.org"
        world.m[name].user.save(update_fields=["email"])
    secrets = users(world, "rolf", "kari", "kjell")

    rolf = browser_page()
    log_in(rolf, base, "rolf", secrets["rolf"])
    rolf.goto(f"{base}/concerns/new/")
    rolf.get_by_label("Send to").select_option(label="Testby kommune")
    rolf.get_by_role("radio", name="Acute danger").check()
    rolf.get_by_label("What is it about?").select_option(label="Violence, threats or weapons")
    rolf.get_by_label("What worries you?").fill("Eleven viste bilder av våpen og snakket om en plan for i morgen.")
    rolf.get_by_label("Name of the person (optional)").fill("Ole Bjerke")
    rolf.get_by_role("button", name="Send the concern").click()
    expect(rolf.get_by_role("heading", level=1)).to_have_text("Receipt for your concern")
    concern = Concern.objects.get()
    assert sorted(m.to[0] for m in mail.outbox) == ["kari@example.org", "kjell@example.org"]
    assert all("Ole" not in m.body and "våpen" not in m.body for m in mail.outbox)

    coordinators = {}
    for name in ("kari", "kjell"):
        page = browser_page()
        log_in(page, base, name, secrets[name])
        page.get_by_role("link", name="Notifications").first.click()
        expect(page.locator("main")).to_contain_text("An acute concern has arrived")
        a11y.check(page, f"notifications-{name}")
        coordinators[name] = page
    kari, kjell = coordinators["kari"], coordinators["kjell"]
    kari.locator("main").get_by_role("link", name="An acute concern has arrived").first.click()
    kari.wait_for_url(f"{base}/intake/{concern.public_id}/")
    expect(kari.locator("main")).to_contain_text("Nobody has taken it yet")
    kari.get_by_role("button", name="I take it").click()
    expect(kari.get_by_role("status").filter(has_text="You have taken the concern")).to_be_visible()
    a11y.check(kari, "taken")
    kjell.goto(f"{base}/intake/")
    row = kjell.locator("main tbody tr").filter(has_text=concern.reference)
    expect(row).to_contain_text("Taken by kari")
    expect(row).not_to_contain_text("Unanswered")
    a11y.check(kjell, "queue")
    a11y.assert_clean()


def test_more_information_round_trip_and_a_hand_off_to_the_police(live_server, world, browser_page):
    base, a11y = live_server.url, A11yLog("round-trip")
    legal_bases_sync()  # the migrations load the catalogue; a transactional test before this one may have flushed it
    concern = services.concern_submit(
        actor=world.m["rolf"],
        receiving_org=world.orgs["kommune"],
        description="Eleven snakker om at «systemet må rives».",
        subject_name="Marius Holt",
        kind="statements",
    )
    secrets = users(world, "kari", "rolf", "pia")

    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    kari.goto(f"{base}/intake/{concern.public_id}/")
    # The form shows the part each outcome needs, only when it is chosen.
    question = kari.get_by_label("Question to the reporter")
    expect(question).to_be_hidden()
    expect(kari.get_by_label("Legal basis")).to_be_hidden()
    kari.get_by_role("radio", name="Open a case").check()
    expect(kari.get_by_label("Track")).to_be_visible()
    expect(question).to_be_hidden()
    kari.get_by_role("radio", name="More information needed").check()
    expect(question).to_be_visible()
    expect(kari.get_by_label("Track")).to_be_hidden()
    kari.get_by_label("Rationale").fill("For lite å vurdere ut fra.")
    kari.get_by_role("button", name="Record the triage").click()
    expect(kari.get_by_role("alert")).to_contain_text("Write the question the reporter is to answer.")
    a11y.check(kari, "question-missing")
    kari.get_by_role("radio", name="More information needed").check()
    kari.get_by_label("Rationale").fill("For lite å vurdere ut fra.")
    kari.get_by_label("Question to the reporter").fill("Har han sagt noe om å gjøre noe selv?")
    kari.get_by_role("button", name="Record the triage").click()
    kari.wait_for_url(f"{base}/intake/")
    expect(kari.locator("main").get_by_role("link", name=concern.reference)).to_have_count(0)  # waits elsewhere

    rolf = browser_page()
    log_in(rolf, base, "rolf", secrets["rolf"])
    rolf.get_by_role("link", name="Notifications").first.click()
    rolf.locator("main").get_by_role("link", name="You are asked for more information").first.click()
    rolf.wait_for_url(f"{base}/concerns/{concern.public_id}/receipt/")
    expect(rolf.locator("main")).to_contain_text("Har han sagt noe om å gjøre noe selv?")
    a11y.check(rolf, "receipt-question")
    rolf.get_by_label("Your answer").fill("Ja, at han vil «gjøre noe» før sommeren.")
    rolf.get_by_role("button", name="Send the answer").click()
    expect(rolf.get_by_role("status").filter(has_text="Your answer is sent")).to_be_visible()
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.RECEIVED

    kari.goto(f"{base}/intake/")
    kari.locator("main tbody").get_by_role("link", name=concern.reference).click()
    expect(kari.locator("main")).to_contain_text("Ja, at han vil «gjøre noe» før sommeren.")
    kari.get_by_role("radio", name="Hand to police / PST").check()
    kari.get_by_label("Rationale").fill("Mulig fare; politiet overtar.")
    kari.get_by_label("Passed on to").select_option("police")
    kari.get_by_label("Organisation in Utvei").select_option(label="Testby politidistrikt")
    kari.get_by_label("Legal basis").select_option("fvl-13b-6")
    kari.get_by_role("button", name="Record the triage").click()
    kari.wait_for_url(f"{base}/intake/")
    record = ConcernHandoff.objects.get(concern=concern)
    assert (record.to_kind, record.to_org.slug, record.basis_key, record.handed_by.username) == (
        "police",
        "politi",
        "fvl-13b-6",
        "kari",
    )
    kari.goto(f"{base}/intake/{concern.public_id}/")
    expect(kari.locator("main")).to_contain_text("Testby politidistrikt")
    a11y.check(kari, "handed-off")

    rolf.goto(f"{base}/concerns/{concern.public_id}/receipt/")
    expect(rolf.locator("main")).to_contain_text("The concern was passed on to The police")
    expect(rolf.locator("main")).not_to_contain_text("politidistrikt")

    pia = browser_page()
    log_in(pia, base, "pia", secrets["pia"])
    pia.goto(f"{base}/intake/")
    expect(pia.locator("main tbody")).to_contain_text(record.forwarded.reference)
    a11y.check(pia, "police-queue")
    a11y.assert_clean()
