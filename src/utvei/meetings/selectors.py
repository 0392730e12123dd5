"""Reads of case meetings. They go through `cases.selectors.case_get` and `access.meetings`; every read of a
meeting is audited (the case page's meeting section is covered by its case.view event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.access.meetings import (
    MeetingView,
    decision_status_decision,
    decision_visible,
    details_visible,
    meeting_read_decision,
    meeting_view,
    minutes_visible,
    owns,
    takes_part,
    view_reason,
)
from utvei.access.policy import CaseAccess, Decision, membership_visible
from utvei.access.policy import read_reason as _reason
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.selectors import case_get
from utvei.core.errors import NotFound
from utvei.core.validation import parse_uuid as _uuid

from .models import DecisionState, Meeting, MeetingAttendee, MeetingDecision, MeetingStatus


@dataclass
class DecisionRow:
    decision: MeetingDecision
    can_change_status: bool

    @property
    def state(self) -> str:
        return self.decision.state

    @property
    def overdue(self) -> bool:
        return self.decision.state == DecisionState.OVERDUE


@dataclass
class MeetingAccess:
    """A meeting and how much of it the principal may see: `view` (access.meetings.MeetingView), whether the agenda
    and minutes are readable, and the attendees and decisions they may see."""

    ca: CaseAccess
    meeting: Meeting
    read: Decision  # the gate's decision for the agenda and minutes
    view: MeetingView
    attendees: list[MeetingAttendee]
    decisions: list[DecisionRow]

    @property
    def readable(self) -> bool:
        """The agenda and the minutes."""
        return minutes_visible(self.view, self.read)

    @property
    def details(self) -> bool:
        """The place and who takes part."""
        return details_visible(self.view)

    @property
    def full(self) -> bool:
        return self.view == MeetingView.FULL

    @property
    def marker(self) -> bool:
        return self.view == MeetingView.MARKER

    @property
    def reason(self) -> Any:
        return view_reason(self.view, self.read)

    @property
    def open_decisions(self) -> int:
        return sum(1 for r in self.decisions if r.state in {DecisionState.OPEN, DecisionState.OVERDUE})


def _meetings(case: Any) -> QuerySet[Meeting]:
    attendees = MeetingAttendee.objects.select_related("user", "organisation").order_by("pk")
    decisions = MeetingDecision.objects.select_related("owner_user", "owner_org", "task").order_by("position", "pk")
    return (
        Meeting.objects.filter(case=case)
        .select_related("case", "author", "author_org", "recorded_by")
        .prefetch_related(Prefetch("attendees", queryset=attendees), Prefetch("decisions", queryset=decisions))
    )


def _access(ca: CaseAccess, meeting: Meeting) -> MeetingAccess:
    """No queries once the meeting's attendees and decisions are prefetched and the case's bases loaded."""
    read = meeting_read_decision(ca, meeting)
    attendees = list(meeting.attendees.all())
    decisions = list(meeting.decisions.all())
    for d in decisions:
        d.meeting = meeting
    view = meeting_view(
        ca, read, attended=takes_part(ca, attendees), owns_a_decision=any(owns(ca, d) for d in decisions)
    )
    rows = [DecisionRow(d, bool(decision_status_decision(ca, d))) for d in decisions if decision_visible(ca, view, d)]
    # Who took part, but not for an organisation whose very membership is kept from the principal.
    shown = [a for a in attendees if membership_visible(ca, a.organisation)] if details_visible(view) else []
    return MeetingAccess(ca, meeting, read, view, shown, rows)


def case_meetings(ca: CaseAccess) -> list[MeetingAccess]:
    """The case's meetings the principal may see, newest first: full readers see all of them (the ones whose
    minutes they may not read as markers); a mentor the ones they take part in or own a decision of. Three
    queries, however many meetings and decisions."""
    rows = [_access(ca, m) for m in _meetings(ca.case).order_by("-starts_at", "-pk")]
    return [r for r in rows if r.view != MeetingView.NONE]


@dataclass
class MeetingSection:
    """The case page's «Meetings» section: upcoming (planned) meetings first, then the held and cancelled ones."""

    planned: list[MeetingAccess]
    past: list[MeetingAccess]

    @property
    def all(self) -> list[MeetingAccess]:
        return self.planned + self.past

    @property
    def decisions(self) -> list[tuple[MeetingAccess, DecisionRow]]:
        return [(ma, row) for ma in self.all for row in ma.decisions]


def case_meeting_section(ca: CaseAccess) -> MeetingSection:
    rows = case_meetings(ca)
    planned = sorted((r for r in rows if r.meeting.status == MeetingStatus.DRAFT), key=lambda r: r.meeting.starts_at)
    past = [r for r in rows if r.meeting.status != MeetingStatus.DRAFT]
    return MeetingSection(planned, past)


def meeting_get(
    *,
    actor: Membership | None,
    meeting_id: Any,
    case_id: Any = None,
    audit: bool = True,
    audit_action: str = Action.MEETING_VIEW,
) -> MeetingAccess:
    """One meeting (of the case `case_id`, when given). Missing, forbidden and, for a mentor, not theirs all raise
    NotFound; both the read and the refusal are audited."""
    pk = _uuid(meeting_id)
    row = (
        Meeting.objects.filter(public_id=pk).select_related("case").only("pk", "case__public_id").first()
        if pk
        else None
    )
    if row is None or (case_id is not None and str(row.case.public_id) != str(_uuid(case_id))):
        audit_by(actor, Action.CASE_DENIED, object_type="meeting", object_id=str(pk or "")[:64])
        raise NotFound(_("The meeting was not found."))
    try:
        ca = case_get(actor=actor, case_id=row.case.public_id, audit=False)  # no relation: NotFound, audited
    except NotFound:  # the same answer as a meeting that does not exist: an outsider learns nothing of its id
        raise NotFound(_("The meeting was not found.")) from None
    meeting = _meetings(ca.case).get(pk=row.pk)
    ma = _access(ca, meeting)
    if ma.view == MeetingView.NONE:
        audit_by(actor, Action.CASE_DENIED, obj=meeting, case=ca.case)
        raise NotFound(_("The meeting was not found."))
    if audit:
        audit_read(actor, ma, audit_action)
    return ma


def audit_read(actor: Membership | None, ma: MeetingAccess, action: str = Action.MEETING_VIEW) -> None:
    """One event for a read of a meeting: `restricted` when the viewer could not read the minutes."""
    reason = "" if ma.readable else "restricted"
    audit_by(actor, action, obj=ma.meeting, case=ma.ca.case, reason=_reason(ma.ca, reason))


def decision_in(ma: MeetingAccess, decision_id: Any) -> MeetingDecision:
    """A decision of the meeting the principal may see (a mentor: only their own)."""
    pk = _uuid(decision_id)
    row = next((r for r in ma.decisions if pk is not None and r.decision.public_id == pk), None)
    if row is None:
        raise NotFound(_("The decision was not found."))
    return row.decision


def decision_row(ma: MeetingAccess, decision_id: Any) -> DecisionRow:
    decision = decision_in(ma, decision_id)
    return next(r for r in ma.decisions if r.decision.pk == decision.pk)


def meeting_revisions(ma: MeetingAccess) -> list[Any]:
    """The saved versions of a meeting, for those who may read its minutes in full."""
    if not ma.full:
        return []
    return list(ma.meeting.revisions.select_related("saved_by").order_by("-version"))
