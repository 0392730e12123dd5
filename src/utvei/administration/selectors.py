"""Reads of organisation administration: the members an administrator manages, always through the policy
(access/administration.py). Staff data only, never case content."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import administration as rules
from utvei.accounts.models import Invitation, InvitationState, Membership
from utvei.core.errors import NotFound


def _latest(field: str) -> Subquery:
    return Subquery(
        Invitation.objects.filter(user_id=OuterRef("user_id")).order_by("-created_at", "-pk").values(field)[:1]
    )


def members(actor: Membership | None) -> QuerySet[Membership]:
    """The memberships of the administrator's organisation, each with `mfa` (a second factor is set up) and its
    user's latest invitation (`inv_created`, `inv_expires`, `inv_accepted`, `inv_revoked`): one query for a page.
    Nothing for anyone else (the pages and endpoints answer 404)."""
    if not rules.admin_decision(actor):
        raise NotFound(_("Not found."))
    second_factor = Authenticator.objects.filter(user_id=OuterRef("user_id")).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    return (
        rules.administered(actor)
        .select_related("user", "organisation")
        .annotate(
            mfa=Exists(second_factor),
            inv_created=_latest("created_at"),
            inv_expires=_latest("expires_at"),
            inv_accepted=_latest("accepted_at"),
            inv_revoked=_latest("revoked_at"),
        )
        .order_by("user__last_name", "user__first_name", "user__username", "pk")
    )


def member_get(actor: Membership | None, member_id: Any) -> Membership:
    """One membership of the administrator's organisation, or NotFound (missing and forbidden look the same)."""
    try:
        pk = int(member_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    if not 0 < pk < 2**62:
        raise NotFound(_("Not found."))
    found = members(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def invitation_state(m: Membership) -> str:
    """The state of the member's latest invitation ("" when they were never invited: made by `utvei createuser`)."""
    created = getattr(m, "inv_created", None)
    if created is None:
        return ""
    if getattr(m, "inv_accepted", None) is not None:
        return InvitationState.ACCEPTED
    if getattr(m, "inv_revoked", None) is not None:
        return InvitationState.REVOKED
    if m.inv_expires <= timezone.now():  # type: ignore[attr-defined]
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def last_day(m: Membership) -> dt.date | None:
    """The membership's last day (its `valid_until` is the first moment after it), or None when open."""
    if m.valid_until is None:
        return None
    return timezone.localdate(m.valid_until) - dt.timedelta(days=1)


def first_day(m: Membership) -> dt.date:
    return timezone.localdate(m.valid_from)


def invitations(m: Membership) -> list[Invitation]:
    """The member's invitations, newest first (for the member page)."""
    return list(Invitation.objects.filter(user_id=m.user_id).select_related("created_by")[:20])
