"""`utvei demo`: load the fictional municipality of Fjordvik and print the demo accounts (demo mode only).

The story lives in utvei/tools/data/demo.yaml. Every record is written by the domain services (accounts, people,
cases, sharing, plans, assessments, evaluation), so it is access-checked, encrypted and audited like real work.
Services stamp their rows with the current time; to make the case list and timelines read like 18 months of work,
the loader afterwards moves the timestamps those services set to "now" (opened_at, closed_at, received_at,
triaged_at, changed_at, started_at, created_at, saved_at, completed_at, valid_from, sent_at, decided_at,
expires_at, reviewed_at, finalised_at, recorded_at, and the dates measured_on and due_on where a service took
today for them) to the story's date. It touches no content and no audit event: the audit log keeps the true time
of loading.

After the story, an invented historical cohort of Fjordvik kommune (`history:` in demo.yaml; about 150 mostly
closed cases led by the account `historikk`) is written in bulk, so the analyst's statistics have cohorts to show;
`--without-history` leaves it out. See utvei/tools/demo/evaluation.py.

The steps of the apps other than cases are told by tools/demo/<app>.py.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from utvei.access.policy import own_concerns, visible_cases, visible_concerns
from utvei.accounts.models import Membership, Organisation, User
from utvei.accounts.services import org_create, user_create
from utvei.administration.services import member_handover, member_update
from utvei.assessments.checks import planning_blocker
from utvei.assessments.models import AssessmentSkip
from utvei.assessments.services import assessment_skip_record
from utvei.cases import services as cs
from utvei.cases.models import (
    Case,
    Concern,
    ConcernStatus,
    Entry,
    EntryRevision,
    ParticipantAccount,
    PhaseChange,
    Task,
    TaskStatus,
    TeamMember,
    TriageOutcome,
)
from utvei.cases.participants import participant_accept, participant_invite
from utvei.cases.protection import protection_set
from utvei.core.errors import UtveiError
from utvei.core.vocabulary import DataCategory
from utvei.oversight.alerts import pending_count
from utvei.oversight.detector import alerts_scan
from utvei.oversight.rules import Rules, load_rules
from utvei.people.models import AgeBand, Person
from utvei.people.services import person_find_or_create
from utvei.retention.models import SubjectAccessRequest
from utvei.retention.models.requests import OPEN_STATUSES
from utvei.retention.subject_access import services as subject_access
from utvei.sharing.consent.services import consent_record
from utvei.sharing.models import Consent, EmergencyAccess, Referral, ReferralStatus, ReviewStatus
from utvei.tools.demo import assessments as assessments_demo
from utvei.tools.demo import evaluation as evaluation_demo
from utvei.tools.demo import meetings as meetings_demo
from utvei.tools.demo import network as network_demo
from utvei.tools.demo import plans as plans_demo
from utvei.tools.demo import retention as retention_demo
from utvei.tools.demo import sharing as sharing_demo
from utvei.tools.synthetic import synthetic_nin

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "demo.yaml"
DEFAULT_PASSWORD = "utvei-demo-2026"
PROTECTED_REASON = "Vedtak om strengt fortrolig adresse (kode 6), politiet 2025."  # invented, like the whole demo


DEMO_ALERT_RULES = ("emergency_access", "repeated_emergency")


def load_story(path: Path = DATA_FILE) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


class StoryClock:
    """Turns "days ago" into timestamps: 08:30 local on that day plus 7 minutes per step of the story (so steps
    on one day keep their order), never in the future."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.tick = 0

    def at(self, days_ago: float) -> dt.datetime:
        self.tick += 1
        day = self.today - dt.timedelta(days=int(days_ago))
        stamp = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30))) + dt.timedelta(minutes=7 * self.tick)
        return min(stamp, self.now - dt.timedelta(seconds=60))

    def date(self, days_from_today: int) -> dt.date:
        return self.today + dt.timedelta(days=int(days_from_today))


class DemoLoader:
    """Tells the story in demo.yaml through the services, one case at a time."""

    def __init__(self, story: dict[str, Any], password: str, *, history: bool = True) -> None:
        self.story = story
        self.password = password
        self.history = history
        self.clock = StoryClock()
        self.m: dict[str, Membership] = {}
        self.cases: dict[str, Case] = {}
        self.participants: list[tuple[str, str]] = []  # (username, case reference) of the persons' own accounts
        self.serial = 0

    def run(self) -> None:
        for slug, o in self.story["organisations"].items():
            org_create(slug=slug, name=o["name"], kind=o["kind"], jurisdiction=o.get("jurisdiction", ""))
        for username, a in self.story["accounts"].items():
            first, _sep, last = a["name"].partition(" ")
            m = user_create(
                username=username,
                password=self.password,
                org_slug=a["org"],
                role=a["role"],
                first_name=first,
                last_name=last,
                email=f"{username}@demo.utvei.example",  # reserved domain: reminders print to the console
                validate=False,
            )
            self.m[username] = Membership.objects.select_related("user", "organisation").get(pk=m.pk)
        self.receiving = Organisation.objects.get(slug=self.story["receiving_org"])
        for spec in self.story["concerns"]:
            self.clock.tick = 0
            self._concern(spec)
        for spec in self.story["cases"]:
            self.clock.tick = 0  # each story starts its day at 08:30
            try:
                self._case(spec)
            except UtveiError as exc:
                raise CommandError(f"demo.yaml, case {spec['key']}: {exc.message}") from exc
        evaluation_demo.finish(self)
        for spec in self.story.get("subject_access", []):
            self._subject_access(spec)
        if self.history and "history" in self.story:
            evaluation_demo.history_load(self, self.story["history"])  # the invented past the analyst's figures need
        self._alerts()

    def _alerts(self) -> None:
        """Queue the story's unusual access for the DPO (docs/oversight.md): its emergency accesses, by the emergency
        rules. The loading itself happened at one real moment in the audit log (events keep the real time), so the
        rules on time and volume would judge the loader, not the story: they start after it (the worker's scan
        continues from here)."""
        rules = load_rules()
        only = {k: r for k, r in rules.rules.items() if k in DEMO_ALERT_RULES}
        alerts_scan(rules=Rules(rules.version, rules.tz, only))

    # ---- Concerns and opening ---------------------------------------------------------------------------

    def _concern(self, spec: dict[str, Any]) -> Concern:
        concern = cs.concern_submit(
            actor=self.m[spec["by"]],
            receiving_org=self.receiving,
            description=spec["description"],
            urgency=spec.get("urgency", "routine"),
            kind=spec.get("kind", "other"),
            anonymous=spec.get("anonymous", False),
            subject_name=spec.get("subject", ""),
        )
        Concern.objects.filter(pk=concern.pk).update(received_at=self.clock.at(spec["at"]))
        triage = spec.get("triage")
        if triage and triage.get("outcome", TriageOutcome.OPEN_CASE) != TriageOutcome.OPEN_CASE:
            actor = self.m[triage.get("by", "koordinator")]
            h = triage.get("handoff")
            handoff = None
            if h:
                at = self.clock.at(triage["at"])
                handoff = cs.Handoff(to_kind=h["to"], basis_key=h["basis"], to_name=h["name"], handed_at=at)
            cs.concern_triage(
                actor=actor,
                concern=concern,
                outcome=triage["outcome"],
                rationale=triage["rationale"],
                question=triage.get("question", ""),
                handoff=handoff,
            )
            Concern.objects.filter(pk=concern.pk).update(triaged_at=self.clock.at(triage["at"]))
        return concern

    def _person_fields(self, key: str) -> dict[str, Any]:
        p = self.story["persons"][key]
        born = p["born"] if isinstance(p["born"], dt.date) else dt.date.fromisoformat(p["born"])
        self.serial += 1
        return {
            "full_name": p["name"],
            "national_id": synthetic_nin(born, male=p["gender"] == "male", serial=self.serial),
            "birth_date": born,
            "gender": p["gender"],
            "municipality": p.get("municipality", ""),
        }

    def _open(self, spec: dict[str, Any]) -> tuple[Case, dt.datetime]:
        actor = self.m[spec["by"]]
        if "reopen_of" in spec:
            previous = Case.objects.get(pk=self.cases[spec["reopen_of"]].pk)
            case = cs.case_reopen(actor=actor, case=previous, track=spec.get("track"))
            opened = self.clock.at(spec["at"])
        elif "concern" in spec:
            c = spec["concern"]
            fields = self._person_fields(spec["person"])
            concern = self._concern({**c, "subject": fields["full_name"], "triage": None})
            t = c["triage"]
            concern = cs.concern_triage(
                actor=actor,
                concern=concern,
                outcome=TriageOutcome.OPEN_CASE,
                rationale=t["rationale"],
                track=t.get("track", spec["track"]),
                **fields,
            )
            assert concern.case is not None
            case = concern.case
            opened = self.clock.at(t["at"])
            Concern.objects.filter(pk=concern.pk).update(triaged_at=opened)
            if spec.get("ideologies"):
                case = cs.case_update(
                    actor=actor, case=case, expected_version=case.version, ideologies=spec["ideologies"]
                )
        else:
            protected = self.story["persons"][spec["person"]].get("protected", False)
            person, _created = person_find_or_create(actor=actor, **self._person_fields(spec["person"]))
            lead = self.m[spec["lead"]].user if "lead" in spec else None
            case = cs.case_open(
                actor=actor, person=person, track=spec["track"], lead=lead, ideologies=spec.get("ideologies")
            )
            if protected and not person.protected_identity:  # set as a coordinator would: with a reason, audited
                protection_set(actor=actor, case=case, protected=True, reason=PROTECTED_REASON)
            opened = self.clock.at(spec["at"])
        Case.objects.filter(pk=case.pk).update(opened_at=opened)
        PhaseChange.objects.filter(case=case).update(changed_at=opened)
        TeamMember.objects.filter(case=case).update(started_at=opened)
        Person.objects.filter(pk=case.person_id, created_at__gt=opened).update(created_at=opened)
        self._consent(case, actor, case.owning_org.slug, at=opened)
        return case, opened

    def _consent(self, case: Case, actor: Membership, org_slug: str, *, at: dt.datetime | None = None) -> None:
        """The person (or, under the consent age, a guardian) consents to this organisation reading for
        coordination: the basis the sharing gate needs before anything crosses between organisations. Consents
        are recorded per organisation; `at` is the story's date it was given."""
        under_age = case.person.age_band == AgeBand.UNDER_15
        consent = consent_record(
            actor=actor,
            case=case,
            given_by="guardian" if under_age else "person",
            guardian_name="Foresatt (oppdiktet)" if under_age else "",
            scope_org_slugs=[org_slug],
            categories=DataCategory.values,
            purposes=["coordination"],
            evidence="signed_form",
        )
        if at is not None:
            Consent.objects.filter(pk=consent.pk).update(valid_from=at, created_at=at)

    # ---- A case's story ---------------------------------------------------------------------------------

    def _case(self, spec: dict[str, Any]) -> None:
        case, _opened = self._open(spec)
        self.cases[spec["key"]] = case
        last = spec["at"] if "at" in spec else spec["concern"]["triage"]["at"]
        for step in spec.get("steps", []):
            if step["at"] > last:
                raise CommandError(f"demo.yaml, case {spec['key']}: steps must run forward in time ({step})")
            last = step["at"]
            case = Case.objects.get(pk=case.pk)
            getattr(self, f"_step_{step['do']}")(case, step)

    def _step_team(self, case: Case, step: dict[str, Any]) -> None:
        m = self.m[step["user"]]
        member = cs.team_add(
            actor=self._manager(case, step), case=case, user=m.user, organisation=m.organisation, role=step["role"]
        )
        started = self.clock.at(step["at"])
        TeamMember.objects.filter(pk=member.pk).update(started_at=started)
        self._consent(case, self._manager(case, step), m.organisation.slug, at=started)

    def _step_entry(self, case: Case, step: dict[str, Any]) -> None:
        at = self.clock.at(step["at"])
        entry = cs.entry_create(
            actor=self.m[step["by"]],
            case=case,
            kind=step["kind"],
            classification=step["class"],
            category=step["cat"],
            title=step.get("title", ""),
            body=step["body"],
            occurred_at=at,
        )
        recorded = min(at + dt.timedelta(minutes=5), self.clock.now)
        Entry.objects.filter(pk=entry.pk).update(created_at=recorded, updated_at=recorded)
        EntryRevision.objects.filter(entry=entry).update(saved_at=recorded)

    def _step_task(self, case: Case, step: dict[str, Any]) -> None:
        assignee = self.m[step["assignee"]] if "assignee" in step else None
        task = cs.task_create(
            actor=self.m[step["by"]],
            case=case,
            title=step["title"],
            assignee=assignee.user if assignee else None,
            due_on=self.clock.date(step["due"]) if "due" in step else None,
        )
        Task.objects.filter(pk=task.pk).update(created_at=self.clock.at(step["at"]))
        if "done" in step:
            cs.task_set_status(
                actor=assignee or self.m[step["by"]], task=task, status=TaskStatus.DONE, expected_version=task.version
            )
            Task.objects.filter(pk=task.pk).update(completed_at=self.clock.at(step["done"]))

    def _step_plan(self, case: Case, step: dict[str, Any]) -> None:
        """An individual plan, approved: what planning -> active needs."""
        plans_demo.plan_step(self, case, step)

    def _step_meeting(self, case: Case, step: dict[str, Any]) -> None:
        """A case meeting: attendees, minutes, decisions as tasks."""
        meetings_demo.meeting_step(self, case, step)

    def _step_network(self, case: Case, step: dict[str, Any]) -> None:
        """Contacts around the person and how the ties change."""
        network_demo.network_step(self, case, step)

    def _step_referral(self, case: Case, step: dict[str, Any]) -> None:
        """Sent, and perhaps answered, by the receiving coordinator."""
        sharing_demo.referral_step(self, case, step)

    def _step_emergency(self, case: Case, step: dict[str, Any]) -> None:
        """Break-the-glass by someone outside the case, in the past."""
        sharing_demo.emergency_step(self, case, step)

    def _step_hold(self, case: Case, step: dict[str, Any]) -> None:
        """A legal hold: the retention run leaves the case as it is."""
        retention_demo.hold_step(self, case, step)

    def _step_restrict(self, case: Case, step: dict[str, Any]) -> None:
        """Restriction on the person's request (GDPR art. 18): sperret."""
        retention_demo.restrict_step(self, case, step)

    def _step_assessment(self, case: Case, step: dict[str, Any]) -> None:
        """Structured professional judgement, draft or final."""
        assessments_demo.assessment_step(self, case, step)

    def _step_phase(self, case: Case, step: dict[str, Any]) -> None:
        at = self.clock.at(step["at"])
        ended = self.clock.date(-step["ended"]) if "ended" in step else None
        actor = self._manager(case, step)
        if step["to"] == "planning":
            self._planning_reason(case, actor, at)
        started = timezone.now()
        cs.case_transition(
            actor=actor, case=case, to_phase=step["to"], note=step.get("note", ""), measures_ended_on=ended
        )
        PhaseChange.objects.filter(case=case, to_phase=step["to"], changed_at__gt=at).update(changed_at=at)
        evaluation_demo.redate_since(case, started, at)  # follow-ups scheduled on entering follow-up: due from `ended`

    def _planning_reason(self, case: Case, actor: Membership, at: dt.datetime) -> None:
        """Planning needs a final assessment or a recorded reason: a story without an assessment step records
        that the assessment was made before the municipality used Utvei for it."""
        if planning_blocker(case) is None:
            return
        skip = assessment_skip_record(
            actor=actor,
            case=case,
            reason="assessed_elsewhere",
            explanation="Kartleggingen ble gjort før kommunen tok i bruk kartleggingen i Utvei.",
        )
        AssessmentSkip.objects.filter(pk=skip.pk).update(recorded_at=at)

    def _step_update(self, case: Case, step: dict[str, Any]) -> None:
        at, started = self.clock.at(step["at"]), timezone.now()
        cs.case_update(
            actor=self._manager(case, step),
            case=case,
            expected_version=case.version,
            motivation_stage=step.get("motivation"),
            threat_clarified_at=self.clock.date(-step["threat_clarified"]) if "threat_clarified" in step else None,
            safety_plan=step.get("safety_plan"),
            ideologies=step.get("ideologies"),
        )
        evaluation_demo.redate_since(case, started, at)  # a new motivation stage is measured: on the story's date

    def _step_close(self, case: Case, step: dict[str, Any]) -> None:
        at, started = self.clock.at(step["at"]), timezone.now()
        cs.case_close(actor=self._manager(case, step), case=case, reason=step["reason"], summary=step["summary"])
        Case.objects.filter(pk=case.pk).update(closed_at=at)
        PhaseChange.objects.filter(case=case, to_phase="closed").update(changed_at=at)
        # Closed from active: the follow-ups count from the closure, which the service took to be today.
        evaluation_demo.redate_since(case, started, at, ended_now=case.measures_ended_on is None)

    def _step_follow_up(self, case: Case, step: dict[str, Any]) -> None:
        """Held (with measurements, events) or missed."""
        evaluation_demo.follow_up_step(self, case, step)

    def _step_followup_done(self, case: Case, step: dict[str, Any]) -> None:
        self._step_follow_up(case, {**step, "held": True})  # the older form: held, nothing measured

    def _step_measure(self, case: Case, step: dict[str, Any]) -> None:
        """Outcome indicators at intake, review or closure."""
        evaluation_demo.measure_step(self, case, step)

    def _step_outcome(self, case: Case, step: dict[str, Any]) -> None:
        """Work, housing, threats, re-engagement: dated, sourced."""
        evaluation_demo.outcome_step(self, case, step)

    def _step_exposure(self, case: Case, step: dict[str, Any]) -> None:
        """Sessions planned and held, a stop with its reason."""
        evaluation_demo.exposure_step(self, case, step)

    def _step_participant(self, case: Case, step: dict[str, Any]) -> None:
        """The case lead invites the person to their own page (docs/participant.md) and the person takes it up: a
        participant account with the demo password, listed with the demo accounts."""
        _account, raw = participant_invite(actor=self.m[step["by"]], case=case, given_as=step.get("as", "person"))
        participant_accept(raw=raw, username=step["username"], password=self.password)
        self.participants.append((step["username"], case.reference))

    def _step_handover(self, case: Case, step: dict[str, Any]) -> None:
        """A colleague leaves: the organisation administrator hands everything they lead over to another, in one
        step (docs/administration.md), and deactivates their membership. The new lead sees it on the start page."""
        admin, leaving, to = self.m[step["by"]], self.m[step["from"]], self.m[step["to"]]
        member_handover(actor=admin, membership=leaving, to=to)
        if step.get("deactivate"):
            leaving.refresh_from_db()
            member_update(actor=admin, membership=leaving, expected_version=leaving.version, active=False)

    def _subject_access(self, spec: dict[str, Any]) -> None:
        """A person's request for access (docs/subject-access.md), registered by the DPO; answered with the export,
        or left open for the DPO's start page. Stamped with the story's dates like the cases."""
        key = next(c["key"] for c in self.story["cases"] if c.get("person") == spec["person"])
        person = self.cases[key].person
        dpo = self.m[spec["by"]]
        received = timezone.localdate() - dt.timedelta(days=spec["received"])
        request = subject_access.request_register(
            actor=dpo, person=person, received_via=spec["via"], received_on=received
        )
        SubjectAccessRequest.objects.filter(pk=request.pk).update(registered_at=self.clock.at(spec["received"]))
        if "extend" in spec:
            request = subject_access.request_extend(actor=dpo, request=request, reason=spec["extend"])
        if "answered" in spec:
            subject_access.request_export(actor=dpo, request=request, fmt="json")
            subject_access.request_answer(actor=dpo, request=request)
            at = self.clock.at(spec["answered"])
            SubjectAccessRequest.objects.filter(pk=request.pk).update(answered_at=at, last_export_at=at)

    def _manager(self, case: Case, step: dict[str, Any]) -> Membership:
        if "by" in step:
            return self.m[step["by"]]
        return next(m for m in self.m.values() if m.role == "coordinator" and m.organisation_id == case.owning_org_id)


# ---- The accounts table --------------------------------------------------------------------------------


def account_rows(story: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(username, organisation, role, what they can see) for each demo account that exists."""
    rows = []
    for username, a in story["accounts"].items():
        m = (
            Membership.objects.select_related("user", "organisation")
            .filter(user__username=username, organisation__slug=a["org"], role=a["role"])
            .first()
        )
        if m is None:
            continue
        counts = _counts(m) if m.is_current else "deactivated · "  # (one who left: the handover in the story)
        rows.append((username, m.organisation.name, m.role, f"{counts}{a['sees']}"))
    for account in ParticipantAccount.objects.current().select_related("user", "case").order_by("pk"):
        assert account.user is not None  # current(): taken up
        sees = "the person's own page (/me/): goals, appointments, consents, who read the record and why"
        rows.append((account.user.username, "—", "participant", f"case {account.case.reference} · {sees}"))
    return rows


def _counts(m: Membership) -> str:
    parts = []
    cases = visible_cases(m).count()
    if cases or m.role in {"coordinator", "caseworker", "mentor"}:
        parts.append(f"{cases} case{'s' if cases != 1 else ''}")
    queue = visible_concerns(m).filter(status=ConcernStatus.RECEIVED).count()
    if m.role == "coordinator":
        parts.append(f"{queue} new concerns")
    if m.role == "reporter":
        parts.append(f"{own_concerns(m).count()} receipts")
    if m.role == "coordinator":
        waiting = Referral.objects.filter(to_org_id=m.organisation_id, status=ReferralStatus.SENT).count()
        if waiting:
            parts.append(f"{waiting} referral{'s' if waiting != 1 else ''} waiting")
    if m.role == "dpo":
        pending = (
            EmergencyAccess.objects.filter(review_status=ReviewStatus.PENDING)
            .filter(Q(case__owning_org_id=m.organisation_id) | Q(organisation_id=m.organisation_id))
            .count()
        )
        if pending:
            parts.append(f"{pending} emergency access{'es' if pending != 1 else ''} to review")
        alerts = pending_count(actor=m)
        if alerts:
            parts.append(f"{alerts} unusual-access alert{'s' if alerts != 1 else ''} to review")
        requests = SubjectAccessRequest.objects.filter(organisation_id=m.organisation_id, status__in=OPEN_STATUSES)
        if n := requests.count():
            parts.append(f"{n} subject-access request{'s' if n != 1 else ''} to answer")
    return f"{', '.join(parts)} · " if parts else ""


def render_accounts(rows: list[tuple[str, str, str, str]], password: str | None) -> str:
    head = ("username", "organisation", "role", "can see")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    lines = [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3] for r in [head, *rows]
    ]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    pw = f"password for all: {password}" if password else "password: the one given when the demo was loaded"
    port = os.environ.get("PORT", "8000")
    return "\n".join(
        [
            f"Demo accounts ({pw})",
            *lines,
            f"Log in at http://127.0.0.1:{port}/ . No MFA is asked for in demo mode.",
        ]
    )


class Command(BaseCommand):
    help = "Load the fictional demo municipality (UTVEI_DEMO=1 only) and print the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="load only when no organisation exists yet; otherwise just print the demo accounts",
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help=f"for every account ({DEFAULT_PASSWORD})")
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="leave out the invented historical cohort of Fjordvik kommune (about 150 closed cases led by "
            "`historikk`) that gives the analyst's statistics cohorts large enough to show",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "the demo creates accounts with a shared, published password and runs only in demo mode. "
                "Set UTVEI_DEMO=1 (`make run` does) and never on a server with real data."
            )
        password = opts["password"]
        if not password:
            raise CommandError("--password must not be empty")
        story = load_story()
        if Organisation.objects.exists():
            if not opts["if_empty"]:
                raise CommandError(
                    "the database already holds organisations; the demo loads only into an empty database. "
                    "Use --if-empty to list the demo accounts instead."
                )
            self.stdout.write("Organisations exist already: the demo is not loaded again.")
            self._accounts(story, password)
            return
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            DemoLoader(story, password, history=not opts["without_history"]).run()
        n_cases = Case.objects.count()
        history = Case.objects.filter(lead__username=story.get("history", {}).get("lead", "historikk")).count()
        self.stdout.write(
            f"Loaded the demo: {len(story['organisations'])} organisations, {Person.objects.count()} persons, "
            f"{n_cases} cases and {Concern.objects.count()} concerns in Fjordvik and Tindvik"
            + (f" ({history} of the cases an invented historical cohort for statistics)" if history else "")
            + ".\n"
            "Everything is invented: places, people and events. Identity numbers are synthetic "
            "(birth month + 80) and belong to no one.\n"
        )
        self._accounts(story, password)

    def _accounts(self, story: dict[str, Any], password: str) -> None:
        rows = account_rows(story)
        if not rows:
            self.stdout.write("No demo accounts in this database.")
            return
        user = User.objects.get(username=rows[0][0])
        self.stdout.write(render_accounts(rows, password if user.check_password(password) else None))
