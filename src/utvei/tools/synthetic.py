"""Synthetic load (`utvei synth --persons N`) for benchmarks and query-count tests (demo or debug mode only).

Two ways to write, chosen with --method (default: services up to 50 persons, bulk above):

* services — every person, case, team member, entry, task, plan, measurement and outcome event goes through the
  domain services, exactly as a user's request would: access-checked, encrypted, one audit event per write
  (follow-ups are scheduled by the services when a case enters follow-up or is closed after measures).
* bulk — rows are built in memory as plain dicts and written in batches of 500 persons, each table at once
  (one prepared INSERT run for every row, COPY on PostgreSQL: "Writing rows fast" below; bulk_create cost more
  than everything else together). Encrypted fields still encrypt (through the field's own get_db_prep_save), the
  identity number still gets its blind index, and the audit log still gets ONE EVENT PER CREATED OBJECT with the
  action the service would have written (person.create, case.create, case.phase, case.close, team.add,
  concern.create, concern.triage, entry.create, task.create, plan.create, plan.approve, plan.item_add,
  plan.review, follow_up.schedule, follow_up.record, measurement.create, outcome.create), appended to the same
  hash chain, with reason "synth" so the DPO can tell load from work. `audit verify` holds afterwards.
  Evaluation data — follow-ups 6/12/24 months after the measures ended, measurements at intake, review, closure
  and follow-up, outcome events and the dose of each measure — is built by utvei.tools.synthetic_outcomes, in
  the same batches. `utvei synth --jobs 2` (the default from 5,000 persons on 2 CPUs) runs the bulk writer in two
  processes: one builds its next batch while the other writes.

The bulk writer takes a `BulkProfile`: whose cases, over which years, how far they got. `utvei synth` writes
Syntetisk kommune's (`synth_profile`); the demo's historical cohort (tools/demo/evaluation.py) writes a demo
municipality's older, mostly closed cases with it.

Synthetic data lives in its own organisations (slugs starting "synth-") and is invented; identity numbers use
the synthetic format of Norwegian test registers (month + 80), which no real person has.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import F
from django.utils import timezone

from utvei.access.policy import writable_classifications
from utvei.accounts.models import Membership, Organisation, OrgKind
from utvei.accounts.roles import Role
from utvei.accounts.services import org_create, user_create
from utvei.assessments.services import assessment_skip_record
from utvei.audit.models import Action
from utvei.audit.services import audit_record_bulk
from utvei.cases import services as case_services
from utvei.cases.models import (
    HAND_WRITTEN_KINDS,
    Case,
    ClosureReason,
    Concern,
    ConcernStatus,
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
from utvei.core.crypto import EncryptedTextField, blind_index
from utvei.core.dates import add_months
from utvei.core.db import insert_rows, refresh_statistics
from utvei.core.models import Counter
from utvei.core.vocabulary import DataCategory
from utvei.evaluation.services import measurement_record, outcome_event_record
from utvei.people.index import person_tokens
from utvei.people.models import AgeBand, Gender, Person, PersonToken, age_band_for
from utvei.people.services import NIN_CONTEXT, person_find_or_create
from utvei.plans import services as plan_services
from utvei.plans.models import Goal, GoalDomain, ItemStatus, Measure, Participation, Plan, PlanItem, PlanStatus
from utvei.sharing.consent.services import consent_record
from utvei.tools import synthetic_outcomes as outcomes

BATCH = 500  # persons per transaction

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
    """The synthetic organisations and users, created through the account services on first use.

    Without a password the users get none that can be used (nobody logs in as them; benchmarks use force_login),
    so creating them costs no password hashing: eight Argon2 hashes take seconds, longer than thousands of
    persons. With one, user_create sets it."""
    for slug, (name, kind) in SYNTH_ORGS.items():
        if not Organisation.objects.filter(slug=slug).exists():
            org_create(slug=slug, name=name, kind=kind, jurisdiction="Syntetisk")
    users = get_user_model().objects
    m: dict[str, Membership] = {}
    for username, (slug, role) in SYNTH_USERS.items():
        existing = Membership.objects.filter(user__username=username, organisation__slug=slug, role=role).first()
        if existing is None and password is None and not users.filter(username=username).exists():
            users.create_user(username=username)  # password None: an unusable one; user_create adds the membership
        m[username] = existing or user_create(
            username=username, password=password or secrets.token_urlsafe(24), org_slug=slug, role=role, validate=False
        )
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
_TRACKS: list[str] = list(Track.values)


def _person_fields(
    rng: random.Random, serial: int, *, min_age: int = 13, lane: tuple[int, int] = (0, 1)
) -> dict[str, Any]:
    """`lane` (i, n): a birth date whose day number is i modulo n (processes in different lanes never make the
    same identity number)."""
    male = rng.random() < 0.6
    today = timezone.localdate()
    birth = today - dt.timedelta(days=rng.randint(min_age * 365, max(min_age + 5, 45) * 365))
    if lane[1] > 1:
        birth -= dt.timedelta(days=(birth.toordinal() - lane[0]) % lane[1])
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
    track = rng.choices(_TRACKS, weights=[55, 35, 10])[0]
    final: str = rng.choices(list(weights), weights=list(weights.values()))[0]
    path: list[str] = list(ORDER[: ORDER.index(final) + 1]) if final != Phase.CLOSED else []
    if final == Phase.CLOSED:
        if closed_from:
            last = rng.choices(list(closed_from), weights=list(closed_from.values()))[0]
            path = [*ORDER[: ORDER.index(last) + 1], Phase.CLOSED]
        else:
            path = [*ORDER[: rng.randint(1, len(ORDER))], Phase.CLOSED]
    return track, final, path


# ---- Plans ---------------------------------------------------------------------------------------------

GOALS = (
    ("Jeg vil ha en jobb.", GoalDomain.WORK),
    ("Fullføre skoleåret.", GoalDomain.EDUCATION),
    ("Egen leilighet.", GoalDomain.HOUSING),
    ("Nye venner utenfor miljøet.", GoalDomain.NETWORK),
    ("Bedre kontakt med familien.", GoalDomain.FAMILY),
    ("Sove bedre og være mindre redd.", GoalDomain.HEALTH),
    ("Bli kvitt gjelda.", GoalDomain.FINANCES),
)


def _toolbox() -> list[Measure]:
    """The built-in measures, loaded from their data file first if the database has none (a fresh or flushed one)."""
    if not Measure.objects.filter(owner_org__isnull=True).exists():
        plan_services.measures_sync()
    return list(Measure.objects.filter(active=True, owner_org__isnull=True).order_by("position"))


def synth_plan(*, actor: Membership, case: Case, rng: random.Random) -> Plan:
    """A small approved plan through the plan services: one or two goals, one to three items (every synthetic case
    that reaches the active phase has one: planning -> active needs it)."""
    plan = plan_services.plan_create(actor=actor, case=case)
    goals = []
    for text, domain in rng.sample(GOALS, rng.randint(1, 2)):
        fresh = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
        goals.append(plan_services.goal_add(actor=actor, plan=fresh, text=text, domain=domain))
    for measure in rng.sample(_toolbox(), rng.randint(1, 3)):
        fresh = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
        plan_services.item_add(
            actor=actor, plan=fresh, measure=measure, goal=rng.choice(goals), responsible_org=actor.organisation
        )
    plan = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
    plan_services.plan_update(actor=actor, plan=plan, expected_version=plan.version, participation=Participation.PERSON)
    plan = Plan.objects.select_related("case", "author_org").get(pk=plan.pk)
    return plan_services.plan_approve(actor=actor, plan=plan, expected_version=plan.version)


# ---- Through the services ------------------------------------------------------------------------------


def synth_services(
    *, world: SynthWorld, persons: int, rng: random.Random, progress: Callable[[int], None] | None = None
) -> int:
    """Create `persons` persons with one case each through the domain services; returns cases created.
    `progress` is told the persons written so far after each."""
    coord = world.coordinator
    base = Person.objects.count() * 7 + rng.randint(0, 10_000)
    for i in range(persons):
        p = _person_fields(rng, base + i)
        person, _created = person_find_or_create(actor=coord, **p)
        track, _final, path = _plan(rng)
        case = case_services.case_open(
            actor=coord, person=person, track=track, ideologies=[rng.choice(Ideology.values)]
        )
        team, child = [coord], person.age_band == AgeBand.UNDER_15
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
                given_by="guardian" if child else "person",  # under the consent age a guardian gives it
                guardian_name="Foresatt (syntetisk)" if child else "",
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
                kind=rng.choice(HAND_WRITTEN_KINDS),
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
        if progress is not None:
            progress(i + 1)
    return persons


def _services_measure(
    actor: Membership, case: Case, rng: random.Random, *, occasion: str, indicators: list[Any] | None = None
) -> list[Any]:
    """A few of the worker's measurements on the case today, through the evaluation service."""
    chosen = indicators or rng.sample(
        [i for i in outcomes.indicators() if case.track in i.tracks and "worker" in i.sources], rng.randint(3, 5)
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
    rng: random.Random,
    n: int,
    *,
    min_age: int = 13,
    suffix: str = "",
    municipality: str = "Syntetisk",
    seen: set[str] | None = None,
    lane: tuple[int, int] = (0, 1),
) -> list[dict[str, Any]]:
    """Person fields whose identity numbers are not yet registered (checked through the blind index) nor in
    `seen` (the blind indexes this run made so far, which it adds to)."""
    out: list[dict[str, Any]] = []
    seen = set() if seen is None else seen
    serial = rng.randint(0, 10_000)
    while len(out) < n:
        batch = []
        for _ in range(n - len(out)):
            serial += 1
            p = _person_fields(rng, serial, min_age=min_age, lane=lane)
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
    mostly closed cases of a demo municipality (tools/demo/evaluation.py)."""

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
    measured: float = 0.6  # share of cases with outcome measurements (synthetic_outcomes.py)
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
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    claim: Callable[[int], int] | None = None,
    lane: tuple[int, int] = (0, 1),
) -> BulkStats:
    """Create `persons` persons with one case each by bulk insert, encrypted and audited per object."""
    return bulk_write(
        synth_profile(world, entries), persons=persons, rng=rng, batch=batch, progress=progress, claim=claim, lane=lane
    )


def bulk_write(
    profile: BulkProfile,
    *,
    persons: int,
    rng: random.Random,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    claim: Callable[[int], int] | None = None,
    lane: tuple[int, int] = (0, 1),
) -> BulkStats:
    """Create `persons` persons with one case each for the profile, in batches of `batch` (each written in its own
    transaction, so memory stays flat however many persons). `progress` is told the persons written so far after
    every batch.

    A batch is built first, outside any transaction of its own (it only reads), and written after: primary keys
    and references are taken when it is written, in its transaction, so several processes can build at once
    while one writes (`utvei synth --jobs`). For those: `claim`, when given, is asked before every batch how many
    persons to write next (at most `batch`, 0 to stop) instead of counting down `persons`; `lane` (i, n) makes
    this process's identity numbers of birth dates n days apart, from i, so that n processes never make the same.
    """
    stats = BulkStats()
    toolbox = _toolbox()
    run = _Run(
        writer=BulkWriter(),
        catalogue=outcomes.indicators(),
        toolbox=toolbox,
        common={m.key: m for m in toolbox if m.key in outcomes.COMMON_MEASURES},
        bodies=[_body(rng) for _ in range(BODIES)],
        lane=lane,
    )
    if claim is None:
        left = [persons]

        def claim(most: int) -> int:
            n = min(most, left[0])
            left[0] -= n
            return n

    own = not connection.in_atomic_block
    done = 0
    with _bulk_connection():
        while (n := claim(batch)) > 0:
            _BulkBatch(profile, rng, run).build(n, stats)
            ready = run.writer.detach()
            with transaction.atomic():
                stats.events += write_batch(ready, own=own)
            done += n
            if progress is not None:
                progress(done)
    if own:
        refresh_statistics(bulk=True)  # the planner's picture of the tables, which just grew (docs/scale.md)
    return stats


BODIES = 1000  # texts of entries and closure summaries a run draws from (making each anew costs more than the rest)


@dataclass
class _Run:
    """What every batch of one bulk_write uses."""

    writer: BulkWriter
    catalogue: list[Any]  # the rated indicators
    toolbox: list[Measure]  # the built-in measures
    common: dict[str, Measure]  # those of synthetic_outcomes.COMMON_MEASURES, by key
    bodies: list[str]
    lane: tuple[int, int] = (0, 1)
    seen: set[str] = field(default_factory=set)  # blind indexes of the identity numbers made so far


@contextmanager
def _bulk_connection() -> Iterator[None]:
    """On SQLite, for the run: a page cache of 256 MiB (the default 2 MiB keeps rereading the indexes of big
    tables); the write-ahead log copied back into the database every 10,000 pages instead of every 1,000 (fewer,
    longer checkpoints); and waiting up to a minute for another writer (another `--jobs` process writing its
    batch) instead of 5 s. All set back afterwards. Settings of this connection only: nothing about the database,
    or what is durable when, changes."""
    if connection.vendor != "sqlite":
        yield
        return
    tuned = {"cache_size": -262144, "wal_autocheckpoint": 10000, "busy_timeout": 60000}
    before = {}
    with connection.cursor() as cursor:
        for name, value in tuned.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")


# ---- Writing rows fast ---------------------------------------------------------------------------------
#
# The ORM's bulk_create costs far more than the rows it writes: a model instance per row and a compiled,
# per-value-prepared multi-row INSERT. The bulk writer builds rows as plain dicts (field attname -> value) and
# writes each table at once (core.db.insert_rows): with one prepared INSERT run for every row (executemany), or
# COPY on PostgreSQL; the audit events likewise (audit.services.audit_record_bulk).
# Values go through the field's own get_db_prep_save wherever that does anything (encrypted fields encrypt there;
# dates, times, UUIDs and JSON are adapted for the backend), so what lands in the database is what bulk_create
# would have written.
#
# A batch is built before it is written, and may be built while another process writes (`--jobs`): its rows'
# primary keys are numbered from 0 per table while it is built, and the rows that point to them (foreign keys
# to a table the batch writes) by those numbers; when the batch is written, in its transaction, each table takes
# as many keys as it has rows and every such number becomes the key it stands for. References (UTV-2026-000123,
# the `reference` columns) are taken then too. So a batch's rows point to rows of the same batch, or to tables
# it writes nothing to.

Row = dict[str, Any]
# Internal types whose Python values go to the driver as they are (what get_db_prep_save returns for them).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _prep(f: Any, db: Any, seen: dict[Any, Any]) -> Callable[[Any], Any] | None:
    """What turns a Python value into the driver's value for field `f`: None where that is the value itself; for
    dates, times and UUIDs of the usual kind what the backend's adapter makes of them (the same value, only without
    the general path's checks; times remembered in `seen`, as a batch's rows share many); anything else, and
    encrypted fields always (bar the empty string, which they keep as it is), through the field's
    get_db_prep_save."""
    slow: Callable[[Any], Any] = partial(f.get_db_prep_save, connection=db)
    kind = f.get_internal_type()
    if isinstance(f, EncryptedTextField):
        return lambda v: v if v == "" else slow(v)
    if db.vendor not in ("sqlite", "postgresql"):
        return slow
    if kind in _AS_IS:
        return None
    sqlite = db.vendor == "sqlite"
    if kind == "DateTimeField" and settings.USE_TZ:
        if not sqlite:
            return lambda v: v if type(v) is dt.datetime and v.tzinfo is not None else slow(v)
        tz = db.timezone  # what SQLite stores naive datetimes in (UTC)

        def datetime_(v: Any) -> Any:
            out = seen.get(v)
            if out is None:
                if type(v) is dt.datetime and v.tzinfo is not None:
                    out = seen[v] = str(v.astimezone(tz).replace(tzinfo=None))
                else:
                    out = slow(v)
            return out

        return datetime_
    if kind == "DateField":
        return lambda v: (str(v) if sqlite else v) if type(v) is dt.date else slow(v)
    if kind == "UUIDField":
        native = db.features.has_native_uuid_field
        return lambda v: (v if native else v.hex) if type(v) is uuid.UUID else slow(v)
    return slow


class _Ref:
    """A reference left to the batch's write: taken then from the yearly counter of `prefix`, or `base`'s with a
    suffix (a case's is its person's with "-1")."""

    __slots__ = ("base", "prefix", "suffix", "text")

    def __init__(self, prefix: str = "", *, base: _Ref | None = None, suffix: str = "") -> None:
        self.prefix, self.base, self.suffix, self.text = prefix, base, suffix, ""


class _Table:
    """How rows of one model are written: its columns, per column its default and its preparation, which columns
    hold numbers of the batch's rows (its key, foreign keys), and how new keys are taken."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = True) -> None:
        meta = model._meta
        db = connections[DEFAULT_DB_ALIAS]
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        self.model = model
        self.pk = str(meta.pk.attname) if meta.pk is not None else "id"
        self.type = str(meta.model_name)
        self.public_id = any(f.attname == "public_id" for f in fields)
        names = [str(f.attname) for f in fields]
        self.get = itemgetter(*names)
        # Defaults: a value, or a callable (timezone.now, uuid4, list) called once per batch: one "now" per batch.
        self.defaults = {
            str(f.attname): f.default if f.has_default() else f.get_default() for f in fields if not f.primary_key
        }
        self.seen: dict[Any, Any] = {}
        self.preps = [(i, prep) for i, f in enumerate(fields) if (prep := _prep(f, db, self.seen)) is not None]
        self.links: list[tuple[int, Any]] = [
            (i, model if f.primary_key else f.related_model)
            for i, f in enumerate(fields)
            if f.primary_key or (f.is_relation and f.many_to_one) or (f.is_relation and f.one_to_one)
        ]
        self.late = [i for i, name in enumerate(names) if name == "reference"]
        self.table_name = str(meta.db_table)
        self.column_names = [str(f.column) for f in fields]
        self.count = 0  # rows numbered in the batch being built

    def params(self, rows: list[Row], late: list[tuple[list[Any], int, _Ref]]) -> list[list[Any]]:
        """The rows as driver values, keys still numbered in the batch; references left to the write go to
        `late`."""
        defaults = {k: v() if callable(v) else v for k, v in self.defaults.items()}
        get, preps, refs = self.get, self.preps, self.late
        out = []
        for row in rows:
            values = list(get({**defaults, **row}))
            for i, prep in preps:
                v = values[i]
                if v is not None:
                    values[i] = prep(v)
            for i in refs:
                if type(values[i]) is _Ref:
                    late.append((values, i, values[i]))
            out.append(values)
        self.seen.clear()
        return out

    def take_ids(self, n: int) -> Sequence[int]:
        """n new primary keys, in the writing transaction. PostgreSQL: from the column's sequence. SQLite:
        counting on from the highest the table has had (as AUTOINCREMENT does); the transaction holds the write
        lock from here until the rows are in."""
        meta = self.model._meta
        table, column = str(meta.db_table), str(meta.pk.column)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [qn(table), column, n]
                )
                return [r[0] for r in cursor.fetchall()]
            cursor.execute(f"SELECT MAX({qn(column)}) FROM {qn(table)}")  # noqa: S608
            top = cursor.fetchone()[0] or 0
            if connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                seen = cursor.fetchone()
                top = max(top, seen[0] if seen else 0)
        return range(top + 1, top + 1 + n)

    def renumber(self, rows: list[list[Any]], keys: dict[Any, Sequence[int]]) -> None:
        """Turn the batch's numbers in the key and foreign-key columns into the keys taken for them."""
        for i, target in self.links:
            taken = keys.get(target)
            if taken is None:
                continue  # a table the batch writes nothing to: the value is a key already
            for row in rows:
                v = row[i]
                if v is not None:
                    row[i] = taken[v]


class BulkWriter:
    """The rows of one batch while it is built. `add` numbers a row in its table (and gives it a public_id), so
    other rows can point to it; `event` records its audit event; `detach` hands the batch over, its rows prepared
    for the database, to be written (write_batch). A writer lives for one run of bulk_write."""

    def __init__(self) -> None:
        self.tables: dict[type[models.Model], _Table] = {}
        self.rows: dict[type[models.Model], list[Row]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.who: dict[int, tuple[int, int]] = {}  # id(membership) -> (user_id, organisation_id)
        self.uuids: Iterator[uuid.UUID] = iter(())  # made ahead, 4,096 at a time

    def add(self, model: type[models.Model], **values: Any) -> Row:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model)
        values[table.pk] = table.count
        table.count += 1
        if table.public_id:
            values["public_id"] = self.uuid4()
        values["_type"] = table.type
        rows = self.rows.get(model)
        if rows is None:
            rows = self.rows[model] = []
        rows.append(values)
        return values

    def uuid4(self) -> uuid.UUID:
        """What uuid.uuid4() makes: 16 random bytes from the OS, marked as version 4 (read 4,096 at a time)."""
        u = next(self.uuids, None)
        if u is None:
            raw = os.urandom(16 * 4096)
            self.uuids = iter([uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, len(raw), 16)])
            u = next(self.uuids)
        return u

    def event(self, action: str, row: Row, *, case: Row | None = None, by: Membership, reason: str = "synth") -> None:
        """One audit event for a row (or a case), as the service that writes it would record: the object by its
        public_id, or by its key (known when the batch is written)."""
        ref = row.get("_ref")
        if ref is None:
            ref = row["_ref"] = str(row["public_id"]) if "public_id" in row else (row["_type"], row["id"])
        who = self.who.get(id(by))
        if who is None:
            who = self.who[id(by)] = (by.user_id, by.organisation_id)
        self.events.append((*who, action, row["_type"], ref, case["_ref"] if case else "", reason))

    def detach(self) -> _Batch:
        """The batch built so far, prepared for the database (encrypted, adapted); the writer starts on the next."""
        late: list[tuple[list[Any], int, _Ref]] = []
        tables = [(self.tables[model], self.tables[model].params(rows, late)) for model, rows in self.rows.items()]
        batch = _Batch(tables=tables, events=self.events, late=late)
        self.rows, self.events = {}, []
        for table in self.tables.values():
            table.count = 0
        return batch


@dataclass
class _Batch:
    """One batch's rows as driver values, table by table in the order their first row was added (parents first),
    keys numbered in the batch; the references left to the write; its audit events."""

    tables: list[tuple[_Table, list[list[Any]]]]
    events: list[tuple[Any, ...]]
    late: list[tuple[list[Any], int, _Ref]]


def write_batch(batch: _Batch, *, own: bool) -> int:
    """Write one batch in the current transaction: take its keys and references, insert every table, append its
    audit events; returns the events. `own`: the transaction is the batch's own, so on PostgreSQL its commit need
    not wait for the disk (synthetic load: a crash can lose the last batches, never corrupt anything; this
    transaction only)."""
    if own and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    keys = {table.model: table.take_ids(len(rows)) for table, rows in batch.tables}
    for table, rows in batch.tables:
        table.renumber(rows, keys)
    _take_references(batch.late)
    for table, rows in batch.tables:
        insert_rows(table.table_name, table.column_names, rows)
    by_type = {table.type: keys[table.model] for table, _rows in batch.tables}
    events = [e if type(e[4]) is str else (*e[:4], str(by_type[e[4][0]][e[4][1]]), *e[5:]) for e in batch.events]
    return audit_record_bulk(events)


def _take_references(late: list[tuple[list[Any], int, _Ref]]) -> None:
    by_prefix: dict[str, list[_Ref]] = {}
    for _row, _i, ref in late:
        if ref.base is None:
            by_prefix.setdefault(ref.prefix, []).append(ref)
    for prefix, refs in by_prefix.items():
        for ref, text in zip(refs, reserve_references(prefix, len(refs)), strict=True):
            ref.text = text
    for row, i, ref in late:
        row[i] = ref.text if ref.base is None else ref.base.text + ref.suffix


# ---- One batch -----------------------------------------------------------------------------------------


@dataclass
class _Story:
    """One synthetic case while it is built: its row, its path through the phases and when each phase began, its
    team (the lead first), and its approved plan with the plan's items (cases that reached the active phase)."""

    case: Row
    path: list[str]
    stamps: list[dt.datetime]
    team: list[Membership] = field(default_factory=list)
    plan: Row | None = None
    items: list[Row] = field(default_factory=list)


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
_KINDS, _CATEGORIES, _IDEOLOGIES = list(HAND_WRITTEN_KINDS), list(DataCategory.values), list(Ideology.values)
_STAGES = list(MotivationStage.values[1:])


class _BulkBatch:
    """Builds one batch of persons and cases as rows, then writes every table and the audit events at once."""

    def __init__(self, profile: BulkProfile, rng: random.Random, run: _Run) -> None:
        self.profile, self.rng, self.run, self.w = profile, rng, run, run.writer
        self.entry_range = profile.entries
        self.coord = profile.owner
        self.now = timezone.now()
        self.members = {m.user_id: m for m in reversed(profile.members())}
        keep = set(profile.classifications)
        self.writable = {
            m.pk: [c for c in writable_classifications(m) if not keep or c in keep] for m in profile.members()
        }

    def event(self, action: str, row: Row, *, case: Row | None = None, by: Membership | None = None, **kw: Any) -> None:
        self.w.event(action, row, case=case, by=by or self.coord, reason=kw.get("reason", "synth"))

    def build(self, n: int, stats: BulkStats) -> None:
        """Build n persons with their cases and everything on them as rows, with their audit events."""
        stories = self.cases(self.persons(n))
        self.teams(stories)
        self.phases(stories)
        concerns = self.concerns(stories)
        entries = self.entries(stories)
        tasks = self.tasks(stories)
        self.plans(stories)
        outcome = outcomes.bulk_evaluation(
            stories,
            rng=self.rng,
            now=self.now,
            add=self.w.add,
            event=self.event,
            catalogue=self.run.catalogue,
            common=self.run.common,
            measured=self.profile.measured,
        )
        stats.persons += n
        stats.entries += entries
        stats.tasks += tasks
        stats.concerns += concerns
        stats.follow_ups += outcome.follow_ups
        stats.measurements += outcome.measurements
        stats.outcome_events += outcome.outcome_events

    def persons(self, n: int) -> list[Row]:
        profile, add = self.profile, self.w.add
        people = _unique_people(
            self.rng,
            n,
            min_age=profile.min_age,
            suffix=profile.name_suffix,
            municipality=profile.municipality,
            seen=self.run.seen,
            lane=self.run.lane,
        )
        rows = []
        for p in people:
            person = add(
                Person,
                reference=_Ref("UTV"),
                full_name=p["full_name"],
                national_id=p["national_id"],
                national_id_index=p["index"],
                birth_date=p["birth_date"].isoformat(),
                age_band=age_band_for(p["birth_date"]),
                gender=p["gender"],
                municipality=p["municipality"],
            )
            for token in sorted(person_tokens(p["full_name"], p["birth_date"])):
                add(PersonToken, person_id=person["id"], token=token)
            self.event(Action.PERSON_CREATE, person)
            rows.append(person)
        return rows

    def cases(self, persons: list[Row]) -> list[_Story]:
        rng, now, p, add = self.rng, self.now, self.profile, self.w.add
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
            case = add(
                Case,
                reference=_Ref(base=person["reference"], suffix="-1"),
                person_id=person["id"],
                track=track,
                phase=final,
                owning_org_id=self.coord.organisation_id,
                lead_id=rng.choice(p.leads).user_id,
                ideologies=[rng.choice(_IDEOLOGIES)],
                motivation_stage=rng.choice(_STAGES) if track == Track.EXIT else "",
                opened_at=opened,
                closed_at=stamps[-1] if closed else None,
                closure_reason=rng.choices(list(reasons), weights=list(reasons.values()))[0] if closed else "",
                closure_summary=rng.choice(self.run.bodies) if closed else "",
                measures_ended_on=stamps[path.index(Phase.FOLLOW_UP)].date() if Phase.FOLLOW_UP in path else None,
                version=len(path),
            )
            case["_ref"] = str(case["public_id"])
            self.event(Action.CASE_CREATE, case, case=case)
            stories.append(_Story(case, path, stamps))
        return stories

    def teams(self, stories: list[_Story]) -> None:
        rng, pool, add = self.rng, self.profile.team_pool, self.w.add
        low, high = self.profile.team_size
        owner = self.coord.organisation_id
        for s in stories:
            lead = self.members[s.case["lead_id"]]
            others = rng.sample(pool, min(len(pool), rng.randint(low, high))) if pool else []
            s.team = [lead, *others]
            for i, m in enumerate(s.team):
                role = TeamRole.LEAD if i == 0 else TeamRole.MENTOR if m.role == Role.MENTOR else TeamRole.CASEWORKER
                tm = add(
                    TeamMember,
                    case_id=s.case["id"],
                    user_id=m.user_id,
                    organisation_id=m.organisation_id,
                    role=role,
                    started_at=s.stamps[0],
                    added_by_id=self.coord.user_id,
                    owner_side=m.organisation_id == owner,  # as case_open and team_add set it
                )
                if i:  # the lead joins with case.create, as in case_open
                    self.event(Action.TEAM_ADD, tm, case=s.case)

    def phases(self, stories: list[_Story]) -> None:
        add, by = self.w.add, self.coord.user_id
        for s in stories:
            prev, track = "", s.case["track"]
            for phase, at in zip(s.path, s.stamps, strict=True):
                add(
                    PhaseChange,
                    case_id=s.case["id"],
                    from_phase=prev,
                    to_phase=phase,
                    from_track=track if prev else "",
                    to_track=track,
                    changed_by_id=by,
                    changed_at=at,
                )
                if prev:
                    action = Action.CASE_CLOSE if phase == Phase.CLOSED else Action.CASE_PHASE
                    self.event(action, s.case, case=s.case, reason=phase)
                prev = phase

    def concerns(self, stories: list[_Story]) -> int:
        """For a share of the cases, the concern they were opened from: received days before, triaged when the
        case opened (what the process measures count from). The subject's details stay on the person."""
        rng, p, add = self.rng, self.profile, self.w.add
        chosen = [s for s in stories if rng.random() < p.concerns]
        if not chosen:
            return 0
        reporters = p.reporters or [self.coord]
        urgencies = list(Urgency.values)
        for s in chosen:
            reporter = rng.choice(reporters)
            opened = s.stamps[0]
            concern = add(
                Concern,
                reference=_Ref("BEK"),
                reporter_id=reporter.user_id,
                reporter_org_id=reporter.organisation_id,
                receiving_org_id=self.coord.organisation_id,
                received_at=opened - dt.timedelta(days=rng.expovariate(1 / 9), hours=rng.uniform(1, 8)),
                urgency=rng.choices(urgencies, weights=[70, 25, 5])[0],
                description=rng.choice(CONCERN_TEXTS),
                status=ConcernStatus.TRIAGED,
                outcome=TriageOutcome.OPEN_CASE,
                triaged_by_id=self.coord.user_id,
                triaged_at=opened,
                case_id=s.case["id"],
            )
            self.event(Action.CONCERN_CREATE, concern, by=self.members[reporter.user_id])
            self.event(Action.CONCERN_TRIAGE, concern, case=s.case, reason=f"synth;{TriageOutcome.OPEN_CASE}")
        return len(chosen)

    def entries(self, stories: list[_Story]) -> int:
        rng, bodies, count = self.rng, self.run.bodies, 0
        for s in stories:
            start, end = s.stamps[0], s.stamps[-1] if s.case["phase"] == Phase.CLOSED else self.now
            writers = [m for m in s.team if self.writable[m.pk]]
            for _ in range(rng.randint(*self.entry_range)):
                author = rng.choice(writers)
                at = start + (end - start) * rng.random()
                kind = rng.choice(_KINDS)
                classification = rng.choice(self.writable[author.pk])
                category = rng.choice(_CATEGORIES)
                self.entry(s, author, at, kind, classification, category, rng.choice(bodies))
                count += 1
            if Phase.ACTIVE in s.path:  # the plan decision, written in planning, before activation
                planned, active = s.stamps[s.path.index(Phase.PLANNING)], s.stamps[s.path.index(Phase.ACTIVE)]
                at = planned + (active - planned) / 2
                self.entry(s, s.team[0], at, EntryKind.DECISION, "team", "plan", "Plan vedtatt.")
                count += 1
        return count

    def entry(
        self, s: _Story, author: Membership, at: dt.datetime, kind: str, classification: str, category: str, body: str
    ) -> None:
        """An entry and its first revision, as entry_create writes them."""
        entry = self.w.add(
            Entry,
            case_id=s.case["id"],
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
        self.w.add(
            EntryRevision,
            entry_id=entry["id"],
            version=1,
            kind=kind,
            category=category,
            classification=classification,
            occurred_at=at,
            title="",
            body=body,
            saved_by_id=author.user_id,
            saved_at=at,
        )
        self.event(Action.ENTRY_CREATE, entry, case=s.case, by=author)

    def plans(self, stories: list[_Story]) -> int:
        """An approved plan for every case that reached the active phase, approved when it got there: one goal in
        the person's words and one measure (synthetic_outcomes.py adds the dose and often more measures)."""
        rng, add, coord, count = self.rng, self.w.add, self.coord, 0
        for s in stories:
            if Phase.ACTIVE not in s.path:
                continue
            at = s.stamps[s.path.index(Phase.ACTIVE)]
            ended = Phase.FOLLOW_UP in s.path or s.case["phase"] == Phase.CLOSED
            plan = s.plan = add(
                Plan,
                case_id=s.case["id"],
                number=1,
                status=PlanStatus.APPROVED,
                participation=Participation.PERSON,
                review_due=add_months(at.date(), 3),
                author_id=coord.user_id,
                author_org_id=coord.organisation_id,
                created_at=at,
                updated_at=at,
                approved_by_id=coord.user_id,
                approved_org_id=coord.organisation_id,
                approved_at=at,
                version=4,
            )
            text, domain = rng.choice(GOALS)
            goal = add(
                Goal,
                plan_id=plan["id"],
                position=1,
                text=text,
                domain=domain,
                created_by_id=coord.user_id,
                created_at=at,
            )
            s.items = [
                add(
                    PlanItem,
                    plan_id=plan["id"],
                    position=1,
                    measure_id=rng.choice(self.run.toolbox).pk,
                    goal_id=goal["id"],
                    responsible_org_id=coord.organisation_id,
                    status=ItemStatus.DONE if ended else ItemStatus.ONGOING,
                    created_by_id=coord.user_id,
                    created_at=at,
                )
            ]
            self.event(Action.PLAN_CREATE, plan, case=s.case)
            self.event(Action.PLAN_APPROVE, plan, case=s.case)
            count += 1
        return count

    def tasks(self, stories: list[_Story]) -> int:
        """Tasks on the cases; follow-ups are not tasks (synthetic_outcomes.py writes them as follow-ups)."""
        rng, today, add, count = self.rng, timezone.localdate(), self.w.add, 0
        for s in stories:
            closed = s.case["phase"] == Phase.CLOSED
            for _ in range(rng.randint(*self.profile.tasks)):
                who, done = rng.choice(s.team), rng.random() < 0.4
                status = TaskStatus.DONE if done else TaskStatus.CANCELLED if closed else TaskStatus.OPEN
                task = add(
                    Task,
                    case_id=s.case["id"],
                    title=rng.choice(TASK_TITLES),
                    assignee_id=who.user_id,
                    assignee_org_id=who.organisation_id,
                    status=status,
                    due_on=today + dt.timedelta(days=rng.randint(-60, 45)),
                    created_by_id=self.coord.user_id,
                    created_at=s.stamps[0],
                    completed_at=self.now if done else None,
                )
                self.event(Action.TASK_CREATE, task, case=s.case)
                count += 1
        return count
