"""Measurements and outcome events against the access table (tests/access/table.py): every viewer reads a record
exactly when the table says they would read a timeline entry of the same author and classification; without a
relation to the case, 404; each read is one audit event; withdrawal works on the next request."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.access.table import ENTRIES, TEAM, VIEWERS, expect, sees_case
from utvei.audit.models import Action, AuditEvent
from utvei.evaluation import services
from utvei.evaluation.models import Indicator

API = "/api/v1"


@pytest.fixture
def sc(world):
    case = world.open_case(name="Gate Person")
    for username, role in TEAM.items():
        if username != "kari":
            world.add(case, username, role=role)
    case.refresh_from_db()
    indicator = Indicator.objects.get(key="housing")
    made = {}
    for author, classification in ENTRIES:
        if author == "mona":  # mentors do not record outcomes
            continue
        m = services.measurement_record(
            actor=world.m[author],
            case=case,
            indicator=indicator,
            value=1,
            occasion="intake",
            measured_on=timezone.localdate(),
            classification=classification,
        )
        e = services.outcome_event_record(
            actor=world.m[author],
            case=case,
            kind="housing",
            occurred_on=timezone.localdate(),
            source="worker",
            classification=classification,
        )
        made[(author, classification)] = (str(m.public_id), str(e.public_id))
    return case, made


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_measurements_and_events_follow_the_table(world, sc, viewer):
    case, made = sc
    api = world.api(viewer)
    m_url = f"{API}/cases/{case.public_id}/measurements/?limit=100"
    e_url = f"{API}/cases/{case.public_id}/outcome-events/?limit=100"
    rm, re_ = api.get(m_url), api.get(e_url)
    if not sees_case(viewer):
        assert rm.status_code == 404 and re_.status_code == 404
        return
    assert rm.status_code == 200 and re_.status_code == 200
    measurements = {row["id"] for row in rm.json()["results"]}
    events = {row["id"] for row in re_.json()["results"]}
    for (author, classification), (mid, eid) in made.items():
        want = expect(viewer, author, classification).readable
        assert (mid in measurements) is want, (viewer, author, classification)
        assert (eid in events) is want, (viewer, author, classification)
    reads = AuditEvent.objects.filter(case_id=str(case.public_id), actor_id=world.m[viewer].user_id)
    assert reads.filter(action=Action.MEASUREMENT_LIST).count() == 1
    assert reads.filter(action=Action.OUTCOME_LIST).count() == 1
    body = rm.content.decode() + re_.content.decode()
    assert '"note"' not in body  # notes are never sent back in lists


def test_a_withdrawn_consent_closes_the_records_on_the_next_request(world, sc):
    case, made = sc
    api = world.api("per")
    url = f"{API}/cases/{case.public_id}/measurements/?limit=100"
    before = {row["id"] for row in api.get(url).json()["results"]}
    kari_team = made[("kari", "team")][0]
    assert kari_team in before
    from utvei.sharing.consent import services as sharing

    for consent in case.consents.all():
        if consent.scope_orgs.filter(slug="politi").exists():
            sharing.consent_withdraw(actor=world.m["kari"], consent=consent)
    after = {row["id"] for row in api.get(url).json()["results"]}
    assert kari_team not in after
    assert made[("per", "team")][0] in after  # what the police wrote, the police keep


def test_the_api_refuses_bad_input_without_a_server_error(world, sc):
    case, _made = sc
    api = world.api("kari")
    url = f"{API}/cases/{case.public_id}/measurements/"
    today = timezone.localdate().isoformat()
    bad = [
        {},
        {"indicator": "nope", "occasion": "intake", "measured_on": today, "value": 1},
        {"indicator": "housing", "occasion": "intake", "measured_on": today, "value": 9},
        {"indicator": "housing", "occasion": "follow_up_6", "measured_on": today, "value": 1},
        {"indicator": "housing", "occasion": "intake", "measured_on": "2999-01-01", "value": 1},
        {"indicator": "housing", "occasion": "intake", "measured_on": today, "value": 1.5},
        {"indicator": "working-alliance", "occasion": "intake", "measured_on": today, "value": 3},  # self-report only
        {"indicator": "housing", "occasion": "intake", "measured_on": today, "value": "NaN"},
    ]
    for payload in bad:
        r = api.post(url, payload, content_type="application/json")
        assert 400 <= r.status_code < 500, (payload, r.status_code, r.content)
        assert "error" in r.json()
    ok = api.post(
        url,
        {
            "indicator": "working-alliance",
            "occasion": "intake",
            "measured_on": today,
            "value": 4,
            "source": "self_report",
        },
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    # A correction names the measurement it corrects; nothing is overwritten.
    fixed = api.post(
        url,
        {
            "indicator": "working-alliance",
            "occasion": "intake",
            "measured_on": today,
            "value": 5,
            "source": "self_report",
            "corrects": ok.json()["id"],
        },
        content_type="application/json",
    )
    assert fixed.status_code == 201
    ids = {row["id"] for row in api.get(url + "?limit=100").json()["results"]}
    assert ok.json()["id"] in ids and fixed.json()["id"] in ids
    events = f"{API}/cases/{case.public_id}/outcome-events/"
    assert api.post(events, {"kind": "bad"}, content_type="application/json").status_code == 400
    assert (
        world.api("mona")
        .post(events, {"kind": "work", "occurred_on": today, "source": "person"}, content_type="application/json")
        .status_code
        == 403
    )
    assert world.api("kari").get(f"{API}/indicators/").json()["count"] >= 15
