"""Registering and finding the person a case is about."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.crypto import blind_index
from utvei.core.errors import UtveiError
from utvei.core.models import next_reference
from utvei.core.validation import EARLIEST

from .models import Gender, Person, age_band_for

NIN_CONTEXT = "people.Person.national_id"


def normalise_nin(value: str) -> str:
    digits = re.sub(r"\s", "", value or "")
    if digits and not re.fullmatch(r"\d{11}", digits):
        raise UtveiError(_("A national identity number has 11 digits."), code="invalid_nin")
    return digits


def person_find_by_nin(*, actor: Membership, national_id: str) -> Person | None:
    """Exact lookup by identity number through its blind index. The lookup is audited."""
    nin = normalise_nin(national_id)
    if not nin:
        return None
    person = Person.objects.filter(national_id_index=blind_index(nin, context=NIN_CONTEXT)).first()
    audit_by(
        actor,
        Action.PERSON_LOOKUP,
        object_type="person",
        object_id=str(person.public_id) if person else "",
        reason="match" if person else "no_match",
    )
    return person


def person_find_or_create(
    *,
    actor: Membership,
    full_name: str,
    national_id: str = "",
    birth_date: dt.date | None = None,
    gender: str = "unknown",
    municipality: str = "",
    protected_identity: bool = False,
) -> tuple[Person, bool]:
    """Link to the existing person with the same identity number, or register a new one."""
    nin = normalise_nin(national_id)
    if gender not in Gender.values:
        raise UtveiError(_("Choose a valid gender."), code="invalid_choice")
    if len(municipality) > 100 or len(full_name) > 200:
        raise UtveiError(_("The name or municipality is too long."), code="too_long")
    if birth_date is not None and not EARLIEST <= birth_date <= dt.date.today():
        raise UtveiError(_("The date of birth is not a possible date."), code="date_out_of_range")
    with transaction.atomic():
        if nin:
            existing = person_find_by_nin(actor=actor, national_id=nin)
            if existing is not None:
                return existing, False
        if not full_name.strip():
            raise UtveiError(_("Give the person's name."), code="name_required")
        person = Person.objects.create(
            reference=next_reference("UTV"),
            full_name=full_name.strip(),
            national_id=nin,
            national_id_index=blind_index(nin, context=NIN_CONTEXT) if nin else None,
            birth_date=birth_date.isoformat() if birth_date else "",
            age_band=age_band_for(birth_date),
            gender=gender,
            municipality=municipality,
            protected_identity=protected_identity,
        )
        audit_by(actor, Action.PERSON_CREATE, obj=person)
    return person, True
