"""Issue 3's acceptance test, in Chromium: consent and disclosure recorded on the web open exactly what they cover.

kari (municipality coordinator) has a case whose team holds per (police), siri (school) and nils (NAV), none of
them with a consent yet, and three entries of her own in three data categories. On the consent and sharing page
she records the person's consent for the police and the school covering two categories; siri then reads those
two and not the third, and nils (NAV, not covered) sees restricted markers only. kari records a disclosure to NAV
of exactly one category under forvaltningsloven § 13 b nr. 5 with a justification; nils reloads and reads exactly
that entry, which says why he can read it, while the other two stay markers. kari prints the consent form in
both languages and the withdrawal form for the consent. axe-core checks the sharing page and the printable forms;
screenshots go to test-artifacts/ (and the printable forms, as printed, to /tmp).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import A11yLog, give_totp, log_in, screenshot
from utvei.cases import services as case_services
from utvei.cases.models import EntryKind
from utvei.core.vocabulary import Classification, DataCategory
from utvei.sharing.consent.services import legal_bases_sync
from utvei.sharing.models import Consent, Disclosure

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)

PLAN_TEXT = "PLAN: weekly talks with the school counsellor and a work-training place from January."
CONCERN_TEXT = "CONCERN: the school reported propaganda videos shared in class in October."
FAMILY_TEXT = "FAMILY: the mother is worried and asks for a parents' network."
TEXTS = {DataCategory.PLAN: PLAN_TEXT, DataCategory.CONCERN: CONCERN_TEXT, DataCategory.FAMILY: FAMILY_TEXT}
JUSTIFICATION = "NAV arranges the work-training place in the plan and must know the plan to do it."


def open_case_page(page: Any, base: str, case: Any) -> None:
    page.goto(f"{base}/cases/{case.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {case.reference}")


def readable_texts(page: Any) -> set[str]:
    timeline = page.locator("#timeline")
    return {text for text in TEXTS.values() if text in timeline.inner_text()}


def print_view(page: Any, name: str) -> None:
    """The page as it prints (A4 print CSS), for a look: /tmp/utvei-<name>.png and .pdf."""
    page.emulate_media(media="print")
    page.screenshot(path=f"/tmp/utvei-{name}.png", full_page=True)
    page.pdf(path=f"/tmp/utvei-{name}.pdf", format="A4", print_background=True)
    page.emulate_media(media="screen")


def test_consent_and_disclosure_recorded_on_the_web_open_exactly_what_they_cover(live_server, world, browser_page):
    legal_bases_sync()  # the migration loads the catalogue; a transactional test before this one may have flushed it
    base = live_server.url
    a11y = A11yLog("sharing")
    secrets = {name: give_totp(world.m[name].user) for name in ("kari", "siri", "nils")}
    case = world.open_case(name="Aksel Testesen")  # the person consents to the owner, the municipality, only
    for username in ("per", "siri", "nils"):
        world.add(case, username, consent=False)
    for category, text in TEXTS.items():
        case_services.entry_create(
            actor=world.m["kari"],
            case=case,
            kind=EntryKind.NOTE,
            classification=Classification.TEAM,
            category=category,
            body=text,
        )

    # ---- nils (NAV) has no basis yet: three restricted markers, no text ----
    nils = browser_page()
    log_in(nils, base, "nils", secrets["nils"])
    open_case_page(nils, base, case)
    expect(nils.locator("#timeline [data-restricted=true]")).to_have_count(3)
    assert readable_texts(nils) == set()

    # ---- kari records the person's consent for the police and the school, two categories ----
    kari = browser_page()
    log_in(kari, base, "kari", secrets["kari"])
    open_case_page(kari, base, case)
    kari.locator("#sharing").get_by_role("link", name="Consent and sharing").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text(f"Consent and sharing in case {case.reference}")
    a11y.check(kari, "page-before")
    form = kari.locator("#consent-new")
    form.get_by_role("radio", name="The person").check()
    form.get_by_role("group", name="Organisations the consent covers").get_by_role(
        "checkbox", name="Testby politidistrikt"
    ).check()
    form.get_by_role("checkbox", name="Testby videregående skole").check()
    form.get_by_role("checkbox", name="Plan and measures").check()
    form.get_by_role("checkbox", name="Concern", exact=True).check()
    form.get_by_role("checkbox", name="Coordination").check()
    form.get_by_role("radio", name="Signed form").check()
    form.get_by_label("Evidence note").fill("Signed in the meeting on Monday; in the paper archive.")
    form.get_by_role("button", name="Record the consent").click()
    expect(kari.get_by_role("status").filter(has_text="The consent is recorded.")).to_be_visible()
    consent = Consent.objects.get(case=case, scope_orgs__slug="politi")
    assert {o.slug for o in consent.scope_orgs.all()} == {"politi", "skole"}
    assert consent.categories == [DataCategory.CONCERN, DataCategory.PLAN] and consent.evidence == "signed_form"
    row = kari.locator(f"#consents [data-consent='{consent.public_id}']")
    expect(row).to_contain_text("Testby politidistrikt")
    expect(row).to_contain_text("Active")
    a11y.check(kari, "page-consent")

    # ---- siri (school, covered) reads the two categories; nils (NAV, not covered) still sees markers ----
    siri = browser_page()
    log_in(siri, base, "siri", secrets["siri"])
    open_case_page(siri, base, case)
    assert readable_texts(siri) == {PLAN_TEXT, CONCERN_TEXT}
    expect(siri.locator("#timeline [data-restricted=true]")).to_have_count(1)
    nils.reload()
    expect(nils.locator("#timeline [data-restricted=true]")).to_have_count(3)
    assert readable_texts(nils) == set()
    assert all(text not in nils.content() for text in TEXTS.values())
    screenshot(nils, "sharing-nils-markers-only")

    # ---- kari records a disclosure to NAV of exactly one category, with a justification ----
    disclosure_form = kari.locator("#disclosure-new")
    disclosure_form.get_by_label("To organisation").select_option(label="NAV Testby")
    disclosure_form.get_by_role("checkbox", name="Plan and measures").check()
    disclosure_form.get_by_label("Legal basis").select_option(value="fvl-13b-5")
    disclosure_form.get_by_label("Justification").fill(JUSTIFICATION)
    disclosure_form.get_by_role("button", name="Record the disclosure").click()
    expect(kari.get_by_role("status").filter(has_text="The disclosure is recorded.")).to_be_visible()
    disclosure = Disclosure.objects.get(case=case)
    assert disclosure.to_org.slug == "nav" and disclosure.categories == [DataCategory.PLAN]
    assert disclosure.legal_basis.key == "fvl-13b-5" and disclosure.justification == JUSTIFICATION
    expect(kari.locator(f"#disclosures [data-disclosure='{disclosure.public_id}']")).to_contain_text("NAV Testby")
    a11y.check(kari, "page-disclosure")

    # ---- nils reloads: exactly the disclosed entry, and it says why ----
    nils.reload()
    assert readable_texts(nils) == {PLAN_TEXT}
    assert CONCERN_TEXT not in nils.content() and FAMILY_TEXT not in nils.content()
    expect(nils.locator("#timeline [data-restricted=true]")).to_have_count(2)
    entry = nils.locator("#timeline li.entry").filter(has_text=PLAN_TEXT)
    entry.locator("summary").filter(has_text="Why can I see this?").click()
    why = entry.locator(".why-lines")
    expect(why.locator("[data-why=team]")).to_have_text("You are on the team as caseworker for NAV Testby.")
    expect(why.locator("[data-why=disclosure]")).to_contain_text(
        "Disclosure from Testby kommune under Public Administration Act (forvaltningsloven) § 13 b første ledd nr. 5"
    )
    expect(why.locator("[data-why=disclosure]")).to_contain_text("by kari, covering Plan and measures, expires")
    assert JUSTIFICATION not in nils.content()
    screenshot(nils, "sharing-nils-after-disclosure")
    siri.reload()
    siri_plan = siri.locator("#timeline li.entry").filter(has_text=PLAN_TEXT)
    siri_plan.locator("summary").click()
    expect(siri_plan.locator("[data-why=consent]")).to_contain_text("Consent given by the person on")
    expect(siri_plan.locator("[data-why=consent]")).to_contain_text(
        "(signed form), valid until withdrawn, covering Plan and measures for Testby videregående skole."
    )

    # ---- kari prints the consent form, in bokmål and in English, and the withdrawal form for the consent ----
    kari.locator("#consents").get_by_role("link", name="Consent form").click()
    kari.locator("nav.form-language").get_by_role("link", name="Bokmål").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Samtykke til deling av opplysninger")
    expect(kari.locator("article.print-form")).to_have_attribute("lang", "nb")
    expect(kari.locator("article.print-form")).to_contain_text("samtykke-v1 (bokmål)")
    expect(kari.locator("article.print-form")).to_contain_text("Testby politidistrikt")
    expect(kari.get_by_role("button", name="Print")).to_be_visible()
    assert "Aksel Testesen" not in kari.content()
    a11y.check(kari, "consent-form-nb")
    print_view(kari, "consent-form-nb")
    kari.locator("nav.form-language").get_by_role("link", name="English").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Consent to share information")
    expect(kari.locator("article.print-form")).to_contain_text("samtykke-v1 (English)")
    a11y.check(kari, "consent-form-en")
    print_view(kari, "consent-form-en")

    kari.goto(f"{base}/cases/{case.public_id}/sharing/")
    kari.locator(f"#consents [data-consent='{consent.public_id}']").get_by_role("link", name="Withdrawal form").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Withdrawal of consent")
    expect(kari.locator(f"[data-consent='{consent.public_id}']")).to_contain_text("Testby videregående skole")
    a11y.check(kari, "withdrawal-form-en")
    print_view(kari, "withdrawal-form-en")
    kari.locator("nav.form-language").get_by_role("link", name="Bokmål").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Tilbaketrekking av samtykke")
    expect(kari.locator(f"[data-consent='{consent.public_id}']")).to_contain_text("Plan og tiltak")
    a11y.check(kari, "withdrawal-form-nb")
    print_view(kari, "withdrawal-form-nb")

    a11y.assert_clean()
