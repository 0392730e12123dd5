"""Referrals and transfers on the pages and in the API: the flows, access (404 for outsiders), errors as 4xx."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import EntryKind, TeamMember, TeamRole
from utvei.core.vocabulary import Classification
from utvei.sharing.consent import services
from utvei.sharing.models import Referral, ReferralStatus
from utvei.sharing.referrals import services as referrals

from ..api.api_helpers import API, assert_error, send
from ..api.test_api_bad_input import BAD_BODIES, BAD_VALUES, RAW_BODIES
from .helpers import assert_no_content

PERSON = "Hemmelig Navnesen"
MESSAGE = "Ønsker arbeidspraksis, ring før møtet"


@pytest.fixture
def case(world, catalogue):
    case = world.open_case(name=PERSON)
    world.add(case, "ola")
    for category in ("plan", "ideology"):
        case_services.entry_create(
            actor=world.m["kari"],
            case=case,
            kind=EntryKind.NOTE,
            classification=Classification.TEAM,
            category=category,
            body=f"SECRET-{category}",
        )
    world.consent(case, "nav", categories=["plan"])
    world.consent(case, "annen", categories=["plan"])
    case.refresh_from_db()
    return case


def send_referral(world: Any, case: Any, **kw: Any) -> Referral:
    args: dict[str, Any] = {"to_org_slug": "nav", "categories": ["plan"], "basis": "consent", "message": MESSAGE}
    return referrals.referral_send(actor=world.m["kari"], case=case, **{**args, **kw})


def detail(r: Referral, tail: str = "") -> str:
    return f"/referrals/{r.public_id}/{tail}"


# ---- Pages ---------------------------------------------------------------------------------------------

FORM = {
    "referral-kind": "referral",
    "referral-to_org": "nav",
    "referral-categories": ["plan"],
    "referral-basis": "consent",
    "referral-message": MESSAGE,
}


def test_refer_from_the_sharing_page_and_nora_accepts_naming_nils(world, browse, case):
    kari = browse("kari")
    page = kari.get(f"/cases/{case.public_id}/sharing/").content.decode()
    assert "Referrals and transfers" in page and f"/cases/{case.public_id}/referrals/new/" in page
    form = kari.get(f"/cases/{case.public_id}/referrals/new/")
    assert form.status_code == 200
    html = form.content.decode()
    assert "<fieldset" in html and "<legend" in html and "Transfer of ownership" in html
    assert 'name="referral-keep"' in html
    r = kari.post(f"/cases/{case.public_id}/referrals/new/", FORM)
    assert r.status_code == 302, r.content.decode()[:2000]
    referral = Referral.objects.get(case=case)
    page = kari.get(f"/cases/{case.public_id}/sharing/").content.decode()
    assert str(referral.public_id) in page and "Sent" in page

    nora = browse("nora")
    inbox = nora.get("/referrals/")
    assert inbox.status_code == 200
    html = inbox.content.decode()
    assert str(referral.public_id) in html and case.reference in html and PERSON not in html
    page = nora.get(detail(referral)).content.decode()
    assert MESSAGE in page and PERSON not in page and "SECRET" not in page
    assert 'name="accept-member"' in page and 'name="decline-note"' in page
    assert "open the case" not in page
    r = nora.post(detail(referral, "accept/"), {"accept-member": "nils", "accept-note": ""})
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.team_member.user.username == "nils"
    # nils opens the case: the covered category in full, the other as a marker; no person, no team form.
    case_page = browse("nils").get(f"/cases/{case.public_id}/")
    assert case_page.status_code == 200
    html = case_page.content.decode()
    assert "SECRET-plan" in html and "SECRET-ideology" not in html and 'data-restricted="true"' in html
    assert PERSON not in html and "accepted referral (limited role)" in html
    assert browse("nora").get(f"/cases/{case.public_id}/").status_code == 404


def test_the_form_shows_errors_in_the_users_language(world, client_for, browse, case):
    kari = client_for("kari")  # bokmål, the default
    r = kari.post(f"/cases/{case.public_id}/referrals/new/", {**FORM, "referral-categories": []})
    assert r.status_code == 400 and "Dette feltet er påkrevd." in r.content.decode()
    r = browse("kari").post(
        f"/cases/{case.public_id}/referrals/new/",
        {**FORM, "referral-categories": ["plan", "ideology"]},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "There is a problem" in html and "ideology" in html and "No active consent" in html
    r = browse("kari").post(
        f"/cases/{case.public_id}/referrals/new/",
        {**FORM, "referral-basis": "legal_basis", "referral-legal_basis": "fvl-13b-5"},
    )
    assert r.status_code == 400 and "requires a justification" in r.content.decode()
    r = browse("kari").post(f"/cases/{case.public_id}/referrals/new/", {**FORM, "referral-basis": "legal_basis"})
    assert r.status_code == 400 and "Choose the legal basis" in r.content.decode()
    assert not Referral.objects.exists()


def test_decline_needs_a_note_and_withdraw_works(world, browse, case):
    referral = send_referral(world, case)
    nora = browse("nora")
    r = nora.post(detail(referral, "decline/"), {"decline-note": ""})
    assert r.status_code == 400 and "required" in r.content.decode()
    r = nora.post(detail(referral, "decline/"), {"decline-note": "Ikke nå"})
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    page = browse("kari").get(detail(referral)).content.decode()
    assert "Ikke nå" in page and "Declined" in page
    # Answered twice: a 409 page with the message, not an error page.
    r = nora.post(detail(referral, "accept/"), {"accept-member": "nora"})
    assert r.status_code == 409 and "already been answered" in r.content.decode()

    second = send_referral(world, case)
    r = browse("kari").post(detail(second, "withdraw/"))
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.status == ReferralStatus.WITHDRAWN
    assert browse("nora").post(detail(second, "withdraw/")).status_code in {403, 409}


def test_a_transfer_on_the_pages(world, browse, case):
    ola = TeamMember.objects.current().get(case=case, user=world.m["ola"].user)
    kari = browse("kari")
    r = kari.post(
        f"/cases/{case.public_id}/referrals/new/",
        {**FORM, "referral-kind": "transfer", "referral-to_org": "annen", "referral-keep": [str(ola.pk)]},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    transfer = Referral.objects.get(case=case, kind="transfer")
    assert transfer.keep_team_members == [ola.pk]
    atle = browse("atle")
    page = atle.get(detail(transfer)).content.decode()
    assert "New case lead" in page and PERSON not in page
    r = atle.post(detail(transfer, "accept/"), {"accept-member": "atle"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.public_id}/"
    assert atle.get(f"/cases/{case.public_id}/").status_code == 200
    assert browse("kjell").get(f"/cases/{case.public_id}/").status_code == 404
    assert browse("kari").get(f"/cases/{case.public_id}/").status_code == 404
    assert browse("ola").get(f"/cases/{case.public_id}/").status_code == 200  # kept
    # The old owner still sees what it sent.
    page = browse("kari").get("/referrals/?box=sent").content.decode()
    assert str(transfer.public_id) in page and "Completed" in page


def test_outsiders_get_404_on_every_referral_page(world, browse, case):
    referral = send_referral(world, case)
    for name in ("atle", "arne", "per", "mona"):
        client = browse(name)
        assert client.get(detail(referral)).status_code == 404
        assert client.post(detail(referral, "accept/"), {"accept-member": name}).status_code == 404
        assert client.post(detail(referral, "decline/"), {"decline-note": "x"}).status_code == 404
        assert client.post(detail(referral, "withdraw/")).status_code == 404
        assert str(referral.public_id) not in client.get("/referrals/").content.decode()
    assert browse("atle").get(f"/cases/{case.public_id}/referrals/new/").status_code == 404
    assert browse("nora").get(detail(referral)[:-5] + "0000/").status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_who_gets_the_form_and_the_nav_link(world, browse, case):
    world.add(case, "mona", role=TeamRole.MENTOR)
    assert browse("mona").get(f"/cases/{case.public_id}/referrals/new/").status_code == 403
    ola = browse("ola").get(f"/cases/{case.public_id}/referrals/new/").content.decode()
    assert "Transfer of ownership" not in ola and 'name="referral-keep"' not in ola
    assert 'href="/referrals/"' in browse("kari").get("/").content.decode()
    assert 'href="/referrals/"' in browse("nora").get("/").content.decode()
    assert 'href="/referrals/"' not in browse("ola").get("/").content.decode()
    assert browse("ola").get("/referrals/").status_code == 200  # caseworkers: what they sent
    assert browse("dina").get("/referrals/").status_code == 403  # no case role: no referrals


def test_the_inbox_page_makes_a_constant_number_of_queries(world, browse, case):
    nora = browse("nora")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert nora.get("/referrals/").status_code == 200
        return len(ctx.captured_queries)

    send_referral(world, case)
    one = count()
    for i in range(4):
        other = world.open_case(name=f"Person {i}")
        world.consent(other, "nav")
        send_referral(world, other)
    assert count() == one


# ---- API -----------------------------------------------------------------------------------------------

BODY = {"to_organisation": "nav", "categories": ["plan"], "basis": "consent", "message": MESSAGE}


def case_url(case: Any) -> str:
    return f"{API}cases/{case.public_id}/referrals/"


def test_the_api_flow_with_a_double_accept(world, case):
    kari = world.api("kari")
    r = send(kari, "POST", case_url(case), BODY)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "referral" and body["status"] == "sent" and body["direction"] == "outgoing"
    assert body["to_organisation"] == "nav" and body["message"] == MESSAGE and body["may_withdraw"] is True
    assert body["keep_team_members"] == []
    rid = body["id"]
    listing = kari.get(case_url(case)).json()
    assert [x["id"] for x in listing["results"]] == [rid]

    nora = world.api("nora")
    inbox = nora.get(f"{API}referrals/?direction=incoming").json()
    assert [x["id"] for x in inbox["results"]] == [rid]
    row = inbox["results"][0]
    assert row["may_accept"] is True and "person" not in row and "keep_team_members" not in row
    assert PERSON not in str(inbox)
    one = nora.get(f"{API}referrals/{rid}/").json()
    assert one["case_reference"] == case.reference and one["track"] == case.track and PERSON not in str(one)
    assert "keep_team_members" not in one
    assert_error(nora.get(f"{API}cases/{case.public_id}/"), 404)

    r = send(nora, "POST", f"{API}referrals/{rid}/accept/", {"member": "nils"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted" and r.json()["team_member"] == "nils"
    again = send(nora, "POST", f"{API}referrals/{rid}/accept/", {"member": "nora"})
    data = assert_error(again, 409, "conflict")
    assert data["current"]["status"] == "accepted"
    nils = world.api("nils")
    assert nils.get(f"{API}cases/{case.public_id}/").status_code == 200
    entries = nils.get(f"{API}cases/{case.public_id}/entries/").content.decode()
    assert "SECRET-plan" in entries and "SECRET-ideology" not in entries
    assert_error(nils.get(case_url(case)), 403)
    assert nils.get(f"{API}referrals/{rid}/").status_code == 200  # the referral that named him


def test_api_decline_withdraw_and_refusals(world, case):
    kari, nora = world.api("kari"), world.api("nora")
    assert_error(send(kari, "POST", case_url(case), {**BODY, "categories": ["ideology"]}), 422, "consent_missing")
    r = send(kari, "POST", case_url(case), {**BODY, "basis": "legal_basis", "legal_basis": "fvl-13b-5"})
    data = assert_error(r, 422, "justification_required")
    assert "begrunnelse" in data["detail"]  # the default language
    rid = send(kari, "POST", case_url(case), BODY).json()["id"]
    assert_error(send(kari, "POST", case_url(case), BODY), 409, "conflict")
    assert_error(send(nora, "POST", f"{API}referrals/{rid}/decline/", {}), 400)
    assert_error(send(nora, "POST", f"{API}referrals/{rid}/decline/", {"note": " "}), 422)  # spaces: a rule
    assert_error(send(nora, "POST", f"{API}referrals/{rid}/withdraw/"), 403)
    assert_error(send(kari, "POST", f"{API}referrals/{rid}/accept/", {}), 403)
    r = send(nora, "POST", f"{API}referrals/{rid}/decline/", {"note": "Ikke nå"})
    assert r.status_code == 200 and r.json()["status"] == "declined" and r.json()["decision_note"] == "Ikke nå"
    assert_error(send(kari, "POST", f"{API}referrals/{rid}/withdraw/"), 409)
    rid2 = send(kari, "POST", case_url(case), BODY).json()["id"]
    r = send(kari, "POST", f"{API}referrals/{rid2}/withdraw/")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    sent = kari.get(f"{API}referrals/?direction=outgoing&status=withdrawn").json()
    assert [x["id"] for x in sent["results"]] == [rid2]


def test_api_transfer(world, case):
    kari = world.api("kari")
    r = send(
        kari,
        "POST",
        case_url(case),
        {**BODY, "kind": "transfer", "to_organisation": "annen", "keep_team_members": ["ola"]},
    )
    assert r.status_code == 201, r.content
    assert r.json()["keep_team_members"] == ["ola"]
    rid = r.json()["id"]
    assert_error(send(kari, "POST", case_url(case), {**BODY, "keep_team_members": ["ola"]}), 422)
    assert_error(send(kari, "POST", case_url(case), {**BODY, "kind": "transfer", "keep_team_members": ["per"]}), 422)
    atle = world.api("atle")
    assert "keep_team_members" not in atle.get(f"{API}referrals/{rid}/").json()
    r = send(atle, "POST", f"{API}referrals/{rid}/accept/", {})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    header = atle.get(f"{API}cases/{case.public_id}/").json()
    assert header["owning_organisation"] == "annen" and header["lead"] == "atle"
    assert_error(world.api("kjell").get(f"{API}cases/{case.public_id}/"), 404)
    assert world.api("ola").get(f"{API}cases/{case.public_id}/").status_code == 200


def test_api_outsiders_get_404(world, case):
    rid = str(send_referral(world, case).public_id)
    for name in ("atle", "per", "mona", "dina"):
        client = world.api(name)
        assert_error(client.get(f"{API}referrals/{rid}/"), 404)
        for action in ("accept", "decline", "withdraw"):
            assert_error(send(client, "POST", f"{API}referrals/{rid}/{action}/", {"note": "x"}), 404)
        assert rid not in client.get(f"{API}referrals/").content.decode()
    assert_error(world.api("atle").get(case_url(case)), 404)
    assert_error(send(world.api("atle"), "POST", case_url(case), BODY), 404)
    assert_error(world.api("nora").get(f"{API}referrals/not-a-uuid/"), 404)


def test_audit_rows_carry_no_content(world, case):
    kari, nora = world.api("kari"), world.api("nora")
    rid = send(kari, "POST", case_url(case), {**BODY, "justification": "Begrunnelse X"}).json()["id"]
    send(nora, "POST", f"{API}referrals/{rid}/accept/", {"member": "nils", "note": "Notat Y"})
    nora.get(f"{API}referrals/{rid}/")
    events = list(AuditEvent.objects.filter(action__in=[a for a in Action.values if a.startswith("referral.")]))
    assert {e.action for e in events} >= {Action.REFERRAL_SEND, Action.REFERRAL_ACCEPT, Action.REFERRAL_VIEW}
    assert_no_content(list(AuditEvent.objects.all()), MESSAGE, "Begrunnelse X", "Notat Y", PERSON)


def test_the_api_lists_make_a_constant_number_of_queries(world, case):
    nora, kari = world.api("nora"), world.api("kari")

    def count(client: Client, path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    send_referral(world, case)
    one = (count(nora, f"{API}referrals/"), count(kari, case_url(case)))
    send_referral(world, case, to_org_slug="annen", kind="transfer")
    for i in range(3):
        other = world.open_case(name=f"Person {i}")
        world.consent(other, "nav")
        send_referral(world, other)
    assert (count(nora, f"{API}referrals/"), count(kari, case_url(case))) == one


def test_the_schema_has_the_referral_endpoints(db):
    schema = yaml.safe_load(Client().get(API + "schema/").content)
    for path in (
        "/api/v1/cases/{case_id}/referrals/",
        "/api/v1/referrals/",
        "/api/v1/referrals/{referral_id}/",
        "/api/v1/referrals/{referral_id}/accept/",
        "/api/v1/referrals/{referral_id}/decline/",
        "/api/v1/referrals/{referral_id}/withdraw/",
    ):
        assert path in schema["paths"], path


# ---- No input gives a 5xx ------------------------------------------------------------------------------


def _assert_4xx(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.content[:300])
    if r.status_code >= 400:
        assert_error(r, r.status_code)


@pytest.mark.parametrize("field", [*BODY, "kind", "legal_basis", "justification", "keep_team_members"])
def test_bad_values_in_every_field_of_a_new_referral(world, case, field):
    kari = world.api("kari")
    for value in [*BAD_VALUES, [None], [[]], [{}], ["plan", "plan"], ["x" * 100]]:
        cache.clear()
        _assert_4xx(send(kari, "POST", case_url(case), {**BODY, field: value}))
    Referral.objects.all().delete()


@pytest.mark.parametrize(
    ("user", "action"), [("kari", ""), ("nora", "accept/"), ("nora", "decline/"), ("kari", "withdraw/")]
)
def test_bad_bodies(world, case, user, action):
    referral = send_referral(world, case)
    client = world.api(user)
    path = case_url(case) if not action else f"{API}referrals/{referral.public_id}/{action}"
    for body in BAD_BODIES:
        cache.clear()
        _assert_4xx(send(client, "POST", path, body, raw="null" if body is None else None))
    for raw in RAW_BODIES:
        cache.clear()
        _assert_4xx(send(client, "POST", path, raw=raw))
    for value in [*BAD_VALUES, [None]]:
        cache.clear()
        _assert_4xx(send(client, "POST", path, {"member": value, "note": value}))


def test_a_consent_withdrawn_before_acceptance_is_a_422_in_the_api(world, case):
    rid = send(world.api("kari"), "POST", case_url(case), BODY).json()["id"]
    consent = case.consents.get(scope_orgs__slug="nav")
    services.consent_withdraw(actor=world.m["kari"], consent=consent)
    assert_error(
        send(world.api("nora"), "POST", f"{API}referrals/{rid}/accept/", {"member": "nils"}), 422, "consent_missing"
    )


def test_the_form_offers_only_organisations_that_can_accept_with_each_kind_explained_apart(world, browse, case):
    """Issue 13: organisations with no coordinator (who could accept) were offered; the two kinds' help ran on."""
    html = browse("kari").get(f"/cases/{case.public_id}/referrals/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    select = re.search(r'<select name="referral-to_org".*?</select>', html, re.S)
    assert select is not None
    offered = set(re.findall(r'<option value="([^"]+)"', select.group(0)))
    assert offered == {"politi", "nav", "annen"}  # not the school, health or the NGO: no coordinator there
    help_items = re.findall(r'<ul class="helptext choice-help">(.*?)</ul>', html, re.S)[0]
    assert help_items.count("<li>") == 2 and "<strong>Referral:</strong>" in help_items


def test_a_legal_basis_is_shown_by_its_name_not_its_key(world, browse, case):
    r = browse("kari").post(
        f"/cases/{case.public_id}/referrals/new/",
        {**FORM, "referral-basis": "legal_basis", "referral-legal_basis": "fvl-13b-5", "referral-justification": "x"},
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    page = browse("kari").get(f"/cases/{case.public_id}/sharing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "fvl-13b-5" not in page.replace('value="fvl-13b-5"', "") and "§ 13 b" in page
