"""The person's own page (docs/participant.md): who invites them, what they see of their case, what they may do.

The principal here is not a membership: it is the person a case is about (or, for a minor, a guardian) with a
current `cases.ParticipantAccount`. They see exactly what is classified `participant` on their own case — the plan
in force and its goals, the meetings and timeline entries and documents classified for them — with no team, no
names of workers, no header fields beyond the page, and no marker for anything else (a marker would tell them
that something is written about them that they may not read; the right to know that is met by the access log and
by a subject-access request, not by the page). Everything of another case is not found (404). The rows of the
policy for them are `table.PARTICIPANT_RULES`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership, User
from utvei.accounts.roles import Role
from utvei.cases.models import Case, ParticipantAccount, Phase, TeamRole
from utvei.core.errors import NotFound
from utvei.sharing.models import Consent

from .policy import FULL_RELATIONS, CaseAccess, Decision
from .table import PARTICIPANT_CLASSIFICATIONS, Outcome, participant_outcome

# Plan and meeting statuses (plans.models.PlanStatus, meetings.models.MeetingStatus), kept here too so that the
# policy does not import those apps.
PLAN_APPROVED = "approved"
MEETING_CANCELLED = "cancelled"
SELF_REPORT = "self_report"  # evaluation.models.IndicatorSource.SELF_REPORT


# ---- The case lead: invite and end -------------------------------------------------------------------------


def _lead_or_owner_coordinator(ca: CaseAccess) -> Decision:
    m, case = ca.membership, ca.case
    if ca.relation not in FULL_RELATIONS:
        return Decision(False, "relation", _("Only the case lead or a coordinator of the responsible organisation."))
    if case.lead_id == m.user_id or (m.role == Role.COORDINATOR and m.organisation_id == case.owning_org_id):
        return Decision(True, "participant", _("You lead this case or coordinate for its organisation."))
    return Decision(False, "participant", _("Only the case lead or a coordinator of the responsible organisation."))


def invite_decision(ca: CaseAccess) -> Decision:
    """Invite the person (or a guardian) to their own page: the case lead, or a coordinator of the owning
    organisation, on an open case."""
    decision = _lead_or_owner_coordinator(ca)
    if decision and ca.case.phase == Phase.CLOSED:
        return Decision(False, "participant", _("The case is closed."))
    return decision


def end_decision(ca: CaseAccess) -> Decision:
    """End a participant account's access (also on a closed case: ending narrows access)."""
    return _lead_or_owner_coordinator(ca)


def accounts_visible(ca: CaseAccess) -> bool:
    """Who sees the case's participant accounts and invitations (the case page's panel): the same people."""
    return bool(_lead_or_owner_coordinator(ca))


# ---- The participant -----------------------------------------------------------------------------------------


def participant_account(user: User | Any) -> ParticipantAccount | None:
    """The user's current participant account (accepted, not ended), with its case: None for anyone else. Asked on
    every request, so an ended account stops opening the page on the next one."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not getattr(user, "is_participant", False):
        return None
    return (
        ParticipantAccount.objects.current()
        .filter(user=user)
        .select_related("case", "case__owning_org", "case__person")
        .order_by("-accepted_at", "-pk")
        .first()
    )


def require_participant(user: User | Any) -> ParticipantAccount:
    account = participant_account(user)
    if account is None:
        raise NotFound(_("Not found."))
    return account


def shows(account: ParticipantAccount, item: Any) -> bool:
    """One item of a case (an entry, an attachment, a meeting, a plan, a measurement), by the table's rows for the
    person (`table.PARTICIPANT_RULES`): on their own case and classified for them."""
    own = item.case_id == account.case_id
    return participant_outcome(own_case=own, classification=item.classification) == Outcome.READ


def items_q(account: ParticipantAccount) -> Q:
    """The query form of `shows` for a case's items (entries, meetings, attachments, measurements)."""
    return Q(case_id=account.case_id, classification__in=PARTICIPANT_CLASSIFICATIONS)


def entry_shows(account: ParticipantAccount, entry: Any) -> bool:
    return shows(account, entry)


def attachment_shows(account: ParticipantAccount, attachment: Any) -> bool:
    """A document: classified for them, and so is what it is attached to (an entry or a meeting; never a consent's
    evidence file, which is the staff's record of how the consent was given)."""
    if not shows(account, attachment) or attachment.consent_id is not None:
        return False
    owner = attachment.entry if attachment.entry_id is not None else attachment.meeting
    return owner is not None and shows(account, owner)


def meeting_shows(account: ParticipantAccount, meeting: Any) -> bool:
    """An appointment: a meeting classified for them that is not cancelled (kind, time and place; never the
    attendees, the agenda or the minutes)."""
    return shows(account, meeting) and meeting.status != MEETING_CANCELLED


def plan_shows(account: ParticipantAccount, plan: Any) -> bool:
    """The plan in force (approved), when it is classified for them: its goals and the dates of its measures."""
    return shows(account, plan) and plan.status == PLAN_APPROVED


def goal_rate_decision(account: ParticipantAccount, goal: Any) -> Decision:
    """The person rates their own goals: on the plan they see, while the case is open."""
    if not plan_shows(account, goal.plan):
        return Decision(False, "participant", _("Not found."))
    if account.case.phase == Phase.CLOSED:
        return Decision(False, "participant", _("The case is closed."))
    return Decision(True, "participant", _("A goal in your own plan."))


def self_report_indicators(account: ParticipantAccount, indicators: Any) -> list[Any]:
    """The indicators the person answers themselves: active, self-reported, for their case's track; none once the
    case is closed."""
    if account.case.phase == Phase.CLOSED:
        return []
    track = account.case.track
    return [i for i in indicators if i.active and SELF_REPORT in i.sources and track in i.tracks]


def measurement_shows(account: ParticipantAccount, measurement: Any) -> bool:
    """Their own answers (and anything else recorded as theirs to see)."""
    return shows(account, measurement)


def consents_of(account: ParticipantAccount) -> Any:
    """The consents of their case: they gave them, so they see each, with its scope in words."""
    return Consent.objects.filter(case_id=account.case_id)


def consent_withdraw_decision(account: ParticipantAccount, consent: Consent) -> Decision:
    if consent.case_id != account.case_id:
        return Decision(False, "participant", _("Not found."))
    return Decision(True, "participant", _("A consent you gave."))


# ---- The access log in plain words ----------------------------------------------------------------------------

# The audit actions that are someone reading the record, shown to the person; writes and refusals are not.
LOG_READS = frozenset(
    {
        "case.view",
        "case.export",
        "team.view",
        "entry.view",
        "entry.list",
        "task.list",
        "task.view",
        "consent.view",
        "disclosure.view",
        "referral.view",
        "assessment.view",
        "assessment.list",
        "assessment.compare",
        "plan.view",
        "plan.list",
        "plan.print",
        "meeting.view",
        "meeting.list",
        "meeting.print",
        "network.view",
        "network.compare",
        "network.list",
        "contact.view",
        "measurement.list",
        "outcome.list",
        "follow_up.view",
        "attachment.download",
        "participant.view",
    }
)


def log_basis(
    event: Any, case: Case, user_id: int | None, team_rows: list[Any], emergencies: list[Any]
) -> tuple[str, str]:
    """Why the reader could read, as (code, detail): `you`, `emergency` (detail: the reason code), `referral`,
    `team`, `coordinator` or `other`. From the case's team rows and emergency accesses as they were at the time —
    never the reader's name."""
    at = event.occurred_at
    if event.actor_id is not None and event.actor_id == user_id:
        return "you", ""
    if event.actor_org_id is None:
        return "other", ""
    if event.reason.startswith("emergency"):
        for access in emergencies:
            if (
                access.user_id == event.actor_id
                and access.organisation_id == event.actor_org_id
                and access.started_at <= at
                and (access.ended_at or access.expires_at) >= at
            ):
                return "emergency", access.reason_code
        return "emergency", ""
    for row in team_rows:
        if (
            row.user_id == event.actor_id
            and row.organisation_id == event.actor_org_id
            and row.started_at <= at
            and (row.ended_at is None or row.ended_at > at)
        ):
            return ("referral" if row.role == TeamRole.REFERRAL else "team"), ""
    if event.actor_org_id == case.owning_org_id:
        return "coordinator", ""
    return "other", ""


def lead_recipients(case: Case) -> list[Membership]:
    """Who is told when the person asks to withdraw a consent: the case lead, in the owning organisation (or in
    any of their current memberships on the team), else the owning organisation's coordinators."""
    leads = (
        list(
            Membership.objects.active()
            .filter(user_id=case.lead_id, organisation_id=case.owning_org_id)
            .select_related("user", "organisation")
        )
        if case.lead_id is not None
        else []
    )
    if leads:
        return leads
    return list(
        Membership.objects.active()
        .filter(organisation_id=case.owning_org_id, role=Role.COORDINATOR)
        .select_related("user", "organisation")
    )
