"""Reads of the audit log for the data protection officer: ids and staff names, never case content."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.access.policy import Act, can
from utvei.accounts.models import Membership, Organisation, User
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import FIELDS
from utvei.cases.models import Case
from utvei.core.errors import NotFound
from utvei.core.vocabulary import Classification
from utvei.people.models import Person

OSLO = ZoneInfo("Europe/Oslo")
ROW_FIELDS = tuple(f for f in FIELDS if f != "prev_hash")  # what the DPO sees of an event
ACTION_LABELS = dict(Action.choices)


@dataclass(frozen=True)
class AuditQuery:
    """What the DPO asks: events about a case (reference or id), by a user (username), in a date range."""

    case: str = ""
    username: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    upto: int | None = None  # newest sequence number to include: keeps pages stable while the log grows


@dataclass
class AuditResult:
    events: QuerySet[AuditEvent]
    case_ids: list[str] = field(default_factory=list)  # the public ids the case filter resolved to
    user_id: int | None = None  # the user the username filter resolved to
    problems: list[Any] = field(default_factory=list)  # why the result is empty, for the page


@dataclass(frozen=True)
class AuditRow:
    seq: int
    occurred_at: dt.datetime  # Europe/Oslo
    actor: str  # username, or "" for anonymous events (failed login)
    actor_org: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    case_id: str
    case_reference: str
    reason: str  # the code as recorded (the CSV keeps it)
    request_id: str
    reason_label: str = ""  # the same in words, for the page


# Reason codes in words. A code not here is shown as recorded (a basis key, a version such as "note v2").
REASON_WORDS: dict[str, Any] = {
    **dict(Classification.choices),
    "page": _("looked at on the page"),
    "csv": _("downloaded as CSV"),
    "idle": _("idle too long"),
    "absolute": _("signed in too long"),
    "everywhere": _("logged out everywhere"),
    "emergency": _("under emergency access"),
    "dashboard": _("from the overview"),
    "api_token": _("an API token"),
    "otp": _("one-time code"),
    "mfa": _("second factor"),
    "mfa_missing": _("second factor not set up"),
    "mfa_removed": _("second factor removed"),
}


def reason_words(reason: str, usernames: dict[int, str]) -> str:
    """A recorded reason in words: each `;`-separated part by its code; `user=<id>` by the username."""
    words = []
    for part in reason.split(";") if reason else []:
        key, _sep, value = part.partition("=")
        if key == "user" and value.isdigit():
            words.append(_("about %(user)s") % {"user": usernames.get(int(value), value)})
        elif key == "from" and value:
            words.append(_("from %(date)s") % {"date": value})
        elif key == "to" and value:
            words.append(_("to %(date)s") % {"date": value})
        else:
            words.append(str(REASON_WORDS.get(part, part)))
    return ", ".join(words)


def _ensure_dpo(actor: Membership | None) -> Membership:
    if actor is None or not can(actor, Act.AUDIT_READ):
        raise NotFound(_("Not found."))
    return actor


def resolve_case(value: str) -> tuple[list[str], list[str]]:
    """A case reference, person reference or case id -> (case public ids, person public ids). Ids only."""
    value = value.strip()
    if not value:
        return [], []
    try:
        return [str(uuid.UUID(value))], []
    except ValueError:
        pass
    ref = value.upper()
    case_ids = Case.objects.filter(Q(reference=ref) | Q(person__reference=ref)).values_list("public_id", flat=True)
    person_ids = Person.objects.filter(reference=ref).values_list("public_id", flat=True)
    return [str(u) for u in case_ids], [str(u) for u in person_ids]


def resolve_username(username: str) -> int | None:
    return User.objects.filter(username=username.strip()).values_list("pk", flat=True).first()


def _scope(actor: Membership) -> Q:
    """The events a DPO answers for: their organisation's staff, and everything done to its cases.

    A DPO is the data protection officer of one controller. They see what people acting in their organisation
    did (and the logins of its members, which carry no organisation), and who — in any organisation — touched a
    case their organisation owns. Other organisations' activity on other cases is not theirs to see.
    """
    org_id = actor.organisation_id
    members = _member_ids(org_id)
    owned = [str(u) for u in Case.objects.filter(owning_org_id=org_id).values_list("public_id", flat=True)]
    q = Q(actor_org_id=org_id) | Q(actor_org_id__isnull=True, actor_id__in=members)
    q |= _attempts_on(members)  # failed and refused logins that name one of its staff's accounts
    if owned:
        q |= Q(case_id__in=owned)
    return q


def _member_ids(org_id: int) -> list[int]:
    """The users with a membership of the organisation (one query)."""
    return list(Membership.objects.filter(organisation_id=org_id).values_list("user_id", flat=True).distinct())


def _attempts_on(user_ids: list[int]) -> Q:
    """Events by nobody (failed and refused logins) that name one of these accounts."""
    return Q(actor_id__isnull=True, object_type="user", object_id__in=[str(u) for u in user_ids])


@dataclass(frozen=True)
class RefusedLogins:
    """Sign-in attempts on one staff account that failed or were refused as too many, over the last days."""

    username: str
    failed: int
    throttled: int
    last: dt.datetime


REFUSED_DAYS = 7
REFUSED_ROWS = 10


def refused_logins(*, actor: Membership | None, now: dt.datetime | None = None) -> list[RefusedLogins]:
    """The accounts of the DPO's organisation with failed or refused sign-ins in the last REFUSED_DAYS days, most
    attempts first (wrong passwords and wrong codes alike; an attempt naming no account is nobody's to see)."""
    m = _ensure_dpo(actor)
    since = (now or dt.datetime.now(tz=OSLO)) - dt.timedelta(days=REFUSED_DAYS)
    members = _member_ids(m.organisation_id)
    attempts = (
        AuditEvent.objects.filter(
            Q(actor_id__isnull=True) | Q(actor_id__in=members),
            action__in=[Action.LOGIN_FAILED, Action.LOGIN_THROTTLED],
            object_type="user",
            object_id__in=[str(u) for u in members],
            occurred_at__gte=since,
        )
        .values("object_id", "action")
        .annotate(n=Count("pk"), last=Max("occurred_at"))
        .order_by()
    )
    per_user: dict[str, dict[str, Any]] = {}
    for row in attempts:
        entry = per_user.setdefault(row["object_id"], {"failed": 0, "throttled": 0, "last": row["last"]})
        entry["throttled" if row["action"] == Action.LOGIN_THROTTLED else "failed"] += row["n"]
        entry["last"] = max(entry["last"], row["last"])
    names = dict(User.objects.filter(pk__in=[int(u) for u in per_user]).values_list("pk", "username"))
    found = [
        RefusedLogins(names.get(int(uid), uid), e["failed"], e["throttled"], e["last"].astimezone(OSLO))
        for uid, e in per_user.items()
    ]
    found.sort(key=lambda r: (-(r.failed + r.throttled), r.username))
    return found[:REFUSED_ROWS]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=OSLO)


def audit_search(*, actor: Membership | None, query: AuditQuery) -> AuditResult:
    """Events matching the query within the DPO's scope, newest first. Raises NotFound for anyone else."""
    m = _ensure_dpo(actor)
    qs = AuditEvent.objects.filter(_scope(m))
    result = AuditResult(events=qs)
    if query.case.strip():
        case_ids, person_ids = resolve_case(query.case)
        result.case_ids = case_ids
        if not case_ids and not person_ids:
            result.problems.append(_("No case or person has that reference."))
        ids = case_ids + person_ids
        qs = qs.filter(Q(case_id__in=ids) | Q(object_type__in=["case", "person"], object_id__in=ids))
    if query.username.strip():
        result.user_id = resolve_username(query.username)
        if result.user_id is None:
            result.problems.append(_("No user has that username."))
        qs = qs.filter(Q(actor_id=result.user_id) | _attempts_on([result.user_id] if result.user_id else []))
    if query.date_from:
        qs = qs.filter(occurred_at__gte=_day_start(query.date_from))
    if query.date_to:
        qs = qs.filter(occurred_at__lt=_day_start(query.date_to + dt.timedelta(days=1)))
    if query.upto is not None:
        qs = qs.filter(seq__lte=query.upto)
    if result.problems:
        qs = qs.none()
    result.events = qs.order_by("-seq")
    return result


def audit_rows(events: Iterable[dict[str, Any]]) -> list[AuditRow]:
    """Rows for display: names of staff, organisations and case references fetched in bulk (three queries)."""
    events = list(events)
    user_ids = {e["actor_id"] for e in events if e["actor_id"] is not None}
    for e in events:  # the user a look at the log was about (`user=<id>` in its reason)
        for part in (e["reason"] or "").split(";"):
            if part.startswith("user=") and part[5:].isdigit():
                user_ids.add(int(part[5:]))
    org_ids = {e["actor_org_id"] for e in events if e["actor_org_id"] is not None}
    case_uuids = set()
    for e in events:
        try:
            case_uuids.add(uuid.UUID(e["case_id"]))
        except ValueError:
            continue
    users = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username")) if user_ids else {}
    orgs = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name")) if org_ids else {}
    refs = (
        {str(k): v for k, v in Case.objects.filter(public_id__in=case_uuids).values_list("public_id", "reference")}
        if case_uuids
        else {}
    )
    return [
        AuditRow(
            seq=e["seq"],
            occurred_at=e["occurred_at"].astimezone(OSLO),
            actor=users.get(e["actor_id"], "") if e["actor_id"] is not None else "",
            actor_org=orgs.get(e["actor_org_id"], "") if e["actor_org_id"] is not None else "",
            action=e["action"],
            action_label=str(ACTION_LABELS.get(e["action"], e["action"])),
            object_type=e["object_type"],
            object_id=e["object_id"],
            case_id=e["case_id"],
            case_reference=refs.get(e["case_id"], ""),
            reason=e["reason"],
            request_id=e["request_id"],
            reason_label=reason_words(e["reason"], users),
        )
        for e in events
    ]


def audit_page_values(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent, dict[str, Any]]:
    return events.values(*ROW_FIELDS)


def audit_iter_rows(events: QuerySet[AuditEvent], *, chunk: int = 1000) -> Iterator[AuditRow]:
    """All matching rows, newest first, in chunks by sequence number: memory and queries grow per chunk only."""
    last: int | None = None
    while True:
        qs = events.order_by("-seq")
        if last is not None:
            qs = qs.filter(seq__lt=last)
        batch = list(qs.values(*ROW_FIELDS)[:chunk])
        if not batch:
            return
        yield from audit_rows(batch)
        if len(batch) < chunk:
            return
        last = batch[-1]["seq"]
