"""The unusual-access detector: each rule of alert_rules.yaml, a hit and a near miss; incremental and idempotent."""

from __future__ import annotations

import datetime as dt
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from utvei.audit.models import Action, AuditEvent
from utvei.oversight.detector import alerts_scan
from utvei.oversight.models import AccessAlert, AlertScan
from utvei.oversight.rules import RulesError, load_rules, norwegian_holidays, parse_rules

from .helpers import FILE, CaseRef, event, local, only

pytestmark = pytest.mark.django_db
WEDNESDAY = (2026, 3, 11)


def alerts(rule: str) -> list[AccessAlert]:
    return list(AccessAlert.objects.filter(rule=rule).order_by("window_start", "pk"))


# ---- The rules file -------------------------------------------------------------------------------------------


def test_the_rules_file_loads_with_every_rule_versioned_and_worded_in_both_languages():
    rules = load_rules()
    assert set(rules.rules) == {
        "emergency_access",
        "volume_spike",
        "outside_office_hours",
        "other_jurisdiction",
        "repeated_emergency",
    }
    for rule in rules.rules.values():
        assert rule.version >= 1 and rule.enabled
        assert rule.title["nb"] and rule.title["en"] and rule.reason["nb"] and rule.reason["en"]


@pytest.mark.parametrize(
    ("rule", "params"),
    [
        ("volume_spike", {"window_hours": 5}),
        ("volume_spike", {"baseline_multiple": 1}),
        ("outside_office_hours", {"weekdays": ["monday"]}),
        ("outside_office_hours", {"start": "19:00"}),
        ("repeated_emergency", {"count": 1}),
        ("repeated_emergency", {"version": 0}),
    ],
)
def test_a_rules_file_the_detector_cannot_use_is_refused_with_the_reason(rule, params):
    data = {**FILE, "rules": {**FILE["rules"], rule: {**FILE["rules"][rule], **params}}}
    with pytest.raises(RulesError, match=rule):
        parse_rules(data)


def test_norwegian_public_holidays_follow_easter():
    days = norwegian_holidays(2026)  # Easter Sunday 5 April 2026
    assert dt.date(2026, 4, 2) in days and dt.date(2026, 4, 3) in days and dt.date(2026, 4, 6) in days
    assert dt.date(2026, 5, 14) in days and dt.date(2026, 5, 25) in days  # Ascension, Whit Monday
    assert dt.date(2026, 5, 17) in days and dt.date(2026, 12, 26) in days
    assert dt.date(2026, 4, 7) not in days and dt.date(2026, 5, 13) not in days


# ---- Emergency access ---------------------------------------------------------------------------------------


def test_every_emergency_access_is_queued_with_its_window_and_the_access(world, monkeypatch):
    arne, case = world.m["arne"], CaseRef()
    access_id = str(uuid.uuid4())
    at = local(*WEDNESDAY, 10)
    event(monkeypatch, at, arne, action=Action.EMERGENCY_OPEN, case=case, reason="missing;3h", object_id=access_id)
    alerts_scan(rules=only("emergency_access"))
    (alert,) = alerts("emergency_access")
    assert alert.user == arne.user and alert.organisation == arne.organisation
    assert alert.case_public_id == case.public_id and alert.ref == access_id and alert.rule_version == 1
    assert alert.window_start == at and alert.window_end == at + dt.timedelta(hours=3)


def test_an_emergency_read_is_not_an_emergency_access_of_its_own(world, monkeypatch):
    event(monkeypatch, local(*WEDNESDAY, 10), world.m["arne"], reason="emergency")
    alerts_scan(rules=only("emergency_access"))
    assert alerts("emergency_access") == []


# ---- Volume spikes ------------------------------------------------------------------------------------------


def test_reading_more_distinct_cases_in_a_day_than_the_limit_is_a_hit(world, monkeypatch):
    ola = world.m["ola"]
    for i in range(4):
        event(monkeypatch, local(*WEDNESDAY, 9, i), ola)
    event(monkeypatch, local(*WEDNESDAY, 9, 30), ola, action=Action.CASE_UPDATE)  # a write: not a read
    alerts_scan(rules=only("volume_spike", max_cases=3))
    (alert,) = alerts("volume_spike")
    assert alert.cases == 4 and alert.events == 4 and alert.threshold == 3 and alert.case_public_id == ""
    assert alert.window_start == local(*WEDNESDAY) and alert.window_end == local(2026, 3, 12)


def test_reading_as_many_cases_as_the_limit_or_the_same_case_often_is_not(world, monkeypatch):
    ola, same = world.m["ola"], CaseRef()
    for i in range(3):
        event(monkeypatch, local(*WEDNESDAY, 9, i), ola)
    for i in range(10):
        event(monkeypatch, local(*WEDNESDAY, 11, i), ola, case=same)
    for i in range(3):
        event(monkeypatch, local(2026, 3, 12, 9, i), ola)  # the next day is a window of its own
    alerts_scan(rules=only("volume_spike", max_cases=4))
    assert alerts("volume_spike") == []


def test_reading_many_times_ones_own_usual_number_is_a_hit(world, monkeypatch):
    ola = world.m["ola"]
    for day in range(1, 11):  # one case a day for the ten days before
        event(monkeypatch, local(2026, 3, day, 10), ola)
    for i in range(4):
        event(monkeypatch, local(*WEDNESDAY, 9, i), ola)
    rules = only("volume_spike", max_cases=100, baseline_days=10, baseline_multiple=3, baseline_min_cases=3)
    alerts_scan(rules=rules)
    (alert,) = alerts("volume_spike")
    assert alert.cases == 4 and alert.baseline == 1.0 and alert.threshold == 3


def test_three_times_ones_usual_number_is_not_more_than_three_times_it(world, monkeypatch):
    ola = world.m["ola"]
    for day in range(1, 11):
        event(monkeypatch, local(2026, 3, day, 10), ola)
    for i in range(3):
        event(monkeypatch, local(*WEDNESDAY, 9, i), ola)
    rules = only("volume_spike", max_cases=100, baseline_days=10, baseline_multiple=3, baseline_min_cases=3)
    alerts_scan(rules=rules)
    assert alerts("volume_spike") == []


# ---- Outside office hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [local(*WEDNESDAY, 21, 5), local(*WEDNESDAY, 6, 59), local(2026, 3, 14, 11), local(2026, 5, 14, 10)],
    ids=["evening", "early", "saturday", "ascension-day"],
)
def test_access_outside_office_hours_is_a_hit(world, monkeypatch, moment):
    event(monkeypatch, moment, world.m["ola"])
    alerts_scan(rules=only("outside_office_hours"))
    (alert,) = alerts("outside_office_hours")
    assert alert.events == 1 and alert.window_start == local(*moment.timetuple()[:3])


@pytest.mark.parametrize(
    "moment",
    [local(*WEDNESDAY, 7), local(*WEDNESDAY, 17, 59), local(2026, 5, 13, 10)],
    ids=["opening", "closing", "day-before-ascension"],
)
def test_access_within_office_hours_is_not(world, monkeypatch, moment):
    event(monkeypatch, moment, world.m["ola"])
    alerts_scan(rules=only("outside_office_hours"))
    assert alerts("outside_office_hours") == []


def test_a_dpo_looking_at_the_log_at_night_is_not_an_access_to_a_case(world, monkeypatch):
    event(monkeypatch, local(*WEDNESDAY, 23), world.m["dina"], action=Action.AUDIT_VIEW)
    alerts_scan(rules=only("outside_office_hours"))
    assert alerts("outside_office_hours") == []


def test_one_alert_per_user_case_and_day_however_many_accesses(world, monkeypatch):
    one, other = CaseRef(), CaseRef()
    for minute in range(5):
        event(monkeypatch, local(*WEDNESDAY, 22, minute), world.m["ola"], case=one)
    event(monkeypatch, local(*WEDNESDAY, 23), world.m["ola"], case=other)
    alerts_scan(rules=only("outside_office_hours"))
    found = {a.case_public_id: a.events for a in alerts("outside_office_hours")}
    assert found == {one.public_id: 5, other.public_id: 1}


# ---- Another jurisdiction's case -----------------------------------------------------------------------------


def test_access_by_an_organisation_outside_the_cases_circle_is_a_hit(world, monkeypatch):
    case = world.open_case()
    event(monkeypatch, local(*WEDNESDAY, 10), world.m["atle"], case=case)
    alerts_scan(rules=only("other_jurisdiction"))
    (alert,) = alerts("other_jurisdiction")
    assert alert.user == world.m["atle"].user and alert.case_public_id == str(case.public_id)


def test_the_owner_a_team_organisation_and_an_emergency_read_are_not(world, monkeypatch):
    case = world.open_case()
    world.add(case, "per")
    at = local(2099, 3, 11, 10)  # after the team rows began
    event(monkeypatch, at, world.m["kjell"], case=case)  # the owner's coordinator, not on the team
    event(monkeypatch, at, world.m["per"], case=case)  # police, on the team
    event(monkeypatch, at, world.m["arne"], case=case, reason="emergency")  # has its own rule
    alerts_scan(rules=only("other_jurisdiction"))
    assert alerts("other_jurisdiction") == []


def test_a_team_organisation_before_it_joined_is_outside_the_circle(world, monkeypatch):
    case = world.open_case()
    world.add(case, "per")
    event(monkeypatch, local(2020, 1, 6, 10), world.m["per"], case=case)
    alerts_scan(rules=only("other_jurisdiction"))
    assert len(alerts("other_jurisdiction")) == 1


def test_different_region_only_narrows_the_rule_to_recorded_differing_jurisdictions(world, monkeypatch):
    case = world.open_case()
    event(monkeypatch, local(*WEDNESDAY, 10), world.m["atle"], case=case)
    rules = only("other_jurisdiction", different_region_only=True)
    alerts_scan(rules=rules)
    assert alerts("other_jurisdiction") == []  # neither organisation has a jurisdiction recorded
    world.orgs["kommune"].jurisdiction = "Testby"
    world.orgs["kommune"].save()
    world.orgs["annen"].jurisdiction = "Annenby"
    world.orgs["annen"].save()
    event(monkeypatch, local(2026, 3, 12, 10), world.m["atle"], case=case)
    alerts_scan(rules=rules)
    assert len(alerts("other_jurisdiction")) == 1


# ---- Repeated emergency use ----------------------------------------------------------------------------------


def emergency(monkeypatch, world, at):
    return event(monkeypatch, at, world.m["arne"], action=Action.EMERGENCY_OPEN, reason="missing;4h")


def test_k_emergency_accesses_within_n_days_is_a_hit_and_later_ones_join_it(world, monkeypatch):
    for day in (1, 10, 20):
        emergency(monkeypatch, world, local(2026, 3, day, 10))
    rules = only("repeated_emergency", count=3, days=30)
    alerts_scan(rules=rules)
    (alert,) = alerts("repeated_emergency")
    assert alert.events == 3 and alert.threshold == 3 and alert.window_start == local(2026, 3, 1, 10)
    emergency(monkeypatch, world, local(2026, 3, 25, 10))
    alerts_scan(rules=rules)
    (alert,) = alerts("repeated_emergency")
    assert alert.events == 4


def test_k_emergency_accesses_spread_over_more_than_n_days_is_not(world, monkeypatch):
    for day in (1, 20):
        emergency(monkeypatch, world, local(2026, 3, day, 10))
    emergency(monkeypatch, world, local(2026, 4, 2, 10))  # 32 days after the first
    alerts_scan(rules=only("repeated_emergency", count=3, days=30))
    assert alerts("repeated_emergency") == []


# ---- Incremental and idempotent ------------------------------------------------------------------------------


def test_the_scan_remembers_where_it_stopped_and_queues_nothing_twice(world, monkeypatch):
    ola = world.m["ola"]
    seen = event(monkeypatch, local(*WEDNESDAY, 22), ola)
    first = alerts_scan()
    assert first.created == 1 and AlertScan.objects.get().last_seq == seen.seq  # the alert's own event is next
    again = alerts_scan()
    assert again.created == 0 and again.updated == 0
    assert AuditEvent.objects.filter(action=Action.ALERT_RAISE).count() == 1
    AlertScan.objects.update(last_seq=0)  # even read from the start again
    assert alerts_scan().created == 0
    assert AccessAlert.objects.count() == 1


def test_batches_find_what_one_pass_finds(world, monkeypatch):
    ola = world.m["ola"]
    for i in range(6):
        event(monkeypatch, local(*WEDNESDAY, 9, i), ola)
    alerts_scan(rules=only("volume_spike", max_cases=3), batch=2)
    (alert,) = alerts("volume_spike")
    assert alert.cases == 6


def test_a_new_event_in_the_window_updates_a_pending_alert_but_not_a_reviewed_one(world, monkeypatch):
    ola = world.m["ola"]
    case = CaseRef()
    event(monkeypatch, local(*WEDNESDAY, 22), ola, case=case)
    alerts_scan(rules=only("outside_office_hours"))
    event(monkeypatch, local(*WEDNESDAY, 22, 30), ola, case=case)
    result = alerts_scan(rules=only("outside_office_hours"))
    (alert,) = alerts("outside_office_hours")
    assert result.updated == 1 and alert.events == 2
    AccessAlert.objects.update(review_status="justified")
    event(monkeypatch, local(*WEDNESDAY, 23), ola, case=case)
    alerts_scan(rules=only("outside_office_hours"))
    (alert,) = alerts("outside_office_hours")
    assert alert.events == 2


def test_the_command_scans_and_says_what_it_found(world, monkeypatch):
    event(monkeypatch, local(*WEDNESDAY, 22), world.m["ola"])
    out = StringIO()
    call_command("alerts", "scan", stdout=out)
    assert "1 new alerts (outside_office_hours 1)" in out.getvalue()
    out = StringIO()
    call_command("alerts", "scan", stdout=out)
    assert "0 new alerts" in out.getvalue()


def test_the_raised_alert_is_audited_without_content(world, monkeypatch):
    event(monkeypatch, local(*WEDNESDAY, 22), world.m["ola"])
    alerts_scan(rules=only("outside_office_hours"))
    (raised,) = AuditEvent.objects.filter(action=Action.ALERT_RAISE)
    alert = AccessAlert.objects.get()
    assert raised.object_type == "alert" and raised.object_id == str(alert.public_id) and raised.actor_id is None
    assert raised.reason == f"outside_office_hours;v1;user={world.m['ola'].user_id}"
