"""The access log in plain words: when, by which organisation and for what reason a person's record was read.

One place for it, shown to the person on their own page (desk/participant.py) and given to them in the answer to a
subject-access request (retention/subject_access/export.py). It is built from the audit log's read events of a
case (`participant.LOG_READS`) and the case's team rows and emergency accesses as they were at the time
(`participant.log_basis`): each day's reads by one organisation of one kind for one reason is one row. It names
organisations, never workers: the recipients are the organisations (GDPR art. 15(1)(c)); who inside them read is
the organisations' own record, which the data protection officer sees in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, TeamMember
from utvei.sharing.models import EmergencyAccess, EmergencyReason

from .participant import LOG_READS, log_basis

WHAT: dict[str, Any] = {
    "case": _("opened your case"),
    "team": _("looked at who works with you"),
    "entry": _("read notes in your case"),
    "task": _("read tasks in your case"),
    "consent": _("read what you have agreed to share"),
    "disclosure": _("read what has been shared about you"),
    "referral": _("read a referral of your case"),
    "assessment": _("read an assessment"),
    "plan": _("read your plan"),
    "meeting": _("read about meetings"),
    "network": _("read about the people around you"),
    "contact": _("read about the people around you"),
    "measurement": _("read how things are going"),
    "outcome": _("read how things are going"),
    "follow_up": _("read how things are going"),
    "attachment": _("opened a document"),
    "participant": _("read your own page"),
}
EXPORTED = _("made a copy of your record")

WHY: dict[str, Any] = {
    "you": _("It was you"),
    "team": _("They work with you in your team"),
    "coordinator": _("Coordinator at the organisation responsible for your case"),
    "referral": _("Your case was referred to them, and they accepted"),
    "emergency": _("Emergency access"),
    "other": _("Another reason, recorded in the log"),
}


@dataclass
class LogRow:
    day: dt.date
    who: str  # an organisation's name, or "You": never a worker's name
    what: str
    why: str
    why_code: str
    times: int = 1
    case_reference: str = ""


def read_events(case: Case, limit: int | None = None) -> Any:
    """The audit events that are someone reading the case, newest first (all of them without a limit)."""
    rows = (
        AuditEvent.objects.filter(case_id=str(case.public_id), action__in=LOG_READS)
        .only("occurred_at", "actor_id", "actor_org_id", "action", "reason")
        .order_by("-seq")
    )
    return rows[:limit] if limit is not None else rows


def case_access_log(case: Case, *, you: Iterable[int | None] = (), limit: int | None = None) -> list[LogRow]:
    """Who read the case, when, and why, newest first; `you` are the person's own user ids (their reads say "You").
    The newest `limit` events, or all. Four queries."""
    events = list(read_events(case, limit))
    return log_rows(case, events, you=you)


def log_rows(case: Case, events: list[AuditEvent], *, you: Iterable[int | None] = ()) -> list[LogRow]:
    """The events of one case grouped into rows (day, organisation, what, why). Three queries."""
    own = {u for u in you if u is not None}
    org_ids = {e.actor_org_id for e in events if e.actor_org_id is not None}
    orgs = Organisation.objects.in_bulk(list(org_ids)) if org_ids else {}
    team_rows = list(
        TeamMember.objects.filter(case=case).only("user_id", "organisation_id", "role", "started_at", "ended_at")
    )
    emergencies = list(EmergencyAccess.objects.filter(case=case))
    reasons = dict(EmergencyReason.choices)
    grouped: OrderedDict[tuple[Any, ...], LogRow] = OrderedDict()
    for e in events:
        mine = e.actor_id is not None and e.actor_id in own
        code, detail = ("you", "") if mine else log_basis(e, case, None, team_rows, emergencies)
        if code == "you":
            who = str(_("You"))
        else:
            org = orgs.get(e.actor_org_id) if e.actor_org_id is not None else None
            who = org.name if org is not None else str(_("Unknown organisation"))
        what = str(
            EXPORTED if e.action == Action.CASE_EXPORT else WHAT.get(e.action.split(".")[0], _("read your record"))
        )
        why = str(WHY[code])
        if code == "emergency" and detail:
            why = f"{why}: {reasons.get(detail, detail)}"
        day = timezone.localtime(e.occurred_at).date()
        key = (day, who, what, why)
        if key in grouped:
            grouped[key].times += 1
        else:
            grouped[key] = LogRow(day, who, what, why, code, case_reference=case.reference)
    return list(grouped.values())
