"""Every write to concerns, cases, team, timeline and tasks: checked, in one transaction, audited."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.attachments import attachment_write_decision
from utvei.access.erasure import person_shred_decision
from utvei.access.header import person_edit_decision
from utvei.access.policy import (
    Act,
    CaseAccess,
    can,
    case_open_decision,
    concern_triagers,
    intake_organisations,
    parallel_check_decision,
    parallel_inquiries_decision,
    team_join_decision,
    writable_classifications,
)
from utvei.access.policy import require as _require
from utvei.access.sharing import handoff_bases, referral_deciders
from utvei.accounts.models import Membership, NotificationKind, Organisation, User
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core import files
from utvei.core.crypto import encrypt_bytes, subject_of
from utvei.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, UtveiError
from utvei.core.models import next_reference
from utvei.core.validation import check_date, clean_text
from utvei.core.validation import clean_choice as _choice
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.models import Person
from utvei.people.services import normalise_nin, person_find_or_create, person_shred, person_update

from . import hooks, selectors, workflow
from .models import (
    HANDOFF_OUTCOMES,
    HEADER_VERSIONED,
    Attachment,
    AttachmentBlob,
    Case,
    CaseHeaderVersion,
    ClosureReason,
    Concern,
    ConcernHandoff,
    ConcernKind,
    ConcernQuestion,
    ConcernStatus,
    Entry,
    EntryKind,
    EntryRevision,
    HandoffTo,
    Ideology,
    ParallelInquiry,
    Phase,
    PhaseChange,
    Task,
    TaskOrigin,
    TaskStatus,
    TeamMember,
    TeamRole,
    Track,
    TriageOutcome,
    Urgency,
    attachment_blob_context,
)
from .protection import Protected, protection_set


def _text(value: str, label: Any, *, required: bool = True, max_length: int = 20000) -> str:
    return clean_text(value, label, required=required, max_length=max_length)


# ---- Concerns ------------------------------------------------------------------------------------------


def concern_submit(
    *,
    actor: Membership,
    receiving_org: Organisation,
    description: str,
    urgency: str = Urgency.ROUTINE,
    kind: str = ConcernKind.OTHER,
    anonymous: bool = False,
    subject_name: str = "",
    subject_national_id: str = "",
    subject_birth_date: dt.date | None = None,
) -> Concern:
    _require(can(actor, Act.CONCERN_SUBMIT))
    _choice(urgency, Urgency, _("urgency"))
    _choice(kind, ConcernKind, _("what it is about"))
    description = _text(description, _("Description"))
    if anonymous:
        subject_name, subject_national_id, subject_birth_date = "", "", None
    nin = normalise_nin(subject_national_id)
    check_date(subject_birth_date, _("Date of birth"))
    with transaction.atomic():
        concern = Concern.objects.create(
            reference=next_reference("BEK"),
            reporter=actor.user,
            reporter_org=actor.organisation,
            receiving_org=receiving_org,
            urgency=urgency,
            kind=kind,
            description=description,
            anonymous=anonymous,
            subject_name=_text(subject_name, _("Name"), required=False, max_length=200),
            subject_national_id=nin,
            subject_birth_date=subject_birth_date.isoformat() if subject_birth_date else "",
        )
        audit_by(actor, Action.CONCERN_CREATE, obj=concern)
        _alert_if_acute(concern)
    return concern


def _alert_if_acute(concern: Concern) -> None:
    """An acute concern alerts every coordinator of the receiving organisation at once: in Utvei and by e-mail,
    neither with anything of its content (the link opens it for those who may read it)."""
    if concern.urgency == Urgency.ACUTE:
        notify(
            recipients=[(m.user, m.organisation) for m in concern_triagers(concern.receiving_org)],
            kind=NotificationKind.CONCERN_ACUTE,
            ref=concern.public_id,
            email=True,
        )


def concern_take(*, actor: Membership, concern: Concern) -> Concern:
    """A coordinator takes an acute concern: it is no longer unanswered, and the others see who has it."""
    _require(can(actor, Act.CONCERN_TRIAGE, concern), hide=True)
    with transaction.atomic():
        locked = Concern.objects.select_for_update().get(pk=concern.pk)
        if locked.taken_by_id is not None:
            if locked.taken_by_id == actor.user_id:
                return locked
            raise Conflict(_("Someone else has already taken this concern."))
        if locked.status == ConcernStatus.TRIAGED:
            raise Conflict(_("This concern has already been triaged."))
        locked.taken_by = actor.user
        locked.taken_at = timezone.now()
        locked.save(update_fields=["taken_by", "taken_at"])
        audit_by(actor, Action.CONCERN_TAKE, obj=locked)
    return locked


def concern_answer(*, actor: Membership, concern: Concern, answer: str) -> Concern:
    """The reporter answers the open question: the concern goes back to the intake queue, and whoever asked is told
    (in Utvei and by e-mail, without content)."""
    _require(can(actor, Act.CONCERN_READ, concern), hide=True)
    answer = _text(answer, _("Answer"))
    with transaction.atomic():
        locked = Concern.objects.select_for_update().get(pk=concern.pk)
        question = locked.questions.filter(answered_at__isnull=True).select_related("asked_by", "asked_by_org").last()
        may = can(actor, Act.CONCERN_ANSWER, locked)
        if not may and may.step != "state":
            raise Forbidden(may.reason)  # the receiving organisation reads the concern, but only the reporter answers
        if not may or question is None:
            raise Conflict(_("There is no open question about this concern."))
        question.answer = answer
        question.answered_by = actor.user
        question.answered_at = timezone.now()
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        locked.status = ConcernStatus.RECEIVED
        locked.outcome = ""
        locked.save(update_fields=["status", "outcome"])
        audit_by(actor, Action.CONCERN_ANSWER, obj=locked)
        notify(
            recipients=[(question.asked_by, question.asked_by_org)],
            kind=NotificationKind.CONCERN_ANSWERED,
            ref=locked.public_id,
            email=True,
        )
    return locked


def concern_triage(
    *,
    actor: Membership,
    concern: Concern,
    outcome: str,
    rationale: str,
    track: str = Track.PREVENTION,
    full_name: str = "",
    national_id: str = "",
    birth_date: dt.date | None = None,
    gender: str = "unknown",
    municipality: str = "",
    question: str = "",
    handoff: Handoff | None = None,
    protected_identity: str = Protected.UNKNOWN,
    protected_reason: str = "",
) -> Concern:
    """Record the triage outcome. "Open a case" registers or links the person and opens the case; "more
    information needed" asks the reporter `question` and waits for the answer; handing to the police, PST or
    ordinary services records the `handoff` (and forwards the concern to a recipient in Utvei)."""
    _require(can(actor, Act.CONCERN_TRIAGE, concern), hide=True)
    _choice(outcome, TriageOutcome, _("outcome"))
    rationale = _text(rationale, _("Rationale"))
    if outcome == TriageOutcome.MORE_INFO:
        question = _text(question, _("Question to the reporter"))
    if outcome in HANDOFF_OUTCOMES:
        handoff = _handoff_checked(actor, outcome, handoff)
    if outcome == TriageOutcome.OPEN_CASE:
        protected_identity = _protected_answer(protected_identity, protected_reason)
    with transaction.atomic():
        locked = Concern.objects.select_for_update().get(pk=concern.pk)
        if locked.status == ConcernStatus.TRIAGED:
            raise Conflict(_("This concern has already been triaged."))
        if locked.status == ConcernStatus.AWAITING_INFO and outcome == TriageOutcome.MORE_INFO:
            raise Conflict(_("The reporter has not answered the last question yet."))
        if outcome == TriageOutcome.OPEN_CASE:
            if locked.anonymous and not full_name:
                raise UtveiError(
                    _("The concern was discussed anonymously. Give the person's name to open a case."),
                    code="identity_required",
                )
            birth = birth_date or (
                dt.date.fromisoformat(locked.subject_birth_date) if locked.subject_birth_date else None
            )
            person, _created = person_find_or_create(
                actor=actor,
                full_name=full_name or locked.subject_name,
                national_id=national_id or locked.subject_national_id,
                birth_date=birth,
                gender=gender,
                municipality=municipality,
            )
            locked.case = case_open(actor=actor, person=person, track=track, origin_concern=locked)
            if protected_identity == Protected.YES and not person.protected_identity:
                protection_set(actor=actor, case=locked.case, protected=True, reason=protected_reason)
            # The concern is the case's first entry: its words, as received, for the receiving organisation.
            _entry_write(
                actor,
                locked.case,
                kind=EntryKind.CONCERN,
                category=DataCategory.CONCERN,
                classification=Classification.OWN_ORG,
                occurred_at=locked.received_at,
                title="",
                body=locked.description,
                source_concern=locked,
            )
        locked.status = ConcernStatus.AWAITING_INFO if outcome == TriageOutcome.MORE_INFO else ConcernStatus.TRIAGED
        locked.outcome = outcome
        locked.rationale = rationale
        locked.triaged_by = actor.user
        locked.triaged_at = timezone.now()
        locked.save()
        audit_by(actor, Action.CONCERN_TRIAGE, obj=locked, case=locked.case, reason=outcome)
        if outcome == TriageOutcome.MORE_INFO:
            asked = ConcernQuestion.objects.create(
                concern=locked, asked_by=actor.user, asked_by_org=actor.organisation, question=question
            )
            audit_by(actor, Action.CONCERN_QUESTION, obj=asked)
            notify(
                recipients=[(locked.reporter, locked.reporter_org)],
                kind=NotificationKind.CONCERN_QUESTION,
                ref=locked.public_id,
                email=True,
            )
        if handoff is not None:
            _handoff_record(actor, locked, handoff)
    return locked


def _protected_answer(answer: Any, reason: Any) -> str:
    """The triage's answer to "does the person have a protected identity?": yes (with a reason), no, unknown."""
    if answer in (None, ""):
        return Protected.UNKNOWN
    if answer not in Protected.VALUES:
        raise UtveiError(_("Say whether the person has a protected identity."), code="invalid_protected")
    if answer == Protected.YES and not (isinstance(reason, str) and reason.strip()):
        raise UtveiError(_("Give the reason for the protected identity."), code="protected_reason_required")
    return str(answer)


# ---- The same person elsewhere (issue 13, deliverable 2) -----------------------------------------------


def parallel_ask(
    *, actor: Membership, to_org: Organisation, concern: Concern | None = None, case: Case | None = None
) -> list[ParallelInquiry]:
    """Ask another organisation that has an open case for the same person (found again here, as the page found
    it: `selectors.parallel_cases`) for a referral or a collaboration. Its coordinators are told, in Utvei and by
    e-mail, without content; asking again while a request is open is a conflict."""
    from_concern, from_case = concern, case
    ca = None
    if concern is not None:
        _require(can(actor, Act.CONCERN_TRIAGE, concern), hide=True)
    elif case is not None:
        ca = policy.case_access(actor, case)
        if ca is None:
            raise NotFound(_("Not found."))
        _require(parallel_inquiries_decision(ca))
    _require(parallel_check_decision(actor))
    found = [p for p in selectors.parallel_cases(actor=actor, concern=concern, ca=ca) if p.organisation == to_org]
    if not found:
        raise NotFound(_("No open case of that organisation matches this person."))
    with transaction.atomic():
        open_already = ParallelInquiry.objects.filter(
            case_id__in=found[0].cases, asking_org=actor.organisation, handled_at__isnull=True
        )
        if open_already.exists():
            raise Conflict(_("You have already asked that organisation; the request is still open."))
        made = []
        for other in Case.objects.filter(pk__in=found[0].cases).select_related("owning_org"):
            inquiry = ParallelInquiry.objects.create(
                case=other,
                asking_org=actor.organisation,
                asked_by=actor.user,
                from_concern=from_concern,
                from_case=from_case,
            )
            audit_by(actor, Action.PARALLEL_ASK, obj=inquiry, case=other)
            notify(
                recipients=[(m.user, m.organisation) for m in referral_deciders(other.owning_org)],
                kind=NotificationKind.PARALLEL_ASKED,
                case=other,
                ref=inquiry.public_id,
                email=True,
            )
            made.append(inquiry)
    return made


def parallel_handled(*, actor: Membership, ca: CaseAccess, inquiry_id: Any) -> ParallelInquiry:
    """The owner has answered a request to collaborate (with a referral, a call, or a no): it leaves the case page."""
    _require(parallel_inquiries_decision(ca), hide=True)
    with transaction.atomic():
        inquiry = ParallelInquiry.objects.select_for_update().filter(case=ca.case, public_id=inquiry_id).first()
        if inquiry is None:
            raise NotFound(_("The request was not found."))
        if inquiry.handled_at is not None:
            raise Conflict(_("This request has already been marked as handled."))
        inquiry.handled_at = timezone.now()
        inquiry.handled_by = actor.user
        inquiry.save(update_fields=["handled_at", "handled_by"])
        audit_by(actor, Action.PARALLEL_HANDLED, obj=inquiry, case=ca.case)
    return inquiry


@dataclass(frozen=True)
class Handoff:
    """To whom a concern is passed on: where (`HandoffTo`), an organisation in Utvei or a recipient outside it by
    name, the legal basis (a key of the catalogue) and when (default: now)."""

    to_kind: str
    basis_key: str
    to_org: Organisation | None = None
    to_name: str = ""
    handed_at: dt.datetime | None = None
    basis_label: str = ""


def _handoff_checked(actor: Membership, outcome: str, handoff: Handoff | None) -> Handoff:
    if handoff is None or not handoff.to_kind:
        raise UtveiError(_("Say whom the concern is passed on to."), code="handoff_required")
    if handoff.to_kind not in HANDOFF_OUTCOMES[outcome]:
        raise UtveiError(_("This outcome cannot pass the concern on there."), code="handoff_kind")
    name = _text(handoff.to_name, _("Recipient"), required=False, max_length=200)
    if handoff.to_org is None and not name:
        raise UtveiError(_("Choose the organisation or write the name of the recipient."), code="recipient_required")
    if handoff.to_org is not None:
        if handoff.to_kind == HandoffTo.PST:
            raise UtveiError(
                _("PST is not sent concerns through Utvei: record the unit by name."), code="handoff_pst_org"
            )
        if handoff.to_org.pk == actor.organisation_id or handoff.to_org not in intake_organisations():
            raise UtveiError(_("That organisation cannot receive a concern in Utvei."), code="recipient_invalid")
    bases = {b.key: str(b) for b in handoff_bases(actor)}
    if handoff.basis_key not in bases:
        raise UtveiError(_("Choose a legal basis your organisation may use."), code="basis_invalid")
    when = handoff.handed_at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise UtveiError(_("The time it was passed on cannot be in the future."), code="date_out_of_range")
    check_date(when.date(), _("Passed on"))
    return Handoff(handoff.to_kind, handoff.basis_key, handoff.to_org, name, when, bases[handoff.basis_key])


def _handoff_record(actor: Membership, concern: Concern, handoff: Handoff) -> ConcernHandoff:
    """The record of the hand-off; a recipient in Utvei gets the concern in its intake queue, as sent by the
    organisation that passed it on (acute ones alert its coordinators)."""
    forwarded = None
    if handoff.to_org is not None:
        forwarded = Concern.objects.create(
            reference=next_reference("BEK"),
            reporter=actor.user,
            reporter_org=actor.organisation,
            receiving_org=handoff.to_org,
            urgency=concern.urgency,
            kind=concern.kind,
            description=concern.description,
            anonymous=concern.anonymous,
            subject_name=concern.subject_name,
            subject_national_id=concern.subject_national_id,
            subject_birth_date=concern.subject_birth_date,
            forwarded_from=concern,
        )
        audit_by(actor, Action.CONCERN_CREATE, obj=forwarded, reason="forwarded")
        _alert_if_acute(forwarded)
    record = ConcernHandoff.objects.create(
        concern=concern,
        to_kind=handoff.to_kind,
        to_org=handoff.to_org,
        to_name="" if handoff.to_org is not None else handoff.to_name,
        basis_key=handoff.basis_key,
        basis_label=handoff.basis_label,
        handed_at=handoff.handed_at or timezone.now(),
        handed_by=actor.user,
        handed_by_org=actor.organisation,
        forwarded=forwarded,
    )
    audit_by(actor, Action.CONCERN_HANDOFF, obj=concern, reason=handoff.to_kind)
    return record


# ---- Cases ---------------------------------------------------------------------------------------------


def case_open(
    *,
    actor: Membership,
    person: Person,
    track: str,
    origin_concern: Concern | None = None,
    lead: User | None = None,
    ideologies: list[str] | None = None,
    previous_case: Case | None = None,
) -> Case:
    _require(case_open_decision(actor))
    _choice(track, Track, _("track"))
    for code in ideologies or []:
        _choice(code, Ideology, _("ideological orientation"))
    lead = lead or actor.user
    with transaction.atomic():
        n = Case.objects.filter(person=person).count() + 1
        case = Case.objects.create(
            reference=f"{person.reference}-{n}",
            person=person,
            track=track,
            owning_org=actor.organisation,
            lead=lead,
            ideologies=sorted(set(ideologies or [])),
            previous_case=previous_case,
        )
        TeamMember.objects.create(
            case=case,
            user=lead,
            organisation=actor.organisation,
            role=TeamRole.LEAD,
            added_by=actor.user,
            owner_side=True,
        )
        PhaseChange.objects.create(
            case=case,
            from_phase="",
            to_phase=Phase.INTAKE,
            from_track="",
            to_track=track,
            changed_by=actor.user,
        )
        audit_by(actor, Action.CASE_CREATE, obj=case, case=case, reason="reopen" if previous_case else "")
    return case


def _lock_case(case: Case, expected_version: int | None) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(_("Someone else changed this case after you opened it. Reload and try again."), current=locked)
    return locked


def _bump(case: Case, **fields: Any) -> None:
    fields["version"] = F("version") + 1
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()


class _Keep(enum.Enum):
    KEEP = 0


KEEP = _Keep.KEEP  # "leave this field as it is", where None means "clear it"


def header_values(case: Case) -> dict[str, Any]:
    """The versioned header fields as JSON-ready values (dates as ISO text), for a version row and a comparison."""
    out: dict[str, Any] = {}
    for field in HEADER_VERSIONED:
        value = getattr(case, field)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif field == "ideologies":
            value = sorted(value or [])
        out[field] = value if value is not None else ""
    return out


def case_update(
    *,
    actor: Membership,
    case: Case,
    expected_version: int,
    lead: User | None = None,
    ideologies: list[str] | None = None,
    motivation_stage: str | None = None,
    threat_clarified_at: dt.date | None = None,
    safety_plan: str | None = None,
    safety_plan_review_on: dt.date | None | _Keep = KEEP,
) -> Case:
    """Edit header fields. A stale version raises Conflict instead of overwriting.

    The one service that edits the header (the page, the API's PATCH): when a versioned field changes
    (`HEADER_VERSIONED`), the values before the edit are kept as a `CaseHeaderVersion` in the same transaction —
    who, in which organisation, when, which fields. `safety_plan_review_on=None` clears the review date; KEEP (the
    default) leaves it.
    """
    _require(can(actor, Act.CASE_MANAGE, case))
    with transaction.atomic():
        locked = _lock_case(case, expected_version)
        before = header_values(locked)
        changes: dict[str, Any] = {}
        if lead is not None and lead.pk != locked.lead_id:
            if not TeamMember.objects.current().filter(case=locked, user=lead).exists():
                raise UtveiError(_("The case lead must be on the team."), code="lead_not_on_team")
            changes["lead"] = lead
        if ideologies is not None:
            for code in ideologies:
                _choice(code, Ideology, _("ideological orientation"))
            changes["ideologies"] = sorted(set(ideologies))
        if motivation_stage is not None:
            from .models import MotivationStage

            changes["motivation_stage"] = _choice(motivation_stage, MotivationStage, _("motivation stage"))
        if threat_clarified_at is not None:
            check_date(threat_clarified_at, _("Security threat clarified on"))
            changes["threat_clarified_at"] = threat_clarified_at
        if safety_plan_review_on is not KEEP:
            check_date(safety_plan_review_on, _("Review the safety plan by"))
            changes["safety_plan_review_on"] = safety_plan_review_on
        if safety_plan is not None:
            changes["safety_plan"] = _text(safety_plan, _("Safety plan"), required=False)
        after = {**before, **header_values(_with(locked, changes))}
        changed = [field for field in HEADER_VERSIONED if after[field] != before[field]]
        if changed:
            CaseHeaderVersion.objects.create(
                case=locked,
                number=locked.version,
                changed=changed,
                earlier=json.dumps(before, sort_keys=True),
                author=actor.user,
                author_org=actor.organisation,
            )
        if "safety_plan" in changes:
            # An encrypted field is written through the model (an update() would not encrypt it).
            locked.safety_plan = changes.pop("safety_plan")
            locked.save(update_fields=["safety_plan"])
        if changes.get("motivation_stage", locked.motivation_stage) != locked.motivation_stage:
            hooks.MOTIVATION_STAGE_CHANGED.send(actor=actor, case=locked, stage=changes["motivation_stage"])
        if changes or safety_plan is not None:
            _bump(locked, **changes)
            audit_by(actor, Action.CASE_UPDATE, obj=locked, case=locked)
    return locked


def _with(case: Case, changes: dict[str, Any]) -> Case:
    """A copy of the case with these changes applied, unsaved: to compare the header before and after."""
    copy = Case(**{f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields})
    for field, value in changes.items():
        setattr(copy, field, value)
    return copy


def person_edit(*, actor: Membership, case: Case, expected_version: int, **changes: Any) -> Person:
    """Edit the identity details of the case's person (the page and the API): the principal must manage the case
    and read who it is (`access.header.person_edit_decision`). `people.services.person_update` keeps the earlier
    version, rewrites the search index and audits; a stale `expected_version` (the person's) raises Conflict."""
    ca = policy.case_access(actor, case)
    if ca is None:
        raise NotFound(_("Not found."))
    _require(person_edit_decision(ca))
    return person_update(actor=actor, person=case.person, expected_version=expected_version, case=case, **changes)


def person_erase(*, actor: Membership, person: Person, reason: str) -> int:
    """Crypto-shred a person by hand (docs/encryption.md): the principal must be the data protection officer of an
    organisation owning one of the person's cases (`access.erasure.person_shred_decision`; anyone else finds
    nothing: NotFound). `people.services.person_shred` destroys the data keys and audits. Retention calls
    `person_shred` itself, as the system."""
    if not person_shred_decision(actor, person):
        raise NotFound(_("Not found."))
    return person_shred(actor=actor, person=person, reason=reason)


def case_transition(
    *,
    actor: Membership,
    case: Case,
    to_phase: str,
    expected_version: int | None = None,
    note: str = "",
    measures_ended_on: dt.date | None = None,
) -> Case:
    """Move the case to another phase, if the state machine allows it and its preconditions hold."""
    _require(can(actor, Act.CASE_MANAGE, case))
    _choice(to_phase, Phase, _("phase"))
    check_date(measures_ended_on, _("Measures ended on"))
    if to_phase == Phase.CLOSED:
        raise InvalidTransition(_("Close a case with a reason and a summary."))
    with transaction.atomic():
        locked = _lock_case(case, expected_version)
        problems = workflow.blockers(locked, to_phase)
        if problems:
            raise InvalidTransition(" ".join(problems))
        PhaseChange.objects.create(
            case=locked,
            from_phase=locked.phase,
            to_phase=to_phase,
            from_track=locked.track,
            to_track=locked.track,
            changed_by=actor.user,
            note=_text(note, _("Note"), required=False),
        )
        extra: dict[str, Any] = {"phase": to_phase}
        if to_phase == Phase.FOLLOW_UP:
            ended = measures_ended_on or timezone.localdate()
            extra["measures_ended_on"] = ended
            hooks.MEASURES_ENDED.send(actor=actor, case=locked, ended=ended)
        _bump(locked, **extra)
        audit_by(actor, Action.CASE_PHASE, obj=locked, case=locked, reason=to_phase)
    return locked


def case_change_track(
    *, actor: Membership, case: Case, track: str, expected_version: int | None = None, note: str = ""
) -> Case:
    _require(can(actor, Act.CASE_MANAGE, case))
    _choice(track, Track, _("track"))
    with transaction.atomic():
        locked = _lock_case(case, expected_version)
        if locked.is_closed:
            raise InvalidTransition(_("The case is closed."))
        if locked.track == track:
            return locked
        PhaseChange.objects.create(
            case=locked,
            from_phase=locked.phase,
            to_phase=locked.phase,
            from_track=locked.track,
            to_track=track,
            changed_by=actor.user,
            note=_text(note, _("Note"), required=False),
        )
        _bump(locked, track=track)
        audit_by(actor, Action.CASE_TRACK, obj=locked, case=locked, reason=track)
    return locked


def case_close(
    *, actor: Membership, case: Case, reason: str, summary: str, expected_version: int | None = None
) -> Case:
    _require(can(actor, Act.CASE_MANAGE, case))
    _choice(reason, ClosureReason, _("closure reason"))
    summary = _text(summary, _("Closing summary"))
    with transaction.atomic():
        locked = _lock_case(case, expected_version)
        problems = workflow.blockers(locked, Phase.CLOSED)
        if problems:
            raise InvalidTransition(" ".join(problems))
        PhaseChange.objects.create(
            case=locked,
            from_phase=locked.phase,
            to_phase=Phase.CLOSED,
            from_track=locked.track,
            to_track=locked.track,
            changed_by=actor.user,
        )
        locked.closure_summary = summary
        locked.save(update_fields=["closure_summary"])
        Task.objects.filter(case=locked, status=TaskStatus.OPEN).exclude(origin=TaskOrigin.FOLLOW_UP).update(
            status=TaskStatus.CANCELLED
        )
        from_phase = locked.phase
        _bump(locked, phase=Phase.CLOSED, closed_at=timezone.now(), closure_reason=reason)
        hooks.CLOSED.send(actor=actor, case=locked, from_phase=from_phase, reason=reason)
        audit_by(actor, Action.CASE_CLOSE, obj=locked, case=locked, reason=reason)
    return locked


def case_reopen(*, actor: Membership, case: Case, track: str | None = None) -> Case:
    """Reopening makes a new case for the same person, linked to the closed one."""
    _require(can(actor, Act.CASE_MANAGE, case))
    if not case.is_closed:
        raise InvalidTransition(_("Only a closed case can be reopened."))
    if Case.objects.filter(previous_case=case).exists():
        raise Conflict(_("This case has already been reopened."))
    new = case_open(
        actor=actor,
        person=case.person,
        track=track or case.track,
        ideologies=list(case.ideologies),
        previous_case=case,
    )
    audit_by(actor, Action.CASE_REOPEN, obj=case, case=case)
    return new


# ---- Team ----------------------------------------------------------------------------------------------


def team_add(*, actor: Membership, case: Case, user: User, organisation: Organisation, role: str) -> TeamMember:
    _require(can(actor, Act.TEAM_MANAGE, case))
    _choice(role, TeamRole, _("role in case"))
    if case.is_closed:
        raise InvalidTransition(_("The case is closed."))
    membership = Membership.objects.active().filter(user=user, organisation=organisation).first()
    if membership is None:
        raise UtveiError(_("That user is not an active member of that organisation."), code="no_membership")
    joins = team_join_decision(membership, role)
    if not joins:
        raise UtveiError(joins.reason, code=joins.step)
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if TeamMember.objects.current().filter(case=case, user=user, organisation=organisation).exists():
            raise Conflict(_("That person is already on the team."))
        member = TeamMember.objects.create(
            case=case,
            user=user,
            organisation=organisation,
            role=role,
            added_by=actor.user,
            owner_side=organisation.pk == case.owning_org_id,
        )
        audit_by(actor, Action.TEAM_ADD, obj=member, object_id=str(member.pk), case=case, reason=role)
    return member


def team_end(*, actor: Membership, member: TeamMember) -> TeamMember:
    _require(can(actor, Act.TEAM_MANAGE, member.case))
    if member.case.lead_id == member.user_id and member.organisation_id == member.case.owning_org_id:
        raise UtveiError(_("Name another case lead before removing this one."), code="lead_required")
    with transaction.atomic():
        TeamMember.objects.filter(pk=member.pk, ended_at__isnull=True).update(ended_at=timezone.now())
        member.refresh_from_db()
        audit_by(actor, Action.TEAM_END, obj=member, object_id=str(member.pk), case=member.case)
    return member


# ---- Timeline ------------------------------------------------------------------------------------------


def _check_entry_fields(
    actor: Membership, kind: str, category: str, classification: str, *, was: str | None = None
) -> None:
    _choice(kind, EntryKind, _("kind"))
    if (kind == EntryKind.CONCERN) != (was == EntryKind.CONCERN):
        # The concern's own entry is written when it opens the case, and stays the concern's.
        raise UtveiError(
            _("Only a concern that opens a case becomes its «concern received» entry, and it keeps that kind."),
            code="kind_reserved",
        )
    _choice(category, DataCategory, _("data category"))
    _choice(classification, Classification, _("classification"))
    if classification not in writable_classifications(actor):
        raise UtveiError(
            _("You cannot give an entry a classification your own organisation may not read."),
            code="classification_not_allowed",
        )


def entry_create(
    *,
    actor: Membership,
    case: Case,
    kind: str,
    classification: str,
    body: str,
    title: str = "",
    category: str = DataCategory.PLAN,
    occurred_at: dt.datetime | None = None,
) -> Entry:
    _require(can(actor, Act.ENTRY_CREATE, case))
    _check_entry_fields(actor, kind, category, classification)
    body = _text(body, _("Text"))
    title = _text(title, _("Title"), required=False, max_length=200)
    now = timezone.now()
    occurred_at = occurred_at or now
    check_date(occurred_at, _("Date"))
    if occurred_at > now + dt.timedelta(minutes=5):
        raise UtveiError(_("An entry cannot be dated in the future."), code="future_date")
    with transaction.atomic():
        return _entry_write(
            actor,
            case,
            kind=kind,
            category=category,
            classification=classification,
            occurred_at=occurred_at,
            title=title,
            body=body,
        )


def _entry_write(actor: Membership, case: Case, **fields: Any) -> Entry:
    """Save a new entry with its first revision, audited (inside the caller's transaction)."""
    now = timezone.now()
    entry = Entry.objects.create(
        case=case, author=actor.user, author_org=actor.organisation, created_at=now, updated_at=now, **fields
    )
    _revision(entry, actor.user)
    audit_by(actor, Action.ENTRY_CREATE, obj=entry, case=case, reason=entry.classification)
    return entry


def _revision(entry: Entry, user: User) -> None:
    EntryRevision.objects.create(
        entry=entry,
        version=entry.version,
        kind=entry.kind,
        category=entry.category,
        classification=entry.classification,
        occurred_at=entry.occurred_at,
        title=entry.title,
        body=entry.body,
        saved_by=user,
        saved_at=entry.updated_at,
    )


def entry_update(
    *,
    actor: Membership,
    entry: Entry,
    expected_version: int,
    body: str,
    title: str | None = None,
    classification: str | None = None,
    kind: str | None = None,
    category: str | None = None,
) -> Entry:
    """Save a new version if nobody saved since `expected_version`; otherwise raise Conflict with theirs."""
    _require(can(actor, Act.ENTRY_READ, entry), hide=True)
    _require(can(actor, Act.ENTRY_EDIT, entry))
    kind = kind or entry.kind
    category = category or entry.category
    classification = classification or entry.classification
    _check_entry_fields(actor, kind, category, classification, was=entry.kind)
    body = _text(body, _("Text"))
    title = _text(entry.title if title is None else title, _("Title"), required=False, max_length=200)
    stale = Entry.objects.get(pk=entry.pk)
    if stale.version != expected_version:
        # Audited outside the refused write, so the attempt is on record.
        audit_by(actor, Action.ENTRY_CONFLICT, obj=stale, case=entry.case)
        raise Conflict(
            _(
                "Someone else saved this entry while you were editing it. Your text is kept below: "
                "compare it with the saved version and save again."
            ),
            current=stale,
        )
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        if locked.version != expected_version:
            raise Conflict(_("Someone else saved this entry at the same moment. Reload and try again."), current=locked)
        if (locked.body, locked.title, locked.classification, locked.kind, locked.category) == (
            body,
            title,
            classification,
            kind,
            category,
        ):
            return locked
        locked.body, locked.title, locked.classification = body, title, classification
        locked.kind, locked.category = kind, category
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _revision(locked, actor.user)
        audit_by(actor, Action.ENTRY_UPDATE, obj=locked, case=entry.case)
    return locked


# ---- Tasks ---------------------------------------------------------------------------------------------


def task_create(
    *, actor: Membership, case: Case, title: str, assignee: User | None = None, due_on: dt.date | None = None
) -> Task:
    _require(can(actor, Act.TASK_CREATE, case))
    check_date(due_on, _("Due date"))
    if case.is_closed:
        raise InvalidTransition(_("The case is closed."))
    title = _text(title, _("Task"), max_length=300)
    assignee_org = None
    if assignee is not None:
        member = TeamMember.objects.current().filter(case=case, user=assignee).first()
        if member is None:
            raise UtveiError(_("Tasks can only be given to members of the team."), code="assignee_not_on_team")
        assignee_org = member.organisation
    with transaction.atomic():
        task = Task.objects.create(
            case=case,
            title=title,
            assignee=assignee,
            assignee_org=assignee_org,
            due_on=due_on,
            created_by=actor.user,
        )
        audit_by(actor, Action.TASK_CREATE, obj=task, case=case)
    return task


def task_set_status(*, actor: Membership, task: Task, status: str, expected_version: int | None) -> Task:
    """Set a task's status if nobody changed it since `expected_version` (else Conflict with the task as saved).
    Pages and the API always name the version they showed; `None` is for a service that has locked what the task
    comes from (a meeting decision's status)."""
    _require(can(actor, Act.TASK_READ, task), hide=True)
    _require(can(actor, Act.TASK_EDIT, task))
    _choice(status, TaskStatus, _("status"))
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _("Someone else changed this task after you opened it. It is shown as it is now."), current=locked
            )
        Task.objects.filter(pk=task.pk).update(
            status=status,
            completed_at=timezone.now() if status == TaskStatus.DONE else None,
            version=F("version") + 1,
        )
        task.refresh_from_db()
        audit_by(actor, Action.TASK_UPDATE, obj=task, case=task.case, reason=status)
    return task


# ---- Attachments ---------------------------------------------------------------------------------------


def attachment_add(
    *,
    actor: Membership,
    owner: Any,
    filename: str,
    data: bytes,
    classification: str,
    category: str = DataCategory.PLAN,
    oversize: bool = False,
) -> Attachment:
    """Attach a file to a timeline entry, meeting or consent (`owner`), in one transaction with its encrypted
    content. Refused: without the right to change the owner (access/attachments.py), a classification the uploader's
    organisation may not read, an empty file, one over the limit (`oversize`: the upload handler stopped reading at
    it), a type not on the allowlist (by content, core/files.py), one the virus scanner finds infected or could not
    check. Each refusal of a file is audited (`attachment.refused`, the reason's code, never the name or content)."""
    case = owner.case
    ca = policy.case_access(actor, case)
    if ca is None:
        raise NotFound(_("Not found."))
    _require(attachment_write_decision(ca, owner))
    _choice(category, DataCategory, _("data category"))
    _choice(classification, Classification, _("classification"))
    if classification not in writable_classifications(actor):
        raise UtveiError(
            _("You cannot give a file a classification your own organisation may not read."),
            code="classification_not_allowed",
        )
    try:
        if oversize:
            raise files.too_large()
        kind, name = files.check(data, filename)
        verdict = files.scan(data)
        if verdict == files.ScanVerdict.INFECTED:
            raise files.FileRefused(_("The virus scanner found something harmful in the file."), code="file_infected")
        if verdict == files.ScanVerdict.FAILED:
            raise files.FileRefused(
                _("The file could not be checked for viruses. Try again later, or ask your administrator."),
                code="file_unchecked",
            )
    except files.FileRefused as exc:
        audit_by(actor, Action.ATTACHMENT_REFUSED, obj=owner, case=case, reason=exc.code)
        raise
    public_id = uuid.uuid4()
    owner_field = {owner._meta.model_name: owner}
    with transaction.atomic():
        attachment = Attachment.objects.create(
            public_id=public_id,
            case=case,
            filename=name,
            content_type=kind.mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            category=category,
            classification=classification,
            author=actor.user,
            author_org=actor.organisation,
            scan=verdict,
            **owner_field,
        )
        AttachmentBlob.objects.create(
            attachment=attachment,
            data=encrypt_bytes(data, context=attachment_blob_context(public_id), subject=subject_of(attachment)),
        )
        audit_by(actor, Action.ATTACHMENT_UPLOAD, obj=attachment, case=case, reason=attachment.owner_kind)
    return attachment
