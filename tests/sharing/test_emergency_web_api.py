"""Emergency access through the pages (/emergency/, the case banner, /audit/emergency/, /audit/?case=,
/me/notifications/) and the API (emergency-access/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.accounts.models import Notification
from utvei.audit.models import Action, AuditEvent
from utvei.core.vocabulary import Classification
from utvei.sharing.models import EmergencyAccess, ReviewStatus

from ..api.api_helpers import API, assert_error, send
from .helpers import assert_no_content

REASON = "Meldt savnet etter trusler; trenger kontaktinfo til teamet"


@pytest.fixture
def ecase(world: Any) -> Any:
    case = world.open_case(name="Web Emergency Person")
    world.add(case, "ola")
    world.add(case, "per")
    world.entry(case, "ola", Classification.TEAM, body="TEAM-BODY-TEXT")
    world.entry(case, "per", Classification.POLICE, body="POLICE-BODY-TEXT")
    case.refresh_from_db()
    return case


def form(case: Any, **kw: Any) -> dict[str, Any]:
    return {"case_reference": case.reference, "reason_code": "missing", "reason_text": REASON, "hours": "4", **kw}


def open_web(browse: Any, case: Any, username: str = "atle", **kw: Any) -> Any:
    client = browse(username)
    response = client.post("/emergency/", form(case, **kw))
    return client, response


def expire(access: EmergencyAccess | None = None) -> None:
    qs = EmergencyAccess.objects.all() if access is None else EmergencyAccess.objects.filter(pk=access.pk)
    qs.update(expires_at=timezone.now() - dt.timedelta(seconds=1))


# ---- The form ------------------------------------------------------------------------------------------


def test_the_form_warns_and_is_accessible(world, browse):
    response = browse("atle").get("/emergency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The use is logged" in html and "data protection officer reviews every use" in html
    assert "The case lead and the data protection officer are told" in html
    assert "<fieldset" in html and "<legend" in html and 'for="id_reason_text"' in html
    assert 'type="radio"' in html and 'name="hours"' in html
    assert 'href="/emergency/"' in html  # the nav link, for roles that can use it


def test_atle_opens_the_case_sees_the_banner_and_team_entries_but_cannot_write(world, browse, ecase):
    client, response = open_web(browse, ecase)
    assert response.status_code == 302 and response["Location"] == f"/cases/{ecase.public_id}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "You have emergency access until" in html and "Every read is logged and reviewed." in html
    assert "End emergency access" in html and 'id="emergency-banner"' in html
    assert "emergency access (read only, time-limited)" in html
    assert "Emergency access is open" in html  # the message after the redirect
    assert "TEAM-BODY-TEXT" in html and "POLICE-BODY-TEXT" not in html
    assert f'href="/cases/{ecase.public_id}/entries/new/"' not in html
    assert client.get(f"/cases/{ecase.public_id}/entries/new/").status_code == 403
    denied = client.post(f"/cases/{ecase.public_id}/tasks/", {"title": "x", "assignee": "ola"})
    assert denied.status_code == 403
    assert not ecase.tasks.filter(title="x").exists()


def test_the_sharing_page_under_emergency_access_has_no_forms_and_refuses_a_post(world, browse, ecase):
    consent = world.consent(ecase, "nav")
    withdraw = f"/cases/{ecase.public_id}/sharing/consents/{consent.public_id}/withdraw/"
    assert withdraw in browse("kari").get(f"/cases/{ecase.public_id}/sharing/").content.decode()
    client, _response = open_web(browse, ecase)
    html = client.get(f"/cases/{ecase.public_id}/sharing/").content.decode()
    assert withdraw not in html
    assert 'name="given_by"' not in html and 'name="legal_basis"' not in html
    denied = client.post(withdraw, {"note": "prøver"})
    assert denied.status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_the_banner_is_only_for_emergency_access(world, browse, ecase):
    html = browse("kari").get(f"/cases/{ecase.public_id}/").content.decode()
    assert "emergency-banner" not in html


def test_after_the_window_the_next_request_is_404(world, browse, ecase):
    client, _response = open_web(browse, ecase)
    assert client.get(f"/cases/{ecase.public_id}/").status_code == 200
    expire()
    assert client.get(f"/cases/{ecase.public_id}/").status_code == 404
    assert ecase.reference not in client.get("/cases/").content.decode()


@pytest.mark.parametrize("username", ["mona", "rolf", "anna", "dina", "adam"])
def test_other_roles_get_a_clear_refusal(world, browse, ecase, username):
    client = browse(username)
    response = client.get("/emergency/")
    assert response.status_code == 403
    assert "Your role cannot use emergency access" in response.content.decode()
    assert client.post("/emergency/", form(ecase)).status_code == 403
    assert not EmergencyAccess.objects.exists()
    assert 'href="/emergency/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"reason_text": ""}, "This field is required."),
        ({"reason_code": ""}, "This field is required."),
        ({"case_reference": ""}, "Give the case reference or the person"),
        ({"national_id": "01019012345"}, "not both"),
        ({"case_reference": "", "national_id": "12"}, "11 digits"),
        ({"case_reference": "UTV-1999-000000-1"}, "No case matches"),
        ({"hours": "9"}, "Select a valid choice"),
        ({"reason_text": "x" * 2001}, "at most 2000"),
    ],
)
def test_errors_are_form_errors_never_5xx(world, browse, ecase, kw, message):
    _client, response = open_web(browse, ecase, **kw)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert not EmergencyAccess.objects.exists()


def test_errors_are_in_the_users_language(world, client_for, ecase):
    response = client_for("atle").post("/emergency/", form(ecase, reason_text=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="nb">' in html and "Dette feltet er påkrevd." in html


def test_opening_again_or_with_a_relation_just_goes_to_the_case(world, browse, ecase):
    _client, first = open_web(browse, ecase)
    client, again = open_web(browse, ecase)
    assert again.status_code == 302 and EmergencyAccess.objects.count() == 1
    assert "You already have emergency access" in client.get(again["Location"]).content.decode()
    kari, response = open_web(browse, ecase, username="kari")
    assert response.status_code == 302 and response["Location"] == f"/cases/{ecase.public_id}/"
    assert "You can already see this case" in kari.get(response["Location"]).content.decode()
    assert EmergencyAccess.objects.count() == 1


def test_ending_it_from_the_banner(world, browse, ecase):
    client, _response = open_web(browse, ecase)
    access = EmergencyAccess.objects.get()
    assert browse("arne").post(f"/emergency/{access.public_id}/end/").status_code == 404
    response = client.post(f"/emergency/{access.public_id}/end/")
    assert response.status_code == 302 and response["Location"] == "/emergency/"
    page = client.get("/emergency/").content.decode()
    assert "Your emergency access has ended." in page and ecase.reference in page and "Ended" in page
    assert client.get(f"/cases/{ecase.public_id}/").status_code == 404
    again = client.post(f"/emergency/{access.public_id}/end/", follow=True)
    assert "already ended" in again.content.decode()


# ---- The DPO's queue and the case's access report -------------------------------------------------------


def test_the_queue_shows_it_pending_and_the_dpo_approves(world, browse, dpo, ecase):
    open_web(browse, ecase)
    access = EmergencyAccess.objects.get()
    response = dpo.get("/audit/emergency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "atle" in html and "Annenby kommune" in html and REASON in html and ecase.reference in html
    assert "Waiting for review" in html and "The person is missing" in html and "Coordinator" in html
    assert f'action="/audit/emergency/{access.public_id}/review/"' in html
    assert 'href="/audit/emergency/"' in dpo.get("/audit/").content.decode()
    ok = dpo.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "approved", "status_filter": "all"})
    assert ok.status_code == 302 and ok["Location"] == "/audit/emergency/?status=all"
    access.refresh_from_db()
    assert access.review_status == ReviewStatus.APPROVED
    assert "Nothing is waiting for review." in dpo.get("/audit/emergency/").content.decode()
    assert "Approved" in dpo.get("/audit/emergency/?status=all").content.decode()
    twice = dpo.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "flagged", "note": "Nei"})
    assert twice.status_code == 409 and "already been reviewed" in twice.content.decode()


def test_flag_without_a_note_is_a_form_error(world, browse, ecase):
    open_web(browse, ecase)
    access = EmergencyAccess.objects.get()
    dora = browse("dora")
    assert access.public_id.hex in dora.get("/audit/emergency/").content.decode()
    bad = dora.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "flagged", "note": ""})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    assert "Say why you flag this use." in bad.content.decode()
    good = dora.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "flagged", "note": "Ikke nødvendig"})
    assert good.status_code == 302
    access.refresh_from_db()
    assert access.review_status == ReviewStatus.FLAGGED and access.ended_at is not None


@pytest.mark.parametrize("username", ["kari", "atle", "mona", "rolf"])
def test_the_queue_is_for_dpos_only(world, browse, ecase, username):
    open_web(browse, ecase)
    access = EmergencyAccess.objects.get()
    client = browse(username)
    assert client.get("/audit/emergency/").status_code == 404
    assert client.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "approved"}).status_code == 404
    assert EmergencyAccess.objects.get().review_status == ReviewStatus.PENDING


def test_the_case_access_report_lists_the_emergency_access_and_the_reads(world, browse, dpo, ecase):
    client, _response = open_web(browse, ecase)
    client.get(f"/cases/{ecase.public_id}/")
    response = dpo.get("/audit/", {"case": ecase.reference})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Emergency access to this case" in html and "Waiting for review" in html
    section = html.split('id="case-emergency"')[1].split("</section>")[0]
    assert "atle" in section and "Annenby kommune" in section and "The person is missing" in section
    assert 'href="/audit/emergency/?status=all"' in section
    rows = {(r.action, r.reason, r.actor) for r in response.context["rows"]}
    assert (Action.EMERGENCY_OPEN, "missing;4h", "atle") in rows
    assert (Action.CASE_VIEW, "emergency", "atle") in rows
    assert REASON not in html.split('id="case-emergency"')[0]  # the text is in the queue, not in the report
    other = dpo.get("/audit/", {"case": world.open_case(name="Quiet").reference}).content.decode()
    assert "No emergency access to this case that you oversee." in other
    assert "Emergency access to this case" not in dpo.get("/audit/").content.decode()


def test_no_audit_row_holds_the_reason_text(world, browse, dpo, ecase):
    client, _response = open_web(browse, ecase)
    client.get(f"/cases/{ecase.public_id}/")
    dpo.get("/audit/emergency/")
    access = EmergencyAccess.objects.get()
    dpo.post(f"/audit/emergency/{access.public_id}/review/", {"decision": "flagged", "note": "DPO-NOTE-TEXT"})
    assert_no_content(list(AuditEvent.objects.all()), REASON, "DPO-NOTE-TEXT", "Web Emergency Person")


# ---- Notifications -------------------------------------------------------------------------------------


def test_the_lead_and_the_dpo_see_a_notification_with_a_badge(world, browse, ecase):
    open_web(browse, ecase)
    kari = browse("kari")
    home = kari.get("/").content.decode()
    assert 'href="/me/notifications/"' in home and "(1 unread)" in home
    page = kari.get("/me/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "atle (Annenby kommune) opened case" in html and ecase.reference in html
    note = Notification.objects.get(user=world.m["kari"].user)
    follow = kari.get(f"/me/notifications/{note.pk}/open/")
    assert follow.status_code == 302 and follow["Location"] == f"/cases/{ecase.public_id}/"
    assert "unread)" not in kari.get("/").content.decode()

    dina = browse("dina")
    dnote = Notification.objects.get(user=world.m["dina"].user)
    assert dina.get(f"/me/notifications/{dnote.pk}/open/")["Location"] == "/audit/emergency/?status=all"
    assert dina.get(f"/me/notifications/{note.pk}/open/").status_code == 404  # kari's, not hers
    assert dina.post("/me/notifications/read/", {"id": "x"}).status_code == 404
    assert browse("dora").post("/me/notifications/read/").status_code == 302
    assert not Notification.objects.filter(user=world.m["dora"].user, read_at__isnull=True).exists()
    assert not Notification.objects.filter(user=world.m["atle"].user).exists()


def test_mark_one_read(world, browse, ecase):
    open_web(browse, ecase)
    note = Notification.objects.get(user=world.m["kari"].user)
    kari = browse("kari")
    assert kari.post("/me/notifications/read/", {"id": str(note.pk)}).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert "You have no notifications." in browse("ola").get("/me/notifications/").content.decode()


def test_the_notifications_page_makes_a_constant_number_of_queries(world, browse, ecase):
    kari = browse("kari")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert kari.get("/me/notifications/").status_code == 200
        return len(ctx.captured_queries)

    open_web(browse, ecase)
    few = count()
    for username in ("arne",):
        open_web(browse, ecase, username=username)
    for _i in range(3):
        expire()
        open_web(browse, ecase)
    assert Notification.objects.filter(user=world.m["kari"].user).count() == 5
    assert count() == few


# ---- API -----------------------------------------------------------------------------------------------


def api_open(world: Any, username: str, case: Any, **kw: Any) -> Any:
    data = {"case_reference": case.reference, "reason_code": "acute_violence", "reason_text": REASON, **kw}
    return send(world.api(username), "post", "emergency-access/", data)


def test_api_open_read_and_no_write(world, ecase):
    r = api_open(world, "atle", ecase, hours=3)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["case"] == str(ecase.public_id) and body["case_reference"] == ecase.reference
    assert body["user"] == "atle" and body["organisation"] == "annen" and body["role"] == "coordinator"
    assert body["active"] is True and body["review_status"] == "pending" and "review_note" not in body
    assert body["reason_text"] == REASON
    api = world.api("atle")
    case = send(api, "get", f"cases/{ecase.public_id}/")
    assert case.status_code == 200 and case.json()["reference"] == ecase.reference
    entries = send(api, "get", f"cases/{ecase.public_id}/entries/").json()["results"]
    bodies = [e.get("body") for e in entries]
    assert "TEAM-BODY-TEXT" in bodies and "POLICE-BODY-TEXT" not in bodies
    assert any(e.get("restricted") for e in entries)
    write = send(
        api, "post", f"cases/{ecase.public_id}/entries/", {"kind": "note", "classification": "team", "body": "x"}
    )
    assert_error(write, 403, "forbidden")
    task = send(api, "post", "tasks/", {"case": str(ecase.public_id), "title": "x"})
    assert_error(task, 403, "forbidden")
    assert not ecase.entries.filter(author=world.m["atle"].user).exists()
    again = api_open(world, "atle", ecase)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    mine = send(api, "get", "emergency-access/").json()
    assert mine["count"] == 1 and mine["results"][0]["id"] == body["id"]
    reasons = set(AuditEvent.objects.filter(actor_id=world.m["atle"].user.pk).values_list("reason", flat=True))
    assert "emergency" in reasons


def test_api_after_the_window_is_404(world, ecase):
    assert api_open(world, "atle", ecase).status_code == 201
    api = world.api("atle")
    assert send(api, "get", f"cases/{ecase.public_id}/").status_code == 200
    expire()
    assert_error(send(api, "get", f"cases/{ecase.public_id}/"), 404, "not_found")
    assert_error(send(api, "get", f"cases/{ecase.public_id}/entries/"), 404, "not_found")
    assert send(api, "get", "emergency-access/").json()["results"][0]["active"] is False


def test_api_errors(world, ecase):
    assert_error(api_open(world, "kari", ecase), 409, "already_visible")
    assert api_open(world, "kari", ecase).json()["case"] == str(ecase.public_id)
    for username in ("mona", "rolf", "anna", "dina"):
        assert_error(api_open(world, username, ecase), 403, "forbidden")
    for username in ("mona", "rolf", "anna"):
        assert_error(send(world.api(username), "get", "emergency-access/"), 403, "forbidden")
    assert_error(api_open(world, "atle", ecase, reason_text=""), 400, "invalid")
    assert_error(api_open(world, "atle", ecase, reason_code="bored"), 400, "invalid")
    assert_error(api_open(world, "atle", ecase, hours=9), 422, "invalid")
    assert_error(api_open(world, "atle", ecase, hours=0), 400, "invalid")
    assert_error(api_open(world, "atle", ecase, case_reference="UTV-1999-000000-1"), 422, "no_match")
    assert_error(api_open(world, "atle", ecase, case_reference="", national_id="01019012345"), 422, "no_match")
    assert_error(api_open(world, "atle", ecase, case_reference=""), 422, "case_required")
    assert_error(api_open(world, "atle", ecase, national_id="0101"), 422, "case_ambiguous")
    assert_error(api_open(world, "atle", ecase, case_reference="", national_id="0101"), 422, "invalid_nin")
    assert_error(send(world.api("atle"), "post", "emergency-access/", raw="[1]"), 400)
    assert_error(api_open(world, "atle", ecase, reason_text=["x"]), 400)
    assert not EmergencyAccess.objects.exists()


def test_api_end(world, ecase):
    access_id = api_open(world, "atle", ecase).json()["id"]
    assert_error(send(world.api("arne"), "post", f"emergency-access/{access_id}/end/"), 404, "not_found")
    r = send(world.api("atle"), "post", f"emergency-access/{access_id}/end/")
    assert r.status_code == 200 and r.json()["ended_at"] and r.json()["active"] is False
    assert_error(send(world.api("atle"), "get", f"cases/{ecase.public_id}/"), 404)
    assert_error(send(world.api("atle"), "post", f"emergency-access/{access_id}/end/"), 409, "conflict")


def test_api_review_queue_and_review(world, ecase):
    access_id = api_open(world, "atle", ecase).json()["id"]
    dina = world.api("dina")
    queue = send(dina, "get", "emergency-access/?status=pending").json()
    assert queue["count"] == 1 and queue["results"][0]["id"] == access_id
    assert queue["results"][0]["reason_text"] == REASON and queue["results"][0]["review_note"] == ""
    assert send(world.api("dora"), "get", "emergency-access/").json()["count"] == 1
    assert_error(send(dina, "get", "emergency-access/?status=maybe"), 400, "invalid")
    bad = send(dina, "post", f"emergency-access/{access_id}/review/", {"decision": "flagged"})
    assert_error(bad, 422, "required")
    assert_error(send(dina, "post", f"emergency-access/{access_id}/review/", {"decision": "x"}), 400, "invalid")
    for username in ("kari", "atle"):
        r = send(world.api(username), "post", f"emergency-access/{access_id}/review/", {"decision": "approved"})
        assert_error(r, 404, "not_found")
    ok = send(dina, "post", f"emergency-access/{access_id}/review/", {"decision": "approved", "note": "Greit"})
    assert ok.status_code == 200 and ok.json()["review_status"] == "approved" and ok.json()["reviewed_by"] == "dina"
    twice = send(world.api("dora"), "post", f"emergency-access/{access_id}/review/", {"decision": "approved"})
    assert_error(twice, 409, "conflict")
    assert send(dina, "get", "emergency-access/?status=pending").json()["count"] == 0
    assert send(dina, "get", "emergency-access/").json()["count"] == 1
    assert_error(send(dina, "post", "emergency-access/not-a-uuid/review/", {"decision": "approved"}), 404)


def test_the_schema_documents_emergency_access(db):
    schema = yaml.safe_load(Client().get(API + "schema/").content)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/emergency-access/"])
    assert "post" in paths["/api/v1/emergency-access/{access_id}/end/"]
    assert "post" in paths["/api/v1/emergency-access/{access_id}/review/"]


def test_the_queue_makes_a_constant_number_of_queries(world, browse, dpo, ecase):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert dpo.get("/audit/emergency/?status=all").status_code == 200
        return len(ctx.captured_queries)

    open_web(browse, ecase)
    few = count()
    for username in ("arne", "atle", "atle"):
        expire()
        open_web(browse, ecase, username=username)
    assert EmergencyAccess.objects.count() == 4
    assert count() == few


@pytest.mark.parametrize("path", ["/emergency/", "/audit/emergency/", "/me/notifications/"])
def test_the_pages_need_a_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
