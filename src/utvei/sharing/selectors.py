"""Reads of the legal basis catalogue.

The catalogue is public law, not case data: any user with a current membership may read it, and reading it
is not audited (there is nothing about any person in it). Changes to it are audited (services.py).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.core.errors import NotFound

from .models import LegalBasis


def _membership_ok(m: Membership | None) -> bool:
    return m is not None and m.is_current and m.user.is_active


def _bases(actor: Membership | None) -> QuerySet[LegalBasis]:
    if not _membership_ok(actor):
        return LegalBasis.objects.none()
    return LegalBasis.objects.select_related("updated_by").annotate(revision_count=Count("revisions"))


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
