"""Reads of the person's network: snapshots at a date, comparisons between two dates, descriptive counts of ties.

Every read goes through `access.network` (the network as a whole, then each contact by the entry rule) and is
audited by the caller's entry point (`network_get`, `contact_get`). A case's contacts, their observations and
its team are loaded once (three queries, however many contacts), and every snapshot, comparison and count is
worked out from that in Python.

The snapshot rule (docs/decisions/0008-network-snapshot.md): on a date, each contact the viewer may read is
in the state of its latest observation up to and including that date; a contact whose latest observation ended
the tie, or that has no observation yet, is not in the snapshot. The team's organisations on that date are the
formal network without being typed in again: each is a formal tie with valence «unknown» on the outer ring (not
observed — neither is a judgement), unless a contact linked to the organisation has been observed, which then
stands for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.network import contact_read_decision, network_decision, note_read_decision
from utvei.access.policy import CaseAccess, Decision, membership_visible
from utvei.access.policy import read_reason as _reason
from utvei.accounts.models import Membership, Organisation
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.cases.models import Case, TeamMember
from utvei.cases.selectors import case_get
from utvei.core.errors import Forbidden, NotFound
from utvei.core.validation import parse_uuid as _uuid

from .ecomap import Tie
from .models import Closeness, Contact, Frequency, Observation, RelationKind, Valence

OWN_ONLY_REASON = _(
    "No consent or disclosure lets your organisation see this person's network: you see only the contacts your "
    "organisation recorded."
)
ORG_CLOSENESS = Closeness.DISTANT  # an unobserved team organisation: the outer ring


class NetworkRestricted(Forbidden):
    """The viewer has a relation to the case but no basis for its network."""

    code = "network_restricted"


# ---- What a viewer sees of one contact -----------------------------------------------------------------


@dataclass(frozen=True)
class ObservationView:
    observation: Observation
    note_readable: bool

    @property
    def note(self) -> str:
        return self.observation.note if self.note_readable else ""


@dataclass
class ContactView:
    """A contact the viewer may read, with its observations (oldest first) and whether each note is readable."""

    contact: Contact
    read: Decision
    observations: list[ObservationView]

    def state(self, on: dt.date) -> Observation | None:
        """The latest observation up to and including `on` (None before the first)."""
        found = None
        for ov in self.observations:
            if ov.observation.observed_on > on:
                break
            found = ov.observation
        return found

    @property
    def latest(self) -> Observation | None:
        return self.observations[-1].observation if self.observations else None

    @property
    def ended(self) -> bool:
        latest = self.latest
        return latest is not None and latest.ended


# ---- Ties, snapshots, changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class TieRow:
    """One tie in a snapshot: a contact in the state of its latest observation, or a team organisation."""

    key: str
    label: str
    relation: str  # a RelationKind value, or "organisation"
    relation_label: str
    formal: bool
    valence: str
    closeness: int
    frequency: str = ""
    observed_on: dt.date | None = None
    contact: Contact | None = None
    organisation: Organisation | None = None

    @property
    def valence_label(self) -> str:
        return str(Valence(self.valence).label)

    @property
    def closeness_label(self) -> str:
        return str(Closeness(self.closeness).label)

    @property
    def frequency_label(self) -> str:
        return str(Frequency(self.frequency).label) if self.frequency else ""

    @property
    def observed(self) -> bool:
        return self.observed_on is not None

    def tie(self) -> Tie:
        """The tie as the ecomap draws it."""
        return Tie(
            key=self.key,
            label=self.label,
            relation_label=self.relation_label,
            formal=self.formal,
            valence=self.valence,
            closeness=self.closeness,
            frequency_label=self.frequency_label,
        )


@dataclass(frozen=True)
class Indicators:
    """Descriptive counts of the ties in a snapshot — not a score, and nothing is weighed or ranked. The names
    are stable: the evidence engine records them as measurements (docs/network.md)."""

    supportive: int = 0
    risk: int = 0
    ambivalent: int = 0
    unknown: int = 0
    informal: int = 0
    formal: int = 0
    total: int = 0

    NAMES = ("supportive", "risk", "ambivalent", "unknown", "informal", "formal", "total")

    @classmethod
    def of(cls, ties: Iterable[TieRow]) -> Indicators:
        counts = dict.fromkeys(cls.NAMES, 0)
        for t in ties:
            counts[t.valence if t.valence in counts else "unknown"] += 1
            counts["formal" if t.formal else "informal"] += 1
            counts["total"] += 1
        return cls(**counts)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.NAMES}


def _order(t: TieRow) -> tuple[Any, ...]:
    return (t.formal, -t.closeness, t.relation_label.casefold(), t.label.casefold(), t.key)


@dataclass
class Snapshot:
    on: dt.date
    ties: list[TieRow]
    indicators: Indicators

    @property
    def informal(self) -> list[TieRow]:
        return [t for t in self.ties if not t.formal]

    @property
    def formal(self) -> list[TieRow]:
        return [t for t in self.ties if t.formal]

    def by_key(self) -> dict[str, TieRow]:
        return {t.key: t for t in self.ties}

    def for_ecomap(self) -> list[Tie]:
        return [t.tie() for t in self.ties]


class ChangeKind:
    NEW = "new"
    ENDED = "ended"
    VALENCE = "valence"
    CLOSENESS = "closeness"
    ORDER = ("new", "ended", "valence", "closeness")


CHANGE_LABELS = {
    ChangeKind.NEW: _("New tie"),
    ChangeKind.ENDED: _("Ended tie"),
    ChangeKind.VALENCE: _("Changed valence"),
    ChangeKind.CLOSENESS: _("Changed closeness"),
}


@dataclass(frozen=True)
class Change:
    """One typed change between two snapshots: a new tie, an ended tie, a changed valence or closeness. `before`
    and `after` are the tie in each snapshot (None where it is not there)."""

    kind: str
    before: TieRow | None
    after: TieRow | None

    @property
    def tie(self) -> TieRow:
        found = self.after or self.before
        assert found is not None
        return found

    @property
    def key(self) -> str:
        return self.tie.key

    @property
    def label(self) -> str:
        return str(CHANGE_LABELS[self.kind])


@dataclass
class Comparison:
    before: Snapshot
    after: Snapshot
    changes: list[Change]

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def changes_between(before: Snapshot, after: Snapshot) -> list[Change]:
    """New ties, ended ties, changed valence, changed closeness (a tie that changed both gives two changes)."""
    a, b = before.by_key(), after.by_key()
    # A team organisation that is now observed through a contact linked to it has not left the network.
    observed_orgs = {t.organisation.pk for t in after.ties if t.contact is not None and t.organisation is not None}

    def now_observed(t: TieRow) -> bool:
        return t.contact is None and t.organisation is not None and t.organisation.pk in observed_orgs

    out: list[Change] = []
    out += [Change(ChangeKind.NEW, None, b[k]) for k in b if k not in a]
    out += [Change(ChangeKind.ENDED, a[k], None) for k in a if k not in b and not now_observed(a[k])]
    for k in b:
        if k in a:
            if a[k].valence != b[k].valence:
                out.append(Change(ChangeKind.VALENCE, a[k], b[k]))
            if a[k].closeness != b[k].closeness:
                out.append(Change(ChangeKind.CLOSENESS, a[k], b[k]))
    out.sort(key=lambda c: (ChangeKind.ORDER.index(c.kind), c.tie.label.casefold(), c.key))
    return out


# ---- The network of a case, as one viewer sees it ------------------------------------------------------


def _local_date(when: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(when).date() if when is not None else None


def _org_tie(org: Organisation) -> TieRow:
    return TieRow(
        key=f"org:{org.slug}",
        label=org.name,
        relation="organisation",
        relation_label=str(org.get_kind_display()),
        formal=True,
        valence=Valence.UNKNOWN,
        closeness=ORG_CLOSENESS,
        organisation=org,
    )


def _contact_tie(cv: ContactView, obs: Observation) -> TieRow:
    c = cv.contact
    return TieRow(
        key=str(c.public_id),
        label=c.label,
        relation=c.relation,
        relation_label=str(RelationKind(c.relation).label),
        formal=c.formal,
        valence=obs.valence,
        closeness=obs.closeness,
        frequency=obs.frequency,
        observed_on=obs.observed_on,
        contact=c,
        organisation=c.organisation,
    )


@dataclass
class Network:
    """The case's network as one principal may see it: `gate` decides whether they see it at all; `contacts` are
    the contacts they may read. Snapshots and comparisons are computed from these without further queries."""

    ca: CaseAccess | None  # None: the evidence engine's unfiltered view (`indicators(case)`)
    case: Case
    gate: Decision
    contacts: list[ContactView]
    team: list[TeamMember] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return bool(self.gate)

    def team_orgs(self, on: dt.date) -> list[Organisation]:
        """The organisations with someone on the team on that date (whoever opened the case is on it from then)."""
        orgs: dict[int, Organisation] = {}
        for t in self.team:
            start, end = _local_date(t.started_at), _local_date(t.ended_at)
            if start is not None and start <= on and (end is None or end > on):
                orgs.setdefault(t.organisation_id, t.organisation)
        return list(orgs.values())

    def snapshot(self, on: dt.date) -> Snapshot:
        if not self.open:
            return Snapshot(on, [], Indicators())
        ties: list[TieRow] = []
        represented: set[int] = set()
        for cv in self.contacts:
            obs = cv.state(on)
            if obs is None:
                continue
            if cv.contact.organisation_id is not None:
                represented.add(cv.contact.organisation_id)
            if not obs.ended:
                ties.append(_contact_tie(cv, obs))
        ties += [_org_tie(org) for org in self.team_orgs(on) if org.pk not in represented]
        ties.sort(key=_order)
        return Snapshot(on, ties, Indicators.of(ties))

    def compare(self, a: dt.date, b: dt.date) -> Comparison:
        before, after = self.snapshot(a), self.snapshot(b)
        return Comparison(before, after, changes_between(before, after))

    def contact(self, contact_id: Any) -> ContactView:
        pk = _uuid(contact_id)
        found = next((cv for cv in self.contacts if pk is not None and cv.contact.public_id == pk), None)
        if found is None:
            raise NotFound(_("The contact was not found."))
        return found

    def current(self) -> list[ContactView]:
        """Every readable contact, those whose tie is live today first, then by relation and label."""
        today = timezone.localdate()

        def order(cv: ContactView) -> tuple[Any, ...]:
            state = cv.state(today)
            live = state is not None and not state.ended
            return (not live, cv.contact.formal, str(cv.contact.get_relation_display()).casefold(), cv.contact.pk)

        return sorted(self.contacts, key=order)


def _contacts(case: Case, *, author_org_id: int | None = None) -> list[Contact]:
    observations = Observation.objects.select_related("author_org").order_by("observed_on", "created_at", "pk")
    only = {"author_org_id": author_org_id} if author_org_id is not None else {}
    contacts = list(
        Contact.objects.filter(case=case, **only)
        .select_related("author", "author_org", "organisation")
        .prefetch_related(Prefetch("observations", queryset=observations))
        .order_by("pk")
    )
    for contact in contacts:
        contact.case = case  # already loaded: no query per contact when a response names its case
    return contacts


def _team(case: Case) -> list[TeamMember]:
    return list(TeamMember.objects.filter(case=case).select_related("organisation").order_by("started_at", "pk"))


def load(ca: CaseAccess) -> Network:
    """The network as the principal may see it. Three queries for contacts, observations and team (none when the
    network is restricted for them), plus the case's consents and disclosures, loaded once per request."""
    gate = network_decision(ca)
    if gate:
        # The team's organisations are ties of their own, but not those whose very membership is kept from this
        # principal (a health or police service without a basis: access.policy.membership_visible).
        team = [t for t in _team(ca.case) if membership_visible(ca, t.organisation)]
        return Network(ca, ca.case, gate, _views(ca, _contacts(ca.case)), team)
    # Without a basis a viewer still keeps what their own organisation recorded (as for entries), and only that:
    # no team organisations, no one else's contacts. With nothing of their own, the network is closed to them.
    own = _contacts(ca.case, author_org_id=ca.membership.organisation_id)
    if not own:
        return Network(ca, ca.case, gate, [], [])
    return Network(ca, ca.case, Decision(True, "own_org", OWN_ONLY_REASON, dict(ca.records)), _views(ca, own), [])


def _views(ca: CaseAccess, contacts: list[Contact]) -> list[ContactView]:
    views = []
    for contact in contacts:
        read = contact_read_decision(ca, contact)
        if not read:
            continue
        observations = [ObservationView(o, bool(note_read_decision(ca, o))) for o in contact.observations.all()]
        views.append(ContactView(contact, read, observations))
    return views


def _unfiltered(case: Case) -> Network:
    """Every contact of the case, for the evidence engine's counts (no viewer, no content shown)."""
    everything = Decision(True, "system", "")
    views = [
        ContactView(c, everything, [ObservationView(o, False) for o in c.observations.all()]) for c in _contacts(case)
    ]
    return Network(None, case, everything, views, _team(case))


def snapshot(ca: CaseAccess, on: dt.date | None = None) -> Snapshot:
    """The ties the principal may see, as they were on `on` (default today)."""
    return load(ca).snapshot(on or timezone.localdate())


def compare(ca: CaseAccess, a: dt.date, b: dt.date) -> Comparison:
    """Both snapshots and the typed changes from `a` to `b`."""
    return load(ca).compare(a, b)


def indicators(case_or_ca: Case | CaseAccess, on: dt.date | None = None) -> Indicators:
    """Descriptive counts of the ties on `on` (default today). With a CaseAccess: what that principal may see.
    With a Case: every contact of the case, for the evidence engine, which records the counts as measurements
    (aggregated and suppressed there, never shown per person by this call; the caller audits its own use)."""
    day = on or timezone.localdate()
    if isinstance(case_or_ca, CaseAccess):
        return load(case_or_ca).snapshot(day).indicators
    return _unfiltered(case_or_ca).snapshot(day).indicators


# ---- Entry points with audit ---------------------------------------------------------------------------


def network_get(*, actor: Membership | None, case_id: Any, audit_action: str | None = Action.NETWORK_VIEW) -> Network:
    """The network of one case for a page or an endpoint. No relation: NotFound (audited as case.denied). One
    event for the read (reason `restricted` when the network is restricted for the viewer)."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    network = load(ca)
    if audit_action is not None:
        audit_by(
            actor, audit_action, obj=ca.case, case=ca.case, reason=_reason(ca, "" if network.open else "restricted")
        )
    return network


def require_open(network: Network) -> None:
    """A restricted network is a 403 with its own code (`network_restricted`): the case exists for the viewer."""
    if not network.open:
        raise NetworkRestricted(network.gate.reason)


def contact_get(
    *, actor: Membership | None, case_id: Any, contact_id: Any, audit_action: str | None = Action.CONTACT_VIEW
) -> tuple[Network, ContactView]:
    """One contact of the case. Missing, of another case, restricted or outside the viewer's compartments: all
    NotFound (audited as case.denied). The read is one event (`contact.view`)."""
    ca = case_get(actor=actor, case_id=case_id, audit=False)
    network = load(ca)
    try:
        cv = network.contact(contact_id)
    except NotFound:
        pk = _uuid(contact_id)
        audit_by(actor, Action.CASE_DENIED, object_type="contact", object_id=str(pk or "")[:64], case=ca.case)
        raise
    if audit_action is not None:
        audit_by(actor, audit_action, obj=cv.contact, case=ca.case, reason=_reason(ca))
    return network, cv


def contact_revisions(network: Network, cv: ContactView) -> list[Any]:
    """The saved versions of a contact (coordinators and caseworkers who read it)."""
    if network.ca is None or not network.ca.full:
        return []
    return list(cv.contact.revisions.select_related("saved_by", "organisation").order_by("-version"))
