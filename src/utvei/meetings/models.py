"""Case meetings (samarbeidsmøte, ansvarsgruppemøte): when and where, who took part, the agenda, the minutes and
the decisions, each of which becomes a task on the case.

The agenda and the minutes are case data with a classification and a data category, read through the same gate
as timeline entries (`access.meetings`). Decisions are the team's shared commitments: each one is a `cases.Task`
once the meeting is held (docs/decisions/0007-meeting-decisions-are-tasks.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case, Task, TaskStatus
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory


class MeetingKind(models.TextChoices):
    COLLABORATION = "collaboration", _("Collaboration meeting")
    RESPONSIBILITY_GROUP = "responsibility_group", _("Responsibility group meeting")
    OTHER = "other", _("Other meeting")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class DecisionState(models.TextChoices):
    """A decision's state, read off its task. Never stored: the task is the one record of it."""

    PROPOSED = "proposed", _("Proposed: becomes a task when the meeting is recorded as held")
    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    """One meeting on a case. `version` guards every write; every saved version is kept (MeetingRevision)."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind of meeting"), max_length=24, choices=MeetingKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    starts_at = models.DateTimeField(_("when"))
    place = EncryptedTextField(_("place"), blank=True)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    category = models.CharField(
        _("data category"), max_length=12, choices=DataCategory.choices, default=DataCategory.PLAN
    )
    agenda = EncryptedTextField(_("agenda"), blank=True)
    minutes = EncryptedTextField(_("minutes"), blank=True)
    person_present = models.BooleanField(_("the person took part"), default=False)
    guardian_present = models.BooleanField(_("a guardian took part"), default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)  # when it was recorded as held
    cancelled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["case", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d}"

    @property
    def is_draft(self) -> bool:
        return self.status == MeetingStatus.DRAFT

    @property
    def is_held(self) -> bool:
        return self.status == MeetingStatus.HELD

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED


class MeetingAttendee(models.Model):
    """Someone who takes (or took) part: a user on the team (with the organisation they sit on the team for), or an
    organisation without a named person. A draft's attendees are the invited; a held meeting's, who took part."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user", "organisation"],
                condition=models.Q(user__isnull=False),
                name="uniq_meeting_attendee_user",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organisation"],
                condition=models.Q(user__isnull=True),
                name="uniq_meeting_attendee_org",
            ),
        ]

    @property
    def key(self) -> str:
        """How forms and revisions name an attendee: `username@org-slug`, or `@org-slug` for an organisation."""
        return f"{self.user.username if self.user_id and self.user else ''}@{self.organisation.slug}"


class MeetingRevision(models.Model):
    """Every saved version of a meeting, the first included: nothing said in the minutes is lost to an edit."""

    data_subject = "meeting__case__person"  # core.crypto: whose data key encrypts this row's values

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=MeetingStatus.choices)
    kind = models.CharField(max_length=24, choices=MeetingKind.choices)
    starts_at = models.DateTimeField()
    place = EncryptedTextField(blank=True)
    classification = models.CharField(max_length=12, choices=Classification.choices)
    category = models.CharField(max_length=12, choices=DataCategory.choices)
    agenda = EncryptedTextField(blank=True)
    minutes = EncryptedTextField(blank=True)
    person_present = models.BooleanField(default=False)
    guardian_present = models.BooleanField(default=False)
    attendees = models.JSONField(default=list)  # attendee keys (username@org, @org): no content
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="uniq_meeting_version")]


class MeetingDecision(models.Model):
    """An explicit decision of a meeting: what, who owns it (a team user, or an organisation on the team) and by
    when. When the meeting is held it becomes a task on the case (`task`); its state is the task's."""

    data_subject = "meeting__case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveIntegerField(default=0)
    text = EncryptedTextField(_("decision"))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    task = models.OneToOneField(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="meeting_decision")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["owner_user"])]

    @property
    def state(self) -> str:
        """Proposed (no task yet), or the task's status, with open and past due as overdue."""
        task = self.task if self.task_id else None
        if task is None:
            if self.meeting.status == "cancelled":
                return DecisionState.CANCELLED
            return DecisionState.PROPOSED
        if task.status == TaskStatus.DONE:
            return DecisionState.DONE
        if task.status == TaskStatus.CANCELLED:
            return DecisionState.CANCELLED
        if task.is_overdue:
            return DecisionState.OVERDUE
        return DecisionState.OPEN

    def get_state_display(self) -> str:
        return str(DecisionState(self.state).label)


class DecisionRevision(models.Model):
    """Every saved version of a decision, the first included."""

    data_subject = "decision__meeting__case__person"  # core.crypto: whose data key encrypts this row's values

    decision = models.ForeignKey(MeetingDecision, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    text = EncryptedTextField()
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["decision", "version"], name="uniq_decision_version")]
