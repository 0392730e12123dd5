"""Concern form, receipts, the intake queue and triage."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from utvei.cases import services
from utvei.cases.models import Case, Concern, ConcernStatus, TriageOutcome, Urgency
from utvei.people.models import Person


def submit(world, **kw):
    data = {"description": "Eleven deler voldsforherligende innhold.", "subject_name": "Test Person"}
    data.update(kw)
    return services.concern_submit(actor=world.m["rolf"], receiving_org=world.orgs["kommune"], **data)


def form_data(**kw):
    data = {
        "receiving_org": "kommune",
        "urgency": "routine",
        "kind": "statements",
        "description": "Eleven har endret seg og deler ekstreme ytringer.",
        "subject_name": "Ola Elev",
        "subject_national_id": "",
        "subject_birth_date": "",
    }
    data.update(kw)
    return data


# ---- Concern form and receipts -------------------------------------------------------------------------


def test_the_concern_form_says_acute_danger_goes_to_112(world, browse):
    response = browse("rolf").get("/concerns/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "112" in body and "acute danger" in body
    assert '<legend class="required">How urgent is it?</legend>' in body or "<legend" in body
    assert 'value="kommune"' in body  # the receiving organisation is chosen by slug


def test_submitting_a_concern_gives_a_receipt(world, browse):
    client = browse("rolf")
    response = client.post("/concerns/new/", form_data(subject_national_id="010170 12345"))
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert response["Location"] == f"/concerns/{concern.public_id}/receipt/"
    assert concern.subject_national_id == "01017012345"
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert concern.reference in receipt.content.decode()
    mine = client.get("/concerns/mine/").content.decode()
    assert concern.reference in mine


def test_an_anonymous_concern_stores_no_identity(world, browse):
    browse("rolf").post("/concerns/new/", form_data(anonymous="on", subject_national_id="01017012345"))
    concern = Concern.objects.get()
    assert concern.anonymous and concern.subject_name == "" and concern.subject_national_id == ""


@pytest.mark.parametrize(
    "change",
    [
        {"description": ""},
        {"description": "x" * 20001},
        {"urgency": "panic"},
        {"kind": ""},
        {"kind": "rumour"},
        {"receiving_org": "no-such-org"},
        {"subject_national_id": "123"},
        {"subject_birth_date": "2001-13-45"},
        {"subject_birth_date": "2999-01-01"},
        {"subject_name": "n" * 500},
    ],
)
def test_invalid_concern_input_gives_400_with_the_form(world, browse, change):
    response = browse("rolf").post("/concerns/new/", form_data(**change))
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'aria-invalid="true"' in body
    assert not Concern.objects.exists()


def test_the_field_error_is_tied_to_its_input(world, browse):
    body = browse("rolf").post("/concerns/new/", form_data(subject_national_id="123")).content.decode()
    assert 'id="id_subject_national_id_error"' in body
    assert "id_subject_national_id_error" in body.split('name="subject_national_id"')[1].split(">")[0]


def test_roles_without_concern_submit_are_refused(world, browse):
    assert browse("dina").get("/concerns/new/").status_code == 403
    assert browse("dina").post("/concerns/new/", form_data()).status_code == 403


def test_a_receipt_is_only_for_its_reporter(world, browse):
    concern = submit(world)
    url = f"/concerns/{concern.public_id}/receipt/"
    assert browse("rolf").get(url).status_code == 200
    assert browse("atle").get(url).status_code == 404
    assert browse("siri").get(url).status_code == 404
    assert browse("rolf").get(f"/concerns/{uuid.uuid4()}/receipt/").status_code == 404
    assert browse("rolf").get("/concerns/not-a-uuid/receipt/").status_code == 404


def test_my_receipts_lists_only_my_own(world, browse):
    mine = submit(world)
    other = services.concern_submit(actor=world.m["siri"], receiving_org=world.orgs["kommune"], description="x")
    body = browse("rolf").get("/concerns/mine/").content.decode()
    assert mine.reference in body and other.reference not in body


# ---- Intake and triage ---------------------------------------------------------------------------------


def test_the_intake_queue_shows_concerns_to_the_receiving_coordinators_only(world, browse):
    concern = submit(world, urgency=Urgency.ACUTE)
    body = browse("kari").get("/intake/").content.decode()
    assert concern.reference in body and "Acute danger" in body
    assert concern.reference not in browse("atle").get("/intake/").content.decode()
    assert browse("rolf").get("/intake/").status_code == 404
    assert browse("ola").get("/intake/").status_code == 404


def test_the_triage_page_is_404_for_other_organisations(world, browse):
    concern = submit(world)
    assert browse("kari").get(f"/intake/{concern.public_id}/").status_code == 200
    assert browse("atle").get(f"/intake/{concern.public_id}/").status_code == 404
    assert browse("atle").post(f"/intake/{concern.public_id}/", {"outcome": "no_action"}).status_code == 404
    assert browse("kari").get(f"/intake/{uuid.uuid4()}/").status_code == 404
    assert browse("kari").get("/intake/12345/").status_code == 404


def test_triage_open_case_registers_a_new_person(world, browse):
    concern = submit(world, subject_national_id="01017012345")
    client = browse("kari")
    response = client.post(
        f"/intake/{concern.public_id}/",
        {
            "outcome": "open_case",
            "rationale": "Behov for oppfølging",
            "track": "prevention",
            "gender": "male",
            "full_name": "Test Person",
            "national_id": "01017012345",
            "municipality": "Testby",
        },
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.TRIAGED and concern.case is not None
    assert response["Location"] == f"/cases/{concern.case.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "A new person was registered" in page


def test_triage_tells_the_coordinator_when_an_existing_person_was_linked(world, browse):
    first = submit(world, subject_national_id="01017012345")
    services.concern_triage(actor=world.m["kari"], concern=first, outcome=TriageOutcome.OPEN_CASE, rationale="r")
    services.case_close(actor=world.m["kari"], case=Case.objects.get(), reason="goals_met", summary="Ferdig")
    second = submit(world, subject_name="Annet Navn")
    client = browse("kari")
    response = client.post(
        f"/intake/{second.public_id}/",
        {"outcome": "open_case", "rationale": "Ny bekymring", "track": "exit", "national_id": "01017012345"},
        follow=True,
    )
    assert response.status_code == 200
    assert "matched a person already registered" in response.content.decode()
    assert Person.objects.count() == 1
    assert Case.objects.count() == 2


def test_triage_without_a_case(world, browse):
    concern = submit(world)
    response = browse("kari").post(
        f"/intake/{concern.public_id}/", {"outcome": "no_action", "rationale": "Skolen følger opp selv"}
    )
    assert response.status_code == 302 and response["Location"] == "/intake/"
    concern.refresh_from_db()
    assert concern.outcome == "no_action" and concern.case is None
    # Passing it on says to whom (tests/cases/test_concern_intake.py): the outcome alone is refused.
    other = submit(world)
    refused = browse("kari").post(f"/intake/{other.public_id}/", {"outcome": "ordinary_services", "rationale": "x"})
    assert refused.status_code == 400 and "Say whom the concern is passed on to." in refused.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "no_action", "rationale": ""},
        {"outcome": "shrug", "rationale": "x"},
        {"outcome": "open_case", "rationale": "x", "national_id": "abc"},
        {"outcome": "open_case", "rationale": "x", "birth_date": "31.02.2001"},
        {"outcome": "open_case", "rationale": "x", "track": "sideways"},
        {"outcome": "open_case", "rationale": "x", "gender": "robot"},
    ],
)
def test_invalid_triage_gives_400(world, browse, data):
    concern = submit(world)
    response = browse("kari").post(f"/intake/{concern.public_id}/", data)
    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.RECEIVED


def test_opening_a_case_from_an_anonymous_concern_needs_a_name(world, browse):
    concern = submit(world, anonymous=True)
    response = browse("kari").post(
        f"/intake/{concern.public_id}/", {"outcome": "open_case", "rationale": "x", "track": "prevention"}
    )
    assert response.status_code == 400
    assert "Give the person" in response.content.decode()


def test_triaging_twice_is_a_conflict(world, browse):
    concern = submit(world)
    client = browse("kari")
    assert client.post(f"/intake/{concern.public_id}/", {"outcome": "no_action", "rationale": "x"}).status_code == 302
    response = client.post(f"/intake/{concern.public_id}/", {"outcome": "no_action", "rationale": "y"})
    assert response.status_code == 409
    assert "already been triaged" in response.content.decode()


def test_the_intake_queue_says_what_each_concern_is_about_without_opening_it(world, browse):
    born = dt.date.today().replace(year=dt.date.today().year - 16) - dt.timedelta(days=1)
    submit(world, kind="online", urgency=Urgency.SOON, subject_birth_date=born)
    submit(world, kind="violence", anonymous=True)
    body = browse("kari").get("/intake/").content.decode()
    assert "Online activity or propaganda" in body and "Violence, threats or weapons" in body
    assert "16 years" in body and "Anonymous" in body  # the person's age, when given
    assert "School" in body  # the kind of organisation that reported
    assert "Test Person" not in body and "voldsforherligende" not in body  # no name, no text in the queue
