"""The person's own page (/me/) and its API (/api/v1/me/), and the case lead's invitation page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.cases import attachment_files as f
from tests.conftest import PASSWORD
from tests.meetings import helpers as meetings
from tests.plans import helpers as plans
from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import ParticipantAccount
from utvei.core.vocabulary import Classification as C
from utvei.sharing.emergency import services as emergency
from utvei.sharing.models import Consent

from .helpers import client_of, join

API = "/api/v1/me"


@pytest.fixture
def case(world):
    c = world.open_case(name="Petra Deltaker")
    world.add(c, "ola")
    world.add(c, "per")
    return c


def _log(html: str) -> str:
    return html[html.index('id="access-log"') :]


def test_the_lead_invites_on_the_case_page_and_the_person_joins(world, case, browse):
    kari = browse("kari")
    assert f'href="/cases/{case.public_id}/participant/"' in kari.get(f"/cases/{case.public_id}/").content.decode()
    page = kari.get(f"/cases/{case.public_id}/participant/")
    assert page.status_code == 200
    r = kari.post(f"/cases/{case.public_id}/participant/", {"given_as": "person"})
    assert r.status_code == 200
    link = re.search(r"<code>(http://testserver/me/join/[^<]+/)</code>", r.content.decode()).group(1)
    person = Client()
    first = person.get(link)
    assert first.status_code == 302 and first["Location"] == "/me/join/"  # the token leaves the address
    assert person.get("/me/join/").status_code == 200
    bad = person.post("/me/join/", {"username": "petra", "password": PASSWORD, "password_again": "other"})
    assert bad.status_code == 400
    ok = person.post("/me/join/", {"username": "petra", "password": PASSWORD, "password_again": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/me/"
    assert "totp" in person.get("/me/")["Location"]  # the second factor first
    assert Client().get(link, follow=True).status_code == 404  # used once
    account = ParticipantAccount.objects.get(case=case)
    assert account.user.username == "petra" and account.accepted_at is not None
    # The lead sees it and ends it.
    assert "In use." in kari.get(f"/cases/{case.public_id}/participant/").content.decode()
    r = kari.post(f"/cases/{case.public_id}/participant/{account.public_id}/end/")
    assert r.status_code == 302
    account.refresh_from_db()
    assert account.ended_at is not None


@pytest.mark.parametrize(("who", "status"), [("ola", 403), ("per", 403), ("atle", 404), ("mona", 404)])
def test_only_the_lead_and_the_owners_coordinators_reach_the_invitation_page(world, case, browse, who, status):
    assert browse(who).get(f"/cases/{case.public_id}/participant/").status_code == status
    assert browse(who).post(f"/cases/{case.public_id}/participant/", {"given_as": "person"}).status_code == status
    assert not ParticipantAccount.objects.exists()


def _full_case(world, case):
    plan = plans.approved_plan(world, case, goals=("Jeg vil ha en jobb",))
    at = meetings.ahead(3)
    meetings.plan(world, case, attendees=("kari",), classification=C.PARTICIPANT, place="Rådhuset rom 3", starts_at=at)
    meetings.plan(world, case, attendees=("kari",), classification=C.TEAM, place="HEMMELIG-STED", starts_at=at)
    shown = world.entry(case, "kari", C.PARTICIPANT, "Til deg: vi møtes på tirsdag")
    world.entry(case, "kari", C.TEAM, "TEAM-TEKST")
    world.entry(case, "per", C.POLICE, "POLITI-TEKST")
    case_services.attachment_add(
        actor=world.m["kari"], owner=shown, filename="Brev til deg.pdf", data=f.PDF, classification=C.PARTICIPANT
    )
    return plan


def test_the_page_shows_what_is_classified_for_the_person_and_nothing_else(world, case):
    _full_case(world, case)
    c = client_of(join(world, case, "petra"))
    html = c.get("/me/").content.decode()
    for shown in ("Jeg vil ha en jobb", "Rådhuset rom 3", "Til deg: vi møtes på tirsdag", "Brev til deg.pdf"):
        assert shown in html, shown
    for hidden in ("HEMMELIG-STED", "TEAM-TEKST", "POLITI-TEKST", "Petra Deltaker", case.reference):
        assert hidden not in html, hidden
    for username in ("kari", "ola", "per"):
        assert not re.search(rf"\b{username}\b", html), username
    doc = re.search(r'href="(/me/documents/[0-9a-f-]+/)"', html).group(1)
    r = c.get(doc)
    assert r.status_code == 200 and r.content == f.PDF


def test_rating_answering_and_withdrawing_on_the_page(world, case):
    plan = _full_case(world, case)
    account = join(world, case, "petra")
    c = client_of(account)
    goal = plan.goals.get()
    r = c.post(f"/me/goals/{goal.public_id}/rate/", {"rating": "1"})
    assert r.status_code == 302
    assert "+1 Somewhat more than expected" in c.get("/me/").content.decode()
    assert c.post(f"/me/goals/{goal.public_id}/rate/", {"rating": "x"}).status_code == 400
    r = c.post("/me/answers/", {"indicator": "working-alliance", "value": "3"})
    assert r.status_code == 302
    assert c.post("/me/answers/", {"indicator": "children-wellbeing", "value": "1"}).status_code == 404
    consent = Consent.objects.filter(case=case, scope_orgs__slug="politi").get()
    assert c.post(f"/me/consents/{consent.public_id}/withdraw/").status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert c.post(f"/me/consents/{consent.public_id}/withdraw/").status_code == 409
    assert Notification.objects.filter(kind=NotificationKind.PARTICIPANT_WITHDREW, user=case.lead).count() == 1


def test_the_lead_reads_the_notification(world, case, browse):
    account = join(world, case, "petra")
    consent = Consent.objects.filter(case=case, scope_orgs__slug="politi").get()
    client_of(account).post(f"/me/consents/{consent.public_id}/withdraw/")
    html = browse("kari").get("/me/notifications/").content.decode()
    assert f"The person withdrew a consent in case {case.reference}" in html


def test_the_access_log_in_plain_words_without_workers_names(world, case, browse):
    account = join(world, case, "petra")
    browse("kari").get(f"/cases/{case.public_id}/")
    browse("per").get(f"/cases/{case.public_id}/")
    emergency.emergency_open(
        actor=world.m["arne"], case_reference=case.reference, reason_code="missing", reason_text="Savnet"
    )
    browse("arne").get(f"/cases/{case.public_id}/")
    c = client_of(account)
    c.get("/me/")
    log = _log(c.get("/me/").content.decode())
    assert "Testby kommune" in log and "Testby politidistrikt" in log and "Annenby kommune" in log
    assert "They work with you in your team" in log
    assert "Emergency access: The person is missing" in log
    assert "It was you" in log and "read your own page" in log
    for name in ("kari", "per", "arne", "Savnet"):
        assert not re.search(rf"\b{name}\b", log), name


def test_the_page_takes_a_constant_number_of_queries(world, case):
    account = join(world, case, "petra")
    c = client_of(account)

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            assert c.get("/me/").status_code == 200
        return len(q)

    plans.approved_plan(world, case)
    world.entry(case, "kari", C.PARTICIPANT, "En")
    small = count()
    for i in range(5):
        world.entry(case, "kari", C.PARTICIPANT, f"Flere {i}")
        world.consent(case, "skole")
    assert count() == small


def test_staff_and_strangers_get_nothing(world, case, browse):
    join(world, case, "petra")
    assert browse("kari").get("/me/").status_code == 404
    assert browse("kari").get(f"{API}/").status_code == 401  # staff use the API with a token
    assert world.api("kari").get(f"{API}/").status_code == 404  # …which finds nothing here
    assert Client().get("/me/").status_code == 302  # to the login
    assert Client().get(f"{API}/").status_code in {401, 403}


def test_the_api_gives_the_same_as_the_page(world, case):
    plan = _full_case(world, case)
    account = join(world, case, "petra")
    c = client_of(account)
    body = c.get(f"{API}/").json()
    assert [g["text"] for g in body["plan"]["goals"]] == ["Jeg vil ha en jobb"]
    assert [e["body"] for e in body["entries"]] == ["Til deg: vi møtes på tirsdag"]
    assert [m["place"] for m in body["appointments"]] == ["Rådhuset rom 3"]
    assert [d["filename"] for d in body["documents"]] == ["Brev til deg.pdf"]
    raw = c.get(f"{API}/").content.decode()
    for hidden in ("HEMMELIG-STED", "TEAM-TEKST", "POLITI-TEKST", "Petra Deltaker", "kari"):
        assert hidden not in raw
    for part in ("plan", "appointments", "entries", "documents", "consents", "indicators", "access-log"):
        assert c.get(f"{API}/{part}/").status_code == 200, part
    goal = plan.goals.get()
    r = c.post(f"{API}/goals/{goal.public_id}/ratings/", {"rating": -1}, content_type="application/json")
    assert r.status_code == 201 and r.json()["by"] == "person"
    r = c.post(f"{API}/goals/{goal.public_id}/ratings/", {"rating": 7}, content_type="application/json")
    assert r.status_code == 400
    r = c.post(f"{API}/answers/", {"indicator": "working-alliance", "value": 2}, content_type="application/json")
    assert r.status_code == 201 and r.json()["last_value"] == 2
    consent = Consent.objects.filter(case=case, scope_orgs__slug="politi").get()
    r = c.post(f"{API}/consents/{consent.public_id}/withdraw/")
    assert r.status_code == 200 and r.json()["active"] is False
    assert c.post(f"{API}/consents/{consent.public_id}/withdraw/").status_code == 409
    reads = AuditEvent.objects.filter(action=Action.PARTICIPANT_VIEW, actor_id=account.user_id)
    assert reads.filter(reason="api:plan").exists() and reads.filter(reason="page").exists()


def test_the_api_needs_the_second_factor(world, case):
    from utvei.cases.participants import participant_accept, participant_invite

    _account, raw = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    user = participant_accept(raw=raw, username="petra", password=PASSWORD)
    c = Client()
    c.force_login(user)
    assert c.get(f"{API}/").status_code == 403
