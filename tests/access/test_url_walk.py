"""Every URL of the site, for every role and relation: no page or endpoint exists without an access decision.

Issue 11, deliverable 1. The walk takes every pattern Django knows (`get_resolver()`, recursively through every
include: the web pages, allauth's pages and the REST API under /api/v1/), fills its arguments from one table
(`fills()`, keyed by the route's argument names) with the public ids of one world's objects, and sends each
request as every principal:

  principals  kari (case lead, coordinator of the owning municipality), kjell (coordinator of the owning
              municipality, not on the team), ola (caseworker, same municipality), per (police caseworker, a consent
              for some categories only), mona (mentor, NGO), nils (NAV caseworker, on the team through an accepted
              referral), arne (another municipality's caseworker, under emergency access), nora (NAV coordinator who
              accepted the referral, no relation to the case), atle (coordinator of another municipality), dina
              (DPO), anna (analyst), rolf (reporter, who sent a concern), adam (organisation administrator), and
              an anonymous client; on the API also kari's web session without a token.
  methods     web: GET and POST with an empty body; API: GET and every other method the route allows (its
              `Allow` header), with an empty JSON object as body. The writes go to the first filling of a pattern
              (the first entry, meeting, ...), the further fillings are read; principals without standing on a
              URL's objects read it, and two of them (GHOSTS: atle, dina) also write to it.

Every request runs in a savepoint that is rolled back (and the client's cookies are put back), so that no
request changes the world the next one sees: the walk is the same in any order.

What it checks on every answer:
  (a) never a 5xx;
  (b) anonymous: the web sends them to the login page, the API answers 401/403 (only the PUBLIC patterns
      answer, and none of them with case content);
  (c) a principal with no standing on the objects a URL names (no relation to the case: `can(m, CASE_VIEW,
      case)` denied; not the reporter or receiving coordinator of the concern; ...) gets 404 (or 405 for a
      method the route does not take; 403 only for roles without case content, a role-level refusal) and no
      secret at all in the body; for GHOSTS, the very answer (status and page, but for the ids and the CSRF
      token) the same URL gives with ids that name nothing, so that no URL tells an outsider what exists;
  (d) a principal with a relation gets the case page (web and API), and on every URL sees only the secrets the
      policy lets them read (`entry_decision`, `assessment_decision`, `plan_view`, `meeting_view`,
      `network_decision`/`contact_read_decision`, `header_scope`, `task_visible`, ...).

Every free-text field of the world carries its own marker (`WALKSECRET<tag>Z`), so a leak names what leaked.
A pattern the table cannot fill fails the walk, naming the pattern: a new page or endpoint must be added here.
Findings the walk makes that the application does not yet meet are listed in FINDINGS (none now): the walk
expects exactly them, so a fix shows up as a failure that asks for the entry to be removed.

On the second database (`make test-pg`) the walk takes a quarter of the patterns, a different quarter each day
(tests/sampling.py); the checks of what the whole walk covers run where it runs whole.

Run: .venv/bin/pytest tests/access/test_url_walk.py -n 0 -p no:cacheprovider -rA (the summary line: -s or -rP).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from tests import sampling
from tests.assessments import helpers as assessments
from tests.meetings import helpers as meetings
from tests.network import helpers as network
from tests.plans import helpers as plans
from utvei.access import assessments as assessment_access
from utvei.access import evaluation as evaluation_access
from utvei.access import meetings as meeting_access
from utvei.access import network as network_access
from utvei.access import plans as plan_access
from utvei.access import policy
from utvei.access import subject_access as subject_access_rules
from utvei.access.administration import admin_decision
from utvei.access.attachments import attachment_read_decision
from utvei.access.policy import Act
from utvei.access.retention import hold_decision, person_request_decision, retention_page_decision
from utvei.accounts.models import Membership, Notification
from utvei.accounts.roles import Cap, has_cap
from utvei.assessments.services import instruments_sync
from utvei.cases import services as case_services
from utvei.cases.models import Attachment, Case, EntryKind, ParallelInquiry, Phase, TeamMember, TeamRole
from utvei.cases.participants import participant_invite
from utvei.core.errors import UtveiError
from utvei.core.vocabulary import Classification, DataCategory
from utvei.evaluation import services as evaluation_services
from utvei.evaluation.models import FollowUp, Indicator
from utvei.meetings.models import MeetingAttendee
from utvei.network.models import Observation
from utvei.oversight import alerts as oversight_alerts
from utvei.oversight import report as oversight_report
from utvei.oversight.detector import alerts_scan
from utvei.oversight.models import AccessAlert
from utvei.oversight.rules import Rules, load_rules
from utvei.plans import services as plan_services
from utvei.plans.models import Goal
from utvei.retention import services as retention
from utvei.retention.subject_access import services as subject_access_services
from utvei.sharing.consent import services as sharing
from utvei.sharing.consent.services import legal_bases_sync
from utvei.sharing.emergency import services as emergency
from utvei.sharing.referrals import services as referrals

API = "api/v1/"
MARK = re.compile(r"WALKSECRET[a-z]+Z?")
MIN_PATTERNS = 190  # what the site had when the walk was written (198); fewer means the walk lost some

# The principals of the walk (see the module docstring), besides the anonymous client.
PRINCIPALS = ("kari", "kjell", "ola", "per", "mona", "nils", "arne", "nora", "atle", "dina", "anna", "rolf", "adam")
ANONYMOUS = "anonymous"
SESSION_ON_API = "kari-session"  # kari's logged-in web session, sending no token to the API

# Patterns that take no object and answer anyone, logged in or not (and never with case content). Everything
# else must send an anonymous visitor to the login page (web) or refuse them (API).
PUBLIC = {
    "healthz",  # the load balancer's health check
    "i18n/setlang/",  # the language switch (POST; a GET redirects)
    "accounts/password/reset/",  # "ask your administrator": no e-mail password reset (shadows allauth's own)
    "accounts/login/",  # login
    "accounts/signup/",  # closed: no self sign-up, the page says so
    "accounts/inactive/",  # allauth's pages about accounts, e-mail and reset keys: no case, no person
    "accounts/confirm-email/",
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
    "accounts/password/reset/done/",
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    "accounts/password/reset/key/done/",
    # Single sign-on (docs/administration.md): starting a provider's sign-in and its callback (404 for a provider
    # that does not exist: the walk's world has none), allauth's pages about a cancelled or failed provider login,
    # and its old addresses, which only redirect to the new ones.
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/",
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/",
    "accounts/3rdparty/login/cancelled/",
    "accounts/3rdparty/login/error/",
    "accounts/social/login/cancelled/",
    "accounts/social/login/error/",
    "accounts/social/signup/",
    "accounts/social/connections/",
    "api/v1/auth/token",  # token login (POST), and the same with a slash
    "api/v1/auth/token/",
    "api/v1/schema/",  # the OpenAPI schema and its documentation page
    "api/v1/docs/",
    "api/v1/^(?P<path>[\\s\\S]*)$",  # any other address under /api/v1/ (a newline too): a JSON 404
    "invitations/accept/",  # an invited person chooses a password: the token kept in the session decides
    "invitations/<str:token>/",  # the invitation link (docs/administration.md)
    "me/join/",  # the person's invitation (docs/participant.md): the token is in the session, or it is a 404
    "me/join/<str:token>/",  # the invitation link: puts the token in the session, sends on to me/join/
}
# The principals whose answers without standing are compared with the answers for ids that name nothing: one role
# that reads cases (atle) and one that does not (dina). (The others are checked for 404 and no content only.)
GHOSTS = {"atle", "dina"}
# Public patterns whose answer is one document for everybody and costly to make: walked as anonymous and as kari.
SAME_FOR_EVERYONE = {"api/v1/schema/"}
# There is no /static/ pattern: WhiteNoise serves static files before URL resolution.

# Patterns whose address an earlier pattern answers (the first match wins): allauth's e-mail password reset is
# replaced by the page that says to ask an administrator. The walk still sends their requests.
SHADOWED = {"accounts/password/reset/ [account_reset_password]"}


# ---- The world -----------------------------------------------------------------------------------------


def secret(tag: str, text: str = "") -> str:
    """A marker for one field of one object: `WALKSECRET<tag>Z`, then some ordinary text."""
    assert tag.isalpha() and tag.islower(), tag
    return f"WALKSECRET{tag}Z {text}".strip()


@dataclass
class WalkWorld:
    world: Any
    case: Case
    objects: dict[str, Any] = field(default_factory=dict)
    # tag -> who may read it: a function of the principal's membership and CaseAccess (None: no relation)
    rules: dict[str, Callable[[Membership, Any], bool]] = field(default_factory=dict)

    def m(self, username: str) -> Membership:
        return self.world.m[username]


def build(world: Any) -> WalkWorld:
    """One case of kari's municipality with its team and one or more of every kind of object a URL can name."""
    instruments_sync()
    legal_bases_sync()
    kari = world.m["kari"]
    TOTP.activate(kari.user, generate_totp_secret())  # an authenticator for the MFA pages (browse() keeps it)
    case = world.open_case(name=secret("person", "Walker"))
    w = WalkWorld(world, case)
    o = w.objects
    rules = w.rules
    world.add(case, "ola")
    world.add(case, "per", consent=False)
    world.consent(case, "politi", categories=["plan", "concern", "criminal"])  # not identity, not network
    world.add(case, "mona", role=TeamRole.MENTOR)
    case.refresh_from_db()
    case = case_services.case_update(
        actor=kari, case=case, expected_version=case.version, safety_plan=secret("safety", "Ring politiet")
    )
    rules["person"] = lambda m, ca: ca is not None and "person" in policy.header_scope(ca)
    rules["safety"] = lambda m, ca: ca is not None and "safety_plan" in policy.header_scope(ca)

    # Timeline entries: compartments, authors and categories that different principals read differently.
    entries = {
        "entryteam": ("ola", Classification.TEAM, DataCategory.PLAN),
        "entrypolice": ("per", Classification.POLICE, DataCategory.CRIMINAL),
        "entrymentor": ("mona", Classification.MENTOR, DataCategory.PLAN),
        "entryown": ("kari", Classification.OWN_ORG, DataCategory.PLAN),
        "entryidentity": ("kari", Classification.TEAM, DataCategory.IDENTITY),
    }
    o["entries"] = []
    for tag, (author, classification, category) in entries.items():
        e = case_services.entry_create(
            actor=world.m[author],
            case=case,
            kind=EntryKind.NOTE,
            classification=classification,
            category=category,
            title=secret(tag, "tittel"),
            body=secret(tag, "tekst"),
        )
        o["entries"].append(e)
        rules[tag] = lambda m, ca, e=e: ca is not None and bool(policy.entry_decision(ca, e))

    # An entry per wrote in the police compartment and then edited into the team's (classification and category):
    # its first version stays in the revision history, still a police entry about a criminal matter.
    downgraded = case_services.entry_create(
        actor=world.m["per"],
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.POLICE,
        category=DataCategory.CRIMINAL,
        body=secret("entryrevision", "politiets opplysninger"),
    )
    downgraded = case_services.entry_update(
        actor=world.m["per"],
        entry=downgraded,
        expected_version=downgraded.version,
        body=secret("entryedited", "til teamet"),
        classification=Classification.TEAM,
        category=DataCategory.PLAN,
    )
    o["entries"].append(downgraded)
    first_version = SimpleNamespace(
        author_id=downgraded.author_id,
        author_org_id=downgraded.author_org_id,
        classification=Classification.POLICE,
        category=DataCategory.CRIMINAL,
    )
    rules["entryedited"] = lambda m, ca: ca is not None and bool(policy.entry_decision(ca, downgraded))
    rules["entryrevision"] = lambda m, ca: ca is not None and bool(policy.entry_decision(ca, first_version))

    task = case_services.task_create(
        actor=kari, case=case, title=secret("task", "Ring skolen"), assignee=world.m["ola"].user
    )
    o["task"] = task
    rules["task"] = lambda m, ca: ca is not None and policy.task_visible(ca, task)

    # Assessment: a final one by ola (team), a draft by per (police).
    case = case_services.case_transition(actor=kari, case=case, to_phase=Phase.ASSESSMENT)
    final = assessments.final(world, case, by="ola", header={"summary_judgement": secret("assessfinal")})
    draft = assessments.fill(
        world,
        assessments.start(world, case, by="per", classification=Classification.POLICE),
        by="per",
        summary_judgement=secret("assessdraft"),
    )
    o["assessments"] = [final, draft]
    for tag, a in (("assessfinal", final), ("assessdraft", draft)):
        rules[tag] = lambda m, ca, a=a: ca is not None and bool(assessment_access.assessment_decision(ca, a))

    # The plan: a goal, an item mona is responsible for, a participation note and a rating note.
    case = plans.to_planning(world, case)
    plan = plans.draft_plan(world, case, goals=(secret("goal", "En jobb"),))
    plan = plan_services.plan_update(
        actor=kari, plan=plan, expected_version=plan.version, participation_note=secret("participation")
    )
    item = plans.add_item(world, plans.fresh(plan), user="mona", note=secret("item"))
    plan = plans.fresh(plan)
    plan_services.plan_approve(actor=kari, plan=plan, expected_version=plan.version)
    plan = plans.fresh(plan)
    goal = Goal.objects.get(plan=plan)
    plan_services.goal_rate(actor=kari, goal=goal, rating=1, note=secret("rating"))
    plan_services.plan_review(actor=kari, plan=plans.fresh(plan), note=secret("review"))
    o.update(plan=plan, goal=goal, item=item)

    def view(ca: Any) -> Any:
        return plan_access.plan_view(ca, plan) if ca is not None else plan_access.PlanView.NONE

    rules["goal"] = lambda m, ca: view(ca) != plan_access.PlanView.NONE
    rules["participation"] = lambda m, ca: view(ca) == plan_access.PlanView.FULL
    rules["rating"] = lambda m, ca: plan_access.rating_notes_visible(view(ca))
    rules["review"] = lambda m, ca: view(ca) == plan_access.PlanView.FULL
    rules["item"] = lambda m, ca: ca is not None and plan_access.item_visible(ca, view(ca), item)
    case.refresh_from_db()
    case = plans.to_active(world, case)

    # Meetings: kari's (team; kari, ola and mona attend; a decision for mona) and per's (police).
    meeting = meetings.plan(
        world,
        case,
        attendees=("kari", "ola", "mona"),
        agenda=secret("agenda"),
        place=secret("place"),
    )
    decision = meetings.decide(world, meeting, owner="mona", text=secret("decision"))
    meeting = meetings.hold(world, meeting, minutes=secret("minutes"))
    police_meeting = meetings.plan(
        world,
        case,
        by="per",
        attendees=("per", "ola"),
        agenda=secret("policeagenda"),
        classification=Classification.POLICE,
        category=DataCategory.CRIMINAL,
    )
    o.update(meetings=[meeting, police_meeting], decision=meetings.fresh_decision(decision))
    for tag, mt in (("agenda", meeting), ("minutes", meeting), ("policeagenda", police_meeting)):
        rules[tag] = lambda m, ca, mt=mt: meeting_part(ca, mt, o["decision"]) == "minutes"
    rules["place"] = lambda m, ca: meeting_part(ca, meeting, o["decision"]) in {"minutes", "details"}
    rules["decision"] = lambda m, ca: (
        ca is not None
        and (
            meeting_access.decision_visible(ca, meeting_view(ca, meeting, o["decision"]), o["decision"])
            or policy.task_visible(ca, o["decision"].task)
        )
    )

    # The network: a team contact and a mentor contact, and an observation with an own-organisation note.
    contact = network.add(world, case, label=secret("contact"), note=secret("contactnote"))
    mentor_contact = network.add(
        world, case, label=secret("mentorcontact"), classification=Classification.MENTOR, relation="sibling"
    )
    observation = network.observe(
        world,
        contact,
        note=secret("observation"),
        classification=Classification.OWN_ORG,
        valence="supportive",
        closeness=2,
    )
    o["contacts"] = [network.fresh(contact), network.fresh(mentor_contact)]
    first = Observation.objects.filter(contact=contact).order_by("pk").first()
    for tag, c in (("contact", contact), ("mentorcontact", mentor_contact)):
        rules[tag] = lambda m, ca, c=c: contact_visible(ca, c)
    for tag, obs in (("contactnote", first), ("observation", observation)):
        rules[tag] = lambda m, ca, obs=obs: (
            contact_visible(ca, contact) and bool(network_access.note_read_decision(ca, obs))
        )

    # Outcomes: a measurement and an event, each with a note.
    measurement = evaluation_services.measurement_record(
        actor=kari,
        case=case,
        indicator=Indicator.objects.get(key="housing"),
        value=2,
        occasion="review",
        measured_on=timezone.localdate(),
        note=secret("measurement"),
    )
    event = evaluation_services.outcome_event_record(
        actor=kari,
        case=case,
        kind="work",
        occurred_on=timezone.localdate(),
        source="worker",
        note=secret("event"),
    )
    for tag, record in (("measurement", measurement), ("event", event)):
        rules[tag] = lambda m, ca, r=record: ca is not None and bool(evaluation_access.read_decision(ca, r))

    # Consent and disclosure records with free text; a referral to NAV that nora accepts for nils.
    consent = sharing.consent_record(
        actor=kari,
        case=case,
        given_by="person",
        scope_org_slugs=["helse"],
        categories=["plan"],
        purposes=["coordination"],
        evidence="signed_form",
        evidence_note=secret("consent"),
    )
    disclosure = sharing.disclosure_record(
        actor=kari,
        case=case,
        to_org_slug="nav",
        categories=["network"],
        legal_basis_key="fvl-13b-5",
        justification=secret("disclosure"),
    )
    world.consent(case, "nav", categories=["plan", "concern"])
    referral = referrals.referral_send(
        actor=kari,
        case=case,
        to_org_slug="nav",
        categories=["plan", "concern"],
        basis="consent",
        message=secret("referral"),
    )
    referral = referrals.referral_accept(
        actor=world.m["nora"], referral=referral, member_username="nils", note=secret("referralnote")
    )
    # A second referral, to atle's municipality, not yet answered: atle sees the referral, never the case.
    world.consent(case, "annen", categories=["plan"])
    pending = referrals.referral_send(
        actor=kari, case=case, to_org_slug="annen", categories=["plan"], basis="consent", message=secret("pending")
    )
    o.update(consent=consent, disclosure=disclosure, referrals=[referral, pending])
    for tag in ("consent", "disclosure"):
        rules[tag] = lambda m, ca: ca is not None and ca.full
    for tag, r in (("referral", referral), ("referralnote", referral), ("pending", pending)):
        rules[tag] = lambda m, ca, r=r: finds(referrals.referral_get, actor=m, referral_id=r.public_id, audit=False)

    # Attachments: on the team entry (team, and own_org), on kari's meeting, on the consent; name and content secret.
    attachments = []
    for tag, owner, by, classification in (
        ("fileteam", o["entries"][0], "ola", Classification.TEAM),
        ("fileown", o["entries"][0], "ola", Classification.OWN_ORG),
        ("filemeeting", meeting, "kari", Classification.TEAM),
        ("fileconsent", consent, "kari", Classification.TEAM),
    ):
        added = case_services.attachment_add(
            actor=world.m[by],
            owner=owner,
            filename=secret(tag, "vedlegg") + ".txt",
            data=secret(f"{tag}body", "innhold").encode(),
            classification=classification,
        )
        att = (
            Attachment.objects.select_related("entry__author_org", "meeting__author_org", "consent", "author_org")
            .prefetch_related("meeting__attendees")
            .get(pk=added.pk)
        )
        attachments.append(att)
        for t in (tag, f"{tag}body"):
            rules[t] = lambda m, ca, att=att: ca is not None and bool(attachment_read_decision(ca, att))
    o["attachments"] = attachments

    # Emergency access: arne breaks the glass.
    access = emergency.emergency_open(
        actor=world.m["arne"], case_reference=case.reference, reason_code="missing", reason_text=secret("emergency")
    ).access
    o["access"] = access
    rules["emergency"] = lambda m, ca: finds(emergency.emergency_get, actor=m, access_id=access.public_id)
    # The detector queues it for the DPO as unusual access (docs/oversight.md; only that rule, so the walk does not
    # depend on the time of day it runs at).
    found = load_rules()
    alerts_scan(rules=Rules(found.version, found.tz, {"emergency_access": found.rules["emergency_access"]}))
    o["alert"] = AccessAlert.objects.get(rule="emergency_access", ref=str(access.public_id))

    # A subject-access request for the person, registered by the municipality's DPO (docs/subject-access.md).
    o["subject_access"] = subject_access_services.request_register(
        actor=world.m["dina"], person=case.person, received_via="letter", received_on=dt.date.today()
    )

    # A concern rolf sent to the municipality (not triaged).
    concern = case_services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description=secret("concern", "Bekymring")
    )
    o["concern"] = concern
    rules["concern"] = lambda m, ca: bool(policy.can(m, Act.CONCERN_READ, concern))

    # Another municipality asked the owner to get in touch about the same person (issue 13, deliverable 2).
    o["inquiry"] = ParallelInquiry.objects.create(
        case=case, asking_org=world.orgs["annen"], asked_by=world.m["atle"].user
    )

    # The case lead invited the person to their own page (docs/participant.md): a pending invitation.
    o["participant_account"], _raw = participant_invite(actor=kari, case=case, given_as="person")

    # The measures ended: the case is in follow-up, with its follow-ups scheduled.
    case.refresh_from_db()
    case = case_services.case_transition(
        actor=kari, case=case, to_phase=Phase.FOLLOW_UP, measures_ended_on=timezone.localdate() - dt.timedelta(days=1)
    )
    o["follow_up"] = FollowUp.objects.filter(case=case).order_by("months").first()
    assert o["follow_up"] is not None
    o["member"] = TeamMember.objects.current().get(case=case, user=world.m["mona"].user)
    o["notification"] = Notification.objects.filter(user=world.m["kari"].user).order_by("pk").first()
    assert o["notification"] is not None
    # Retention (docs/retention.md): a legal hold and a rectification request, both by the DPO.
    o["hold"] = retention.hold_set(actor=world.m["dina"], case=case, reason="Walk hold")
    o["rectification"] = retention.rectification_register(actor=world.m["dina"], case=case, claim="Walk claim")
    case.refresh_from_db()
    w.case = case
    return w


def sees_referral(referral: Any, m: Membership) -> bool:
    return finds(referrals.referral_get, actor=m, referral_id=referral.public_id, audit=False)


def finds(getter: Callable[..., Any], **kw: Any) -> bool:
    try:
        getter(**kw)
    except UtveiError:
        return False
    return True


def meeting_view(ca: Any, meeting: Any, decision: Any) -> Any:
    attendees = list(MeetingAttendee.objects.filter(meeting=meeting))
    read = meeting_access.meeting_read_decision(ca, meeting)
    owns = decision.meeting_id == meeting.pk and meeting_access.owns(ca, decision)
    return meeting_access.meeting_view(
        ca, read, attended=meeting_access.takes_part(ca, attendees), owns_a_decision=owns
    )


def meeting_part(ca: Any, meeting: Any, decision: Any) -> str:
    """How much of the meeting the principal reads: minutes (and everything), details, or less."""
    if ca is None:
        return "none"
    view = meeting_view(ca, meeting, decision)
    if meeting_access.minutes_visible(view, meeting_access.meeting_read_decision(ca, meeting)):
        return "minutes"
    return "details" if meeting_access.details_visible(view) else "none"


def contact_visible(ca: Any, contact: Any) -> bool:
    if ca is None:
        return False
    own = contact.author_org_id == ca.membership.organisation_id
    gate = bool(network_access.network_decision(ca))
    return (gate or own) and bool(network_access.contact_read_decision(ca, contact))


# ---- The table that fills the URLs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One value for a URL argument: what goes in, an id of the same shape that names nothing, and who has
    standing on the object it names (None: nobody in particular — a catalogue key, a form part)."""

    value: Any
    ghost: Any
    standing: Callable[[Membership], bool] | None = None
    label: str = ""
    of_case: bool = False  # names the case or something of it: standing is a relation to the case


# Where one argument name means different things, the route text just before it decides which fill it takes.
ROUTE_FILLS = (
    ("measures/<slug:key>", "key", "measure_key"),
    ("legal-bases/<slug:key>", "key", "legal_basis_key"),
    ("instruments/<slug:key>", "key", "instrument_key"),
    ("notifications/<int:pk>", "pk", "notification_pk"),
    ("webauthn/keys/<int:pk>", "pk", "authenticator_pk"),
    ("members/<int:member_id>", "member_id", "org_member_id"),
    ("confirm-email/(?P<key>", "key", "email_key"),
    ("reset/key/(?P<uidb36>", "uidb36", "reset_uid"),
    (")-(?P<key>", "key", "reset_key"),
)
GHOST_INT = 10**9


def reads_attachment(case: Case, attachment: Any, m: Membership) -> bool:
    ca = policy.case_access(m, case)
    return ca is not None and bool(attachment_read_decision(ca, attachment))


def administers(member: Membership) -> Callable[[Membership], bool]:
    """Standing on the members of `member`'s organisation: its administrators."""
    return lambda m: bool(admin_decision(m)) and m.organisation_id == member.organisation_id


def fills(w: WalkWorld) -> dict[str, list[Arg]]:
    """The table: URL argument (or ROUTE_FILLS name) -> the world's objects it is walked with."""
    o, case = w.objects, w.case

    def on_case(m: Membership) -> bool:
        return bool(policy.can(m, Act.CASE_VIEW, case))

    def uid(obj: Any, label: str, standing: Callable[[Membership], bool] | None = None) -> Arg:
        if standing is None:
            return Arg(obj.public_id, uuid.uuid4(), on_case, label, of_case=True)
        return Arg(obj.public_id, uuid.uuid4(), standing, label)

    kari = w.m("kari")
    authenticator = Authenticator.objects.filter(user=kari.user).order_by("pk").first()
    assert authenticator is not None
    return {
        "case_id": [uid(case, "case")],
        "entry_id": [uid(e, f"entry:{e.classification}:{e.category}") for e in o["entries"]],
        "task_id": [uid(o["task"], "task")],
        "assessment_id": [uid(a, f"assessment:{a.status}") for a in o["assessments"]],
        "part": [Arg("summary", "summary", None, "summary")],
        "plan_id": [uid(o["plan"], "plan")],
        "goal_id": [uid(o["goal"], "goal")],
        "item_id": [uid(o["item"], "item")],
        "meeting_id": [uid(mt, f"meeting:{mt.classification}") for mt in o["meetings"]],
        "decision_id": [uid(o["decision"], "decision")],
        "contact_id": [uid(c, f"contact:{c.classification}") for c in o["contacts"]],
        "follow_up_id": [uid(o["follow_up"], "follow-up")],
        "consent_id": [uid(o["consent"], "consent")],
        "attachment_id": [
            Arg(
                a.public_id,
                uuid.uuid4(),
                functools.partial(reads_attachment, case, a),
                f"attachment:{a.owner_kind}:{a.classification}",
                of_case=True,
            )
            for a in o["attachments"]
        ],
        "disclosure_id": [uid(o["disclosure"], "disclosure")],
        "member_id": [Arg(o["member"].pk, GHOST_INT, on_case, "team member", of_case=True)],
        "referral_id": [uid(r, f"referral:{r.status}", functools.partial(sees_referral, r)) for r in o["referrals"]],
        "access_id": [
            uid(
                o["access"],
                "emergency access",
                lambda m: finds(emergency.emergency_get, actor=m, access_id=o["access"].public_id),
            )
        ],
        "concern_id": [uid(o["concern"], "concern", lambda m: bool(policy.can(m, Act.CONCERN_READ, o["concern"])))],
        "alert_id": [
            uid(
                o["alert"],
                "unusual-access alert",
                lambda m: finds(oversight_alerts.alert_get, actor=m, alert_id=o["alert"].public_id, audit=False),
            )
        ],
        "person_id": [
            uid(
                case.person,
                "person (access report)",
                lambda m: finds(oversight_report.person_get, actor=m, person_id=case.person.public_id),
            )
        ],
        "inquiry_id": [uid(o["inquiry"], "parallel inquiry")],
        "request_id": [
            uid(
                o["subject_access"],
                "subject-access request",
                lambda m: bool(subject_access_rules.request_decision(m, o["subject_access"])),
            )
        ],
        "fmt": [Arg("json", "json", None, "export format")],
        "account_id": [uid(o["participant_account"], "participant account")],
        # Retention pages name the case by their own argument: their standing is the retention rules', not a relation.
        "retention_case_id": [uid(case, "retention", lambda m: bool(retention_page_decision(m, case)))],
        "hold_id": [uid(o["hold"], "legal hold", lambda m: bool(hold_decision(m, case)))],
        "rectification_id": [
            uid(o["rectification"], "rectification request", lambda m: bool(person_request_decision(m, case)))
        ],
        "token": [Arg("walk-no-such-token", "walk-no-such-token", None, "invitation token")],
        "org_slug": [Arg("annen", "walk-no-such-org", None, "organisation")],
        # Organisation administration: the municipality's members, for its administrator alone.
        "org": [Arg(kari.organisation.slug, "walk-no-such-org", administers(kari), "organisation (administered)")],
        "org_member_id": [Arg(w.m("ola").pk, GHOST_INT, administers(kari), "organisation member")],
        "notification_pk": [
            Arg(
                o["notification"].pk,
                GHOST_INT,
                lambda m: (
                    m.user_id == o["notification"].user_id and m.organisation_id == o["notification"].organisation_id
                ),
                "notification",
            )
        ],
        "authenticator_pk": [
            Arg(authenticator.pk, GHOST_INT, lambda m: m.user_id == authenticator.user_id, "authenticator")
        ],
        "measure_key": [Arg("mentor", "mentor", None, "measure")],
        "legal_basis_key": [Arg("fvl-13b-5", "fvl-13b-5", None, "legal basis")],
        "instrument_key": [Arg("utvei-open", "utvei-open", None, "instrument")],
        "email_key": [Arg("walk-no-such-key", "walk-no-such-key", None, "e-mail key")],
        "reset_uid": [Arg("zz", "zz", None, "reset uid")],
        "reset_key": [Arg("walk-no-such-key", "walk-no-such-key", None, "reset key")],
        "path": [Arg("walk/nowhere/", "walk/nowhere/", None, "unknown path")],
        "provider_id": [Arg("walk-no-such-idp", "walk-no-such-idp", None, "identity provider")],
    }


# ---- The patterns --------------------------------------------------------------------------------------

ROUTE_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_ARG = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Pattern:
    route: str  # the whole route text, through every include
    name: str
    callback: Any

    @property
    def id(self) -> str:
        return f"{self.route} [{self.name}]" if self.name else self.route

    @property
    def api(self) -> bool:
        return self.route.startswith(API)

    def args(self) -> list[str]:
        regex = REGEX_ARG.findall(self.route)
        return regex + [m.group(2) for m in ROUTE_ARG.finditer(REGEX_ARG.sub("", self.route))]

    def fill_name(self, arg: str) -> str:
        for before, name, fill in ROUTE_FILLS:
            if name == arg and before in self.route:
                return fill
        return arg

    def url(self, values: dict[str, Any]) -> str:
        path = REGEX_ARG.sub(lambda m: str(values[m.group(1)]), self.route)
        path = ROUTE_ARG.sub(lambda m: str(values[m.group(2)]), path)
        return "/" + path.replace("^", "").replace("$", "")


def site_patterns() -> list[Pattern]:
    """Every URL pattern of the site, recursively through every include."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            else:
                assert isinstance(p, URLPattern)
                found.append(Pattern(prefix + str(p.pattern), p.name or "", p.callback))

    walk(get_resolver(), "")
    return found


# ---- Sending -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    location: str = ""
    allow: str = ""


def send(client: Client, method: str, url: str, *, api: bool) -> Answer:
    """One request in a savepoint that is rolled back; the client's cookies are put back afterwards, so that a
    logout, an organisation switch or a revoked token does not outlive the request."""
    saved = {k: v.value for k, v in client.cookies.items()}
    try:
        with transaction.atomic():
            kwargs: dict[str, Any] = {}
            if method != "get":
                kwargs = {"data": "{}", "content_type": "application/json"} if api else {"data": {}}
            r = getattr(client, method)(url, **kwargs)
            # A streamed body (the CSV export) is read inside the savepoint: its queries run as it is read.
            content = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
            transaction.set_rollback(True)
    except Exception as exc:  # a view that raises is a 5xx: reported with what it raised
        return Answer(500, f"{type(exc).__name__}: {exc}")
    finally:
        client.cookies = SimpleCookie(saved)
    return Answer(r.status_code, content.decode("utf-8", "replace"), r.get("Location", ""), r.get("Allow", ""))


# ---- Judging -------------------------------------------------------------------------------------------

# The subject-access export: everything about the person, which the DPO of a controller organisation (the only
# ones with standing on the request) makes to give to that person. Judged for standing like every URL; its content
# is the person's whole record by design, so it is not held to what the DPO may read on the case's pages.
FOR_THE_PERSON = {"subject_access_download", "subject_access_export"}
CASE_PAGES = {"cases/<uuid:case_id>/ [case_detail]", "api/v1/cases/<uuid:case_id>/ [case_detail]"}
LOGIN = "/accounts/login/"
REAUTHENTICATE = "/accounts/reauthenticate/"


@dataclass
class Principal:
    name: str
    membership: Membership | None  # None: anonymous (or a web session on the API)
    client: Client
    allowed: frozenset[str]  # the markers the policy lets them read anywhere

    @property
    def case_role(self) -> bool:
        return self.membership is not None and has_cap(self.membership.role, Cap.CASE_READ)


@dataclass
class Report:
    patterns: int = 0
    instances: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    standing: dict[tuple[str, str, str], bool] = field(default_factory=dict)  # (principal, arg, value) -> has it
    unfillable: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)  # principal -> the markers that reached them
    ghosts: int = 0
    pairs: set[tuple[str, str]] = field(default_factory=set)  # (pattern, principal) walked
    problems: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def stands(self, p: Principal, args: list[Arg]) -> bool:
        """Has the principal standing on every object the URL names (a relation to its case, ...)?"""
        for a in args:
            if a.standing is None or p.membership is None:
                continue
            key = (p.name, a.label, str(a.value))
            if key not in self.standing:
                self.standing[key] = bool(a.standing(p.membership))
            if not self.standing[key]:
                return False
        return True

    def add(self, pattern: Pattern, who: str, method: str, url: str, what: str) -> None:
        self.problems.setdefault((pattern.id, who, method.upper()), []).append(f"{method.upper()} {url}: {what}")


def marks(body: str) -> set[str]:
    return set(MARK.findall(body))


def unreadable(found: set[str], allowed: frozenset[str], every: frozenset[str]) -> set[str]:
    """The markers in a body the principal may not read. A marker cut short (a list shortening a title) counts as
    every marker it could be the start of."""
    out = set()
    for mark in found:
        tag = mark.removeprefix("WALKSECRET")
        candidates = {tag[:-1]} if tag.endswith("Z") else {t for t in every if t.startswith(tag)} or {tag}
        if not candidates & allowed:
            out.add(mark)
    return out


TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # CSRF tokens: different on every page


def difference(real: Answer, url: str, other: Answer, other_url: str, args: list[Arg]) -> str:
    """How the answer differs from the one for ids that name nothing, but for the ids (and the CSRF token): the
    first line that differs, or "" for the same answer."""

    def plain(answer: Answer, url: str, values: list[Any]) -> str:
        text = f"{answer.location}\n{answer.body}".replace(url, "{url}").replace(quote(url, safe=""), "{url}")
        for value in values:
            if isinstance(value, uuid.UUID):
                text = text.replace(str(value), "{id}")
        return TOKEN.sub("{token}", text)

    mine = plain(real, url, [a.value for a in args]).splitlines()
    theirs = plain(other, other_url, [a.ghost for a in args]).splitlines()
    for a, b in itertools.zip_longest(mine, theirs, fillvalue=""):
        if a != b:
            return f"«{a.strip()[:120]}» where ids that name nothing get «{b.strip()[:120]}»"
    return ""


def judge(
    report: Report,
    p: Principal,
    pattern: Pattern,
    method: str,
    url: str,
    args: list[Arg],
    real: Answer,
    ghost: Ghost,
    every: frozenset[str],
) -> None:
    def problem(what: str) -> None:
        report.add(pattern, p.name, method, url, what)

    found = marks(real.body)
    report.seen.setdefault(p.name, set()).update(m.removeprefix("WALKSECRET").removesuffix("Z") for m in found)
    if real.status >= 500:
        problem(f"{real.status} {real.body[:300]}")
    if p.membership is None:  # anonymous, or a web session without a token on the API
        if found:
            problem(f"anonymous sees {sorted(found)}")
        if pattern.route in PUBLIC:
            if real.status == 302 and real.location.startswith(LOGIN) and p.name == ANONYMOUS:
                problem("listed as PUBLIC, but sends anonymous visitors to the login page: not public")
            return
        if pattern.api:
            if real.status not in {401, 403, 405}:
                problem(f"anonymous API request answered {real.status}, not 401/403")
        elif not (real.status == 302 and real.location.startswith(LOGIN)) and real.status != 405:
            problem(f"anonymous answered {real.status} {real.location}, not a redirect to the login page")
        return
    guarded = [a for a in args if a.standing is not None]

    if not report.stands(p, args):
        # No standing on what the URL names: as if it did not exist.
        if found:
            problem(f"sees {sorted(found)} without standing on {[a.label for a in guarded]}")
        # 403 only as a role-level refusal: never for a role that reads cases, on a URL of a case. allauth asks
        # for the password again before it looks up an authenticator (a 302 to reauthenticate, whatever the id).
        of_case = any(a.of_case for a in guarded)
        ok = {404, 405} if p.case_role and of_case else {403, 404, 405}
        if not of_case and real.location.startswith(REAUTHENTICATE):
            ok.add(302)
        if real.status not in ok:
            problem(f"{real.status} without standing on {[a.label for a in guarded]} (expected {sorted(ok)})")
        elif real.status != 405 and not ghost.asked:
            other = ghost.send(method)
            report.requests += 1
            report.ghosts += 1
            if other.status != real.status:
                problem(f"{real.status}, but {other.status} for ids that name nothing: the object's existence shows")
            elif differs := difference(real, url, other, ghost.url, args):
                problem(f"{real.status}, but not the same answer as for ids that name nothing: {differs}")
        return
    if pattern.name in FOR_THE_PERSON:
        return  # the whole record, made by the DPO to give to the person it is about (docs/subject-access.md)
    leaked = unreadable(found, p.allowed, every)
    if leaked:
        problem(f"sees {sorted(leaked)}, which the policy does not let them read")
    if pattern.id in CASE_PAGES and method == "get" and real.status != 200:
        problem(f"the case page answered {real.status} to a principal with a relation")


# ---- The walk ------------------------------------------------------------------------------------------


def principals(w: WalkWorld, browse: Any, *, api: bool, only: str = "") -> list[Principal]:
    every = list(w.rules)
    out = []
    for name in PRINCIPALS:
        if only and name != only:
            continue
        m = w.m(name)
        ca = policy.case_access(m, w.case)
        allowed = frozenset(tag for tag in every if w.rules[tag](m, ca))
        out.append(Principal(name, m, w.world.api(name) if api else browse(name), allowed))
    if only:
        return out
    out.append(Principal(ANONYMOUS, None, Client(), frozenset()))
    if api:
        out.append(Principal(SESSION_ON_API, None, browse("kari"), frozenset()))
    return out


def instances(pattern: Pattern, table: dict[str, list[Arg]]) -> list[tuple[list[Arg], str, str]] | None:
    """Every way to fill the pattern from the table: (args, url, ghost url), the first values of every argument
    first; None when the table cannot fill it."""
    names = pattern.args()
    choices = []
    for arg in names:
        fill = table.get(pattern.fill_name(arg))
        if not fill:
            return None
        choices.append(fill)
    out = []
    for combo in itertools.product(*choices):
        url = pattern.url({n: a.value for n, a in zip(names, combo, strict=True)})
        ghost = pattern.url({n: a.ghost for n, a in zip(names, combo, strict=True)})
        out.append((list(combo), url, ghost))
    return out


def run(w: WalkWorld, browse: Any) -> Report:
    report = Report()
    every = frozenset(w.rules)
    web, api = principals(w, browse, api=False), principals(w, browse, api=True)
    table = fills(w)
    # On the second database a sample of the patterns, every principal on each (tests/sampling.py).
    patterns = sampling.pick(site_patterns(), 0.25, salt="url-walk")
    report.patterns = len(patterns)
    for pattern in patterns:
        filled = instances(pattern, table)
        if filled is None:
            report.unfillable.append(pattern.id)
            continue
        for n, (args, url, ghost_url) in enumerate(filled):
            try:
                match = resolve(url)
            except Resolver404:
                report.unresolved.append(f"{pattern.id}: {url}")
                continue
            if match.func is not pattern.callback and pattern.id not in SHADOWED:
                report.unresolved.append(f"{pattern.id}: {url} is answered by {match.route}")
            report.instances += 1
            walkers = api if pattern.api else web
            if pattern.route in SAME_FOR_EVERYONE:
                walkers = [p for p in walkers if p.name in {ANONYMOUS, "kari"}]
            for p in walkers:
                # The first filling of a pattern is written to and compared with ids that name nothing; the
                # further ones (other entries, meetings, ...) are read. Of the principals without standing on
                # what a URL names, all read it, and GHOSTS also write to it and read its further fillings.
                representative = p.name in GHOSTS or report.stands(p, args)
                if n > 0 and not representative:
                    continue
                ghost = Ghost(p.client, ghost_url, api=pattern.api, asked=n > 0 or p.name not in GHOSTS)
                visit(report, p, pattern, args, url, ghost, every, writes=n == 0 and representative)
    return report


def visit(
    report: Report, p: Principal, pattern: Pattern, args: list[Arg], url: str, ghost: Ghost, every: Any, *, writes: bool
) -> None:
    report.pairs.add((pattern.id, p.name))
    """GET, then the methods that write: POST on the web, what the API's `Allow` header names. The writes go to the
    first object of each kind only (the further entries, meetings, contacts, assessments and referrals, which
    differ in what they let each principal read, are read)."""
    first = send(p.client, "get", url, api=pattern.api)
    methods = ["get", "post"] if writes else ["get"]
    if pattern.api and writes:
        allowed = {x.strip().lower() for x in first.allow.split(",") if x.strip()}
        methods = ["get"] + sorted(allowed & {"post", "put", "patch", "delete"})
    for method in methods:
        real = first if method == "get" else send(p.client, method, url, api=pattern.api)
        report.requests += 1
        report.statuses[real.status] += 1
        judge(report, p, pattern, method, url, args, real, ghost, every)


@dataclass
class Ghost:
    """The same URL with ids that name nothing, asked once per URL and principal (the first method that the
    route takes): what a principal without standing gets must not depend on whether the object exists."""

    client: Client
    url: str
    api: bool
    asked: bool = False

    def send(self, method: str) -> Answer:
        self.asked = True
        return send(self.client, method, self.url, api=self.api)


# Markers the application shows to nobody (write-only notes of measurements and outcome events): the walk cannot
# prove it sees them, every other marker must reach at least one principal or the walk proves nothing about it.
NEVER_SHOWN = {"measurement", "event"}

# Findings of the walk that the application does not yet meet. The walk expects exactly their problems, keyed
# (pattern, principal, method): it fails when one stops occurring, so that it is removed here.


@dataclass(frozen=True)
class Finding:
    name: str
    reason: str
    keys: frozenset[tuple[str, str, str]]


API_MEETING = "api/v1/meetings/<uuid:meeting_id>/"
WEB_MEETING = "cases/<uuid:case_id>/meetings/<uuid:meeting_id>/"
WEB_DECISION = f"{WEB_MEETING}decisions/<uuid:decision_id>/"
MEETING_URLS = (  # (pattern, the first method the route takes)
    (f"{API_MEETING} [meeting_detail]", "GET"),
    (f"{API_MEETING}hold/ [meeting_hold]", "POST"),
    (f"{API_MEETING}cancel/ [meeting_cancel]", "POST"),
    (f"{API_MEETING}decisions/ [meeting_decision_list]", "GET"),
    (f"{API_MEETING}decisions/<uuid:decision_id>/ [meeting_decision_detail]", "GET"),
    (f"{WEB_MEETING} [meeting_detail]", "GET"),
    (f"{WEB_MEETING}print/ [meeting_print]", "GET"),
    (f"{WEB_MEETING}edit/ [meeting_edit]", "POST"),
    (f"{WEB_MEETING}cancel/ [meeting_cancel]", "POST"),
    (f"{WEB_MEETING}decisions/ [meeting_decision_add]", "POST"),
    (f"{WEB_DECISION} [meeting_decision_edit]", "POST"),
    (f"{WEB_DECISION}remove/ [meeting_decision_remove]", "POST"),
    (f"{WEB_DECISION}status/ [meeting_decision_status]", "POST"),
)
# Findings of the walk that are not fixed yet: (name, what leaks, the (pattern, principal, method) keys). The two it
# found when it was written — earlier revisions of an entry shown past their own classification, and meeting ids
# confirmed to outsiders by a different 404 — are fixed (cases.selectors.entry_revisions, meetings.selectors).
FINDINGS: tuple[Finding, ...] = ()
FINDING_KEYS = {key: f for f in FINDINGS for key in f.keys}


@pytest.fixture(autouse=True)
def _quiet_request_log(caplog: Any) -> None:
    """Thousands of 4xx answers: not worth a warning each in the captured log."""
    caplog.set_level(logging.ERROR, logger="django.request")


def test_every_url_answers_every_principal_as_the_policy_says(world, browse):
    started, cpu = time.monotonic(), time.process_time()
    w = build(world)
    report = run(w, browse)
    took, cpu = time.monotonic() - started, time.process_time() - cpu
    pairs = len(report.pairs)
    summary = (
        f"URL walk: {report.patterns} patterns ({report.instances} filled URLs) × {len(PRINCIPALS)} principals and "
        f"anonymous (on the API also a web session without a token): {pairs} pattern × principal pairs, "
        f"{report.requests} requests ({report.ghosts} of them with ids that name nothing) in {took:.1f} s "
        f"({cpu:.1f} s CPU); answers {dict(sorted(report.statuses.items()))}"
    )
    print(summary)
    assert not report.unfillable, (
        "The walk cannot fill these URL patterns: add their arguments to fills() (and the objects to the world) so "
        f"that every page and endpoint is walked: {report.unfillable}"
    )
    assert not report.unresolved, f"These walked URLs do not reach their own pattern: {report.unresolved}"
    unexpected = {k: v for k, v in report.problems.items() if k not in FINDING_KEYS}
    lines = [
        f"{k[0]} | {k[1]} | {k[2]}: {v[0]}" + (f" (+{len(v) - 1} more)" if len(v) > 1 else "")
        for k, v in sorted(unexpected.items())
    ]
    assert not unexpected, f"{summary}\n{len(unexpected)} problems:\n" + "\n".join(lines)
    if sampling.SAMPLED:
        return  # what the whole walk must cover is checked where it runs whole (SQLite)
    gone = sorted(k for k in FINDING_KEYS if k not in report.problems)
    assert not gone, f"{summary}\nThese findings no longer occur: remove them from FINDINGS: {gone}"
    seen = set().union(*report.seen.values())
    assert set(w.rules) - NEVER_SHOWN <= seen, f"markers nobody saw: {set(w.rules) - NEVER_SHOWN - seen}"
    assert report.patterns >= MIN_PATTERNS, summary
    assert report.requests >= 5000, summary
    assert pairs >= report.patterns * (len(PRINCIPALS) + 1) - len(SAME_FOR_EVERYONE) * len(PRINCIPALS), summary
