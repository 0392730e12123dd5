"""The demo story's evaluation steps (tools/data/demo.yaml), told through the evaluation and plan services, and the
invented historical cohort that gives the demo's analyst something to look at.

Each step calls the services (checked, audited) and then moves the timestamps they set to "now" to the story's
date, as the demo loader does for everything else; the audit log keeps the true time of loading.

    - do: measure                   # measurements on an open case
      at: 505                       # days ago: the date measured and recorded
      by: koordinator               # optional: default the owning organisation's coordinator
      occasion: review              # optional: default from the case's phase (intake, review or closure)
      worker: {milieu-contact: 3, prosocial-network: 1}    # the worker's ratings, by indicator key
      self: {working-alliance: 4}   # the person's own report

    - {do: outcome, at: 300, on: 305, kind: work, source: worker, note: "…"}   # on: days ago it happened

    - do: exposure                  # the dose of the approved plan's items, by measure key
      at: 245
      items:
        - {measure: mentor, planned: 30, held: 26}                # status: the item's own unless given
        - {measure: ideological-dialogue, planned: 10, held: 3, status: stopped, reason: declined}

    - do: follow_up                 # record the 6, 12 or 24-month follow-up (also on a closed case)
      at: 55
      by: koordinator               # the case lead or the follow-up's owner
      months: 6
      held: true                    # false: missed, with `missed` = no_contact | declined | moved | deceased
      note: "…"
      worker: {milieu-contact: 0}   # measured at the follow-up, as in `measure`
      self: {working-alliance: 5}
      events: [{kind: re_engagement, on: 85, source: person, note: "…"}]

Planned sessions are agreed when the plan is made; the plan step (tools/demo/plans.py) does not take them, so the
exposure step writes them onto an item that has none, as part of setting the story up (like the timestamps).

The historical cohort (`history:` in demo.yaml, `history_load`): about 150 invented persons with a case each,
OWNED by Fjordvik kommune, so that its analyst sees cohorts large enough to pass the suppression of small counts
(the dozen story cases alone cannot: there the suppression is what one sees). They are written in bulk by the
writer of `utvei synth` (tools/synthetic.py, tools/synthetic_outcomes.py): encrypted, one audit event per object,
reason "synth". To keep them out of the way of the story:

* every name ends in "(syntetisk)" and the identity numbers are synthetic, like all in the demo;
* most are closed (opened two to six years ago, closed after four months to two years), so they are not in the
  default case list; the few still open (in follow-up or active) were opened in the last two and a half years;
* they are led by a coordinator account of their own, `historikk` (no one in the story), who is their whole team,
  registered their concerns, wrote their few timeline entries (team or own-organisation only) and records their
  follow-ups; reminders for them go to that account, never to `koordinator`, whose reminders stay the story's.
  (As Fjordvik's coordinator, koordinator can still open them, as any case the municipality owns.)
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from utvei.cases.models import Case, Phase
from utvei.core.dates import add_months
from utvei.evaluation import services
from utvei.evaluation.models import FollowUp, Indicator, IndicatorSource, Measurement, OutcomeEvent
from utvei.evaluation.services import NewEvent, NewMeasurement
from utvei.plans.models import ItemStatus, Plan, PlanItem, PlanStatus
from utvei.plans.services import item_set_status
from utvei.tools.synthetic import BulkProfile, BulkStats, bulk_write

HISTORY_PERSONS = 150


def _actor(loader: Any, case: Case, step: dict[str, Any]) -> Any:
    return loader.m[step["by"]] if "by" in step else loader._manager(case, {})


def _values(step: dict[str, Any]) -> list[NewMeasurement]:
    """The step's worker ratings and self-reports as new measurements (the indicators by key)."""
    wanted = {**step.get("worker", {}), **step.get("self", {})}
    indicators = {i.key: i for i in Indicator.objects.filter(key__in=list(wanted))}
    missing = set(wanted) - set(indicators)
    if missing:
        raise ValueError(f"unknown indicators {sorted(missing)}")
    out = []
    for source, values in ((IndicatorSource.WORKER, step.get("worker", {})), ("self_report", step.get("self", {}))):
        for key, value in values.items():
            out.append(NewMeasurement(indicators[key], value, source, step.get("class", "team")))
    return out


def measure_step(loader: Any, case: Case, step: dict[str, Any]) -> list[Measurement]:
    at = loader.clock.at(step["at"])
    day = loader.clock.date(-int(step["at"]))
    actor = _actor(loader, case, step)
    occasion = step.get("occasion") or services.occasion_for_phase(case.phase)
    rows = [
        services.measurement_record(
            actor=actor,
            case=case,
            indicator=new.indicator,
            value=new.value,
            occasion=occasion,
            measured_on=day,
            source=new.source,
            classification=new.classification,
        )
        for new in _values(step)
    ]
    Measurement.objects.filter(pk__in=[m.pk for m in rows]).update(created_at=at)
    return rows


def outcome_step(loader: Any, case: Case, step: dict[str, Any]) -> OutcomeEvent:
    at = loader.clock.at(step["at"])
    event = services.outcome_event_record(
        actor=_actor(loader, case, step),
        case=case,
        kind=step["kind"],
        occurred_on=loader.clock.date(-int(step.get("on", step["at"]))),
        source=step["source"],
        classification=step.get("class", "team"),
        note=step.get("note", ""),
    )
    OutcomeEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def exposure_step(loader: Any, case: Case, step: dict[str, Any]) -> list[PlanItem]:
    """Sessions held, and perhaps a stop with its reason, on the items of the case's approved plan."""
    at = loader.clock.at(step["at"])
    day = loader.clock.date(-int(step["at"]))
    actor = _actor(loader, case, step)
    plan = Plan.objects.get(case=case, status=PlanStatus.APPROVED)
    written = []
    for spec in step["items"]:
        item = PlanItem.objects.select_related("plan__case", "plan__author_org", "measure").get(
            plan=plan, measure__key=spec["measure"]
        )
        if "planned" in spec and item.sessions_planned is None:  # agreed with the plan: see the module
            PlanItem.objects.filter(pk=item.pk).update(sessions_planned=int(spec["planned"]))
        started, ended = item.start_on, item.end_on
        item = item_set_status(
            actor=actor,
            item=item,
            status=spec.get("status", item.status),
            note=spec.get("note"),
            expected_version=item.version,
            stop_reason=spec.get("reason"),
            sessions_held=int(spec["held"]) if "held" in spec else None,
        )
        PlanItem.objects.filter(pk=item.pk).update(
            start_on=started or (day if item.status != ItemStatus.PLANNED else None),
            end_on=ended or (day if item.status in {ItemStatus.DONE, ItemStatus.STOPPED} else None),
            updated_at=at,
        )
        written.append(item)
    return written


def follow_up_step(loader: Any, case: Case, step: dict[str, Any]) -> FollowUp:
    at = loader.clock.at(step["at"])
    day = loader.clock.date(-int(step["at"]))
    follow_up = FollowUp.objects.select_related("case").get(case=case, months=int(step["months"]))
    held = bool(step.get("held", True))
    events = [
        NewEvent(e["kind"], loader.clock.date(-int(e.get("on", step["at"]))), e["source"], note=e.get("note", ""))
        for e in step.get("events", [])
    ]
    started = timezone.now()
    recorded = services.follow_up_record(
        actor=_actor(loader, case, step),
        follow_up=follow_up,
        expected_version=follow_up.version,
        held=held,
        held_on=day if held else None,
        missed_reason="" if held else step.get("missed", "no_contact"),
        note=step.get("note", ""),
        measurements=_values(step) if held else [],
        events=events,
    )
    FollowUp.objects.filter(pk=recorded.pk).update(recorded_at=at)
    Measurement.objects.filter(case=case, created_at__gte=started).update(created_at=at)
    OutcomeEvent.objects.filter(case=case, created_at__gte=started).update(created_at=at)
    return recorded


def redate_since(case: Case, started: dt.datetime, at: dt.datetime, *, ended_now: bool = False) -> None:
    """What the services recorded for the case on their own since `started` — the follow-ups scheduled by a phase
    change or a closure, the derived measurements of a closure or of a new motivation stage — happened at `at`.
    `ended_now`: the service counted the follow-ups from today (a closure from the active phase), so they count
    from the story's date instead."""
    day = timezone.localdate(at)
    for f in FollowUp.objects.filter(case=case, created_at__gte=started):
        due = add_months(day, f.months) if ended_now else f.due_on
        FollowUp.objects.filter(pk=f.pk).update(created_at=at, due_on=due)
    Measurement.objects.filter(case=case, created_at__gte=started).update(created_at=at, measured_on=day)


def finish(loader: Any) -> None:
    """Date what the story's other steps left at the time of loading (the derived measurements of plan reviews):
    recorded on the day they were measured."""
    for m in Measurement.objects.filter(created_at__gte=loader.clock.now).only("pk", "measured_on"):
        stamp = timezone.make_aware(dt.datetime.combine(m.measured_on, dt.time(16, 0)))
        Measurement.objects.filter(pk=m.pk).update(created_at=min(stamp, loader.clock.now))


# ---- The historical cohort --------------------------------------------------------------------------------


def history_profile(lead: Any) -> BulkProfile:
    """Fjordvik kommune's invented past: see the module."""
    return BulkProfile(
        owner=lead,
        leads=[lead],
        team_pool=[],
        team_size=(0, 0),
        entries=(1, 3),
        classifications=("team", "own_org"),
        tasks=(0, 1),
        opened_days=(240, 900),
        phase_weights={Phase.ACTIVE: 3, Phase.FOLLOW_UP: 3, Phase.CLOSED: 94},
        closed_from={Phase.INTAKE: 12, Phase.ASSESSMENT: 14, Phase.PLANNING: 8, Phase.ACTIVE: 33, Phase.FOLLOW_UP: 33},
        closed_opened_days=(730, 2190),
        closed_span_days=(120, 720),
        concerns=0.7,
        measured=0.85,
        name_suffix=" (syntetisk)",
        municipality="Fjordvik",
        min_age=19,
    )


def history_load(loader: Any, spec: dict[str, Any]) -> BulkStats:
    """Write the historical cohort (`history:` in demo.yaml: lead, persons, seed) in bulk."""
    lead = loader.m[spec.get("lead", "historikk")]
    rng = random.Random(spec.get("seed", 2026))
    return bulk_write(history_profile(lead), persons=int(spec.get("persons", HISTORY_PERSONS)), rng=rng)
