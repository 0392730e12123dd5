"""Synthetic outcome data in bulk — follow-ups, measurements, outcome events and measure exposure — for the cases
that `utvei synth` (tools/synthetic.py) and the demo's historical cohort (tools/demo/evaluation.py) write in
bulk.

Everything is invented. It is built in memory for one batch of cases as rows (dicts of field values, made by the
batch's `add`, tools.synthetic.BulkWriter) and written with the rest of the batch, with one audit event per created
object through the batch's `event` callback: the same bulk path and hash chain as the rest of the batch (reason
"synth"), so the DPO can tell load from work and `audit verify` holds. Nothing here reads a person or queries the
database.

The model behind the numbers — plausible, not real:

* Each case has a severity, and each of its indicators a baseline burden between 0 and 1 (exit and returnee cases
  start heavier than prevention). A case that received measures (it reached the active phase) improves by a gain
  that grows with the dose it received (sessions held of those planned); a case that did not moves little. Every
  value has noise, so some cases get worse, and values are rounded to the indicator's scale.
* A measured case (a share of them, `measured`) has a baseline at intake, a review while the measures ran (two
  when they ran long), a closure measurement when it was closed, and one at each follow-up that was held: three to
  seven indicators that apply to its track, mostly the worker's rating and some the person's own report.
* Follow-ups 6, 12 and 24 months after the measures ended (when the case entered follow-up, or was closed from the
  active phase): those past their date are mostly done, some missed (mostly no contact), a few still pending;
  those not yet due are pending; a person who died is followed up by nobody (missed, deceased).
* Re-engagement with the milieu after closure for about one closed case in eight (more often when the gain was
  small), at a random time between closure and today, sometimes with an extremist offence; after it, follow-ups
  go worse.
  Starts of work, education and housing and threats from the milieu fall while the measures run.
* Each plan item gets its dose: sessions planned and held, start and end; about one in seven that ended was
  stopped early, with a reason; most plans get one or two more items from the commonly used measures.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases.models import ClosureReason, Phase, Track
from utvei.core.dates import add_months
from utvei.core.vocabulary import Classification
from utvei.evaluation.models import (
    OUTCOME_CATEGORY,
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorSource,
    Measurement,
    MissedReason,
    Occasion,
    OutcomeEvent,
    OutcomeKind,
    OutcomeSource,
)
from utvei.evaluation.services import indicators_sync
from utvei.plans.models import ItemStatus, Measure, PlanItem, PlanReview, StopReason

FOLLOW_UP_MONTHS = (6, 12, 24)
FOLLOW_UP_OCCASION = {6: Occasion.FOLLOW_UP_6, 12: Occasion.FOLLOW_UP_12, 24: Occasion.FOLLOW_UP_24}
# Always measured when a case is measured: the indicators evaluators look at first.
ALWAYS = ("milieu-contact", "prosocial-network", "violence-justification")
# Recorded by the case record itself (services._derived), never rated: not generated here.
DERIVED_ONLY = ("network-supportive-ties", "network-risk-ties", "plan-goals-met")
# Mean baseline burden by track (0 = none of the problem, 1 = all of it).
BURDEN = {Track.PREVENTION: 0.45, Track.EXIT: 0.62, Track.RETURNEE: 0.58}
# Measures commonly added to a plan, with how often (catalogue keys; those missing are skipped).
COMMON_MEASURES = {
    "mentor": 6,
    "employment-work-training": 5,
    "motivational-conversation": 4,
    "education-school-adaptation": 3,
    "housing": 3,
    "mental-health-trauma-care": 3,
    "ideological-dialogue": 2,
    "family-support-parents-network": 2,
    "leisure-sport": 2,
    "debt-counselling": 1,
    "former-member-support": 1,
    "safety-planning-protection": 1,
}
SESSIONS = (6, 8, 10, 12, 12, 16, 20, 24)
STOP_REASONS = {
    StopReason.NO_SHOW: 30,
    StopReason.DECLINED: 25,
    StopReason.NOT_SUITABLE: 15,
    StopReason.MOVED: 10,
    StopReason.PROVIDER: 8,
    StopReason.CUSTODY: 7,
    StopReason.GOAL_REACHED: 5,
}
MISSED_REASONS = {MissedReason.NO_CONTACT: 55, MissedReason.DECLINED: 25, MissedReason.MOVED: 20}
EVENT_SOURCES = {
    OutcomeKind.RE_ENGAGEMENT: (OutcomeSource.POLICE, OutcomeSource.WORKER, OutcomeSource.OTHER_AGENCY),
    OutcomeKind.EXTREMIST_OFFENCE: (OutcomeSource.POLICE,),
    OutcomeKind.OTHER_OFFENCE: (OutcomeSource.POLICE, OutcomeSource.REGISTER),
    OutcomeKind.VIOLENCE: (OutcomeSource.POLICE, OutcomeSource.WORKER),
    OutcomeKind.THREATS: (OutcomeSource.PERSON, OutcomeSource.POLICE, OutcomeSource.WORKER),
    OutcomeKind.WORK: (OutcomeSource.WORKER, OutcomeSource.PERSON, OutcomeSource.OTHER_AGENCY),
    OutcomeKind.EDUCATION: (OutcomeSource.WORKER, OutcomeSource.PERSON),
    OutcomeKind.HOUSING: (OutcomeSource.WORKER, OutcomeSource.OTHER_AGENCY),
}


Row = dict[str, Any]


class StoryLike(Protocol):
    """What is needed of one synthetic case (tools/synthetic.py's _Story): the case's row, its path through the
    phases with when each began, its team (the lead first), and its approved plan and the plan's items (cases that
    reached the active phase; not yet written, so the dose and reviews are set on the rows themselves)."""

    case: Row
    path: list[str]
    stamps: list[dt.datetime]
    team: list[Membership]
    plan: Row | None
    items: list[Row]


Event = Callable[..., Any]
Add = Callable[..., Row]


@dataclass
class OutcomeStats:
    follow_ups: int = 0
    measurements: int = 0
    outcome_events: int = 0
    items: int = 0
    reviews: int = 0


@dataclass
class _State:
    """One case while its outcome data is built."""

    story: StoryLike
    received: bool  # reached the active phase: a plan with measures
    end: dt.datetime  # when the measures ended (or the case was closed, or now)
    gain: float = 0.0
    dose: float = 0.0
    indicators: list[tuple[Indicator, str, float, float]] = field(default_factory=list)  # source, baseline, weight
    re_engaged: dt.date | None = None
    reviews: list[dt.date] = field(default_factory=list)  # the plan's reviews


def indicators() -> list[Indicator]:
    """The active indicators that are rated (not derived), from the catalogue; synced first on an empty database."""
    if not Indicator.objects.exists():
        indicators_sync()
    return [i for i in Indicator.objects.filter(active=True) if i.key not in DERIVED_ONLY]


def _day(stamp: dt.datetime) -> dt.date:
    """The day in the project's time zone (as timezone.localdate; commands activate no other zone)."""
    return stamp.astimezone(timezone.get_default_timezone()).date()


def _at(day: dt.date, hour: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=timezone.get_default_timezone())


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _clip(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return low if x < low else high if x > high else x


def measures_ended(story: StoryLike) -> dt.datetime | None:
    """When the measures ended, as the services see it: the case entered follow-up, or was closed from active."""
    path = story.path
    if Phase.FOLLOW_UP in path:
        return story.stamps[path.index(Phase.FOLLOW_UP)]
    if Phase.ACTIVE in path and story.case["phase"] == Phase.CLOSED:
        return story.stamps[-1]
    return None


def bulk_evaluation(
    stories: Sequence[StoryLike],
    *,
    rng: random.Random,
    now: dt.datetime,
    add: Add,
    event: Event,
    catalogue: list[Indicator],
    common: dict[str, Measure],
    measured: float = 0.6,
) -> OutcomeStats:
    """Build the evaluation data of one batch of synthetic cases (their plans built, not yet written) as rows with
    `add`, each with its audit event; see the module. `common` holds the measures of COMMON_MEASURES by key."""
    stats = OutcomeStats()
    if not stories:
        return stats
    today = _day(now)
    doses = _exposure(stories, rng=rng, today=today, add=add, event=event, common=common, stats=stats)
    reviews = _reviews(stories, rng=rng, today=today, now=now, add=add, event=event, stats=stats)
    states = [_state(s, rng=rng, now=now, today=today, doses=doses, catalogue=catalogue) for s in stories]
    for state in states:
        state.reviews = reviews.get(state.story.case["id"], [])
    ctx = _Ctx(rng=rng, today=today, now=now, add=add, event=event, stats=stats)
    follow_ups = _follow_ups(states, ctx)
    _events(states, ctx)
    _measurements(states, follow_ups, ctx, measured=measured)
    return stats


@dataclass
class _Ctx:
    rng: random.Random
    today: dt.date
    now: dt.datetime
    add: Add
    event: Event
    stats: OutcomeStats


# ---- The person's course ----------------------------------------------------------------------------------


def _state(
    s: StoryLike,
    *,
    rng: random.Random,
    now: dt.datetime,
    today: dt.date,
    doses: dict[int, float],
    catalogue: list[Indicator],
) -> _State:
    case = s.case
    received = Phase.ACTIVE in s.path
    ended = measures_ended(s)
    closed = case["phase"] == Phase.CLOSED
    end = ended or (s.stamps[-1] if closed else now)
    state = _State(story=s, received=received, end=end, dose=doses.get(case["id"], 0.0))
    state.gain = rng.gauss(0.05, 0.12) + (rng.gauss(0.12, 0.08) + 0.22 * state.dose if received else 0.0)
    severity = rng.gauss(0.0, 0.1)
    track = [i for i in catalogue if case["track"] in i.tracks]
    always = [i for i in track if i.key in ALWAYS]
    rest = [i for i in track if i.key not in ALWAYS]
    chosen = always + rng.sample(rest, min(len(rest), rng.randint(1, 4)))
    for indicator in chosen:
        sources = [x for x in indicator.sources if x != IndicatorSource.DERIVED]
        source = (
            IndicatorSource.SELF_REPORT
            if IndicatorSource.SELF_REPORT in sources and (len(sources) == 1 or rng.random() < 0.15)
            else IndicatorSource.WORKER
        )
        baseline = _clip(rng.gauss(BURDEN[Track(case["track"])] + severity, 0.18), 0.02, 0.98)
        state.indicators.append((indicator, source, baseline, rng.uniform(0.5, 1.3)))
    if closed and case["closure_reason"] != ClosureReason.DECEASED:
        since = (today - _day(s.stamps[-1])).days
        chance = _clip(0.13 - 0.25 * (state.gain - 0.2), 0.04, 0.3)
        if since > 14 and rng.random() < chance:
            state.re_engaged = _day(s.stamps[-1]) + dt.timedelta(days=round(rng.uniform(7, min(since, 900))))
    return state


def _value(indicator: Indicator, burden: float) -> float:
    """A burden between 0 and 1 as a value on the indicator's scale, rounded as the scale is."""
    share = burden if indicator.direction == "lower" else 1.0 - burden
    low, high = indicator.min_value, indicator.max_value
    return float(round(low + _clip(share) * (high - low)))


def _burden(state: _State, baseline: float, weight: float, progress: float, rng: random.Random, day: dt.date) -> float:
    gain = state.gain
    if state.re_engaged is not None and state.re_engaged <= day:
        gain = -abs(rng.gauss(0.15, 0.08))  # back in the milieu: worse than at the start
    return _clip(baseline - gain * weight * progress + rng.gauss(0.0, 0.09))


# ---- Exposure to measures ---------------------------------------------------------------------------------


def _exposure(
    stories: Sequence[StoryLike],
    *,
    rng: random.Random,
    today: dt.date,
    add: Add,
    event: Event,
    common: dict[str, Measure],
    stats: OutcomeStats,
) -> dict[int, float]:
    """The dose of every plan item of the batch's cases, and one or two more items for most plans. Returns each
    case's adherence (mean share of planned sessions held, 0..1)."""
    weights = {k: w for k, w in COMMON_MEASURES.items() if k in common}
    adherence: dict[int, float] = {}
    for s in stories:
        if not s.items:
            continue
        doses = []
        for item in list(s.items):
            taken = {item["measure_id"]}
            extra = []
            for position in range(2, 2 + rng.choice((0, 1, 1, 2))):
                key = _pick(rng, weights) if weights else None
                if key is None or common[key].pk in taken:
                    continue
                taken.add(common[key].pk)
                x = add(
                    PlanItem,
                    plan_id=item["plan_id"],
                    position=position,
                    measure_id=common[key].pk,
                    responsible_org_id=item["responsible_org_id"],
                    created_by_id=item["created_by_id"],
                    created_at=item["created_at"],
                    updated_at=item["created_at"],
                )
                event(Action.PLAN_ITEM_ADD, x, case=s.case)
                extra.append(x)
            for it in (item, *extra):
                doses.append(_dose(it, s, rng=rng, today=today))
            s.items.extend(extra)
            stats.items += 1 + len(extra)
        adherence[s.case["id"]] = sum(doses) / len(doses)
    return adherence


def _dose(item: Row, s: StoryLike, *, rng: random.Random, today: dt.date) -> float:
    """Set the item's status, dates and sessions; return the share of planned sessions the person attended."""
    start = _day(s.stamps[s.path.index(Phase.ACTIVE)]) + dt.timedelta(days=rng.randint(0, 21) * (item["position"] > 1))
    ended = measures_ended(s)
    planned = rng.choice(SESSIONS)
    start_on = min(start, today)
    item.update(sessions_planned=planned, start_on=start_on, stop_reason="")
    if ended is None:
        progress = _clip((today - start_on).days / 240)
        adherence = rng.uniform(0.6, 1.0)
        item.update(status=ItemStatus.ONGOING, end_on=None, sessions_held=round(planned * adherence * progress))
        return adherence
    end = max(_day(ended), start_on)
    if rng.random() < 0.15:
        adherence = rng.uniform(0.1, 0.6)
        item.update(
            status=ItemStatus.STOPPED,
            stop_reason=_pick(rng, STOP_REASONS),
            end_on=start_on + (end - start_on) * adherence,
        )
    else:
        adherence = rng.uniform(0.65, 1.0)
        item.update(status=ItemStatus.DONE, end_on=end)
    item["sessions_held"] = round(planned * adherence)
    return adherence


# ---- Plan reviews ------------------------------------------------------------------------------------------


def _reviews(
    stories: Sequence[StoryLike],
    *,
    rng: random.Random,
    today: dt.date,
    now: dt.datetime,
    add: Add,
    event: Event,
    stats: OutcomeStats,
) -> dict[int, list[dt.date]]:
    """The reviews of each approved plan while its measures ran: about every three months, most on time, some
    late, and now and then a plan that stopped being reviewed. Each sets the next review date, as plan_review
    does. Returns the review dates by case."""
    dates: dict[int, list[dt.date]] = {}
    for s in stories:
        plan = s.plan
        if plan is None:
            continue
        case_id = s.case["id"]
        ended = measures_ended(s)
        until = min(today, _day(ended)) if ended is not None else today
        due = plan["review_due"] or add_months(_day(plan["approved_at"] or s.stamps[0]), 3)
        lapses = rng.random() < 0.1
        lead = s.team[0]
        while due <= until and len(dates.get(case_id, [])) < 8:
            late = rng.random() < 0.15
            day = due + dt.timedelta(days=rng.randint(20, 60) if late else rng.randint(-14, 10))
            if day > until or (lapses and rng.random() < 0.5):
                break
            due = add_months(day, 3)
            add(
                PlanReview,
                plan_id=plan["id"],
                reviewed_on=day,
                reviewed_by_id=lead.user_id,
                reviewed_by_org_id=lead.organisation_id,
                next_review_due=due,
                created_at=min(_at(day), now),
            )
            event(Action.PLAN_REVIEW, plan, case=s.case, by=lead)
            dates.setdefault(case_id, []).append(day)
            plan["review_due"] = due
            stats.reviews += 1
    return dates


# ---- Follow-ups -------------------------------------------------------------------------------------------


def _follow_ups(states: list[_State], ctx: _Ctx) -> list[tuple[Row, _State]]:
    rng, today, now = ctx.rng, ctx.today, ctx.now
    rows: list[tuple[Row, _State]] = []
    for state in states:
        ended_at = measures_ended(state.story)
        if ended_at is None:
            continue
        case, lead = state.story.case, state.story.team[0]
        ctx.event(Action.FOLLOW_UP_SCHEDULE, case, case=case)
        ended = _day(ended_at)
        deceased = case["closure_reason"] == ClosureReason.DECEASED
        for months in FOLLOW_UP_MONTHS:
            due = add_months(ended, months)
            status, missed, held, recorded = FollowUpStatus.PENDING, "", None, None
            if deceased:
                status, missed, recorded = FollowUpStatus.MISSED, MissedReason.DECEASED, case["closed_at"] or ended_at
            elif due <= today:
                r = rng.random()
                lost = state.re_engaged is not None and state.re_engaged <= due
                if r < (0.45 if lost else 0.72):
                    status = FollowUpStatus.DONE
                    held = min(today, due + dt.timedelta(days=rng.randint(-10, 35)))
                    recorded = _at(held)
                elif r < 0.93:
                    status, missed = FollowUpStatus.MISSED, _pick(rng, MISSED_REASONS)
                    recorded = _at(min(today, due + dt.timedelta(days=rng.randint(7, 60))))
            f = ctx.add(
                FollowUp,
                case_id=case["id"],
                months=months,
                due_on=due,
                owner_id=case["lead_id"],
                owner_org_id=case["owning_org_id"],
                created_at=ended_at,
                status=status,
                missed_reason=missed,
                held_on=held,
            )
            if status != FollowUpStatus.PENDING:
                f.update(
                    recorded_by_id=lead.user_id,
                    recorded_org_id=lead.organisation_id,
                    version=2,
                    recorded_at=min(recorded or ended_at, now),
                )
                ctx.event(Action.FOLLOW_UP_RECORD, f, case=case, by=lead)
            rows.append((f, state))
    ctx.stats.follow_ups += len(rows)
    return rows


# ---- Outcome events ---------------------------------------------------------------------------------------


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime, low: float, high: float) -> dt.date:
    return _day(start + (end - start) * rng.uniform(low, high))


def _events(states: list[_State], ctx: _Ctx) -> None:
    rng, today = ctx.rng, ctx.today
    for state in states:
        s = state.story
        case, lead = s.case, s.team[0]
        track = case["track"]
        found: list[tuple[str, dt.date]] = []
        if state.re_engaged is not None:
            found.append((OutcomeKind.RE_ENGAGEMENT, state.re_engaged))
            offence = state.re_engaged + dt.timedelta(days=rng.randint(10, 200))
            if rng.random() < 0.2 and offence <= today:
                found.append((OutcomeKind.EXTREMIST_OFFENCE, offence))
        opened = s.stamps[0]
        until = s.stamps[-1] if case["phase"] == Phase.CLOSED else state.end
        if track != Track.PREVENTION and rng.random() < 0.15:
            found.append((OutcomeKind.THREATS, _between(rng, opened, until, 0.1, 0.9)))
        if rng.random() < 0.03:
            found.append(
                (rng.choice((OutcomeKind.VIOLENCE, OutcomeKind.OTHER_OFFENCE)), _between(rng, opened, until, 0, 1))
            )
        if state.received:
            active = s.stamps[s.path.index(Phase.ACTIVE)]
            start = OutcomeKind.EDUCATION if track == Track.PREVENTION else OutcomeKind.WORK
            if rng.random() < 0.2 + 0.3 * state.dose:
                found.append((start, _between(rng, active, state.end, 0.2, 1.0)))
            if track != Track.PREVENTION and rng.random() < 0.3:
                found.append((OutcomeKind.HOUSING, _between(rng, active, state.end, 0.0, 0.6)))
        elif rng.random() < 0.08:
            found.append((rng.choice((OutcomeKind.WORK, OutcomeKind.EDUCATION)), _between(rng, opened, until, 0, 1)))
        for kind, day in found:
            day = min(day, today)
            e = ctx.add(
                OutcomeEvent,
                case_id=case["id"],
                kind=kind,
                occurred_on=day,
                source=rng.choice(EVENT_SOURCES[OutcomeKind(kind)]),
                category=OUTCOME_CATEGORY[OutcomeKind(kind)],
                classification=Classification.TEAM,
                author_id=lead.user_id,
                author_org_id=lead.organisation_id,
                created_at=min(_at(day), ctx.now),
            )
            ctx.event(Action.OUTCOME_CREATE, e, case=case, by=lead)
            ctx.stats.outcome_events += 1


# ---- Measurements -----------------------------------------------------------------------------------------


def _occasions(state: _State, *, rng: random.Random, today: dt.date) -> list[tuple[str, dt.date, float]]:
    """(occasion, date, progress 0..1) of what was measured before follow-up."""
    s = state.story
    opened = _day(s.stamps[0])
    first_change = _day(s.stamps[1]) if len(s.stamps) > 1 else today
    intake = min(today, opened + dt.timedelta(days=rng.randint(2, 20)))
    out: list[tuple[str, dt.date, float]] = [(Occasion.INTAKE, max(opened, min(intake, first_change)), 0.0)]
    if state.received:
        active = s.stamps[s.path.index(Phase.ACTIVE)]
        span = max(1, (state.end - active).days)
        reviews = state.reviews
        if len(reviews) > 2:  # measured at a review midway and at the last one
            reviews = [reviews[len(reviews) // 2], reviews[-1]]
        elif not reviews and span >= 45:
            reviews = [_between(rng, active, state.end, 0.4, 0.75)]
        out += [(Occasion.REVIEW, day, _clip((day - _day(active)).days / span)) for day in reviews]
    if s.case["phase"] == Phase.CLOSED and (state.received or rng.random() < 0.5):
        out.append((Occasion.CLOSURE, _day(s.stamps[-1]), 1.0 if state.received else 0.5))
    return out


def _measurements(states: list[_State], follow_ups: list[tuple[Row, _State]], ctx: _Ctx, *, measured: float) -> None:
    rng, today, add, event = ctx.rng, ctx.today, ctx.add, ctx.event
    held: dict[int, list[Row]] = {}
    for f, state in follow_ups:
        if f["status"] == FollowUpStatus.DONE:
            held.setdefault(state.story.case["id"], []).append(f)
    for state in states:
        if rng.random() >= measured:
            continue
        s = state.story
        case, lead = s.case, s.team[0]
        moments: list[tuple[str, dt.date, float, int | None]] = [
            (occasion, day, progress, None) for occasion, day, progress in _occasions(state, rng=rng, today=today)
        ]
        for f in held.get(case["id"], []):
            moments.append((FOLLOW_UP_OCCASION[f["months"]], f["held_on"], 1.0 - f["months"] / 120, f["id"]))
        for occasion, day, progress, follow_up in moments:
            created = min(_at(day, 16), ctx.now)
            for indicator, source, baseline, weight in state.indicators:
                burden = _burden(state, baseline, weight, progress, rng, day)
                m = add(
                    Measurement,
                    case_id=case["id"],
                    indicator_id=indicator.pk,
                    indicator_version=indicator.version,
                    occasion=occasion,
                    measured_on=day,
                    value=_value(indicator, burden),
                    source=source,
                    category=indicator.category,
                    classification=Classification.TEAM,
                    follow_up_id=follow_up,
                    author_id=lead.user_id,
                    author_org_id=lead.organisation_id,
                    created_at=created,
                )
                event(Action.MEASUREMENT_CREATE, m, case=case, by=lead)
                ctx.stats.measurements += 1
