"""Every read of retention: a case's retention page, the overview, a restricted case's content for the DPO. Each
takes the principal and asks the policy (access/retention.py); each read is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.retention import (
    hold_decision,
    person_request_decision,
    restricted_content_decision,
    restricted_open_decision,
    retention_page_decision,
    retention_scope,
)
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import RESTRICTED_STATES, Case, Entry, Phase, RetentionState
from utvei.core.errors import NotFound
from utvei.core.validation import parse_uuid

from .models import LegalHold, RectificationRequest, RectificationStatus, RestrictionChange, RetentionStep, Step
from .rules import Due, Rule, due_dates, load_rules

# The overview lists the steps due within this many days.
LOOK_AHEAD_DAYS = 90


@dataclass
class CaseRetention:
    """What a case's retention page shows: never the case's content (that is `restricted_entries`)."""

    case: Case
    rule: Rule | None
    rules_version: int
    due: Due | None
    holds: list[LegalHold]
    changes: list[RestrictionChange]
    requests: list[RectificationRequest]
    steps: list[RetentionStep]
    may_hold: bool
    may_request: bool
    may_open: bool
    reading: dict[str, Any] = field(default_factory=dict)  # the opening in force (records), if any

    @property
    def active_holds(self) -> list[LegalHold]:
        return [h for h in self.holds if h.lifted_at is None]


def retention_case_get(*, actor: Membership | None, case_id: Any, audit: bool = True) -> Case:
    """The case, for its retention page: the DPO and the coordinators of the owning organisation, the case lead.
    Anyone else: NotFound (audited as a refused access), as for a case that does not exist."""
    pk = parse_uuid(case_id)
    case = Case.objects.select_related("owning_org", "lead", "person").filter(public_id=pk).first() if pk else None
    if case is None or not retention_page_decision(actor, case):
        audit_by(actor, Action.CASE_DENIED, object_type="case", object_id=str(pk or "")[:64], case=case)
        raise NotFound(_("The case was not found."))
    if audit:
        audit_by(actor, Action.RETENTION_VIEW, obj=case, case=case)
    return case


def case_retention(actor: Membership, case: Case) -> CaseRetention:
    """The case's retention: the rule that applies and its dates, holds, restrictions, requests and steps taken."""
    rules = load_rules()
    rule = rules.for_case(case) if case.phase == Phase.CLOSED else None
    reading = restricted_content_decision(actor, case)
    return CaseRetention(
        case=case,
        rule=rule,
        rules_version=rules.version,
        due=due_dates(case, rule) if rule else None,
        holds=list(LegalHold.objects.filter(case=case).select_related("set_by", "set_by_org", "lifted_by")),
        changes=list(RestrictionChange.objects.filter(case=case).select_related("changed_by", "changed_by_org")),
        requests=list(RectificationRequest.objects.filter(case=case).select_related("registered_by", "answered_by")),
        steps=list(RetentionStep.objects.filter(case=case)),
        may_hold=bool(hold_decision(actor, case)),
        may_request=bool(person_request_decision(actor, case)),
        may_open=bool(restricted_open_decision(actor, case)),
        reading=dict(reading.records) if reading else {},
    )


def restricted_entries(actor: Membership, case: Case) -> list[Entry]:
    """A restricted case's timeline, for the DPO (or the lead) who opened it for a reason: every entry, read-only.
    Audited as a timeline read with the reason code. Nothing when no opening is in force."""
    decision = restricted_content_decision(actor, case)
    if not decision:
        return []
    reason = f"restricted;{decision.records.get('restricted_code', '')}"
    audit_by(actor, Action.ENTRY_LIST, object_type="case", object_id=str(case.public_id), case=case, reason=reason)
    return list(Entry.objects.filter(case=case).select_related("author", "author_org").order_by("-occurred_at"))


def hold_get(*, actor: Membership, case: Case, hold_id: Any) -> LegalHold:
    pk = parse_uuid(hold_id)
    hold = LegalHold.objects.filter(case=case, public_id=pk).select_related("case").first() if pk else None
    if hold is None or not hold_decision(actor, case):
        raise NotFound(_("Not found."))
    return hold


def request_get(*, actor: Membership, case: Case, request_id: Any) -> RectificationRequest:
    pk = parse_uuid(request_id)
    found = RectificationRequest.objects.filter(case=case, public_id=pk).select_related("case").first() if pk else None
    if found is None or not person_request_decision(actor, case):
        raise NotFound(_("Not found."))
    return found


@dataclass(frozen=True)
class OverviewRow:
    case: Case
    held: bool
    pending_requests: bool
    next_step: str
    next_due: dt.date | None
    rule_id: str

    @property
    def next_step_label(self) -> str:
        """The step in words (Restrict, Anonymise, …), in the active language."""
        return str(Step(self.next_step).label) if self.next_step in Step.values else self.next_step


def retention_overview(*, actor: Membership, today: dt.date | None = None) -> list[OverviewRow]:
    """The cases whose retention the principal answers for that need attention: restricted or archived, under a
    legal hold, with a pending rectification request, or closed with a step due within LOOK_AHEAD_DAYS, all of
    them (the callers page the list: a due date comes from the rules, so the filter cannot be SQL). Audited."""
    day = today or timezone.localdate()
    held = LegalHold.objects.active().filter(case=OuterRef("pk"))
    pending = RectificationRequest.objects.filter(case=OuterRef("pk"), status=RectificationStatus.PENDING)
    rows = (
        retention_scope(actor)
        .exclude(retention_state=RetentionState.ANONYMISED)
        .annotate(held=Exists(held), pending=Exists(pending))
        .filter(Q(retention_state__in=RESTRICTED_STATES) | Q(held=True) | Q(pending=True) | Q(phase=Phase.CLOSED))
        .select_related("owning_org")
        .order_by("closed_at", "pk")
    )
    rules = load_rules()
    horizon = day + dt.timedelta(days=LOOK_AHEAD_DAYS)
    out: list[OverviewRow] = []
    for case in rows:
        rule = rules.for_case(case) if case.phase == Phase.CLOSED else None
        due = due_dates(case, rule) if rule else None
        step, when = "", None
        if due is not None and case.retention_state == RetentionState.ACTIVE:
            step, when = "restrict", due.restrict_on
        elif due is not None and case.retention_state == RetentionState.RESTRICTED:
            step, when = (rule.end if rule else ""), due.end_on
        soon = when is not None and when <= horizon
        if not (case.retention_state in RESTRICTED_STATES or case.held or case.pending or soon):
            continue
        out.append(OverviewRow(case, case.held, case.pending, step, when, rule.id if rule else ""))
    audit_by(actor, Action.RETENTION_VIEW)
    return out
