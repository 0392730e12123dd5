"""Synthetic load (`utvei synth --persons N`) for benchmarks and query-count tests (demo or debug mode only).

Two ways to write, chosen with --method (default: services up to 50 persons, bulk above):

* services — every person, case, team member, entry, task, plan, measurement and outcome event goes through the
  domain services, exactly as a user's request would: access-checked, encrypted, one audit event per write
  (follow-ups are scheduled by the services when a case enters follow-up or is closed after measures).
* bulk — rows are built in memory and written with bulk_create, in batches. Encrypted fields still encrypt
  (EncryptedTextField encrypts in get_prep_value), the identity number still gets its blind index, and the
  audit log still gets ONE EVENT PER CREATED OBJECT with the action the service would have written
  (person.create, case.create, case.phase, case.close, team.add, concern.create, concern.triage, entry.create,
  task.create, plan.create, plan.approve, plan.item_add, follow_up.schedule, follow_up.record,
  measurement.create, outcome.create), appended to the same hash chain, with reason "synth" so the DPO can tell
  load from work. `audit verify` holds afterwards. Evaluation data — follow-ups 6/12/24 months after the measures
  ended, measurements at intake, review, closure and follow-up, outcome events and the dose of each measure — is
  written by utvei.evaluation.synthetic, in the same batches.

The bulk writer takes a `BulkProfile`: whose cases, over which years, how far they got. `utvei synth` writes
Syntetisk kommune's (`synth_profile`); the demo's historical cohort (evaluation/demo.py) writes a demo
municipality's older, mostly closed cases with it.

Synthetic data lives in its own organisations (slugs starting "synth-") and is invented; identity numbers use
the synthetic format of Norwegian test registers (month + 80), which no real person has.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from utvei.access.policy import writable_classifications
from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.accounts.roles import Role
from utvei.accounts.services import org_create, user_create
from utvei.assessments.services import assessment_skip_record
from utvei.audit.models import Action
from utvei.audit.services import audit_record_many
from utvei.cases import services as case_services
from utvei.cases.models import (
    Case,
    ClosureReason,
    Concern,
    ConcernStatus,
    DataCategory,
    Entry,
    EntryKind,
    EntryRevision,
    Ideology,
    MotivationStage,
    Phase,
    PhaseChange,
    Task,
    TaskStatus,
    TeamMember,
    TeamRole,
    Track,
    TriageOutcome,
    Urgency,
)
from utvei.core.crypto import blind_index
from utvei.core.models import Counter
from utvei.evaluation.services import measurement_record, outcome_event_record
from utvei.people.models import Gender, Person, age_band_for
from utvei.people.services import NIN_CONTEXT, person_find_or_create
from utvei.plans.synthetic import bulk_plans, synth_plan
from utvei.sharing.services import consent_record

# ---- Synthetic identity numbers ------------------------------------------------------------------------

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control(digits: list[int], weights: tuple[int, ...]) -> int | None:
    k = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if k == 11 else (None if k == 10 else k)


def synthetic_nin(birth: dt.date, *, male: bool, serial: int = 0) -> str:
    """An 11-digit identity number in the synthetic test format: birth month + 80, valid control digits.

    Norwegian test registers mark synthetic identities by adding 80 to the month, so these numbers cannot
    belong to a real person. `serial` picks among the individual numbers for the same birth date.
    """
    low = 500 if birth.year >= 2000 else 0  # individual-number range by century (1900s: 000-499)
    for step in range(500):
        individual = low + (2 * (serial + step) + (1 if male else 0)) % 500  # odd = male, even = female
        head = f"{birth.day:02d}{birth.month + 80:02d}{birth.year % 100:02d}{individual:03d}"
        digits = [int(c) for c in head]
        k1 = _control(digits, _W1)
        if k1 is None:
            continue
        k2 = _control([*digits, k1], _W2)
        if k2 is None:
            continue
        return f"{head}{k1}{k2}"
    raise ValueError("no valid synthetic identity number for that date")  # pragma: no cover


# ---- The synthetic world -------------------------------------------------------------------------------

SYNTH_ORGS: dict[str, tuple[str, str]] = {
    "synth-kommune": ("Syntetisk kommune", OrgKind.MUNICIPALITY),
    "synth-politi": ("Syntetisk politidistrikt", OrgKind.POLICE),
    "synth-skole": ("Syntetisk videregående skole", OrgKind.SCHOOL),
    "synth-helse": ("Syntetisk DPS", OrgKind.MENTAL_HEALTH),
    "synth-nav": ("NAV Syntetisk", OrgKind.WELFARE_EMPLOYMENT),
    "synth-barnevern": ("Syntetisk barneverntjeneste", OrgKind.CHILD_WELFARE),
    "synth-mentor": ("Syntetisk mentortjeneste", OrgKind.MENTOR_SERVICE),
}
SYNTH_USERS: dict[str, tuple[str, str]] = {
    "synth-koordinator": ("synth-kommune", Role.COORDINATOR),
    "synth-saksbehandler": ("synth-kommune", Role.CASEWORKER),
    "synth-politi": ("synth-politi", Role.CASEWORKER),
    "synth-skole": ("synth-skole", Role.CASEWORKER),
    "synth-helse": ("synth-helse", Role.CASEWORKER),
    "synth-nav": ("synth-nav", Role.CASEWORKER),
    "synth-barnevern": ("synth-barnevern", Role.CASEWORKER),
    "synth-mentor": ("synth-mentor", Role.MENTOR),
}
TEAM_POOL = ("synth-politi", "synth-skole", "synth-helse", "synth-nav", "synth-barnevern", "synth-mentor")


def _words(text: str) -> list[str]:
    return text.split()


FIRST_F = _words("Ingrid Nora Emma Sara Ida Maja Thea Julie Hanna Amalie Leah Mia Aisha Sofie Linnea Vilde")
FIRST_M = _words("Jakob Emil Noah Oliver Filip William Lucas Henrik Sander Elias Isak Ali Magnus Tobias Adam")
SURNAMES = _words(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen Pettersen "
    "Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen Lund Moen Solberg"
)
SENTENCES = (
    "Samtale gjennomført som avtalt.",
    "Deltakeren møtte presis og var åpen om uka som har gått.",
    "Vi snakket om skole, jobb og hva som skal til for å komme i gang.",
    "Fremdriften er god; tiltaket fortsetter uendret.",
    "Timen ble avlyst, ny avtale er satt opp neste uke.",
    "Foresatte er orientert og deltar på neste møte.",
    "Ingen nye opplysninger om kontakt med det tidligere miljøet.",
    "Målene for neste periode er justert sammen med deltakeren.",
    "Boligsituasjonen er avklart for de neste seks månedene.",
    "Deltakeren beskriver bedre søvn og mindre uro.",
    "Drøftet hvordan nettbruken kan begrenses på kveldstid.",
    "Det er avtalt faste treff annenhver torsdag.",
    "Oppmøtet på skolen er stabilt, fraværet er halvert siden forrige måned.",
    "Vi gikk gjennom sikkerhetsplanen; ingen endringer nå.",
    "Deltakeren ønsker å prøve arbeidstrening fra neste måned.",
)
TASK_TITLES = (
    "Kalle inn til samarbeidsmøte",
    "Innhente opplysninger fra skolen",
    "Følge opp søknad om bolig",
    "Avtale ny samtale",
    "Revidere planen",
    "Sende referat til teamet",
)


@dataclass
class SynthWorld:
    m: dict[str, Membership]
    orgs: dict[str, Organisation] = field(default_factory=dict)

    @property
    def coordinator(self) -> Membership:
        return self.m["synth-koordinator"]


def synth_world(*, password: str | None = None) -> SynthWorld:
    """The synthetic organisations and users, created through the account services on first use."""
    for slug, (name, kind) in SYNTH_ORGS.items():
        if not Organisation.objects.filter(slug=slug).exists():
            org_create(slug=slug, name=name, kind=kind, jurisdiction="Syntetisk")
    pw = password or secrets.token_urlsafe(24)
    m: dict[str, Membership] = {}
    for username, (slug, role) in SYNTH_USERS.items():
        existing = Membership.objects.filter(user__username=username, organisation__slug=slug, role=role).first()
        m[username] = existing or user_create(username=username, password=pw, org_slug=slug, role=role, validate=False)
    m = {u: Membership.objects.select_related("user", "organisation").get(pk=x.pk) for u, x in m.items()}
    return SynthWorld(m=m, orgs={x.organisation.slug: x.organisation for x in m.values()})


# ---- Shared random choices -----------------------------------------------------------------------------

PHASE_WEIGHTS: dict[str, int] = {
    Phase.INTAKE: 10,
    Phase.ASSESSMENT: 20,
    Phase.PLANNING: 15,
    Phase.ACTIVE: 30,
    Phase.FOLLOW_UP: 10,
    Phase.CLOSED: 15,
}
ORDER: list[str] = [Phase.INTAKE, Phase.ASSESSMENT, Phase.PLANNING, Phase.ACTIVE, Phase.FOLLOW_UP]


def _person_fields(rng: random.Random, serial: int, *, min_age: int = 13) -> dict[str, Any]:
    male = rng.random() < 0.6
    today = timezone.localdate()
    birth = today - dt.timedelta(days=rng.randint(min_age * 365, max(min_age + 5, 45) * 365))
    first = rng.choice(FIRST_M if male else FIRST_F)
    return {
        "full_name": f"{first} {rng.choice(SURNAMES)}",
        "national_id": synthetic_nin(birth, male=male, serial=serial),
        "birth_date": birth,
        "gender": Gender.MALE if male else Gender.FEMALE,
        "municipality": "Syntetisk",
    }


def _body(rng: random.Random) -> str:
    return " ".join(rng.sample(SENTENCES, rng.randint(2, 5)))


def _plan(
    rng: random.Random, weights: dict[str, int] | None = None, closed_from: dict[str, int] | None = None
) -> tuple[str, str, list[str]]:
    """Track, final phase and the path of phases that leads there (closed: from where it closed)."""
    weights = weights or PHASE_WEIGHTS
    track = rng.choices(list(Track.values), weights=[55, 35, 10])[0]
    final: str = rng.choices(list(weights), weights=list(weights.values()))[0]
    path: list[str] = list(ORDER[: ORDER.index(final) + 1]) if final != Phase.CLOSED else []
    if final == Phase.CLOSED:
        if closed_from:
            last = rng.choices(list(closed_from), weights=list(closed_from.values()))[0]
            path = [*ORDER[: ORDER.index(last) + 1], Phase.CLOSED]
        else:
            path = [*ORDER[: rng.randint(1, len(ORDER))], Phase.CLOSED]
    return track, final, path


# ---- Through the services ------------------------------------------------------------------------------


def synth_services(*, world: SynthWorld, persons: int, rng: random.Random) -> int:
    """Create `persons` persons with one case each through the domain services; returns cases created."""
    coord = world.coordinator
    base = Person.objects.count() * 7 + rng.randint(0, 10_000)
    for i in range(persons):
        p = _person_fields(rng, base + i)
        person, _created = person_find_or_create(actor=coord, **p)
        track, _final, path = _plan(rng)
        case = case_services.case_open(
            actor=coord, person=person, track=track, ideologies=[rng.choice(Ideology.values)]
        )
        team = [coord]
        for username in rng.sample(TEAM_POOL, rng.randint(1, 3)):
            member = world.m[username]
            role = TeamRole.MENTOR if member.role == Role.MENTOR else TeamRole.CASEWORKER
            case_services.team_add(
                actor=coord, case=case, user=member.user, organisation=member.organisation, role=role
            )
            team.append(member)
            consent_record(  # the basis planning -> active asks for, for every organisation on the team
                actor=coord,
                case=case,
                given_by="person",
                scope_org_slugs=[member.organisation.slug],
                categories=DataCategory.values,
                purposes=["coordination"],
                evidence="signed_form",
            )
        now = timezone.now()
        for _ in range(rng.randint(2, 6)):
            author = rng.choice(team)
            case_services.entry_create(
                actor=author,
                case=case,
                kind=rng.choice(EntryKind.values),
                classification=rng.choice(writable_classifications(author)),
                category=rng.choice(DataCategory.values),
                body=_body(rng),
                occurred_at=now - dt.timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 600)),
            )
        for _ in range(rng.randint(1, 2)):
            case_services.task_create(
                actor=coord,
                case=case,
                title=rng.choice(TASK_TITLES),
                assignee=rng.choice(team).user,
                due_on=timezone.localdate() + dt.timedelta(days=rng.randint(-30, 30)),
            )
        measured = _services_measure(coord, case, rng, occasion="intake") if rng.random() < 0.6 else []
        for phase in path[1:]:
            if phase == Phase.CLOSED:
                case = case_services.case_close(
                    actor=coord, case=case, reason=rng.choice(ClosureReason.values), summary=_body(rng)
                )
                break
            if phase == Phase.PLANNING:  # no synthetic assessments: planning starts on a recorded reason
                assessment_skip_record(actor=coord, case=case, reason="other", explanation="Syntetiske data.")
            if phase == Phase.ACTIVE:
                case_services.entry_create(
                    actor=coord, case=case, kind=EntryKind.DECISION, classification="team", body="Plan vedtatt."
                )
                synth_plan(actor=coord, case=case, rng=rng)  # planning -> active needs an approved plan
            case = case_services.case_transition(actor=coord, case=case, to_phase=phase)
            if phase == Phase.ACTIVE and measured:
                _services_measure(coord, case, rng, occasion="review", indicators=measured)
                if rng.random() < 0.4:
                    outcome_event_record(
                        actor=coord,
                        case=case,
                        kind=rng.choice(["work", "education", "housing"]),
                        occurred_on=timezone.localdate(),
                        source="worker",
                    )
    return persons


def _services_measure(
    actor: Membership, case: Case, rng: random.Random, *, occasion: str, indicators: list[Any] | None = None
) -> list[Any]:
    """A few of the worker's measurements on the case today, through the evaluation service."""
    from utvei.evaluation.synthetic import indicators as rated

    chosen = indicators or rng.sample(
        [i for i in rated() if case.track in i.tracks and "worker" in i.sources], rng.randint(3, 5)
    )
    for indicator in chosen:
        measurement_record(
            actor=actor,
            case=case,
            indicator=indicator,
            value=rng.randint(indicator.min_value, indicator.max_value),
            occasion=occasion,
            measured_on=timezone.localdate(),
        )
    return chosen


# ---- Bulk ----------------------------------------------------------------------------------------------


def reserve_references(prefix: str, n: int) -> list[str]:
    """Take n consecutive references from the yearly counter, in one update (same format as next_reference)."""
    year = timezone.localdate().year
    with transaction.atomic():
        Counter.objects.get_or_create(name=prefix, year=year)
        counter = Counter.objects.select_for_update().get(name=prefix, year=year)
        start = counter.value
        Counter.objects.filter(pk=counter.pk).update(value=F("value") + n)
    return [f"{prefix}-{year}-{v:06d}" for v in range(start + 1, start + n + 1)]


def _unique_people(
    rng: random.Random, n: int, *, min_age: int = 13, suffix: str = "", municipality: str = "Syntetisk"
) -> list[dict[str, Any]]:
    """Person fields whose identity numbers are not yet registered (checked through the blind index)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    serial = rng.randint(0, 10_000)
    while len(out) < n:
        batch = []
        for _ in range(n - len(out)):
            serial += 1
            p = _person_fields(rng, serial, min_age=min_age)
            p["index"] = blind_index(p["national_id"], context=NIN_CONTEXT)
            if p["index"] not in seen:
                seen.add(p["index"])
                p["full_name"] += suffix
                p["municipality"] = municipality
                batch.append(p)
        taken = set(
            Person.objects.filter(national_id_index__in=[p["index"] for p in batch]).values_list(
                "national_id_index", flat=True
            )
        )
        out.extend(p for p in batch if p["index"] not in taken)
    return out


@dataclass
class BulkStats:
    persons: int = 0
    entries: int = 0
    tasks: int = 0
    events: int = 0
    concerns: int = 0
    follow_ups: int = 0
    measurements: int = 0
    outcome_events: int = 0


@dataclass
class BulkProfile:
    """Whose cases a bulk run writes, and what they look like. `utvei synth` writes Syntetisk kommune's cases,
    opened over the last two years, in every phase (`synth_profile`); the demo's historical cohort writes older,
    mostly closed cases of a demo municipality (evaluation/demo.py)."""

    owner: Membership  # the owning organisation's coordinator: opens the cases, writes plans and tasks
    leads: list[Membership]  # case leads, chosen at random
    team_pool: list[Membership]  # others who join a team
    team_size: tuple[int, int] = (1, 3)
    entries: tuple[int, int] = (3, 10)
    tasks: tuple[int, int] = (1, 3)
    opened_days: tuple[float, float] = (5, 730)  # opened this many days ago
    phase_weights: dict[str, int] = field(default_factory=lambda: dict(PHASE_WEIGHTS))
    closed_from: dict[str, int] | None = None  # how often a closed case closed from each phase (None: evenly)
    closed_opened_days: tuple[float, float] | None = None  # closed cases: opened this many days ago instead
    closed_span_days: tuple[float, float] | None = None  # closed cases: open at most this long
    concerns: float = 0.6  # share of cases opened from a concern (received, then triaged to open the case)
    reporters: list[Membership] = field(default_factory=list)  # who submitted those concerns (default: owner)
    measured: float = 0.6  # share of cases with outcome measurements (evaluation/synthetic.py)
    classifications: tuple[str, ...] = ()  # entries only in these (of those the author may write); () = any
    name_suffix: str = ""
    municipality: str = "Syntetisk"
    min_age: int = 13

    def members(self) -> list[Membership]:
        return [self.owner, *self.leads, *self.team_pool, *self.reporters]


def synth_profile(world: SynthWorld, entries: tuple[int, int] = (3, 10)) -> BulkProfile:
    return BulkProfile(
        owner=world.coordinator,
        leads=[world.coordinator, world.m["synth-saksbehandler"]],
        team_pool=[world.m[u] for u in TEAM_POOL],
        entries=entries,
        reporters=[world.m[u] for u in ("synth-skole", "synth-politi", "synth-nav", "synth-barnevern")],
    )


def synth_bulk(
    *,
    world: SynthWorld,
    persons: int,
    rng: random.Random,
    entries: tuple[int, int] = (3, 10),
    batch: int = 250,
) -> BulkStats:
    """Create `persons` persons with one case each by bulk insert, encrypted and audited per object."""
    return bulk_write(synth_profile(world, entries), persons=persons, rng=rng, batch=batch)


def bulk_write(profile: BulkProfile, *, persons: int, rng: random.Random, batch: int = 250) -> BulkStats:
    """Create `persons` persons with one case each for the profile, in batches of `batch` (each its own
    transaction, so memory stays flat however many persons)."""
    from utvei.evaluation.synthetic import indicators

    stats = BulkStats()
    catalogue = indicators()
    done = 0
    while done < persons:
        n = min(batch, persons - done)
        with transaction.atomic():
            _BulkBatch(profile, rng, catalogue).write(n, stats)
        done += n
    return stats


@dataclass
class _Story:
    """One synthetic case while it is built: its path through the phases and when each phase began."""

    case: Case
    path: list[str]
    stamps: list[dt.datetime]
    team: list[Membership] = field(default_factory=list)


CLOSURE_REASONS = {  # why a case closed, by how far it got
    "early": {
        ClosureReason.NOT_SUBSTANTIATED: 45,
        ClosureReason.DECLINED: 20,
        ClosureReason.MOVED: 10,
        ClosureReason.CRIMINAL_JUSTICE: 8,
        ClosureReason.UNREACHABLE: 7,
        ClosureReason.OTHER: 10,
    },
    "measures": {
        ClosureReason.GOALS_MET: 55,
        ClosureReason.DECLINED: 12,
        ClosureReason.MOVED: 10,
        ClosureReason.UNREACHABLE: 10,
        ClosureReason.CRIMINAL_JUSTICE: 6,
        ClosureReason.DECEASED: 1,
        ClosureReason.OTHER: 6,
    },
}
CONCERN_TEXTS = (
    "Skolen er bekymret etter uttalelser i klassen og innhold delt på nett.",
    "Foresatte ber om hjelp: endret atferd, nye venner og mye tid i lukkede forum.",
    "Politiets radikaliseringskontakt melder etter en bekymringssamtale.",
    "NAV-veileder melder om sympati med vold og symboler knyttet til et ekstremt miljø.",
    "Personen har selv tatt kontakt og ønsker hjelp til å komme ut av et miljø.",
    "Helsetjenesten melder om voldsfantasier knyttet til en ideologi.",
)


class _BulkBatch:
    """Builds one batch of persons and cases in memory, writes each table with one bulk insert, then audits."""

    def __init__(self, profile: BulkProfile, rng: random.Random, catalogue: list[Any]) -> None:
        self.profile, self.rng, self.catalogue = profile, rng, catalogue
        self.entry_range = profile.entries
        self.coord = profile.owner
        self.now = timezone.now()
        self.events: list[dict[str, Any]] = []
        self.members = {m.user_id: m for m in reversed(profile.members())}
        keep = set(profile.classifications)
        self.writable = {
            m.pk: [c for c in writable_classifications(m) if not keep or c in keep] for m in profile.members()
        }

    def event(
        self, action: str, obj: Any, *, case: Case | None = None, by: Membership | None = None, **kw: Any
    ) -> None:
        by = by or self.coord
        self.events.append(
            {
                "actor_id": by.user_id,
                "actor_org_id": by.organisation_id,
                "action": action,
                "object_type": obj._meta.model_name,
                "object_id": getattr(obj, "public_id", obj.pk),
                "case_id": str(case.public_id) if case else "",
                "reason": kw.get("reason", "synth"),
            }
        )

    def write(self, n: int, stats: BulkStats) -> None:
        from utvei.evaluation.synthetic import bulk_evaluation

        stories = self.cases(self.persons(n))
        self.teams(stories)
        self.phases(stories)
        concerns = self.concerns(stories)
        entries = self.entries(stories)
        tasks = self.tasks(stories)
        self.plans(stories)
        outcome = bulk_evaluation(
            stories,
            rng=self.rng,
            now=self.now,
            event=self.event,
            catalogue=self.catalogue,
            measured=self.profile.measured,
        )
        stats.persons += n
        stats.entries += entries
        stats.tasks += tasks
        stats.concerns += concerns
        stats.follow_ups += outcome.follow_ups
        stats.measurements += outcome.measurements
        stats.outcome_events += outcome.outcome_events
        stats.events += audit_record_many(self.events)

    def persons(self, n: int) -> list[Person]:
        p = self.profile
        people = _unique_people(self.rng, n, min_age=p.min_age, suffix=p.name_suffix, municipality=p.municipality)
        rows = Person.objects.bulk_create(
            [
                Person(
                    reference=ref,
                    full_name=p["full_name"],
                    national_id=p["national_id"],
                    national_id_index=p["index"],
                    birth_date=p["birth_date"].isoformat(),
                    age_band=age_band_for(p["birth_date"]),
                    gender=p["gender"],
                    municipality=p["municipality"],
                )
                for ref, p in zip(reserve_references("UTV", n), people, strict=True)
            ]
        )
        for person in rows:
            self.event(Action.PERSON_CREATE, person)
        return rows

    def cases(self, persons: list[Person]) -> list[_Story]:
        rng, now, p = self.rng, self.now, self.profile
        stories = []
        for person in persons:
            track, final, path = _plan(rng, p.phase_weights, p.closed_from)
            closed = final == Phase.CLOSED
            window = p.closed_opened_days if closed and p.closed_opened_days else p.opened_days
            opened = now - dt.timedelta(days=rng.uniform(*window))
            end = now
            if closed and p.closed_span_days:
                end = min(now, opened + dt.timedelta(days=rng.uniform(*p.closed_span_days)))
            stamps = [opened, *sorted(opened + (end - opened) * rng.random() for _ in path[1:])]
            reasons = CLOSURE_REASONS["measures" if Phase.ACTIVE in path else "early"]
            case = Case(
                reference=f"{person.reference}-1",
                person=person,
                track=track,
                phase=final,
                owning_org_id=self.coord.organisation_id,
                lead_id=rng.choice(p.leads).user_id,
                ideologies=[rng.choice(Ideology.values)],
                motivation_stage=rng.choice(MotivationStage.values[1:]) if track == Track.EXIT else "",
                opened_at=opened,
                closed_at=stamps[-1] if closed else None,
                closure_reason=rng.choices(list(reasons), weights=list(reasons.values()))[0] if closed else "",
                closure_summary=_body(rng) if closed else "",
                measures_ended_on=stamps[path.index(Phase.FOLLOW_UP)].date() if Phase.FOLLOW_UP in path else None,
                version=len(path),
            )
            stories.append(_Story(case, path, stamps))
        Case.objects.bulk_create([s.case for s in stories])
        for s in stories:
            self.event(Action.CASE_CREATE, s.case, case=s.case)
        return stories

    def teams(self, stories: list[_Story]) -> None:
        rows, pool = [], self.profile.team_pool
        low, high = self.profile.team_size
        for s in stories:
            lead = self.members[s.case.lead_id]  # type: ignore[index]
            others = self.rng.sample(pool, min(len(pool), self.rng.randint(low, high))) if pool else []
            s.team = [lead, *others]
            for i, m in enumerate(s.team):
                role = TeamRole.LEAD if i == 0 else TeamRole.MENTOR if m.role == Role.MENTOR else TeamRole.CASEWORKER
                rows.append(
                    TeamMember(
                        case=s.case,
                        user_id=m.user_id,
                        organisation_id=m.organisation_id,
                        role=role,
                        started_at=s.stamps[0],
                        added_by_id=self.coord.user_id,
                    )
                )
        for tm in TeamMember.objects.bulk_create(rows):
            if tm.role != TeamRole.LEAD:  # the lead joins with case.create, as in case_open
                self.event(Action.TEAM_ADD, tm, case=tm.case)

    def phases(self, stories: list[_Story]) -> None:
        rows = []
        for s in stories:
            prev = ""
            for phase, at in zip(s.path, s.stamps, strict=True):
                rows.append(
                    PhaseChange(
                        case=s.case,
                        from_phase=prev,
                        to_phase=phase,
                        from_track=s.case.track if prev else "",
                        to_track=s.case.track,
                        changed_by_id=self.coord.user_id,
                        changed_at=at,
                    )
                )
                if prev:
                    action = Action.CASE_CLOSE if phase == Phase.CLOSED else Action.CASE_PHASE
                    self.event(action, s.case, case=s.case, reason=phase)
                prev = phase
        PhaseChange.objects.bulk_create(rows)

    def concerns(self, stories: list[_Story]) -> int:
        """For a share of the cases, the concern they were opened from: received days before, triaged when the
        case opened (what the process measures count from). The subject's details stay on the person."""
        rng, p = self.rng, self.profile
        chosen = [s for s in stories if rng.random() < p.concerns]
        if not chosen:
            return 0
        reporters = p.reporters or [self.coord]
        rows = []
        for s, ref in zip(chosen, reserve_references("BEK", len(chosen)), strict=True):
            reporter = rng.choice(reporters)
            opened = s.stamps[0]
            rows.append(
                Concern(
                    reference=ref,
                    reporter_id=reporter.user_id,
                    reporter_org_id=reporter.organisation_id,
                    receiving_org_id=self.coord.organisation_id,
                    received_at=opened - dt.timedelta(days=rng.expovariate(1 / 9), hours=rng.uniform(1, 8)),
                    urgency=rng.choices(list(Urgency.values), weights=[70, 25, 5])[0],
                    description=rng.choice(CONCERN_TEXTS),
                    status=ConcernStatus.TRIAGED,
                    outcome=TriageOutcome.OPEN_CASE,
                    triaged_by_id=self.coord.user_id,
                    triaged_at=opened,
                    case=s.case,
                )
            )
        Concern.objects.bulk_create(rows, batch_size=1000)
        for c, s in zip(rows, chosen, strict=True):
            self.event(Action.CONCERN_CREATE, c, by=self.members[c.reporter_id])
            self.event(Action.CONCERN_TRIAGE, c, case=s.case, reason=f"synth;{TriageOutcome.OPEN_CASE}")
        return len(rows)

    def entries(self, stories: list[_Story]) -> int:
        rng, rows = self.rng, []
        for s in stories:
            start, end = s.stamps[0], s.stamps[-1] if s.case.phase == Phase.CLOSED else self.now
            writers = [m for m in s.team if self.writable[m.pk]]
            for _ in range(rng.randint(*self.entry_range)):
                author = rng.choice(writers)
                at = start + (end - start) * rng.random()
                kind = rng.choice(EntryKind.values)
                classification = rng.choice(self.writable[author.pk])
                category = rng.choice(DataCategory.values)
                rows.append(_entry(s.case, author, at, kind, classification, category, _body(rng)))
            if Phase.ACTIVE in s.path:  # the plan decision, written in planning, before activation
                planned, active = s.stamps[s.path.index(Phase.PLANNING)], s.stamps[s.path.index(Phase.ACTIVE)]
                at = planned + (active - planned) / 2
                rows.append(_entry(s.case, s.team[0], at, EntryKind.DECISION, "team", "plan", "Plan vedtatt."))
        rows = Entry.objects.bulk_create(rows, batch_size=1000)
        EntryRevision.objects.bulk_create(
            [
                EntryRevision(
                    entry=e,
                    version=1,
                    kind=e.kind,
                    category=e.category,
                    classification=e.classification,
                    occurred_at=e.occurred_at,
                    title=e.title,
                    body=e.body,
                    saved_by_id=e.author_id,
                    saved_at=e.created_at,
                )
                for e in rows
            ],
            batch_size=1000,
        )
        for e in rows:
            self.event(Action.ENTRY_CREATE, e, case=e.case, by=self.members[e.author_id])
        return len(rows)

    def plans(self, stories: list[_Story]) -> int:
        """An approved plan for every case that reached the active phase, approved when it got there."""
        rows = [
            (s.case, s.stamps[s.path.index(Phase.ACTIVE)], Phase.FOLLOW_UP in s.path or s.case.phase == Phase.CLOSED)
            for s in stories
            if Phase.ACTIVE in s.path
        ]
        return bulk_plans(rows, coord=self.coord, rng=self.rng, event=self.event)

    def tasks(self, stories: list[_Story]) -> int:
        """Tasks on the cases; follow-ups are not tasks (evaluation/synthetic.py writes them as follow-ups)."""
        rng, today, rows = self.rng, timezone.localdate(), []
        for s in stories:
            for _ in range(rng.randint(*self.profile.tasks)):
                who, done = rng.choice(s.team), rng.random() < 0.4
                status = TaskStatus.DONE if done else TaskStatus.OPEN
                if s.case.phase == Phase.CLOSED and not done:
                    status = TaskStatus.CANCELLED
                rows.append(
                    Task(
                        case=s.case,
                        title=rng.choice(TASK_TITLES),
                        assignee_id=who.user_id,
                        assignee_org_id=who.organisation_id,
                        status=status,
                        due_on=today + dt.timedelta(days=rng.randint(-60, 45)),
                        created_by_id=self.coord.user_id,
                        created_at=s.stamps[0],
                        completed_at=self.now if done else None,
                    )
                )
        rows = Task.objects.bulk_create(rows, batch_size=1000)
        for t in rows:
            self.event(Action.TASK_CREATE, t, case=t.case)
        return len(rows)


def _entry(
    case: Case, author: Membership, at: dt.datetime, kind: str, classification: str, category: str, body: str
) -> Entry:
    return Entry(
        case=case,
        kind=kind,
        category=category,
        classification=classification,
        occurred_at=at,
        body=body,
        author_id=author.user_id,
        author_org_id=author.organisation_id,
        created_at=at,
        updated_at=at,
    )


# ---- The command ---------------------------------------------------------------------------------------
