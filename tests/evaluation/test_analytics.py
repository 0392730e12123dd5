"""Protected aggregates over a cohort of cases (evaluation/analytics.py): hand-checked figures, small counts never
published, and a number of queries that does not grow with the number of cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from utvei.access.evaluation import analytics_cases
from utvei.cases.models import Case, Concern, Phase, Track
from utvei.core.dates import add_months
from utvei.evaluation import analytics
from utvei.evaluation.models import (
    OUTCOME_CATEGORY,
    FollowUp,
    Indicator,
    Measurement,
    OutcomeEvent,
    OutcomeKind,
)
from utvei.evaluation.services import (
    NewEvent,
    follow_up_record,
    follow_ups_schedule,
    measurement_record,
    outcome_event_record,
)
from utvei.evaluation.stats.suppression import feasible_range
from utvei.people.models import Person
from utvei.plans.models import Measure, Plan, PlanItem, PlanReview

_serial = itertools.count(1)


# ---- Building data quickly ---------------------------------------------------------------------------------


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_cases(
    world: Any,
    n: int,
    *,
    track: str = Track.EXIT,
    phase: str = Phase.INTAKE,
    opened: dt.date | None = None,
    closed: dt.date | None = None,
    age_band: str = "18-24",
    ideologies: tuple[str, ...] = (),
    org: str = "kommune",
) -> list[Case]:
    """Cases (and their persons) written straight to the database: fast, and no audit trail to build."""
    opened = opened or timezone.localdate() - dt.timedelta(days=400)
    serials = [next(_serial) for _ in range(n)]
    people = Person.objects.bulk_create(
        [Person(reference=f"UTV-T-{k:07d}", full_name="Test", age_band=age_band) for k in serials]
    )
    if closed is not None:
        phase = Phase.CLOSED
    return Case.objects.bulk_create(
        [
            Case(
                reference=f"UTV-C-{k:07d}",
                person=person,
                track=track,
                phase=phase,
                owning_org=world.orgs[org],
                lead=world.m["kari"].user,
                ideologies=list(ideologies),
                opened_at=_at(opened),
                closed_at=_at(closed) if closed else None,
                closure_reason="goals_met" if closed else "",
            )
            for k, person in zip(serials, people, strict=True)
        ]
    )


def indicator(key: str) -> Indicator:
    return Indicator.objects.get(key=key)


def measure(world: Any, case: Case, key: str, occasion: str, value: float, on: dt.date) -> Measurement:
    ind = indicator(key)
    return Measurement.objects.create(
        case=case,
        indicator=ind,
        indicator_version=ind.version,
        occasion=occasion,
        measured_on=on,
        value=value,
        source="worker",
        category=ind.category,
        author_org=world.orgs["kommune"],
    )


def event(world: Any, case: Case, kind: str, on: dt.date) -> OutcomeEvent:
    return OutcomeEvent.objects.create(
        case=case,
        kind=kind,
        occurred_on=on,
        source="worker",
        category=OUTCOME_CATEGORY[OutcomeKind(kind)],
        author_org=world.orgs["kommune"],
    )


def plan(world: Any, case: Case, number: int, status: str, approved: dt.datetime | None = None) -> Plan:
    return Plan.objects.create(
        case=case,
        number=number,
        status=status,
        author=world.m["kari"].user,
        author_org=world.orgs["kommune"],
        approved_at=approved,
    )


def item(world: Any, p: Plan, key: str, status: str, sessions_held: int | None = None) -> PlanItem:
    return PlanItem.objects.create(
        plan=p,
        measure=Measure.objects.get(key=key),
        status=status,
        sessions_held=sessions_held,
        created_by=world.m["kari"].user,
    )


def concern(world: Any, case: Case | None, received: dt.datetime, triaged: dt.datetime | None) -> Concern:
    return Concern.objects.create(
        reference=f"BEK-T-{next(_serial):07d}",
        reporter=world.m["rolf"].user,
        reporter_org=world.orgs["skole"],
        receiving_org=world.orgs["kommune"],
        received_at=received,
        description="Bekymring",
        status="triaged" if triaged else "received",
        outcome="open_case" if triaged else "",
        triaged_at=triaged,
        case=case,
    )


def cohort(world: Any) -> Any:
    """What the municipality's analyst sees."""
    return analytics_cases(world.m["anna"])


def published_ints(value: Any) -> list[int]:
    """Every count a figure publishes (bools are flags, not counts)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for f in dataclasses.fields(value) for x in published_ints(getattr(value, f.name))]
    if isinstance(value, dict):
        return [x for v in value.values() for x in published_ints(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in published_ints(v)]
    return []


def build_mixed(world: Any, n: int) -> None:
    """``n`` cases of every kind, with outcome data, plans, reviews, concerns and follow-ups on each: a cohort
    whose figures hold many small numbers."""
    today = timezone.localdate()
    tracks = [Track.EXIT, Track.EXIT, Track.PREVENTION, Track.RETURNEE]
    phases = [Phase.INTAKE, Phase.ACTIVE, Phase.FOLLOW_UP, Phase.CLOSED, Phase.CLOSED]
    ideologies = [("islamist",), ("right_wing",), ("right_wing", "other"), ()]
    cases: list[Case] = []
    for i in range(n):
        closed = today - dt.timedelta(days=100 + 37 * i) if phases[i % 5] == Phase.CLOSED else None
        cases += make_cases(
            world,
            1,
            track=tracks[i % 4],
            phase=phases[i % 5],
            opened=today - dt.timedelta(days=60 * i + 5),
            closed=closed,
            ideologies=ideologies[i % 4],
            age_band=["15-17", "18-24", "25-34"][i % 3],
        )
    housing = indicator("housing")
    milieu = indicator("milieu-contact")
    rows = []
    for i, case in enumerate(cases):
        for ind in (housing, milieu):
            for occasion, value in (("intake", i % 3), ("review", (i + 1) % 3), ("follow_up_6", i % 2)):
                rows.append(
                    Measurement(
                        case=case,
                        indicator=ind,
                        indicator_version=1,
                        occasion=occasion,
                        measured_on=today - dt.timedelta(days=30),
                        value=value,
                        source="worker",
                        category=ind.category,
                        author_org=world.orgs["kommune"],
                    )
                )
    Measurement.objects.bulk_create(rows)
    OutcomeEvent.objects.bulk_create(
        [
            OutcomeEvent(
                case=case,
                kind=[OutcomeKind.RE_ENGAGEMENT, OutcomeKind.WORK, OutcomeKind.EXTREMIST_OFFENCE][i % 3],
                occurred_on=today - dt.timedelta(days=10 + i),
                source="worker",
                category="plan",
                author_org=world.orgs["kommune"],
            )
            for i, case in enumerate(cases)
        ]
    )
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                case=case,
                months=months,
                due_on=today + dt.timedelta(days=30 * (months - 12)),
                status=["pending", "done", "missed"][(i + months) % 3],
                missed_reason="no_contact" if (i + months) % 3 == 2 else "",
                held_on=today - dt.timedelta(days=5) if (i + months) % 3 == 1 else None,
            )
            for i, case in enumerate(cases)
            for months in (6, 12, 24)
        ]
    )
    keys = ["mentor", "housing", "employment-work-training"]
    for i, case in enumerate(cases):
        approved = plan(world, case, 1, "superseded", approved=case.opened_at + dt.timedelta(days=20 + i))
        current = plan(world, case, 2, "approved", approved=case.opened_at + dt.timedelta(days=200))
        for p in (approved, current):
            item(world, p, keys[i % 3], ["ongoing", "done", "stopped", "planned"][i % 4], sessions_held=i)
        PlanReview.objects.create(
            plan=approved,
            reviewed_on=today - dt.timedelta(days=i),
            reviewed_by=world.m["kari"].user,
            reviewed_by_org=world.orgs["kommune"],
            next_review_due=today + dt.timedelta(days=90),
        )
        concern(world, case, case.opened_at - dt.timedelta(days=i + 1), case.opened_at - dt.timedelta(days=1))


# ---- Small counts are never published ----------------------------------------------------------------------


def test_no_published_count_is_below_five(world: Any) -> None:
    build_mixed(world, 13)
    figures = analytics.all_figures(cohort(world))
    counts = published_ints(figures)
    assert counts, "the figures publish counts"
    assert all(c == 0 or c >= 5 for c in counts), sorted(c for c in counts if 0 < c < 5)
    # ... and things were hidden, not silently dropped
    assert None in figures.overview.by_ideology.values() or None in figures.process.follow_ups.values()
    # Nobody can work a hidden cell of the overview table out of what is shown with it.
    grid = figures.overview.by_track_phase.as_rows()
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value is None:
                low, high = feasible_range(grid, i, j)
                assert high - low >= 1
    # Which hidden cells were the small ones is not told.
    cells = [c for row in figures.overview.by_track_phase.cells for c in row]
    assert all(c.primary == c.suppressed for c in cells)


def test_figures_hold_no_case_id_or_reference(world: Any) -> None:
    build_mixed(world, 10)
    figures = analytics.all_figures(cohort(world))
    text = repr(figures)
    for case in Case.objects.all():
        assert case.reference not in text
        assert str(case.public_id) not in text


def test_an_empty_cohort_gives_zeros_and_nothing_hidden_or_broken(world: Any) -> None:
    figures = analytics.all_figures(Case.objects.none())
    assert figures.overview.total == 0
    assert figures.measures.table is None and figures.measures.rows == ()
    assert all(g.curve.suppressed and g.n == 0 for g in figures.survival)
    assert all(c.change.suppressed and c.improved is None for c in figures.changes)
    assert figures.process.triage_n == 0 and figures.process.triage_median_days is None


# ---- Cohorts and the overview -------------------------------------------------------------------------------


def test_cohort_filters(world: Any) -> None:
    today = timezone.localdate()
    a = make_cases(world, 2, track=Track.EXIT, ideologies=("islamist", "right_wing"), age_band="15-17")
    b = make_cases(world, 2, track=Track.PREVENTION, ideologies=("right_wing",), opened=today - dt.timedelta(days=3))
    c = make_cases(world, 1, track=Track.RETURNEE, ideologies=("left_wing",), closed=today - dt.timedelta(days=1))
    p = plan(world, a[0], 1, "approved")
    item(world, p, "mentor", "done")
    item(world, plan(world, b[0], 1, "approved"), "mentor", "planned")  # not received
    everyone = cohort(world)

    def pks(**kw: Any) -> set[int]:
        return set(analytics.cohort_cases(everyone, analytics.Cohort(**kw)).values_list("pk", flat=True))

    assert pks() == {x.pk for x in a + b + c}
    assert pks(track="exit") == {x.pk for x in a}
    assert pks(ideology="right_wing") == {x.pk for x in a + b}
    assert pks(ideology="islamist") == {x.pk for x in a}
    assert pks(ideology="not-an-ideology") == set()
    assert pks(age_band="15-17") == {x.pk for x in a}
    assert pks(opened_from=today - dt.timedelta(days=10)) == {x.pk for x in b}
    assert pks(opened_to=today - dt.timedelta(days=10)) == {x.pk for x in a + c}
    assert pks(measure="mentor") == {a[0].pk}
    assert pks(track="exit", measure="housing") == set()


def test_overview_counts_quarters_and_ideologies(world: Any) -> None:
    today = dt.date(2026, 5, 10)  # 2026Q2: the window is 2024Q3 .. 2026Q2
    make_cases(world, 6, opened=dt.date(2026, 4, 2), ideologies=("islamist", "right_wing"))
    make_cases(world, 5, opened=dt.date(2025, 11, 20), ideologies=("right_wing",), track=Track.PREVENTION)
    make_cases(world, 2, opened=dt.date(2025, 2, 1))
    make_cases(world, 7, opened=dt.date(2020, 1, 1), closed=dt.date(2021, 1, 1))
    result = analytics.overview(cohort(world), today=today)

    labels = [q for q, _n in result.opened_by_quarter]
    assert labels == ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    quarters = dict(result.opened_by_quarter)
    assert quarters["2026Q2"] == 6
    assert quarters["2025Q1"] is None  # two cases: hidden, with a complement so it cannot be worked out
    assert quarters["2024Q3"] == 0
    assert sum(1 for v in quarters.values() if v is None) >= 2

    # A case with two orientations counts under each.
    assert result.by_ideology == {"islamist": 6, "right_wing": 11, "left_wing": 0, "other": 0, "unclear": 0}

    assert result.total == 20
    assert result.row_keys == ("prevention", "exit", "returnee")
    assert result.col_keys == ("intake_assessment", "planning_active", "follow_up", "closed")
    grid = result.by_track_phase.as_rows()
    assert grid[0] == [5, 0, 0, 0, 5]  # prevention: 5 at intake
    assert grid[1][3] == 7  # exit: 7 closed
    assert grid[1][0] == 8 and grid[1][4] == 15
    assert grid[3][4] == 20


# ---- Change from baseline -----------------------------------------------------------------------------------


def test_change_from_baseline_by_hand(world: Any) -> None:
    today = timezone.localdate()
    d0, d1, d2 = (today - dt.timedelta(days=k) for k in (200, 100, 50))
    kari = world.m["kari"]
    housing = indicator("housing")

    # Three cases through the services, one of them with a corrected baseline.
    served = [world.open_case(name=f"Person {k}") for k in range(3)]
    for case, (base, later) in zip(served[:2], [(0, 1), (1, 2)], strict=True):
        measurement_record(actor=kari, case=case, indicator=housing, value=base, occasion="intake", measured_on=d0)
        measurement_record(actor=kari, case=case, indicator=housing, value=later, occasion="review", measured_on=d1)
    wrong = measurement_record(
        actor=kari, case=served[2], indicator=housing, value=2, occasion="intake", measured_on=d0
    )
    measurement_record(
        actor=kari, case=served[2], indicator=housing, value=0, occasion="intake", measured_on=d0, corrects=wrong
    )
    measurement_record(actor=kari, case=served[2], indicator=housing, value=2, occasion="review", measured_on=d1)

    c4, c5, c6, c7 = make_cases(world, 4)
    measure(world, c4, "housing", "intake", 1, d0)
    measure(world, c4, "housing", "review", 1, d2)  # later date, earlier occasion:
    measure(world, c4, "housing", "closure", 0, d1)  # the closure is the latest occasion
    measure(world, c5, "housing", "intake", 1, d0)
    measure(world, c5, "housing", "review", 2, d2)  # within an occasion the latest date wins,
    measure(world, c5, "housing", "review", 0, d1)  # whatever was recorded last
    measure(world, c6, "housing", "intake", 2, d0)
    measure(world, c6, "housing", "follow_up_6", 2, d1)
    measure(world, c7, "housing", "intake", 1, d0)  # no later measurement: no pair

    # milieu contact, lower is better: five people went from 3 to 1, four pairs of another indicator.
    for case in [*served[:2], c4, c5, c6]:
        measure(world, case, "milieu-contact", "intake", 3, d0)
        measure(world, case, "milieu-contact", "review", 1, d1)
    for case in [*served[:2], c4, c5]:
        measure(world, case, "debt-income", "intake", 0, d0)
        measure(world, case, "debt-income", "review", 2, d1)

    result = {c.indicator_key: c for c in analytics.change_from_baseline(cohort(world))}
    assert set(result) == set(Indicator.objects.filter(active=True).values_list("key", flat=True))

    h = result["housing"]
    # pairs (baseline, later): (0,1) (1,2) (0,2) (1,0) (1,2) (2,2): diffs +1 +1 +2 -1 +1 0
    assert h.change.n == 6 and not h.change.suppressed
    assert h.change.mean_change == pytest.approx(4 / 6)
    assert h.change.baseline_mean == pytest.approx(5 / 6)
    assert h.change.later_mean == pytest.approx(9 / 6)
    assert h.change.lo is not None and h.change.hi is not None
    assert h.change.lo <= 4 / 6 <= h.change.hi
    assert h.direction == "higher" and h.name_en == "Housing"
    # 4 improved, 1 same, 1 worse: all below 5, so all hidden (the total, 6, is the change's n)
    assert (h.improved, h.same, h.worse) == (None, None, None)

    m = result["milieu-contact"]
    assert m.change.mean_change == pytest.approx(-2.0)
    assert (m.improved, m.same, m.worse) == (5, 0, 0)  # down is better here

    d = result["debt-income"]
    assert d.change.suppressed and d.change.n == 0 and d.change.mean_change is None
    assert (d.improved, d.same, d.worse) == (None, None, None)


# ---- Time to re-engagement ----------------------------------------------------------------------------------


def test_time_to_reengagement_by_hand(world: Any) -> None:
    today = timezone.localdate()
    closed = today - dt.timedelta(days=600)

    def day(k: int) -> dt.date:
        return closed + dt.timedelta(days=k)

    cases = make_cases(world, 6, closed=closed)
    # One more through the services: follow-ups scheduled, the case closed, the 6-month one held with a
    # re-engagement recorded on it, 100 days after closure.
    served = world.open_case(name="Person Served")
    follow_ups_schedule(actor=world.m["kari"], case=served, ended=closed)
    Case.objects.filter(pk=served.pk).update(phase=Phase.CLOSED, closed_at=_at(closed), closure_reason="goals_met")
    served.refresh_from_db()
    six = FollowUp.objects.get(case=served, months=6)
    follow_up_record(
        actor=world.m["kari"],
        follow_up=six,
        expected_version=six.version,
        held=True,
        held_on=day(100),
        events=[NewEvent(kind=OutcomeKind.RE_ENGAGEMENT, occurred_on=day(100), source="worker")],
    )

    a, b, c, d, e, f = cases
    event(world, a, OutcomeKind.EXTREMIST_OFFENCE, day(30))  # event at 30
    event(world, a, OutcomeKind.RE_ENGAGEMENT, day(300))  # a later one does not matter
    event(world, b, OutcomeKind.RE_ENGAGEMENT, day(0))  # on the closure day: not after it
    event(world, b, OutcomeKind.RE_ENGAGEMENT, day(-50))
    event(world, b, OutcomeKind.WORK, day(200))  # known about until 200: censored there
    FollowUp.objects.create(case=c, months=12, due_on=day(365), status="done", held_on=day(365))  # censored at 365
    FollowUp.objects.create(case=d, months=12, due_on=day(400), status="done", held_on=day(400))  # censored at 400
    FollowUp.objects.create(case=e, months=6, due_on=day(180), status="pending")  # pending: not known
    event(world, e, OutcomeKind.HOUSING, day(400))  # censored at 400
    event(world, f, OutcomeKind.WORK, day(500))  # censored at 500
    # Open cases and cases of another organisation are not in it.
    make_cases(world, 4)
    event(world, make_cases(world, 1)[0], OutcomeKind.RE_ENGAGEMENT, day(10))
    event(world, make_cases(world, 1, closed=closed, org="annen")[0], OutcomeKind.RE_ENGAGEMENT, day(10))

    (group,) = analytics.time_to_reengagement(cohort(world), today=today)
    assert group.key == "all"
    curve = group.curve
    assert not curve.suppressed and curve.n == 7
    # t=0: 7 at risk. t=30: 7 at risk, one event: 6/7. t=100: 6 at risk, one event: 5/7. t=200: 5 at risk, censored.
    # t=365: 4 at risk: below 5, so the curve stops at 200.
    assert [(p.t, p.at_risk) for p in curve.points] == [(0.0, 7), (30.0, 7), (100.0, 6), (200.0, 5)]
    assert [p.survival for p in curve.points] == pytest.approx([1.0, 6 / 7, 5 / 7, 5 / 7])
    assert curve.stopped_at == 200.0
    assert all(p.events == 0 and p.censored == 0 for p in curve.points)  # small per-point counts: not published
    assert group.at_risk == [(0.0, 7), (90.0, 6), (180.0, 5), (365.0, None), (730.0, None)]
    assert group.n == 7  # as the overview's closed cases shows it
    assert group.events is None  # 2 re-engaged, 5 not known to: hidden together
    assert analytics.overview(cohort(world)).by_track_phase.as_rows()[1][3] == 7

    tracks = {g.key: g for g in analytics.time_to_reengagement(cohort(world), today=today, by_track=True)}
    assert set(tracks) == {"prevention", "exit", "returnee"}
    assert tracks["exit"].n == 7 and tracks["exit"].curve.points == curve.points
    assert tracks["prevention"].n == 0 and tracks["prevention"].curve.suppressed


def test_time_to_reengagement_is_capped_at_today_and_hides_small_tracks(world: Any) -> None:
    today = timezone.localdate()
    closed = today - dt.timedelta(days=100)
    exits = make_cases(world, 6, closed=closed)
    make_cases(world, 2, closed=closed, track=Track.RETURNEE)
    for case in exits:
        # a follow-up dated (wrongly) in the future counts only up to today
        FollowUp.objects.create(case=case, months=6, due_on=today, status="done", held_on=today + dt.timedelta(40))
    tracks = {g.key: g for g in analytics.time_to_reengagement(cohort(world), today=today, by_track=True)}
    # Two returnees: hidden, and the exit group too, or 8 - 6 would give the 2 back; as in the overview.
    assert tracks["returnee"].n is None and tracks["returnee"].curve.suppressed
    assert tracks["exit"].n is None and tracks["exit"].curve.suppressed
    assert all(v is None for _t, v in tracks["exit"].at_risk)
    closed_column = [row[3] for row in analytics.overview(cohort(world)).by_track_phase.as_rows()]
    assert closed_column == [tracks["prevention"].n, None, None, 8]
    (everyone,) = analytics.time_to_reengagement(cohort(world), today=today)
    assert everyone.n == 8 and everyone.events == 0
    assert everyone.curve.points[-1].t == 100.0  # the exits' follow-ups count up to today only


# ---- Outcomes by measure ------------------------------------------------------------------------------------


def test_outcomes_by_measure_dedupes_plan_versions(world: Any) -> None:
    today = timezone.localdate()
    closed = today - dt.timedelta(days=300)
    cases = make_cases(world, 6, closed=closed)
    for i, case in enumerate(cases):
        old = plan(world, case, 1, "superseded")
        new = plan(world, case, 2, "approved")
        item(world, old, "mentor", "ongoing", sessions_held=4 + 2 * i)  # 4, 6, ..., 14
        item(world, new, "mentor", "stopped" if i < 2 else "done")  # the copy in the new version
        if i == 0:
            item(world, new, "mentor", "done", sessions_held=1)  # a second item in one version: still one case
    # received only as planned: not received; an open case: not in the outcome table
    item(world, plan(world, make_cases(world, 1, closed=closed)[0], 1, "approved"), "mentor", "planned")
    item(world, plan(world, make_cases(world, 1)[0], 1, "approved"), "mentor", "done")
    event(world, cases[0], OutcomeKind.WORK, today)

    result = analytics.outcomes_by_measure(cohort(world))
    assert result.row_keys == ("mentor",)
    assert result.col_keys == ("re_engaged", "not_known_re_engaged")
    assert result.table is not None
    assert result.table.as_rows() == [[0, 6, 6], [0, 6, 6]]
    (row,) = result.rows
    assert (row.key, row.received, row.re_engaged, row.not_known_re_engaged) == ("mentor", 6, 0, 6)
    assert row.median_sessions == 9.0  # the largest recorded per case: 4, 6, 8, 10, 12, 14
    assert row.sessions_known == 6
    # Two stopped (their latest item): 2 and 4 are hidden together, and the share with them.
    assert row.stopped is None and row.stopped_share is None
    assert len(result.caveats) == 4
    assert "random" in str(result.caveats[0])


def test_outcomes_by_measure_counts_re_engagement_after_closure(world: Any) -> None:
    today = timezone.localdate()
    closed = today - dt.timedelta(days=300)
    cases = make_cases(world, 10, closed=closed)
    for i, case in enumerate(cases):
        item(world, plan(world, case, 1, "approved"), "mentor", "done" if i < 5 else "stopped")
        if i < 5:
            event(world, case, OutcomeKind.RE_ENGAGEMENT, closed + dt.timedelta(days=10 + i))
    event(world, cases[9], OutcomeKind.RE_ENGAGEMENT, closed)  # on the closure day: not after it
    result = analytics.outcomes_by_measure(cohort(world))
    (mentor,) = result.rows
    assert (mentor.received, mentor.re_engaged, mentor.not_known_re_engaged) == (10, 5, 5)
    assert mentor.stopped == 5 and mentor.stopped_share == 0.5
    assert mentor.sessions_known == 0 and mentor.median_sessions is None

    # One person received housing: that row is hidden, and so is what would give it away in the mentor row.
    item(world, plan(world, cases[9], 2, "draft"), "housing", "ongoing")
    result = analytics.outcomes_by_measure(cohort(world))
    rows = {r.key: r for r in result.rows}
    assert set(rows) == {"mentor", "housing"}
    assert rows["housing"].received is None and rows["housing"].not_known_re_engaged is None
    assert rows["mentor"].re_engaged == 5 and rows["mentor"].not_known_re_engaged is None
    assert rows["mentor"].received is None and rows["mentor"].stopped is None
    assert all(c == 0 or c >= 5 for c in published_ints(result))


# ---- Process measures ---------------------------------------------------------------------------------------


def test_process_measures_by_hand(world: Any) -> None:
    today = timezone.localdate()
    opened = today - dt.timedelta(days=400)
    cases = make_cases(world, 6, opened=opened)
    start = _at(opened, 9).astimezone(dt.UTC)  # whole days of 24 hours, whichever side of a DST change
    for k, case in enumerate(cases[:5], start=1):
        concern(world, case, start - dt.timedelta(days=10), start - dt.timedelta(days=10 - k))  # 1..5 days
        plan(world, case, 1, "superseded", approved=case.opened_at + dt.timedelta(days=10 * k))  # 10..50 days
    plan(world, cases[0], 2, "approved", approved=cases[0].opened_at + dt.timedelta(days=100))  # not the first
    concern(world, cases[5], start, None)  # not triaged
    concern(world, None, start, start + dt.timedelta(days=90))  # no case: not in the cohort

    # Reviews: six plans approved on day `a`; each reviewed ten days after the default three months (on time),
    # five of them again twenty days after the date that review set (late).
    a = today - dt.timedelta(days=300)
    for i, case in enumerate(make_cases(world, 6, phase=Phase.ACTIVE, opened=opened + dt.timedelta(days=20))):
        p = plan(world, case, 1, "approved", approved=_at(a))
        first = add_months(a, 3) + dt.timedelta(days=10)
        next_due = first + dt.timedelta(days=60)
        PlanReview.objects.create(
            plan=p,
            reviewed_on=first,
            reviewed_by=world.m["kari"].user,
            reviewed_by_org=world.orgs["kommune"],
            next_review_due=next_due,
        )
        if i < 5:
            PlanReview.objects.create(
                plan=p,
                reviewed_on=next_due + dt.timedelta(days=20),
                reviewed_by=world.m["kari"].user,
                reviewed_by_org=world.orgs["kommune"],
                next_review_due=today + dt.timedelta(days=10),
            )
        Plan.objects.filter(pk=p.pk).update(review_due=today - dt.timedelta(days=1) if i < 5 else today)

    follow = make_cases(world, 7)
    states = ["done"] * 5 + ["missed"] * 5 + ["pending"] * 6 + ["overdue"] * 5
    for k, state in enumerate(states):
        FollowUp.objects.create(
            case=follow[k // 3],
            months=(6, 12, 24)[k % 3],
            due_on=today - dt.timedelta(days=1) if state == "overdue" else today,
            status="pending" if state == "overdue" else state,
            missed_reason="no_contact" if state == "missed" else "",
            held_on=today if state == "done" else None,
        )

    result = analytics.process_measures(cohort(world), today=today)
    assert result.triage_n == 5 and result.triage_median_days == pytest.approx(3.0)
    assert result.approval_n == 11  # five with a first approval at 10..50 days, six at 100 days (opened 400 ago)
    assert result.approval_median_days is not None

    only_first = analytics.process_measures(
        analytics.cohort_cases(cohort(world), analytics.Cohort(opened_to=opened)), today=today
    )
    assert only_first.approval_n == 5 and only_first.approval_median_days == pytest.approx(30.0)

    assert (result.reviews_on_time, result.reviews_late) == (6, 5)
    assert result.plans_review_overdue == 5
    assert result.follow_ups == {
        "done": 5,
        "missed_no_contact": 5,
        "missed_declined": 0,
        "missed_moved": 0,
        "missed_deceased": 0,
        "missed_unrecorded": 0,
        "pending": 6,
        "pending_overdue": 5,
    }
    assert result.follow_ups_total == 21

    FollowUp.objects.filter(case=follow[0], months=6).update(status="missed", missed_reason="moved", held_on=None)
    hidden = analytics.process_measures(cohort(world), today=today)
    assert hidden.follow_ups["missed_moved"] is None
    assert sum(1 for v in hidden.follow_ups.values() if v is None) >= 2  # with a complement
    assert hidden.follow_ups_total == 21


# ---- Cost ---------------------------------------------------------------------------------------------------


def test_number_of_queries_does_not_grow_with_cases(world: Any) -> None:
    build_mixed(world, 10)
    cases = cohort(world)
    with CaptureQueriesContext(connection) as ten:
        analytics.all_figures(cases)
    build_mixed(world, 20)
    with CaptureQueriesContext(connection) as thirty:
        figures = analytics.all_figures(cases)
    assert figures.overview.total == 30
    assert len(ten) == len(thirty), [q["sql"][:120] for q in thirty.captured_queries]
    assert len(thirty) <= 25
    # nothing encrypted is read: no query selects a person's name or a note
    sql = " ".join(q["sql"] for q in thirty.captured_queries)
    assert "full_name" not in sql and '"note"' not in sql and "description" not in sql


def test_service_recorded_events_count(world: Any) -> None:
    """An outcome event recorded through the services on an open case shows in the figures once it is closed."""
    today = timezone.localdate()
    closed = today - dt.timedelta(days=50)
    for case in make_cases(world, 5, closed=closed):
        FollowUp.objects.create(case=case, months=6, due_on=today, status="done", held_on=today)
    served = world.open_case(name="Person Event")
    outcome_event_record(
        actor=world.m["kari"], case=served, kind=OutcomeKind.RE_ENGAGEMENT, occurred_on=today, source="police"
    )
    Case.objects.filter(pk=served.pk).update(phase=Phase.CLOSED, closed_at=_at(closed))
    (group,) = analytics.time_to_reengagement(cohort(world), today=today)
    assert group.n == 6 and group.events is None
    assert [(p.t, p.at_risk) for p in group.curve.points] == [(0.0, 6), (50.0, 6)]
    assert group.curve.points[-1].survival == pytest.approx(5 / 6)


def test_events_per_track_shown_only_when_nothing_in_the_split_is_hidden(world: Any) -> None:
    today = timezone.localdate()
    closed = today - dt.timedelta(days=200)
    exits = make_cases(world, 10, closed=closed)
    for k, case in enumerate(exits[:5]):
        event(world, case, OutcomeKind.RE_ENGAGEMENT, closed + dt.timedelta(days=20 + k))
    groups = {g.key: g for g in analytics.all_figures(cohort(world), today=today).survival}
    assert (groups["all"].n, groups["all"].events) == (10, 5)
    assert (groups["exit"].n, groups["exit"].events) == (10, 5)
    assert (groups["returnee"].n, groups["returnee"].events) == (0, 0)

    make_cases(world, 5, closed=closed, track=Track.RETURNEE)
    event(world, Case.objects.filter(track=Track.RETURNEE).first(), OutcomeKind.RE_ENGAGEMENT, today)
    groups = {g.key: g for g in analytics.all_figures(cohort(world), today=today).survival}
    assert (groups["all"].n, groups["all"].events) == (15, 6)
    assert (groups["exit"].n, groups["exit"].events) == (10, None)  # else 6 - 5 gives the returnees' 1
    assert (groups["returnee"].n, groups["returnee"].events) == (5, None)
