"""Concerns, cases, the team, the timeline and tasks."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from utvei.accounts.models import Organisation
from utvei.core.crypto import EncryptedBinaryField, EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.models import Person


class Track(models.TextChoices):
    PREVENTION = "prevention", _("Prevention")
    EXIT = "exit", _("Exit")
    RETURNEE = "returnee", _("Returnee")


class Phase(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSMENT = "assessment", _("Assessment")
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met / disengaged")
    MOVED = "moved", _("Moved — transferred")
    DECLINED = "declined", _("Declined or consent withdrawn")
    NOT_SUBSTANTIATED = "not_substantiated", _("Concern not substantiated")
    CRIMINAL_JUSTICE = "criminal_justice", _("Handed to criminal justice")
    UNREACHABLE = "unreachable", _("No longer reachable")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class RetentionState(models.TextChoices):
    """Where a case is in its retention (docs/retention.md): active (the phase decides what it is), restricted
    (sperret: read only by the DPO and the case lead for a stated reason), archived (exported to the archive and
    kept restricted), anonymised. A deleted case has no row; the state is named for the records that speak of it."""

    ACTIVE = "active", _("Active")
    RESTRICTED = "restricted", pgettext_lazy("retention state", "Restricted")
    ARCHIVED = "archived", _("Archived and restricted")
    ANONYMISED = "anonymised", _("Anonymised")
    DELETED = "deleted", _("Deleted")


# The states in which a case still holds its content, but only the DPO and the case lead read it, for a reason.
RESTRICTED_STATES = frozenset({RetentionState.RESTRICTED, RetentionState.ARCHIVED})


class RestrictionCode(models.TextChoices):
    """Why a case is restricted."""

    RETENTION = "retention", _("The retention period after closure has passed")
    ART18 = "art18", _("The person asked for restriction (GDPR art. 18)")
    ARCHIVE = "archive", _("Kept restricted after archiving (arkivlova)")


class Ideology(models.TextChoices):
    ISLAMIST = "islamist", _("Islamist extremism")
    RIGHT_WING = "right_wing", _("Right-wing extremism")
    LEFT_WING = "left_wing", _("Left-wing extremism")
    OTHER = "other", _("Other extremism")
    UNCLEAR = "unclear", _("Unclear or mixed")


class MotivationStage(models.TextChoices):
    UNKNOWN = "", _("Not assessed")
    PRECONTEMPLATION = "precontemplation", _("Pre-contemplation")
    CONTEMPLATION = "contemplation", _("Contemplation")
    PREPARATION = "preparation", _("Preparation")
    ACTION = "action", _("Action")
    MAINTENANCE = "maintenance", _("Maintenance")
    RELAPSE = "relapse", _("Relapse")


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    CONVERSATION = "conversation", _("Conversation")
    MEETING = "meeting", _("Meeting")
    DECISION = "decision", _("Decision")
    PHONE = "phone", _("Phone call")
    DOCUMENT = "document", _("Document")
    CONCERN = "concern", _("Concern received")  # written only when a concern opens the case (concern_triage)


# The kinds a user (or the synthetic data) writes by hand: all but the concern's own entry.
HAND_WRITTEN_KINDS = [k for k in EntryKind.values if k != EntryKind.CONCERN]


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    SOON = "soon", _("Within a few days")
    ACUTE = "acute", _("Acute danger")


class ConcernKind(models.TextChoices):
    """What a concern is about, as the reporter sees it: the intake queue shows it before anyone opens the text."""

    STATEMENTS = "statements", _("Statements or expressions")
    MILIEU = "milieu", _("Contact with an extremist milieu or group")
    ONLINE = "online", _("Online activity or propaganda")
    VIOLENCE = "violence", _("Violence, threats or weapons")
    BEHAVIOUR = "behaviour", _("Changed behaviour or withdrawal")
    TRAVEL = "travel", _("Travel or plans to travel")
    OTHER = "other", _("Other")


class TriageOutcome(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    MORE_INFO = "more_info", _("More information needed")
    OPEN_CASE = "open_case", _("Open a case")
    ORDINARY_SERVICES = "ordinary_services", _("Refer to ordinary services")
    POLICE_PST = "police_pst", _("Hand to police / PST")


class ConcernStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_INFO = "awaiting_info", _("Waiting for information from the reporter")
    TRIAGED = "triaged", _("Triaged")


class HandoffTo(models.TextChoices):
    """Where a concern is passed on to when it leaves the municipality's exit work."""

    POLICE = "police", _("The police")
    PST = "pst", _("The Police Security Service (PST)")
    ORDINARY = "ordinary", _("Ordinary services")


# The triage outcomes that pass the concern on, and where each may go.
HANDOFF_OUTCOMES = {
    "police_pst": (HandoffTo.POLICE, HandoffTo.PST),
    "ordinary_services": (HandoffTo.ORDINARY,),
}


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Case lead")
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    MENTOR = "mentor", _("Mentor")
    ADVISER = "adviser", _("Adviser")
    REFERRAL = "referral", _("Referral recipient (limited)")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskOrigin(models.TextChoices):
    MANUAL = "manual", _("Manual")
    FOLLOW_UP = "follow_up", _("Follow-up schedule")
    MEETING = "meeting", _("Meeting decision")


class Concern(models.Model):
    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    data_subject_until_linked = "self"  # before triage links it to a case: a data key of the concern's own
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reporter_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    receiving_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="concerns_received")
    received_at = models.DateTimeField(default=timezone.now)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    kind = models.CharField(
        _("what it is about"), max_length=12, choices=ConcernKind.choices, default=ConcernKind.OTHER
    )
    description = EncryptedTextField(_("what worries you"))
    anonymous = models.BooleanField(_("discussed anonymously"), default=False)
    subject_name = EncryptedTextField(_("name of the person"), blank=True)
    subject_national_id = EncryptedTextField(_("national identity number"), blank=True)
    subject_birth_date = EncryptedTextField(_("date of birth"), blank=True)
    status = models.CharField(max_length=16, choices=ConcernStatus.choices, default=ConcernStatus.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=20, choices=TriageOutcome.choices, blank=True)
    rationale = EncryptedTextField(_("rationale"), blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, null=True, blank=True, related_name="concerns")
    # An acute concern is unanswered until a coordinator takes it (concern_take).
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    # Passed on from another organisation's triage (ConcernHandoff.forwarded is the other end).
    forwarded_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="forwarded_to"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["receiving_org", "status", "received_at"])]

    @property
    def subject_age(self) -> int | None:
        """The person's age in years today, when the reporter gave a date of birth."""
        try:
            born = dt.date.fromisoformat(self.subject_birth_date or "")
        except ValueError:
            return None
        today = timezone.localdate()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ParallelInquiry(models.Model):
    """One organisation asks another that follows the same person (an open case, found by identity number or by
    name and birth date) for a referral or a collaboration, so that the two do not work in parallel unaware. The
    asker learns only that the other organisation has an open case; the owner sees who asks, about which of its
    cases, and from which concern or case of theirs (issue 13, deliverable 2)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="parallel_inquiries")
    asking_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    from_concern = models.ForeignKey(Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_case = models.ForeignKey("Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-asked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "asking_org"], condition=models.Q(handled_at__isnull=True), name="one_open_inquiry"
            )
        ]


class ConcernQuestion(models.Model):
    """ "More information needed": a question to the reporter, asked from triage, answered on the receipt page.
    The answer sends the concern back to the intake queue."""

    data_subject = "concern__case__person"  # core.crypto: whose data key encrypts this row's values
    data_subject_until_linked = "concern"  # before triage: the concern's own data key

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    question = EncryptedTextField(_("question to the reporter"))
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]


class ConcernHandoff(models.Model):
    """A concern handed to the police, PST or ordinary services: to whom, when, on which basis and by whom. When
    the recipient is an organisation in Utvei (never PST: no PST content here), the concern is forwarded to its
    intake queue (`forwarded`)."""

    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="handoff")
    to_kind = models.CharField(_("passed on to"), max_length=10, choices=HandoffTo.choices)
    to_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_name = models.CharField(_("recipient"), max_length=200, blank=True)
    basis_key = models.SlugField(_("legal basis"), max_length=60)
    basis_label = models.CharField(max_length=300, blank=True)  # statute and provision, as cited when passed on
    handed_at = models.DateTimeField(_("passed on"))
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handed_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    forwarded = models.OneToOneField(Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    @property
    def recipient(self) -> str:
        return self.to_org.name if self.to_org is not None else self.to_name


class Case(models.Model):
    data_subject = "person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=24, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    track = models.CharField(_("track"), max_length=12, choices=Track.choices)
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, default=Phase.INTAKE)
    owning_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="owned_cases")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ideologies = models.JSONField(_("ideological orientation"), default=list, blank=True)
    motivation_stage = models.CharField(
        _("motivation / change stage"), max_length=20, choices=MotivationStage.choices, blank=True, default=""
    )
    threat_clarified_at = models.DateField(_("security threat clarified on"), null=True, blank=True)
    safety_plan = EncryptedTextField(_("safety plan"), blank=True)
    # When the safety plan is to be reviewed: past it, the lead is reminded (desk/overdue.py), as of a plan review.
    safety_plan_review_on = models.DateField(_("review the safety plan by"), null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True)
    closure_summary = EncryptedTextField(_("closing summary"), blank=True)
    measures_ended_on = models.DateField(null=True, blank=True)
    previous_case = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_case"
    )
    version = models.PositiveIntegerField(default=1)
    # When the case was anonymised (retention.anonymise.case_anonymise): its identity and words are gone, its dates
    # moved back to the month it was opened, its coded evidence kept. Never moved itself.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Retention (docs/retention.md; written only by utvei.retention.services). The policy reads `retention_state`:
    # any state but active takes the case out of every list and lookup (access/policy.py).
    retention_state = models.CharField(
        _("retention state"), max_length=12, choices=RetentionState.choices, default=RetentionState.ACTIVE
    )
    restricted_at = models.DateTimeField(null=True, blank=True)
    restriction_code = models.CharField(max_length=12, choices=RestrictionCode.choices, blank=True)
    restriction_reason = EncryptedTextField(_("reason for the restriction"), blank=True)
    restricted_by = models.ForeignKey(  # null: the retention run (the system)
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["owning_org", "phase"]),
            # The lists: newest first, by owning organisation or across the principal's teams (keyset pages).
            models.Index(fields=["owning_org", "opened_at", "id"], name="case_org_opened"),
            models.Index(fields=["opened_at", "id"], name="case_opened"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        """Closed, or taken out of active use by retention: nothing more is written to a restricted case."""
        return self.phase == Phase.CLOSED or self.retention_state != RetentionState.ACTIVE

    @property
    def is_restricted(self) -> bool:
        return self.retention_state in RESTRICTED_STATES

    @property
    def safety_plan_review_overdue(self) -> bool:
        """The safety plan's review date has passed on an open case (desk/overdue.py reminds the lead of it)."""
        due = self.safety_plan_review_on
        return due is not None and due < timezone.localdate() and not self.is_closed


# The header fields whose earlier values a CaseHeaderVersion keeps, in the order the history lists them.
HEADER_VERSIONED = ("ideologies", "motivation_stage", "threat_clarified_at", "safety_plan", "safety_plan_review_on")


class CaseHeaderVersion(models.Model):
    """One earlier version of a case header, kept when it was edited (issue 14, deliverable 6).

    Written by `cases.services.case_update` in the transaction of the edit: `number` is the case's version that
    this row preserves, `changed` names the header fields the edit changed (names only), `earlier` holds the
    values of every versioned field *before* the edit as encrypted JSON — the safety plan is encrypted live and the
    orientation is special-category data. Who may read the earlier values is the rule for each live field
    (access/header.py).
    """

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="header_versions")
    number = models.PositiveIntegerField()
    changed = models.JSONField(default=list)
    earlier = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="case_header_version_unique")]


class PhaseChange(models.Model):
    """History of phase and track: one row per transition."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    to_phase = models.CharField(max_length=12, choices=Phase.choices)
    from_track = models.CharField(max_length=12, choices=Track.choices, blank=True)
    to_track = models.CharField(max_length=12, choices=Track.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def current(self) -> TeamMemberQuerySet:
        now = timezone.now()
        return self.filter(started_at__lte=now).filter(models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=now))


class TeamMember(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_teams")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role in case"), max_length=12, choices=TeamRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The member's organisation owns the case (kept by `owner_side_sync`). Only a hint for listing: a coordinator's
    # team rows on their own organisation's cases are listed with the organisation's cases, the rest on their own.
    # False is the safe value: such a row is listed with the team rows, where it is found all the same.
    owner_side = models.BooleanField(default=False)

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["user", "organisation", "ended_at"]),
            models.Index(fields=["user", "organisation", "owner_side"], name="team_user_side"),
            models.Index(fields=["case", "user", "organisation"]),
        ]


def owner_side_sync(case: Case) -> None:
    """Mark which of the case's team rows belong to its owning organisation (after it is opened, joined or moved)."""
    owner = models.ExpressionWrapper(models.Q(organisation_id=case.owning_org_id), output_field=models.BooleanField())
    TeamMember.objects.filter(case=case).update(owner_side=owner)


class Entry(models.Model):
    """One item on the case timeline. The body is encrypted; edits keep revisions; `version` guards writes."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    category = models.CharField(
        _("data category"), max_length=12, choices=DataCategory.choices, default=DataCategory.PLAN
    )
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    title = EncryptedTextField(_("title"), blank=True)
    body = EncryptedTextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # The concern this entry carries into the case (kind "concern"); the concern links back through `case`.
    source_concern = models.ForeignKey(
        "Concern", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["case", "occurred_at"])]


class EntryRevision(models.Model):
    """Every saved version of an entry, the first included."""

    data_subject = "entry__case__person"  # core.crypto: whose data key encrypts this row's values

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    category = models.CharField(max_length=12, choices=DataCategory.choices)
    classification = models.CharField(max_length=12, choices=Classification.choices)
    occurred_at = models.DateTimeField()
    title = EncryptedTextField(blank=True)
    body = EncryptedTextField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["entry", "version"], name="uniq_entry_version")]


class Task(models.Model):
    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = EncryptedTextField(_("task"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    assignee_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    origin = models.CharField(max_length=10, choices=TaskOrigin.choices, default=TaskOrigin.MANUAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # a status change names the version it was made on
    # A task made from classified content (a meeting's decision) keeps its source's compartment: who wrote it, its
    # classification and data category. Empty for a task written on the case page, which the whole team reads.
    source_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    classification = models.CharField(max_length=12, choices=Classification.choices, blank=True, default="")
    category = models.CharField(max_length=12, choices=DataCategory.choices, blank=True, default="")

    restricted = False  # set by the selectors on a task whose words the viewer may not read (the title is blanked)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"]),
            models.Index(fields=["status", "due_on"], name="task_status_due"),  # what is overdue, oldest first
        ]

    @property
    def is_overdue(self) -> bool:
        return self.status == TaskStatus.OPEN and self.due_on is not None and self.due_on < timezone.localdate()


class Attachment(models.Model):
    """A file attached to exactly one timeline entry, meeting or consent (docs/attachments.md).

    Classified like an entry (its own classification and data category, its author organisation), read only by
    whoever may read both its owner and itself (access/attachments.py). The name is encrypted (it can name the
    person); the content lives encrypted in `AttachmentBlob`, so lists never load it. URLs carry only `public_id`.
    """

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    consent = models.ForeignKey(
        "sharing.Consent", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    filename = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=100)  # as detected from the content, never as the browser said
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the plaintext
    category = models.CharField(
        _("data category"), max_length=12, choices=DataCategory.choices, default=DataCategory.PLAN
    )
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    scan = models.CharField(max_length=12, blank=True)  # clean | not_scanned (infected and failed are never stored)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(entry__isnull=False, meeting__isnull=True, consent__isnull=True)
                    | models.Q(entry__isnull=True, meeting__isnull=False, consent__isnull=True)
                    | models.Q(entry__isnull=True, meeting__isnull=True, consent__isnull=False)
                ),
                name="attachment_exactly_one_owner",
            )
        ]

    @property
    def owner_kind(self) -> str:
        if self.entry_id is not None:
            return "entry"
        if self.meeting_id is not None:
            return "meeting"
        return "consent"


def attachment_blob_context(public_id: object) -> str:
    """The associated data an attachment's content is encrypted under: its own public id, so content moved to
    another attachment's row does not open."""
    return f"cases.Attachment:{public_id}"


class AttachmentBlob(models.Model):
    """An attachment's content: AES-GCM ciphertext (core.crypto.encrypt_bytes), bound to the attachment's public id.
    Stored in the database, outside any web root, and written in the same transaction as its row."""

    data_subject = "attachment__case__person"  # core.crypto: whose data key encrypts this row's values

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, primary_key=True, related_name="blob")
    data = EncryptedBinaryField(context_prefix="cases.Attachment:", context_from="attachment__public_id")


# ---- Protected identities (issue 14, deliverable 5) -----------------------------------------------------


class ProtectionChange(models.Model):
    """One setting or lifting of a person's protected identity (`Person.protected_identity`) on a case: who, when
    and why. The reason is stored here, encrypted, never in the audit log. Newest last."""

    data_subject = "person"  # core.crypto: whose data key encrypts this row's values

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="protection_changes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    protected = models.BooleanField()
    reason = EncryptedTextField(_("reason"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]


class IdentityReader(models.Model):
    """A team member the case lead has named to read a protected identity on the case page. The naming follows the
    team row: when the member leaves the team, it no longer counts. Removing it keeps the row (who, when)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="identity_readers")
    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="+")
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["named_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(removed_at__isnull=True), name="identity_reader_once"
            )
        ]


# ---- The person's own account (docs/participant.md) ----------------------------------------------------


class ParticipantAs(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("A guardian")


class ParticipantAccountQuerySet(models.QuerySet["ParticipantAccount"]):
    def current(self) -> ParticipantAccountQuerySet:
        """Accepted and not ended: the account opens the person's own page."""
        return self.filter(accepted_at__isnull=False, ended_at__isnull=True, user__isnull=False)


class ParticipantAccount(models.Model):
    """The person (or, for a minor, a guardian) reading their own page for one case. Not a member of any
    organisation: the case lead invites them with a one-time link (only its hash is stored) that expires; they
    choose a username and a password and must set up a second factor. The lead ends the access; the next request
    no longer opens the page. Who may invite and end, and what the page shows: `access/participant.py`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="participant_accounts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="participant_accounts"
    )
    given_as = models.CharField(_("account for"), max_length=10, choices=ParticipantAs.choices)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)  # "" once used or ended
    token_expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ParticipantAccountQuerySet.as_manager()

    class Meta:
        ordering = ["-invited_at", "-pk"]

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.ended_at is None and self.token_expires_at > timezone.now()

    @property
    def is_current(self) -> bool:
        return self.accepted_at is not None and self.ended_at is None and self.user_id is not None
