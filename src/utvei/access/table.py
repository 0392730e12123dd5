"""The access policy for timeline items, as a table: who reads which entry, who sees only a marker, who sees nothing.

A viewer and an entry are described by six things (the dimensions):

  role            the viewer's role in their acting organisation (accounts.roles.Role)
  sector          police (police, PST), health (health, mental health) or other — the organisation kinds that
                  the `police` and `health` compartments admit
  relation        what ties the viewer to the case: none | team (a current team row) | referral (a current
                  team row in the limited role `referral`, i.e. an accepted referral) | owner_coordinator (a
                  coordinator in the organisation that owns the case) | emergency (an active emergency access)
  classification  the entry's compartment (cases.models.Classification)
  category        the entry's data category (cases.models.DataCategory)
  basis           the viewer's basis for this entry: self (they wrote it) | own_org (their organisation wrote it)
                  | consent (an active consent covers their organisation, the category and "coordination") |
                  disclosure (an active disclosure of the category from the author's organisation to theirs) |
                  lapsed (such a consent or disclosure exists but is no longer — or not yet — in force:
                  withdrawn, revoked, expired) | none

The outcome is one of: read (the entry in full), marker (that it exists: kind, date, author organisation — never
its text), hidden (not listed at all) or no_case (the case itself does not exist for the viewer: 404, absent
from lists, lookups and exports).

RULES below are the policy: an ordered list, the first rule that matches decides. `access.policy.entry_decision`
looks every entry up here, so this is the one statement of the rule; docs/policy-table.md explains it, and
`utvei policy table` / `utvei policy rules` print it. tests/access/table.py is a second, independent statement
written by hand, and tests/access/test_policy_table.py runs the rows of this table against the policy, the pages,
the API, the lookups and the exports.

The category is a wildcard in every rule: it counts through the basis, because consents and disclosures are
given per category. The case header is limited separately (`policy.header_scope`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from utvei.accounts.models import HEALTH_KINDS, POLICE_KINDS
from utvei.accounts.roles import Cap, Role, has_cap
from utvei.core.vocabulary import Classification, DataCategory


class Relation(StrEnum):
    NONE = "none"
    TEAM = "team"
    REFERRAL = "referral"  # accepted referral: on the team in the limited role `referral`
    OWNER_COORDINATOR = "owner_coordinator"
    EMERGENCY = "emergency"  # an active emergency access


class Sector(StrEnum):
    POLICE = "police"
    HEALTH = "health"
    OTHER = "other"


class Basis(StrEnum):
    SELF = "self"
    OWN_ORG = "own_org"
    CONSENT = "consent"
    DISCLOSURE = "disclosure"
    LAPSED = "lapsed"
    NONE = "none"


class Outcome(StrEnum):
    READ = "read"
    MARKER = "marker"
    HIDDEN = "hidden"
    NO_CASE = "no_case"


def sector_of(kind: str) -> Sector:
    if kind in POLICE_KINDS:
        return Sector.POLICE
    if kind in HEALTH_KINDS:
        return Sector.HEALTH
    return Sector.OTHER


# The bases an entry from another organisation can have (the sharing records decide which).
CROSS_ORG = frozenset({Basis.CONSENT, Basis.DISCLOSURE, Basis.LAPSED, Basis.NONE})

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "role": tuple(Role.values),
    "sector": tuple(Sector),
    "relation": tuple(Relation),
    "classification": tuple(Classification.values),
    "category": tuple(DataCategory.values),
    "basis": tuple(Basis),
}

# Role groups, read off the capability sets in accounts/roles.py.
CONTENT_ROLES = frozenset(r for r in Role.values if has_cap(r, Cap.CASE_READ))  # coordinator, caseworker, mentor
FULL_ROLES = frozenset(r for r in Role.values if has_cap(r, Cap.CASE_READ_FULL))  # coordinator, caseworker
LIMITED_ROLES = CONTENT_ROLES - FULL_ROLES  # mentor: goals, appointments, own notes
EMERGENCY_ROLES = frozenset(r for r in Role.values if has_cap(r, Cap.EMERGENCY_ACCESS))

# What mentors may read besides their own notes: goals, appointments, what the person may see.
MENTOR_CLASSIFICATIONS = frozenset({Classification.MENTOR.value, Classification.PARTICIPANT.value})


def _but(dimension: str, *values: Iterable[str] | str) -> frozenset[str]:
    """Every value of the dimension except these."""
    out: set[str] = set()
    for v in values:
        out |= {v} if isinstance(v, str) else set(v)
    return frozenset(DIMENSIONS[dimension]) - out


@dataclass(frozen=True)
class Rule:
    """When every named dimension holds one of the listed values (a dimension left out is a wildcard)."""

    key: str
    outcome: Outcome
    step: str  # the step of the policy it belongs to (DESIGN.md §4), the `step` of the policy's Decision
    says: str  # the rule in words, for the data protection officer
    role: frozenset[str] | None = None
    sector: frozenset[str] | None = None
    relation: frozenset[str] | None = None
    classification: frozenset[str] | None = None
    category: frozenset[str] | None = None
    basis: frozenset[str] | None = None

    def holds(self, dimension: str, value: str) -> bool:
        values: frozenset[str] | None = getattr(self, dimension)
        return values is None or value in values

    def describe(self, dimension: str) -> str:
        """The condition on one dimension, for people: `*`, `a, b` or `not a, b` (whichever is shorter)."""
        values = getattr(self, dimension)
        if values is None:
            return "*"
        order = DIMENSIONS[dimension]
        inside = [v for v in order if v in values]
        outside = [v for v in order if v not in values]
        if outside and len(outside) < len(inside):
            return "not " + ", ".join(outside)
        return ", ".join(inside)


def _set(*values: str) -> frozenset[str]:
    return frozenset(str(v) for v in values)


R, C, B = Relation, Classification, Basis

# The policy. Read from the top; the first rule that matches decides.
RULES: tuple[Rule, ...] = (
    Rule(
        "no-content-role",
        Outcome.NO_CASE,
        "capability",
        "Roles without access to case content (reporter, data protection officer, analyst, organisation "
        "administrator) never find a case, whatever else holds.",
        role=_but("role", CONTENT_ROLES),
    ),
    Rule(
        "no-relation",
        Outcome.NO_CASE,
        "relation",
        "Without a relation to the case it does not exist for the viewer: not found, not listed, not in lookups "
        "or exports.",
        relation=_set(R.NONE),
    ),
    Rule(
        "emergency-needs-role",
        Outcome.NO_CASE,
        "relation",
        "An emergency access counts only for roles that may break the glass (coordinators and caseworkers).",
        relation=_set(R.EMERGENCY),
        role=_but("role", EMERGENCY_ROLES),
    ),
    Rule("author", Outcome.READ, "author", "You always read what you wrote.", basis=_set(B.SELF)),
    Rule(
        "mentor-compartments",
        Outcome.HIDDEN,
        "classification",
        "Mentors read only `mentor` and `participant` entries (and their own); the rest of the file is not "
        "shown to them at all, not even as a marker.",
        role=LIMITED_ROLES,
        classification=_but("classification", MENTOR_CLASSIFICATIONS),
    ),
    Rule(
        "own-org-compartment",
        Outcome.MARKER,
        "classification",
        "An `own_org` entry is for the author's organisation only; everyone else sees a marker.",
        classification=_set(C.OWN_ORG),
        basis=_but("basis", B.OWN_ORG),
    ),
    Rule(
        "police-compartment",
        Outcome.MARKER,
        "classification",
        "A `police` entry is for the police and the security service only; everyone else sees a marker.",
        classification=_set(C.POLICE),
        sector=_but("sector", Sector.POLICE),
    ),
    Rule(
        "health-compartment",
        Outcome.MARKER,
        "classification",
        "A `health` entry is for health and mental-health services only; everyone else sees a marker.",
        classification=_set(C.HEALTH),
        sector=_but("sector", Sector.HEALTH),
    ),
    Rule(
        "own-organisation",
        Outcome.READ,
        "own_org",
        "Within its compartment, the author's organisation reads its own entries.",
        basis=_set(B.OWN_ORG),
    ),
    Rule(
        "sharing-basis",
        Outcome.READ,
        "basis",
        "Another organisation's entry is read under an active consent or an active disclosure covering the "
        "viewer's organisation and the entry's data category.",
        basis=_set(B.CONSENT, B.DISCLOSURE),
    ),
    Rule(
        "emergency",
        Outcome.READ,
        "emergency",
        "Under an active emergency access the access itself is the basis, within the compartments, until it "
        "expires or is ended.",
        relation=_set(R.EMERGENCY),
    ),
    Rule(
        "mentor-no-basis",
        Outcome.HIDDEN,
        "basis",
        "Without a basis a mentor is not shown the entry.",
        role=LIMITED_ROLES,
    ),
    Rule(
        "no-basis",
        Outcome.MARKER,
        "basis",
        "Without a basis (none ever given, or withdrawn, revoked or expired) the viewer sees a marker only.",
    ),
)

RULES_BY_KEY = {r.key: r for r in RULES}


def reachable(role: str, relation: str) -> bool:
    """Can this combination occur? `owner_coordinator` is by definition a coordinator; the rest can all occur
    (a team row, a referral row or an emergency access row may exist for any user; the rules decide whether
    the role lets it count)."""
    return relation != Relation.OWNER_COORDINATOR or role == Role.COORDINATOR


def _check(dimension: str, value: str) -> str:
    if value not in DIMENSIONS[dimension]:
        raise ValueError(f"{dimension}: unknown value {value!r}")
    return str(value)


@functools.cache
def _first_rule(
    role: str, sector: str, relation: str, classification: str, category: str, bases: frozenset[str]
) -> Rule | None:
    facts = {
        "role": role,
        "sector": sector,
        "relation": relation,
        "classification": classification,
        "category": category,
    }
    for rule in RULES:
        if not all(rule.holds(d, v) for d, v in facts.items()):
            continue
        if rule.basis is None or bases <= rule.basis:
            return rule  # matches whichever of `bases` holds
        if bases & rule.basis:
            return None  # it depends on which of `bases` holds: find out
    raise AssertionError("the last rule matches everything")  # pragma: no cover


def first_rule(
    *, role: str, sector: str, relation: str, classification: str, category: str, bases: Iterable[str]
) -> Rule | None:
    """The rule that decides, when it is the same for every basis in `bases`; None when it depends on which.

    The policy asks first with every basis an entry from another organisation can have (CROSS_ORG), so that it
    loads the case's consents and disclosures only when they can change the answer. Unknown values are a
    ValueError (deny by default is the caller's job).
    """
    basis_set = frozenset(_check("basis", b) for b in bases)
    if not basis_set:
        raise ValueError("bases: at least one")
    return _first_rule(
        _check("role", role),
        _check("sector", sector),
        _check("relation", relation),
        _check("classification", classification),
        _check("category", category),
        basis_set,
    )


def rule_for(*, role: str, sector: str, relation: str, classification: str, category: str, basis: str) -> Rule:
    rule = first_rule(
        role=role, sector=sector, relation=relation, classification=classification, category=category, bases=[basis]
    )
    assert rule is not None  # one basis always decides
    return rule


def outcome(*, role: str, sector: str, relation: str, classification: str, category: str, basis: str) -> Outcome:
    """The outcome for one combination."""
    return rule_for(
        role=role, sector=sector, relation=relation, classification=classification, category=category, basis=basis
    ).outcome


@dataclass(frozen=True)
class Row:
    role: str
    sector: str
    relation: str
    classification: str
    category: str
    basis: str
    outcome: Outcome
    rule: str

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.role, self.sector, self.relation, self.classification, self.category, self.basis)

    def as_dict(self) -> dict[str, Any]:
        return {d: getattr(self, d) for d in (*DIMENSIONS, "outcome", "rule")}


def rows() -> Iterator[Row]:
    """Every combination that can occur (see `reachable`), in the order of DIMENSIONS, with its outcome."""
    for role, sector, relation, classification, category, basis in itertools.product(*DIMENSIONS.values()):
        if not reachable(role, relation):
            continue
        rule = rule_for(
            role=role, sector=sector, relation=relation, classification=classification, category=category, basis=basis
        )
        yield Row(role, sector, relation, classification, category, basis, rule.outcome, rule.key)


# ---- The person's own page (docs/participant.md) --------------------------------------------------------------
#
# The person a case is about (or a guardian) is a principal of their own: not a membership, so none of the rules
# above ever finds a case for them (`visible_cases(None)` is empty; every staff page and endpoint is 404). On their
# own page (/me/, /api/v1/me/) they read by classification alone: what is classified `participant` on their own
# case, whoever wrote it, and nothing else — not even a marker. Another case does not exist for them.

PARTICIPANT = "participant"
PARTICIPANT_CLASSIFICATIONS = frozenset({Classification.PARTICIPANT.value})


@dataclass(frozen=True)
class ParticipantRule:
    key: str
    outcome: Outcome
    says: str
    own_case: bool | None = None  # None: either
    classification: frozenset[str] | None = None


PARTICIPANT_RULES: tuple[ParticipantRule, ...] = (
    ParticipantRule(
        "participant-other-case",
        Outcome.NO_CASE,
        "Another person's case does not exist for the person: not found, on every page and endpoint.",
        own_case=False,
    ),
    ParticipantRule(
        "participant-classified",
        Outcome.READ,
        "On their own page the person reads what is classified `participant` on their own case, whoever wrote it.",
        own_case=True,
        classification=PARTICIPANT_CLASSIFICATIONS,
    ),
    ParticipantRule(
        "participant-nothing-else",
        Outcome.HIDDEN,
        "Everything else of their case is not shown to them, not even as a marker; the access log says who read "
        "their record and why.",
        own_case=True,
    ),
)


def participant_outcome(*, own_case: bool, classification: str) -> Outcome:
    """The outcome for the person on their own page: the first PARTICIPANT_RULES row that matches."""
    _check("classification", classification)
    for rule in PARTICIPANT_RULES:
        if rule.own_case is not None and rule.own_case != own_case:
            continue
        if rule.classification is not None and classification not in rule.classification:
            continue
        return rule.outcome
    raise AssertionError("the last rule matches everything")  # pragma: no cover
