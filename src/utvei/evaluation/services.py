"""Every write of the evidence engine: checked first, in one transaction, audited, never overwriting.

- Follow-ups are scheduled when a case enters follow-up (6, 12 and 24 months after the measures ended) and, if it
  had none, when a case with measures is closed. They are recorded as held or missed — with measurements and
  outcome events — by the case lead or the named owner, also after the case is closed (access.evaluation).
- Measurements and outcome events are append-only; a correction is a new measurement naming the one it corrects.
- Derived measurements (the network map's counts, the motivation stage, the share of plan goals met) are taken
  from the case record at each occasion, so the evaluation data builds itself as work is done.
Audit events name the record, the case and the occasion or kind, never a value or a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import participant as participant_rules
from utvei.access.evaluation import (
    follow_up_decision,
    follow_up_owner_decision,
    record_classifications,
    record_decision,
)
from utvei.access.policy import CaseAccess, case_access
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, User
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.cases.models import Case, MotivationStage, ParticipantAccount, Phase, TeamMember
from utvei.core.dates import add_months
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import EARLIEST, clean_text
from utvei.core.validation import clean_choice as _choice
from utvei.core.vocabulary import Classification
from utvei.network.models import Contact
from utvei.network.selectors import indicators as network_indicators
from utvei.plans.models import GoalRating, Plan, PlanStatus

from . import catalogue
from .models import (
    OUTCOME_CATEGORY,
    FollowUp,
    FollowUpStatus,
    Indicator,
    IndicatorRevision,
    IndicatorSource,
    Measurement,
    MissedReason,
    Occasion,
    OutcomeEvent,
    OutcomeKind,
    OutcomeSource,
)

FOLLOW_UP_MONTHS = (6, 12, 24)
NOTE_MAX = 2000

# The case's motivation stage field as the motivation-stage indicator's levels.
STAGE_VALUES = {
    MotivationStage.RELAPSE: 0,
    MotivationStage.PRECONTEMPLATION: 1,
    MotivationStage.CONTEMPLATION: 2,
    MotivationStage.PREPARATION: 3,
    MotivationStage.ACTION: 4,
    MotivationStage.MAINTENANCE: 5,
}
DERIVED_KEYS = ("network-supportive-ties", "network-risk-ties", "plan-goals-met", "motivation-stage")


def indicators_sync(*, path: Path | None = None) -> catalogue.SyncSummary:
    return catalogue.sync_entries(
        catalogue.load_entries(path or catalogue.DATA_FILE), indicator_model=Indicator, revision_model=IndicatorRevision
    )


def _standing(actor: Membership, case: Case) -> CaseAccess:
    ca = case_access(actor, case)
    if ca is None:
        raise NotFound(_("The case was not found."))
    return ca


def _day(value: Any, label: Any, *, not_after_today: bool = True) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise UtveiError(_("Give a date for %(field)s.") % {"field": label}, code="date_required")
    if value < EARLIEST or (not_after_today and value > timezone.localdate()):
        raise UtveiError(_("%(field)s cannot be in the future.") % {"field": label}, code="date_in_future")
    return value


def occasion_for_phase(phase: str) -> str:
    """The occasion a measurement recorded now belongs to, from the case's phase."""
    if phase in {Phase.INTAKE, Phase.ASSESSMENT}:
        return Occasion.INTAKE
    if phase == Phase.CLOSED:
        return Occasion.CLOSURE
    return Occasion.REVIEW


# ---- Follow-ups -------------------------------------------------------------------------------------------


def follow_ups_schedule(*, actor: Membership, case: Case, ended: dt.date) -> list[FollowUp]:
    """The 6, 12 and 24-month follow-ups after the measures ended, owned by the case lead. Idempotent: a month
    already scheduled is left as it is. Called inside the caller's transaction (the phase change or closure)."""
    made = []
    existing = set(FollowUp.objects.filter(case=case).values_list("months", flat=True))
    for months in FOLLOW_UP_MONTHS:
        if months in existing:
            continue
        made.append(
            FollowUp.objects.create(
                case=case,
                months=months,
                due_on=add_months(ended, months),
                owner_id=case.lead_id,
                owner_org_id=case.owning_org_id if case.lead_id else None,
            )
        )
    if made:
        audit_by(actor, Action.FOLLOW_UP_SCHEDULE, obj=case, case=case, reason=",".join(str(f.months) for f in made))
    return made


def follow_ups_on_close(*, actor: Membership, case: Case, from_phase: str, reason: str) -> None:
    """At closure: a case that had measures (active or follow-up) gets its follow-ups if it has none; a person who
    died is not followed up (the pending ones are recorded as missed, reason deceased)."""
    if reason == "deceased":
        now = timezone.now()
        FollowUp.objects.filter(case=case, status=FollowUpStatus.PENDING).update(
            status=FollowUpStatus.MISSED,
            missed_reason=MissedReason.DECEASED,
            recorded_by=actor.user,
            recorded_org=actor.organisation,
            recorded_at=now,
        )
        return
    if from_phase in {Phase.ACTIVE, Phase.FOLLOW_UP} and not FollowUp.objects.filter(case=case).exists():
        ended = case.measures_ended_on or timezone.localdate()
        follow_ups_schedule(actor=actor, case=case, ended=ended)


def follow_up_set_owner(*, actor: Membership, follow_up: FollowUp, owner: User | None) -> FollowUp:
    """Name who records a follow-up: a current member of the case's team (or nobody: the lead then)."""
    ca = _standing(actor, follow_up.case)
    _require(follow_up_owner_decision(ca))
    member = None
    if owner is not None:
        member = TeamMember.objects.current().filter(case=follow_up.case, user=owner).first()
        if member is None:
            raise UtveiError(_("The follow-up owner must be on the case's team."), code="owner_not_on_team")
    with transaction.atomic():
        FollowUp.objects.filter(pk=follow_up.pk).update(
            owner=owner, owner_org=member.organisation if member else None, version=follow_up.version + 1
        )
        follow_up.refresh_from_db()
        audit_by(actor, Action.FOLLOW_UP_OWNER, obj=follow_up, case=follow_up.case)
    return follow_up


@dataclass(frozen=True)
class NewMeasurement:
    indicator: Indicator
    value: float
    source: str = IndicatorSource.WORKER
    classification: str = Classification.TEAM
    note: str = ""


@dataclass(frozen=True)
class NewEvent:
    kind: str
    occurred_on: dt.date
    source: str
    classification: str = Classification.TEAM
    note: str = ""


def follow_up_record(
    *,
    actor: Membership,
    follow_up: FollowUp,
    expected_version: int,
    held: bool,
    held_on: dt.date | None = None,
    missed_reason: str = "",
    note: str = "",
    measurements: list[NewMeasurement] | tuple[NewMeasurement, ...] = (),
    events: list[NewEvent] | tuple[NewEvent, ...] = (),
) -> FollowUp:
    """Record a follow-up as held (with what was measured and what happened) or missed (with the reason), in one
    transaction. A stale version — someone recorded it meanwhile — is a Conflict, never a second record."""
    case = follow_up.case
    ca = _standing(actor, case)
    _require(follow_up_decision(ca, follow_up))
    note = clean_text(note, _("Note"), required=False, max_length=NOTE_MAX)
    if held:
        day = _day(held_on, _("Held on"))
        if missed_reason:
            raise UtveiError(_("A follow-up that was held has no reason for being missed."), code="missed_reason")
    else:
        day = None
        _choice(missed_reason, MissedReason, _("why it was missed"))
        if measurements or events:
            raise UtveiError(
                _("A missed follow-up has no measurements or events: record them when you have contact."),
                code="missed_with_data",
            )
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.version != expected_version or locked.status != FollowUpStatus.PENDING:
            raise Conflict(_("Someone else recorded this follow-up after you opened it. Reload to see it."))
        locked.status = FollowUpStatus.DONE if held else FollowUpStatus.MISSED
        locked.held_on = day
        locked.missed_reason = "" if held else missed_reason
        locked.note = note
        locked.recorded_by = actor.user
        locked.recorded_org = actor.organisation
        locked.recorded_at = timezone.now()
        locked.version += 1
        locked.save()
        if held and day is not None:
            for new in measurements:
                _measurement(actor, ca, new, occasion=locked.occasion, on=day, follow_up=locked)
            for event in events:
                _event(actor, case, event, follow_up=locked)
            _derived(actor, case, occasion=locked.occasion, on=day, follow_up=locked)
        audit_by(actor, Action.FOLLOW_UP_RECORD, obj=locked, case=case, reason=locked.status)
    return locked


# ---- Measurements and outcome events ---------------------------------------------------------------------


def _check_value(indicator: Indicator, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UtveiError(_("Give a value for %(name)s.") % {"name": indicator.name}, code="value_required")
    number = float(value)
    if number != number or not indicator.min_value <= number <= indicator.max_value:  # NaN, or out of range
        raise UtveiError(
            _("%(name)s takes a value from %(low)s to %(high)s.")
            % {"name": indicator.name, "low": indicator.min_value, "high": indicator.max_value},
            code="value_out_of_range",
        )
    if indicator.scale in {"ordinal", "binary", "count"} and not number.is_integer():
        raise UtveiError(_("%(name)s takes a whole number.") % {"name": indicator.name}, code="value_not_whole")
    return number


def _measurement(
    actor: Membership,
    ca: CaseAccess,
    new: NewMeasurement,
    *,
    occasion: str,
    on: dt.date,
    follow_up: FollowUp | None = None,
    corrects: Measurement | None = None,
) -> Measurement:
    indicator = new.indicator
    if not indicator.active:
        raise UtveiError(_("That indicator is no longer in use."), code="indicator_inactive")
    _choice(new.source, IndicatorSource, _("source"))
    if new.source == IndicatorSource.DERIVED or new.source not in indicator.sources:
        raise UtveiError(
            _("%(name)s cannot be recorded from that source.") % {"name": indicator.name}, code="source_not_allowed"
        )
    if new.classification not in record_classifications(actor):
        raise UtveiError(_("Choose a classification you may use."), code="classification_not_allowed")
    row = Measurement.objects.create(
        case=ca.case,
        indicator=indicator,
        indicator_version=indicator.version,
        occasion=occasion,
        measured_on=on,
        value=_check_value(indicator, new.value),
        source=new.source,
        category=indicator.category,
        classification=new.classification,
        note=clean_text(new.note, _("Note"), required=False, max_length=NOTE_MAX),
        follow_up=follow_up,
        corrects=corrects,
        author=actor.user,
        author_org=actor.organisation,
    )
    audit_by(actor, Action.MEASUREMENT_CREATE, obj=row, case=ca.case, reason=occasion)
    return row


def measurement_record(
    *,
    actor: Membership,
    case: Case,
    indicator: Indicator,
    value: Any,
    occasion: str,
    measured_on: dt.date,
    source: str = IndicatorSource.WORKER,
    classification: str = Classification.TEAM,
    note: str = "",
    corrects: Measurement | None = None,
) -> Measurement:
    """One measurement on an open case (follow-up occasions are recorded through the follow-up)."""
    ca = _standing(actor, case)
    _require(record_decision(ca))
    _choice(occasion, Occasion, _("occasion"))
    if occasion.startswith("follow_up"):
        raise UtveiError(_("Record follow-up measurements on the follow-up itself."), code="occasion_follow_up")
    _day(measured_on, _("Date"))
    if corrects is not None and (corrects.case_id != case.pk or corrects.indicator_id != indicator.pk):
        raise UtveiError(_("A correction must be of the same indicator on the same case."), code="corrects_mismatch")
    with transaction.atomic():
        new = NewMeasurement(indicator, value, source, classification, note)
        return _measurement(actor, ca, new, occasion=occasion, on=measured_on, corrects=corrects)


def measurements_record(
    *, actor: Membership, case: Case, occasion: str, measured_on: dt.date, items: list[NewMeasurement]
) -> list[Measurement]:
    """Several indicators at one occasion, all or none (one transaction)."""
    ca = _standing(actor, case)
    _require(record_decision(ca))
    _choice(occasion, Occasion, _("occasion"))
    if occasion.startswith("follow_up"):
        raise UtveiError(_("Record follow-up measurements on the follow-up itself."), code="occasion_follow_up")
    _day(measured_on, _("Date"))
    if not items:
        raise UtveiError(_("Record at least one value."), code="nothing")
    with transaction.atomic():
        return [_measurement(actor, ca, new, occasion=occasion, on=measured_on) for new in items]


def _event(actor: Membership, case: Case, new: NewEvent, *, follow_up: FollowUp | None = None) -> OutcomeEvent:
    _choice(new.kind, OutcomeKind, _("what happened"))
    _choice(new.source, OutcomeSource, _("source"))
    _day(new.occurred_on, _("When"))
    if new.classification not in record_classifications(actor):
        raise UtveiError(_("Choose a classification you may use."), code="classification_not_allowed")
    row = OutcomeEvent.objects.create(
        case=case,
        kind=new.kind,
        occurred_on=new.occurred_on,
        source=new.source,
        category=OUTCOME_CATEGORY[OutcomeKind(new.kind)],
        classification=new.classification,
        note=clean_text(new.note, _("Note"), required=False, max_length=NOTE_MAX),
        follow_up=follow_up,
        author=actor.user,
        author_org=actor.organisation,
    )
    audit_by(actor, Action.OUTCOME_CREATE, obj=row, case=case, reason=new.kind)
    return row


def outcome_event_record(
    *,
    actor: Membership,
    case: Case,
    kind: str,
    occurred_on: dt.date,
    source: str,
    classification: str = Classification.TEAM,
    note: str = "",
) -> OutcomeEvent:
    ca = _standing(actor, case)
    _require(record_decision(ca))
    with transaction.atomic():
        return _event(actor, case, NewEvent(kind, occurred_on, source, classification, note))


# ---- Derived measurements ---------------------------------------------------------------------------------


def _derived_values(case: Case, on: dt.date) -> dict[str, float]:
    """What the case record itself says on `on`: the network map's counts, the share of plan goals met, and the
    motivation stage. Nothing recorded where the record holds nothing."""
    values: dict[str, float] = {}
    if Contact.objects.filter(case=case).exists():
        counts = network_indicators(case, on)
        values["network-supportive-ties"] = float(counts.supportive)
        values["network-risk-ties"] = float(counts.risk)
    plan = Plan.objects.filter(case=case, status=PlanStatus.APPROVED).first()
    if plan is not None:
        latest: dict[int, int] = {}
        for rating in GoalRating.objects.filter(goal__plan=plan, rated_on__lte=on).order_by("rated_on", "pk"):
            latest[rating.goal_id] = rating.rating
        if latest:
            values["plan-goals-met"] = round(100.0 * sum(1 for r in latest.values() if r >= 0) / len(latest), 1)
    if case.motivation_stage in STAGE_VALUES:
        values["motivation-stage"] = float(STAGE_VALUES[MotivationStage(case.motivation_stage)])
    return values


def _derived(
    actor: Membership, case: Case, *, occasion: str, on: dt.date, follow_up: FollowUp | None = None
) -> list[Measurement]:
    values = _derived_values(case, on)
    if not values:
        return []
    indicators = {i.key: i for i in Indicator.objects.filter(key__in=list(values), active=True)}
    rows = []
    for key, value in values.items():
        indicator = indicators.get(key)
        if indicator is None:
            continue
        row = Measurement.objects.create(
            case=case,
            indicator=indicator,
            indicator_version=indicator.version,
            occasion=occasion,
            measured_on=on,
            value=max(indicator.min_value, min(indicator.max_value, value)),
            source=IndicatorSource.DERIVED,
            category=indicator.category,
            classification=Classification.TEAM,
            follow_up=follow_up,
            author=actor.user,
            author_org=case.owning_org,
        )
        audit_by(actor, Action.MEASUREMENT_CREATE, obj=row, case=case, reason=f"{occasion};derived")
        rows.append(row)
    return rows


def derived_record(*, actor: Membership, case: Case, occasion: str, on: dt.date | None = None) -> list[Measurement]:
    """Record the derived measurements of an occasion (closure, a plan review) inside the caller's transaction."""
    return _derived(actor, case, occasion=occasion, on=on or timezone.localdate())


def on_case_closed(*, actor: Membership, case: Case, from_phase: str, reason: str) -> None:
    """The case was closed (`cases.hooks.CLOSED`): its follow-ups, and the derived measurements of closure."""
    follow_ups_on_close(actor=actor, case=case, from_phase=from_phase, reason=reason)
    derived_record(actor=actor, case=case, occasion="closure")


def on_plan_reviewed(*, actor: Membership, case: Case, on: dt.date) -> None:
    """A plan was reviewed (`plans.hooks.REVIEWED`): the derived measurements of the review."""
    derived_record(actor=actor, case=case, occasion="review", on=on)


def motivation_stage_record(*, actor: Membership, case: Case, stage: str) -> Measurement | None:
    """The case's motivation stage changed: keep it as a measurement, so the movement between stages is history
    rather than an overwritten field. Inside the caller's transaction."""
    indicator = Indicator.objects.filter(key="motivation-stage", active=True).first()
    if indicator is None or stage not in STAGE_VALUES:
        return None
    row = Measurement.objects.create(
        case=case,
        indicator=indicator,
        indicator_version=indicator.version,
        occasion=occasion_for_phase(case.phase),
        measured_on=timezone.localdate(),
        value=float(STAGE_VALUES[MotivationStage(stage)]),
        source=IndicatorSource.DERIVED,
        category=indicator.category,
        classification=Classification.TEAM,
        author=actor.user,
        author_org=case.owning_org,
    )
    audit_by(actor, Action.MEASUREMENT_CREATE, obj=row, case=case, reason="motivation_stage;derived")
    return row


__all__ = [
    "NewEvent",
    "NewMeasurement",
    "derived_record",
    "follow_up_record",
    "follow_up_set_owner",
    "follow_ups_on_close",
    "follow_ups_schedule",
    "indicators_sync",
    "measurement_record",
    "measurements_record",
    "motivation_stage_record",
    "outcome_event_record",
]


# ---- The person's own answers (docs/participant.md) ---------------------------------------------------------


def self_report_indicators(account: ParticipantAccount) -> list[Indicator]:
    """The indicators the person may answer on their own page."""
    return participant_rules.self_report_indicators(account, Indicator.objects.filter(active=True))


def self_report_record(*, account: ParticipantAccount, indicator_key: str, value: Any) -> Measurement:
    """The person answers one self-report indicator today: a measurement with the source `self_report`, classified
    `participant` (they see their own answers; the team reads them as any entry of the owning organisation), kept
    with the organisation that owns the case. The occasion follows the case's phase."""
    indicator = next((i for i in self_report_indicators(account) if i.key == indicator_key), None)
    if indicator is None:
        raise NotFound(_("Not found."))
    case = account.case
    assert account.user is not None
    number = _check_value(indicator, value)
    with transaction.atomic():
        row = Measurement.objects.create(
            case=case,
            indicator=indicator,
            indicator_version=indicator.version,
            occasion=occasion_for_phase(case.phase),
            measured_on=timezone.localdate(),
            value=number,
            source=IndicatorSource.SELF_REPORT,
            category=indicator.category,
            classification=Classification.PARTICIPANT,
            author=account.user,
            author_org=case.owning_org,
        )
        audit_record(action=Action.MEASUREMENT_CREATE, actor=account.user, obj=row, case=case, reason="person")
    return row
