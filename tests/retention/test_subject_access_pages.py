"""The DPO's subject-access pages: who gets in, registering, the downloads in both languages, and the panel on the
start page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.retention.helpers import SECRET_POLICE, TEAM_TEXT, person_with_everything
from tests.retention.test_subject_access_services import NIN, _person, _register
from utvei.retention.models import RequestStatus, SubjectAccessRequest
from utvei.retention.subject_access import services

URL = "/subject-access/"


def test_only_a_dpo_opens_the_register(world: Any, client_for: Any) -> None:
    assert client_for("dina").get(URL).status_code == 200
    for username in ("kari", "anna", "adam", "rolf"):
        assert client_for(username).get(URL).status_code == 403, username


def test_the_dpo_registers_a_request_by_identity_number(world: Any, browse: Any) -> None:
    person = _person(world)
    response = browse("dina").post(
        URL, {"national_id": NIN, "received_via": "email", "received_on": dt.date.today().isoformat()}
    )
    assert response.status_code == 302
    made = SubjectAccessRequest.objects.get()
    assert made.person == person and made.received_via == "email"
    assert response["Location"] == f"/subject-access/{made.public_id}/"
    page = browse("dina").get(response["Location"]).content.decode()
    assert person.reference in page and "Ida" not in page  # the person by reference, never by name


def test_a_person_outside_the_organisations_cases_is_not_found_on_the_form(world: Any, browse: Any) -> None:
    _person(world)
    response = browse("dora").post(
        URL, {"national_id": NIN, "received_via": "email", "received_on": dt.date.today().isoformat()}
    )
    assert response.status_code == 400
    assert "No person was found" in response.content.decode()
    assert not SubjectAccessRequest.objects.exists()


def test_the_form_asks_for_an_identity_number_or_a_name_and_birth_date(world: Any, browse: Any) -> None:
    response = browse("dina").post(URL, {"received_via": "email", "received_on": dt.date.today().isoformat()})
    assert response.status_code == 400


def test_another_organisations_request_is_not_found(world: Any, client_for: Any) -> None:
    made = _register(world, _person(world))
    for path in ("", "export.json", "export.pdf?lang=en"):
        assert client_for("dora").get(f"{URL}{made.public_id}/{path}").status_code == 404
    assert client_for("dora").post(f"{URL}{made.public_id}/answer/").status_code == 404
    assert client_for("kari").get(f"{URL}{made.public_id}/").status_code == 403


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_export_downloads_as_json_html_and_pdf(world: Any, client_for: Any, lang: str) -> None:
    sara = person_with_everything(world)
    made = SubjectAccessRequest.objects.get(person=sara.person)
    client = client_for("dina")
    raw = client.get(f"{URL}{made.public_id}/export.json?lang={lang}")
    assert raw.status_code == 200 and raw["Cache-Control"] == "no-store"
    data = json.loads(raw.content)
    assert data["format"] == "utvei-subject-access" and data["request"]["id"] == str(made.public_id)
    html = client.get(f"{URL}{made.public_id}/export.html?lang={lang}")
    text = html.content.decode()
    assert html.status_code == 200 and f'<html lang="{lang}">' in text
    assert TEAM_TEXT in text and SECRET_POLICE not in text
    heading = "Alt Utvei har om deg" if lang == "nb" else "Everything Utvei holds about you"
    if lang == "en":
        assert heading in text
    pdf = client.get(f"{URL}{made.public_id}/export.pdf?lang={lang}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    made.refresh_from_db()
    assert made.last_export_at is not None


def test_a_bad_format_or_language_is_a_400(world: Any, client_for: Any) -> None:
    made = _register(world, _person(world))
    assert client_for("dina").get(f"{URL}{made.public_id}/export.xml").status_code == 400
    assert client_for("dina").get(f"{URL}{made.public_id}/export.pdf?lang=de").status_code == 400


def test_extend_refuse_and_answer_from_the_page(world: Any, client_for: Any) -> None:
    client = client_for("dina")
    made = _register(world, _person(world))
    assert client.post(f"{URL}{made.public_id}/extend/", {"reason": ""}).status_code == 400
    assert client.post(f"{URL}{made.public_id}/extend/", {"reason": "Stor sak"}).status_code == 302
    assert client.post(f"{URL}{made.public_id}/answer/").status_code == 409  # no export yet
    client.get(f"{URL}{made.public_id}/export.json")
    assert client.post(f"{URL}{made.public_id}/answer/").status_code == 302
    made.refresh_from_db()
    assert made.status == RequestStatus.ANSWERED
    other = _register(world, made.person)
    assert client.post(f"{URL}{other.public_id}/refuse/", {"reason": "Grunnløs"}).status_code == 302
    other.refresh_from_db()
    assert other.status == RequestStatus.REFUSED


def test_the_dpos_start_page_shows_open_requests_until_answered_overdue_first(world: Any, browse: Any) -> None:
    person = _person(world)
    late = _register(world, person, dt.date.today() - dt.timedelta(days=40))
    soon = _register(world, person, dt.date.today())
    page = browse("dina").get("/").content.decode()
    assert "Subject-access requests" in page
    assert page.index(str(late.public_id)) < page.index(str(soon.public_id))
    assert "Overdue" in page
    services.request_export(actor=world.m["dina"], request=late, fmt="json")
    services.request_answer(actor=world.m["dina"], request=late)
    page = browse("dina").get("/").content.decode()
    assert str(late.public_id) not in page and str(soon.public_id) in page
    assert "Subject-access requests" not in browse("kari").get("/").content.decode()


def test_the_register_reads_a_constant_number_of_queries(world: Any, client_for: Any) -> None:
    person = _person(world)
    client = client_for("dina")
    _register(world, person)
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for _ in range(4):
        _register(world, person)
    with CaptureQueriesContext(connection) as five:
        assert client.get(URL).status_code == 200
    assert len(five) == len(one)
