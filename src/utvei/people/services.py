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

from . import index
from .models import Gender, Person, PersonToken, age_band_for

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
        index_person(person)
        audit_by(actor, Action.PERSON_CREATE, obj=person)
    return person, True


def index_person(person: Person) -> None:
    """Write the person's search tokens (people/index.py) anew, in the caller's transaction."""
    PersonToken.objects.filter(person=person).delete()
    tokens = index.person_tokens(person.full_name, person.birth_date)
    PersonToken.objects.bulk_create([PersonToken(person=person, token=t) for t in sorted(tokens)])


def reindex_people(*, batch: int = 500) -> int:
    """Rebuild every person's search tokens from the encrypted names (a new index key, or rows from before the
    index). Idempotent; each batch in its own transaction. Returns how many persons were indexed."""
    done, last = 0, 0
    while True:
        people = list(Person.objects.filter(pk__gt=last).order_by("pk").only("pk", "full_name", "birth_date")[:batch])
        if not people:
            return done
        with transaction.atomic():
            PersonToken.objects.filter(person__in=people).delete()
            PersonToken.objects.bulk_create(
                [
                    PersonToken(person=p, token=t)
                    for p in people
                    for t in sorted(index.person_tokens(p.full_name, p.birth_date))
                ]
            )
        done += len(people)
        last = people[-1].pk
