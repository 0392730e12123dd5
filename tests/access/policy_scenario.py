"""Builds, from the rows of utvei.access.table, the cases that test_policy_table.py reads back through every surface.

The plan (deterministic, a pure function of `table.rows()`):

- A *profile* is (role, sector, relation). A profile *finds the case* when any of its rows is not `no_case`
  (27 of them: coordinators, caseworkers and mentors with a relation the role can use); the other 60 never do.
- The profiles are split into six units, one test each: (sector) × (every other profile of the sector).
- Every profile that finds the case is a *host*: a viewer in an organisation of its own (of its sector), with
  three cases — `consent` (an active consent for the viewer's organisation, all categories), `withdrawn` (the
  same consent, recorded and then withdrawn through the service) and `nobasis` (no consent; disclosures to the
  viewer's organisation from three other organisations: in force, revoked, expired). For each of its 324 rows
  (classification × category × basis) one entry is written in the case and by the author that make the row
  true: `self` by the viewer, `own_org` by a colleague, `consent` by an outside organisation in the consent
  case, `disclosure` by the disclosing organisation, `lapsed` in turn by an outside organisation in the
  withdrawn case / the organisation whose disclosure was revoked / the one whose disclosure expired, `none` by
  an outside organisation in the no-basis case.
- Every profile that never finds the case is a *guest*: a viewer in a host's organisation with the guest's
  relation record on the host's cases (a team row, a referral team row, an emergency access row, or nothing),
  and one entry of their own.

Entries are written directly with the model (bulk), so combinations the entry service would refuse (a school
writing a `police` entry) exist too: the table gives them an outcome and the policy must honour it. Team,
referral and emergency access rows are created directly with the models as well. What each viewer's basis for
each entry is, is worked out here from what was recorded (`Host.expected_basis`) — independently of the policy.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from utvei.access import table
from utvei.access.table import Basis, Outcome, Relation, Row, Sector
from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.accounts.roles import Role
from utvei.accounts.services import user_create
from utvei.cases import services as case_services
from utvei.cases.models import Case, Entry, EntryKind, TeamMember, TeamRole, Track
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.services import person_find_or_create
from utvei.sharing.consent import services as sharing
from utvei.sharing.models import BasisType, Disclosure, EmergencyAccess, LegalBasis

PASSWORD = "correct horse battery staple"
SLOTS = ("consent", "withdrawn", "nobasis")
UNITS = [(s.value, h) for s in Sector for h in (0, 1)]

# Organisation kinds of the viewers' organisations, per sector and half: every kind of the police and health
# sectors is used, and two of the others.
KINDS = {
    Sector.POLICE: (OrgKind.POLICE, OrgKind.SECURITY_SERVICE),
    Sector.HEALTH: (OrgKind.MENTAL_HEALTH, OrgKind.HEALTH),
    Sector.OTHER: (OrgKind.SCHOOL, OrgKind.WELFARE_EMPLOYMENT),
}
# The outside organisations that write the entries a viewer needs a basis for.
OUTSIDE_KINDS = {
    "plain": OrgKind.NGO,  # no disclosure to anyone
    "disc": OrgKind.CHILD_WELFARE,  # a disclosure in force
    "revoked": OrgKind.MUNICIPALITY,  # a disclosure, revoked
    "expired": OrgKind.CORRECTIONAL_SERVICE,  # a disclosure, expired
}
TEAM_ROLE = {Role.COORDINATOR: TeamRole.COORDINATOR, Role.MENTOR: TeamRole.MENTOR}


@dataclass(frozen=True, order=True)
class Profile:
    role: str
    sector: str
    relation: str

    @property
    def label(self) -> str:
        return f"{self.role}/{self.sector}/{self.relation}"


@functools.cache
def profile_rows() -> dict[Profile, tuple[Row, ...]]:
    grouped: dict[Profile, list[Row]] = defaultdict(list)
    for row in table.rows():
        grouped[Profile(row.role, row.sector, row.relation)].append(row)
    return {p: tuple(rows) for p, rows in sorted(grouped.items())}


@functools.cache
def finds_case(p: Profile) -> bool:
    return any(r.outcome != Outcome.NO_CASE for r in profile_rows()[p])


def unit_plan(sector: str, half: int) -> list[tuple[Profile, list[Profile]]]:
    """The hosts of one unit, each with its guests."""
    in_sector = [p for p in profile_rows() if p.sector == sector]
    hosts = [p for i, p in enumerate(p for p in in_sector if finds_case(p)) if i % 2 == half]
    # Guests never share a case with an owner coordinator: in the owning organisation a coordinator without a
    # team row would be one too.
    can_host = [h for h in hosts if h.relation != Relation.OWNER_COORDINATOR]
    guests = [g for i, g in enumerate(p for p in in_sector if not finds_case(p)) if i % 2 == half]
    plan: dict[Profile, list[Profile]] = {h: [] for h in hosts}
    for i, g in enumerate(guests):
        plan[can_host[i % len(can_host)]].append(g)
    return list(plan.items())


def placement(row: Row) -> tuple[str, str]:
    """Where the entry for a row is written: (case slot, author), so that the row's basis holds."""
    if row.basis == Basis.SELF:
        return "consent", "viewer"
    if row.basis == Basis.OWN_ORG:
        return "withdrawn", "colleague"
    if row.basis == Basis.CONSENT:
        return "consent", "plain"
    if row.basis == Basis.DISCLOSURE:
        return "nobasis", "disc"
    if row.basis == Basis.NONE:
        return "nobasis", "plain"
    turn = (Classification.values.index(row.classification) + DataCategory.values.index(row.category)) % 3
    return [("withdrawn", "plain"), ("nobasis", "revoked"), ("nobasis", "expired")][turn]


# ---- What was built ------------------------------------------------------------------------------------


@dataclass
class Viewer:
    username: str
    membership: Membership
    profile: Profile
    host: bool


@dataclass
class Fact:
    """One entry as written, with the strings that may appear only where it is readable."""

    entry: Entry
    slot: str
    secret: str
    title: str


Bases = tuple[set[str], set[str]]  # categories in force, categories lapsed


@dataclass
class Host:
    viewer: Viewer
    cases: dict[str, Case]
    guests: list[Viewer] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    planned: set[tuple[str, ...]] = field(default_factory=set)  # the row keys this host's entries were made for
    consents: dict[tuple[int, int], Bases] = field(default_factory=dict)  # (case pk, organisation pk)
    disclosures: dict[tuple[int, int, int], Bases] = field(default_factory=dict)  # (case pk, from pk, to pk)

    def viewers(self) -> list[Viewer]:
        return [self.viewer, *self.guests]

    def expected_basis(self, viewer: Viewer, entry: Entry) -> str:
        """The viewer's basis for the entry, from what this scenario recorded (not from the policy)."""
        m = viewer.membership
        if entry.author_id == m.user_id and entry.author_org_id == m.organisation_id:
            return Basis.SELF
        if entry.author_org_id == m.organisation_id:
            return Basis.OWN_ORG
        empty: Bases = (set(), set())
        c_active, c_lapsed = self.consents.get((entry.case_id, m.organisation_id), empty)
        d_active, d_lapsed = self.disclosures.get((entry.case_id, entry.author_org_id, m.organisation_id), empty)
        if entry.category in c_active:
            return Basis.CONSENT
        if entry.category in d_active:
            return Basis.DISCLOSURE
        if entry.category in c_lapsed | d_lapsed:
            return Basis.LAPSED
        return Basis.NONE

    def row_key(self, viewer: Viewer, entry: Entry) -> tuple[str, ...]:
        p = viewer.profile
        return (p.role, p.sector, p.relation, entry.classification, entry.category, self.expected_basis(viewer, entry))


@dataclass
class Unit:
    sector: str
    half: int
    hosts: list[Host]


def build_unit(world: Any, sector: str, half: int) -> Unit:
    """Build one unit's organisations, users, cases, relation records, sharing records and entries."""
    tag = f"{sector[:3]}{half}"
    kind = KINDS[Sector(sector)][half]
    now = timezone.now()
    # A basis that lets a disclosure carry any category (an anonymised one never carries identity: test_sharing_gate).
    legal_basis = LegalBasis.objects.exclude(
        type__in=[BasisType.CONSENT, BasisType.CONFIDENTIALITY, BasisType.ANONYMISED]
    ).filter(active=True)[0]

    def org(name: str, org_kind: str) -> Organisation:
        return Organisation.objects.create(slug=f"tbl-{tag}-{name}", name=f"Tabell {tag} {name}", kind=org_kind)

    def member(name: str, organisation: Organisation, role: str) -> Membership:
        username = f"tbl-{tag}-{name}"
        m = user_create(username=username, password=PASSWORD, org_slug=organisation.slug, role=role, validate=False)
        m = Membership.objects.select_related("user", "organisation").get(pk=m.pk)
        world.m[username] = m  # so that world.api() and client_for() can log in as them
        return m

    opener = member("opener", org("owner", OrgKind.MUNICIPALITY), Role.COORDINATOR)
    outside = {k: member(f"author-{k}", org(k, v), Role.CASEWORKER) for k, v in OUTSIDE_KINDS.items()}

    hosts: list[Host] = []
    n = 0
    for j, (profile, guest_profiles) in enumerate(unit_plan(sector, half)):
        v_org = org(f"v{j}", kind)
        if profile.relation == Relation.OWNER_COORDINATOR:
            colleague = member(f"v{j}-colleague", v_org, Role.COORDINATOR)  # opens the cases: v_org owns them
            case_actor = colleague
        else:
            colleague = member(f"v{j}-colleague", v_org, Role.CASEWORKER)
            case_actor = opener
        viewer = Viewer(f"tbl-{tag}-v{j}", member(f"v{j}", v_org, profile.role), profile, host=True)
        person, _ = person_find_or_create(actor=case_actor, full_name=f"Tabell Person {tag} {j}")
        cases = {s: case_services.case_open(actor=case_actor, person=person, track=Track.EXIT) for s in SLOTS}
        host = Host(viewer, cases)
        for g, gp in enumerate(guest_profiles):
            name = f"v{j}-g{g}"
            host.guests.append(Viewer(f"tbl-{tag}-{name}", member(name, v_org, gp.role), gp, host=False))
        for v in host.viewers():
            for case in cases.values():
                relate(v.membership, v.profile.relation, case, added_by=opener.user)

        # Sharing. Consent case: in force. Withdrawn case: recorded, then withdrawn. No-basis case: disclosures.
        everything = set(DataCategory.values)
        for slot in ("consent", "withdrawn"):
            consent = sharing.consent_record(
                actor=case_actor,
                case=cases[slot],
                given_by="person",
                scope_org_slugs=[v_org.slug],
                categories=DataCategory.values,
                purposes=["coordination"],
                evidence="signed_form",
            )
            if slot == "withdrawn":
                sharing.consent_withdraw(actor=case_actor, consent=consent, note="Trakk samtykket")
                host.consents[(cases[slot].pk, v_org.pk)] = (set(), set(everything))
            else:
                host.consents[(cases[slot].pk, v_org.pk)] = (set(everything), set())
        nobasis = cases["nobasis"]
        for k in ("disc", "revoked", "expired"):
            d = Disclosure.objects.create(
                case=nobasis,
                from_org=outside[k].organisation,
                to_org=v_org,
                categories=DataCategory.values,
                legal_basis=legal_basis,
                basis_version=legal_basis.version,
                justification="Nødvendig for samarbeidet",
                decided_by=outside[k].user,
                decided_at=now - dt.timedelta(days=2),
            )
            if k == "revoked":
                Disclosure.objects.filter(pk=d.pk).update(revoked_at=now - dt.timedelta(days=1))
            if k == "expired":
                Disclosure.objects.filter(pk=d.pk).update(expires_at=now - dt.timedelta(days=1))
            key = (nobasis.pk, outside[k].organisation_id, v_org.pk)
            host.disclosures[key] = (set(everything), set()) if k == "disc" else (set(), set(everything))

        # Entries: one per row of the host's profile, and one by each guest.
        authors = {"viewer": viewer.membership, "colleague": colleague, **outside}
        pending: list[tuple[str, Membership, str, str]] = []
        for row in profile_rows()[profile]:
            slot, who = placement(row)
            pending.append((slot, authors[who], row.classification, row.category))
            host.planned.add(row.key)
        for g, guest in enumerate(host.guests):
            pending.append(("consent", guest.membership, Classification.values[g % 6], DataCategory.values[g % 9]))
        for slot, author, classification, category in pending:
            n += 1
            token = f"{tag}{n:05d}"
            entry = Entry(
                case=cases[slot],
                kind=EntryKind.values[n % len(EntryKind.values)],
                category=category,
                classification=classification,
                occurred_at=now - dt.timedelta(minutes=n),
                title=f"TBLTITLE{token}Q",
                body=f"TBLSECRET{token}Q",
                author=author.user,
                author_org=author.organisation,
            )
            host.facts.append(Fact(entry, slot, f"TBLSECRET{token}Q", f"TBLTITLE{token}Q"))
        Entry.objects.bulk_create([f.entry for f in host.facts])
        hosts.append(host)
    return Unit(sector, half, hosts)


def relate(m: Membership, relation: str, case: Case, *, added_by: Any) -> Any:
    """The viewer's relation record on the case, made directly with the models (owner_coordinator: the viewer's
    organisation owns the case; none: no record)."""
    now = timezone.now()
    if relation in {Relation.TEAM, Relation.REFERRAL}:
        role = TeamRole.REFERRAL if relation == Relation.REFERRAL else TEAM_ROLE.get(m.role, TeamRole.CASEWORKER)
        return TeamMember.objects.create(
            case=case,
            user=m.user,
            organisation=m.organisation,
            role=role,
            started_at=now - dt.timedelta(hours=1),
            added_by=added_by,
        )
    if relation == Relation.EMERGENCY:
        return EmergencyAccess.objects.create(
            case=case,
            user=m.user,
            organisation=m.organisation,
            role=m.role,
            reason_code="life_health",
            reason_text="Akutt fare",
            started_at=now - dt.timedelta(hours=1),
            expires_at=now + dt.timedelta(hours=4),
        )
    return None
