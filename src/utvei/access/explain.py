"""Readable answers to "why can I see this?": the records behind access decisions, in words.

The policy (access.policy) decides and returns the ids of what allowed a read in `Decision.records`: the team
member, the consents, the disclosures, the emergency access. This module names them for the viewer — who gave the
consent, when, how, until when, covering what for whom; which organisation disclosed under which provision, who
decided it and when it expires — for any number of decisions with at most two queries (consents, disclosures).

It only describes decisions the policy already made for this viewer: it never widens what anyone can read. A
consent or disclosure is described only as far as it concerns the viewer's organisation and the item's category,
so a line never tells more of a consent's scope than the read it explains.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from utvei.accounts.models import Membership, OrgKind
from utvei.cases.models import Case, TeamRole
from utvei.core.vocabulary import DataCategory
from utvei.sharing.models import Consent, Disclosure, Evidence, GivenBy

from .policy import Decision, Relation, relation_in

TEAM_ROLE_LABELS = dict(TeamRole.choices)

# Line kinds, also used as a CSS hook and a data attribute in the templates.
TEAM = "team"
REFERRAL = "referral"
OWNER = "owner"
EMERGENCY = "emergency"
AUTHOR = "author"
OWN_ORG = "own_org"
CONSENT = "consent"
DISCLOSURE = "disclosure"


@dataclass(frozen=True)
class WhyLine:
    """One readable reason: what kind of record it is, the sentence, and the record's public id (if any)."""

    kind: str
    text: str
    ref: str = ""


@dataclass(frozen=True)
class Explained:
    """A timeline item with its readable reasons: the same `entry`, `decision` and `readable` as the item."""

    entry: Any
    decision: Decision
    why: list[WhyLine] = field(default_factory=list)
    author_shown: bool = True  # as the item's: a marker names its author organisation only where that may be known

    @property
    def readable(self) -> bool:
        return self.decision.allowed


def _day(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _time(value: dt.datetime) -> str:
    """The clock time if it is today, else the date and the time."""
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "TIME_FORMAT")
    return formats.date_format(local, "DATETIME_FORMAT")


def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _uuids(values: Iterable[Any]) -> set[uuid.UUID]:
    found = set()
    for v in values:
        try:
            found.add(uuid.UUID(str(v)))
        except (TypeError, ValueError, AttributeError):
            continue
    return found


def relation_line(viewer: Membership, records: dict[str, Any]) -> WhyLine | None:
    """The viewer's relation to the case, from the records of any decision about it. No queries."""
    org = viewer.organisation.name
    rel = relation_in(records)
    if rel == Relation.EMERGENCY:
        until = records.get("emergency_until")
        try:
            ends = dt.datetime.fromisoformat(until) if until else None
        except ValueError:
            ends = None
        text = (
            _("Emergency access until %(until)s. The use is logged and reviewed by the data protection officer.")
            % {"until": _time(ends)}
            if ends
            else _("Emergency access. The use is logged and reviewed by the data protection officer.")
        )
        return WhyLine(EMERGENCY, text, str(records["emergency_access"]))
    if rel == Relation.REFERRAL:
        return WhyLine(
            REFERRAL,
            _("You are on the team for %(org)s in the limited role of a referral recipient.") % {"org": org},
        )
    if rel == Relation.TEAM:
        named = TEAM_ROLE_LABELS.get(str(records.get("team_role", "")))
        label = str(named).lower() if named is not None else _("member")
        return WhyLine(TEAM, _("You are on the team as %(role)s for %(org)s.") % {"role": label, "org": org})
    if rel == Relation.OWNER_COORDINATOR:
        return WhyLine(
            OWNER, _("You are a coordinator in %(org)s, the organisation that owns the case.") % {"org": org}
        )
    return None


def _consent_line(consent: Any, viewer: Membership, category: str | None) -> WhyLine:
    given = (
        _("Consent given by a guardian on %(day)s")
        if consent.given_by == GivenBy.GUARDIAN
        else _("Consent given by the person on %(day)s")
    ) % {"day": _day(consent.valid_from)}
    how = str(Evidence(consent.evidence).label).lower() if consent.evidence in Evidence.values else ""
    until = (
        _("valid until %(day)s") % {"day": _day(consent.valid_until)}
        if consent.valid_until
        else _("valid until withdrawn")
    )
    org = viewer.organisation
    whom = (
        org.name
        if getattr(consent, "names_viewer", False) or org.kind not in consent.scope_kinds
        else _("organisations of the kind %(kind)s") % {"kind": str(OrgKind(org.kind).label).lower()}
    )
    what = str(DataCategory(category).label) if category in DataCategory.values else ""
    if what:
        covering = _("covering %(category)s for %(org)s") % {"category": what, "org": whom}
    else:
        covering = _("covering %(org)s") % {"org": whom}
    text = f"{given} ({how}), {until}, {covering}." if how else f"{given}, {until}, {covering}."
    return WhyLine(CONSENT, text, str(consent.public_id))


def _disclosure_line(disclosure: Any, category: str | None) -> WhyLine:
    basis = disclosure.legal_basis
    parts = {
        "org": disclosure.from_org.name,
        "basis": f"{basis.display_statute} {basis.provision}",
        "day": _day(disclosure.decided_at),
        "who": _person(disclosure.decided_by),
    }
    text = _("Disclosure from %(org)s under %(basis)s, decided %(day)s by %(who)s") % parts
    if category in DataCategory.values:
        text += ", " + _("covering %(category)s") % {"category": str(DataCategory(category).label)}
    if disclosure.expires_at:
        text += ", " + _("expires %(day)s") % {"day": _day(disclosure.expires_at)}
    return WhyLine(DISCLOSURE, text + ".", str(disclosure.public_id))


def why_lines(
    viewer: Membership, case: Case | Any, wanted: Sequence[tuple[Decision, str | None]]
) -> list[list[WhyLine]]:
    """Readable reasons for each (decision, category of the item) pair, in order: the relation to the case first,
    then what let the viewer read the item (authorship, own organisation, consent, disclosure, emergency access).
    A refused decision gets no lines. At most two queries for any number of decisions."""
    consent_ids: set[uuid.UUID] = set()
    disclosure_ids: set[uuid.UUID] = set()
    for decision, _category in wanted:
        if decision.allowed:
            consent_ids |= _uuids(decision.records.get("consent", ()))
            disclosure_ids |= _uuids(decision.records.get("disclosure", ()))
    consents: dict[str, Any] = {}
    if consent_ids:
        named = Consent.scope_orgs.through.objects.filter(
            consent_id=OuterRef("pk"), organisation_id=viewer.organisation_id
        )
        rows = Consent.objects.filter(case=case, public_id__in=consent_ids).annotate(names_viewer=Exists(named))
        consents = {str(c.public_id): c for c in rows}
    disclosures: dict[str, Any] = {}
    if disclosure_ids:
        rows_d = Disclosure.objects.filter(case=case, public_id__in=disclosure_ids).select_related(
            "from_org", "legal_basis", "decided_by"
        )
        disclosures = {str(d.public_id): d for d in rows_d}

    result: list[list[WhyLine]] = []
    for decision, category in wanted:
        if not decision.allowed:
            result.append([])
            continue
        lines: list[WhyLine] = []
        relation = relation_line(viewer, decision.records)
        if relation is not None:
            lines.append(relation)
        if decision.step == "author":
            lines.append(WhyLine(AUTHOR, _("You wrote this entry.")))
        elif decision.step == "own_org":
            lines.append(
                WhyLine(
                    OWN_ORG,
                    _("Your organisation, %(org)s, wrote it: no consent or disclosure is needed for that.")
                    % {"org": viewer.organisation.name},
                )
            )
        for ref in decision.records.get("consent", ()):
            if str(ref) in consents:
                lines.append(_consent_line(consents[str(ref)], viewer, category))
        for ref in decision.records.get("disclosure", ()):
            if str(ref) in disclosures:
                lines.append(_disclosure_line(disclosures[str(ref)], category))
        result.append(lines)
    return result


def explain_items(viewer: Membership, case: Case | Any, items: Sequence[Any]) -> list[Explained]:
    """Timeline items (entry + decision) with their readable reasons, for a page. At most two queries."""
    lines = why_lines(viewer, case, [(i.decision, i.entry.category) for i in items])
    return [
        Explained(i.entry, i.decision, why, getattr(i, "author_shown", True))
        for i, why in zip(items, lines, strict=True)
    ]
