"""Emergency access (break-the-glass): services and selectors.

A coordinator or caseworker outside a case opens it with a reason code and a text for a limited window
(settings.UTVEI_EMERGENCY_HOURS, default 4 hours). While it lasts it is a relation to the case
(access.policy.Relation.EMERGENCY): read-only, limited by classification. The case lead and the data protection
officers of the owning organisation (and of the user's own organisation) are notified; a DPO reviews every use.
Every step is audited, without the reason text: docs/emergency-access.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access import sharing as sharing_policy
from utvei.access.policy import Act, can, membership_ok
from utvei.accounts.models import Membership, NotificationKind
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Case, Phase, RetentionState
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.validation import clean_text
from utvei.core.validation import parse_uuid as _uuid
from utvei.people.models import Person
from utvei.people.services import person_find_by_nin

from ..models import EMERGENCY_HOURS_DEFAULT, EmergencyAccess, EmergencyReason, ReviewStatus

REASON_TEXT_MAX = 2000
REVIEW_NOTE_MAX = 2000
REFERENCE_MAX = 64


def max_hours() -> int:
    """The longest window, which is also the default (UTVEI_EMERGENCY_HOURS)."""
    return int(getattr(settings, "UTVEI_EMERGENCY_HOURS", EMERGENCY_HOURS_DEFAULT))


@dataclass(frozen=True)
class Opened:
    """What emergency_open did: `access` is None when the user already had another relation to the case;
    `created` is False when an active emergency access of theirs was returned instead of a new one."""

    case: Case
    access: EmergencyAccess | None
    created: bool


# ---- Services ------------------------------------------------------------------------------------------


def _refused(actor: Membership, reason: str) -> None:
    """The refused attempt, audited with a code only: never the reference, identity number or text typed."""
    audit_record(action=Action.EMERGENCY_REFUSED, actor=actor.user, organisation=actor.organisation, reason=reason)


def _hours(hours: Any) -> int:
    longest = max_hours()
    if hours is None or hours == "":
        return longest
    if isinstance(hours, bool):
        hours = None
    try:
        value = int(hours) if hours is not None else None
    except (TypeError, ValueError):
        value = None
    if value is None or not 1 <= value <= longest or (isinstance(hours, float) and hours != value):
        raise UtveiError(
            _("Choose a window between 1 and %(n)d hours.") % {"n": longest},
            code="invalid_hours",
        )
    return value


def _best_case(cases: QuerySet[Case]) -> Case | None:
    """The most recent open case, or if none is open, the most recent one."""
    open_case = cases.exclude(phase=Phase.CLOSED).order_by("-opened_at", "-pk").first()
    return open_case or cases.order_by("-opened_at", "-pk").first()


def _find_case(actor: Membership, case_reference: str, national_id: str) -> Case | None:
    """A case by its exact reference (a person reference means that person's case), or by the person's
    identity number through the blind index (people.services.person_find_by_nin audits the lookup). A case out of
    active use (restricted, archived, anonymised: docs/retention.md) is not found: emergency access never opens one."""
    cases = Case.objects.filter(retention_state=RetentionState.ACTIVE).select_related("owning_org", "lead", "person")
    ref = case_reference.strip().upper()
    if ref:
        case = cases.filter(reference=ref).first()
        if case is not None:
            return case
        person_id = Person.objects.filter(reference=ref).values_list("pk", flat=True).first()
        return _best_case(cases.filter(person_id=person_id)) if person_id is not None else None
    person = person_find_by_nin(actor=actor, national_id=national_id)
    return _best_case(cases.filter(person=person)) if person is not None else None


def emergency_open(
    *,
    actor: Membership,
    case_reference: str = "",
    national_id: str = "",
    reason_code: str,
    reason_text: str,
    hours: int | None = None,
) -> Opened:
    """Break the glass: open a case the actor has no relation to, for `hours` (1..UTVEI_EMERGENCY_HOURS).

    Refused (Forbidden) for roles without Cap.EMERGENCY_ACCESS; UtveiError for a missing reason or a case that
    cannot be found (audited as emergency.refused, without what was typed). A user who can already see the case
    gets it back without a new access; a second open while one is active returns the active one.
    """
    if not membership_ok(actor):
        raise Forbidden(_("You have no active membership."))
    decision = can(actor, Act.EMERGENCY_OPEN)
    if not decision:
        _refused(actor, "role")
        raise Forbidden(
            _("Your role cannot use emergency access. Only coordinators and caseworkers can open a case this way.")
        )
    if not isinstance(reason_code, str) or reason_code not in EmergencyReason.values:
        raise UtveiError(_("Choose the reason for the emergency access."), code="invalid_reason")
    text = clean_text(
        reason_text if isinstance(reason_text, str) else "",
        _("What is happening"),
        required=True,
        max_length=REASON_TEXT_MAX,
    )
    window = _hours(hours)
    reference = case_reference.strip() if isinstance(case_reference, str) else ""
    nin = national_id.strip() if isinstance(national_id, str) else ""
    if not reference and not nin:
        raise UtveiError(_("Give the case reference or the person's national identity number."), code="case_required")
    if reference and nin:
        raise UtveiError(
            _("Give either the case reference or the national identity number, not both."), code="case_ambiguous"
        )
    # An invalid identity number raises here (code invalid_nin); an over-long reference matches nothing.
    case = None if len(reference) > REFERENCE_MAX else _find_case(actor, reference, nin)
    if case is None:
        _refused(actor, "no_match")
        raise UtveiError(
            _("No case matches that reference or national identity number. Check it and try again."),
            code="no_match",
        )
    if sharing_policy.sees_otherwise(actor, case):
        return Opened(case, None, False)
    with transaction.atomic():
        # Serialise opens of this case, so that a double submit makes one access, not two.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
        existing = sharing_policy.active_emergency(actor, case)
        if existing is not None:
            return Opened(case, existing, False)
        now = timezone.now()
        access = EmergencyAccess.objects.create(
            case=case,
            user=actor.user,
            organisation=actor.organisation,
            role=actor.role,
            reason_code=reason_code,
            reason_text=text,
            started_at=now,
            expires_at=now + dt.timedelta(hours=window),
            priority=policy.is_protected(case),
        )
        audit_record(
            action=Action.EMERGENCY_OPEN,
            actor=actor.user,
            organisation=actor.organisation,
            obj=access,
            case=case,
            reason=f"{reason_code};{window}h",
        )
        watchers = sharing_policy.emergency_watchers(actor, case)
        # A protected identity: the DPOs are told by e-mail as well, to review it first (the e-mail has no content).
        dpos = set(sharing_policy.emergency_priority_watchers(actor, case)) if access.priority else set()
        kind, ref = NotificationKind.EMERGENCY_ACCESS, access.public_id
        notify(recipients=[w for w in watchers if w not in dpos], kind=kind, case=case, ref=ref)
        if dpos:
            notify(recipients=[w for w in watchers if w in dpos], kind=kind, case=case, ref=ref, email=True)
    return Opened(case, access, True)


def emergency_end(*, actor: Membership, access: EmergencyAccess) -> EmergencyAccess:
    """The user closes their own emergency access before it expires. Ending one that is over is a Conflict."""
    if not sharing_policy.emergency_end_decision(actor, access):
        raise NotFound(_("The emergency access was not found."))
    with transaction.atomic():
        current = EmergencyAccess.objects.select_for_update().select_related("case").get(pk=access.pk)
        now = timezone.now()
        if not current.is_active(now):
            raise Conflict(_("This emergency access has already ended."))
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        audit_record(
            action=Action.EMERGENCY_END,
            actor=actor.user,
            organisation=actor.organisation,
            obj=current,
            case=current.case,
        )
    return current


REVIEW_DECISIONS = (ReviewStatus.APPROVED, ReviewStatus.FLAGGED)


def emergency_review(*, actor: Membership, access: EmergencyAccess, decision: str, note: str = "") -> EmergencyAccess:
    """A data protection officer approves or flags one use. A note is required when flagging; flagging an access
    that is still running also ends it. Reviewing twice is a Conflict."""
    if not can(actor, Act.EMERGENCY_REVIEW):
        raise Forbidden(_("Only a data protection officer can review emergency access."))
    if not _dpo_scope(actor).filter(pk=access.pk).exists():
        raise NotFound(_("The emergency access was not found."))
    if decision not in REVIEW_DECISIONS:
        raise UtveiError(_("Choose to approve or to flag the use."), code="invalid_decision")
    flagged = decision == ReviewStatus.FLAGGED
    text = clean_text(
        note if isinstance(note, str) else "",
        _("Note"),
        required=flagged,
        max_length=REVIEW_NOTE_MAX,
    )
    with transaction.atomic():
        current = EmergencyAccess.objects.select_for_update().select_related("case").get(pk=access.pk)
        if current.review_status != ReviewStatus.PENDING:
            raise Conflict(_("This use of emergency access has already been reviewed."), current=current)
        now = timezone.now()
        current.review_status = decision
        current.reviewed_by = actor.user
        current.reviewed_at = now
        current.review_note = text
        fields = ["review_status", "reviewed_by", "reviewed_at", "review_note"]
        ended = flagged and current.is_active(now)
        if ended:
            current.ended_at = now
            fields.append("ended_at")
        current.save(update_fields=fields)
        audit_record(
            action=Action.EMERGENCY_REVIEW,
            actor=actor.user,
            organisation=actor.organisation,
            obj=current,
            case=current.case,
            reason=f"{decision};ended" if ended else str(decision),
        )
    return current


# ---- Selectors -----------------------------------------------------------------------------------------


def _with_relations(qs: QuerySet[EmergencyAccess]) -> QuerySet[EmergencyAccess]:
    return qs.select_related("case", "case__owning_org", "user", "organisation", "reviewed_by")


def _dpo_scope(actor: Membership) -> QuerySet[EmergencyAccess]:
    """A DPO answers for the cases their organisation owns and for what its own staff do (access.sharing)."""
    return sharing_policy.emergency_review_scope(actor)


QUEUE_STATUSES = ("pending", "approved", "flagged", "all")


def review_queue(
    *, actor: Membership | None, status: str | None = None, audit: bool = True
) -> QuerySet[EmergencyAccess]:
    """The DPO's queue: every emergency access to a case their organisation owns and every one made by its
    staff; pending first, newest first. `status` narrows it (pending, approved, flagged). One audit event."""
    if actor is None or not can(actor, Act.EMERGENCY_REVIEW):
        raise NotFound(_("Not found."))
    qs = _with_relations(_dpo_scope(actor))
    if status and status != "all":
        if status not in ReviewStatus.values:
            raise UtveiError(_("Choose pending, approved, flagged or all."), code="invalid_status")
        qs = qs.filter(review_status=status)
    if audit:
        audit_record(
            action=Action.EMERGENCY_VIEW,
            actor=actor.user,
            organisation=actor.organisation,
            reason=f"queue;{status or 'all'}",
        )
    # Pending first, and among them a protected identity's (priority, or the person protected since) first of all.
    urgent = Q(priority=True) | Q(case__person__protected_identity=True)
    pending_first = SqlCase(
        When(Q(review_status=ReviewStatus.PENDING) & urgent, then=Value(0)),
        When(review_status=ReviewStatus.PENDING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    qs = qs.annotate(urgent=ExpressionWrapper(urgent, output_field=BooleanField()))
    return qs.order_by(pending_first, "-started_at", "-pk")


def my_emergency_accesses(*, actor: Membership | None) -> QuerySet[EmergencyAccess]:
    """The principal's own emergency accesses in their active organisation, newest first."""
    if not membership_ok(actor) or actor is None:
        return EmergencyAccess.objects.none()
    return _with_relations(sharing_policy.own_emergency_accesses(actor)).order_by("-started_at", "-pk")


def emergency_get(*, actor: Membership | None, access_id: Any) -> EmergencyAccess:
    """One access: for the user who holds it, or a DPO whose queue holds it. Anyone else: NotFound."""
    pk = _uuid(access_id)
    if actor is None or pk is None or not membership_ok(actor):
        raise NotFound(_("The emergency access was not found."))
    qs = sharing_policy.visible_emergency_accesses(actor).filter(public_id=pk)
    access = _with_relations(qs).first()
    if access is None:
        raise NotFound(_("The emergency access was not found."))
    return access


def case_emergency_accesses(*, actor: Membership | None, case_ids: Iterable[str]) -> list[EmergencyAccess]:
    """For the DPO's access report on a case: its emergency accesses within the DPO's scope (ids only in)."""
    if actor is None or not can(actor, Act.EMERGENCY_REVIEW):
        return []
    ids = [u for u in (_uuid(c) for c in case_ids) if u is not None]
    if not ids:
        return []
    qs = _dpo_scope(actor).filter(case__public_id__in=ids)
    return list(_with_relations(qs).order_by("-started_at", "-pk"))


def is_dpo_reviewer(actor: Membership | None) -> bool:
    return actor is not None and bool(can(actor, Act.EMERGENCY_REVIEW))
