"""The DPO's queue of unusual access: who sees which alert, the review record, the pages and what they cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from utvei.audit.models import Action, AuditEvent
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.oversight import alerts as service
from utvei.oversight.detector import alerts_scan
from utvei.oversight.models import AccessAlert, AlertStatus

from .helpers import day_case, event, local, only

NOTE = "Snakket med lederen: vakt den kvelden"
NOT_DPO = ["kari", "ola", "per", "mona", "rolf", "anna", "adam", "atle"]


def night_alert(world, monkeypatch, username="ola", case=None, day=11):
    event(monkeypatch, local(2026, 3, day, 22), world.m[username], case=case)
    alerts_scan(rules=only("outside_office_hours"))
    return AccessAlert.objects.filter(user=world.m[username].user).latest("pk")


# ---- Scope -----------------------------------------------------------------------------------------------------


def test_a_dpo_sees_alerts_about_their_staff_and_their_cases_and_no_others(world, monkeypatch):
    staff = night_alert(world, monkeypatch, "ola")  # kommune's caseworker, some case
    case = day_case(world, monkeypatch)
    visitor = night_alert(world, monkeypatch, "arne", case=case)  # annen's caseworker on kommune's case
    elsewhere = night_alert(world, monkeypatch, "atle")  # annen's coordinator, not kommune's case
    spike = AccessAlert.objects.create(  # a rule over many cases: no case, so only the user's organisation's DPO
        rule="volume_spike",
        rule_version=1,
        user=world.m["arne"].user,
        organisation=world.orgs["annen"],
        window_start=local(2026, 3, 11),
        window_end=local(2026, 3, 12),
        first_seq=1,
        last_seq=1,
    )
    dina = set(service.alert_queue(actor=world.m["dina"], status="all"))
    dora = set(service.alert_queue(actor=world.m["dora"], status="all"))
    assert dina == {staff, visitor}
    assert dora == {visitor, elsewhere, spike}


def test_another_organisations_dpo_gets_404_for_the_alert_and_its_review(world, monkeypatch, browse):
    alert = night_alert(world, monkeypatch, "ola")
    with pytest.raises(NotFound):
        service.alert_get(actor=world.m["dora"], alert_id=alert.public_id)
    dora = browse("dora")
    assert dora.get(f"/audit/alerts/{alert.public_id}/").status_code == 404
    r = dora.post(f"/audit/alerts/{alert.public_id}/", {"decision": "justified"})
    assert r.status_code == 404
    alert.refresh_from_db()
    assert alert.pending


@pytest.mark.parametrize("username", NOT_DPO)
def test_other_roles_get_404_for_the_queue_and_an_alert(world, monkeypatch, client_for, username):
    alert = night_alert(world, monkeypatch, "ola")
    client = client_for(username)
    assert client.get("/audit/alerts/").status_code == 404
    assert client.get(f"/audit/alerts/{alert.public_id}/").status_code == 404
    assert client.post(f"/audit/alerts/{alert.public_id}/", {"decision": "justified"}).status_code == 404


# ---- The review record -------------------------------------------------------------------------------------------


def test_the_review_records_reviewer_decision_encrypted_note_and_time(world, monkeypatch):
    alert = night_alert(world, monkeypatch)
    done = service.alert_review(actor=world.m["dina"], alert=alert, decision="follow_up", note=NOTE)
    assert done.review_status == AlertStatus.FOLLOW_UP and done.reviewed_by == world.m["dina"].user
    assert done.reviewed_at is not None and done.review_note == NOTE
    with connection.cursor() as cur:
        cur.execute("SELECT review_note FROM oversight_accessalert WHERE id = %s", [alert.pk])
        (raw,) = cur.fetchone()
    assert NOTE not in raw
    (ev,) = AuditEvent.objects.filter(action=Action.ALERT_REVIEW)
    assert ev.actor_id == world.m["dina"].user_id and ev.object_id == str(alert.public_id)
    assert ev.reason == "follow_up" and NOTE not in ev.reason


def test_not_justified_and_follow_up_need_a_note_justified_does_not(world, monkeypatch):
    alert = night_alert(world, monkeypatch)
    for decision in ("not_justified", "follow_up"):
        with pytest.raises(UtveiError):
            service.alert_review(actor=world.m["dina"], alert=alert, decision=decision, note="  ")
    with pytest.raises(UtveiError):
        service.alert_review(actor=world.m["dina"], alert=alert, decision="approved")
    done = service.alert_review(actor=world.m["dina"], alert=alert, decision="justified")
    assert done.review_status == AlertStatus.JUSTIFIED and done.review_note == ""


def test_reviewing_twice_is_a_conflict_and_keeps_the_first_review(world, monkeypatch):
    alert = night_alert(world, monkeypatch, "arne", case=day_case(world, monkeypatch))  # both DPOs see it
    service.alert_review(actor=world.m["dina"], alert=alert, decision="justified")
    with pytest.raises(Conflict):
        service.alert_review(actor=world.m["dora"], alert=alert, decision="not_justified", note=NOTE)
    alert.refresh_from_db()
    assert alert.review_status == AlertStatus.JUSTIFIED and alert.reviewed_by == world.m["dina"].user


# ---- The pages -----------------------------------------------------------------------------------------------------


def test_the_queue_lists_the_oldest_waiting_first_and_reviewed_ones_after(world, monkeypatch, dpo):
    first = night_alert(world, monkeypatch, day=9)
    second = night_alert(world, monkeypatch, day=10)
    third = night_alert(world, monkeypatch, day=11)
    service.alert_review(actor=world.m["dina"], alert=first, decision="justified")
    assert list(service.alert_queue(actor=world.m["dina"], status="all")) == [second, third, first]
    r = dpo.get("/audit/alerts/")
    assert r.status_code == 200
    text = r.content.decode()
    assert text.index(str(second.public_id)) < text.index(str(third.public_id))
    assert str(first.public_id) not in text  # the default shows what waits
    assert "Access outside office hours" in text and "ola" in text
    assert AuditEvent.objects.filter(action=Action.ALERT_VIEW, reason="queue;pending").count() == 1


def test_the_dpo_reviews_an_alert_on_its_page(world, monkeypatch, dpo):
    alert = night_alert(world, monkeypatch)
    r = dpo.get(f"/audit/alerts/{alert.public_id}/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "outside office hours" in text and "version 1" in text
    assert "/audit/?user=ola&amp;from=2026-03-11&amp;to=2026-03-11" in text  # the events behind it
    r = dpo.post(f"/audit/alerts/{alert.public_id}/", {"decision": "not_justified", "note": ""})
    assert r.status_code == 400 and "Say what you found" in r.content.decode()
    r = dpo.post(f"/audit/alerts/{alert.public_id}/", {"decision": "not_justified", "note": NOTE})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.review_status == AlertStatus.NOT_JUSTIFIED and alert.review_note == NOTE
    r = dpo.get(f"/audit/alerts/{alert.public_id}/")
    assert NOTE in r.content.decode() and 'name="decision"' not in r.content.decode()


def test_the_start_page_shows_the_dpo_what_waits(world, monkeypatch, dpo):
    alert = night_alert(world, monkeypatch)
    r = dpo.get("/")
    text = r.content.decode()
    assert "1 alert waits for your review." in text and f"/audit/alerts/{alert.public_id}/" in text
    service.alert_review(actor=world.m["dina"], alert=alert, decision="justified")
    assert "0 alerts wait for your review." in dpo.get("/").content.decode()


def test_the_queue_page_costs_the_same_for_two_alerts_or_six(world, monkeypatch, dpo):
    for day in (9, 10):
        night_alert(world, monkeypatch, day=day)
    with CaptureQueriesContext(connection) as few:
        assert dpo.get("/audit/alerts/?status=all").status_code == 200
    case = day_case(world, monkeypatch)
    for day in (11, 12):
        night_alert(world, monkeypatch, day=day)
        night_alert(world, monkeypatch, "arne", case=case, day=day)
    with CaptureQueriesContext(connection) as many:
        r = dpo.get("/audit/alerts/?status=all")
    assert r.content.decode().count("data-alert=") == 6
    assert len(many) == len(few)


def test_the_start_page_costs_the_same_for_one_alert_or_five(world, monkeypatch, dpo):
    night_alert(world, monkeypatch, day=2)
    with CaptureQueriesContext(connection) as few:
        dpo.get("/")
    for day in (3, 4, 5, 6):
        night_alert(world, monkeypatch, day=day)
    with CaptureQueriesContext(connection) as many:
        dpo.get("/")
    assert len(many) == len(few)


def test_the_rules_words_come_from_the_file_in_the_pages_language(world, monkeypatch, client_for):
    alert = night_alert(world, monkeypatch)
    text = client_for("dina").get(f"/audit/alerts/{alert.public_id}/").content.decode()  # bokmål by default
    assert "Tilgang utenom kontortid" in text and "utenom kontortid (kveld, natt, helg eller helligdag)" in text
