"""Subject access (GDPR art. 15): who may register a person's request, and answer it with the export of everything
Utvei holds about them — the subject-access part of THE policy (docs/subject-access.md).

The rule. The data protection officer (role `dpo`) of an organisation that is a controller of data about the person
in Utvei: the organisation owns or owned one of the person's cases, has or had a member on one of their teams, or
received a concern that became one of their cases. The organisations working on a case in Utvei are joint
controllers of what the platform holds about the person (art. 26), and art. 26(3) lets the person exercise their
rights against each of them: so the DPO of any of them may answer with the whole export, not only their own
organisation's part. Police-restricted, health and third-party content is withheld by rule in every export
(retention/subject_access/export.py), whoever answers. A DPO of an organisation with no such relation does not find
the person (the same answer as "no such person": existence is not leaked). A request belongs to the organisation
that registered it: only that organisation's DPOs see it, extend it, export it and answer it; another
organisation's request is not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Role
from utvei.cases.models import Case, Concern, TeamMember
from utvei.core.vocabulary import Classification, DataCategory

from .policy import Decision, membership_ok

NOT_DPO = Decision(False, "capability", _("Only a data protection officer can handle subject-access requests."))
NOT_FOUND = Decision(False, "relation", _("No person was found among your organisation's cases."))


def dpo_decision(m: Membership | None) -> Decision:
    """May the principal handle subject-access requests at all (the pages, the endpoints, the dashboard panel)?"""
    if not membership_ok(m):
        return NOT_DPO
    assert m is not None
    if m.role != Role.DPO:
        return NOT_DPO
    return Decision(True, "capability", _("You are the data protection officer of your organisation."))


def controller_org_ids(person: Any) -> set[int]:
    """The organisations that are controllers of data about the person: owners of their cases, organisations on
    their teams (ever), and receivers of the concerns that became their cases. Three queries."""
    cases = Case.objects.filter(person=person)
    owners = set(cases.values_list("owning_org_id", flat=True))
    teams = set(TeamMember.objects.filter(case__in=cases).values_list("organisation_id", flat=True))
    intake = set(Concern.objects.filter(case__in=cases).values_list("receiving_org_id", flat=True))
    return owners | teams | intake


def person_decision(m: Membership | None, person: Any) -> Decision:
    """May the principal register a request for (and export) this person? A DPO of a controller organisation."""
    decision = dpo_decision(m)
    if not decision:
        return decision
    assert m is not None
    if person is None or m.organisation_id not in controller_org_ids(person):
        return NOT_FOUND
    return Decision(
        True,
        "controller",
        _("Your organisation is a controller of data about this person."),
        {"membership": m.pk, "organisation": m.organisation_id},
    )


def requests_visible(m: Membership | None) -> Q:
    """The requests the principal sees: their own organisation's, and only as its DPO (none otherwise)."""
    if not dpo_decision(m):
        return Q(pk__in=[])
    assert m is not None
    return Q(organisation_id=m.organisation_id)


def request_decision(m: Membership | None, request: Any) -> Decision:
    """May the principal see and act on this request (extend, export, answer, refuse)? A DPO of the organisation
    that registered it, while that organisation is still a controller of the person's data."""
    decision = dpo_decision(m)
    if not decision:
        return decision
    assert m is not None
    if request is None or request.organisation_id != m.organisation_id:
        return NOT_FOUND
    return Decision(True, "controller", _("A request registered by your organisation."), {"membership": m.pk})


def visible(qs: QuerySet[Any], m: Membership | None) -> QuerySet[Any]:
    return qs.filter(requests_visible(m))


# ---- What the export withholds, by rule (each withheld item is counted and stated in the export) ---------------

POLICE, HEALTH, THIRD_PARTY = "police", "health", "third_party"


@dataclass(frozen=True)
class WithholdRule:
    code: str
    statute: Any  # the provision it rests on, as cited to the person
    explanation: Any  # in plain words: why, and where they may ask instead


RULES: dict[str, WithholdRule] = {
    POLICE: WithholdRule(
        POLICE,
        _("Police Databases Act (politiregisterloven) §§ 49–51; GDPR art. 23"),
        _(
            "Content classified for the police and the Police Security Service only. The police answer for their "
            "own records: ask the police district (or PST) for access under the Police Databases Act."
        ),
    ),
    HEALTH: WithholdRule(
        HEALTH,
        _("Patient and User Rights Act (pasient- og brukerrettighetsloven) § 5-1; GDPR art. 23"),
        _(
            "Health information recorded for health personnel. Access to it is given by the health service that "
            "wrote it, which can explain it: ask that service for access to your health record."
        ),
    ),
    THIRD_PARTY: WithholdRule(
        THIRD_PARTY,
        _("GDPR art. 15(4); Public Administration Act (forvaltningsloven) § 13"),
        _(
            "Information about other people: the names of the people around you and what was observed about them, "
            "and notes about your family. The right to a copy may not harm the rights of others."
        ),
    ),
}


def withhold_rule(obj: Any) -> str:
    """The rule an item of the export is withheld under, or "" when it is given. The first that holds, in this
    order: classified `police` (or a concern passed on to the police or PST) -> police; classified `health` or of
    the data category `health` -> health; free text of the data category `family` (`FAMILY_TEXT_MODELS`: it names
    others), or an observation or an earlier version of a network contact (about a third party) -> third_party."""
    classification = getattr(obj, "classification", "") or ""
    category = getattr(obj, "category", "") or ""
    label = obj._meta.label
    if classification == Classification.POLICE:
        return POLICE
    if label == "cases.ConcernHandoff" and obj.to_kind in ("police", "pst"):
        return POLICE
    if classification == Classification.HEALTH or category == DataCategory.HEALTH:
        return HEALTH
    if category == DataCategory.FAMILY and label in FAMILY_TEXT_MODELS:
        return THIRD_PARTY
    if label in THIRD_PARTY_MODELS:
        return THIRD_PARTY
    return ""


def withheld_fields(obj: Any) -> frozenset[str]:
    """The fields withheld from an item that is given, under THIRD_PARTY: a network contact's label (it names
    them), and the free-text note of a structured value of the data category `family` (a measurement, an outcome)."""
    label = obj._meta.label
    if label in THIRD_PARTY_FIELDS:
        return THIRD_PARTY_FIELDS[label]
    if (getattr(obj, "category", "") or "") == DataCategory.FAMILY and hasattr(obj, "note"):
        return frozenset({"note"})
    return frozenset()


# Whole rows about a third party (withheld under THIRD_PARTY), the rows of free text that family notes are kept
# in, and the fields of a given row that name a third party.
THIRD_PARTY_MODELS = frozenset({"network.Observation", "network.ContactRevision"})
FAMILY_TEXT_MODELS = frozenset(
    {"cases.Entry", "cases.EntryRevision", "cases.Attachment", "meetings.Meeting", "meetings.MeetingRevision"}
)
THIRD_PARTY_FIELDS: dict[str, frozenset[str]] = {"network.Contact": frozenset({"label"})}
