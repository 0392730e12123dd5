"""Every write to the person's network: checked first, in one transaction, audited.

A contact is added with its first observation; later observations are appended (never changed or deleted);
ending a tie is an observation with `ended`. A contact's own fields (relation, formal, label, classification,
organisation) change under its `version` and every saved version is kept as a ContactRevision. Audit events name
the contact or observation and the case, never a label or a note.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.network import network_classifications, network_write_decision
from utvei.access.policy import CaseAccess, case_access, membership_ok
from utvei.access.policy import require as _require
from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case, TeamMember
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.core.validation import check_date, clean_text
from utvei.core.validation import clean_choice as _choice
from utvei.core.vocabulary import Classification

from .models import (
    FORMAL_BY_DEFAULT,
    Closeness,
    Contact,
    ContactRevision,
    Frequency,
    Observation,
    RelationKind,
    Valence,
)

LABEL_MAX = 40
NOTE_MAX = 4000

# A label is a word or initials, never an identity: these look like an identity number, a date of birth or
# another number that points at one person (a phone number).
_LONG_NUMBER = re.compile(r"\d{6,}")  # after spaces, dots, dashes and slashes are taken out
_NUMERIC_DATE = re.compile(r"\b\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2,4}\b")
_MONTHS = (
    "jan|feb|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|des|dec|januar|februar|mars|april|juni|juli|august|"
    "september|oktober|november|desember|january|february|march|june|july|october|december"
)
_WORDED_DATE = re.compile(rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS})\w*\.?\s*\d{{2,4}}\b", re.IGNORECASE)
_BORN = re.compile(r"\b(?:født|f\.|born|b\.|dob)\s*\d", re.IGNORECASE)


def check_label(value: Any) -> str:
    """A short label or initials for a third party ("Mor", "J.K.", "Trener"): required, at most 40 characters,
    and never something that looks like an identity number (11 digits, with or without spaces) or a date of
    birth. Third parties are data subjects too (docs/decisions/0008-network-snapshot.md)."""
    label = clean_text(value if isinstance(value, str) else "", _("Label or initials"), max_length=LABEL_MAX)
    label = " ".join(label.split())
    compact = re.sub(r"[\s./\-]", "", label)
    if _LONG_NUMBER.search(compact) or _NUMERIC_DATE.search(label) or _WORDED_DATE.search(label) or _BORN.search(label):
        raise UtveiError(
            _(
                "Give a label or initials only, such as «Mother» or «J.K.»: no identity number, date of birth or "
                "other number that points at the person."
            ),
            code="label_identifying",
        )
    return label


def _check_date(value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise UtveiError(_("Give the date of the observation."), code="date_required")
    check_date(value, _("Date"))
    if value > timezone.localdate():
        raise UtveiError(_("An observation cannot be dated in the future."), code="future_date")
    return value


def _check_closeness(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in Closeness.values:
        raise UtveiError(_("Choose how close the tie is: 1, 2 or 3."), code="invalid_closeness")
    return value


def _check_classification(actor: Membership, classification: Any, label: Any) -> str:
    _choice(classification, Classification, label)
    if classification not in network_classifications(actor):
        raise UtveiError(
            _("You cannot give a classification your own organisation may not read."),
            code="classification_not_allowed",
        )
    return str(classification)


def _check_organisation(case: Case, organisation: Organisation | None) -> Organisation | None:
    """A contact at an organisation: the organisation must be on the case's team (or own the case)."""
    if organisation is None:
        return None
    if organisation.pk == case.owning_org_id:
        return organisation
    if not TeamMember.objects.filter(case=case, organisation=organisation).exists():
        raise UtveiError(
            _("A contact can only be linked to an organisation on the case's team."), code="organisation_not_on_team"
        )
    return organisation


def _standing(actor: Membership, case: Case) -> CaseAccess:
    ca = case_access(actor, case) if membership_ok(actor) else None
    if ca is None:
        raise NotFound(_("The case was not found."))
    return ca


def _revision(contact: Contact, user: User) -> None:
    ContactRevision.objects.create(
        contact=contact,
        version=contact.version,
        relation=contact.relation,
        formal=contact.formal,
        label=contact.label,
        organisation=contact.organisation,
        classification=contact.classification,
        saved_by=user,
        saved_at=contact.updated_at,
    )


# ---- Observations --------------------------------------------------------------------------------------


def _observation_fields(
    *,
    observed_on: Any,
    valence: Any,
    closeness: Any,
    frequency: Any,
    note: Any,
) -> dict[str, Any]:
    return {
        "observed_on": _check_date(observed_on),
        "valence": _choice(valence, Valence, _("valence")),
        "closeness": _check_closeness(closeness),
        "frequency": "" if frequency in (None, "") else _choice(frequency, Frequency, _("contact frequency")),
        "note": clean_text(note if isinstance(note, str) else "", _("Note"), required=False, max_length=NOTE_MAX),
    }


def _latest(contact: Contact) -> Observation | None:
    return contact.observations.order_by("-observed_on", "-created_at", "-pk").first()


def observation_add(
    *,
    actor: Membership,
    contact: Contact,
    observed_on: dt.date,
    valence: str | None = None,
    closeness: int | None = None,
    frequency: str | None = None,
    ended: bool = False,
    note: str = "",
    classification: str | None = None,
) -> Observation:
    """Record how the tie looked on `observed_on`. Ending the tie is an observation with `ended`; its valence and
    closeness default to the contact's latest. The note's classification defaults to the contact's."""
    ca = _standing(actor, contact.case)
    _require(network_write_decision(ca, contact))
    if ended:
        last = _latest(contact)
        if valence is None:
            valence = last.valence if last else Valence.UNKNOWN
        if closeness is None:
            closeness = last.closeness if last else Closeness.DISTANT
    if valence is None:
        raise UtveiError(_("Choose the valence of the tie."), code="valence_required")
    if closeness is None:
        raise UtveiError(_("Choose how close the tie is: 1, 2 or 3."), code="invalid_closeness")
    fields = _observation_fields(
        observed_on=observed_on, valence=valence, closeness=closeness, frequency=frequency, note=note
    )
    note_class = _check_classification(actor, classification or contact.classification, _("who may read the note"))
    with transaction.atomic():
        locked = Contact.objects.select_for_update().select_related("case").get(pk=contact.pk)
        observation = Observation.objects.create(
            contact=locked,
            ended=bool(ended),
            classification=note_class,
            author=actor.user,
            author_org=actor.organisation,
            **fields,
        )
        audit_by(
            actor,
            Action.OBSERVATION_CREATE,
            obj=observation,
            case=locked.case,
            reason="ended" if ended else note_class,
        )
    return observation


# ---- Contacts ------------------------------------------------------------------------------------------


def contact_create(
    *,
    actor: Membership,
    case: Case,
    relation: str,
    label: str,
    observed_on: dt.date,
    valence: str,
    closeness: int,
    formal: bool | None = None,
    organisation: Organisation | None = None,
    classification: str = Classification.TEAM,
    frequency: str = "",
    note: str = "",
) -> Contact:
    """Add someone to the person's network, with the first observation of the tie. `formal` defaults by the
    relation (teachers and professionals are formal); a contact at a team organisation is always formal."""
    ca = _standing(actor, case)
    _require(network_write_decision(ca))
    relation = _choice(relation, RelationKind, _("relation"))
    label = check_label(label)
    classification = _check_classification(actor, classification, _("classification"))
    organisation = _check_organisation(case, organisation)
    if organisation is not None:
        formal = True
    elif formal is None:
        formal = relation in FORMAL_BY_DEFAULT
    first = _observation_fields(
        observed_on=observed_on, valence=valence, closeness=closeness, frequency=frequency, note=note
    )
    with transaction.atomic():
        now = timezone.now()
        contact = Contact.objects.create(
            case=case,
            relation=relation,
            formal=bool(formal),
            label=label,
            organisation=organisation,
            classification=classification,
            author=actor.user,
            author_org=actor.organisation,
            created_at=now,
            updated_at=now,
        )
        _revision(contact, actor.user)
        audit_by(actor, Action.CONTACT_CREATE, obj=contact, case=case, reason=classification)
        observation = Observation.objects.create(
            contact=contact,
            classification=classification,
            author=actor.user,
            author_org=actor.organisation,
            created_at=now,
            **first,
        )
        audit_by(actor, Action.OBSERVATION_CREATE, obj=observation, case=case, reason=classification)
    return contact


_UNSET: Any = object()


def contact_update(
    *,
    actor: Membership,
    contact: Contact,
    expected_version: int,
    relation: str | None = None,
    label: str | None = None,
    formal: bool | None = None,
    classification: str | None = None,
    organisation: Organisation | None = _UNSET,
) -> Contact:
    """Change a contact's relation, label, formal flag, classification or organisation (its author's
    organisation only). A stale `expected_version` is a Conflict with the saved contact; every saved version is
    kept. Observations are never changed: add a newer one instead."""
    ca = _standing(actor, contact.case)
    _require(network_write_decision(ca, contact, edit=True))
    changes: dict[str, Any] = {}
    if relation is not None:
        changes["relation"] = _choice(relation, RelationKind, _("relation"))
    if label is not None:
        changes["label"] = check_label(label)
    if classification is not None:
        changes["classification"] = _check_classification(actor, classification, _("classification"))
    if organisation is not _UNSET:
        changes["organisation"] = _check_organisation(contact.case, organisation)
    if formal is not None:
        changes["formal"] = bool(formal)
    linked = changes.get("organisation", contact.organisation if organisation is _UNSET else None)
    if linked is not None:
        if changes.get("formal") is False:
            raise UtveiError(_("A contact at an organisation on the team is formal."), code="formal_required")
        changes["formal"] = True
    current = Contact.objects.select_related("case", "author_org").get(pk=contact.pk)
    if current.version != expected_version:
        audit_by(actor, Action.CONTACT_CONFLICT, obj=current, case=current.case)
        raise Conflict(
            _("Someone else saved this contact while you were editing it. Compare and save again."), current=current
        )
    with transaction.atomic():
        locked = (
            Contact.objects.select_for_update(of=("self",)).select_related("case", "organisation").get(pk=contact.pk)
        )
        if locked.version != expected_version:
            raise Conflict(
                _("Someone else saved this contact at the same moment. Reload and try again."), current=locked
            )
        changed = False
        for name, value in changes.items():
            old = getattr(locked, name)
            if (old.pk if isinstance(old, Organisation) else old) != (
                value.pk if isinstance(value, Organisation) else value
            ):
                setattr(locked, name, value)
                changed = True
        if not changed:
            return locked
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        _revision(locked, actor.user)
        audit_by(actor, Action.CONTACT_UPDATE, obj=locked, case=locked.case, reason=locked.classification)
    return locked
