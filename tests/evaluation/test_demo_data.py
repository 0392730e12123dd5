"""The demo's evaluation data (demo.yaml's measure, outcome, exposure and follow_up steps, tools/demo/evaluation.py, and
the invented historical cohort): what the issue's acceptance shows in the demo.

The demo is loaded once for this module, as in tests/tools/test_demo.py: inside an outer transaction, each test in a
savepoint on top of it, rolled back at the module's end."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone

from tests.tools.test_demo import _m
from utvei.access.evaluation import analytics_cases, follow_up_decision, record_decision
from utvei.access.policy import case_access, visible_cases
from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, Phase
from utvei.desk.overdue import overdue_for
from utvei.evaluation.models import (
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorSource,
    Measurement,
    MissedReason,
    Occasion,
    OutcomeEvent,
    OutcomeKind,
)
from utvei.evaluation.services import NewMeasurement, follow_up_record
from utvei.plans.models import ItemStatus, PlanItem

HISTORY_LEAD = "historikk"


def _story_cases() -> Any:
    return Case.objects.exclude(lead__username=HISTORY_LEAD)


def _overdue_twelve_month() -> FollowUp:
    today = timezone.localdate()
    found = list(
        FollowUp.objects.select_related("case", "case__lead").filter(
            months=12,
            status=FollowUpStatus.PENDING,
            due_on__lt=today,
            case__phase=Phase.CLOSED,
            case__lead__username="koordinator",
        )
    )
    assert len(found) == 1, found
    return found[0]


# ---- Follow-up after closure -------------------------------------------------------------------------------


def test_a_closed_case_led_by_koordinator_has_its_12_month_follow_up_overdue_and_pending(demo: str) -> None:
    follow_up = _overdue_twelve_month()
    koordinator = _m("koordinator")
    ca = case_access(koordinator, follow_up.case)
    assert ca is not None
    assert not record_decision(ca)  # the case is closed: nothing is recorded outside a follow-up …
    assert follow_up_decision(ca, follow_up)  # … but koordinator, its lead, may record the follow-up
    assert follow_up.owner is not None and follow_up.owner.username == "koordinator"
    ended = follow_up.case.measures_ended_on
    assert ended is not None and follow_up.case.closed_at is not None
    assert ended < timezone.localdate(follow_up.case.closed_at) < follow_up.due_on  # closed in follow-up
    items = overdue_for(koordinator, audit=False)
    assert any(i.kind == NotificationKind.FOLLOW_UP_OVERDUE and i.ref == follow_up.public_id for i in items)


def test_the_reminder_pass_reminds_koordinator_of_the_overdue_follow_up_and_not_of_the_cohorts(demo: str) -> None:
    from utvei.desk.reminders import reminders_run

    follow_up = _overdue_twelve_month()
    reminders_run()
    koordinator = _m("koordinator")
    reminded = Notification.objects.filter(user=koordinator.user, kind=NotificationKind.FOLLOW_UP_OVERDUE)
    assert set(reminded.values_list("ref", flat=True)) == {follow_up.public_id}
    cohort = Notification.objects.filter(case__lead__username=HISTORY_LEAD)
    assert not cohort.filter(user=koordinator.user).exists()
    assert not any(i.case.lead_id != koordinator.user_id for i in overdue_for(koordinator, audit=False))


def test_koordinator_records_the_12_month_follow_up_on_the_closed_case(demo: str) -> None:
    follow_up = _overdue_twelve_month()
    indicator = Indicator.objects.get(key="milieu-contact")
    recorded = follow_up_record(
        actor=_m("koordinator"),
        follow_up=follow_up,
        expected_version=follow_up.version,
        held=True,
        held_on=timezone.localdate(),
        note="Samtale på telefon.",
        measurements=[NewMeasurement(indicator, 0)],
    )
    assert recorded.status == FollowUpStatus.DONE
    assert Case.objects.get(pk=follow_up.case_id).phase == Phase.CLOSED  # not reopened
    assert Measurement.objects.filter(follow_up=recorded, occasion=Occasion.FOLLOW_UP_12).exists()


def test_closed_cases_have_a_6_month_follow_up_done_with_measurements_and_one_missed_for_no_contact(
    demo: str,
) -> None:
    story = FollowUp.objects.filter(case__in=_story_cases(), case__phase=Phase.CLOSED, months=6)
    done = story.filter(status=FollowUpStatus.DONE)
    assert done.exists()
    for follow_up in done:
        assert follow_up.held_on is not None and follow_up.recorded_by is not None
        assert Measurement.objects.filter(follow_up=follow_up, occasion=Occasion.FOLLOW_UP_6).count() >= 3
    missed = story.get(status=FollowUpStatus.MISSED)
    assert missed.missed_reason == MissedReason.NO_CONTACT and missed.held_on is None
    assert not Measurement.objects.filter(follow_up=missed).exists()
    # The done one found the person back in the milieu: a re-engagement after closure, recorded through it.
    events = OutcomeEvent.objects.filter(follow_up__in=done, kind=OutcomeKind.RE_ENGAGEMENT)
    assert events.exists()
    for event in events:
        assert event.case.closed_at is not None and event.occurred_on > timezone.localdate(event.case.closed_at)


def test_follow_ups_are_dated_in_the_story(demo: str) -> None:
    """Due dates count from when the measures ended (or the case closed, when closed from active), not from the
    day the demo was loaded; recorded follow-ups are recorded in the past."""
    loaded = timezone.now() - dt.timedelta(minutes=30)
    for follow_up in FollowUp.objects.filter(case__in=_story_cases()).select_related("case"):
        case = follow_up.case
        assert follow_up.created_at < loaded
        ended = case.measures_ended_on or timezone.localdate(case.closed_at)
        assert abs((follow_up.due_on - ended).days - follow_up.months * 30.4) <= 5, case.reference
        if follow_up.status != FollowUpStatus.PENDING:
            assert follow_up.recorded_at is not None and follow_up.recorded_at < loaded


# ---- Measurements, outcome events, exposure ---------------------------------------------------------------


def test_several_story_cases_are_measured_at_two_or_more_occasions_by_worker_and_self_report(demo: str) -> None:
    occasions: dict[int, set[str]] = defaultdict(set)
    rows = Measurement.objects.filter(case__in=_story_cases()).exclude(source=IndicatorSource.DERIVED)
    for case_id, occasion in rows.values_list("case_id", "occasion"):
        occasions[case_id].add(occasion)
    measured_often = [pk for pk, seen in occasions.items() if len(seen) >= 2 and Occasion.INTAKE in seen]
    assert len(measured_often) >= 5
    phases = set(Case.objects.filter(pk__in=measured_often).values_list("phase", flat=True))
    assert {Phase.ACTIVE, Phase.FOLLOW_UP, Phase.CLOSED} <= phases
    sources = set(rows.values_list("source", flat=True))
    assert sources == {IndicatorSource.WORKER, IndicatorSource.SELF_REPORT}
    for case_id in measured_often:
        assert rows.filter(case_id=case_id, occasion=Occasion.INTAKE).values("indicator").distinct().count() >= 4
    derived = Measurement.objects.filter(case__in=_story_cases(), source=IndicatorSource.DERIVED)
    assert derived.filter(indicator__key="motivation-stage").exists()  # the stage's history, as measurements


def test_measurements_are_dated_in_the_story_and_audited_one_by_one(demo: str) -> None:
    loaded = timezone.now() - dt.timedelta(minutes=30)
    rows = list(Measurement.objects.filter(case__in=_story_cases()))
    assert rows
    for m in rows:
        assert m.created_at < loaded and m.measured_on <= timezone.localdate(m.created_at) + dt.timedelta(days=1)
    audited = set(AuditEvent.objects.filter(action=Action.MEASUREMENT_CREATE).values_list("object_id", flat=True))
    assert {str(m.public_id) for m in rows} <= audited
    assert (timezone.localdate() - min(m.measured_on for m in rows)).days > 365


def test_outcome_events_include_work_housing_threats_and_a_re_engagement(demo: str) -> None:
    events = OutcomeEvent.objects.filter(case__in=_story_cases())
    kinds = set(events.values_list("kind", flat=True))
    assert {OutcomeKind.WORK, OutcomeKind.HOUSING, OutcomeKind.THREATS, OutcomeKind.RE_ENGAGEMENT} <= kinds
    assert events.filter(kind=OutcomeKind.RE_ENGAGEMENT).count() == 1
    audited = set(AuditEvent.objects.filter(action=Action.OUTCOME_CREATE).values_list("object_id", flat=True))
    assert {str(e.public_id) for e in events} <= audited


def test_plan_items_carry_their_dose_and_one_was_stopped_with_a_reason(demo: str) -> None:
    items = PlanItem.objects.filter(plan__case__in=_story_cases())
    dosed = items.filter(sessions_planned__isnull=False, sessions_held__isnull=False)
    assert dosed.count() >= 10
    assert all(i.sessions_held <= i.sessions_planned for i in dosed if i.sessions_held and i.sessions_planned)
    stopped = items.get(status=ItemStatus.STOPPED)
    assert stopped.stop_reason and stopped.end_on is not None and stopped.start_on is not None
    assert stopped.end_on < timezone.localdate()  # dated in the story, not the day of loading
    assert stopped.sessions_held is not None and stopped.sessions_held < (stopped.sessions_planned or 0)


# ---- The historical cohort ---------------------------------------------------------------------------------


def test_the_analyst_sees_cohorts_of_five_or_more_from_the_historical_cohort(demo: str) -> None:
    analyst = _m("analytiker")
    cases = analytics_cases(analyst)
    assert cases.count() >= 150 and not visible_cases(analyst).exists()
    closed = cases.filter(phase=Phase.CLOSED)
    for track in ("prevention", "exit"):
        pairs = (
            Measurement.objects.filter(case__in=closed.filter(track=track), indicator__key="milieu-contact")
            .exclude(occasion=Occasion.INTAKE)
            .filter(case__measurements__occasion=Occasion.INTAKE, case__measurements__indicator__key="milieu-contact")
            .values("case")
            .distinct()
            .count()
        )
        assert pairs >= 5, track
    re_engaged = OutcomeEvent.objects.filter(case__in=closed, kind=OutcomeKind.RE_ENGAGEMENT)
    assert re_engaged.values("case").distinct().count() >= 5
    states = set(FollowUp.objects.filter(case__in=cases).values_list("status", flat=True))
    assert states == set(FollowUpStatus.values)
    stopped = PlanItem.objects.filter(plan__case__in=cases, status=ItemStatus.STOPPED).exclude(stop_reason="")
    assert stopped.count() >= 5
    assert cases.filter(concerns__isnull=False).distinct().count() >= 50  # time from concern to triage


def test_the_cohort_is_audited_as_synthetic_load(demo: str) -> None:
    cohort = Case.objects.filter(lead__username=HISTORY_LEAD)
    ids = {str(c.public_id) for c in cohort}
    events = AuditEvent.objects.filter(case_id__in=ids)
    assert events.exists() and set(events.values_list("reason", flat=True)) <= {
        "synth",
        *{f"synth;{x}" for x in ("open_case",)},
        *Phase.values,
    }
    measured = Measurement.objects.filter(case__in=cohort).count()
    assert events.filter(action=Action.MEASUREMENT_CREATE).count() == measured
