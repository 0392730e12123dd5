"""Protected aggregates over a cohort of cases: the figures of the statistics dashboard and the evaluation report.

Every function takes a queryset of cases — what an analyst's figures are computed over
(``access.evaluation.analytics_cases``), narrowed to a cohort with ``cohort_cases`` — and returns aggregates only:
never a person-level row, a case id or a reference. The rules every figure follows:

* **Counts** below ``MIN_COUNT`` (5) are hidden (``None``), and so are further counts from which a hidden one could
  be worked out from the totals shown with it (secondary suppression, ``stats.suppression``). A zero is shown: it
  describes nobody. Every ``int`` a function here returns is therefore 0 or at least 5.
* **Means and medians** rest on at least five persons or are not given (``None``).
* **Curves** stop where fewer than five remain at risk (``stats.survival``).
* **Changes** need at least five persons with a pair of measurements (``stats.change``).

What none of these figures can say
----------------------------------
They describe the people whose cases are recorded in Utvei, as recorded. There is no comparison group, nobody was
assigned to a measure at random, and missing records are not missing at random (those who stop turning up are not
measured). A difference between cohorts, measures or times is a description, never an effect. Small cohorts give
mostly hidden cells: that is the price of protecting the people in them.

What the protection does not cover
----------------------------------
Each figure is protected on its own, and figures that share counts are protected together (the survival groups
use the overview's table; splits of a published group are hidden with it). Two different cohorts are not: the
difference between the totals of "all cases" and "all cases aged 15-17" is the number of the others, however
small. That differencing is why these figures are for analysts inside the agreement, not for publication; a
recurring public release goes through the differentially private releases instead.

Cost: each function runs a fixed number of queries whatever the number of cases (subqueries on the cohort's
queryset, ``values_list`` of plain columns, aggregation and date arithmetic in the database where it is easy),
and never reads an encrypted field. Measured with SQLite on a busy two-core machine, 100,000 cases with 500,000
measurements, 40,000 outcome events, 115,000 plans with reviews and 230,000 plan items: overview 0.2 s, change
from baseline 1.8-2.0 s (a third of it the bootstrap), re-engagement 0.5 s (0.8 s per track), outcomes by
measure 0.6 s, process measures 1.3-1.5 s.
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Case as DjCase
from django.db.models import Count, F, FloatField, Func, Max, Min, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from utvei.cases.models import Case, Concern, Ideology, Phase, Track
from utvei.core.dates import add_months
from utvei.plans.models import ItemStatus, Measure, Plan, PlanItem, PlanReview, PlanStatus

from .models import (
    ADVERSE_OUTCOMES,
    OCCASION_ORDER,
    Direction,
    FollowUp,
    FollowUpStatus,
    Indicator,
    Measurement,
    MissedReason,
    Occasion,
    OutcomeEvent,
)
from .stats import survival
from .stats.change import Change, paired_change
from .stats.privacy import MIN_COUNT
from .stats.suppression import Cell, ProtectedTable, protect, protect_counts

# A measure was *received* when a plan item of it got going: ongoing, done, or stopped after it started.
RECEIVED = (ItemStatus.ONGOING, ItemStatus.DONE, ItemStatus.STOPPED)

# The open phases, grouped as the overview shows them.
PHASE_GROUPS: dict[str, str] = {
    Phase.INTAKE: "intake_assessment",
    Phase.ASSESSMENT: "intake_assessment",
    Phase.PLANNING: "planning_active",
    Phase.ACTIVE: "planning_active",
    Phase.FOLLOW_UP: "follow_up",
    Phase.CLOSED: "closed",
}
PHASE_GROUP_KEYS = ("intake_assessment", "planning_active", "follow_up", "closed")
TRACK_KEYS: tuple[str, ...] = tuple(Track.values)
IDEOLOGY_KEYS: tuple[str, ...] = tuple(Ideology.values)
QUARTERS = 8

# Occasions after the baseline, in time order (OCCASION_ORDER ranks them).
LATER_OCCASIONS = tuple(o for o in Occasion.values if o != Occasion.INTAKE)

SURVIVAL_TIMES = (0.0, 90.0, 180.0, 365.0, 730.0)

OUTCOME_COLUMNS = ("re_engaged", "not_known_re_engaged")

# The bootstrap draws resamples x persons numbers. Up to 10,000 pairs it makes the 2,000 resamples of the method;
# beyond that, fewer (never below 500), to keep a large cohort's figures quick. The interval of a mean over so
# many persons is narrow, and 500 resamples place its ends well within its width.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MIN_RESAMPLES = 500
BOOTSTRAP_CELLS = 20_000_000

REVIEW_MONTHS = 3  # the plans app's default review interval
REVIEW_GRACE_DAYS = 14

FOLLOW_UP_KEYS: tuple[str, ...] = (
    "done",
    *(f"missed_{reason}" for reason in MissedReason.values),
    "missed_unrecorded",
    "pending",
    "pending_overdue",
)

CAVEATS: tuple[Promise, ...] = (
    _("Observational data: people were not assigned to measures at random."),
    _(
        "Confounding by indication: those who get a measure differ from those who do not, "
        "often in the very problems the measure is for."
    ),
    _("No causal claim: a difference between rows does not show that a measure works or does not."),
    _("Small numbers: counts below 5 are hidden, and so are cells from which they could be worked out."),
)


# ---- Small helpers ---------------------------------------------------------------------------------------


def _count(n: int) -> int | None:
    """A lone count with nothing to subtract it from: shown if 0 or at least MIN_COUNT, else hidden."""
    return n if n == 0 or n >= MIN_COUNT else None


def _median(values: list[float]) -> float | None:
    """The median of at least MIN_COUNT values, else None."""
    return float(statistics.median(values)) if len(values) >= MIN_COUNT else None


def day_zone() -> dt.tzinfo:
    """The zone the figures count days in: the local zone's standard time all year (UTC+1 in Norway), so a day
    does not depend on summer time. A moment keeps its day when anonymisation moves it back by whole days of
    24 hours (docs/anonymisation.md); with summer time, one within an hour of midnight could change day."""
    standard = dt.datetime(2001, 1, 15, 12, tzinfo=timezone.get_current_timezone()).utcoffset()
    return dt.timezone(standard or dt.timedelta(0))


def _local_days(rows: Iterable[tuple[int, dt.datetime | None]]) -> dict[int, dt.date]:
    """``{id: the day}`` (in `day_zone`) of ``(id, moment)`` rows; rows without a moment are left out."""
    tz = day_zone()
    return {pk: moment.astimezone(tz).date() for pk, moment in rows if moment is not None}


class _Days(Func):
    """Days from the moment ``start`` to the moment ``end``, as a float, computed by the database (no datetime is
    built in Python for each row)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)", arg_joiner=" - "
        )


def _public_table(table: ProtectedTable) -> ProtectedTable:
    """The table as published: which hidden cells were below the threshold (primary) and which were hidden to
    protect them (secondary) is not told, since that would say which hidden cells hold 1 to 4 persons. Every
    hidden cell is marked ``primary``: read it as "may be small"."""

    def cell(c: Cell) -> Cell:
        return replace(c, primary=c.suppressed)

    return ProtectedTable(
        cells=tuple(tuple(cell(c) for c in row) for row in table.cells),
        row_totals=tuple(cell(c) for c in table.row_totals),
        col_totals=tuple(cell(c) for c in table.col_totals),
        total=cell(table.total),
    )


def _resamples(n: int) -> int:
    return max(BOOTSTRAP_MIN_RESAMPLES, min(BOOTSTRAP_RESAMPLES, BOOTSTRAP_CELLS // max(n, 1)))


def _split(total: int | None, parts: Mapping[str, int]) -> dict[str, int | None]:
    """Protect a split of a group whose size is published elsewhere as ``total`` (``None`` when that is hidden:
    then every part is hidden too, since they add up to it)."""
    if total is None or not parts:
        return dict.fromkeys(parts)
    published, published_total = protect_counts(dict(parts))
    if published_total is None:
        return dict.fromkeys(parts)
    return published


def _adverse_after_closure(closed: QuerySet[Case], closed_on: Mapping[int, dt.date]) -> dict[int, dt.date]:
    """The first adverse outcome event (ADVERSE_OUTCOMES) dated after the day each case was closed. An event on
    the day of closure counts as before it: it is usually why the case closed, not a re-engagement after it."""
    first: dict[int, dt.date] = {}
    rows = (
        OutcomeEvent.objects.filter(case__in=closed, kind__in=ADVERSE_OUTCOMES)
        .order_by()
        .values_list("case_id", "occurred_on")
    )
    for case_id, occurred_on in rows:
        closed_day = closed_on.get(case_id)
        if closed_day is None or occurred_on <= closed_day:
            continue
        if case_id not in first or occurred_on < first[case_id]:
            first[case_id] = occurred_on
    return first


def _closed(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(phase=Phase.CLOSED, closed_at__isnull=False)


# ---- Cohorts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """Which cases a set of figures describes. Empty fields do not narrow.

    ``track`` is the case's current track; ``ideology`` matches a case with that orientation among its
    (possibly several) orientations; ``age_band`` is the person's band; ``opened_from``/``opened_to`` bound the day
    the case was opened (both inclusive, local time); ``measure`` is a Measure key: only cases that received it
    (a plan item of it ongoing, done or stopped, in any plan version); ``jurisdiction`` is the owning
    organisation's jurisdiction (a municipality or police district: useful where an evaluation pools several).

    Narrow cohorts hold few people, and few people give hidden figures: a cohort does not weaken the protection.
    """

    track: str = ""
    ideology: str = ""
    age_band: str = ""
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    measure: str = ""
    jurisdiction: str = ""


def cohort_cases(cases: QuerySet[Case], cohort: Cohort) -> QuerySet[Case]:
    """``cases`` narrowed to the cohort, still a lazy queryset (no query runs here)."""
    qs = cases
    if cohort.track:
        qs = qs.filter(track=cohort.track)
    if cohort.ideology:
        if cohort.ideology not in IDEOLOGY_KEYS:
            return qs.none()
        # A JSON list of plain slugs: match the quoted element in its text (works on SQLite and PostgreSQL).
        qs = qs.filter(ideologies__icontains=f'"{cohort.ideology}"')
    if cohort.age_band:
        qs = qs.filter(person__age_band=cohort.age_band)
    if cohort.opened_from is not None:
        qs = qs.filter(opened_at__date__gte=cohort.opened_from)
    if cohort.opened_to is not None:
        qs = qs.filter(opened_at__date__lte=cohort.opened_to)
    if cohort.jurisdiction:
        qs = qs.filter(owning_org__jurisdiction=cohort.jurisdiction)
    if cohort.measure:
        received = PlanItem.objects.filter(measure__key=cohort.measure, status__in=RECEIVED).values("plan__case_id")
        qs = qs.filter(pk__in=received)
    return qs


# ---- Overview ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """How many cases there are, where they stand, when they came, and which orientations they concern.

    ``by_track_phase`` has a row per track (``row_keys``) and a column per phase group (``col_keys``): intake and
    assessment, planning and active, follow-up, closed. Its grand total is ``total``. ``opened_by_quarter`` counts
    cases by the quarter they were opened, for the last eight quarters (oldest first, ``"2026Q1"`` labels); it is
    protected together with the cases opened before (or after) those quarters, so that nothing hidden can be
    worked out from ``total``. ``by_ideology`` counts cases per recorded orientation: a case with several counts
    under each, so the counts do not add up to the total, and cases with none recorded are in no count.

    These describe the case load as recorded. The track is the current one; an orientation is the team's
    judgement of the case, not a fact about the person.
    """

    total: int | None
    by_track_phase: ProtectedTable
    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    opened_by_quarter: list[tuple[str, int | None]]
    by_ideology: dict[str, int | None]


def _quarters(today: dt.date) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """The last QUARTERS quarters up to today's, oldest first: label, first moment, first moment of the next
    (local time)."""
    tz = timezone.get_current_timezone()
    first_month = (today.month - 1) // 3 * 3 + 1
    start = dt.date(today.year, first_month, 1)
    result = []
    for _i in range(QUARTERS):
        end = add_months(start, 3)
        label = f"{start.year}Q{(start.month - 1) // 3 + 1}"
        result.append((label, dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end, dt.time(), tz)))
        start = add_months(start, -3)
    return result[::-1]


def _track_phase(cases: QuerySet[Case]) -> tuple[dict[tuple[str, str], int], ProtectedTable]:
    """Cases by track and phase group, and that table protected. The survival figures reuse it, so that the
    number of closed cases per track is hidden or shown alike in both."""
    grid = {(t, g): 0 for t in TRACK_KEYS for g in PHASE_GROUP_KEYS}
    rows = cases.order_by().values("track", "phase").annotate(n=Count("pk")).values_list("track", "phase", "n")
    for track, phase, n in rows:
        key = (track, PHASE_GROUPS.get(phase, ""))
        if key in grid:
            grid[key] += n
    return grid, _public_table(protect([[grid[(t, g)] for g in PHASE_GROUP_KEYS] for t in TRACK_KEYS]))


def overview(cases: QuerySet[Case], *, today: dt.date | None = None) -> Overview:
    """The case load: a protected track-by-phase table, cases opened per quarter, cases per orientation."""
    today = today or timezone.localdate()
    grid, table = _track_phase(cases)

    # Counted by comparing with each quarter's bounds in the database: no date arithmetic per case.
    quarters = _quarters(today)
    labels = [label for label, _start, _end in quarters]
    counted = cases.order_by().aggregate(
        **{
            f"q{i}": Count("pk", filter=Q(opened_at__gte=start, opened_at__lt=end))
            for i, (_l, start, end) in enumerate(quarters)
        }
    )
    per_quarter = {label: counted[f"q{i}"] or 0 for i, label in enumerate(labels)}
    outside = sum(grid.values()) - sum(per_quarter.values())
    published, _total = protect_counts({**per_quarter, "": outside})

    per_ideology: dict[str, int] = dict.fromkeys(IDEOLOGY_KEYS, 0)
    for value, n in cases.order_by().values("ideologies").annotate(n=Count("pk")).values_list("ideologies", "n"):
        for ideology in set(value) if isinstance(value, list) else ():
            if ideology in per_ideology:
                per_ideology[ideology] += n
    by_ideology, _sum = protect_counts(per_ideology)

    return Overview(
        total=table.total.value,
        by_track_phase=table,
        row_keys=TRACK_KEYS,
        col_keys=PHASE_GROUP_KEYS,
        opened_by_quarter=[(label, published[label]) for label in labels],
        by_ideology=by_ideology,
    )


# ---- Change from baseline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorChange:
    """Change in one indicator between intake and the latest later occasion, for the persons who have both.

    ``change`` is the mean of ``later - baseline`` with a bootstrap interval (``stats.change``); it is raw, in the
    indicator's units: read it with ``direction`` (``higher`` or ``lower`` is better). ``improved``, ``same`` and
    ``worse`` count persons whose later value is better, equal or worse in that direction; they add up to
    ``change.n`` and are protected together (hidden when the change is). The interval uses 2,000 bootstrap
    resamples up to 10,000 persons, and fewer above that (never below 500) to bound the time: over so many
    persons the interval is narrow, and its ends move by a small part of its width from one seed to another.

    What it can say: how these persons' recorded values moved. What it cannot: that the work moved them. There is
    no comparison group; people often come in at their worst and improve anyway (regression to the mean); those
    who left before a later measurement are not in it; the later occasion differs from person to person (a review
    for some, a follow-up for others).
    """

    indicator_key: str
    name_nb: str
    name_en: str
    direction: str
    change: Change
    improved: int | None
    same: int | None
    worse: int | None


def change_from_baseline(cases: QuerySet[Case]) -> list[IndicatorChange]:
    """Per active indicator: baseline = the case's latest-recorded intake measurement (a correction, being newer,
    wins); later = the latest measurement at the latest occasion after intake (review < closure < follow-up 6 <
    12 < 24 months; within an occasion the latest date, then the latest recorded)."""
    indicators = list(
        Indicator.objects.filter(active=True)
        .order_by("position", "key")
        .values_list("pk", "key", "name_nb", "name_en", "direction")
    )
    # All of the cohort's measurements, in an order where the one that counts comes last in each (case,
    # indicator): the database sorts, a dict keeps the last. Inactive indicators are dropped afterwards (a list
    # of indicator ids in the query would cost an index probe per case and indicator).
    measurements = Measurement.objects.filter(case__in=cases).order_by()
    intake = (
        measurements.filter(occasion=Occasion.INTAKE)
        .order_by("created_at", "pk")
        .values_list("case_id", "indicator_id", "value")
    )
    baseline = {(case_id, indicator_id): value for case_id, indicator_id, value in intake}
    rank = DjCase(*(When(occasion=o, then=Value(OCCASION_ORDER[o])) for o in LATER_OCCASIONS), default=Value(0))
    later_rows = (
        measurements.filter(occasion__in=LATER_OCCASIONS)
        .alias(rank=rank)
        .order_by("rank", "measured_on", "created_at", "pk")
        .values_list("case_id", "indicator_id", "value")
    )
    later = {(case_id, indicator_id): value for case_id, indicator_id, value in later_rows}

    # In case order (not the order rows were recorded in), so that the bootstrap draws the same resamples from the
    # same persons however their records were written or moved (an anonymised case's dates are moved).
    pairs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for pair_key, base in sorted(baseline.items()):
        after = later.get(pair_key)
        if after is not None:
            pairs[pair_key[1]].append((base, after))

    result = []
    for pk, key, name_nb, name_en, direction in indicators:
        these = pairs.get(pk, [])
        change = paired_change(these, resamples=_resamples(len(these)))
        improved = same = worse = 0
        for base, after in these:
            if after == base:
                same += 1
            elif (after > base) == (direction == Direction.HIGHER):
                improved += 1
            else:
                worse += 1
        counts: dict[str, int | None] = {"improved": None, "same": None, "worse": None}
        if not change.suppressed:
            counts = _split(change.n, {"improved": improved, "same": same, "worse": worse})
        result.append(
            IndicatorChange(
                indicator_key=key,
                name_nb=name_nb,
                name_en=name_en,
                direction=direction,
                change=change,
                improved=counts["improved"],
                same=counts["same"],
                worse=counts["worse"],
            )
        )
    return result


# ---- Time to re-engagement ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivalGroup:
    """Time from closure to the first re-engagement (ADVERSE_OUTCOMES after the closure day) for one group of
    closed cases: ``"all"``, or a track.

    ``n`` is the number of closed cases in the group: exactly the overview's closed cases of that track (or all
    closed cases), hidden or shown as the overview's protected table has it, so the two can be shown side by side.
    ``curve`` is the Kaplan–Meier estimate of the share not yet known to have re-engaged, cut where fewer than
    five remain at risk; it is suppressed (no points) when ``n`` is hidden. Its per-point ``events`` and
    ``censored`` counts and its ``events`` total are small numbers and are *not published*: they are set to 0.
    Read ``n``, ``events`` and the risk set ``at_risk`` at 0, 90, 180, 365 and 730 days instead. ``events`` is
    the number of re-engagements recorded (in the whole follow-up, also beyond the cut), hidden with the rest of
    the split; per track it is shown only when every track's can be, since they add up to the figure for all.

    A person is followed from closure to the last day anything is known about them — the latest of the closure,
    a follow-up held, and any outcome event recorded — and censored there. What the curve cannot say: whether
    someone not followed up re-engaged (it assumes they would have done so at the same rate as those followed,
    which is doubtful: people are lost to follow-up for reasons), and anything about cases never closed. A
    re-engagement that nobody recorded is not in it: the curve is an upper bound on "not re-engaged".
    """

    key: str
    curve: survival.Curve
    at_risk: list[tuple[float, int | None]]
    n: int | None
    events: int | None


def _public_curve(curve: survival.Curve) -> survival.Curve:
    if curve.suppressed:
        return curve
    points = tuple(replace(p, events=0, censored=0) for p in curve.points)
    return replace(curve, points=points, events=0)


def _group_size(published: int | None, durations: list[float]) -> int | None:
    """The group's size as the overview shows it; hidden when the overview hides it, or when it differs (a closed
    case without its closing time is in the overview but cannot be followed)."""
    return published if published == len(durations) else None


def _survival_group(
    key: str, durations: list[float], observed: list[bool], n: int | None, events: int | None
) -> SurvivalGroup:
    curve = survival.kaplan_meier(durations, observed) if n else survival.SUPPRESSED
    curve = _public_curve(curve)
    return SurvivalGroup(
        key=key, curve=curve, at_risk=survival.at_risk_table(curve, SURVIVAL_TIMES), n=n, events=events
    )


def time_to_reengagement(
    cases: QuerySet[Case], *, today: dt.date | None = None, by_track: bool = False
) -> list[SurvivalGroup]:
    """Kaplan–Meier curves of days from closure to the first adverse outcome event after it, for closed cases:
    one group ``"all"``, or one per track (the case's current track) when ``by_track``."""
    return _reengagement(cases, today or timezone.localdate(), everyone=not by_track, tracks=by_track)


def _reengagement(cases: QuerySet[Case], today: dt.date, *, everyone: bool, tracks: bool) -> list[SurvivalGroup]:
    """The group "all" (if ``everyone``) followed by one group per track (if ``tracks``)."""
    closed = _closed(cases)
    cases_rows = list(closed.order_by().values_list("pk", "track", "closed_at"))
    closed_on = _local_days((pk, closed_at) for pk, _track, closed_at in cases_rows)
    first = _adverse_after_closure(closed, closed_on)
    last_known: dict[int, dt.date] = dict(closed_on)
    last_event = (
        OutcomeEvent.objects.filter(case__in=closed)
        .order_by()
        .values("case_id")
        .annotate(last=Max("occurred_on"))
        .values_list("case_id", "last")
    )
    last_follow_up = (
        FollowUp.objects.filter(case__in=closed, status=FollowUpStatus.DONE, held_on__isnull=False)
        .order_by()
        .values("case_id")
        .annotate(last=Max("held_on"))
        .values_list("case_id", "last")
    )
    for rows in (last_event, last_follow_up):
        for case_id, day in rows:
            if case_id in last_known and day is not None and day > last_known[case_id]:
                last_known[case_id] = day

    durations: dict[str, list[float]] = {t: [] for t in TRACK_KEYS}
    observed: dict[str, list[bool]] = {t: [] for t in TRACK_KEYS}
    for pk, track, _closed_at in cases_rows:
        if track not in durations:
            continue
        start = closed_on[pk]
        event = first.get(pk)
        if event is not None and event <= today:
            durations[track].append(float((event - start).days))
            observed[track].append(True)
        else:
            end = min(last_known[pk], today)
            durations[track].append(float(max(0, (end - start).days)))
            observed[track].append(False)

    _grid, table = _track_phase(cases)
    closed_col = PHASE_GROUP_KEYS.index("closed")
    all_durations = [d for t in TRACK_KEYS for d in durations[t]]
    all_observed = [o for t in TRACK_KEYS for o in observed[t]]
    all_n = _group_size(table.col_totals[closed_col].value, all_durations)
    sizes = {t: _group_size(table.cells[i][closed_col].value, durations[t]) for i, t in enumerate(TRACK_KEYS)}
    events = {t: sum(observed[t]) for t in TRACK_KEYS}
    # Per track, the events are shown only when every track's size and split can be shown in full: a hidden one
    # could otherwise be worked out from the total for all tracks and the others.
    per_track_shown = all(
        sizes[t] is not None and _count(events[t]) is not None and _count(len(durations[t]) - events[t]) is not None
        for t in TRACK_KEYS
    )
    groups = []
    if everyone:
        split = _split(all_n, {"events": sum(events.values()), "censored": len(all_durations) - sum(events.values())})
        groups.append(_survival_group("all", all_durations, all_observed, all_n, split["events"]))
    if tracks:
        groups += [
            _survival_group(t, durations[t], observed[t], sizes[t], events[t] if per_track_shown else None)
            for t in TRACK_KEYS
        ]
    return groups


# ---- Outcomes by measure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureRow:
    """One measure's closed cases: how many received it (``received``, the table's row total), how many of them
    are known to have re-engaged after closure and how many are not, how many stopped it early (its latest item
    stopped) and the share that is of ``received``, and the median number of sessions held among those where it
    was recorded (``sessions_known`` of them; the median only from five values)."""

    key: str
    name_nb: str
    name_en: str
    received: int | None
    re_engaged: int | None
    not_known_re_engaged: int | None
    stopped: int | None
    stopped_share: float | None
    sessions_known: int | None
    median_sessions: float | None


@dataclass(frozen=True)
class MeasureOutcomes:
    """Outcome after closure by measure received, for closed cases.

    ``table`` has a row per measure received by at least one closed case (``row_keys``, in catalogue order) and
    the columns ``col_keys``: ``re_engaged`` (an adverse outcome event dated after the closure day) and
    ``not_known_re_engaged`` (none recorded — which is not the same as "did not re-engage"). A case counts once per
    measure however many plan versions or items held it, and in every row of a measure it received, so the
    column totals and the grand total count case-measure pairs, not persons. ``table`` is ``None`` when no closed
    case received a measure. ``rows`` repeats the table per measure with the exposure figures.

    Read ``caveats`` before any row: this table cannot say whether a measure works.
    """

    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    table: ProtectedTable | None
    rows: tuple[MeasureRow, ...]
    caveats: tuple[Promise, ...]


def outcomes_by_measure(cases: QuerySet[Case]) -> MeasureOutcomes:
    """Per measure received (deduplicated per case across plan versions), the closed cases known to have
    re-engaged after closure or not, with the share stopped early and the median sessions held."""
    closed = _closed(cases)
    closed_on = _local_days(closed.order_by().values_list("pk", "closed_at"))
    re_engaged = _adverse_after_closure(closed, closed_on)

    # (case, measure) -> [status of its latest item, largest sessions held recorded]. Items are read oldest plan
    # version first, so the last one seen is the latest. Sessions held only grow, and a new plan version's copy
    # of an item may not carry them yet: the largest recorded is the best estimate.
    received: dict[tuple[int, int], list[Any]] = {}
    items = (
        PlanItem.objects.filter(plan__case__in=closed, status__in=RECEIVED)
        .order_by("plan__number", "pk")
        .values_list("plan__case_id", "measure_id", "status", "sessions_held")
    )
    for case_id, measure_id, status, held in items:
        entry = received.setdefault((case_id, measure_id), [status, None])
        entry[0] = status
        if held is not None and (entry[1] is None or held > entry[1]):
            entry[1] = held

    measure_ids = {measure_id for _case, measure_id in received}
    measures = list(
        Measure.objects.filter(pk__in=measure_ids)
        .order_by("position", "key")
        .values_list("pk", "key", "name_nb", "name_en")
    )
    if not measures:
        return MeasureOutcomes(row_keys=(), col_keys=OUTCOME_COLUMNS, table=None, rows=(), caveats=CAVEATS)

    outcome: dict[int, list[int]] = {row[0]: [0, 0] for row in measures}
    stopped = dict.fromkeys(outcome, 0)
    sessions: dict[int, list[float]] = {pk: [] for pk in outcome}
    for (case_id, measure_id), (status, most) in received.items():
        outcome[measure_id][0 if case_id in re_engaged else 1] += 1
        if status == ItemStatus.STOPPED:
            stopped[measure_id] += 1
        if most is not None:
            sessions[measure_id].append(float(most))

    table = _public_table(protect([outcome[row[0]] for row in measures]))
    rows = []
    for i, (pk, key, name_nb, name_en) in enumerate(measures):
        n = sum(outcome[pk])
        total = table.row_totals[i].value
        stop = _split(total, {"stopped": stopped[pk], "not_stopped": n - stopped[pk]})
        known = _split(total, {"known": len(sessions[pk]), "unknown": n - len(sessions[pk])})
        share = stop["stopped"] / total if stop["stopped"] is not None and total else None
        rows.append(
            MeasureRow(
                key=key,
                name_nb=name_nb,
                name_en=name_en,
                received=total,
                re_engaged=table.cells[i][0].value,
                not_known_re_engaged=table.cells[i][1].value,
                stopped=stop["stopped"],
                stopped_share=share,
                sessions_known=known["known"],
                median_sessions=_median(sessions[pk]),
            )
        )
    return MeasureOutcomes(
        row_keys=tuple(row[1] for row in measures),
        col_keys=OUTCOME_COLUMNS,
        table=table,
        rows=tuple(rows),
        caveats=CAVEATS,
    )


# ---- Process measures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessMeasures:
    """How the work runs, not what it achieves.

    * ``triage_median_days``: median days from a concern received to its triage, over the triaged concerns linked
      to the cases (``triage_n``; a case may have several concerns). Concerns that never led to one of these cases
      are not in it.
    * ``approval_median_days``: median days from a case opened to its first plan approval, over cases with an
      approved plan (``approval_n``; hidden, too, when fewer than five cases have none, since the total number of
      cases is shown elsewhere). Cases still without a plan are not in the median: it says nothing about them.
    * ``reviews_on_time`` / ``reviews_late``: reviews of approved (or since superseded) plans. The due date in
      force at each review is reconstructed, not stored: for a plan's second and later reviews it is the next
      review date the previous review set (exact); for the first it is three months after approval (the default;
      an approver who chose another date is not known). A review more than 14 days after its due date is late.
      Reviews that never happened are not here: ``plans_review_overdue`` counts plans in force on open cases
      whose next review date has passed today.
    * ``follow_ups``: follow-ups by state — done, missed by reason, pending and not yet due, pending and overdue
      (due date passed) — protected together, with their total ``follow_ups_total``. They count follow-ups
      (up to three per case), not persons.

    Medians need five values; every count is protected.
    """

    triage_median_days: float | None
    triage_n: int | None
    approval_median_days: float | None
    approval_n: int | None
    reviews_on_time: int | None
    reviews_late: int | None
    plans_review_overdue: int | None
    follow_ups: dict[str, int | None]
    follow_ups_total: int | None


def _review_timeliness(cases: QuerySet[Case]) -> tuple[int, int]:
    """Reviews of approved (or superseded) plans on time and late; see ProcessMeasures for the rule."""
    reviews = (
        PlanReview.objects.filter(
            plan__case__in=cases,
            plan__status__in=(PlanStatus.APPROVED, PlanStatus.SUPERSEDED),
            plan__approved_at__isnull=False,
        )
        .order_by("plan_id", "reviewed_on", "pk")
        .values_list("plan_id", "reviewed_on", "next_review_due", "plan__approved_at")
    )
    tz = day_zone()
    grace = dt.timedelta(days=REVIEW_GRACE_DAYS)
    on_time = late = 0
    previous_plan: int | None = None
    due: dt.date | None = None
    first_due: dict[dt.date, dt.date] = {}  # approval day -> its first review's due date (days repeat)
    for plan_id, reviewed_on, next_due, approved_at in reviews:
        if plan_id != previous_plan:
            previous_plan = plan_id
            due = None
            if approved_at is not None:
                day = approved_at.astimezone(tz).date()
                due = first_due.get(day) or first_due.setdefault(day, add_months(day, REVIEW_MONTHS))
        if due is None or reviewed_on <= due + grace:
            on_time += 1
        else:
            late += 1
        due = next_due
    return on_time, late


def process_measures(cases: QuerySet[Case], *, today: dt.date | None = None) -> ProcessMeasures:
    """Time to triage and to an approved plan, plan reviews on time, and the state of follow-ups."""
    today = today or timezone.localdate()
    triage = [
        max(0.0, days)
        for days in Concern.objects.filter(case__in=cases, triaged_at__isnull=False)
        .order_by()
        .annotate(days=_Days(F("triaged_at"), F("received_at")))
        .values_list("days", flat=True)
        if days is not None
    ]
    approval = [
        max(0.0, days)
        for days in cases.order_by()
        .annotate(days=_Days(Min("plans__approved_at"), F("opened_at")))
        .values_list("days", flat=True)
        if days is not None
    ]
    cases_n = cases.order_by().count()
    approved = _split(_count(cases_n), {"approved": len(approval), "not_approved": cases_n - len(approval)})
    on_time, late = _review_timeliness(cases)
    reviews, _reviews_total = protect_counts({"on_time": on_time, "late": late})
    overdue_plans = (
        Plan.objects.filter(case__in=cases.exclude(phase=Phase.CLOSED), status=PlanStatus.APPROVED)
        .filter(review_due__lt=today)
        .count()
    )

    follow_ups: dict[str, int] = dict.fromkeys(FOLLOW_UP_KEYS, 0)
    states = (
        FollowUp.objects.filter(case__in=cases)
        .order_by()
        .values("status", "missed_reason")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .values_list("status", "missed_reason", "n", "overdue")
    )
    for status, reason, n, overdue in states:
        if status == FollowUpStatus.DONE:
            follow_ups["done"] += n
        elif status == FollowUpStatus.MISSED:
            key = f"missed_{reason}"
            follow_ups[key if key in follow_ups else "missed_unrecorded"] += n
        else:
            follow_ups["pending"] += n - overdue
            follow_ups["pending_overdue"] += overdue
    published, follow_ups_total = protect_counts(follow_ups)

    return ProcessMeasures(
        triage_median_days=_median(triage),
        triage_n=_count(len(triage)),
        approval_median_days=_median(approval),
        approval_n=approved["approved"],
        reviews_on_time=reviews["on_time"],
        reviews_late=reviews["late"],
        plans_review_overdue=_count(overdue_plans),
        follow_ups=published,
        follow_ups_total=follow_ups_total,
    )


# ---- Everything at once ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """All the figures of one cohort, computed once, so that the dashboard and the PDF report show the same
    numbers. Each part carries its own account of what it can and cannot say."""

    overview: Overview
    changes: list[IndicatorChange]
    survival: list[SurvivalGroup]  # "all" first, then one per track, from one protected table
    measures: MeasureOutcomes
    process: ProcessMeasures


def all_figures(cases: QuerySet[Case], *, today: dt.date | None = None) -> Figures:
    """Every figure above for ``cases`` (already narrowed to a cohort), as of ``today``."""
    today = today or timezone.localdate()
    return Figures(
        overview=overview(cases, today=today),
        changes=change_from_baseline(cases),
        survival=_reengagement(cases, today, everyone=True, tracks=True),
        measures=outcomes_by_measure(cases),
        process=process_measures(cases, today=today),
    )


# ---- The same figures again, without computing them again --------------------------------------------------
#
# The figures of a cohort change only when its data does. At a nation's scale they take seconds to compute, so the
# last few are kept in this process, keyed by the cohort and a stamp of the data they were computed from: any new
# or changed case, measurement, event, follow-up, plan item, plan review or triage gives a new stamp, and a kept
# set is never older than FIGURES_MAX_AGE. What is kept is protected aggregates only: nothing about a person.

FIGURES_MAX_AGE = dt.timedelta(minutes=10)
FIGURES_KEPT = 32
_kept: dict[tuple[Any, ...], tuple[dt.datetime, Figures]] = {}
_kept_lock = threading.Lock()


def data_stamp(cases: QuerySet[Case]) -> tuple[Any, ...]:
    """A cheap fingerprint of everything the figures read (a handful of aggregate queries)."""
    own = cases.order_by().aggregate(n=Count("pk"), last=Max("pk"), versions=Sum("version"))
    return (
        own["n"],
        own["last"],
        own["versions"],
        Measurement.objects.aggregate(m=Max("pk"))["m"],
        OutcomeEvent.objects.aggregate(m=Max("pk"))["m"],
        tuple(FollowUp.objects.aggregate(m=Max("recorded_at"), v=Sum("version"), n=Count("pk")).values()),
        tuple(PlanItem.objects.aggregate(m=Max("updated_at"), n=Count("pk")).values()),
        PlanReview.objects.aggregate(m=Max("pk"))["m"],
        Plan.objects.aggregate(m=Max("approved_at"))["m"],
        Concern.objects.aggregate(m=Max("triaged_at"))["m"],
    )


def figures(cases: QuerySet[Case], *, key: tuple[Any, ...], today: dt.date | None = None) -> Figures:
    """`all_figures` for ``cases``, reused while neither the data (`data_stamp`) nor the day has changed. ``key``
    names the cohort (the organisations in scope and the cohort's filters)."""
    today = today or timezone.localdate()
    stamp = data_stamp(cases)
    full_key = (key, today, stamp)
    now = timezone.now()
    with _kept_lock:
        hit = _kept.get(full_key)
    if hit is not None and now - hit[0] < FIGURES_MAX_AGE:
        return hit[1]
    result = all_figures(cases, today=today)
    with _kept_lock:
        if len(_kept) >= FIGURES_KEPT:
            _kept.pop(min(_kept, key=lambda k: _kept[k][0]))
        _kept[full_key] = (now, result)
    return result


def forget_figures() -> None:
    with _kept_lock:
        _kept.clear()


__all__ = [
    "CAVEATS",
    "Cohort",
    "Figures",
    "IndicatorChange",
    "MeasureOutcomes",
    "MeasureRow",
    "Overview",
    "ProcessMeasures",
    "SurvivalGroup",
    "all_figures",
    "data_stamp",
    "figures",
    "forget_figures",
    "change_from_baseline",
    "cohort_cases",
    "outcomes_by_measure",
    "overview",
    "process_measures",
    "time_to_reengagement",
]
