"""Request parsing and response shapes of the toolbox (measures/) and individual plans (cases/{id}/plans/).

What a plan response holds depends on the caller's view of it (access.plans): `full` for coordinators and
caseworkers; `mentor` for a mentor on the team (goals, and only the items assigned to them); a restricted marker
for a team member whose organisation has no basis to read the plan. Who rated a goal and the note are shown as
`access.plans.rating_notes_visible` says; what the caller may do (`actions`, an item's `may_update_status`) is
`access.plans.plan_actions` and `item_status_allowed`, the same answers the plan page shows.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.access.plans import PlanView, item_status_allowed, rating_notes_visible
from utvei.accounts.models import OrgKind
from utvei.cases.models import Track
from utvei.plans.models import (
    PLAN_CLASSIFICATIONS,
    Attainment,
    EvidenceBasis,
    GoalDomain,
    ItemStatus,
    Participation,
    Sector,
    StopReason,
)

from .fields import Date, OrganisationField, PublicId, Slug, Text, UserField, Version

EVIDENCE_CAVEAT = _(
    "Nobody knows which exit measures work: the evidence note says what is known, where it comes from and what is "
    "not known. It never says that a measure works."
)


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _slug(org: Any) -> str | None:
    return org.slug if org is not None else None


# ---- Measures ------------------------------------------------------------------------------------------


class UsageSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True, help_text=_("Null when the count is 1 or 2 (suppressed)."))
    suppressed = serializers.BooleanField()


class MeasureSerializer(serializers.Serializer):
    key = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True, help_text=_("In the language of Accept-Language."))
    name_nb = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    description_nb = serializers.CharField(read_only=True)
    description_en = serializers.CharField(read_only=True)
    sector = serializers.ChoiceField(choices=Sector.choices, read_only=True)
    tracks = serializers.ListField(child=serializers.ChoiceField(choices=Track.choices), read_only=True)
    provider_kinds = serializers.ListField(child=serializers.ChoiceField(choices=OrgKind.choices), read_only=True)
    duration_nb = serializers.CharField(read_only=True)
    duration_en = serializers.CharField(read_only=True)
    evidence_basis = serializers.ChoiceField(choices=EvidenceBasis.choices, read_only=True)
    evidence_nb = serializers.CharField(read_only=True)
    evidence_en = serializers.CharField(read_only=True)
    evidence_caveat = serializers.SerializerMethodField()
    active = serializers.BooleanField(read_only=True)
    local = serializers.BooleanField(source="is_local", read_only=True)
    owner_organisation = serializers.SerializerMethodField(help_text=_("Slug of the organisation; null: national."))
    version = serializers.IntegerField(read_only=True)
    revisions = serializers.SerializerMethodField()
    in_use = serializers.SerializerMethodField(
        help_text=_("Approved plans in force on open cases with a planned or ongoing item using it; 1–2 suppressed.")
    )

    def get_evidence_caveat(self, obj: Any) -> str:
        return str(EVIDENCE_CAVEAT)

    @extend_schema_field(OpenApiTypes.STR)
    def get_owner_organisation(self, obj: Any) -> str | None:
        return _slug(obj.owner_org)

    def get_revisions(self, obj: Any) -> int:
        count = getattr(obj, "revision_count", None)
        return count if count is not None else obj.revisions.count()

    @extend_schema_field(UsageSerializer)
    def get_in_use(self, obj: Any) -> dict[str, Any]:
        usage = getattr(obj, "usage", None)
        if usage is None:
            return {"count": None, "suppressed": True}
        return {"count": usage.count, "suppressed": usage.suppressed}


class MeasureFilterSerializer(serializers.Serializer):
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    track = serializers.ChoiceField(choices=Track.choices, required=False)
    scope = serializers.ChoiceField(choices=["national", "local"], required=False)
    all = serializers.BooleanField(required=False, default=False, help_text=_("Include retired measures."))


class LocalMeasureSerializer(serializers.Serializer):
    """A local measure, added by a coordinator for their organisation."""

    name_nb = Text(max_length=200)
    name_en = Text(max_length=200, required=False, allow_blank=True, default="")
    description_nb = Text(max_length=5000, required=False, allow_blank=True, default="")
    description_en = Text(max_length=5000, required=False, allow_blank=True, default="")
    sector = serializers.ChoiceField(choices=Sector.choices)
    tracks = serializers.ListField(child=serializers.ChoiceField(choices=Track.choices), min_length=1, max_length=3)
    provider_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrgKind.choices), required=False, default=list, max_length=20
    )
    duration_nb = Text(max_length=200, required=False, allow_blank=True, default="")
    duration_en = Text(max_length=200, required=False, allow_blank=True, default="")
    evidence_basis = serializers.ChoiceField(choices=EvidenceBasis.choices, default=EvidenceBasis.PRACTICE)
    evidence_nb = Text(max_length=5000)
    evidence_en = Text(max_length=5000, required=False, allow_blank=True, default="")


class LocalMeasurePatchSerializer(LocalMeasureSerializer):
    version = Version()
    active = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


# ---- Plans ---------------------------------------------------------------------------------------------


class RatingSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Attainment.choices, help_text=_("−2 … +2; 0 is the expected level."))
    rated_on = Date(required=False, allow_null=True, default=None, help_text=_("Default today."))
    note = Text(max_length=5000, required=False, allow_blank=True, default="", write_only=True)
    rated_by = serializers.SerializerMethodField()

    def get_rated_by(self, obj: Any) -> str:
        return obj.rated_by.username


class GoalSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    position = serializers.IntegerField(read_only=True)
    text = Text(max_length=2000, help_text=_("The goal in the person's own words."))
    domain = serializers.ChoiceField(choices=GoalDomain.choices)
    target_date = Date(required=False, allow_null=True, default=None)
    version = Version(required=False, help_text=_("Required for PATCH: the version you edited."))
    ratings = serializers.SerializerMethodField(help_text=_("Oldest first. Mentors get the values and dates only."))

    def get_ratings(self, obj: Any) -> list[dict[str, Any]]:
        notes = rating_notes_visible(self.context.get("view", PlanView.NONE))
        rows = []
        for r in obj.ratings.all():
            row: dict[str, Any] = {"rating": r.rating, "rated_on": r.rated_on.isoformat()}
            if notes:
                row |= {
                    "rated_by": r.rated_by.username,
                    "rated_by_organisation": r.rated_by_org.slug,
                    "source": r.source,  # "person": the person's own rating on their page (docs/participant.md)
                    "note": r.note,
                }
            rows.append(row)
        return rows

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


class ItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    position = serializers.IntegerField(read_only=True)
    measure = Slug(source="measure.key", max_length=80, help_text=_("Key of a catalogue measure."))
    measure_name = serializers.CharField(source="measure.name", read_only=True)
    goal = PublicId(required=False, allow_null=True, default=None, help_text=_("Id of a goal of this plan."))
    responsible_organisation = OrganisationField(
        source="responsible_org", required=False, allow_null=True, default=None, help_text=_("Slug.")
    )
    responsible_user = UserField(
        required=False, allow_null=True, default=None, help_text=_("Username of a team member.")
    )
    start_on = Date(required=False, allow_null=True, default=None)
    end_on = Date(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    stop_reason = serializers.ChoiceField(
        choices=StopReason.choices,
        required=False,
        allow_blank=True,
        help_text=_("Why a stopped item stopped; required with status `stopped`."),
    )
    sessions_planned = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    sessions_held = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    note = Text(max_length=5000, required=False, allow_blank=True, default="")
    version = Version(required=False, help_text=_("For PATCH: the version you edited (optional for status only)."))
    may_update_status = serializers.SerializerMethodField(
        help_text=_("May you update this item's status and note now (the person responsible, or the plan's writers)?")
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["goal"] = str(instance.goal.public_id) if instance.goal_id else None
        return data

    def get_may_update_status(self, obj: Any) -> bool:
        pa = self.context.get("access")  # plans.selectors.PlanAccess
        return pa is not None and item_status_allowed(pa.ca, pa.plan, obj, pa.view)


class PlanActionsSerializer(serializers.Serializer):
    """What the caller may do to this version of the plan now (access.plans.plan_actions)."""

    edit = serializers.BooleanField(help_text=_("Change the draft: goals, items, participation, classification."))
    rate = serializers.BooleanField(help_text=_("Rate its goals: a draft or the plan in force."))
    approve = serializers.BooleanField(help_text=_("Approve the draft (coordinators)."))
    review = serializers.BooleanField(help_text=_("Record a review of the plan in force."))
    new_version = serializers.BooleanField(help_text=_("Start a new version from the plan in force (no draft yet)."))


class PlanSummarySerializer(serializers.Serializer):
    """A version of the plan in a list: no goals or items."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    number = serializers.IntegerField(read_only=True, help_text=_("The plan's version as users see it."))
    status = serializers.CharField(read_only=True)
    author_organisation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    review_due = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text=_("Send it back to PATCH or approve."))
    restricted = serializers.SerializerMethodField()

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    def get_restricted(self, obj: Any) -> bool:
        return bool(self.context.get("restricted", False))


class PlanMarkerSerializer(serializers.Serializer):
    """A plan the caller may not read: that it exists, its number, status, date and author organisation only."""

    id = serializers.UUIDField(source="public_id")
    number = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    author_organisation = serializers.SerializerMethodField()
    restricted = serializers.SerializerMethodField()

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    def get_restricted(self, obj: Any) -> bool:
        return True


class PlanSerializer(PlanSummarySerializer):
    """One plan with what the caller may see of it (`view`). PATCH changes a draft's participation,
    classification and review date, with `version`."""

    optional_fields = ("participation", "participation_note", "classification", "approved_by", "reviews")

    case = serializers.SerializerMethodField()
    view = serializers.SerializerMethodField(help_text=_("full, or mentor: goals and your own items only."))
    based_on = serializers.SerializerMethodField()
    participation = serializers.ChoiceField(choices=Participation.choices, required=False, allow_blank=True)
    participation_note = Text(max_length=5000, required=False, allow_blank=True)
    classification = serializers.ChoiceField(choices=[(c, c) for c in PLAN_CLASSIFICATIONS], required=False)
    review_due = Date(required=False, allow_null=True)
    approved_by = serializers.SerializerMethodField()
    version = Version(required=False, help_text=_("Required for PATCH: the version you last read."))
    goals = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    FULL_ONLY = ("participation", "participation_note", "classification", "approved_by", "reviews", "author")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("view") != "full":
            data = {k: v for k, v in data.items() if k not in self.FULL_ONLY}
        return data

    def get_case(self, obj: Any) -> str:
        return str(obj.case.public_id)

    def get_view(self, obj: Any) -> str:
        return str(self.context.get("view", "full"))

    @extend_schema_field(OpenApiTypes.UUID)
    def get_based_on(self, obj: Any) -> str | None:
        return str(obj.based_on.public_id) if obj.based_on_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_approved_by(self, obj: Any) -> str | None:
        return _username(obj.approved_by)

    @extend_schema_field(GoalSerializer(many=True))
    def get_goals(self, obj: Any) -> list[Any]:
        content = self.context.get("content")
        goals = [row.goal for row in content.goals] if content is not None else []
        view = self.context.get("view", PlanView.NONE)
        return list(GoalSerializer(goals, many=True, context={"view": view}).data)

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, obj: Any) -> list[Any]:
        content = self.context.get("content")
        items = content.items if content is not None else []
        access = content.access if content is not None else None
        return list(ItemSerializer(items, many=True, context={"access": access}).data)

    @extend_schema_field(PlanActionsSerializer)
    def get_actions(self, obj: Any) -> dict[str, bool] | None:
        actions = self.context.get("actions")  # access.plans.PlanActions
        return actions.as_dict() if actions is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_reviews(self, obj: Any) -> list[dict[str, Any]]:
        content = self.context.get("content")
        return [
            {
                "reviewed_on": r.reviewed_on.isoformat(),
                "reviewed_by": r.reviewed_by.username,
                "next_review_due": r.next_review_due.isoformat(),
                "note": r.note,
            }
            for r in (content.reviews if content is not None else [])
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
        return attrs


class ApproveSerializer(serializers.Serializer):
    version = Version()
    review_due = Date(required=False, allow_null=True, default=None, help_text=_("Default: in three months."))


class ReviewSerializer(serializers.Serializer):
    reviewed_on = Date(required=False, allow_null=True, default=None, help_text=_("Default today."))
    next_review_due = Date(required=False, allow_null=True, default=None, help_text=_("Default: three months on."))
    note = Text(max_length=5000, required=False, allow_blank=True, default="")
