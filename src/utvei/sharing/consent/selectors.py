"""Reads of the legal basis catalogue (and which bases an organisation may use), of a case's consents and
disclosures, and `active_bases`.

The catalogue is public law, not case data: any user with a current membership may read it, and reading it
is not audited (there is nothing about any person in it). Changes to it are audited (consent/services.py).
Consents and disclosures are case data: read through cases.selectors.case_get, one audit event per read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.policy import CaseAccess, membership_ok
from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Case
from utvei.cases.selectors import case_get
from utvei.core.errors import Forbidden, NotFound

from ..models import BasisType, Consent, Disclosure, LegalBasis, LegalBasisNote


def _bases(actor: Membership | None) -> QuerySet[LegalBasis]:
    """The catalogue, each basis with `revision_count` and the reader's organisation's own note (`own_note`)."""
    if not membership_ok(actor) or actor is None:
        return LegalBasis.objects.none()
    own = LegalBasisNote.objects.filter(organisation_id=actor.organisation_id).select_related("updated_by")
    return (
        LegalBasis.objects.select_related("updated_by")
        .annotate(revision_count=Count("revisions"))
        .prefetch_related(Prefetch("notes", queryset=own, to_attr="own_notes"))
    )


def own_note(basis: LegalBasis) -> LegalBasisNote | None:
    """The reader's organisation's note on a basis read through `legal_basis_list` or `legal_basis_get`."""
    notes = getattr(basis, "own_notes", None) or []
    return notes[0] if notes else None


def legal_basis_list(*, actor: Membership | None, active_only: bool = True) -> QuerySet[LegalBasis]:
    """The catalogue in data-file order, each row with `revision_count`; one query however many rows."""
    qs = _bases(actor)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("position", "key")


def legal_basis_get(*, actor: Membership | None, key: str) -> LegalBasis:
    """One basis by key, active or not, with `revision_count`."""
    basis = _bases(actor).filter(key=key).first()
    if basis is None:
        raise NotFound(_("There is no legal basis with that key."))
    return basis


def legal_basis_usable_by(basis: LegalBasis, org_kind: str) -> bool:
    """May an organisation of this kind send information under this basis? Active, a real basis, kind allowed."""
    if not basis.active or basis.type == BasisType.CONFIDENTIALITY:
        return False
    return not basis.sender_kinds or org_kind in basis.sender_kinds


def usable_bases(actor: Membership) -> list[LegalBasis]:
    """The active legal bases (other than consent) the principal's organisation may disclose under: the choices
    of the disclosure form and of the referral form."""
    return [
        b
        for b in legal_basis_list(actor=actor)
        if b.type != BasisType.CONSENT and legal_basis_usable_by(b, actor.organisation.kind)
    ]


# ---- Consents and disclosures of a case ----------------------------------------------------------------


def consents_of(case: Case | Any) -> QuerySet[Consent]:
    """Every consent of the case, newest first, with what a list shows loaded: two queries however many rows."""
    return (
        Consent.objects.filter(case=case)
        .select_related("recorded_by", "recorded_by_org", "withdrawn_by")
        .prefetch_related("scope_orgs")
        .order_by("-created_at", "-pk")
    )


def disclosures_of(case: Case | Any) -> QuerySet[Disclosure]:
    """Every disclosure of the case, newest first, with organisations, basis and people: one query."""
    return (
        Disclosure.objects.filter(case=case)
        .select_related("from_org", "to_org", "legal_basis", "decided_by", "revoked_by")
        .order_by("-decided_at", "-pk")
    )


def _sharing_access(actor: Membership | None, case_id: Any, action: str, *, audit: bool) -> CaseAccess:
    """The case through case_get; mentors (no full read) may not see its consents and disclosures."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    if not ca.full:
        audit_record(
            action=Action.CASE_DENIED,
            actor=ca.membership.user,
            organisation=ca.membership.organisation,
            obj=ca.case,
            case=ca.case,
            reason=action,
        )
        raise Forbidden(_("Your role does not give access to the consents and disclosures of a case."))
    if audit:
        audit_record(
            action=action, actor=ca.membership.user, organisation=ca.membership.organisation, obj=ca.case, case=ca.case
        )
    return ca


def case_consents(
    *, actor: Membership | None, case_id: Any, audit: bool = True
) -> tuple[CaseAccess, QuerySet[Consent]]:
    """The case's consents, for a coordinator or team member with full read. One `consent.view` event."""
    ca = _sharing_access(actor, case_id, Action.CONSENT_VIEW, audit=audit)
    return ca, consents_of(ca.case)


def case_disclosures(
    *, actor: Membership | None, case_id: Any, audit: bool = True
) -> tuple[CaseAccess, QuerySet[Disclosure]]:
    """The case's disclosures, for a coordinator or team member with full read. One `disclosure.view` event."""
    ca = _sharing_access(actor, case_id, Action.DISCLOSURE_VIEW, audit=audit)
    return ca, disclosures_of(ca.case)


def _public(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def consent_get(*, actor: Membership | None, case_id: Any, consent_id: Any) -> Consent:
    """One consent of one case, for a write that follows (not audited here: the service writes the event)."""
    _ca, qs = case_consents(actor=actor, case_id=case_id, audit=False)
    pk = _public(consent_id)
    consent = qs.filter(public_id=pk).select_related("case").first() if pk else None
    if consent is None:
        raise NotFound(_("The consent was not found."))
    return consent


def disclosure_get(*, actor: Membership | None, case_id: Any, disclosure_id: Any) -> Disclosure:
    """One disclosure of one case, for a write that follows (not audited here: the service writes the event)."""
    _ca, qs = case_disclosures(actor=actor, case_id=case_id, audit=False)
    pk = _public(disclosure_id)
    disclosure = qs.filter(public_id=pk).select_related("case").first() if pk else None
    if disclosure is None:
        raise NotFound(_("The disclosure was not found."))
    return disclosure


# ---- What the gate will ask ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveBases:
    """The consents and disclosures (public ids) that let one organisation receive one category now."""

    consents: tuple[uuid.UUID, ...] = ()
    disclosures: tuple[uuid.UUID, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.consents or self.disclosures)


def active_bases(
    case: Case | Any,
    org: Organisation,
    category: str,
    purpose: str,
    at: dt.datetime | None = None,
    *,
    consents: Iterable[Consent] | None = None,
    disclosures: Iterable[Disclosure] | None = None,
) -> ActiveBases:
    """Which active consents and disclosures of the case cover (org, category, purpose) at `at` (default: now)?

    Pure when `consents` (with scope_orgs prefetched) and `disclosures` are passed, as the gate will do once per
    request; otherwise it loads them (three queries). A consent covers the organisation or its kind, the category
    and the purpose; a disclosure covers its recipient and categories for any purpose. Withdrawn, revoked,
    expired and not yet valid records never count.
    """
    when = at or timezone.now()
    if consents is None:
        consents = consents_of(case)
    if disclosures is None:
        disclosures = disclosures_of(case)
    return ActiveBases(
        consents=tuple(c.public_id for c in consents if c.covers(org, category, purpose, when)),
        disclosures=tuple(d.public_id for d in disclosures if d.covers(org, category, when)),
    )
