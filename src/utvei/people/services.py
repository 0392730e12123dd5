"""Registering and finding the person a case is about."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by, audit_record
from utvei.core import keystore
from utvei.core.crypto import blind_index, subjects_of_person
from utvei.core.errors import Conflict, UtveiError
from utvei.core.models import next_reference
from utvei.core.rotation import seal_subject
from utvei.core.validation import EARLIEST

from . import index
from .models import Gender, Person, PersonToken, PersonVersion, age_band_for

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


# The identity details an edit may change, in the order the history lists them (protection is set elsewhere).
IDENTITY_FIELDS = ("full_name", "national_id", "birth_date", "gender", "municipality", "guardian_name")


def identity_values(person: Person) -> dict[str, str]:
    """The person's identity details as stored (text; a birth date as ISO), for a version row and a comparison."""
    return {field: str(getattr(person, field) or "") for field in IDENTITY_FIELDS}


def _clean_identity(changes: dict[str, Any]) -> dict[str, str]:
    """The fields to set, validated as at registration, as stored text. Unknown keys are a programming error."""
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"not identity fields: {sorted(unknown)}")
    out: dict[str, str] = {}
    if "full_name" in changes:
        name = (changes["full_name"] or "").strip()
        if not name:
            raise UtveiError(_("Give the person's name."), code="name_required")
        if len(name) > 200:
            raise UtveiError(_("The name or municipality is too long."), code="too_long")
        out["full_name"] = name
    if "national_id" in changes:
        out["national_id"] = normalise_nin(changes["national_id"] or "")
    if "birth_date" in changes:
        born = changes["birth_date"]
        if born is not None and not EARLIEST <= born <= dt.date.today():
            raise UtveiError(_("The date of birth is not a possible date."), code="date_out_of_range")
        out["birth_date"] = born.isoformat() if born else ""
    if "gender" in changes:
        if changes["gender"] not in Gender.values:
            raise UtveiError(_("Choose a valid gender."), code="invalid_choice")
        out["gender"] = changes["gender"]
    if "municipality" in changes:
        place = (changes["municipality"] or "").strip()
        if len(place) > 100:
            raise UtveiError(_("The name or municipality is too long."), code="too_long")
        out["municipality"] = place
    if "guardian_name" in changes:
        guardian = (changes["guardian_name"] or "").strip()
        if len(guardian) > 200:
            raise UtveiError(_("The guardian's name is too long."), code="too_long")
        out["guardian_name"] = guardian
    return out


def person_update(
    *, actor: Membership, person: Person, expected_version: int, case: Any = None, **changes: Any
) -> Person:
    """Edit a person's identity details: the one place that does (issue 14, deliverable 6).

    In one transaction: the person's row is locked and its version checked (a stale `expected_version` raises
    Conflict with the saved person, never overwrites); the values *before* the edit are kept as a `PersonVersion`
    (who, in which organisation, when, which fields changed), the new ones written, the search index rewritten
    (`index_person`) and the edit audited (`person.update`, no content). Nothing changed: nothing written.

    Access is the caller's: `cases.services.person_edit` asks the policy (the people floor is below access).
    `case` is only the case the edit was made from, for the audit event.
    """
    wanted = _clean_identity(changes)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else changed this person's details after you opened them. Reload and try again."),
                current=locked,
            )
        before = identity_values(locked)
        changed = [field for field in IDENTITY_FIELDS if field in wanted and wanted[field] != before[field]]
        if not changed:
            return locked
        if "national_id" in changed:
            nin = wanted["national_id"]
            index_key = blind_index(nin, context=NIN_CONTEXT) if nin else None
            if index_key and Person.objects.filter(national_id_index=index_key).exclude(pk=locked.pk).exists():
                raise UtveiError(_("Another person is registered with this identity number."), code="nin_taken")
            locked.national_id_index = index_key
        PersonVersion.objects.create(
            person=locked,
            number=locked.version,
            changed=changed,
            earlier=json.dumps(before, sort_keys=True),
            author=actor.user,
            author_org=actor.organisation,
        )
        for field in changed:
            setattr(locked, field, wanted[field])
        if "birth_date" in changed:
            born = wanted["birth_date"]
            locked.age_band = age_band_for(dt.date.fromisoformat(born) if born else None)
        locked.version += 1
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:  # the same identity number registered at this moment by someone else
            raise UtveiError(_("Another person is registered with this identity number."), code="nin_taken") from None
        index_person(locked)
        audit_by(actor, Action.PERSON_UPDATE, obj=locked, case=case, reason=",".join(changed))
    return locked


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


def person_shred(*, actor: Membership | None, person: Person, reason: str) -> int:
    """Crypto-shredding (docs/encryption.md): make everything about the person unreadable, everywhere, backups of
    the database included. Every value about them still under a master key is first moved under their data key
    (core.rotation.seal_subject); then their keyed search tokens and the blind index of their identity number are
    deleted (a keyed hash still confirms a guessed name or number); then their data key is destroyed in the key
    store (core.keystore, outside the database), with the keys of what was about them before it was linked to
    them (a concern's, `core.crypto.subjects_of_person`). From then on every value about them reads as
    `core.crypto.Erased` («Slettet»). Returns how many data keys were destroyed (0 when it was done before).

    Access is the caller's (the people floor is below access): `cases.services.person_erase` asks
    `access.erasure.person_shred_decision` (the data protection officer). Retention calls it as the system,
    `actor=None`. Audited with a code as the reason, never content."""
    subject = str(person.public_id)
    with transaction.atomic():
        seal_subject(subject)
        PersonToken.objects.filter(person=person).delete()
        Person.objects.filter(pk=person.pk).update(national_id_index=None)
        person.national_id_index = None
        if actor is None:
            audit_record(action=Action.PERSON_SHRED, object_type="person", object_id=subject, reason=reason)
        else:
            audit_by(actor, Action.PERSON_SHRED, object_type="person", object_id=subject, reason=reason)
        destroyed = sum(keystore.destroy(s) for s in subjects_of_person(subject))
    if Person.objects.filter(pk=person.pk).exists():  # retention shreds a deleted person's keys too (their backups)
        for name in ("full_name", "national_id", "birth_date", "guardian_name"):
            person.refresh_from_db(fields=[name])
    return destroyed
