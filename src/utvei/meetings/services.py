"""Every write to case meetings and their decisions: checked first, in one transaction, audited.

A meeting is called (a draft: when, where, who is invited, the agenda), then recorded as held (the minutes, who
took part) or cancelled. Every change of a meeting is guarded by its `version` and kept as a MeetingRevision;
every change of a decision by the decision's own `version`, kept as a DecisionRevision. Decisions recorded on a
draft are proposals; when the meeting is held each becomes a task on the case (origin `meeting`), and a decision
recorded on a held meeting becomes one at once. Audit events name the meeting, decision or task and the case,
never their text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.meetings import (
    MeetingView,
    decision_status_decision,
    decision_visible,
    meeting_classifications,
    meeting_read_decision,
    meeting_view,
    meeting_write_decision,
    owns,
    takes_part,
)
from utvei.access.policy import CaseAccess, case_access, membership_ok
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases import services as case_services
from utvei.cases.models import Case, Task, TaskOrigin, TeamMember
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import check_date, clean_text
from utvei.core.validation import clean_choice as _choice
from utvei.core.vocabulary import Classification, DataCategory

from .models import (
    DecisionRevision,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
    MeetingKind,
    MeetingRevision,
    MeetingStatus,
)

TEXT_MAX = 20000
PLACE_MAX = 200
DECISION_MAX = 1000
ATTENDEES_MAX = 100
EARLY_HOLD = dt.timedelta(minutes=5)  # clocks differ: a meeting may be recorded a few minutes "before" it starts

# An attendee as the callers name one: a user (the organisation they are on the team for, when they are on it for
# more than one) or an organisation alone.
AttendeeSpec = tuple[User | None, Organisation | None]


class NotDraft(UtveiError):
    """A held or cancelled meeting cannot be held or cancelled again."""

    code = "meeting_not_draft"
    status = 409


def _standing(actor: Membership, case: Case) -> CaseAccess:
    """The principal's standing on the meeting's case; none at all is NotFound, as everywhere."""
    ca = case_access(actor, case) if membership_ok(actor) else None
    if ca is None:
        raise NotFound(_("The meeting was not found."))
    return ca


def _visible(ca: CaseAccess, meeting: Meeting) -> MeetingView:
    """How much of the meeting the principal sees; a meeting that does not exist for them is NotFound."""
    attendees = list(meeting.attendees.all())
    decisions = list(meeting.decisions.all())
    view = meeting_view(
        ca,
        meeting_read_decision(ca, meeting),
        attended=takes_part(ca, attendees),
        owns_a_decision=any(owns(ca, d) for d in decisions),
    )
    if view == MeetingView.NONE:
        raise NotFound(_("The meeting was not found."))
    return view


def _writable(actor: Membership, meeting: Meeting) -> CaseAccess:
    ca = _standing(actor, meeting.case)
    _visible(ca, meeting)
    _require(meeting_write_decision(ca, meeting))
    return ca


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("case", "author_org").get(pk=meeting.pk)


def _stale(actor: Membership, meeting: Meeting, expected_version: int) -> None:
    """A stale version is refused before anything is written; the attempt is on record."""
    current = Meeting.objects.select_related("case", "author_org").get(pk=meeting.pk)
    if current.version != expected_version:
        audit_by(actor, Action.MEETING_CONFLICT, obj=current, case=current.case)
        raise Conflict(
            _(
                "Someone else saved this meeting while you were editing it. What you wrote is kept below: "
                "compare it with the saved version and save again."
            ),
            current=current,
        )


def _revision(meeting: Meeting, user: User) -> None:
    MeetingRevision.objects.create(
        meeting=meeting,
        version=meeting.version,
        status=meeting.status,
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        place=meeting.place,
        classification=meeting.classification,
        category=meeting.category,
        agenda=meeting.agenda,
        minutes=meeting.minutes,
        person_present=meeting.person_present,
        guardian_present=meeting.guardian_present,
        attendees=[a.key for a in meeting.attendees.select_related("user", "organisation").order_by("pk")],
        saved_by=user,
        saved_at=meeting.updated_at,
    )


# ---- Fields --------------------------------------------------------------------------------------------


def _check_classification(actor: Membership, classification: str, category: str) -> None:
    _choice(classification, Classification, _("classification"))
    _choice(category, DataCategory, _("data category"))
    if classification not in meeting_classifications(actor):
        raise UtveiError(
            _("You cannot give the minutes a classification your own organisation may not read."),
            code="classification_not_allowed",
        )


def _check_when(starts_at: Any) -> dt.datetime:
    if not isinstance(starts_at, dt.datetime):
        raise UtveiError(_("Give the date and time of the meeting."), code="when_required")
    check_date(starts_at, _("When"))
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    return starts_at


def _attendees(case: Case, specs: Iterable[AttendeeSpec], existing: Iterable[MeetingAttendee] = ()) -> list[Any]:
    """(user, organisation) pairs, each once. A user must be on the case's team (for that organisation) — or
    already be an attendee, so that a meeting whose attendee has left the team can still be saved."""
    kept = {(a.user_id, a.organisation_id) for a in existing}
    out: dict[tuple[int | None, int], tuple[User | None, Organisation]] = {}
    specs = list(specs)
    if len(specs) > ATTENDEES_MAX:
        raise UtveiError(_("A meeting has at most %(n)d attendees.") % {"n": ATTENDEES_MAX}, code="too_many_attendees")
    team = list(TeamMember.objects.current().filter(case=case).select_related("organisation"))
    for user, org in specs:
        if user is None and org is None:
            raise UtveiError(_("Name a person on the team or an organisation."), code="attendee_required")
        if user is None:
            assert org is not None
            out.setdefault((None, org.pk), (None, org))
            continue
        rows = [t for t in team if t.user_id == user.pk and (org is None or t.organisation_id == org.pk)]
        if rows:
            org = rows[0].organisation
        elif org is None or (user.pk, org.pk) not in kept:
            raise UtveiError(
                _("Everyone named as taking part must be on the case's team (for that organisation)."),
                code="attendee_not_on_team",
            )
        out.setdefault((user.pk, org.pk), (user, org))
    return list(out.values())


def _set_attendees(meeting: Meeting, pairs: list[Any]) -> bool:
    """Replace the meeting's attendees with these; True when anything changed."""
    now = {(a.user_id, a.organisation_id): a for a in meeting.attendees.all()}
    wanted = {(u.pk if u else None, o.pk): (u, o) for u, o in pairs}
    gone = [a.pk for key, a in now.items() if key not in wanted]
    new = [MeetingAttendee(meeting=meeting, user=u, organisation=o) for key, (u, o) in wanted.items() if key not in now]
    if gone:
        MeetingAttendee.objects.filter(pk__in=gone).delete()
    if new:
        MeetingAttendee.objects.bulk_create(new)
    return bool(gone or new)


# ---- Meetings ------------------------------------------------------------------------------------------


def meeting_create(
    *,
    actor: Membership,
    case: Case,
    kind: str,
    starts_at: dt.datetime,
    place: str = "",
    agenda: str = "",
    classification: str = "team",
    category: str = DataCategory.PLAN,
    attendees: Iterable[AttendeeSpec] = (),
    person_present: bool = False,
    guardian_present: bool = False,
) -> Meeting:
    """Call a meeting on the case: a draft with when, where, who is invited and the agenda."""
    ca = _standing(actor, case)
    _require(meeting_write_decision(ca))
    _choice(kind, MeetingKind, _("kind of meeting"))
    _check_classification(actor, classification, category)
    starts_at = _check_when(starts_at)
    place = clean_text(place, _("Place"), required=False, max_length=PLACE_MAX)
    agenda = clean_text(agenda, _("Agenda"), required=False, max_length=TEXT_MAX)
    pairs = _attendees(case, attendees)
    with transaction.atomic():
        now = timezone.now()
        meeting = Meeting.objects.create(
            case=case,
            kind=kind,
            status=MeetingStatus.DRAFT,
            starts_at=starts_at,
            place=place,
            agenda=agenda,
            classification=classification,
            category=category,
            person_present=bool(person_present),
            guardian_present=bool(guardian_present),
            author=actor.user,
            author_org=actor.organisation,
            created_at=now,
            updated_at=now,
        )
        _set_attendees(meeting, pairs)
        _revision(meeting, actor.user)
        audit_by(actor, Action.MEETING_CREATE, obj=meeting, case=case, reason=classification)
    return meeting


_FIELDS = ("kind", "starts_at", "place", "agenda", "minutes", "classification", "category")
_FLAGS = ("person_present", "guardian_present")


def _clean_fields(actor: Membership, meeting: Meeting, fields: dict[str, Any]) -> dict[str, Any]:
    """The changed fields, validated; None means "leave as it is"."""
    out: dict[str, Any] = {}
    if fields.get("kind") is not None:
        out["kind"] = _choice(fields["kind"], MeetingKind, _("kind of meeting"))
    if fields.get("starts_at") is not None:
        out["starts_at"] = _check_when(fields["starts_at"])
    if fields.get("place") is not None:
        out["place"] = clean_text(fields["place"], _("Place"), required=False, max_length=PLACE_MAX)
    if fields.get("agenda") is not None:
        out["agenda"] = clean_text(fields["agenda"], _("Agenda"), required=False, max_length=TEXT_MAX)
    if fields.get("minutes") is not None:
        out["minutes"] = clean_text(fields["minutes"], _("Minutes"), required=False, max_length=TEXT_MAX)
    classification = fields.get("classification")
    category = fields.get("category")
    if classification is not None or category is not None:
        _check_classification(actor, classification or meeting.classification, category or meeting.category)
        if classification is not None:
            out["classification"] = classification
        if category is not None:
            out["category"] = category
    for flag in _FLAGS:
        if fields.get(flag) is not None:
            out[flag] = bool(fields[flag])
    return out


def _apply(actor: Membership, locked: Meeting, cleaned: dict[str, Any], pairs: list[Any] | None) -> bool:
    changed = False
    for name, value in cleaned.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed = True
    if pairs is not None and _set_attendees(locked, pairs):
        changed = True
    return changed


def _save(actor: Membership, locked: Meeting, action: str, reason: str = "") -> None:
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    _revision(locked, actor.user)
    audit_by(actor, action, obj=locked, case=locked.case, reason=reason)


def meeting_update(
    *,
    actor: Membership,
    meeting: Meeting,
    expected_version: int,
    attendees: Iterable[AttendeeSpec] | None = None,
    **fields: Any,
) -> Meeting:
    """Change a planned or held meeting: when, where, who, agenda, minutes, readers. A cancelled one stays as it
    was. A stale `expected_version` is a Conflict with the saved meeting; every saved change is a revision."""
    unknown = set(fields) - set(_FIELDS) - set(_FLAGS)
    if unknown:
        raise UtveiError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _writable(actor, meeting)
    if meeting.is_cancelled:
        raise NotDraft(_("A cancelled meeting is kept as it was."), code="meeting_cancelled")
    cleaned = _clean_fields(actor, meeting, fields)
    pairs = _attendees(meeting.case, attendees, meeting.attendees.all()) if attendees is not None else None
    _stale(actor, meeting, expected_version)
    with transaction.atomic():
        locked = _lock(meeting)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this meeting at the same moment. Reload and try again."), current=locked
            )
        if locked.is_cancelled:
            raise NotDraft(_("A cancelled meeting is kept as it was."), code="meeting_cancelled")
        if locked.is_held and cleaned.get("starts_at") and cleaned["starts_at"] > timezone.now() + EARLY_HOLD:
            raise UtveiError(_("A meeting that was held cannot be dated in the future."), code="future_date")
        if locked.is_held and cleaned.get("minutes") == "":
            raise UtveiError(
                _("A held meeting keeps its minutes: correct them rather than empty them."), code="meeting_incomplete"
            )
        if not _apply(actor, locked, cleaned, pairs):
            return locked
        _save(actor, locked, Action.MEETING_UPDATE)
    return locked


def meeting_problems(meeting: Meeting, minutes: str | None = None) -> list[str]:
    """What keeps a draft from being recorded as held (empty when it may be)."""
    problems = []
    text = meeting.minutes if minutes is None else minutes
    if not (text or "").strip():
        problems.append(str(_("Write the minutes: what was discussed and what was agreed.")))
    if meeting.starts_at > timezone.now() + EARLY_HOLD:
        problems.append(str(_("The meeting has not started yet. Change the date if it was held earlier.")))
    return problems


def meeting_hold(
    *,
    actor: Membership,
    meeting: Meeting,
    expected_version: int,
    attendees: Iterable[AttendeeSpec] | None = None,
    **fields: Any,
) -> Meeting:
    """Record the meeting as held, with its minutes (and any last changes to who took part). Every proposed
    decision becomes a task on the case."""
    unknown = set(fields) - set(_FIELDS) - set(_FLAGS)
    if unknown:
        raise UtveiError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _writable(actor, meeting)
    cleaned = _clean_fields(actor, meeting, fields)
    pairs = _attendees(meeting.case, attendees, meeting.attendees.all()) if attendees is not None else None
    _stale(actor, meeting, expected_version)
    with transaction.atomic():
        locked = _lock(meeting)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this meeting at the same moment. Reload and try again."), current=locked
            )
        if not locked.is_draft:
            raise NotDraft(_("Only a planned meeting can be recorded as held."))
        _apply(actor, locked, cleaned, pairs)
        problems = meeting_problems(locked)
        if problems:
            raise UtveiError(" ".join(problems), code="meeting_incomplete")
        locked.status = MeetingStatus.HELD
        locked.recorded_by = actor.user
        locked.recorded_at = timezone.now()
        _save(actor, locked, Action.MEETING_HOLD)
        for decision in locked.decisions.filter(task__isnull=True).select_related("owner_user", "owner_org"):
            _make_task(actor, locked, decision)
    return locked


def meeting_cancel(*, actor: Membership, meeting: Meeting, expected_version: int) -> Meeting:
    """Cancel a planned meeting. It is kept, with its agenda; proposed decisions never become tasks."""
    _writable(actor, meeting)
    _stale(actor, meeting, expected_version)
    with transaction.atomic():
        locked = _lock(meeting)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this meeting at the same moment. Reload and try again."), current=locked
            )
        if not locked.is_draft:
            raise NotDraft(_("Only a planned meeting can be cancelled."))
        locked.status = MeetingStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        _save(actor, locked, Action.MEETING_CANCEL)
    return locked


# ---- Decisions -----------------------------------------------------------------------------------------


def _owner(case: Case, owner_user: User | None, owner_org: Organisation | None) -> Organisation:
    """The decision's owner: a user on the team (their organisation on the team), or an organisation on it."""
    if owner_user is None and owner_org is None:
        raise UtveiError(
            _("Name who owns the decision: a person on the team or an organisation."), code="owner_required"
        )
    team = TeamMember.objects.current().filter(case=case).select_related("organisation")
    if owner_user is not None:
        rows = team.filter(user=owner_user)
        if owner_org is not None:
            rows = rows.filter(organisation=owner_org)
        member = rows.first()
        if member is None:
            raise UtveiError(
                _("The owner of a decision must be on the case's team (for that organisation)."),
                code="owner_not_on_team",
            )
        return member.organisation
    assert owner_org is not None
    if owner_org.pk != case.owning_org_id and not team.filter(organisation=owner_org).exists():
        raise UtveiError(
            _("The organisation that owns a decision must be on the case's team."), code="owner_not_on_team"
        )
    return owner_org


def _decision_fields(text: Any, due_on: Any) -> str:
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise UtveiError(_("Give the date the decision is due."), code="due_required")
    check_date(due_on, _("Due"))
    return clean_text(text if isinstance(text, str) else "", _("Decision"), max_length=DECISION_MAX)


def _decision_revision(decision: MeetingDecision, user: User) -> None:
    DecisionRevision.objects.create(
        decision=decision,
        version=decision.version,
        text=decision.text,
        owner_user=decision.owner_user,
        owner_org=decision.owner_org,
        due_on=decision.due_on,
        saved_by=user,
        saved_at=decision.updated_at,
    )


def _make_task(actor: Membership, meeting: Meeting, decision: MeetingDecision) -> Task:
    """The decision's task on the case: the decision's words, owner and due date, and the meeting's compartment
    (its author's organisation, classification and category), so the task is read as the meeting is."""
    task = Task.objects.create(
        case=meeting.case,
        title=decision.text,
        assignee=decision.owner_user,
        assignee_org=decision.owner_org,
        due_on=decision.due_on,
        origin=TaskOrigin.MEETING,
        created_by=actor.user,
        source_org_id=meeting.author_org_id,
        classification=meeting.classification,
        category=meeting.category,
    )
    MeetingDecision.objects.filter(pk=decision.pk).update(task=task)
    decision.task = task
    audit_by(actor, Action.TASK_CREATE, obj=task, case=meeting.case, reason="meeting")
    return task


def decision_add(
    *,
    actor: Membership,
    meeting: Meeting,
    text: str,
    due_on: dt.date,
    owner_user: User | None = None,
    owner_org: Organisation | None = None,
) -> MeetingDecision:
    """Record a decision of the meeting. On a held meeting it becomes a task at once; on a draft, when held."""
    _writable(actor, meeting)
    text = _decision_fields(text, due_on)
    org = _owner(meeting.case, owner_user, owner_org)
    with transaction.atomic():
        locked = _lock(meeting)
        if locked.is_cancelled:
            raise NotDraft(_("A cancelled meeting takes no decisions."), code="meeting_cancelled")
        position = (locked.decisions.aggregate(n=Max("position"))["n"] or 0) + 1
        now = timezone.now()
        decision = MeetingDecision.objects.create(
            meeting=locked,
            position=position,
            text=text,
            owner_user=owner_user,
            owner_org=org,
            due_on=due_on,
            created_by=actor.user,
            created_at=now,
            updated_at=now,
        )
        _decision_revision(decision, actor.user)
        audit_by(actor, Action.MEETING_DECISION_ADD, obj=decision, case=locked.case)
        if locked.is_held:
            _make_task(actor, locked, decision)
    return decision


def decision_update(
    *,
    actor: Membership,
    decision: MeetingDecision,
    expected_version: int,
    text: str,
    due_on: dt.date,
    owner_user: User | None,
    owner_org: Organisation | None,
) -> MeetingDecision:
    """Change a decision's words, owner or due date; its task follows. A stale version is a Conflict."""
    meeting = decision.meeting
    _writable(actor, meeting)
    text = _decision_fields(text, due_on)
    org = _owner(meeting.case, owner_user, owner_org)
    current = MeetingDecision.objects.get(pk=decision.pk)
    if current.version != expected_version:
        audit_by(actor, Action.MEETING_CONFLICT, obj=current, case=meeting.case)
        raise Conflict(
            _("Someone else saved this decision while you were editing it. Compare and save again."), current=current
        )
    with transaction.atomic():
        locked_meeting = _lock(meeting)
        if locked_meeting.is_cancelled:
            raise NotDraft(_("A cancelled meeting is kept as it was."), code="meeting_cancelled")
        locked = MeetingDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this decision at the same moment. Reload and try again."), current=locked
            )
        if (locked.text, locked.owner_user_id, locked.owner_org_id, locked.due_on) == (
            text,
            owner_user.pk if owner_user else None,
            org.pk,
            due_on,
        ):
            return locked
        locked.text, locked.owner_user, locked.owner_org, locked.due_on = text, owner_user, org, due_on
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _decision_revision(locked, actor.user)
        audit_by(actor, Action.MEETING_DECISION_EDIT, obj=locked, case=locked_meeting.case)
        if locked.task_id is not None:
            Task.objects.filter(pk=locked.task_id).update(
                title=text, assignee=owner_user, assignee_org=org, due_on=due_on
            )
            task = Task.objects.get(pk=locked.task_id)
            audit_by(actor, Action.TASK_UPDATE, obj=task, case=locked_meeting.case, reason="meeting")
    return locked


def decision_remove(*, actor: Membership, decision: MeetingDecision, expected_version: int) -> None:
    """Remove a proposed decision from a planned meeting, at the version the remover saw (a Conflict with the saved
    decision otherwise). A decision in force is ended through its task."""
    meeting = decision.meeting
    _writable(actor, meeting)
    saved = MeetingDecision.objects.get(pk=decision.pk)
    if saved.version != expected_version:  # audited here, outside the transaction a conflict rolls back
        audit_by(actor, Action.MEETING_CONFLICT, obj=saved, case=meeting.case)
        raise Conflict(
            _("Someone else changed this decision after you read it. Look at it again before you remove it."),
            current=saved,
        )
    with transaction.atomic():
        locked = _lock(meeting)
        current = MeetingDecision.objects.select_for_update().get(pk=decision.pk)
        if current.version != expected_version:
            raise Conflict(
                _("Someone else changed this decision at the same moment. Reload and try again."), current=current
            )
        if current.task_id is not None or not locked.is_draft:
            raise NotDraft(
                _("A decision of a held meeting is not removed: mark its task cancelled instead."),
                code="decision_in_force",
            )
        public_id = str(current.public_id)
        current.delete()
        audit_by(
            actor, Action.MEETING_DECISION_REMOVE, object_type="meetingdecision", object_id=public_id, case=locked.case
        )


def decision_set_status(
    *, actor: Membership, decision: MeetingDecision, status: str, expected_version: int
) -> MeetingDecision:
    """Mark a decision done, cancelled or open again: a change of its task, by its owner or a coordinator. It names
    the decision's version the user saw (its status is part of the decision as shown): a stale one is a Conflict,
    so two people marking the same decision cannot overwrite each other unseen."""
    meeting = decision.meeting
    ca = _standing(actor, meeting.case)
    view = _visible(ca, meeting)
    if not decision_visible(ca, view, decision):
        raise NotFound(_("The decision was not found."))
    if decision.task_id is None or decision.task is None:
        raise NotDraft(
            _("The decision becomes a task when the meeting is recorded as held; then its state can change."),
            code="decision_proposed",
        )
    _require(decision_status_decision(ca, decision))
    with transaction.atomic():
        locked = MeetingDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else changed this decision while you were looking at it. Check its state and try again."),
                current=locked,
            )
        case_services.task_set_status(actor=actor, task=decision.task, status=status, expected_version=None)
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["version", "updated_at"])
    decision.refresh_from_db()
    decision.task.refresh_from_db()
    return decision
