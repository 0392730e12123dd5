"""Anonymisation that keeps the evidence (issue 15, deliverable 3; docs/anonymisation.md).

`case_anonymise(case)` turns a closed case into a record nobody can be recognised by, and that the evaluation
figures count exactly as before:

* **What goes**: identity (name, identity number and its blind index, birth date, guardian, gender, the person's
  search tokens and identity history, the municipality), every word anyone wrote (timeline entries, concern texts
  and the names in them, closing summary, safety plan, goals' wording, assessment evidence and summaries, minutes,
  decisions, tasks, consents', referrals' and disclosures' notes…), attachments and their content, the network
  (third parties: deleted with their observations), revisions and header histories, the person's own account,
  protected-identity records, and notifications about the case.
* **What stays** (coded, never written by hand): track, phase history, closure reason, orientation(s), age band,
  region, measures received with their status, stop reasons and sessions, indicators' values, outcome events,
  follow-ups, plan versions and reviews, consents' scope (categories and purposes, which research extracts need).
* **Dates**: every date and moment of the case is moved back by the same whole number of days — the number that
  puts the day the case was opened on the first of its month. The opening is thus known to the month, nothing else
  to the day, and every interval between two things on the case (days from closure to a re-engagement, from a
  concern to its triage, from a plan's approval to its review) is exactly what it was, so the figures are too.
  ADR docs/decisions/0014-anonymisation-moves-dates.md says why this and not truncating each date.

What each model keeps and why is a `core.anonymity.Policy`: those of the apps below retention are here, the
evidence engine places its own (`evaluation/anonymity.py`). A model that reaches a case or a person and is placed
nowhere fails tests/retention/test_anonymise.py.

The person's identity goes when the last of their cases is anonymised (a person with an open case keeps it for that
case). Their per-person key (crypto-shredding, when it lands) may be destroyed after that.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership, Notification, Reminder, User
from utvei.assessments.models import Assessment, AssessmentItem, AssessmentRevision, AssessmentSkip
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases import hooks as case_hooks
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
    Phase,
    PhaseChange,
    ProtectionChange,
    Task,
    TeamMember,
)
from utvei.core import anonymity
from utvei.core.anonymity import CATEGORY, CODED, FIGURE, REPLACED, Policy
from utvei.core.errors import UtveiError
from utvei.meetings.models import DecisionRevision, Meeting, MeetingAttendee, MeetingDecision, MeetingRevision
from utvei.network.models import Contact, ContactRevision, Observation
from utvei.people.models import Gender, Person, PersonToken, PersonVersion
from utvei.plans.models import Goal, GoalRating, Plan, PlanItem, PlanReview
from utvei.retention.models import (
    LegalHold,
    RectificationRequest,
    RestrictedRead,
    RestrictionChange,
    RetentionStep,
    SubjectAccessRequest,
)
from utvei.sharing.models import Consent, Disclosure, EmergencyAccess, Referral

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.yaml"
REFERENCE_PREFIX = "ANON-"


@cache
def _regions() -> dict[str, str]:
    data = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8")) or {}
    return {" ".join(str(k).split()).casefold(): str(v) for k, v in (data.get("regions") or {}).items()}


def region_of(municipality: str) -> str:
    """The region (county) of a municipality, from retention/data/regions.yaml; "" when it is not listed (an
    unlisted municipality never survives, not even as a region)."""
    return _regions().get(" ".join((municipality or "").split()).casefold(), "")


def new_reference(_row: Mapping[str, Any] | None = None) -> str:
    """A fresh reference for an anonymised person, case or concern: random, so it links to nothing written before
    (letters, prints, e-mails that carried the old one)."""
    return REFERENCE_PREFIX + secrets.token_hex(7).upper()


# ---- The policies of the apps below retention ----------------------------------------------------------------
# Order matters for drops: a row is deleted before the row it protects (PROTECT foreign keys).

_WORDS = "words someone wrote: free text is never evidence and may name anyone"
_THIRD = "third parties around the person are data subjects too, and nothing the figures read"
_HISTORY = "an earlier version keeps earlier words; the kept row is what counts"
_LINK = "links the person's own login, notifications or protection to the case; no figure reads them"

CASE_POLICIES: tuple[Policy, ...] = (
    # Links to people and messages about the case: dropped first (they protect the case and notifications).
    Policy(Reminder, "case", "drop", _LINK),
    Policy(Notification, "case", "drop", _LINK),
    Policy(ParticipantAccount, "case", "drop", _LINK + " (the login itself is scrubbed: _participant_users_scrub)"),
    Policy(ParallelInquiry, "case", "drop", "a question about the same person from another organisation"),
    Policy(IdentityReader, "case", "drop", _LINK),
    Policy(ProtectionChange, "case", "drop", _LINK + "; the reason is free text"),
    Policy(CaseHeaderVersion, "case", "drop", _HISTORY),
    # The timeline, tasks and the network: words and third parties.
    Policy(AttachmentBlob, "attachment__case", "drop", "a file's content: documents name people"),
    Policy(Attachment, "case", "drop", "a file and its name"),
    Policy(EntryRevision, "entry__case", "drop", _HISTORY),
    Policy(Entry, "case", "drop", _WORDS),
    Policy(Task, "case", "drop", _WORDS + " (the title)"),
    Policy(ConcernQuestion, "concern__case", "drop", _WORDS),
    Policy(Observation, "contact__case", "drop", _THIRD),
    Policy(ContactRevision, "contact__case", "drop", _THIRD),
    Policy(Contact, "case", "drop", _THIRD),
    Policy(MeetingRevision, "meeting__case", "drop", _HISTORY),
    Policy(DecisionRevision, "decision__meeting__case", "drop", _HISTORY),
    Policy(AssessmentRevision, "assessment__case", "drop", _HISTORY + " (an encrypted snapshot of the text)"),
    # Kept: the coded record.
    Policy(
        Case,
        "pk",
        "keep",
        "the case: track, phase, orientation and closure are what the figures are counted by",
        kept={
            "reference": REPLACED,
            "track": FIGURE,
            "phase": FIGURE,
            "ideologies": FIGURE + " (cases by orientation: a code per orientation, no words)",
            "motivation_stage": CODED + " (the stage of change, an outcome over time)",
            "closure_reason": FIGURE + " (closures by reason)",
            "retention_state": CODED + " (where the case is in its retention: anonymised)",
            "restriction_code": CODED + " (why it was restricted before: retention, art18, archive)",
        },
        blank=frozenset({"safety_plan", "closure_summary", "restriction_reason"}),
        replace={"reference": new_reference},
        unshifted=frozenset({"anonymised_at"}),
    ),
    Policy(
        Concern,
        "case",
        "keep",
        "the time from a concern received to its triage is a process figure",
        kept={
            "reference": REPLACED,
            "urgency": CODED,
            "kind": CODED,
            "status": CODED,
            "outcome": CODED + " (the triage outcome)",
        },
        blank=frozenset({"description", "subject_name", "subject_national_id", "subject_birth_date", "rationale"}),
        replace={"reference": new_reference},
    ),
    Policy(
        ConcernHandoff,
        "concern__case",
        "keep",
        "where a concern was passed on and on which basis: coded",
        kept={"to_kind": CODED, "basis_key": CODED + " (a legal basis key)", "basis_label": "the statute cited"},
        blank=frozenset({"to_name"}),
    ),
    Policy(TeamMember, "case", "keep", "who worked on the case: staff, no words", kept={"role": CODED}),
    Policy(
        PhaseChange,
        "case",
        "keep",
        "the phase and track history",
        kept={"from_phase": FIGURE, "to_phase": FIGURE, "from_track": FIGURE, "to_track": FIGURE},
        blank=frozenset({"note"}),
    ),
    Policy(
        Consent,
        "case",
        "keep",
        "a research extract includes a case only under an active consent to evaluation and research",
        kept={
            "given_by": CODED,
            "scope_kinds": CODED + " (organisation kinds)",
            "categories": CATEGORY,
            "purposes": CODED + " (purposes; the extract reads evaluation_research)",
            "evidence": CODED,
            "text_version": CODED + " (which consent text was shown)",
        },
        blank=frozenset({"guardian_name", "withdrawal_note", "evidence_note"}),
    ),
    Policy(
        Disclosure,
        "case",
        "keep",
        "that data was shared, on which basis: coded",
        kept={"categories": CATEGORY},
        blank=frozenset({"justification"}),
    ),
    Policy(
        Referral,
        "case",
        "keep",
        "that the case was referred or transferred: coded",
        kept={"kind": CODED, "categories": CATEGORY, "basis": CODED, "status": CODED},
        blank=frozenset({"justification", "message", "decision_note", "keep_team_members"}),
    ),
    Policy(
        EmergencyAccess,
        "case",
        "keep",
        "emergency access and its review: coded",
        kept={"role": CODED, "reason_code": CODED, "review_status": CODED},
        blank=frozenset({"reason_text", "review_note"}),
    ),
    Policy(
        Assessment,
        "case",
        "keep",
        "structured judgement: the level and the items' ratings are coded; every text goes",
        kept={"status": CODED, "classification": CATEGORY, "summary_level": CODED + " (the assessor's level)"},
        blank=frozenset({"summary_judgement", "formulation", "scenarios", "management", "changes_since_last"}),
    ),
    Policy(
        AssessmentItem,
        "assessment__case",
        "keep",
        "an item's rating",
        kept={"code": CODED + " (the instrument's item)", "domain": CODED, "rating": CODED, "confidence": CODED},
        blank=frozenset({"evidence"}),
    ),
    Policy(
        AssessmentSkip,
        "case",
        "keep",
        "that an assessment was skipped, and why (coded)",
        kept={"reason": CODED},
        blank=frozenset({"explanation"}),
    ),
    Policy(
        Plan,
        "case",
        "keep",
        "plan versions: approval and review times are process figures",
        kept={"status": FIGURE, "classification": CATEGORY, "participation": CODED},
        blank=frozenset({"participation_note"}),
    ),
    Policy(PlanReview, "plan__case", "keep", "reviews on time or late", blank=frozenset({"note"})),
    Policy(
        Goal,
        "plan__case",
        "keep",
        "a goal's domain and attainment; its wording (the person's own words) goes",
        kept={"domain": CODED},
        blank=frozenset({"text"}),
    ),
    Policy(
        GoalRating,
        "goal__plan__case",
        "keep",
        "goal attainment over time",
        kept={"source": CODED},
        blank=frozenset({"note"}),
    ),
    Policy(
        PlanItem,
        "plan__case",
        "keep",
        "measures received: the measure, status, stop reason and sessions are the exposure the figures count",
        kept={"status": FIGURE, "stop_reason": FIGURE},
        blank=frozenset({"note"}),
    ),
    Policy(
        Meeting,
        "case",
        "keep",
        "that a meeting was held, its kind and who took part (coded)",
        kept={"kind": CODED, "status": CODED, "classification": CATEGORY, "category": CATEGORY},
        blank=frozenset({"place", "agenda", "minutes"}),
    ),
    Policy(MeetingAttendee, "meeting__case", "keep", "which staff and organisations took part"),
    Policy(
        MeetingDecision, "meeting__case", "keep", "that a decision was made, and when due", blank=frozenset({"text"})
    ),
    # Retention's own records about the case. A hold blocks anonymisation, so only lifted ones are left; the
    # audit log keeps that they were set, lifted, opened and answered (ids and codes).
    Policy(LegalHold, "case", "drop", "a lifted hold's reason and who set it: the audit log keeps that it was"),
    Policy(RestrictedRead, "case", "drop", "openings of the restricted case with their stated reasons"),
    Policy(RestrictionChange, "case", "drop", "the restriction's history with its reasons"),
    Policy(RectificationRequest, "case", "drop", "the person's own words about what was wrong, and the answer"),
    Policy(
        RetentionStep,
        "case",
        "keep",
        "what retention did, by which rule (its dates move with the case's)",
        kept={"step": CODED, "rule_id": CODED + " (the rule in retention/data/rules.yaml)"},
        blank=frozenset({"archive_file"}),
    ),
)

PERSON_POLICIES: tuple[Policy, ...] = (
    Policy(PersonToken, "person", "drop", "keyed hashes of the name: they find the person", scope="person"),
    Policy(PersonVersion, "person", "drop", "earlier identity details", scope="person"),
    Policy(
        Person,
        "pk",
        "keep",
        "the row the cases hang on: age band and region stay, identity goes",
        kept={
            "reference": REPLACED,
            "age_band": FIGURE + " (cohorts and extracts by age band)",
            "gender": "replaced by unknown: no figure reads it, and it narrows a small group",
            "municipality": "replaced by empty: the region stays instead",
            "region": "the county or region of the municipality (retention/data/regions.yaml): extracts' region",
        },
        blank=frozenset({"full_name", "national_id", "national_id_index", "birth_date", "guardian_name"}),
        replace={
            "reference": new_reference,
            "gender": lambda row: Gender.UNKNOWN,
            "region": lambda row: row["region"] or region_of(row["municipality"]),
            "municipality": lambda row: "",
        },
        scope="person",
    ),
    Policy(
        SubjectAccessRequest,
        "person",
        "keep",
        "that the person asked to see their data and was answered in time: the controller's accountability",
        kept={"received_via": CODED, "status": CODED},
        blank=frozenset({"extension_reason", "refusal_reason"}),
        scope="person",
    ),
)


# ---- The service ---------------------------------------------------------------------------------------------


class NotYet(UtveiError):
    """The case cannot be anonymised now: ``code`` says what must come first. Nothing was changed."""

    code = "not_yet"
    status = 409


class CaseStillOpen(NotYet):
    """Only a closed case can be anonymised: an open one is still being worked on."""

    code = "case_open"

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("Only a closed case can be anonymised."))


class FollowUpsAhead(NotYet):
    """A follow-up of the case is still pending and not yet due (evaluation/anonymity.py): anonymising now would
    lose it, and change the follow-up figures."""

    code = "follow_ups_ahead"

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message or _("The case has a follow-up still to come: it can be anonymised once the follow-ups are due.")
        )


def _refusal(code: str) -> NotYet:
    if code == CaseStillOpen.code:
        return CaseStillOpen()
    if code == FollowUpsAhead.code:
        return FollowUpsAhead()
    return NotYet(_("The case cannot be anonymised yet."), code=code)


def anonymise_blockers(case: Case, *, today: dt.date | None = None) -> list[str]:
    """What must come first before the case can be anonymised (codes; empty: it can be now). For a dry run."""
    if case.anonymised_at is not None:
        return []
    found = [] if case.phase == Phase.CLOSED and case.closed_at is not None else [CaseStillOpen.code]
    today = today or timezone.localdate()
    found += [code for code in case_hooks.ANONYMISE_CHECK.send(case=case, today=today) if code]
    return found


@dataclass(frozen=True)
class AnonymisationReport:
    """What `case_anonymise` did, in ids and counts only (nothing that was removed, and not the date shift, which
    would give back the day the case was opened)."""

    case_id: str  # the case's public id
    anonymised_at: dt.datetime
    already: bool  # the case was anonymised before: nothing was changed
    person_anonymised: bool  # the person's identity went too (this was their last case not anonymised)
    deleted: dict[str, int] = field(default_factory=dict)  # model label -> rows deleted
    kept: dict[str, int] = field(default_factory=dict)  # model label -> rows kept, stripped and shifted
    accounts_closed: int = 0  # the person's own logins scrubbed

    @property
    def reason(self) -> str:
        """The audit event's reason: counts only."""
        return (
            f"deleted={_total(self.deleted)};kept={_total(self.kept)};"
            f"person={int(self.person_anonymised)};accounts={self.accounts_closed}"
        )


def _total(rows: dict[str, int]) -> int:
    """Rows in all. (Added up by hand: tests/assessments/test_no_scores.py keeps any module that names assessment
    items from summing, lest it score ratings; this sums rows of tables.)"""
    total = 0
    for n in rows.values():
        total += n
    return total


def shift_days(case: Case) -> int:
    """Whole days that move the local day the case was opened to the first of its month."""
    return timezone.localdate(case.opened_at).day - 1


def _policies(scope: str) -> list[Policy]:
    return [p for p in anonymity.policies() if p.scope == scope]


def _rows(policy: Policy, target: Any) -> Any:
    return policy.model._default_manager.filter(**{policy.path: target})


def _apply(policies: list[Policy], target: Any, days: int, deleted: dict[str, int], kept: dict[str, int]) -> None:
    for policy in policies:
        if policy.action == "drop":
            rows = _rows(policy, target)
            n = rows.count()
            if n:
                rows.delete()
                deleted[policy.label] = deleted.get(policy.label, 0) + n
    for policy in policies:
        if policy.action == "keep":
            n = anonymity.apply_keep(policy, _rows(policy, target), days)
            if n:
                kept[policy.label] = kept.get(policy.label, 0) + n


def _unlink_other_records(case: Case) -> None:
    """Questions this case asked other organisations' cases stay on theirs, without the link back."""
    ParallelInquiry.objects.filter(from_case=case).update(from_case=None)
    ParallelInquiry.objects.filter(from_concern__case=case).update(from_concern=None)


def _participant_users(case: Case) -> list[int]:
    return list(ParticipantAccount.objects.filter(case=case, user__isnull=False).values_list("user_id", flat=True))


def _participant_users_scrub(user_ids: list[int]) -> int:
    """The person's (or guardian's) own logins, once no account on another case uses them: no name, no e-mail, no
    password, no second factor, a random username; inactive, so every session and token ends."""
    still_used = set(ParticipantAccount.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    staff = set(Membership.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    gone = [pk for pk in set(user_ids) - still_used - staff]
    for user in User.objects.filter(pk__in=gone, is_participant=True):
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        user.username = "anon-" + secrets.token_hex(8)
        user.first_name = user.last_name = user.email = ""
        user.preferred_language = ""
        user.set_unusable_password()
        user.is_active = False
        user.save(
            update_fields=[
                "username",
                "first_name",
                "last_name",
                "email",
                "preferred_language",
                "password",
                "is_active",
            ]
        )
        User.objects.filter(pk=user.pk).update(credentials_epoch=F("credentials_epoch") + 1)
    return len(gone)


def case_anonymise(
    case: Case, *, at: dt.datetime | None = None, actor: Membership | None = None
) -> AnonymisationReport:
    """Anonymise one closed case so that it keeps its evidence and nothing that identifies anyone (module docstring).

    Atomic; audited (`case.anonymise`, by the system unless an actor is given: the case's public id and counts
    only); idempotent: a case anonymised before is left as it is (``already``). The caller decides whether the
    case may be anonymised now (retention rules, legal hold): this function only refuses a case that is not closed
    (`CaseStillOpen`) and one whose follow-ups are still to come (`FollowUpsAhead`); both are `NotYet`, and
    `anonymise_blockers` says the same without trying."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        if locked.anonymised_at is not None:
            return AnonymisationReport(
                case_id=str(locked.public_id),
                anonymised_at=locked.anonymised_at,
                already=True,
                person_anonymised=not Case.objects.filter(person=locked.person, anonymised_at__isnull=True).exists(),
            )
        blockers = anonymise_blockers(locked, today=timezone.localdate(at))
        if blockers:
            raise _refusal(blockers[0])
        days = shift_days(locked)
        deleted: dict[str, int] = {}  # model label -> rows (a tally of rows, not of anything in them)
        kept: dict[str, int] = {}
        users = _participant_users(locked)
        _unlink_other_records(locked)
        _apply(_policies("case"), locked.pk, days, deleted, kept)
        Case.objects.filter(pk=locked.pk).update(anonymised_at=at, version=F("version") + 1)
        accounts = _participant_users_scrub(users)

        person = locked.person
        last = not Case.objects.filter(person=person, anonymised_at__isnull=True).exists()
        if last:
            _apply(_policies("person"), person.pk, days, deleted, kept)
            Person.objects.filter(pk=person.pk).update(version=F("version") + 1)

        report = AnonymisationReport(
            case_id=str(locked.public_id),
            anonymised_at=at,
            already=False,
            person_anonymised=last,
            deleted=deleted,
            kept=kept,
            accounts_closed=accounts,
        )
        audit_record(
            action=Action.CASE_ANONYMISE,
            actor=actor.user if actor is not None else None,
            organisation=actor.organisation if actor is not None else None,
            obj=locked,
            case=locked,
            reason=report.reason,
        )
    case.refresh_from_db()
    return report


__all__ = [
    "CASE_POLICIES",
    "PERSON_POLICIES",
    "AnonymisationReport",
    "CaseStillOpen",
    "FollowUpsAhead",
    "NotYet",
    "anonymise_blockers",
    "case_anonymise",
    "new_reference",
    "region_of",
    "shift_days",
]
