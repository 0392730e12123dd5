"""The history of a case header and of its person's identity details (issue 14, deliverable 6): a read, through
access like every other (docs/people.md «History»).

Every earlier version is a row: `CaseHeaderVersion` (written by `services.case_update`) and `people.PersonVersion`
(written by `people.services.person_update`, called from `services.person_edit`). The history lists them newest
first — who (display name and organisation), when, which fields changed and, for each field, its earlier value
only where the reader may read that field now (`access.header.history_readable`, the live header's rule). A
reader without identity access sees that the identity was changed, never from what. An identity number is
never shown, as the header never shows it. The author's organisation is named only where its taking part may be
seen (`policy.membership_visible`). A constant number of queries, audited as `case.history` without content.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.header import history_decision, history_readable
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.crypto import is_erased
from utvei.people.models import Gender, PersonVersion

from . import selectors
from .models import CaseHeaderVersion, Ideology, MotivationStage

HEADER, PERSON = "header", "person"

LABELS: dict[str, Any] = {
    "ideologies": _("Ideological orientation"),
    "motivation_stage": _("Motivation / change stage"),
    "threat_clarified_at": _("Security threat clarified on"),
    "safety_plan": _("Safety plan"),
    "safety_plan_review_on": _("Review the safety plan by"),
    "full_name": _("Name"),
    "national_id": _("National identity number"),
    "birth_date": _("Date of birth"),
    "gender": _("Gender"),
    "municipality": _("Municipality"),
    "guardian_name": _("Guardian"),
}
NEVER_SHOWN = frozenset({"national_id"})  # the header never shows it: its history says only that it changed


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    readable: bool  # may the reader see the earlier value (the live field's rule)
    earlier: str = ""  # the value before the edit, as shown; "" when not readable or empty


@dataclass(frozen=True)
class Version:
    record: str  # HEADER or PERSON
    number: int  # the version of the case or person this row preserves
    at: dt.datetime
    author: str | None  # the user's display name; None where the organisation's taking part is restricted
    organisation: str | None
    changes: list[Change]


def _date(value: str) -> str:
    try:
        return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def _shown(field: str, value: Any) -> str:
    """An earlier value as the header would show it: labels for codes, dates in the reader's format."""
    if value in ("", None, []):
        return ""
    if field == "ideologies":
        return ", ".join(str(Ideology(v).label) if v in Ideology.values else str(v) for v in value)
    if field == "motivation_stage":
        return str(MotivationStage(value).label) if value in MotivationStage.values else str(value)
    if field == "gender":
        return str(Gender(value).label) if value in Gender.values else str(value)
    if field in {"threat_clarified_at", "safety_plan_review_on", "birth_date"}:
        return _date(str(value))
    return str(value)


def _version(ca: CaseAccess, record: str, row: CaseHeaderVersion | PersonVersion, readable: frozenset[str]) -> Version:
    erased = is_erased(row.earlier)  # crypto-shredded (docs/encryption.md): every earlier value reads as erased
    earlier = {} if erased else json.loads(row.earlier or "{}")
    changes = []
    for field in row.changed:
        see = field in readable and field not in NEVER_SHOWN
        value = str(row.earlier) if erased else _shown(field, earlier.get(field))
        changes.append(Change(field, str(LABELS.get(field, field)), see, value if see else ""))
    shown = policy.membership_visible(ca, row.author_org)
    author = (row.author.get_full_name() or row.author.username) if shown else None
    return Version(record, row.number, row.created_at, author, row.author_org.name if shown else None, changes)


def versions(ca: CaseAccess) -> list[Version]:
    """The header's and the person's earlier versions, newest first, as far as the principal may read them. Two
    queries, whatever the number of versions (and the case's bases, once)."""
    readable = history_readable(ca)
    rows: list[Version] = []
    header = CaseHeaderVersion.objects.filter(case=ca.case).select_related("author", "author_org")
    rows += [_version(ca, HEADER, row, readable) for row in header]
    person = PersonVersion.objects.filter(person_id=ca.case.person_id).select_related("author", "author_org")
    rows += [_version(ca, PERSON, row, readable) for row in person]
    rows.sort(key=lambda v: (v.at, v.record, v.number), reverse=True)
    return rows


def case_history(*, actor: Membership | None, case_id: Any) -> tuple[CaseAccess, list[Version]]:
    """One case's history for the page and the API. A principal who may not see it (no relation, or a mentor) is
    told the case does not exist. Audited as `case.history` (no content)."""
    ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
    policy.require(history_decision(ca), hide=True)
    found = versions(ca)
    audit_by(actor, Action.CASE_HISTORY, obj=ca.case, case=ca.case, reason=policy.read_reason(ca))
    return ca, found
