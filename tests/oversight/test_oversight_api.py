"""The DPO's oversight in the API: the unusual-access queue and its review (alerts/), the access report
(access-reports/). Scoped like the pages: anyone else gets 404."""

from __future__ import annotations

import pytest

from tests.api.api_helpers import assert_error, send
from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors as case_selectors
from utvei.oversight.models import AlertStatus

from .helpers import day_case
from .test_alert_review import NOTE, night_alert


def test_the_dpo_lists_the_queue_and_reviews_an_alert(world, monkeypatch):
    alert = night_alert(world, monkeypatch)
    api = world.api("dina")
    r = send(api, "get", "alerts/")
    assert r.status_code == 200
    (row,) = r.json()["results"]
    assert row["id"] == str(alert.public_id) and row["rule"] == "outside_office_hours" and row["user"] == "ola"
    assert row["review_status"] == "pending" and row["rule_version"] == 1 and row["events"] == 1
    assert "score" not in row
    r = send(api, "post", f"alerts/{alert.public_id}/review/", {"decision": "follow_up"})
    assert_error(r, 422)
    r = send(api, "post", f"alerts/{alert.public_id}/review/", {"decision": "follow_up", "note": NOTE})
    assert r.status_code == 200 and r.json()["review_status"] == AlertStatus.FOLLOW_UP
    assert r.json()["reviewed_by"] == "dina" and r.json()["review_note"] == NOTE
    assert_error(send(api, "post", f"alerts/{alert.public_id}/review/", {"decision": "justified"}), 409)
    assert send(api, "get", "alerts/").json()["count"] == 0
    assert send(api, "get", "alerts/?status=reviewed").json()["count"] == 1
    assert AuditEvent.objects.filter(action=Action.ALERT_REVIEW).count() == 1


def test_a_bad_filter_or_decision_is_a_400(world, monkeypatch):
    alert = night_alert(world, monkeypatch)
    api = world.api("dina")
    assert_error(send(api, "get", "alerts/?status=everything"), 400)
    assert_error(send(api, "post", f"alerts/{alert.public_id}/review/", {"decision": "approved"}), 400)
    assert_error(send(api, "post", f"alerts/{alert.public_id}/review/", raw="[1]"), 400)


@pytest.mark.parametrize("username", ["dora", "kari", "ola", "anna", "adam"])
def test_anyone_but_the_alerts_dpo_gets_404(world, monkeypatch, username):
    alert = night_alert(world, monkeypatch)
    api = world.api(username)
    assert_error(send(api, "get", f"alerts/{alert.public_id}/"), 404)
    assert_error(send(api, "post", f"alerts/{alert.public_id}/review/", {"decision": "justified"}), 404)
    r = send(api, "get", "alerts/")
    if username == "dora":
        assert r.status_code == 200 and r.json()["count"] == 0
    else:
        assert_error(r, 404)


def test_the_access_report_in_the_api(world, monkeypatch):
    case = day_case(world, monkeypatch, name="Api Personsen")
    world.add(case, "per")
    case_selectors.case_get(actor=world.m["per"], case_id=case.public_id)
    api = world.api("dina")
    r = send(api, "post", "access-reports/search/", {"person": case.reference})
    assert r.status_code == 200 and r.json() == [{"id": str(case.person.public_id), "reference": case.person.reference}]
    r = send(api, "get", f"access-reports/{case.person.public_id}/")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert {row["basis"] for row in rows if row["user"] == "per" and row["action"] == "case.view"} == {"team"}
    assert AuditEvent.objects.filter(action=Action.ACCESS_REPORT, reason="api").count() == 1
    assert_error(send(world.api("dora"), "get", f"access-reports/{case.person.public_id}/"), 404)
    assert_error(send(world.api("kari"), "post", "access-reports/search/", {"person": case.reference}), 404)
