"""The case record a practitioner may take away: what the case page shows them, in one piece (CSV or JSON).

It goes through the same selectors as the case page (`selectors.case_get`, `selectors.timeline`), so it can never
show more than the page: the header fields `policy.header_scope` admits, readable entries in full, the others as
restricted markers (kind, date, author organisation — never their text), and for mentors only what they may
read. One `case.export` audit event per export, with the format (and `emergency` under an emergency access) as
its reason and no content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access import policy
from utvei.access.policy import Act, CaseAccess
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.core.errors import Forbidden

from . import selectors
from .models import Ideology, TeamMember
from .selectors import TimelineItem

FORMATS = ("csv", "json")


@dataclass(frozen=True)
class CaseRecord:
    ca: CaseAccess
    scope: frozenset[str]
    team: list[TeamMember]
    items: list[TimelineItem]
    exported_at: dt.datetime

    @property
    def case(self) -> Any:
        return self.ca.case


def case_record(*, actor: Membership | None, case_id: Any, fmt: str) -> CaseRecord:
    """The record of one case as the principal may read it. No relation: NotFound (audited `case.denied`)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
    decision = policy.can(actor, Act.CASE_EXPORT, ca.case)
    if not decision:
        raise Forbidden(decision.reason)
    record = CaseRecord(
        ca=ca,
        scope=policy.copy_scope(ca),
        team=selectors.team_list(ca),
        items=selectors.timeline(ca),
        exported_at=timezone.now(),
    )
    reason = policy.read_reason(ca, fmt)
    audit_record(
        action=Action.CASE_EXPORT,
        actor=ca.membership.user,
        organisation=ca.membership.organisation,
        obj=ca.case,
        case=ca.case,
        reason=reason,
    )
    return record


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _date(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def header_rows(record: CaseRecord) -> list[tuple[Any, str]]:
    """(label, value) for every header field the principal may see, in the order of the case page."""
    case, scope = record.case, record.scope
    rows: list[tuple[Any, str]] = [(_("Reference"), case.reference)]
    if "person" in scope:
        rows.append((_("Person"), f"{case.person.full_name} ({case.person.reference})"))
    rows += [
        (_("Track"), str(case.get_track_display())),
        (_("Phase"), str(case.get_phase_display())),
        (_("Owning organisation"), case.owning_org.name),
        (_("Case lead"), _name(case.lead)),
        (_("Opened"), _date(case.opened_at)),
        (_("Closed"), _date(case.closed_at)),
    ]
    if "ideologies" in scope:
        labels = [str(Ideology(v).label) for v in case.ideologies if v in Ideology.values]
        rows.append((_("Ideological orientation"), ", ".join(labels)))
    if "motivation_stage" in scope:
        rows.append((_("Motivation / change stage"), str(case.get_motivation_stage_display())))
    if "threat_clarified_at" in scope:
        rows.append((_("Security threat clarified"), _date(case.threat_clarified_at)))
    if "closure_reason" in scope and case.closure_reason:
        rows.append((_("Closure reason"), str(case.get_closure_reason_display())))
    if "closure_summary" in scope and case.closure_summary:
        rows.append((_("Closing summary"), case.closure_summary))
    if "safety_plan" in scope and case.safety_plan:
        rows.append((_("Safety plan"), case.safety_plan))
    if "previous_case" in scope and case.previous_case_id:
        rows.append((_("Reopened from"), case.previous_case.reference))
    if "team" in scope:
        for t in record.team:
            rows.append((_("Team"), f"{_name(t.user)}, {t.organisation.name} ({t.get_role_display()})"))
    rows.append((_("Exported"), _date(record.exported_at)))
    rows.append((_("Exported by"), f"{_name(record.ca.membership.user)}, {record.ca.membership.organisation.name}"))
    return rows


TIMELINE_COLUMNS = (
    _("Entry id"),
    _("Occurred at"),
    _("Kind"),
    _("Author organisation"),
    _("Author"),
    _("Classification"),
    _("Data category"),
    _("Title"),
    _("Text"),
    _("Restricted"),
)


def timeline_rows(record: CaseRecord) -> list[list[str]]:
    """One row per timeline item, newest first. A restricted item is a marker: id, date, kind, author organisation."""
    out: list[list[str]] = []
    for item in record.items:
        e = item.entry
        if item.readable:
            out.append(
                [
                    str(e.public_id),
                    _date(e.occurred_at),
                    str(e.get_kind_display()),
                    e.author_org.name,
                    _name(e.author),
                    str(e.get_classification_display()),
                    str(e.get_category_display()),
                    e.title,
                    e.body,
                    str(_("no")),
                ]
            )
        else:
            out.append(
                [str(e.public_id), _date(e.occurred_at), str(e.get_kind_display()), e.author_org.name]
                + [""] * 5
                + [str(_("yes"))]
            )
    return out
