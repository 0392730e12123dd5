"""Every write of retention by a person: legal holds, opening a restricted case for a reason, restriction on
request (GDPR art. 18) and its lifting, rectification requests (art. 16). Each checks the policy
(access/retention.py) first, runs in one transaction and writes its audit event (ids and codes only; the texts
are stored encrypted here). The run's own steps are in `run.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.policy import Decision
from utvei.access.retention import (
    hold_decision,
    person_request_decision,
    restricted_open_decision,
)
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.cases.models import Case, RestrictionCode, RetentionState
from utvei.core.errors import NotFound, UtveiError
from utvei.core.validation import check_date, clean_choice, clean_text
from utvei.people.services import IDENTITY_FIELDS, person_update

from .models import (
    LegalHold,
    ReadReason,
    RectificationRequest,
    RectificationStatus,
    RestrictedRead,
    RestrictionChange,
)

REASON_MAX = 2000


class AlreadyDone(UtveiError):
    """A one-way step taken a second time (a hold lifted, a request answered, a case restricted): 409."""

    status = 409


RESTRICTION_FIELDS = ("retention_state", "restricted_at", "restriction_code", "restriction_reason", "restricted_by")


def _require(decision: Decision) -> None:
    """Refused: 404, as if the case were missing — whoever may not act on it learns nothing of it."""
    if not decision:
        raise NotFound(_("Not found."))


def _reason(value: Any, label: Any, *, required: bool = True) -> str:
    return clean_text(value if isinstance(value, str) else "", label, required=required, max_length=REASON_MAX)


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("owning_org", "lead").get(pk=case.pk)


# ---- Legal hold --------------------------------------------------------------------------------------------


def hold_set(*, actor: Membership, case: Case, reason: str) -> LegalHold:
    """Put a legal hold on the case: the retention run takes no step on it until the hold is lifted."""
    _require(hold_decision(actor, case))
    text = _reason(reason, _("Reason for the hold"))
    with transaction.atomic():
        locked = _locked(case)
        hold = LegalHold.objects.create(case=locked, reason=text, set_by=actor.user, set_by_org=actor.organisation)
        audit_by(actor, Action.HOLD_SET, obj=hold, case=locked)
    return hold


def hold_lift(*, actor: Membership, hold: LegalHold, reason: str = "") -> LegalHold:
    """Lift a legal hold (the reason is optional but kept); the rule applies again from the next run."""
    _require(hold_decision(actor, hold.case))
    text = _reason(reason, _("Reason for lifting the hold"), required=False)
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.lifted_at is not None:
            raise AlreadyDone(_("The legal hold has already been lifted."), code="already_lifted")
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor.user
        locked.lift_reason = text
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_by(actor, Action.HOLD_LIFT, obj=locked, case=hold.case)
    return locked


def active_hold(case: Case) -> LegalHold | None:
    return LegalHold.objects.active().filter(case=case).order_by("-set_at").first()


# ---- Restriction ------------------------------------------------------------------------------------------


def restrict(
    *, case: Case, code: str, reason: str, at: dt.datetime, actor: Membership | None = None, rule: str = ""
) -> Case:
    """Restrict the case (in the caller's transaction, the case locked): state, who, why, a history row and the
    audit event. `actor` None: the retention run (the system), `rule` its rule id and version."""
    case.retention_state = RetentionState.RESTRICTED
    case.restricted_at = at
    case.restriction_code = code
    case.restriction_reason = reason
    case.restricted_by = actor.user if actor else None
    case.version += 1
    case.save(update_fields=[*RESTRICTION_FIELDS, "version"])
    RestrictionChange.objects.create(
        case=case,
        restricted=True,
        code=code,
        reason=reason,
        changed_by=actor.user if actor else None,
        changed_by_org=actor.organisation if actor else None,
        changed_at=at,
    )
    if actor is None:
        audit_record(action=Action.RETENTION_RESTRICT, obj=case, case=case, reason=f"{code};{rule}"[:64])
    else:
        audit_by(actor, Action.RETENTION_RESTRICT, obj=case, case=case, reason=code)
    return case


def restriction_request(*, actor: Membership, case: Case, reason: str) -> Case:
    """Restriction on the person's request (GDPR art. 18): the case is restricted with code `art18` until lifted —
    out of every list, read only by the DPO and the lead for a reason, and no retention end step is taken on it."""
    _require(person_request_decision(actor, case))
    text = _reason(reason, _("The person's request"))
    with transaction.atomic():
        locked = _locked(case)
        if locked.retention_state != RetentionState.ACTIVE:
            raise AlreadyDone(_("The case is already restricted."), code="already_restricted")
        return restrict(case=locked, code=RestrictionCode.ART18, reason=text, at=timezone.now(), actor=actor)


def restriction_lift(*, actor: Membership, case: Case, reason: str) -> Case:
    """Lift a restriction made on the person's request (art. 18(3): the person is told before). A restriction
    the retention rules made is not lifted by hand: it ends with the rule's end step."""
    _require(person_request_decision(actor, case))
    text = _reason(reason, _("Reason for lifting the restriction"))
    with transaction.atomic():
        locked = _locked(case)
        if locked.retention_state != RetentionState.RESTRICTED or locked.restriction_code != RestrictionCode.ART18:
            raise AlreadyDone(_("Only a restriction made on the person's request can be lifted."), code="not_art18")
        locked.retention_state = RetentionState.ACTIVE
        locked.restricted_at = None
        locked.restriction_code = ""
        locked.restriction_reason = ""
        locked.restricted_by = None
        locked.version += 1
        locked.save(update_fields=[*RESTRICTION_FIELDS, "version"])
        RestrictionChange.objects.create(
            case=locked,
            restricted=False,
            code=RestrictionCode.ART18,
            reason=text,
            changed_by=actor.user,
            changed_by_org=actor.organisation,
        )
        RestrictedRead.objects.filter(case=locked, expires_at__gt=timezone.now()).update(expires_at=timezone.now())
        audit_by(actor, Action.RETENTION_UNRESTRICT, obj=locked, case=locked, reason=RestrictionCode.ART18)
    return locked


def restricted_open(*, actor: Membership, case: Case, reason_code: str, reason: str) -> RestrictedRead:
    """Open a restricted case to read it, for a stated reason, for UTVEI_RESTRICTED_READ_MINUTES: the DPO of the
    owning organisation or the case lead. Refused: audited, and 404 as if the case were missing."""
    decision = restricted_open_decision(actor, case)
    if not decision:
        audit_by(actor, Action.RESTRICTED_REFUSED, object_type="case", object_id=str(case.public_id), case=case)
        raise NotFound(_("Not found."))
    code = clean_choice(reason_code, ReadReason, _("Reason"))
    text = _reason(reason, _("Explanation"))
    now = timezone.now()
    with transaction.atomic():
        opened = RestrictedRead.objects.create(
            case=case,
            user=actor.user,
            organisation=actor.organisation,
            reason_code=code,
            reason=text,
            opened_at=now,
            expires_at=now + dt.timedelta(minutes=settings.UTVEI_RESTRICTED_READ_MINUTES),
        )
        audit_by(actor, Action.RESTRICTED_OPEN, obj=opened, case=case, reason=code)
    return opened


# ---- Rectification (GDPR art. 16) -------------------------------------------------------------------------


def rectification_register(
    *, actor: Membership, case: Case, claim: str, received_on: dt.date | None = None
) -> RectificationRequest:
    """Register the person's request to correct their record: what they say is wrong (stored encrypted)."""
    _require(person_request_decision(actor, case))
    text = _reason(claim, _("What the person says is wrong"))
    received = received_on or timezone.localdate()
    check_date(received, _("Received on"))
    if received > timezone.localdate():
        raise UtveiError(_("The request cannot be received in the future."), code="date_out_of_range")
    with transaction.atomic():
        request = RectificationRequest.objects.create(
            case=case,
            received_on=received,
            claim=text,
            registered_by=actor.user,
            registered_by_org=actor.organisation,
        )
        audit_by(actor, Action.RECTIFICATION_REGISTER, obj=request, case=case)
    return request


def rectification_answer(
    *,
    actor: Membership,
    request: RectificationRequest,
    status: str,
    answer: str,
    corrections: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> RectificationRequest:
    """Answer a rectification request: corrected (optionally correcting the person's identity details here,
    through `people.services.person_update`, which keeps the earlier version and audits) or refused with a reason.
    Corrections to a timeline entry are made on the entry (its revisions keep the earlier text) and named in the
    answer. One transaction: the correction and the answer together, or neither."""
    case = request.case
    _require(person_request_decision(actor, case))
    choice = clean_choice(status, RectificationStatus, _("Answer"))
    if choice == RectificationStatus.PENDING:
        raise UtveiError(_("Choose corrected or refused."), code="invalid_choice")
    text = _reason(answer, _("What was done, or why it was refused"))
    wanted = {k: v for k, v in (corrections or {}).items() if k in IDENTITY_FIELDS}
    if wanted and choice != RectificationStatus.DONE:
        raise UtveiError(_("A refused request corrects nothing."), code="refused_with_corrections")
    with transaction.atomic():
        locked = RectificationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RectificationStatus.PENDING:
            raise AlreadyDone(_("The request has already been answered."), code="already_answered")
        if wanted:
            person = case.person
            version = expected_version if expected_version is not None else person.version
            person_update(actor=actor, person=person, expected_version=version, case=case, **wanted)
        locked.status = choice
        locked.answer = text
        locked.answered_by = actor.user
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit_by(actor, Action.RECTIFICATION_ANSWER, obj=locked, case=case, reason=choice)
    return locked
