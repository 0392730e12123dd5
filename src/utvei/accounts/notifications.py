"""In-app notifications: a user's inbox, per membership. No case content is stored; see models.Notification."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import Membership, Notification, Organisation, User


def notify(
    *,
    recipients: Iterable[tuple[User, Organisation]],
    kind: str,
    case: Any = None,
    ref: uuid.UUID | None = None,
) -> list[Notification]:
    """One notification per (user, organisation); duplicates in `recipients` are sent once. Call inside the
    transaction of the write it is about, so that both or neither happen."""
    seen: set[tuple[int, int]] = set()
    rows = []
    now = timezone.now()
    for user, org in recipients:
        if (user.pk, org.pk) in seen:
            continue
        seen.add((user.pk, org.pk))
        rows.append(Notification(user=user, organisation=org, kind=kind, case=case, ref=ref, created_at=now))
    return Notification.objects.bulk_create(rows)


def inbox(m: Membership) -> QuerySet[Notification]:
    """The principal's notifications in their active organisation, newest first."""
    return Notification.objects.filter(user_id=m.user_id, organisation_id=m.organisation_id).select_related("case")


def unread_count(m: Membership) -> int:
    return inbox(m).filter(read_at__isnull=True).count()


def mark_read(m: Membership, ids: Iterable[int] | None = None) -> int:
    """Mark the principal's notifications read (all, or those with these ids); returns how many changed."""
    qs = inbox(m).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
