"""Request parsing and response shapes of API v1.

Serializers only parse and render: every read goes through a selector and every write through a service.
Fields that assign ownership, organisation, author or reporter are read-only: the server sets them from the
token's membership, and a client that sends them is ignored.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.accounts.roles import Role
from utvei.cases.models import (
    ClosureReason,
    ConcernKind,
    EntryKind,
    HandoffTo,
    Ideology,
    MotivationStage,
    Phase,
    TaskStatus,
    TeamRole,
    Track,
    TriageOutcome,
    Urgency,
)
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.models import Gender

from .fields import Date, DateTime, Flag, OrganisationField, PublicId, Text, UserField, Version

BODY_MAX = 20000


def _slug(obj: Any) -> str | None:
    return obj.slug if obj is not None else None


def _username(obj: Any) -> str | None:
    return obj.username if obj is not None else None


# ---- Errors and auth -----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text=_("A stable code, e.g. not_found, invalid, conflict."))
    detail = serializers.CharField(help_text=_("A message for people, in the language of Accept-Language."))
    fields = serializers.DictField(  # type: ignore[assignment]  # a declared field, not Serializer.fields
        required=False, help_text=_("Validation errors per field.")
    )


class ConflictSerializer(ErrorSerializer):
    current = serializers.DictField(
        required=False,
        allow_null=True,
        help_text=_("The saved version, when you may read it, so that you can merge and send again."),
    )


class TokenLoginSerializer(serializers.Serializer):
    username = Text(max_length=150)
    password = Text(max_length=1024, trim_whitespace=False, style={"input_type": "password"})
    otp = Text(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("One-time code from the authenticator app (or a recovery code) when MFA is on."),
    )
    organisation = Text(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Organisation slug; may be left out when you belong to one organisation."),
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as «Authorization: Bearer <token>». Shown only once."))
    token_type = serializers.CharField(default="Bearer")
    expires_at = serializers.DateTimeField()
    organisation = serializers.CharField()
    role = serializers.CharField()


# ---- Concerns ------------------------------------------------------------------------------------------


class HandoffSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=HandoffTo.choices, help_text=_("Police, PST or ordinary services."))
    organisation = OrganisationField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Slug of a recipient in Utvei (never PST): it gets the concern in its intake queue."),
    )
    name = Text(max_length=200, required=False, allow_blank=True, default="", help_text=_("A recipient outside Utvei."))
    basis = Text(max_length=60, help_text=_("Key of the legal basis (legal-bases/)."))
    handed_at = DateTime(required=False, allow_null=True, default=None, help_text=_("When; default now."))


class HandoffRecordSerializer(serializers.Serializer):
    to = serializers.CharField(source="to_kind")
    organisation = serializers.SerializerMethodField()
    name = serializers.CharField(source="to_name")
    basis = serializers.CharField(source="basis_key")
    handed_at = serializers.DateTimeField()
    handed_by = serializers.SerializerMethodField()
    forwarded = serializers.SerializerMethodField(help_text=_("The concern in the recipient's intake queue."))

    def get_organisation(self, obj: Any) -> str | None:
        return obj.to_org.slug if obj.to_org is not None else None

    def get_handed_by(self, obj: Any) -> str:
        return obj.handed_by.username

    def get_forwarded(self, obj: Any) -> str | None:
        return str(obj.forwarded.public_id) if obj.forwarded is not None else None


class QuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    asked_by_organisation = serializers.CharField(source="asked_by_org.slug")
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class ConcernSerializer(serializers.Serializer):
    """A concern as submitted, and the receipt its reporter sees."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    reference = serializers.CharField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    status = serializers.CharField(read_only=True)
    receiving_organisation = OrganisationField(source="receiving_org", help_text=_("Slug of the organisation."))
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    kind = serializers.ChoiceField(
        choices=ConcernKind.choices, default=ConcernKind.OTHER, help_text=_("What the concern is about.")
    )
    anonymous = Flag(default=False)
    description = Text(max_length=BODY_MAX, write_only=True)
    subject_name = Text(max_length=200, required=False, allow_blank=True, default="", write_only=True)
    subject_national_id = Text(max_length=20, required=False, allow_blank=True, default="", write_only=True)
    subject_birth_date = Date(required=False, allow_null=True, default=None, write_only=True)


class ConcernIntakeSerializer(ConcernSerializer):
    """A concern in the receiving organisation's intake queue: no content and no identity in lists."""

    reporter_organisation = serializers.SerializerMethodField()
    outcome = serializers.CharField(read_only=True)
    triaged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    case = serializers.SerializerMethodField()

    def get_reporter_organisation(self, obj: Any) -> str:
        return obj.reporter_org.slug

    def get_case(self, obj: Any) -> str | None:
        return str(obj.case.public_id) if obj.case_id else None


class ConcernDetailSerializer(ConcernIntakeSerializer):
    """One concern, read by a coordinator of the receiving organisation (the read is audited)."""

    description = Text(read_only=True)
    subject_name = serializers.SerializerMethodField(  # type: ignore[assignment]  # read, and limited
        help_text=_("Empty once the case it opened has a protected identity you may not read.")
    )
    has_national_id = serializers.SerializerMethodField()
    has_birth_date = serializers.SerializerMethodField()
    rationale = serializers.CharField(read_only=True)
    taken_by = serializers.SerializerMethodField(help_text=_("Who took the acute concern; null: unanswered."))
    questions = QuestionSerializer(many=True, read_only=True)
    handoff = serializers.SerializerMethodField()

    def get_taken_by(self, obj: Any) -> str | None:
        return obj.taken_by.username if obj.taken_by is not None else None

    @extend_schema_field(HandoffRecordSerializer(allow_null=True))
    def get_handoff(self, obj: Any) -> Any:
        record = getattr(obj, "handoff", None)  # a missing reverse one-to-one is an AttributeError
        return HandoffRecordSerializer(record).data if record is not None else None

    def get_subject_name(self, obj: Any) -> str:
        return "" if self.context.get("identity_hidden") else obj.subject_name

    def get_has_national_id(self, obj: Any) -> bool:
        return bool(obj.subject_national_id) and not self.context.get("identity_hidden")

    def get_has_birth_date(self, obj: Any) -> bool:
        return bool(obj.subject_birth_date) and not self.context.get("identity_hidden")


class TriageSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TriageOutcome.choices)
    rationale = Text(max_length=BODY_MAX)
    track = serializers.ChoiceField(choices=Track.choices, default=Track.PREVENTION)
    full_name = Text(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The person's name, when opening a case for an anonymous concern."),
    )
    national_id = Text(max_length=20, required=False, allow_blank=True, default="")
    birth_date = Date(required=False, allow_null=True, default=None)
    gender = serializers.ChoiceField(choices=Gender.choices, default=Gender.UNKNOWN)
    municipality = Text(max_length=100, required=False, allow_blank=True, default="")
    question = Text(
        max_length=BODY_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("With «more_info»: the question the reporter answers on their receipt."),
    )
    handoff = HandoffSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("With «police_pst» or «ordinary_services»: to whom, on which basis and when it was passed on."),
    )
    protected_identity = serializers.ChoiceField(
        choices=[("unknown", _("Not known")), ("no", _("No")), ("yes", _("Yes"))],
        default="unknown",
        help_text=_(
            "With «open_case»: does the person have a protected identity? «yes» sets it at opening (with "
            "protected_reason): only the case lead and the team members they name then read who the person is."
        ),
    )
    protected_reason = Text(max_length=2000, required=False, allow_blank=True, default="")


class TakeSerializer(serializers.Serializer):
    """No fields: taking an acute concern is the request itself."""


class AnswerSerializer(serializers.Serializer):
    answer = Text(max_length=BODY_MAX)


# ---- Cases ---------------------------------------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    """The person a case is about: public reference and name only, never the identity number."""

    reference = serializers.CharField()
    name = serializers.CharField(source="full_name")


class PhaseChangeSerializer(serializers.Serializer):
    from_phase = serializers.CharField()
    to_phase = serializers.CharField()
    from_track = serializers.CharField()
    to_track = serializers.CharField()
    changed_by = serializers.SerializerMethodField()
    changed_at = serializers.DateTimeField()
    note = serializers.CharField()

    def get_changed_by(self, obj: Any) -> str:
        return obj.changed_by.username


class CaseListSerializer(serializers.Serializer):
    """A row of the case list: the header fields every role with a relation may see."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    reference = serializers.CharField(read_only=True)
    track = serializers.ChoiceField(choices=Track.choices, required=False)
    phase = serializers.CharField(read_only=True)
    owning_organisation = serializers.SerializerMethodField()
    lead = UserField(required=False, allow_null=True, help_text=_("Username of the case lead; must be on the team."))
    opened_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = Version()

    def get_owning_organisation(self, obj: Any) -> str:
        return obj.owning_org.slug


class CaseRowSerializer(CaseListSerializer):
    """A row of the case list or of a search: with the person's name (initials under a protected identity) where you
    may read who the case is about, else null."""

    person_name = serializers.SerializerMethodField()

    def get_person_name(self, obj: Any) -> str | None:
        return getattr(obj, "person_label", "") or None


# Header field -> the `policy.header_scope` item that admits it. Fields not named here every viewer sees.
SCOPED = {
    "ideologies": "ideologies",
    "motivation_stage": "motivation_stage",
    "threat_clarified_at": "threat_clarified_at",
    "safety_plan": "safety_plan",
    "safety_plan_review_on": "safety_plan",
    "closure_reason": "closure_reason",
    "closure_summary": "closure_summary",
    "person": "person",
    "previous_case": "previous_case",
    "phase_history": "phase_history",
}


class CaseSerializer(CaseListSerializer):
    """The case header, limited to `policy.header_scope` (context["scope"]); PATCH edits it with `version`.

    Scoped fields are optional in the schema because a viewer whose role does not admit them does not get them.
    """

    optional_fields = tuple(SCOPED)

    ideologies = serializers.ListField(
        child=serializers.ChoiceField(choices=Ideology.choices), max_length=len(Ideology), required=False
    )
    motivation_stage = serializers.ChoiceField(choices=MotivationStage.choices, required=False, allow_blank=True)
    threat_clarified_at = Date(required=False, allow_null=True)
    safety_plan = Text(max_length=BODY_MAX, required=False, allow_blank=True)
    safety_plan_review_on = Date(
        required=False,
        allow_null=True,
        help_text=_("Review the safety plan by this date; when it passes the lead is reminded. null clears it."),
    )
    closure_reason = serializers.CharField(read_only=True, required=False)
    closure_summary = serializers.CharField(read_only=True, required=False)
    person = PersonRefSerializer(read_only=True, required=False)
    protected_identity = serializers.SerializerMethodField(
        help_text=_(
            "The person has a protected identity: only the case lead and the team members they name get «person»; "
            "lists and exports carry the reference only."
        )
    )
    previous_case = serializers.SerializerMethodField()
    phase_history = serializers.SerializerMethodField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        scope = self.context.get("scope", frozenset())
        data = super().to_representation(instance)
        return {k: v for k, v in data.items() if k not in SCOPED or SCOPED[k] in scope}

    def get_protected_identity(self, obj: Any) -> bool:
        return bool(self.context.get("protected", False))

    def get_previous_case(self, obj: Any) -> str | None:
        return str(obj.previous_case.public_id) if obj.previous_case_id else None

    @extend_schema_field(PhaseChangeSerializer(many=True))
    def get_phase_history(self, obj: Any) -> list[dict[str, Any]]:
        return PhaseChangeSerializer(self.context.get("phase_history", []), many=True).data  # type: ignore[return-value]


class CaseFilterSerializer(serializers.Serializer):
    """Query parameters of GET cases/."""

    track = serializers.ChoiceField(choices=Track.choices, required=False)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    overdue = serializers.BooleanField(required=False, default=False)
    closed = serializers.BooleanField(required=False, default=False, help_text=_("Include closed cases."))
    ref = Text(max_length=40, required=False, allow_blank=True, help_text=_("Case or person reference."))


class CaseSearchSerializer(CaseFilterSerializer):
    """The body of POST cases/search/: a search travels in the body, never in an address."""

    ref = None  # type: ignore[assignment]
    mine = Flag(required=False, default=False)
    overdue = Flag(required=False, default=False)
    closed = Flag(required=False, default=False, help_text=_("Include closed cases."))
    q = Text(
        max_length=100,
        help_text=_(
            "A name (near spellings are found too), a date of birth, an identity number or a reference. Names and "
            "dates find only cases whose identity you may read."
        ),
    )


class TransitionSerializer(serializers.Serializer):
    to_phase = serializers.ChoiceField(choices=[c for c in Phase.choices if c[0] != Phase.CLOSED])
    version = Version()
    note = Text(max_length=BODY_MAX, required=False, allow_blank=True, default="")
    measures_ended_on = Date(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("When moving to follow-up: the day the measures ended (default today)."),
    )


class CloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    summary = Text(max_length=BODY_MAX)
    version = Version()


class ReopenSerializer(serializers.Serializer):
    track = serializers.ChoiceField(
        choices=Track.choices, required=False, help_text=_("Track of the new case (default: as before).")
    )


# ---- Timeline ------------------------------------------------------------------------------------------


class EntrySerializer(serializers.Serializer):
    """A timeline entry the caller may read. POST creates one; PATCH saves a new version with `version`."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    case = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    category = serializers.ChoiceField(choices=DataCategory.choices, default=DataCategory.PLAN)
    classification = serializers.ChoiceField(choices=Classification.choices)
    occurred_at = DateTime(required=False, help_text=_("Set when the entry is written; default now."))
    title = Text(max_length=200, required=False, allow_blank=True, default="")
    body = Text(max_length=BODY_MAX)
    author = serializers.SerializerMethodField()
    author_organisation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    version = Version(required=False, help_text=_("Required for PATCH: the version you edited."))
    restricted = serializers.SerializerMethodField()

    def get_case(self, obj: Any) -> str:
        return str(obj.case.public_id)

    def get_author(self, obj: Any) -> str:
        return obj.author.username

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    def get_restricted(self, obj: Any) -> bool:
        return False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


class EntryMarkerSerializer(serializers.Serializer):
    """An entry the caller may not read: that it exists, its kind, date and author organisation only (null where
    the author organisation's membership of the team is itself kept from the caller)."""

    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    author_organisation = serializers.SerializerMethodField()
    restricted = serializers.SerializerMethodField()

    def get_author_organisation(self, obj: Any) -> str | None:
        return obj.author_org.slug if self.context.get("author_shown", True) else None

    def get_restricted(self, obj: Any) -> bool:
        return True


def render_item(item: Any) -> dict[str, Any]:
    """A selectors.TimelineItem in full when readable, else as its restricted marker."""
    if item.readable:
        return EntrySerializer(item.entry).data
    return EntryMarkerSerializer(item.entry, context={"author_shown": item.author_shown}).data


# ---- Team ----------------------------------------------------------------------------------------------


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    username = UserField(source="user")
    name = serializers.SerializerMethodField()
    organisation = OrganisationField(help_text=_("Slug of the organisation the user works for on this case."))
    role = serializers.ChoiceField(choices=TeamRole.choices)
    started_at = serializers.DateTimeField(read_only=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_name(self, obj: Any) -> str:
        return obj.user.get_full_name()


# ---- Tasks ---------------------------------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    case = PublicId(help_text=_("Id of the case the task belongs to."))
    case_reference = serializers.SerializerMethodField()
    title = Text(max_length=300)
    assignee = UserField(required=False, allow_null=True, help_text=_("Username of a team member."))
    due_on = Date(required=False, allow_null=True)
    status = serializers.CharField(read_only=True)
    origin = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)
    restricted = serializers.BooleanField(
        read_only=True,
        help_text=_("True: the task comes from a meeting whose content you may not read; its title is left out."),
    )

    def get_case_reference(self, obj: Any) -> str:
        return obj.case.reference


class TaskStatusSerializer(serializers.Serializer):
    required_fields = ("status", "version")  # parsed whole: the PATCH body requires both (api/schema.py)

    status = serializers.ChoiceField(choices=TaskStatus.choices)
    version = Version(help_text=_("The task's version as you read it; a stale one is 409 with the task as saved."))


class TaskFilterSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=False, default=False, help_text=_("Include done and cancelled."))


class ConcernFilterSerializer(serializers.Serializer):
    mine = serializers.BooleanField(
        required=False, default=False, help_text=_("Your own receipts, also for coordinators.")
    )
    triaged = serializers.BooleanField(
        required=False, default=False, help_text=_("Intake queue: include triaged concerns.")
    )
