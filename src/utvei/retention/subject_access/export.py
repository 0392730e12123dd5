"""Everything Utvei holds about one person, for the answer to their subject-access request (GDPR art. 15; what is in
it, its shape and its rules: docs/subject-access.md).

`person_export` gathers one `Section` per part of the record from every app — the apps it may import directly, and
the others (evaluation) through `cases.subject_access.SECTIONS` — plus the access log in plain words
(`access.access_log`). Each row it reads is either given (an item) or withheld by a rule of
`access.subject_access.RULES` (counted, and stated in the export as "N items of kind K withheld under rule R");
`Ledger` keeps both, and the completeness test holds every row about the person in the database to it. What is
about the person but deliberately not in the export is declared, with the reason, in `NOT_IN_EXPORT` (the place to
extend when a new table holds something about a person that is not theirs to receive).

It reads as the system, not as the data protection officer: the officer sees no case content on their pages, and
the export is for the person. The service that makes it (`services.request_export`) checks the officer may, and
audits it.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.access.access_log import WHY, LogRow, log_rows, read_events
from utvei.access.subject_access import RULES
from utvei.accounts.models import Notification, User
from utvei.assessments.models import Assessment, AssessmentItem, AssessmentRevision, AssessmentSkip
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import (
    Attachment,
    AttachmentBlob,
    Case,
    CaseHeaderVersion,
    Concern,
    ConcernHandoff,
    ConcernQuestion,
    Entry,
    EntryRevision,
    IdentityReader,
    ParallelInquiry,
    ParticipantAccount,
    PhaseChange,
    ProtectionChange,
    Task,
    TeamMember,
    attachment_blob_context,
)
from utvei.cases.subject_access import SECTIONS, Field, Item, Ledger, Section, field_item
from utvei.core.crypto import decrypt_bytes
from utvei.meetings.models import DecisionRevision, Meeting, MeetingAttendee, MeetingDecision, MeetingRevision
from utvei.network.models import Contact, ContactRevision, Observation
from utvei.people import index as person_index
from utvei.people.models import Person, PersonVersion
from utvei.plans.models import Goal, GoalRating, Plan, PlanItem, PlanReview
from utvei.sharing.models import Consent, Disclosure, EmergencyAccess, Referral

from ..models import (
    LegalHold,
    RectificationRequest,
    RestrictedRead,
    RestrictionChange,
    RetentionStep,
    SubjectAccessRequest,
)

FORMAT = "utvei-subject-access"
FORMAT_VERSION = 1
INLINE_FILE_LIMIT = 5 * 1024 * 1024  # a file up to this size travels in the JSON (base64); larger ones are listed

# Rows about the person that the export does not give, and why (model label -> reason). The completeness test
# accepts a row of these kinds as accounted for. Engineers adding a table: give its rows in a section, or declare
# it here with the reason a data protection officer would accept.
NOT_IN_EXPORT: dict[str, Any] = {
    "people.PersonToken": _(
        "Keyed hashes of the name and date of birth that the person is found by; they cannot be read and say "
        "nothing beyond the identity given in full."
    ),
    "audit.AuditEvent": _(
        "The audit log: its reads of the record are given as the access log; its other events (writes, refusals, "
        "the workers' own activity) record what the organisations did, and what they wrote is given itself."
    ),
    "accounts.Notification": _(
        "Messages to workers pointing at the case (a task due, a referral); what they point at is given itself. "
        "Messages to the person's own account are given."
    ),
    "accounts.Reminder": _("Reminders to workers of their own tasks on the case; the tasks are given."),
    "account.EmailAddress": _("The login means of the person's own account; its e-mail address is given."),
    "mfa.Authenticator": _("The second factor of the person's own account: a secret, never given out."),
    "account.EmailConfirmation": _("A confirmation of the person's own e-mail address: a one-time secret."),
    "socialaccount.SocialAccount": _("A single sign-on link of the person's own account: a security record."),
    "socialaccount.SocialToken": _("A single sign-on token of the person's own account: a secret."),
    "sessions.Session": _("Login sessions: security records."),
    "accounts.User_groups": _("Django's permission groups: unused."),
    "accounts.User_user_permissions": _("Django's permissions: unused."),
    "oversight.AccessAlert": _(
        "The data protection officer's review of a worker's pattern of access (docs/oversight.md): a record about "
        "the worker. Every read of the person's record behind it is in the access log."
    ),
}


# The models whose rows the sections below give or withhold (evaluation's part: `evaluation.subject_access.MODELS`).
# Engineers adding a table about a person: add a section for it (and its label here), or declare it above.
GIVEN_MODELS = (
    "people.Person",
    "people.PersonVersion",
    "cases.ProtectionChange",
    "cases.IdentityReader",
    "cases.Concern",
    "cases.ConcernQuestion",
    "cases.ConcernHandoff",
    "cases.Case",
    "cases.PhaseChange",
    "cases.CaseHeaderVersion",
    "cases.TeamMember",
    "cases.ParallelInquiry",
    "cases.Entry",
    "cases.EntryRevision",
    "cases.Task",
    "cases.Attachment",
    "cases.AttachmentBlob",
    "cases.ParticipantAccount",
    "accounts.User",
    "sharing.Consent",
    "sharing.Disclosure",
    "sharing.Referral",
    "sharing.EmergencyAccess",
    "assessments.Assessment",
    "assessments.AssessmentItem",
    "assessments.AssessmentRevision",
    "assessments.AssessmentSkip",
    "plans.Plan",
    "plans.PlanReview",
    "plans.Goal",
    "plans.GoalRating",
    "plans.PlanItem",
    "meetings.Meeting",
    "meetings.MeetingAttendee",
    "meetings.MeetingRevision",
    "meetings.MeetingDecision",
    "meetings.DecisionRevision",
    "network.Contact",
    "network.ContactRevision",
    "network.Observation",
    "retention.SubjectAccessRequest",
    "retention.RectificationRequest",
    "retention.LegalHold",
    "retention.RestrictionChange",
    "retention.RestrictedRead",
    "retention.RetentionStep",
)


@dataclass
class Withheld:
    kind: str
    rule: str
    count: int
    field: str = ""  # a field withheld from items that are given (a network contact's label), or "" for whole items

    @property
    def statute(self) -> Any:
        return RULES[self.rule].statute

    @property
    def explanation(self) -> Any:
        return RULES[self.rule].explanation


@dataclass
class Export:
    person: Person
    request: SubjectAccessRequest | None
    generated_at: dt.datetime
    ledger: Ledger
    sections: list[Section] = field(default_factory=list)
    access_log: list[LogRow] = field(default_factory=list)

    @property
    def withheld(self) -> list[Withheld]:
        """Whole items withheld, per kind and rule; then the fields withheld from items given (third parties)."""
        rows = [Withheld(kind, rule, len(pks)) for (kind, rule), pks in self.ledger.withheld.items() if pks]
        rows += [Withheld(kind, rule, n, name) for (kind, name, rule), n in self.ledger.fields.items() if n]
        return sorted(rows, key=lambda w: (w.rule, w.kind, w.field))


# ---- The parts --------------------------------------------------------------------------------------------


def concerns_about(person: Person, cases: list[Case]) -> list[Concern]:
    """The concerns that became one of the person's cases, the ones they were passed on from, and the concerns not
    (yet) linked to a case that name them by identity number, or by name and date of birth (decrypted and compared:
    there is no index of a concern's subject)."""
    linked = list(Concern.objects.filter(case__in=cases))
    found = {c.pk: c for c in linked}
    frontier = [c.forwarded_from_id for c in linked if c.forwarded_from_id]
    while frontier:
        earlier = list(Concern.objects.filter(pk__in=frontier).exclude(pk__in=list(found)))
        found.update({c.pk: c for c in earlier})
        frontier = [c.forwarded_from_id for c in earlier if c.forwarded_from_id]
    nin, name, born = person.national_id or "", person.full_name or "", person.birth_date or ""
    for c in Concern.objects.filter(case__isnull=True, anonymous=False).exclude(pk__in=list(found)):
        same_nin = bool(nin) and c.subject_national_id == nin
        same_name = bool(born) and c.subject_birth_date == born and bool(c.subject_name)
        if same_name:
            same_name = person_index.name_matches(c.subject_name.split(), name, born)
        if same_nin or same_name:
            found[c.pk] = c
    return sorted(found.values(), key=lambda c: (c.received_at, c.pk))


def _identity(person: Person, cases: list[Case], ledger: Ledger) -> Section:
    s = Section("identity", _("Who you are in Utvei"), ledger)
    s.add(person)
    s.add_all(PersonVersion.objects.filter(person=person).order_by("number"))
    s.add_all(ProtectionChange.objects.filter(person=person).select_related("case").order_by("pk"))
    s.add_all(IdentityReader.objects.filter(case__in=cases).select_related("case", "member").order_by("pk"))
    return s


def _concerns(person: Person, cases: list[Case], ledger: Ledger) -> Section:
    s = Section("concerns", _("Concerns reported about you"), ledger)
    concerns = concerns_about(person, cases)
    for concern in concerns:
        s.add(concern)
    ids = [c.pk for c in concerns]
    s.add_all(ConcernQuestion.objects.filter(concern_id__in=ids).select_related("concern").order_by("pk"))
    s.add_all(ConcernHandoff.objects.filter(concern_id__in=ids).select_related("concern", "forwarded"))
    return s


def _cases(cases: list[Case], ledger: Ledger) -> Section:
    s = Section("cases", _("Your cases, their phases and the organisations on the team"), ledger)
    for case in cases:
        s.add(case)
    s.add_all(PhaseChange.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    s.add_all(CaseHeaderVersion.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    s.add_all(TeamMember.objects.filter(case__in=cases).select_related("case").order_by("started_at", "pk"))
    s.add_all(ParallelInquiry.objects.filter(Q(case__in=cases) | Q(from_case__in=cases)).order_by("pk"))
    return s


def _timeline(cases: list[Case], ledger: Ledger) -> Section:
    s = Section("timeline", _("The timeline: notes, conversations, decisions and tasks"), ledger)
    entries = list(Entry.objects.filter(case__in=cases).select_related("case").order_by("occurred_at", "pk"))
    rules = {e.pk: s.add(e) for e in entries}
    for rev in EntryRevision.objects.filter(entry__case__in=cases).select_related("entry").order_by("pk"):
        s.add(rev, rule=rules.get(rev.entry_id) or None)
    s.add_all(Task.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    return s


def _owner_rule(att: Attachment, rules: dict[tuple[str, int], str]) -> str:
    if att.entry_id is not None:
        return rules.get(("entry", att.entry_id), "")
    if att.meeting_id is not None:
        return rules.get(("meeting", att.meeting_id), "")
    return ""


def _attachments(cases: list[Case], ledger: Ledger, rules: dict[tuple[str, int], str]) -> Section:
    """The files: listed, with their content (base64) in the JSON up to INLINE_FILE_LIMIT; a withheld entry's or
    meeting's files are withheld with it."""
    s = Section("attachments", _("Documents"), ledger)
    for att in Attachment.objects.filter(case__in=cases).select_related("case").order_by("uploaded_at", "pk"):
        rule = s.add(att, rule=_owner_rule(att, rules) or None)
        blob = AttachmentBlob.objects.filter(attachment=att).first()
        if blob is None:
            continue
        if rule:
            ledger.withhold(blob, rule)
            continue
        item = s.items[-1]
        if att.size <= INLINE_FILE_LIMIT:
            content = decrypt_bytes(bytes(blob.data), context=attachment_blob_context(att.public_id))
            item.fields.append(Field("content_base64", _("content (base64)"), _b64(content)))
        else:
            note = _("Too large to include: ask the data protection officer for the file.")
            item.fields.append(Field("content_note", _("content"), str(note)))
        ledger.include(blob)
    return s


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sharing(cases: list[Case], ledger: Ledger) -> Section:
    s = Section("sharing", _("Consents, disclosures, referrals and emergency access"), ledger)
    consents = list(Consent.objects.filter(case__in=cases).prefetch_related("scope_orgs").order_by("pk"))
    for consent in consents:
        if not s.add(consent):
            names = sorted(o.name for o in consent.scope_orgs.all())
            s.items[-1].fields.append(Field("scope_orgs", _("organisations"), names))
    s.add_all(Disclosure.objects.filter(case__in=cases).select_related("case", "legal_basis").order_by("pk"))
    s.add_all(Referral.objects.filter(case__in=cases).select_related("case", "legal_basis").order_by("pk"))
    s.add_all(EmergencyAccess.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    return s


def _assessments(cases: list[Case], ledger: Ledger) -> Section:
    s = Section("assessments", _("Assessments"), ledger)
    assessments = list(Assessment.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    rules = {a.pk: s.add(a) for a in assessments}
    for item in AssessmentItem.objects.filter(assessment__case__in=cases).order_by("pk"):
        s.add(item, rule=rules.get(item.assessment_id) or None)
    for rev in AssessmentRevision.objects.filter(assessment__case__in=cases).order_by("pk"):
        s.add(rev, rule=rules.get(rev.assessment_id) or None)
    s.add_all(AssessmentSkip.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    return s


def _plans(cases: list[Case], ledger: Ledger) -> Section:
    s = Section("plans", _("Plans, goals and how they went"), ledger)
    plans = list(Plan.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    rules = {p.pk: s.add(p) for p in plans}
    for review in PlanReview.objects.filter(plan__case__in=cases).order_by("pk"):
        s.add(review, rule=rules.get(review.plan_id) or None)
    goals = list(Goal.objects.filter(plan__case__in=cases).select_related("plan").order_by("pk"))
    for goal in goals:
        s.add(goal, rule=rules.get(goal.plan_id) or None)
    plan_of_goal = {g.pk: g.plan_id for g in goals}
    for rating in GoalRating.objects.filter(goal__plan__case__in=cases).select_related("goal").order_by("pk"):
        s.add(rating, rule=rules.get(plan_of_goal.get(rating.goal_id, 0)) or None)
    for item in PlanItem.objects.filter(plan__case__in=cases).select_related("plan", "measure").order_by("pk"):
        s.add(item, rule=rules.get(item.plan_id) or None)
    return s


def _meetings(cases: list[Case], ledger: Ledger) -> tuple[Section, dict[int, str]]:
    s = Section("meetings", _("Meetings and decisions"), ledger)
    meetings = list(Meeting.objects.filter(case__in=cases).select_related("case").order_by("starts_at", "pk"))
    rules = {m.pk: s.add(m) for m in meetings}
    for att in MeetingAttendee.objects.filter(meeting__case__in=cases).select_related("meeting").order_by("pk"):
        s.add(att, rule=rules.get(att.meeting_id) or None)
    for rev in MeetingRevision.objects.filter(meeting__case__in=cases).order_by("pk"):
        s.add(rev, rule=rules.get(rev.meeting_id) or None)
    decisions = list(MeetingDecision.objects.filter(meeting__case__in=cases).select_related("meeting", "task"))
    decision_rules = {d.pk: s.add(d, rule=rules.get(d.meeting_id) or None) for d in decisions}
    for decision_rev in DecisionRevision.objects.filter(decision__meeting__case__in=cases).order_by("pk"):
        s.add(decision_rev, rule=decision_rules.get(decision_rev.decision_id) or None)
    return s, rules


def _network(cases: list[Case], ledger: Ledger) -> Section:
    """The people around the person: each contact by its relation (the label that names them is withheld), their
    observations and earlier versions withheld as a third party's data (access.subject_access.withhold_rule)."""
    s = Section("network", _("The people around you"), ledger)
    contacts = list(Contact.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    rules = {c.pk: s.add(c) for c in contacts}
    for rev in ContactRevision.objects.filter(contact__case__in=cases).order_by("pk"):
        s.add(rev, rule=rules.get(rev.contact_id) or None)
    for obs in Observation.objects.filter(contact__case__in=cases).order_by("pk"):
        s.add(obs, rule=rules.get(obs.contact_id) or None)
    return s


def _account(cases: list[Case], ledger: Ledger) -> tuple[Section, list[int]]:
    """The person's own accounts (their page, docs/participant.md): the invitations, and the login they chose."""
    s = Section("account", _("Your own account"), ledger)
    accounts = list(ParticipantAccount.objects.filter(case__in=cases).select_related("case").order_by("pk"))
    s.add_all(accounts)
    user_ids = sorted({a.user_id for a in accounts if a.user_id is not None})
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        s.items.append(
            field_item(
                "accounts.User",
                str(user.pk),
                [
                    ("username", _("username"), user.username),
                    ("email", _("e-mail"), user.email),
                    ("date_joined", _("created"), user.date_joined),
                    ("last_login", _("last login"), user.last_login),
                    ("is_active", _("active"), user.is_active),
                ],
            )
        )
        ledger.include_pk("accounts.User", user.pk)
    s.add_all(Notification.objects.filter(user_id__in=user_ids).order_by("pk"))
    return s, user_ids


def _requests(person: Person, cases: list[Case], ledger: Ledger) -> Section:
    s = Section("requests", _("Your requests for access, correction and restriction"), ledger)
    s.add_all(SubjectAccessRequest.objects.filter(person=person).order_by("received_on", "pk"))
    s.add_all(RectificationRequest.objects.filter(case__in=cases).order_by("received_on", "pk"))
    return s


def _retention(cases: list[Case], ledger: Ledger) -> Section:
    """How long the record is kept (docs/retention.md): restrictions, legal holds, who opened a restricted case and
    why, and the steps retention took."""
    s = Section("retention", _("How long your record is kept"), ledger)
    s.add_all(RestrictionChange.objects.filter(case__in=cases).order_by("changed_at", "pk"))
    s.add_all(LegalHold.objects.filter(case__in=cases).order_by("set_at", "pk"))
    s.add_all(RestrictedRead.objects.filter(case__in=cases).order_by("opened_at", "pk"))
    s.add_all(RetentionStep.objects.filter(case__in=cases).order_by("taken_at", "pk"))
    return s


def _access_log(person: Person, cases: list[Case], you: Iterable[int], ledger: Ledger) -> list[LogRow]:
    """Every read of each case (no limit), and every lookup of the person by identity number."""
    rows: list[LogRow] = []
    for case in cases:
        events = list(read_events(case))
        for e in events:
            ledger.include_pk("audit.AuditEvent", e.pk)
        rows.extend(log_rows(case, events, you=you))
    lookups = list(
        AuditEvent.objects.filter(
            action=Action.PERSON_LOOKUP, object_type="person", object_id=str(person.public_id)
        ).order_by("-seq")
    )
    if lookups and cases:
        for e in lookups:
            ledger.include_pk("audit.AuditEvent", e.pk)
        for row in log_rows(cases[0], lookups, you=you):
            # A lookup is not a read of a case: no relation to one explains it, the organisation's own duty does.
            row.what = str(_("looked you up by your identity number"))
            row.why, row.why_code = str(WHY["other"]), "other"
            row.case_reference = ""
            rows.append(row)
    return sorted(rows, key=lambda r: (r.day, r.case_reference, r.who), reverse=True)


def person_export(*, person: Person, request: SubjectAccessRequest | None = None) -> Export:
    """Everything about the person, each row given or withheld by rule; no audit here (the service audits)."""
    ledger = Ledger()
    cases = list(Case.objects.filter(person=person).select_related("owning_org").order_by("opened_at", "pk"))
    export = Export(person=person, request=request, generated_at=timezone.now(), ledger=ledger)
    timeline = _timeline(cases, ledger)
    meetings, meeting_rules = _meetings(cases, ledger)
    entry_rules = {
        ("entry", pk): rule for (kind, rule), pks in ledger.withheld.items() if kind == "cases.Entry" for pk in pks
    }
    owner_rules = {**entry_rules, **{("meeting", pk): rule for pk, rule in meeting_rules.items() if rule}}
    account, user_ids = _account(cases, ledger)
    export.sections = [
        _identity(person, cases, ledger),
        _concerns(person, cases, ledger),
        _cases(cases, ledger),
        timeline,
        _attachments(cases, ledger, owner_rules),
        _sharing(cases, ledger),
        _assessments(cases, ledger),
        _plans(cases, ledger),
        meetings,
        _network(cases, ledger),
    ]
    export.sections += [part for part in SECTIONS.send(person=person, cases=cases, ledger=ledger) if part is not None]
    export.sections += [_retention(cases, ledger), account, _requests(person, cases, ledger)]
    export.access_log = _access_log(person, cases, user_ids, ledger)
    return export


# ---- JSON ---------------------------------------------------------------------------------------------------


def as_json(export: Export, *, language: str = "nb") -> dict[str, Any]:
    """The machine-readable export (its shape: docs/subject-access.md)."""
    req = export.request
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "generated_at": export.generated_at.isoformat(),
        "language": language,
        "person": {"reference": export.person.reference},
        "request": (
            {
                "id": str(req.public_id),
                "received_on": req.received_on.isoformat(),
                "due_on": req.due_on.isoformat(),
                "organisation": req.organisation.name,
            }
            if req is not None
            else None
        ),
        "sections": [
            {"key": s.key, "title": str(s.title), "items": [i.as_json() for i in s.items]} for s in export.sections
        ],
        "access_log": [
            {
                "day": r.day.isoformat(),
                "case": r.case_reference,
                "organisation": r.who,
                "what": r.what,
                "why": r.why,
                "why_code": r.why_code,
                "times": r.times,
            }
            for r in export.access_log
        ],
        "withheld": [
            {
                "kind": w.kind,
                "field": w.field,
                "rule": w.rule,
                "count": w.count,
                "statute": str(w.statute),
                "explanation": str(w.explanation),
            }
            for w in export.withheld
        ],
        "not_included": [{"kind": k, "why": str(v)} for k, v in sorted(NOT_IN_EXPORT.items())],
    }


def items_by_kind(export: Export) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for s in export.sections:
        for i in s.items:
            out.setdefault(i.kind, []).append(i)
    return out
