"""The DPO's per-person access report (docs/oversight.md): every read and write of one person's data across their
cases — when, who (user and organisation), what (the action in words) and why (the basis: team member, coordinator,
referral, emergency access …) — within the DPO's scope (`access.oversight.report_event_q`).

The person is found by a case or person reference, by identity number (the blind index; the lookup is audited as
`person.lookup`) or by name (the keyed token index of issue 13, confirmed against the decrypted name). Only persons
the DPO may report on are found (`access.oversight.report_person_q`); the report shows ids, references and staff,
never the person's identity or any case content. Reading it is itself audited (`access.report`, on the person).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.access.oversight import oversees, report_event_q, report_person_q
from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_by
from utvei.cases.models import Case, TeamMember
from utvei.core.errors import NotFound
from utvei.people import index as person_index
from utvei.people.models import Person, PersonToken
from utvei.people.services import person_find_by_nin
from utvei.sharing.models import EmergencyAccess, EmergencyReason

from .basis import READS, log_basis
from .detector import NOT_ACCESS

OSLO = ZoneInfo("Europe/Oslo")
FOUND_LIMIT = 20
ACTION_LABELS = dict(Action.choices)
REFERENCE = re.compile(r"^[A-Z]{2,5}-\d{4}-\d+(-\d+)?$")
ROW_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_org_id",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "reason",
)

# The basis of an access in words: log_basis's codes, and those of events that are not someone reading the case.
BASIS: dict[str, Any] = {
    "team": _("Team member"),
    "coordinator": _("The owning organisation"),
    "referral": _("Accepted referral"),
    "emergency": _("Emergency access"),
    "other": _("No relation recorded to the case"),
    "oversight": _("Data protection oversight"),
    "person": _("The person themself"),
    "system": _("The system"),
    "record": _("The person's record"),
}


def _ensure_dpo(actor: Membership | None) -> Membership:
    if actor is None or not oversees(actor):
        raise NotFound(_("Not found."))
    return actor


def _in_scope(m: Membership) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=Person.objects.filter(report_person_q(m)).values("pk"))


def person_find(*, actor: Membership | None, query: str) -> list[Person]:
    """The persons in the DPO's scope the query names: a case or person reference, an identity number or a name
    (words, and a date of birth YYYY-MM-DD to narrow). At most FOUND_LIMIT, by reference."""
    m = _ensure_dpo(actor)
    words = query.split()
    if not words:
        return []
    scoped = _in_scope(m)
    ref = query.strip().upper()
    if REFERENCE.match(ref):
        by_case = Case.objects.filter(reference=ref).values("person_id")
        return list(scoped.filter(pk__in=by_case) | scoped.filter(reference=ref))[:1]
    digits = "".join(words)
    if re.fullmatch(r"\d{11}", digits):
        person = person_find_by_nin(actor=m, national_id=digits)  # audited as person.lookup
        return [person] if person is not None and scoped.filter(pk=person.pk).exists() else []
    groups = person_index.query_groups(words)
    if not groups:
        return []
    candidates = scoped
    for group in groups:
        candidates = candidates.filter(pk__in=_token_persons(group))
    found = [
        p
        for p in candidates.order_by("reference")[: FOUND_LIMIT * 5]
        if person_index.name_matches(words, p.full_name, p.birth_date)
    ]
    return found[:FOUND_LIMIT]


def _token_persons(group: set[int]) -> Any:
    return PersonToken.objects.filter(token__in=sorted(group)).values("person_id")


def person_get(*, actor: Membership | None, person_id: Any) -> Person:
    """A person in the DPO's scope by public id, else NotFound."""
    m = _ensure_dpo(actor)
    try:
        pk = uuid.UUID(str(person_id))
    except ValueError:
        raise NotFound(_("Not found.")) from None
    person = _in_scope(m).filter(public_id=pk).first()
    if person is None:
        raise NotFound(_("Not found."))
    return person


@dataclass
class Report:
    person: Person
    cases: list[Case]
    events: QuerySet[AuditEvent]


def access_report(*, actor: Membership | None, person: Person, kind: str = "page") -> Report:
    """The events of the report (newest first) and the person's cases; one `access.report` audit event."""
    m = _ensure_dpo(actor)
    if not _in_scope(m).filter(pk=person.pk).exists():
        raise NotFound(_("Not found."))
    cases = list(Case.objects.filter(person=person).select_related("owning_org").order_by("opened_at", "pk"))
    ids = [str(c.public_id) for c in cases]
    events = AuditEvent.objects.filter(report_event_q(m, ids, str(person.public_id))).order_by("-seq")
    audit_by(m, Action.ACCESS_REPORT, object_type="person", object_id=str(person.public_id), reason=kind)
    return Report(person, cases, events)


@dataclass(frozen=True)
class ReportRow:
    seq: int
    occurred_at: dt.datetime  # Europe/Oslo
    user: str  # username ("" for the system)
    user_name: str  # the worker's full name, when recorded
    organisation: str
    action: str
    action_label: str
    kind: str  # read, write, oversight
    case_reference: str
    basis: str  # the code
    basis_label: str


def _kind(action: str) -> str:
    if action in NOT_ACCESS:
        return "oversight"
    return "read" if action in READS or action.endswith((".view", ".list", ".lookup")) else "write"


def report_rows(events: Iterable[dict[str, Any]], cases: list[Case]) -> list[ReportRow]:
    """Rows for display, the basis of each worked out from the case's team rows and emergency accesses as they were
    at the time (access.participant.log_basis). Constant queries: users, organisations, team rows, accesses."""
    events = list(events)
    by_id = {str(c.public_id): c for c in cases}
    user_ids = {e["actor_id"] for e in events if e["actor_id"] is not None}
    org_ids = {e["actor_org_id"] for e in events if e["actor_org_id"] is not None}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids).only("username", "first_name", "last_name")}
    orgs = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name")) if org_ids else {}
    case_pks = [c.pk for c in cases]
    team: dict[int, list[Any]] = {pk: [] for pk in case_pks}
    for row in TeamMember.objects.filter(case_id__in=case_pks).only(
        "case_id", "user_id", "organisation_id", "role", "started_at", "ended_at"
    ):
        team[row.case_id].append(row)
    emergencies: dict[int, list[Any]] = {pk: [] for pk in case_pks}
    for access in EmergencyAccess.objects.filter(case_id__in=case_pks).only(
        "case_id", "user_id", "organisation_id", "reason_code", "started_at", "expires_at", "ended_at"
    ):
        emergencies[access.case_id].append(access)
    reasons = dict(EmergencyReason.choices)
    rows = []
    for e in events:
        case = by_id.get(e["case_id"])
        code, detail = _basis(e, case, team, emergencies)
        label = str(BASIS.get(code, code))
        if code == "emergency" and detail:
            label = f"{label}: {reasons.get(detail, detail)}"
        user = users.get(e["actor_id"]) if e["actor_id"] is not None else None
        rows.append(
            ReportRow(
                seq=e["seq"],
                occurred_at=e["occurred_at"].astimezone(OSLO),
                user=user.username if user is not None else "",
                user_name=user.get_full_name() if user is not None else "",
                organisation=orgs.get(e["actor_org_id"], "") if e["actor_org_id"] is not None else "",
                action=e["action"],
                action_label=str(ACTION_LABELS.get(e["action"], e["action"])),
                kind=_kind(e["action"]),
                case_reference=case.reference if case is not None else "",
                basis=code,
                basis_label=label,
            )
        )
    return rows


class _Event:
    """What log_basis reads of an event."""

    def __init__(self, e: dict[str, Any]) -> None:
        self.occurred_at = e["occurred_at"]
        self.actor_id = e["actor_id"]
        self.actor_org_id = e["actor_org_id"]
        self.reason = e["reason"]


def _basis(
    e: dict[str, Any], case: Case | None, team: dict[int, list[Any]], emergencies: dict[int, list[Any]]
) -> tuple[str, str]:
    if e["action"] in NOT_ACCESS:
        return "oversight", ""
    if e["actor_id"] is None:
        return "system", ""
    if e["actor_org_id"] is None:
        return "person", ""  # the person's (or guardian's) own account: no organisation
    if case is None:
        return "record", ""  # the person record itself (registered, looked up, edited)
    return log_basis(_Event(e), case, None, team[case.pk], emergencies[case.pk])


def report_page_values(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent, dict[str, Any]]:
    return events.values(*ROW_FIELDS)


def report_iter_rows(report: Report, *, chunk: int = 1000) -> Iterator[ReportRow]:
    """Every row of the report, newest first, in chunks by sequence number (the CSV)."""
    last: int | None = None
    while True:
        qs = report.events
        if last is not None:
            qs = qs.filter(seq__lt=last)
        batch = list(qs.values(*ROW_FIELDS)[:chunk])
        if not batch:
            return
        yield from report_rows(batch, report.cases)
        if len(batch) < chunk:
            return
        last = batch[-1]["seq"]
