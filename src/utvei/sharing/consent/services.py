"""Writes to the legal basis catalogue, consents and disclosures: checked, in one transaction, audited.

The access gate (access.policy.sharing_basis) reads what these services record, on every request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import participant as participant_rules
from utvei.access.policy import Act, can, case_access, membership_ok
from utvei.access.policy import require as _require
from utvei.access.sharing import legal_basis_note_decision
from utvei.accounts.models import Membership, NotificationKind, Organisation, OrgKind
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Case, ParticipantAccount
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.validation import LATEST, clean_text
from utvei.core.vocabulary import DataCategory
from utvei.people.models import AgeBand

from .. import catalogue
from ..models import (
    CONSENT_TEXT_VERSION,
    BasisType,
    Consent,
    Disclosure,
    Evidence,
    GivenBy,
    LegalBasis,
    LegalBasisNote,
    LegalBasisRevision,
    Purpose,
)
from .selectors import legal_basis_usable_by

NOTE_MAX = 2000


def legal_basis_note_save(*, actor: Membership, basis: LegalBasis, expected_version: int, text: str) -> LegalBasisNote:
    """Write the actor's organisation's note on a basis (an administrator). `expected_version` is the version of
    the note the writer read, 0 when there was none; a stale one is a Conflict. The same text changes nothing."""
    _require(legal_basis_note_decision(actor))
    cleaned = clean_text(text if isinstance(text, str) else "", _("Note"), required=False, max_length=NOTE_MAX)
    with transaction.atomic():
        current = (
            LegalBasisNote.objects.select_for_update().filter(basis=basis, organisation=actor.organisation).first()
        )
        if (current.version if current else 0) != expected_version:
            raise Conflict(
                _("Someone else changed this note after you read it. Read it again and repeat your change."),
                current=current,
            )
        if current is not None and current.text == cleaned:
            return current
        if current is None:
            current = LegalBasisNote(basis=basis, organisation=actor.organisation, version=0)
        current.text, current.version = cleaned, current.version + 1
        current.updated_by, current.updated_at = actor.user, timezone.now()
        current.save()
        audit_record(
            action=Action.LEGAL_BASIS_UPDATE,
            actor=actor.user,
            organisation=actor.organisation,
            object_type="legalbasisnote",
            object_id=basis.key,
            reason=f"note v{current.version}",
        )
    return current


def legal_bases_sync(*, path: Any = None) -> catalogue.SyncSummary:
    """Load the data file into the catalogue (`utvei legalbases sync`). Each created or changed basis is audited."""
    entries = catalogue.load_entries(path) if path is not None else catalogue.load_entries()

    def audit(basis: LegalBasis, what: str) -> None:
        audit_record(
            action=Action.LEGAL_BASIS_UPDATE,
            object_type="legalbasis",
            object_id=basis.key,
            reason=f"data-file {what} v{basis.version}",
        )

    return catalogue.sync_entries(entries, basis_model=LegalBasis, revision_model=LegalBasisRevision, on_change=audit)


# ---- Consent and disclosures ---------------------------------------------------------------------------

MAX_NOTE = 5000
LATEST_TIME = dt.datetime.combine(LATEST, dt.time(), tzinfo=dt.UTC)


def _may_record_sharing(actor: Membership, case: Case) -> None:
    """Coordinators with a relation to the case (CASE_MANAGE), or caseworkers on its team (ENTRY_CREATE with
    full read: not mentors). A user without a relation gets NotFound, as everywhere."""
    if not membership_ok(actor) or case_access(actor, case) is None:
        raise NotFound(_("The case was not found."))
    if case.is_closed:
        raise Forbidden(_("The case is closed."))
    _may_record_sharing_open_or_closed(actor, case)


def _values(values: Iterable[str] | None, choices: Any, what: Any, *, required: bool = True) -> list[str]:
    """A list of choice values: no unknown value, no duplicates, in the order of the choices."""
    given = list(values or [])
    if not all(isinstance(v, str) for v in given):
        raise UtveiError(_("Choose valid values for %(field)s.") % {"field": what}, code="invalid_choice")
    unknown = sorted(set(given) - set(choices.values))
    if unknown:
        raise UtveiError(
            _("Unknown %(field)s: %(values)s.") % {"field": what, "values": ", ".join(unknown)[:200]},
            code="invalid_choice",
        )
    if required and not given:
        raise UtveiError(_("Choose at least one value for %(field)s.") % {"field": what}, code="required")
    return [v for v in choices.values if v in set(given)]


def _note(value: str | None, what: Any, *, required: bool = False) -> str:
    return clean_text(value, what, required=required, max_length=MAX_NOTE)


def _future(when: dt.datetime | None, what: Any, now: dt.datetime) -> None:
    if when is None:
        return
    if timezone.is_naive(when):
        raise UtveiError(_("%(field)s must include a time zone.") % {"field": what}, code="invalid")
    if when <= now:
        raise UtveiError(_("%(field)s must be in the future.") % {"field": what}, code="in_the_past")
    if when > LATEST_TIME:
        raise UtveiError(_("%(field)s must be before 2101.") % {"field": what}, code="date_out_of_range")


def consent_own_age() -> int:
    """From this age a person gives consent themselves; younger persons need a guardian (UTVEI_CONSENT_OWN_AGE)."""
    return int(getattr(settings, "UTVEI_CONSENT_OWN_AGE", 15))


# The youngest and oldest age each band allows; None = not known.
BAND_AGES: dict[str, tuple[int, int] | None] = {
    AgeBand.UNDER_15: (0, 14),
    AgeBand.AGE_15_17: (15, 17),
    AgeBand.AGE_18_24: (18, 24),
    AgeBand.AGE_25_34: (25, 34),
    AgeBand.AGE_35_PLUS: (35, 200),
    AgeBand.UNKNOWN: None,
}


def _age_range(case: Case) -> tuple[int, int] | None:
    """The person's age if the birth date is known, else the range of the age band."""
    person = case.person
    try:
        born = dt.date.fromisoformat(person.birth_date) if person.birth_date else None
    except ValueError:
        born = None
    if born is not None:
        today = timezone.localdate()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return age, age
    return BAND_AGES.get(person.age_band)


def _check_giver(case: Case, given_by: str, guardian_name: str) -> None:
    """Under the own-age limit a guardian consents; a guardian consents only for a minor; unknown age: not checked."""
    ages = _age_range(case)
    if given_by == GivenBy.GUARDIAN:
        if not guardian_name:
            raise UtveiError(_("Give the name of the guardian who consents."), code="guardian_required")
        if ages is not None and ages[0] >= 18:
            raise UtveiError(_("A guardian can consent only for a minor."), code="guardian_not_allowed")
        return
    if ages is not None and ages[0] < consent_own_age():
        raise UtveiError(
            _("The person is under %(age)d: consent must be given by a guardian.") % {"age": consent_own_age()},
            code="guardian_required",
        )


def consent_record(
    *,
    actor: Membership,
    case: Case,
    given_by: str,
    scope_org_slugs: Iterable[str] = (),
    scope_kinds: Iterable[str] = (),
    categories: Iterable[str],
    purposes: Iterable[str],
    valid_until: dt.datetime | None = None,
    evidence: str,
    evidence_note: str = "",
    text_version: str = CONSENT_TEXT_VERSION,
    guardian_name: str = "",
) -> Consent:
    """Record a consent on the case; the access gate honours it from the next request."""
    _may_record_sharing(actor, case)
    if given_by not in GivenBy.values:
        raise UtveiError(_("Choose who gave the consent: the person or a guardian."), code="invalid_choice")
    if evidence not in Evidence.values:
        raise UtveiError(_("Choose the evidence: signed form, oral or digital."), code="invalid_choice")
    kinds = _values(scope_kinds, OrgKind, _("organisation kinds"), required=False)
    raw = list(scope_org_slugs or [])
    if not all(isinstance(s, str) and len(s) <= 60 for s in raw):
        raise UtveiError(_("Give organisations by their slug."), code="invalid")
    slugs = sorted({s.strip() for s in raw})
    orgs = list(Organisation.objects.filter(slug__in=slugs)) if slugs else []
    missing = sorted(set(slugs) - {o.slug for o in orgs})
    if missing:
        raise UtveiError(
            _("There is no organisation with the slug %(slugs)s.") % {"slugs": ", ".join(missing)[:200]},
            code="unknown_organisation",
        )
    if not orgs and not kinds:
        raise UtveiError(
            _("Name at least one organisation or organisation kind the consent covers."), code="empty_scope"
        )
    cats = _values(categories, DataCategory, _("data categories"))
    purps = _values(purposes, Purpose, _("purposes"))
    now = timezone.now()
    _future(valid_until, _("Valid until"), now)
    guardian = _note(guardian_name, _("Guardian"))[:200] if given_by == GivenBy.GUARDIAN else ""
    _check_giver(case, given_by, guardian)
    version = (text_version or "").strip() or CONSENT_TEXT_VERSION
    if len(version) > 40:
        raise UtveiError(_("The consent text version is too long (at most 40 characters)."), code="too_long")
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            given_by=given_by,
            guardian_name=guardian,
            scope_kinds=kinds,
            categories=cats,
            purposes=purps,
            valid_from=now,
            valid_until=valid_until,
            evidence=evidence,
            evidence_note=_note(evidence_note, _("Evidence note")),
            text_version=version,
            recorded_by=actor.user,
            recorded_by_org=actor.organisation,
            created_at=now,
        )
        if orgs:
            consent.scope_orgs.set(orgs)
        audit_record(
            action=Action.CONSENT_RECORD, actor=actor.user, organisation=actor.organisation, obj=consent, case=case
        )
    return consent


def consent_withdraw(*, actor: Membership, consent: Consent, note: str = "") -> Consent:
    """Withdraw a consent: it stops covering anything at once. Withdrawing twice is a Conflict."""
    case = consent.case
    _may_record_sharing_open_or_closed(actor, case)
    note = _note(note, _("Note"))
    with transaction.atomic():
        current = Consent.objects.select_for_update().get(pk=consent.pk)
        if current.withdrawn_at is not None:
            raise Conflict(_("This consent has already been withdrawn."))
        current.withdrawn_at = timezone.now()
        current.withdrawn_by = actor.user
        current.withdrawal_note = note
        current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        audit_record(
            action=Action.CONSENT_WITHDRAW, actor=actor.user, organisation=actor.organisation, obj=current, case=case
        )
    return current


def consent_withdraw_by_person(*, account: ParticipantAccount, consent_id: uuid.UUID | str) -> Consent:
    """The person asks to withdraw a consent they gave, on their own page: it is withdrawn at once, exactly as
    `consent_withdraw` does (it stops covering anything on the next request), and the case lead is told — in Utvei
    and by an e-mail without content — so that they can follow it up (docs/participant.md)."""
    consent = Consent.objects.filter(public_id=consent_id).select_related("case").first()
    if consent is None or not participant_rules.consent_withdraw_decision(account, consent):
        raise NotFound(_("Not found."))
    case = account.case
    assert account.user is not None
    with transaction.atomic():
        current = Consent.objects.select_for_update().get(pk=consent.pk)
        if current.withdrawn_at is not None:
            raise Conflict(_("This consent has already been withdrawn."))
        current.withdrawn_at = timezone.now()
        current.withdrawn_by = account.user
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(action=Action.CONSENT_WITHDRAW, actor=account.user, obj=current, case=case, reason="person")
        leads = participant_rules.lead_recipients(case)
        notify(
            recipients=[(m.user, m.organisation) for m in leads],
            kind=NotificationKind.PARTICIPANT_WITHDREW,
            case=case,
            ref=current.public_id,
            email=True,
        )
    return current


def _may_record_sharing_open_or_closed(actor: Membership, case: Case) -> None:
    """Withdrawing and revoking narrow sharing, so they are allowed on a closed case too."""
    if not membership_ok(actor) or case_access(actor, case) is None:
        raise NotFound(_("The case was not found."))
    decision = can(actor, Act.SHARING_RECORD, case)
    if not decision:
        raise Forbidden(decision.reason)


def check_disclosure(
    *,
    from_org: Organisation,
    legal_basis_key: str,
    justification: str = "",
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    categories: Iterable[str] = (),
) -> tuple[LegalBasis, str, dt.datetime | None]:
    """The one check of a share under a legal basis, for disclosures and referrals alike.

    Returns (basis, cleaned justification, expiry). Refused when the basis is unknown, inactive, a consent or
    confidentiality entry, or not usable by the sender's organisation kind; when it requires a justification and
    none is given; when the expiry is past or beyond the basis's maximum duration; when the basis is for sharing
    without identity (type anonymised) and the categories include identity. Without `expires_at` the share expires
    after the maximum duration (never, if the basis has none).
    """
    key = legal_basis_key.strip() if isinstance(legal_basis_key, str) else ""
    basis = LegalBasis.objects.filter(key=key).first() if key else None
    if basis is None:
        raise UtveiError(_("There is no legal basis with that key."), code="unknown_basis")
    label = str(basis)
    if basis.type == BasisType.CONSENT:
        raise UtveiError(
            _("%(basis)s is consent: record a consent instead of a disclosure.") % {"basis": label},
            code="basis_is_consent",
        )
    if basis.type == BasisType.CONFIDENTIALITY:
        raise UtveiError(
            _("%(basis)s is the duty of confidentiality itself, not a basis for sharing.") % {"basis": label},
            code="basis_not_usable",
        )
    if not basis.active:
        raise UtveiError(_("%(basis)s is no longer in use.") % {"basis": label}, code="basis_inactive")
    if basis.type == BasisType.ANONYMISED and DataCategory.IDENTITY in set(categories):
        raise UtveiError(
            _("%(basis)s is for sharing without identity: leave out the category Identity.") % {"basis": label},
            code="basis_anonymised",
        )
    if not legal_basis_usable_by(basis, from_org.kind):
        raise UtveiError(
            _("%(basis)s cannot be used by a %(kind)s: it is for %(kinds)s.")
            % {
                "basis": label,
                "kind": str(dict(OrgKind.choices).get(from_org.kind, from_org.kind)).lower(),
                "kinds": ", ".join(basis.sender_kind_labels).lower(),
            },
            code="basis_not_allowed",
        )
    text = _note(justification if isinstance(justification, str) else "", _("Justification"))
    if basis.justification_required and not text:
        raise UtveiError(
            _("%(basis)s requires a justification: explain why sharing is necessary in this case.") % {"basis": label},
            code="justification_required",
        )
    now = now or timezone.now()
    _future(expires_at, _("Expiry"), now)
    if basis.max_duration_days:
        longest = now + dt.timedelta(days=basis.max_duration_days)
        if expires_at is None:
            expires_at = longest
        elif expires_at > longest:
            raise UtveiError(
                _("%(basis)s allows a disclosure for at most %(days)d days.")
                % {"basis": label, "days": basis.max_duration_days},
                code="expiry_too_late",
            )
    return basis, text, expires_at


def disclosure_record(
    *,
    actor: Membership,
    case: Case,
    to_org_slug: str,
    categories: Iterable[str],
    legal_basis_key: str,
    justification: str = "",
    expires_at: dt.datetime | None = None,
) -> Disclosure:
    """Record a share from the actor's organisation to another under a legal basis from the catalogue.

    Refused when: the basis is unknown, inactive, a consent or confidentiality entry, or not usable by the
    sender's organisation kind; it requires a justification and none is given; the expiry is past or beyond the
    basis's maximum duration; the recipient is the sender. Without `expires_at` it expires after the maximum
    duration (never, if the basis has none).
    """
    _may_record_sharing(actor, case)
    from_org = actor.organisation
    slug = to_org_slug.strip() if isinstance(to_org_slug, str) else ""
    to_org = Organisation.objects.filter(slug=slug).first() if slug else None
    if to_org is None:
        raise UtveiError(_("There is no organisation with that slug."), code="unknown_organisation")
    if to_org.pk == from_org.pk:
        raise UtveiError(_("A disclosure goes to another organisation than your own."), code="same_organisation")
    cats = _values(categories, DataCategory, _("data categories"))
    now = timezone.now()
    basis, text, expires_at = check_disclosure(
        from_org=from_org,
        legal_basis_key=legal_basis_key,
        justification=justification,
        expires_at=expires_at,
        now=now,
        categories=cats,
    )
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            case=case,
            from_org=from_org,
            to_org=to_org,
            categories=cats,
            legal_basis=basis,
            basis_version=basis.version,
            justification=text,
            decided_by=actor.user,
            decided_at=now,
            expires_at=expires_at,
        )
        audit_record(
            action=Action.DISCLOSURE_RECORD,
            actor=actor.user,
            organisation=actor.organisation,
            obj=disclosure,
            case=case,
            reason=f"{basis.key} v{basis.version}",
        )
    return disclosure


def disclosure_revoke(*, actor: Membership, disclosure: Disclosure) -> Disclosure:
    """End a disclosure at once. The sending organisation or a coordinator; revoking twice is a Conflict."""
    case = disclosure.case
    _may_record_sharing_open_or_closed(actor, case)
    if actor.organisation_id != disclosure.from_org_id and not can(actor, Act.CASE_MANAGE, case):
        raise Forbidden(_("Only the organisation that disclosed, or a coordinator, can revoke a disclosure."))
    with transaction.atomic():
        current = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        now = timezone.now()
        if current.revoked_at is not None:
            raise Conflict(_("This disclosure has already been revoked."))
        if current.expires_at is not None and current.expires_at <= now:
            raise Conflict(_("This disclosure has already expired."))
        current.revoked_at = now
        current.revoked_by = actor.user
        current.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action=Action.DISCLOSURE_REVOKE, actor=actor.user, organisation=actor.organisation, obj=current, case=case
        )
    return current
