"""THE access policy. Every decision about who may see or do what to case data is made here.

The acting principal is a Membership: a user acting in one organisation with one role. Deny is the default.
A forbidden case and a missing one look the same to callers (NotFound).

Steps (DESIGN.md §4):
  1. an active membership, else deny
  2. the role holds the capability, else deny
  3. a relation to the case: team member | accepted referral (a team member in the limited role `referral`)
     | coordinator of the owning organisation | active emergency access (break-the-glass)
  4. case header -> allow (fields limited by role and relation, see `header_scope`)
  5. the item's classification admits the viewer
  6. the viewer's organisation wrote it -> allow
  7. a basis for (viewer organisation, category) exists: `sharing_basis` — an active consent or disclosure;
     under an active emergency access, the emergency access itself
  8. otherwise deny; a viewer with a relation sees a restricted marker
Steps 5–8 for an item are the ordered rules of access/table.py, looked up by `entry_decision` (docs/policy-table.md).

Referral recipients and emergency access are limited: they do not manage the case or its team, and an
emergency access is for reading only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import HEALTH_KINDS, POLICE_KINDS, Membership, Organisation, OrgKind
from utvei.accounts.roles import Cap, Role, has_cap
from utvei.cases.models import (
    RESTRICTED_STATES,
    Case,
    Concern,
    Entry,
    IdentityReader,
    RetentionState,
    Task,
    TeamMember,
    TeamRole,
)
from utvei.core.errors import Forbidden, NotFound
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.models import Person
from utvei.retention.models import RestrictedRead
from utvei.sharing.models import Consent, Disclosure, EmergencyAccess

from . import table
from .table import CROSS_ORG, Basis, Outcome, Relation, Rule

if TYPE_CHECKING:
    from django.utils.functional import Promise


# Relations that may change the case, its team and its sharing; the others are limited.
FULL_RELATIONS = frozenset({Relation.TEAM, Relation.OWNER_COORDINATOR})


class Act(StrEnum):
    """Actions the policy decides."""

    CASE_LIST = "case.list"  # may list cases and tasks at all (no target)
    CASE_OPEN = "case.open"  # may open a case at all (no target)
    CASE_VIEW = "case.view"
    CASE_MANAGE = "case.manage"  # phase, track, header fields, close, reopen
    TEAM_MANAGE = "team.manage"
    ENTRY_CREATE = "entry.create"
    ENTRY_READ = "entry.read"
    ENTRY_EDIT = "entry.edit"
    TASK_CREATE = "task.create"
    TASK_READ = "task.read"
    TASK_EDIT = "task.edit"
    CONCERN_SUBMIT = "concern.submit"
    CONCERN_READ = "concern.read"
    CONCERN_TRIAGE = "concern.triage"
    CONCERN_ANSWER = "concern.answer"
    AUDIT_READ = "audit.read"
    SHARING_RECORD = "sharing.record"  # record or end consents and disclosures
    CASE_EXPORT = "case.export"  # the printable / CSV record of what the viewer may read
    REFERRAL_SEND = "referral.send"
    TRANSFER_SEND = "transfer.send"
    EMERGENCY_OPEN = "emergency.open"  # may break the glass at all (no target)
    EMERGENCY_REVIEW = "emergency.review"  # the DPO's review queue
    ORG_ADMIN = "org.admin"  # administers the organisation (users, roles, catalogues; no target)


# What the lead may do on a restricted case they opened for a reason: read. No export (a copy taken away), no change.
READ_ACTS = frozenset({Act.CASE_VIEW, Act.ENTRY_READ, Act.TASK_READ})

# Classifications a mentor may read besides their own notes: goals, appointments, what the person may see.
MENTOR_READABLE = table.MENTOR_CLASSIFICATIONS


class CaseItem(Protocol):
    """What steps 5–8 read from an item of a case: a timeline entry, an assessment, ..."""

    @property
    def author_id(self) -> Any: ...
    @property
    def author_org_id(self) -> Any: ...
    @property
    def classification(self) -> str: ...
    @property
    def category(self) -> str: ...


@dataclass(frozen=True)
class Decision:
    allowed: bool
    step: str  # which step decided, e.g. "relation", "classification", "author"
    reason: Promise | str  # a sentence for "why can I see this?"
    records: dict[str, Any] = field(default_factory=dict)  # ids of what allowed it (membership, team member)
    restricted_marker: bool = False  # denied, but the viewer may see that the item exists

    def __bool__(self) -> bool:
        return self.allowed


DENY = Decision(False, "default", _("No relation to this case."))


def read_reason(ca: CaseAccess, reason: str = "") -> str:
    """The audit reason of a read: reads under an emergency access carry `emergency`, so the DPO can tell them
    apart."""
    if ca.relation == Relation.EMERGENCY:
        return f"emergency;{reason}" if reason else "emergency"
    if "restricted_read" in ca.records:  # a restricted case, opened for a stated reason (access/retention.py)
        code = f"restricted;{ca.records.get('restricted_code', '')}"
        return f"{code};{reason}"[:64] if reason else code
    return reason


def require(decision: Decision, *, hide: bool = False) -> None:
    """Raise unless the decision allows: 403 with its reason, or with `hide`, 404 as if the object were missing."""
    if not decision:
        if hide:
            raise NotFound(_("Not found."))
        raise Forbidden(decision.reason)


def membership_ok(m: Membership | None) -> bool:
    """Step 1: a current membership of an active user."""
    return m is not None and m.is_current and m.user.is_active


# ---- Cases ---------------------------------------------------------------------------------------------


def _team_rows(m: Membership) -> QuerySet[TeamMember]:
    return TeamMember.objects.current().filter(user_id=m.user_id, organisation_id=m.organisation_id).order_by()


def _emergency_rows(m: Membership) -> QuerySet[Any]:
    now = timezone.now()
    return EmergencyAccess.objects.filter(
        user_id=m.user_id,
        organisation_id=m.organisation_id,
        started_at__lte=now,
        expires_at__gt=now,
        ended_at__isnull=True,
    )


def _active_emergency(m: Membership, case: Case) -> Any:
    """The principal's active emergency access to the case, if their role may hold one."""
    if not has_cap(m.role, Cap.EMERGENCY_ACCESS):
        return None
    return _emergency_rows(m).filter(case=case).order_by("-expires_at").first()


def visible_q(m: Membership | None, case_field: str = "") -> Q | None:
    """Steps 1–3 as a filter on a case (case_field="") or on what points at one (case_field="case"); None: nothing.

    The same parts as `visible_parts`: the owning organisation for a coordinator (a column), and the principal's
    team and emergency cases as a list of ids when there are up to FEW_CASES of them (else a probe of the team
    index per row). A list of ids, not a subquery, because PostgreSQL would hash every team row of a coordinator
    on 100,000 teams for each query. For narrowing rows something else has found, like a user's tasks; to list
    cases, use `visible_parts`.
    """
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CASE_READ):
        return None
    ref = f"{case_field}_id" if case_field else "pk"
    active = Q(**{f"{case_field}__retention_state" if case_field else "retention_state": RetentionState.ACTIVE})
    coordinator = m.role == Role.COORDINATOR
    rows = _team_rows(m).filter(owner_side__in=[False]) if coordinator else _team_rows(m)
    team = list(rows.values_list("case_id", flat=True)[: FEW_CASES + 1])
    few = len(team) <= FEW_CASES
    q = Q(**{f"{ref}__in": team}) if few else Q(Exists(rows.filter(case_id=OuterRef(ref))))
    if coordinator:
        q |= Q(**{f"{case_field}__owning_org_id" if case_field else "owning_org_id": m.organisation_id})
    if has_cap(m.role, Cap.EMERGENCY_ACCESS):
        emergency = list(_emergency_rows(m).values_list("case_id", flat=True))
        if emergency:
            q |= Q(**{f"{ref}__in": emergency})
    return q & active  # a restricted, archived or anonymised case is in no list (access/retention.py)


def visible_cases(m: Membership | None) -> QuerySet[Case]:
    """Steps 1–3 as a queryset: every list, lookup and export starts here (or at `visible_parts`)."""
    q = visible_q(m)
    return Case.objects.none() if q is None else Case.objects.filter(q)  # `q` holds the retention state


# Up to this many team rows, a principal's team cases are read as a list of ids; above it, probed per case.
FEW_CASES = 1000


def visible_parts(m: Membership | None, *, team_only: bool = False) -> list[QuerySet[Case]]:
    """`visible_cases` as the union of parts that each have an index to list them in order: the cases of the
    coordinator's organisation, the principal's team cases, their emergency accesses. A list reads the first rows
    of each part and merges them (core.pagination), so its cost follows what the principal may see and how much
    of it is shown, never the number of cases in the country. The parts do not overlap (a coordinator's team rows
    on their own organisation's cases are left to the first part, by `TeamMember.owner_side`), so their counts add
    up. With `team_only`, the team cases alone ("only cases I am on the team of")."""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CASE_READ):
        return [Case.objects.none()]
    parts: list[QuerySet[Case]] = []
    if m.role == Role.COORDINATOR and not team_only:
        parts.append(Case.objects.filter(owning_org_id=m.organisation_id))
    rows = _team_rows(m)
    if m.role == Role.COORDINATOR and not team_only:  # their own organisation's cases are in the part above
        rows = rows.filter(owner_side__in=[False])  # `= false`, which SQLite finds in the index; `NOT x` it scans
    team = list(rows.values_list("case_id", flat=True)[: FEW_CASES + 1])
    if len(team) <= FEW_CASES:
        parts.append(Case.objects.filter(pk__in=team))
    else:
        parts.append(Case.objects.filter(Exists(rows.filter(case_id=OuterRef("pk")))))
    if has_cap(m.role, Cap.EMERGENCY_ACCESS) and not team_only:
        emergency = list(_emergency_rows(m).values_list("case_id", flat=True))
        if emergency:  # the cases it opens that no part above lists
            on_team = _team_rows(m).filter(case_id__in=emergency).values_list("case_id", flat=True)
            extra = Case.objects.filter(pk__in=set(emergency) - set(on_team))
            if m.role == Role.COORDINATOR:
                extra = extra.exclude(owning_org_id=m.organisation_id)
            parts.append(extra)
    # A case out of active use (restricted, archived, anonymised) is in no list, search, dashboard or export: the
    # DPO and the case lead reach a restricted one by its retention page, for a stated reason.
    return [part.filter(retention_state=RetentionState.ACTIVE) for part in parts]


def relation(m: Membership | None, case: Case) -> tuple[Relation, dict[str, Any]]:
    """The first relation that holds between the principal and the case, with the record behind it."""
    if case.retention_state != RetentionState.ACTIVE:
        return restricted_relation(m, case)
    return base_relation(m, case)


def base_relation(m: Membership | None, case: Case) -> tuple[Relation, dict[str, Any]]:
    """`relation` as if the case were in active use (what a restricted case's lead would have): never read a case
    through it without `relation`'s retention check."""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CASE_READ):
        return Relation.NONE, {}
    member = (
        TeamMember.objects.current()
        .filter(case=case, user_id=m.user_id, organisation_id=m.organisation_id)
        .only("pk", "role")
        .first()
    )
    found = _relation_from(m, case, member, None)
    if found[0] != Relation.NONE:
        return found
    return _relation_from(m, case, None, _active_emergency(m, case))


def _relation_from(m: Membership, case: Case, member: Any, emergency: Any) -> tuple[Relation, dict[str, Any]]:
    """Step 3 from what was loaded: the principal's current team row on the case, or their emergency access."""
    if member is not None:
        rel = Relation.REFERRAL if member.role == TeamRole.REFERRAL else Relation.TEAM
        return rel, {"team_member": member.pk, "team_role": member.role, "membership": m.pk}
    if m.role == Role.COORDINATOR and case.owning_org_id == m.organisation_id:
        return Relation.OWNER_COORDINATOR, {"membership": m.pk}
    if emergency is not None:
        return Relation.EMERGENCY, {
            "emergency_access": str(emergency.public_id),
            "emergency_until": emergency.expires_at.isoformat(),
            "membership": m.pk,
        }
    return Relation.NONE, {}


def restricted_read_in_force(m: Membership, case: Case) -> Any:
    """The principal's opening of a restricted case in force now (a RestrictedRead), if any."""
    return (
        RestrictedRead.objects.in_force()
        .filter(case=case, user_id=m.user_id, organisation_id=m.organisation_id)
        .order_by("-expires_at")
        .first()
    )


def restricted_relation(m: Membership | None, case: Case) -> tuple[Relation, dict[str, Any]]:
    """A case out of active use. Restricted (or archived and kept restricted): only its lead reads it on the case
    pages and in the API, through their own relation (team or owning coordinator), and only while an opening for a
    stated reason is in force (access/retention.py `restricted_open_decision`); the records carry it, so every read
    is audited with `restricted;<code>`. Emergency access does not open it. Anonymised: nobody."""
    if case.retention_state not in RESTRICTED_STATES or m is None:
        return Relation.NONE, {}
    rel, records = base_relation(m, case)
    if rel not in FULL_RELATIONS or case.lead_id != m.user_id:
        return Relation.NONE, {}
    opened = restricted_read_in_force(m, case)
    if opened is None:
        return Relation.NONE, {}
    return rel, {**records, "restricted_read": str(opened.public_id), "restricted_code": opened.reason_code}


def relation_in(records: Mapping[str, Any]) -> Relation:
    """The relation the records of a decision name (those `_relation_from` writes), to say it in words ("why can
    I see this?"). No queries. Relation.NONE when they name none."""
    if records.get("emergency_access"):
        return Relation.EMERGENCY
    if records.get("team_member"):
        return Relation.REFERRAL if records.get("team_role") == TeamRole.REFERRAL else Relation.TEAM
    if records.get("membership"):
        return Relation.OWNER_COORDINATOR
    return Relation.NONE


def reads_cases(m: Membership) -> bool:
    """Does the principal's role work on cases at all (a coordinator, caseworker or mentor)? For lists of
    memberships already known to be current; a single principal asks `can(m, Act.CASE_LIST)`."""
    return has_cap(m.role, Cap.CASE_READ)


def reads_in_full(m: Membership) -> bool:
    """Does the principal's role read a case as coordinators and caseworkers do (not as a mentor)?"""
    return has_cap(m.role, Cap.CASE_READ_FULL)


@dataclass
class CaseAccess:
    """The principal's standing on one case, computed once and reused for every item on a page."""

    membership: Membership
    case: Case
    relation: Relation
    records: dict[str, Any]

    _bases: tuple[list[Any], list[Any]] | None = None
    _shielded: bool | None = None  # the person's identity is hidden from the principal (`identity_shielded`)

    @property
    def full(self) -> bool:
        return reads_in_full(self.membership)

    def bases(self) -> tuple[list[Any], list[Any]]:
        """The case's consents and disclosures, loaded once per request (two queries) for every item."""
        if self._bases is None:
            consents = list(Consent.objects.filter(case=self.case).prefetch_related("scope_orgs"))
            disclosures = list(Disclosure.objects.filter(case=self.case).select_related("legal_basis"))
            self._bases = (consents, disclosures)
        return self._bases


def case_access(m: Membership | None, case: Case) -> CaseAccess | None:
    rel, records = relation(m, case)
    if rel == Relation.NONE or m is None:
        return None
    return CaseAccess(m, case, rel, records)


def case_accesses(m: Membership | None, cases: Iterable[Case], *, with_bases: bool = True) -> dict[int, CaseAccess]:
    """`case_access` for many cases at once, keyed by case pk; cases without a relation are absent.

    The same relations as `relation` (the same first team row, the same emergency access), and each case's
    consents and disclosures loaded with it: a constant number of queries however many cases, for lists that
    decide item by item (the dashboard's overdue list, the reminder pass).
    """
    every = list(cases)
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CASE_READ) or not every:
        return {}
    _load_states(every)
    cases = [c for c in every if c.retention_state == RetentionState.ACTIVE]
    held = {c.pk: CaseAccess(m, c, *relation(m, c)) for c in every if c.retention_state != RetentionState.ACTIVE}
    members: dict[int, TeamMember] = {}
    team = TeamMember.objects.current().filter(
        case_id__in=[c.pk for c in cases], user_id=m.user_id, organisation_id=m.organisation_id
    )
    for member in team.only("pk", "role", "case_id"):
        members.setdefault(member.case_id, member)
    found = {c.pk: _relation_from(m, c, members.get(c.pk), None) for c in cases}
    rest = [pk for pk, (rel, _records) in found.items() if rel == Relation.NONE]
    if rest and has_cap(m.role, Cap.EMERGENCY_ACCESS):
        now = timezone.now()
        active = EmergencyAccess.objects.filter(
            case_id__in=rest,
            user_id=m.user_id,
            organisation_id=m.organisation_id,
            started_at__lte=now,
            expires_at__gt=now,
            ended_at__isnull=True,
        ).order_by("-expires_at")
        emergencies: dict[int, Any] = {}
        for access in active:
            emergencies.setdefault(access.case_id, access)
        for c in cases:
            if c.pk in emergencies:
                found[c.pk] = _relation_from(m, c, None, emergencies[c.pk])
    out = {c.pk: CaseAccess(m, c, *found[c.pk]) for c in cases if found[c.pk][0] != Relation.NONE}
    out.update({pk: ca for pk, ca in held.items() if ca.relation != Relation.NONE})
    if with_bases:
        load_bases(list(out.values()))
    return out


def _load_states(cases: list[Case]) -> None:
    """Each case's retention state, in one query for those loaded without it (`.only(...)`), not one per case."""
    deferred = [c for c in cases if "retention_state" in c.get_deferred_fields()]
    if deferred:
        states = dict(Case.objects.filter(pk__in=[c.pk for c in deferred]).values_list("pk", "retention_state"))
        for c in deferred:
            c.retention_state = states.get(c.pk, RetentionState.ANONYMISED)  # gone meanwhile: as good as nothing


def load_bases(accesses: list[CaseAccess]) -> None:
    """Each case's consents and disclosures, for all of them in three queries (`CaseAccess.bases`)."""
    if not accesses:
        return
    pks = [ca.case.pk for ca in accesses]
    consents: dict[int, list[Any]] = {pk: [] for pk in pks}
    disclosures: dict[int, list[Any]] = {pk: [] for pk in pks}
    for consent in Consent.objects.filter(case_id__in=pks).prefetch_related("scope_orgs"):
        consents[consent.case_id].append(consent)
    for disclosure in Disclosure.objects.filter(case_id__in=pks).select_related("legal_basis"):
        disclosures[disclosure.case_id].append(disclosure)
    for ca in accesses:
        ca._bases = (consents[ca.case.pk], disclosures[ca.case.pk])


# Header fields that carry a data category of the owning organisation's, for step 7.
_HEADER_CATEGORIES = {
    "person": DataCategory.IDENTITY,
    "ideologies": DataCategory.IDEOLOGY,
    "motivation_stage": DataCategory.ASSESSMENT,
}


def header_scope(ca: CaseAccess) -> frozenset[str]:
    """Which header fields the principal may see (step 4: the header itself is limited by role). Under a protected
    identity, the person only for the case lead and the team members the lead names (`identity_shielded`)."""
    scope = _header_scope(ca)
    if "person" in scope and identity_shielded(ca):
        return scope - {"person"}
    return scope


def copy_scope(ca: CaseAccess) -> frozenset[str]:
    """The header fields a copy taken away may carry — an export, a print, the minutes: `header_scope`, but never
    the person under a protected identity, whoever asks (the lead and named readers too: references only)."""
    scope = header_scope(ca)
    if "person" in scope and is_protected(ca.case):
        return scope - {"person"}
    return scope


def _header_scope(ca: CaseAccess) -> frozenset[str]:
    base = {"reference", "track", "phase", "owning_org", "lead", "opened_at", "closed_at", "team"}
    if not ca.full:
        # A mentor: the header's facts, and what a consent or a disclosure covers their organisation for — who the
        # person is, above all: a mentor must know whom they meet (issue 12). Nothing else of the file.
        gated = {f for f, category in _HEADER_CATEGORIES.items() if sharing_basis(ca, category, ca.case.owning_org_id)}
        return frozenset(base | gated)
    if ca.relation == Relation.REFERRAL:
        gated = {"person", "ideologies"}
    else:
        gated = set(_HEADER_CATEGORIES)
        base |= {"threat_clarified_at", "closure_reason", "closure_summary", "previous_case", "phase_history"}
        if ca.membership.role == Role.COORDINATOR or ca.relation in {Relation.TEAM, Relation.EMERGENCY}:
            base |= {"safety_plan"}
    owner = ca.case.owning_org_id
    if ca.membership.organisation_id == owner or ca.relation == Relation.EMERGENCY:
        return frozenset(base | gated)
    # Another organisation sees who the person is, their orientation and the judged stage only while a consent
    # or disclosure covers that category: step 7 applies to the header as it does to the timeline.
    base |= {field for field in gated if sharing_basis(ca, _HEADER_CATEGORIES[field], owner)}
    return frozenset(base)


def identity_readable(m: Membership | None, cases: Iterable[Case]) -> set[int]:
    """The cases among `cases` whose person the principal may know by name — where the case header would show
    them (`header_scope`: the identity category of the owning organisation, issue 13; under a protected identity
    only the lead and the named readers). A search by name or birth date finds only these. A constant number of
    queries however many cases (`case_accesses`)."""
    return _identity_readable(m, cases)[0]


def listed_names(m: Membership | None, cases: Iterable[Case]) -> set[int]:
    """The cases among `cases` whose list rows may carry the person's name: those of `identity_readable` whose
    person has no protected identity. Under a protected identity every list shows the reference only, to the lead
    and the named readers too (issue 14). A constant number of queries."""
    readable, protected = _identity_readable(m, cases)
    return readable - protected


# ---- Protected identities (issue 14, deliverable 5) ----------------------------------------------------


def is_protected(case: Case) -> bool:
    """Does the case's person have a protected identity? No query when the person is loaded with the case."""
    if Case.person.is_cached(case):
        return bool(case.person.protected_identity)
    return Person.objects.filter(pk=case.person_id, protected_identity=True).exists()


def _protected_cases(cases: list[Case]) -> dict[int, Any]:
    """The cases among these whose person has a protected identity, with their lead's id: no query when the persons
    and the leads are loaded with the cases, else one."""
    out: dict[int, Any] = {}
    rest = []
    for c in cases:
        if Case.person.is_cached(c) and "lead_id" not in c.get_deferred_fields():
            if c.person.protected_identity:
                out[c.pk] = c.lead_id
        else:
            rest.append(c.pk)
    if rest:
        found = Case.objects.filter(pk__in=rest, person__protected_identity=True).values_list("pk", "lead_id")
        out.update(found.order_by())
    return out


def is_identity_lead(ca: CaseAccess, lead_id: Any = None) -> bool:
    """Is the principal the case lead (`lead_id`, else the case's), working on the case (a full relation)? The lead
    always reads a protected identity: they must work with the person."""
    lead = ca.case.lead_id if lead_id is None else lead_id
    return lead == ca.membership.user_id and ca.relation in FULL_RELATIONS


def identity_shielded(ca: CaseAccess) -> bool:
    """Is the person's identity hidden from the principal by a protected identity (sperret adresse)? For everyone
    but the case lead and the team members the lead names (`IdentityReader`): the rest of the team, the owner's
    coordinators, referral recipients and emergency access see the reference only. At most two queries per
    request (cached on the CaseAccess)."""
    if ca._shielded is None:
        if not is_protected(ca.case) or is_identity_lead(ca):
            ca._shielded = False
        else:
            member = ca.records.get("team_member")
            named = bool(member) and IdentityReader.objects.filter(member_id=member, removed_at__isnull=True).exists()
            ca._shielded = not named
    return ca._shielded


def concern_identity_visible(m: Membership | None, concern: Concern) -> bool:
    """May the principal see who a concern is about on its intake page (name, identity number, birth date)? Yes,
    until the case it opened has a protected identity: then only where they read that identity (the lead and the
    named readers) — the intake page must not be a way round it."""
    if concern.case_id is None:
        return True
    case = concern.case
    assert case is not None
    return not is_protected(case) or case.pk in identity_readable(m, [case])


def protection_decision(ca: CaseAccess) -> Decision:
    """May the principal set or lift the protected identity on this case, and name who reads it? The case lead and
    the owning organisation's coordinators, with a full relation, on an open case. (A coordinator who sets it does
    not read the identity unless they lead the case or are named.)"""
    m = ca.membership
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    owner_coordinator = m.organisation_id == ca.case.owning_org_id and has_cap(m.role, Cap.CASE_MANAGE)
    if not (is_identity_lead(ca) or owner_coordinator):
        return Decision(
            False, "capability", _("Only the case lead or a coordinator of the owning organisation can do this.")
        )
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    return Decision(True, "relation", _relation_reason(ca), dict(ca.records))


def identity_reader_allowed(member: TeamMember) -> bool:
    """May this team row be named to read a protected identity? A current member of the team whose role works on
    cases (not the lead: they read it anyway)."""
    return member.role != TeamRole.LEAD


def _identity_readable(m: Membership | None, cases: Iterable[Case]) -> tuple[set[int], set[int]]:
    """(the cases whose person the principal may know, the protected ones among them)."""
    accesses = case_accesses(m, cases, with_bases=False)
    # The owning organisation's full readers and an emergency access see who the person is without a basis
    # (`header_scope`); only the rest need the cases' consents and disclosures.
    load_bases(
        [
            ca
            for ca in accesses.values()
            if not (ca.full and (ca.case.owning_org_id == ca.membership.organisation_id))
            and ca.relation != Relation.EMERGENCY
        ]
    )
    readable = {pk for pk, ca in accesses.items() if "person" in _header_scope(ca)}
    protected = _protected_cases([accesses[pk].case for pk in readable])
    shielded = {pk for pk, lead in protected.items() if not is_identity_lead(accesses[pk], lead or 0)}
    members = {accesses[pk].records.get("team_member"): pk for pk in shielded}
    members.pop(None, None)
    if members:
        named = IdentityReader.objects.filter(member_id__in=list(members), removed_at__isnull=True)
        shielded -= {members[x] for x in named.values_list("member_id", flat=True)}
    for pk in readable:
        accesses[pk]._shielded = pk in shielded
    return readable - shielded, set(protected) - shielded


# ---- Items (entries, tasks) ----------------------------------------------------------------------------
#
# Steps 5–8 for timeline entries are the rules of access/table.py: entry_decision works out the viewer's basis
# for the entry and looks it up there. See docs/policy-table.md.


def classification_admits(m: Membership, classification: str, author_org_id: int) -> bool:
    """Step 5 alone, read off the table: would the compartment let this viewer read an item, given a basis?"""
    if not has_cap(m.role, Cap.CASE_READ) or classification not in Classification.values:
        return False
    basis = Basis.OWN_ORG if m.organisation_id == author_org_id else Basis.CONSENT
    verdict = table.outcome(
        role=m.role,
        sector=table.sector_of(m.organisation.kind),
        relation=Relation.TEAM,
        classification=classification,
        category=DataCategory.PLAN,  # a wildcard in every rule: the category counts through the basis
        basis=basis,
    )
    return verdict == Outcome.READ


# The purpose a team reads under. Evaluation and research read through the evidence engine, never here.
READ_PURPOSE = "coordination"


def basis_state(ca: CaseAccess, category: str, author_org_id: int) -> tuple[Basis, dict[str, Any]]:
    """The viewer organisation's basis to receive `category` from the author's organisation, and its records.

    consent: an active consent covering (viewer organisation or its kind, category, coordination); disclosure:
    an active disclosure of the category from the author's organisation to the viewer's; lapsed: one of those
    exists but is not in force now (withdrawn, revoked, expired, not yet valid); none. No queries once the case's
    records are loaded (`ca.bases()`, once per request), and nothing is cached across requests: a withdrawal
    works on the next one.
    """
    consents, disclosures = ca.bases()
    now = timezone.now()
    org = ca.membership.organisation
    by_consent = [c.public_id for c in consents if c.covers(org, category, READ_PURPOSE, now)]
    if by_consent:
        return Basis.CONSENT, {"consent": [str(x) for x in by_consent]}
    mine = [d for d in disclosures if d.from_org_id == author_org_id]
    by_disclosure = [d.public_id for d in mine if d.covers(org, category, now)]
    if by_disclosure:
        return Basis.DISCLOSURE, {"disclosure": [str(x) for x in by_disclosure]}
    # Would have covered it while in force (each record is asked at its own start).
    lapsed = any(c.covers(org, category, READ_PURPOSE, c.valid_from) for c in consents) or any(
        d.covers(org, category, d.decided_at) for d in mine
    )
    return (Basis.LAPSED if lapsed else Basis.NONE), {}


_CLASSIFICATION_REASON = _("The classification of this entry does not include you.")
_CONSENT_REASON = _("The person's consent covers your organisation for this.")
_DISCLOSURE_REASON = _("A recorded disclosure to your organisation covers this.")
_EMERGENCY_REASON = _("Your emergency access lets you read this until it expires.")
_NO_BASIS_REASON = _("No consent or disclosure lets your organisation read this kind of information.")


def sharing_basis(ca: CaseAccess, category: str, author_org_id: int) -> Decision:
    """Step 7: a basis for the viewer's organisation to receive content of this category from the author's.

    An active consent or disclosure (`basis_state`); under an active emergency access, the access itself.
    Withdrawn, revoked, expired and not-yet-valid records never count. (Timeline entries go through the table,
    `entry_decision`; this is for the case header, `header_scope`.)
    """
    basis, found = basis_state(ca, category, author_org_id)
    if basis == Basis.CONSENT:
        return Decision(True, "basis", _CONSENT_REASON, {**ca.records, **found})
    if basis == Basis.DISCLOSURE:
        return Decision(True, "basis", _DISCLOSURE_REASON, {**ca.records, **found})
    if ca.relation == Relation.EMERGENCY:
        return Decision(True, "emergency", _EMERGENCY_REASON, dict(ca.records))
    return Decision(False, "basis", _NO_BASIS_REASON, restricted_marker=True)


# Taking part says something about the person: a health service on the team says they are in care, the police or
# the correctional service that they are a criminal matter. Who is on the team for such an organisation is itself
# data of that category.
MEMBERSHIP_CATEGORY: dict[str, str] = {
    **{kind: DataCategory.HEALTH for kind in HEALTH_KINDS},
    **{kind: DataCategory.CRIMINAL for kind in (*POLICE_KINDS, OrgKind.CORRECTIONAL_SERVICE)},
}


def membership_visible(ca: CaseAccess, org: Organisation) -> bool:
    """May the principal see that this organisation (and its people) takes part in the case? Always for most; for
    a health, police or correctional organisation only its own people, the owning organisation, an emergency access
    and those with a basis for that category from the owner (a consent or a disclosure). The others see that "a
    service with restricted membership" takes part. No queries beyond the case's bases, once per request."""
    category = MEMBERSHIP_CATEGORY.get(org.kind)
    if category is None:
        return True
    m = ca.membership
    if m.organisation_id in (org.pk, ca.case.owning_org_id) or ca.relation == Relation.EMERGENCY:
        return True
    return bool(sharing_basis(ca, category, ca.case.owning_org_id))


def orgs_without_basis(case: Case, org_ids: Iterable[int]) -> list[Organisation]:
    """Of these organisations, those with no basis for sharing on the case now, by name: no active consent names
    the organisation or its kind, and no active disclosure goes to it, whatever the category or purpose.

    The `planning → active` precondition asks it for the team's organisations besides the owner (DESIGN §2:
    sharing needs a basis). Which categories each may read is decided item by item (`basis_state`). Two queries
    for the case's consents and disclosures, one for the organisations.
    """
    wanted = set(org_ids)
    if not wanted:
        return []
    now = timezone.now()
    consents = [c for c in Consent.objects.filter(case=case).prefetch_related("scope_orgs") if c.is_active(now)]
    covered = {d.to_org_id for d in Disclosure.objects.filter(case=case) if d.is_active(now)}
    return [
        org
        for org in Organisation.objects.filter(pk__in=wanted).order_by("name")
        if org.pk not in covered and not any(org.kind in c.scope_kinds or org.pk in c.scope_org_ids() for c in consents)
    ]


def entry_decision(ca: CaseAccess, entry: CaseItem) -> Decision:
    """Steps 5–8 for one timeline entry: the viewer's basis for it, looked up in the table (access/table.py).

    Makes no queries when entry.author_org is loaded; the case's consents and disclosures are loaded (once per
    request) only when the rule depends on them.
    """
    m = ca.membership
    if entry.author_id == m.user_id and entry.author_org_id == m.organisation_id:
        bases: frozenset[str] = frozenset({Basis.SELF})
    elif entry.author_org_id == m.organisation_id:
        bases = frozenset({Basis.OWN_ORG})
    else:
        bases = CROSS_ORG
    facts = {
        "role": m.role,
        "sector": table.sector_of(m.organisation.kind),
        "relation": ca.relation,
        "classification": entry.classification,
        "category": entry.category,
    }
    found: dict[str, Any] = {}
    try:
        rule = table.first_rule(**facts, bases=bases)
        if rule is None:  # the sharing records decide
            basis, found = basis_state(ca, entry.category, entry.author_org_id)
            rule = table.rule_for(**facts, basis=basis)
    except ValueError:  # a value the table does not know: deny
        return Decision(False, "classification", _CLASSIFICATION_REASON, restricted_marker=ca.full)
    return _item_decision(ca, rule, found)


def _item_decision(ca: CaseAccess, rule: Rule, found: dict[str, Any]) -> Decision:
    """The table's verdict as a Decision: the step, a sentence for "why can I see this?", and the records."""
    marker = rule.outcome == Outcome.MARKER
    if rule.outcome != Outcome.READ:
        if rule.step == "classification":
            reason: Any = _CLASSIFICATION_REASON
        elif rule.step == "basis":
            reason = _NO_BASIS_REASON
        else:  # a no_case rule: cannot happen with a CaseAccess, but deny all the same
            reason = DENY.reason
        return Decision(False, rule.step, reason, restricted_marker=marker)
    records = {**ca.records, **found}
    if rule.step == "author":
        return Decision(True, rule.step, _("You wrote this entry."), records)
    if rule.step == "own_org":
        return Decision(True, rule.step, _("Your organisation wrote this entry."), records)
    if rule.step == "emergency":
        return Decision(True, rule.step, _EMERGENCY_REASON, records)
    return Decision(True, rule.step, _CONSENT_REASON if "consent" in found else _DISCLOSURE_REASON, records)


def writable_classifications(m: Membership) -> list[str]:
    """The classifications a principal may give an entry: only compartments they could read themselves."""
    if not has_cap(m.role, Cap.ENTRY_WRITE):
        return []
    allowed = [c for c in Classification.values if classification_admits(m, c, m.organisation_id)]
    if not has_cap(m.role, Cap.CASE_READ_FULL):
        allowed.append(Classification.OWN_ORG)
    return sorted(set(allowed), key=Classification.values.index)


def task_visible(ca: CaseAccess, task: Task) -> bool:
    """May the principal know the task is there (its row, due date and status)? Its words: `task_read_decision`."""
    if ca.full:
        return True
    return task.assignee_id == ca.membership.user_id


@dataclass(frozen=True)
class _TaskSource:
    """A task made from classified content, as the item steps 5–8 read: its source's organisation and compartment."""

    author_id: Any
    author_org_id: Any
    classification: str
    category: str


def task_read_decision(ca: CaseAccess, task: Task) -> Decision:
    """May the principal read the task's words? A task written on the case page: whoever sees it. A task made from
    a meeting's decision keeps the meeting's classification and category: its assignee reads it (it is theirs to
    do), anyone else as they would read the meeting — else they see that a task is there, not what it says. No
    queries beyond the case's bases, once per request."""
    if not task_visible(ca, task):
        return Decision(False, "task", _("Not your task."))
    if not task.classification or task.assignee_id == ca.membership.user_id:
        return Decision(True, "task", _relation_reason(ca))
    decision = entry_decision(
        ca, _TaskSource(task.created_by_id, task.source_org_id, task.classification, task.category)
    )
    if decision:
        return decision
    return Decision(False, decision.step, _TASK_RESTRICTED_REASON, restricted_marker=True)


_TASK_RESTRICTED_REASON = _("This task comes from a meeting whose content you may not read.")


def task_edit_decision(ca: CaseAccess, task: Task) -> Decision:
    """May the principal change this task's status? No queries: use it per row. Only someone who may read it."""
    m = ca.membership
    if not task_visible(ca, task):
        return Decision(False, "task", _("Not your task."))
    if not task_read_decision(ca, task):
        return Decision(False, "task", _TASK_RESTRICTED_REASON)
    if ca.relation == Relation.EMERGENCY:
        return _limited(ca)
    if task.assignee_id == m.user_id or (has_cap(m.role, Cap.CASE_MANAGE) and ca.relation in FULL_RELATIONS):
        return Decision(True, "task", _relation_reason(ca))
    return Decision(False, "task", _("Only the assignee or a coordinator can change this task."))


# ---- Opening a case, joining its team -------------------------------------------------------------------


def case_open_decision(m: Membership) -> Decision:
    """May the principal open a case (from a concern they triage, or a new one after a closed case)? The role
    alone decides, as it always has: the callers (triage, reopen, the data builders) have checked the rest."""
    if not has_cap(m.role, Cap.CASE_OPEN):
        return Decision(False, "capability", _("Only a coordinator can open a case."))
    return Decision(True, "capability", _("Your role allows this."), {"membership": m.pk})


def team_join_decision(member: Membership, team_role: str) -> Decision:
    """May this membership join a case's team in this team role? Its role must work on cases, and a mentor joins
    only as a mentor. (Whether the principal may change the team is `can(…, Act.TEAM_MANAGE)`.) The step is the
    error code the service answers with."""
    if not has_cap(member.role, Cap.CASE_READ):
        return Decision(False, "role_cannot_join", _("That user's role cannot work on cases."))
    if member.role == Role.MENTOR and team_role != TeamRole.MENTOR:
        return Decision(False, "mentor_role", _("A mentor joins a team in the mentor role."))
    return Decision(True, "team", _("Their role works on cases."), {"membership": member.pk})


def team_organisations() -> QuerySet[Organisation]:
    """The organisations whose people may be added to a team: those with a current member in a role that works on
    cases (issue 14, deliverable 3). The sharing gate still decides, entry by entry, what each may read."""
    roles = [r for r in Role.values if has_cap(r, Cap.CASE_READ)]
    members = Membership.objects.active().filter(role__in=roles, user__is_active=True)
    return Organisation.objects.filter(pk__in=members.values("organisation_id")).order_by("name")


def team_candidates(ca: CaseAccess, organisation: Organisation, words: str, *, limit: int = 20) -> list[Membership]:
    """Who the principal may add to the case's team from `organisation`, found by name or username: its current
    members in a role that works on cases, active users, not on the team already. Only for a principal who may
    change the team (`Act.TEAM_MANAGE`); nothing otherwise."""
    if not can(ca.membership, Act.TEAM_MANAGE, ca):
        return []
    roles = [r for r in Role.values if has_cap(r, Cap.CASE_READ)]
    found = Membership.objects.active().filter(organisation=organisation, role__in=roles, user__is_active=True)
    for word in words.split()[:4]:
        found = found.filter(
            Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word) | Q(user__username__icontains=word)
        )
    on_team = TeamMember.objects.current().filter(case=ca.case, organisation=organisation).values("user_id")
    found = found.exclude(user_id__in=on_team).select_related("user", "organisation")
    return list(found.order_by("user__last_name", "user__first_name", "user__username")[:limit])


# ---- The one entry point -------------------------------------------------------------------------------


def can(m: Membership | None, action: Act | str, target: Any = None) -> Decision:
    """May this principal do `action` to `target`? Returns a Decision that says why.

    For an action on the case itself, pass the request's `CaseAccess` as the target (from `case_get`): the
    relation is then not looked up again. Entry and task actions take the entry or task.
    """
    if not membership_ok(m) or m is None:
        return Decision(False, "membership", _("You have no active membership."))
    role = m.role
    if action == Act.CONCERN_SUBMIT:
        return _cap(m, Cap.CONCERN_SUBMIT)
    if action in {Act.AUDIT_READ, Act.EMERGENCY_REVIEW}:
        return _cap(m, Cap.AUDIT_READ)
    if action == Act.EMERGENCY_OPEN:
        if has_cap(role, Cap.EMERGENCY_ACCESS):
            return Decision(True, "capability", _("Your role allows emergency access."), {"membership": m.pk})
        return Decision(False, "capability", _("Your role cannot use emergency access."))
    if action == Act.CONCERN_TRIAGE and target is None:
        return _cap(m, Cap.CONCERN_TRIAGE)  # may see an intake queue at all
    if action in {Act.CONCERN_READ, Act.CONCERN_TRIAGE, Act.CONCERN_ANSWER}:
        return _concern(m, action, target)
    if action == Act.CASE_LIST:
        return _cap(m, Cap.CASE_READ)
    if action == Act.CASE_OPEN:
        return case_open_decision(m)
    if action == Act.ORG_ADMIN:
        return _cap(m, Cap.ORG_ADMIN)
    if not has_cap(role, Cap.CASE_READ):
        return Decision(False, "capability", _("Your role does not give access to case content."))
    if isinstance(target, CaseAccess):  # the request's standing on the case, worked out once (case_get)
        if target.membership.pk != m.pk:
            return DENY
        ca: CaseAccess | None = target
        case = target.case
        target = case
    else:
        found = _case_of(target)
        if found is None:
            return DENY
        case = found
        ca = case_access(m, case)
    if ca is None:
        return DENY
    if case.retention_state != RetentionState.ACTIVE and action not in READ_ACTS:
        return Decision(
            False, "restricted", _("The case is restricted: it can be read for a stated reason, not changed.")
        )
    if action == Act.CASE_VIEW:
        return Decision(True, "relation", _relation_reason(ca), dict(ca.records))
    if action == Act.CASE_EXPORT:
        return Decision(True, "relation", _relation_reason(ca), dict(ca.records))
    if action in {Act.CASE_MANAGE, Act.TEAM_MANAGE}:
        if not has_cap(role, Cap.CASE_MANAGE):
            return Decision(False, "capability", _("Only a coordinator can do this."))
        if ca.relation not in FULL_RELATIONS:
            return _limited(ca)
        return Decision(True, "relation", _relation_reason(ca), dict(ca.records))
    if action in {Act.REFERRAL_SEND, Act.TRANSFER_SEND}:
        return _refer(ca, action)
    if action == Act.SHARING_RECORD:
        if ca.relation in {Relation.EMERGENCY, Relation.REFERRAL}:
            return _limited(ca)
        if not (has_cap(role, Cap.CASE_READ_FULL) and has_cap(role, Cap.ENTRY_WRITE)):
            return Decision(
                False, "capability", _("Only a coordinator or a caseworker can record consent and disclosures.")
            )
        return Decision(True, "relation", _relation_reason(ca), dict(ca.records))
    if ca.relation == Relation.EMERGENCY and action in {Act.ENTRY_CREATE, Act.ENTRY_EDIT, Act.TASK_CREATE}:
        return _limited(ca)
    if action == Act.ENTRY_CREATE:
        if case.is_closed:
            return Decision(False, "closed", _("The case is closed."))
        return _cap(m, Cap.ENTRY_WRITE)
    if action == Act.ENTRY_READ:
        return entry_decision(ca, target)
    if action == Act.ENTRY_EDIT:
        read = entry_decision(ca, target)
        if not read or not has_cap(role, Cap.ENTRY_WRITE):
            return Decision(False, "edit", _("You cannot edit this entry."))
        if target.author_org_id != m.organisation_id:
            return Decision(False, "edit", _("Only the organisation that wrote an entry can edit it."))
        if case.is_closed:
            return Decision(False, "closed", _("The case is closed."))
        return read
    if action == Act.TASK_CREATE:
        return _cap(m, Cap.TASK_WRITE)
    if action == Act.TASK_READ:
        ok = task_visible(ca, target)
        return Decision(ok, "task", _relation_reason(ca) if ok else _("Not your task."))
    if action == Act.TASK_EDIT:
        return task_edit_decision(ca, target)
    return DENY


def _cap(m: Membership, cap: Cap) -> Decision:
    if has_cap(m.role, cap):
        return Decision(True, "capability", _("Your role allows this."), {"membership": m.pk})
    return Decision(False, "capability", _("Your role does not allow this."))


def _case_of(target: Any) -> Case | None:
    if isinstance(target, Case):
        return target
    if isinstance(target, Entry | Task):
        return target.case
    return None


def _limited(ca: CaseAccess) -> Decision:
    if ca.relation == Relation.EMERGENCY:
        return Decision(False, "relation", _("Emergency access is for reading only."))
    return Decision(False, "relation", _("You joined this case through a referral, in a limited role."))


def _refer(ca: CaseAccess, action: str) -> Decision:
    """Referrals: coordinators and caseworkers of the team or the owner. Transfers: the owner's coordinators."""
    m = ca.membership
    if ca.case.is_closed:
        return Decision(False, "closed", _("The case is closed."))
    if ca.relation not in FULL_RELATIONS:
        return _limited(ca)
    if action == Act.TRANSFER_SEND:
        if not has_cap(m.role, Cap.CASE_MANAGE) or m.organisation_id != ca.case.owning_org_id:
            return Decision(False, "capability", _("Only a coordinator in the owning organisation can transfer it."))
        return Decision(True, "relation", _relation_reason(ca), dict(ca.records))
    if not (has_cap(m.role, Cap.CASE_READ_FULL) and has_cap(m.role, Cap.ENTRY_WRITE)):
        return Decision(False, "capability", _("Only a coordinator or a caseworker can refer a case."))
    return Decision(True, "relation", _relation_reason(ca), dict(ca.records))


def _relation_reason(ca: CaseAccess) -> Promise | str:
    if ca.relation == Relation.TEAM:
        return _("You are on this case's team.")
    if ca.relation == Relation.REFERRAL:
        return _("Your organisation accepted a referral of this case; you are on the team in a limited role.")
    if ca.relation == Relation.EMERGENCY:
        return _("You opened this case with emergency access. The use is logged and reviewed.")
    return _("You are a coordinator in the organisation that owns this case.")


def _concern(m: Membership, action: str, concern: Concern | None) -> Decision:
    if concern is None:
        return DENY
    reporter = concern.reporter_id == m.user_id and concern.reporter_org_id == m.organisation_id
    if action == Act.CONCERN_READ and reporter:
        return Decision(True, "reporter", _("You submitted this concern."))
    if action == Act.CONCERN_ANSWER:
        # The reporter answers the receiving organisation's question, while it waits for the answer.
        if not reporter:
            return DENY
        if concern.status != "awaiting_info":
            return Decision(False, "state", _("There is no open question about this concern."))
        return Decision(True, "reporter", _("You submitted this concern and were asked for more information."))
    if has_cap(m.role, Cap.CONCERN_TRIAGE) and concern.receiving_org_id == m.organisation_id:
        return Decision(True, "intake", _("Your organisation received this concern."), {"membership": m.pk})
    return DENY


def visible_concerns(m: Membership | None) -> QuerySet[Concern]:
    """Concerns in the principal's intake queue (coordinators of the receiving organisation)."""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CONCERN_TRIAGE):
        return Concern.objects.none()
    return Concern.objects.filter(receiving_org_id=m.organisation_id)


def intake_organisations() -> QuerySet[Organisation]:
    """Organisations that can receive a concern: those with at least one active membership, started, in a role
    that triages concerns (a coordinator)."""
    now = timezone.now()
    roles = [r for r in Role.values if has_cap(r, Cap.CONCERN_TRIAGE)]
    return (
        Organisation.objects.filter(
            memberships__role__in=roles, memberships__is_active=True, memberships__valid_from__lte=now
        )
        .distinct()
        .order_by("name")
    )


def parallel_check_decision(m: Membership | None) -> Decision:
    """May the principal learn whether another organisation has an open case for the person they are registering
    (issue 13, deliverable 2)? Coordinators, who triage concerns and open cases: they are told which organisation,
    never what is in its case — the same as the referral they may then ask for would tell."""
    if not membership_ok(m) or m is None or not has_cap(m.role, Cap.CASE_OPEN):
        return Decision(False, "capability", _("Only a coordinator can check for cases elsewhere."))
    return Decision(True, "capability", _("Your role allows this."), {"membership": m.pk})


def parallel_inquiries_decision(ca: CaseAccess) -> Decision:
    """May the principal see and handle other organisations' requests to collaborate on this case? The owning
    organisation's coordinators with a full relation: the requests are addressed to the owner."""
    m = ca.membership
    if m.organisation_id == ca.case.owning_org_id and m.role == Role.COORDINATOR and ca.relation in FULL_RELATIONS:
        return Decision(True, "owner", _("Your organisation owns this case."), ca.records)
    return DENY


def concern_triagers(org: Organisation | Any) -> list[Membership]:
    """Everyone who triages the concerns an organisation receives (its current coordinators): who is alerted to
    an acute concern."""
    roles = [r for r in Role.values if has_cap(r, Cap.CONCERN_TRIAGE)]
    return list(
        Membership.objects.active()
        .filter(organisation=org, role__in=roles, user__is_active=True)
        .select_related("user", "organisation")
    )


def own_concerns(m: Membership | None) -> QuerySet[Concern]:
    """Receipts: the concerns this principal submitted."""
    if not membership_ok(m) or m is None:
        return Concern.objects.none()
    return Concern.objects.filter(reporter_id=m.user_id, reporter_org_id=m.organisation_id)


def explain(m: Membership | None, target: Any) -> Decision:
    """Why the principal can (or cannot) see the target: the step and the record that decided."""
    if isinstance(target, Entry):
        return can(m, Act.ENTRY_READ, target)
    if isinstance(target, Task):
        return can(m, Act.TASK_READ, target)
    return can(m, Act.CASE_VIEW, target)
