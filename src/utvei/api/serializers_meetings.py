"""Request parsing and response shapes of case meetings (cases/{id}/meetings/, meetings/{id}/ and decisions).

What a meeting response holds depends on the caller's view of it (access.meetings): `full` for coordinators and
caseworkers who may read the minutes; `mentor` for a mentor who takes part (no minutes unless the classification
admits mentors); `owner` for a mentor who owns a decision of it; a restricted marker for coordinators and
caseworkers who may not read the minutes. Decisions follow the task rule: every one for coordinators and
caseworkers, a mentor's own for a mentor.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.cases.models import TaskStatus
from utvei.core.vocabulary import Classification, DataCategory
from utvei.meetings.models import DecisionState, MeetingKind, MeetingStatus

from .fields import Date, DateTime, OrganisationField, Text, UserField, Version

TEXT_MAX = 20000


class AttendeeSerializer(serializers.Serializer):
    """A person on the team (with the organisation they sit on it for), or an organisation alone."""

    user = UserField(required=False, allow_null=True, default=None, help_text=_("Username of a team member."))
    organisation = OrganisationField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Slug. With `user`: the organisation they are on the team for (needed only if several)."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("user") is None and attrs.get("organisation") is None:
            raise serializers.ValidationError(_("Name a person on the team or an organisation."), code="rule")
        return attrs


class AttendeeList(serializers.ListField):
    """Attendees: parsed from the request; in a response, the ones the caller may see (from the context)."""

    def get_attribute(self, instance: Any) -> Any:
        return self.context.get("attendees", [])


class DecisionSerializer(serializers.Serializer):
    """A decision of a meeting. POST records one; PATCH changes it with `version`, or only its `status`."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    meeting = serializers.SerializerMethodField()
    position = serializers.IntegerField(read_only=True)
    text = Text(max_length=1000, help_text=_("What was decided. Shared with the team as a task."))
    owner_user = UserField(required=False, allow_null=True, default=None, help_text=_("Username of a team member."))
    owner_organisation = OrganisationField(
        source="owner_org",
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Slug of an organisation on the team (with `owner_user`: the one they are on the team for)."),
    )
    due_on = Date()
    state = serializers.ChoiceField(
        choices=DecisionState.choices,
        read_only=True,
        help_text=_("proposed (the meeting is not held yet), open, overdue, done or cancelled: its task's state."),
    )
    task = serializers.SerializerMethodField(help_text=_("Id of the decision's task (tasks/{id}/); null: proposed."))
    status = serializers.ChoiceField(
        choices=TaskStatus.choices,
        required=False,
        write_only=True,
        help_text=_(
            "PATCH only, alone: mark the decision's task done, cancelled or open (its owner or a coordinator)."
        ),
    )
    version = Version(required=False, help_text=_("Required for PATCH of text, owner or due date."))

    def get_meeting(self, obj: Any) -> str:
        return str(obj.meeting.public_id)

    @extend_schema_field(OpenApiTypes.UUID)
    def get_task(self, obj: Any) -> str | None:
        return str(obj.task.public_id) if obj.task_id and obj.task else None


class MeetingSummarySerializer(serializers.Serializer):
    """A meeting in a list: no agenda, minutes or attendees."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = serializers.ChoiceField(choices=MeetingKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=MeetingStatus.choices, read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    author_organisation = serializers.SerializerMethodField()
    view = serializers.SerializerMethodField(help_text=_("full, marker, mentor or owner (see the detail)."))
    restricted = serializers.SerializerMethodField(help_text=_("True when you may not read the agenda and minutes."))
    decisions = serializers.SerializerMethodField(help_text=_("How many of its decisions you see."))

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    def get_view(self, obj: Any) -> str:
        return str(self.context.get("view", "full"))

    def get_restricted(self, obj: Any) -> bool:
        return bool(self.context.get("restricted", False))

    def get_decisions(self, obj: Any) -> int:
        return int(self.context.get("decisions", 0))


class MeetingSerializer(serializers.Serializer):
    """One meeting with what the caller may see of it (`view`). POST calls a meeting (a draft); PATCH changes it
    with `version`; POST …/hold/ records it as held (then `minutes` is required)."""

    optional_fields = (
        "place",
        "attendees",
        "person_present",
        "guardian_present",
        "agenda",
        "minutes",
        "classification",
        "category",
        "author",
        "recorded_at",
    )

    id = serializers.UUIDField(source="public_id", read_only=True)
    case = serializers.SerializerMethodField()
    view = serializers.SerializerMethodField(
        help_text=_("full; marker (no place, attendees, agenda or minutes); mentor; owner (kind, date, own decisions).")
    )
    restricted = serializers.SerializerMethodField(help_text=_("True when you may not read the agenda and minutes."))
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    status = serializers.ChoiceField(choices=MeetingStatus.choices, read_only=True)
    starts_at = DateTime(help_text=_("When the meeting starts."))
    place = Text(max_length=200, required=False, allow_blank=True)
    attendees = AttendeeList(
        child=AttendeeSerializer(),
        required=False,
        max_length=100,
        help_text=_("A draft's are the invited, a held meeting's who took part. PATCH replaces the whole list."),
    )
    person_present = serializers.BooleanField(required=False, help_text=_("The person took part."))
    guardian_present = serializers.BooleanField(required=False, help_text=_("A guardian took part."))
    agenda = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    minutes = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    classification = serializers.ChoiceField(
        choices=Classification.choices,
        required=False,
        help_text=_("Who on the team may read the agenda and minutes. Default team."),
    )
    category = serializers.ChoiceField(
        choices=DataCategory.choices, required=False, help_text=_("Data category of the minutes. Default plan.")
    )
    author = serializers.SerializerMethodField()
    author_organisation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = Version(required=False, help_text=_("Required for PATCH, hold and cancel: the version you last read."))
    decisions = serializers.SerializerMethodField()

    DETAILS = ("place", "attendees", "person_present", "guardian_present")
    CONTENT = ("agenda", "minutes")
    FULL_ONLY = ("classification", "category", "author", "recorded_at")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        view = self.context.get("view", "full")
        drop: set[str] = set()
        if view != "full":
            drop |= set(self.FULL_ONLY)
        if not self.context.get("details", view == "full"):  # access.meetings.details_visible
            drop |= set(self.DETAILS)
        if not self.context.get("readable", view == "full"):
            drop |= set(self.CONTENT)
        return {k: v for k, v in data.items() if k not in drop}

    def get_case(self, obj: Any) -> str:
        return str(obj.case.public_id)

    def get_view(self, obj: Any) -> str:
        return str(self.context.get("view", "full"))

    def get_restricted(self, obj: Any) -> bool:
        return not self.context.get("readable", True)

    def get_author(self, obj: Any) -> str:
        return obj.author.username

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, obj: Any) -> list[Any]:
        return list(DecisionSerializer(self.context.get("decisions", []), many=True).data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


class HoldSerializer(MeetingSerializer):
    """POST …/hold/: `version`, and any last changes (the minutes above all) to save with it."""

    required_fields = ("version",)  # parsed partially: only the version is required (api/schema.py)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


class VersionSerializer(serializers.Serializer):
    version = Version()
