"""The printable consent and withdrawal forms: both languages, the text version, no identity, access and audit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string

from tests.sharing.helpers import events_since, seq
from utvei.accounts.models import OrgKind
from utvei.audit.models import Action
from utvei.cases.models import TeamRole
from utvei.core.vocabulary import DataCategory
from utvei.sharing.models import CONSENT_TEXT_VERSION, Consent, Purpose

TEMPLATES = Path(__file__).resolve().parents[2] / "src/utvei/sharing/templates/sharing/forms"
FORMS = ["consent", "withdrawal"]
LANGS = ["nb", "en"]

CONSENT_NB = ["Samtykke til deling av opplysninger", "frivillig", "Datatilsynet", "trekke tilbake samtykket"]
CONSENT_EN = ["Consent to share information", "Consent is voluntary", "Datatilsynet", "withdraw your consent"]
WITHDRAWAL_NB = ["Tilbaketrekking av samtykke", "Hele samtykket", "En del av samtykket", "Underskrift"]
WITHDRAWAL_EN = ["Withdrawal of consent", "All of the consent", "Part of the consent", "Signature"]


@pytest.fixture
def case(world: Any) -> Any:
    """A case owned by the municipality with the police, the school and a mentor on the team."""
    c = world.open_case(name="Skjema Personsen")
    c.person.birth_date = "2001-02-03"
    c.person.save(update_fields=["birth_date"])
    world.add(c, "per", consent=False)
    world.add(c, "siri", consent=False)
    world.add(c, "mona", role=TeamRole.MENTOR, consent=False)
    return c


def url(case: Any, form: str = "consent", query: str = "") -> str:
    return f"/cases/{case.public_id}/sharing/forms/{form}/{query}"


def text_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_consent_form_in_bokmal_has_the_legal_texts_and_the_version(browse, case):
    html = text_of(browse("kari").get(url(case, query="?lang=nb")))
    for text in CONSENT_NB:
        assert text in html, text
    assert CONSENT_TEXT_VERSION in html and "(bokmål)" in html
    assert 'lang="nb"' in html and 'data-text-version="samtykke-v1"' in html
    assert "Testby kommune" in html  # who is asking
    for name in ("Testby politidistrikt", "Testby videregående skole", "Frivillig hjelp"):
        assert name in html  # every organisation on the team
    assert "For personer under 15 år" in html


def test_the_consent_form_in_english_has_the_legal_texts_and_the_version(browse, case):
    html = text_of(browse("kari").get(url(case, query="?lang=en")))
    for text in CONSENT_EN:
        assert text in html, text
    assert CONSENT_TEXT_VERSION in html and "(English)" in html
    assert "only anonymised information" in html
    assert "For a person under 15" in html


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_category_and_purpose_is_on_the_form(browse, case, form, lang):
    html = text_of(browse("kari").get(url(case, form, f"?lang={lang}")))
    for value in DataCategory.values:
        assert f'data-category="{value}"' in html, value
    for value in Purpose.values:
        assert f'data-purpose="{value}"' in html, value


@pytest.mark.parametrize("lang", LANGS)
def test_every_organisation_kind_has_a_name_in_each_language(lang):
    fallback = render_to_string(f"sharing/forms/_kind_{lang}.html", {"kind": OrgKind.OTHER}).strip()
    names = {render_to_string(f"sharing/forms/_kind_{lang}.html", {"kind": k}).strip() for k in OrgKind.values}
    assert len(names) == len(OrgKind.values), "two kinds share a name, or a kind falls back to «other»"
    assert fallback in names


@pytest.mark.parametrize("lang", LANGS)
def test_every_category_and_purpose_has_a_short_name_in_each_language(lang):
    for part, values in (("category", DataCategory.values), ("purpose", Purpose.values)):
        for value in values:
            name = render_to_string(f"sharing/forms/_{part}_{lang}.html", {part: value}).strip()
            assert name and name != value, (part, value)


def test_the_form_language_follows_the_interface_unless_chosen(client_for, browse, case):
    assert "Samtykke til deling" in text_of(client_for("kari").get(url(case)))  # bokmål interface
    assert "Consent to share information" in text_of(browse("kari").get(url(case)))  # English interface
    english_page = text_of(browse("kari").get(url(case, query="?lang=nb")))
    assert "Samtykke til deling" in english_page and "Language of the form" in english_page
    assert "Consent to share" in text_of(browse("kari").get(url(case, query="?lang=xx")))


def test_the_switch_links_both_languages_and_marks_the_current_one(browse, case):
    html = text_of(browse("kari").get(url(case, query="?lang=en")))
    assert f'href="{url(case)}?lang=nb"' in html
    assert f'href="{url(case)}?lang=en" lang="en" hreflang="en" aria-current="page"' in html


def test_the_form_never_prints_the_persons_identity(browse, case):
    for form in FORMS:
        for lang in LANGS:
            html = text_of(browse("kari").get(url(case, form, f"?lang={lang}")))
            assert "Skjema Personsen" not in html and "2001-02-03" not in html and "03.02.2001" not in html


def test_the_page_is_printable(browse, case):
    html = text_of(browse("kari").get(url(case)))
    assert "print-form.css" in html and "data-print" in html
    css = (TEMPLATES.parents[3] / "static/utvei/print-form.css").read_text()
    assert "@media print" in css and "size: A4" in css and ".site-header" in css


def test_the_guardian_age_comes_from_the_setting(browse, case, settings):
    settings.UTVEI_CONSENT_OWN_AGE = 16
    assert "For a person under 16" in text_of(browse("kari").get(url(case, query="?lang=en")))
    assert "For personer under 16 år" in text_of(browse("kari").get(url(case, query="?lang=nb")))


def test_the_withdrawal_form_names_the_consent_it_withdraws(world, browse, case):
    consent = world.consent(case, "politi", "skole", categories=[DataCategory.PLAN, DataCategory.FAMILY])
    query = f"?lang=en&consent={consent.public_id}"
    html = text_of(browse("kari").get(url(case, "withdrawal", query)))
    for text in WITHDRAWAL_EN:
        assert text in html, text
    assert f'data-consent="{consent.public_id}"' in html
    assert "by the person, on a signed form" in html and "until withdrawn" in html
    assert "Testby politidistrikt" in html and "Plan and measures, Family" in html
    assert 'data-category="health"' not in html  # only what the consent covered can be withdrawn
    nb = text_of(browse("kari").get(url(case, "withdrawal", f"?lang=nb&consent={consent.public_id}")))
    for text in WITHDRAWAL_NB:
        assert text in nb, text
    assert "av personen selv, på signert skjema" in nb and "Plan og tiltak" in nb and CONSENT_TEXT_VERSION in nb
    switch = f"?lang=nb&amp;consent={consent.public_id}"
    assert switch in html  # the language switch keeps the consent


def test_a_blank_withdrawal_form_lists_the_team_and_every_category(browse, case):
    html = text_of(browse("kari").get(url(case, "withdrawal", "?lang=en")))
    assert "Date the consent was given" in html and "Testby politidistrikt" in html
    assert html.count("data-category=") == len(DataCategory.values)


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_consent_is_404(browse, case, bad):
    assert browse("kari").get(url(case, "withdrawal", f"?consent={bad}")).status_code == 404


def test_a_consent_of_another_case_is_404(world, browse, case):
    other = world.open_case(name="Annen Person")
    consent = world.consent(other, "politi")
    assert browse("kari").get(url(case, "withdrawal", f"?consent={consent.public_id}")).status_code == 404


@pytest.mark.parametrize("username", ["per", "siri"])
def test_team_caseworkers_of_other_organisations_may_print(browse, case, username):
    assert browse(username).get(url(case)).status_code == 200


@pytest.mark.parametrize("username", ["atle", "mona", "nils", "dina", "anna", "rolf", "adam"])
@pytest.mark.parametrize("form", FORMS)
def test_users_without_full_read_on_the_case_get_404(browse, case, username, form):
    response = browse(username).get(url(case, form))
    assert response.status_code == 404
    assert "Samtykke til deling" not in response.content.decode()
    assert "Testby politidistrikt" not in response.content.decode()


def test_bad_case_ids_are_404(browse, case):
    assert browse("kari").get("/cases/not-a-uuid/sharing/forms/consent/").status_code == 404
    assert browse("kari").get(f"/cases/{uuid.uuid4()}/sharing/forms/withdrawal/").status_code == 404


def test_only_get(browse, case):
    assert browse("kari").post(url(case)).status_code == 405


def test_showing_a_form_is_audited_without_content(world, browse, case):
    consent = world.consent(case, "politi")
    n = seq()
    browse("kari").get(url(case, query="?lang=nb"))
    browse("kari").get(url(case, "withdrawal", f"?lang=en&consent={consent.public_id}"))
    events = events_since(n)
    views = [e for e in events if e.action == Action.CONSENT_VIEW]
    assert [(e.object_type, e.reason) for e in views] == [
        ("case", "form:consent:nb"),
        ("consent", "form:withdrawal:en"),
    ]
    assert all(e.case_id == str(case.public_id) and e.actor_id == world.m["kari"].user_id for e in views)
    assert views[1].object_id == str(consent.public_id)


@pytest.mark.parametrize("username", ["atle", "mona"])
def test_a_refused_form_is_audited(world, browse, case, username):
    n = seq()
    browse(username).get(url(case))
    denied = [e for e in events_since(n) if e.action == Action.CASE_DENIED]
    assert len(denied) == 1 and denied[0].actor_id == world.m[username].user_id
    assert not [e for e in events_since(n) if e.action == Action.CONSENT_VIEW]


def test_the_sharing_page_links_to_both_forms(world, browse, case):
    consent = world.consent(case, "politi")
    html = text_of(browse("kari").get(f"/cases/{case.public_id}/sharing/"))
    assert url(case) in html and url(case, "withdrawal") in html
    assert f"{url(case, 'withdrawal')}?consent={consent.public_id}" in html


def test_both_languages_have_the_same_sections(browse, case):
    """The two language versions are the same form: the same numbered sections, ticks and lines."""
    for form in FORMS:
        nb = text_of(browse("kari").get(url(case, form, "?lang=nb")))
        en = text_of(browse("kari").get(url(case, form, "?lang=en")))
        for marker in ('class="pf-section', "<h2", "<li data-", 'class="pf-line'):
            assert nb.count(marker) == en.count(marker), (form, marker)


def test_the_consent_page_records_kinds_as_the_paper_form_offers_them(world, browse, case):
    data = {
        "form": "consent",
        "consent-given_by": "person",
        "consent-kinds": ["school"],
        "consent-categories": ["plan"],
        "consent-purposes": ["coordination"],
        "consent-evidence": "signed_form",
    }
    page = text_of(browse("kari").get(f"/cases/{case.public_id}/sharing/"))
    assert 'name="consent-kinds" value="school"' in page and 'value="faith_community"' not in page
    assert browse("kari").post(f"/cases/{case.public_id}/sharing/", data).status_code == 302
    consent = Consent.objects.get(case=case, scope_kinds=["school"])
    assert not consent.scope_orgs.exists()
    not_on_team = {**data, "consent-kinds": ["faith_community"]}
    assert browse("kari").post(f"/cases/{case.public_id}/sharing/", not_on_team).status_code == 400
    empty = {k: v for k, v in data.items() if k != "consent-kinds"}
    response = browse("kari").post(f"/cases/{case.public_id}/sharing/", empty)
    assert response.status_code == 400 and "at least one organisation" in response.content.decode()
