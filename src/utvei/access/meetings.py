"""Who may read and write case meetings: the meeting part of THE policy (see policy.py and docs/meetings.md).

A meeting's agenda and minutes are an item of the case like a timeline entry: an author organisation (the one that
called the meeting), a classification and a data category, so steps 5–8 of the policy (`entry_decision`:
classification, own organisation, sharing basis) decide whether a viewer may read them. Then the viewer's role and
part in the meeting decide how much of the rest they see:

  full    coordinators and caseworkers who may read the minutes: everything
  marker  coordinators and caseworkers who may not: that the meeting exists, its kind, date, status and organiser
          — never its place, attendees, agenda or minutes
  mentor  a mentor who takes part in the meeting: kind, date, place and who takes part; the agenda and minutes
          only when the gate admits them (classification `mentor` or `participant`, and a basis)
  owner   a mentor who owns a decision of a meeting they do not take part in: kind and date only
  none    nobody else sees the meeting at all (404, no marker)

Decisions are the team's shared commitments and become tasks on the case, but their words come from the meeting,
so they keep its compartment (issue 12): whoever reads the meeting sees every decision, anyone else who sees the
meeting only the decisions they own; the task a decision becomes carries the meeting's organisation,
classification and category and is read the same way (`policy.task_read_decision`): its assignee always, others
as they would read the meeting, else a marker (docs/decisions/0007-meeting-decisions-are-tasks.md).

Writes: coordinators and caseworkers with a full relation (team, owning organisation's coordinator) call meetings;
only the organisation that called a meeting (its author organisation) changes it, records it as held, cancels it
and records its decisions, and only while it may read it. A decision's state changes through its task
(`policy.task_edit_decision`: its owner or a coordinator). Referral recipients and emergency access read only.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap

from . import policy
from .policy import FULL_RELATIONS, CaseAccess, Decision, Relation, entry_decision


class MeetingView(StrEnum):
    FULL = "full"
    MARKER = "marker"
    MENTOR = "mentor"
    OWNER = "owner"
    NONE = "none"


# The policy's reasons speak of entries; for a meeting these steps say it in the meeting's words.
MEETING_REASONS = {
    "author": _("You called this meeting."),
    "own_org": _("Your organisation called this meeting."),
    "classification": _("The classification of the minutes does not include you."),
}
ATTENDED_REASON = _("You take part in this meeting.")
OWNER_REASON = _("A decision of this meeting is yours.")


def meeting_read_decision(ca: CaseAccess, meeting: Any) -> Decision:
    """Steps 5–8 for a meeting's agenda and minutes. No queries when author_org is loaded and the bases cached."""
    decision = entry_decision(ca, meeting)
    if decision.step in MEETING_REASONS:
        return replace(decision, reason=MEETING_REASONS[decision.step])
    return decision


def takes_part(ca: CaseAccess, attendees: Any) -> bool:
    """Is the principal (this user, for this organisation) among the meeting's attendees?"""
    m = ca.membership
    return any(a.user_id == m.user_id and a.organisation_id == m.organisation_id for a in attendees)


def owns(ca: CaseAccess, decision: Any) -> bool:
    return decision.owner_user_id is not None and decision.owner_user_id == ca.membership.user_id


def meeting_view(ca: CaseAccess, read: Decision, *, attended: bool, owns_a_decision: bool) -> MeetingView:
    """How much of a meeting the principal may see, given the gate's decision for its minutes."""
    if ca.full:
        return MeetingView.FULL if read else MeetingView.MARKER
    if attended:
        return MeetingView.MENTOR
    if owns_a_decision:
        return MeetingView.OWNER
    return MeetingView.NONE


def view_reason(view: MeetingView, read: Decision) -> Any:
    """The sentence for "why can I see this?"."""
    if view == MeetingView.MENTOR:
        return ATTENDED_REASON if not read else read.reason
    if view == MeetingView.OWNER:
        return OWNER_REASON
    return read.reason


def minutes_visible(view: MeetingView, read: Decision) -> bool:
    """The agenda and the minutes: full readers, and attending mentors whom the gate admits."""
    if view == MeetingView.FULL:
        return True
    return view == MeetingView.MENTOR and bool(read)


def details_visible(view: MeetingView) -> bool:
    """The place and who takes part: full readers and attending mentors."""
    return view in {MeetingView.FULL, MeetingView.MENTOR}


def decision_visible(ca: CaseAccess, view: MeetingView, decision: Any) -> bool:
    """Decisions keep the meeting's compartment: every one for those who read the meeting, their own for anyone
    else who sees it (a mentor at it, a coordinator or caseworker who sees only that the meeting took place)."""
    if view == MeetingView.NONE:
        return False
    if view == MeetingView.FULL:
        return True
    return owns(ca, decision)


def _limited(ca: CaseAccess) -> Decision:
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))


def meeting_write_decision(ca: CaseAccess, meeting: Any = None) -> Decision:
    """May the principal call a meeting (no meeting), or change this one, record it as held, cancel it and
    record its decisions?"""
    m = ca.membership
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only coordinators and caseworkers can call and record meetings."))
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    if meeting is not None:
        if not meeting_read_decision(ca, meeting):
            return Decision(False, "meeting", _("You may not read this meeting's minutes, so you cannot change it."))
        if meeting.author_org_id != m.organisation_id:
            return Decision(False, "meeting", _("Only the organisation that called the meeting can change it."))
    return Decision(True, "meeting", _("You work on this case's team."), dict(ca.records))


def meeting_classifications(m: Membership) -> list[str]:
    """The classifications a principal may give a meeting's minutes: compartments they could read themselves."""
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return []
    return policy.writable_classifications(m)


def decision_status_decision(ca: CaseAccess, decision: Any) -> Decision:
    """May the principal mark this decision done, cancelled or open again? Its task's rule decides."""
    if decision.task_id is None or decision.task is None:
        return Decision(False, "meeting", _("The decision becomes a task when the meeting is recorded as held."))
    return policy.task_edit_decision(ca, decision.task)
