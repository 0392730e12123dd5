"""Writes to the legal basis catalogue: checked, versioned, in one transaction, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Cap, has_cap
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.core.errors import Conflict, Forbidden, UtveiError

from . import catalogue
from .catalogue import CatalogueError
from .models import BasisType, LegalBasis, LegalBasisRevision, RevisionSource

EDITABLE = tuple(f for f in catalogue.FIELDS if f != "key")


def _membership_ok(m: Membership | None) -> bool:
    return m is not None and m.is_current and m.user.is_active


def legal_basis_usable_by(basis: LegalBasis, org_kind: str) -> bool:
    """May an organisation of this kind send information under this basis? Active, a real basis, kind allowed."""
    if not basis.active or basis.type == BasisType.CONFIDENTIALITY:
        return False
    return not basis.sender_kinds or org_kind in basis.sender_kinds


def legal_basis_update(*, actor: Membership, basis: LegalBasis, expected_version: int, **fields: Any) -> LegalBasis:
    """An organisation administrator edits one basis. A stale version is a Conflict; every change is a revision.

    Sending the values the basis already has changes nothing and makes no new version.
    """
    if not _membership_ok(actor) or not has_cap(actor.role, Cap.ORG_ADMIN):
        raise Forbidden(_("Only an organisation administrator can edit the catalogue of legal bases."))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise UtveiError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        current = LegalBasis.objects.select_for_update().get(pk=basis.pk)
        if current.version != expected_version:
            raise Conflict(
                _("Someone else changed this legal basis after you read it. Read it again and repeat your change."),
                current=current,
            )
        proposed = {**catalogue.snapshot(current), **fields}
        try:
            cleaned = catalogue.clean_entry(proposed, "legal basis")
        except CatalogueError as exc:
            raise UtveiError(_("The change is not valid: %(problem)s") % {"problem": str(exc)}) from exc
        if cleaned == catalogue.snapshot(current):
            return current
        for name in EDITABLE:
            setattr(current, name, cleaned[name])
        current.version += 1
        current.updated_at = timezone.now()
        current.updated_by = actor.user
        current.save()
        LegalBasisRevision.objects.create(
            basis=current,
            version=current.version,
            snapshot=catalogue.snapshot(current),
            saved_by=actor.user,
            saved_at=current.updated_at,
            source=RevisionSource.ADMIN,
        )
        audit_record(
            action=Action.LEGAL_BASIS_UPDATE,
            actor=actor.user,
            organisation=actor.organisation,
            object_type="legalbasis",
            object_id=current.key,
            reason=f"v{current.version}",
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
