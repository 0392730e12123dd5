"""Reads of one case's outcome data: its measurements, outcome events and follow-ups, through the policy.

Every measurement and event is read by the entry rule (`access.evaluation.read_decision`); what the viewer may
not read is left out, and counted as restricted for those who see restricted markers. One audit event per read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from utvei.access.evaluation import follow_up_decision, follow_ups_visible, read_decision, record_decision
from utvei.access.policy import CaseAccess, Decision
from utvei.access.policy import read_reason as _reason
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.selectors import case_get
from utvei.core.errors import NotFound
from utvei.core.validation import parse_uuid

from .models import OCCASION_ORDER, FollowUp, Indicator, Measurement, OutcomeEvent


@dataclass
class IndicatorHistory:
    indicator: Indicator
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def latest(self) -> Measurement | None:
        return self.measurements[-1] if self.measurements else None

    @property
    def baseline(self) -> Measurement | None:
        intake = [x for x in self.measurements if x.occasion == "intake"]
        return intake[-1] if intake else None


@dataclass
class CaseOutcomes:
    ca: CaseAccess
    histories: list[IndicatorHistory]
    events: list[OutcomeEvent]
    follow_ups: list[FollowUp]
    restricted: int  # measurements and events the viewer may not read, for those who see markers
    can_record: Decision
    follow_up_decisions: dict[int, Decision]

    @property
    def case(self) -> Any:
        return self.ca.case

    @property
    def empty(self) -> bool:
        return not (self.histories or self.events or self.follow_ups)


def load(ca: CaseAccess) -> CaseOutcomes:
    """What the principal may read of the case's outcome data. A constant number of queries."""
    case = ca.case
    measurements = list(
        Measurement.objects.filter(case=case).select_related("indicator", "author_org").order_by("measured_on", "pk")
    )
    events = list(OutcomeEvent.objects.filter(case=case).select_related("author_org"))
    restricted = 0
    by_indicator: dict[int, IndicatorHistory] = {}
    for row in measurements:
        decision = read_decision(ca, row)
        if not decision:
            restricted += int(decision.restricted_marker)
            continue
        by_indicator.setdefault(row.indicator_id, IndicatorHistory(row.indicator)).measurements.append(row)
    readable_events = []
    for event in events:
        decision = read_decision(ca, event)
        if decision:
            readable_events.append(event)
        else:
            restricted += int(decision.restricted_marker)
    histories = sorted(by_indicator.values(), key=lambda h: (h.indicator.position, h.indicator.key))
    for history in histories:
        history.measurements.sort(key=lambda x: (x.measured_on, OCCASION_ORDER.get(x.occasion, 0), x.pk))
    follow_ups = (
        list(FollowUp.objects.filter(case=case).select_related("owner", "recorded_by"))
        if follow_ups_visible(ca)
        else []
    )
    return CaseOutcomes(
        ca=ca,
        histories=histories,
        events=readable_events,
        follow_ups=follow_ups,
        restricted=restricted,
        can_record=record_decision(ca),
        follow_up_decisions={f.pk: follow_up_decision(ca, f) for f in follow_ups},
    )


def outcomes_get(
    *, actor: Membership | None, case_id: Any, audit_action: str | None = Action.MEASUREMENT_LIST
) -> CaseOutcomes:
    """One case's outcome data for a page or an endpoint; missing and forbidden both NotFound (audited)."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    outcomes = load(ca)
    if audit_action is not None:
        audit_by(actor, audit_action, obj=ca.case, case=ca.case, reason=_reason(ca))
    return outcomes


def follow_up_get(
    *, actor: Membership | None, case_id: Any, follow_up_id: Any, audit: bool = True
) -> tuple[CaseOutcomes, FollowUp]:
    """One follow-up of a case the principal may see follow-ups of; otherwise NotFound."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    pk = parse_uuid(follow_up_id)
    follow_up = FollowUp.objects.filter(case=ca.case, public_id=pk).select_related("owner").first() if pk else None
    if follow_up is None or not follow_ups_visible(ca):
        audit_by(actor, Action.CASE_DENIED, object_type="followup", object_id=str(pk or "")[:64], case=ca.case)
        raise NotFound(_not_found())
    follow_up.case = ca.case
    outcomes = load(ca)
    if audit:
        audit_by(actor, Action.FOLLOW_UP_VIEW, obj=follow_up, case=ca.case, reason=_reason(ca))
    return outcomes, follow_up


def _not_found() -> str:
    from django.utils.translation import gettext

    return gettext("The follow-up was not found.")


def measurements_by_occasion(outcomes: CaseOutcomes) -> dict[str, list[Measurement]]:
    grouped: dict[str, list[Measurement]] = defaultdict(list)
    for history in outcomes.histories:
        for row in history.measurements:
            grouped[row.occasion].append(row)
    return dict(grouped)
