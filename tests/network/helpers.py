"""Helpers for the network tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from utvei.audit.models import AuditEvent
from utvei.cases.models import Case
from utvei.network import services
from utvei.network.models import Contact, Observation

NOTE = "NOTAT-HEMMELIG: møtes på treningssenteret"
LABEL = "J.K."


def today() -> dt.date:
    return timezone.localdate()


def ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def fresh(contact: Contact) -> Contact:
    return Contact.objects.select_related("case", "author_org", "organisation").get(pk=contact.pk)


def add(
    world: Any,
    case: Case,
    *,
    by: str = "kari",
    label: str = LABEL,
    relation: str = "friend",
    on: int = 300,
    valence: str = "supportive",
    closeness: int = 2,
    **kw: Any,
) -> Contact:
    """A contact added by `by`, first observed `on` days ago."""
    return services.contact_create(
        actor=world.m[by],
        case=case,
        relation=relation,
        label=label,
        observed_on=ago(on),
        valence=valence,
        closeness=closeness,
        **kw,
    )


def observe(world: Any, contact: Contact, *, by: str = "kari", on: int = 100, **kw: Any) -> Observation:
    return services.observation_add(actor=world.m[by], contact=fresh(contact), observed_on=ago(on), **kw)


def seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def events_since(n: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=n).order_by("seq"))


def assert_no_content(events: list[AuditEvent], *secrets: str) -> None:
    for e in events:
        row = " ".join(str(v) for v in (e.object_type, e.object_id, e.reason, e.case_id, e.action))
        for secret in (NOTE, LABEL, "HEMMELIG", *secrets):
            assert secret not in row, (e.action, row)
