"""The subject-access register's writes and the export (docs/subject-access.md): register a request, extend its
deadline with a reason, make the export, answer or refuse it. Each checks the rule first
(`access.subject_access`), runs in one transaction and writes its audit event (ids and codes only: the request's
public id, the format, the channel — never the person's identity)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import subject_access as rules
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.validation import EARLIEST
from utvei.people import index as person_index
from utvei.people.models import Person, PersonToken
from utvei.people.services import person_find_by_nin

from ..models import ReceivedVia, RequestStatus, SubjectAccessRequest
from ..models.requests import OPEN_STATUSES
from .export import Export, person_export

FORMATS = ("json", "html", "pdf")
REASON_MAX = 2000
NOT_FOUND_MESSAGE = _("No person was found among your organisation's cases.")


def _require_dpo(actor: Membership | None) -> Membership:
    decision = rules.dpo_decision(actor)
    if not decision:
        raise Forbidden(decision.reason)
    assert actor is not None
    return actor


def person_find(
    *, actor: Membership, national_id: str = "", full_name: str = "", birth_date: dt.date | None = None
) -> Person:
    """The person a request is about, as the DPO finds them: by identity number (the blind index), or by name and
    date of birth (the token index, confirmed against the decrypted name). Only among the persons the DPO's
    organisation is a controller for; nobody, several, or someone else's: NotFound, all alike."""
    _require_dpo(actor)
    candidates: list[Person] = []
    if national_id.strip():
        found = person_find_by_nin(actor=actor, national_id=national_id)
        candidates = [found] if found is not None else []
    elif full_name.strip() and birth_date is not None:
        words, born = full_name.split(), birth_date.isoformat()
        persons = Person.objects.all()
        for group in person_index.query_groups([*words, born]):
            persons = persons.filter(pk__in=PersonToken.objects.filter(token__in=sorted(group)).values("person_id"))
        candidates = [
            p for p in persons[:50] if p.birth_date == born and person_index.name_matches(words, p.full_name, "")
        ]
        audit_by(actor, Action.PERSON_LOOKUP, object_type="person", reason="subject_access_name")
    else:
        raise UtveiError(_("Give the identity number, or the name and the date of birth."), code="identity_required")
    mine = [p for p in candidates if rules.person_decision(actor, p)]
    if len(mine) != 1:
        if len(mine) > 1:
            raise UtveiError(_("Several persons match: give the identity number."), code="ambiguous")
        raise NotFound(NOT_FOUND_MESSAGE)
    return mine[0]


def request_register(
    *,
    actor: Membership,
    person: Person,
    received_via: str,
    received_on: dt.date,
) -> SubjectAccessRequest:
    """Register a request received on `received_on`: due one month later (art. 12(3))."""
    _require_dpo(actor)
    decision = rules.person_decision(actor, person)
    if not decision:
        raise NotFound(NOT_FOUND_MESSAGE)
    if received_via not in ReceivedVia.values:
        raise UtveiError(_("Choose how the request was received."), code="invalid_choice")
    if not EARLIEST <= received_on <= timezone.localdate():
        raise UtveiError(_("The request cannot have been received in the future."), code="date_out_of_range")
    with transaction.atomic():
        request = SubjectAccessRequest.objects.create(
            person=person,
            organisation=actor.organisation,
            registered_by=actor.user,
            received_via=received_via,
            received_on=received_on,
            due_on=SubjectAccessRequest.deadline(received_on),
        )
        audit_by(actor, Action.SUBJECT_ACCESS_REGISTER, obj=request, reason=received_via)
    return request


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def request_get(*, actor: Membership | None, request_id: Any) -> SubjectAccessRequest:
    """One request the DPO may act on; missing and another organisation's alike: NotFound."""
    _require_dpo(actor)
    pk = _uuid(request_id)
    request = (
        SubjectAccessRequest.objects.select_related("person", "organisation").filter(public_id=pk).first()
        if pk
        else None
    )
    if request is None or not rules.request_decision(actor, request):
        raise NotFound(_("The request was not found."))
    return request


def request_list(*, actor: Membership | None, open_only: bool = False, audit: bool = True) -> QuerySet[Any]:
    """The organisation's requests: open ones first, the most urgent (overdue) first; then the closed, newest first.
    One audit event for the list (no ids)."""
    actor = _require_dpo(actor)
    qs = rules.visible(SubjectAccessRequest.objects.select_related("person", "organisation"), actor)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    qs = qs.annotate(
        closed=When_(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("closed", "due_on", "pk")
    if audit:
        audit_by(actor, Action.SUBJECT_ACCESS_VIEW, object_type="subjectaccessrequest", reason="list")
    return qs


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise UtveiError(_("Give the reason."), code="reason_required")
    if len(text) > REASON_MAX:
        raise UtveiError(_("The reason is too long."), code="too_long")
    return text


def _locked(request: SubjectAccessRequest) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.select_for_update().select_related("person", "organisation").get(pk=request.pk)


def request_extend(*, actor: Membership, request: SubjectAccessRequest, reason: str) -> SubjectAccessRequest:
    """Extend the deadline by two months, once, with the reason the person is told (art. 12(3))."""
    request = request_get(actor=actor, request_id=request.public_id)
    text = _reason(reason)
    with transaction.atomic():
        request = _locked(request)
        if request.status != RequestStatus.PENDING:
            raise Conflict(_("Only a pending request can be extended, and only once."))
        request.status = RequestStatus.EXTENDED
        request.extension_reason = text
        request.extended_at = timezone.now()
        request.extended_by = actor.user
        request.due_on = SubjectAccessRequest.deadline(request.received_on, extended=True)
        request.save()
        audit_by(actor, Action.SUBJECT_ACCESS_EXTEND, obj=request)
    return request


def request_export(*, actor: Membership, request: SubjectAccessRequest, fmt: str) -> Export:
    """Everything about the request's person (export.person_export), for the DPO to give them; audited with the
    format. Not for a refused request."""
    if fmt not in FORMATS:
        raise UtveiError(_("Unknown format."), code="invalid_format")
    request = request_get(actor=actor, request_id=request.public_id)
    if request.status == RequestStatus.REFUSED:
        raise Conflict(_("The request was refused: there is nothing to export."))
    with transaction.atomic():
        export = person_export(person=request.person, request=request)
        SubjectAccessRequest.objects.filter(pk=request.pk).update(last_export_at=export.generated_at)
        request.last_export_at = export.generated_at
        audit_by(actor, Action.SUBJECT_ACCESS_EXPORT, obj=request, reason=fmt)
    return export


def request_answer(*, actor: Membership, request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Record the request as answered: the export was made and given to the person."""
    request = request_get(actor=actor, request_id=request.public_id)
    with transaction.atomic():
        request = _locked(request)
        if request.status not in OPEN_STATUSES:
            raise Conflict(_("The request is already closed."))
        if request.last_export_at is None:
            raise Conflict(_("Make the export first: the answer is the export."))
        request.status = RequestStatus.ANSWERED
        request.answered_at = timezone.now()
        request.answered_by = actor.user
        request.save()
        audit_by(actor, Action.SUBJECT_ACCESS_ANSWER, obj=request)
    return request


def request_refuse(*, actor: Membership, request: SubjectAccessRequest, reason: str) -> SubjectAccessRequest:
    """Refuse a manifestly unfounded or excessive request (art. 12(5)), with the reason the person is told."""
    request = request_get(actor=actor, request_id=request.public_id)
    text = _reason(reason)
    with transaction.atomic():
        request = _locked(request)
        if request.status not in OPEN_STATUSES:
            raise Conflict(_("The request is already closed."))
        request.status = RequestStatus.REFUSED
        request.refusal_reason = text
        request.answered_at = timezone.now()
        request.answered_by = actor.user
        request.save()
        audit_by(actor, Action.SUBJECT_ACCESS_REFUSE, obj=request)
    return request
