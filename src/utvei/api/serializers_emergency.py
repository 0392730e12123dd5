"""Request parsing and response shapes of emergency access (emergency-access/)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.sharing.emergency.services import REASON_TEXT_MAX, REFERENCE_MAX, REVIEW_NOTE_MAX, max_hours
from utvei.sharing.models import EmergencyAccess, EmergencyReason, ReviewStatus

from .fields import DateTime, Text


class EmergencyOpenSerializer(serializers.Serializer):
    case_reference = Text(
        max_length=REFERENCE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The case reference, e.g. UTV-2026-000123-1. Give this or national_id."),
    )
    national_id = Text(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The person's national identity number (11 digits): their most recent open case."),
    )
    reason_code = serializers.ChoiceField(choices=EmergencyReason.choices)
    reason_text = Text(max_length=REASON_TEXT_MAX, help_text=_("What is happening: why the case is needed now."))
    hours = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text=_("The window in hours: 1 up to UTVEI_EMERGENCY_HOURS (4), which is also the default."),
    )

    def validate_hours(self, value: int | None) -> int | None:
        if value is not None and value > max_hours():
            raise serializers.ValidationError(_("At most %(n)d hours.") % {"n": max_hours()}, code="rule")
        return value


class EmergencyAccessSerializer(serializers.Serializer):
    """One use of emergency access. `review_note` is shown to data protection officers only."""

    optional_fields = ("review_note",)

    id = serializers.UUIDField(source="public_id", read_only=True)
    case = serializers.UUIDField(source="case.public_id", read_only=True, help_text=_("The case's id."))
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    owning_organisation = serializers.SlugField(source="case.owning_org.slug", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    organisation = serializers.SlugField(source="organisation.slug", read_only=True)
    role = serializers.CharField(
        read_only=True, help_text=_("The user's role when opening it: coordinator or caseworker.")
    )
    reason_code = serializers.ChoiceField(choices=EmergencyReason.choices, read_only=True)
    reason_text = serializers.CharField(read_only=True)
    started_at = DateTime(read_only=True)
    expires_at = DateTime(read_only=True)
    ended_at = DateTime(read_only=True, allow_null=True)
    active = serializers.SerializerMethodField(help_text=_("In force now: started, not expired, not ended."))
    review_status = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    priority = serializers.BooleanField(
        read_only=True,
        help_text=_("The case's person had a protected identity when it was opened: the DPO reviews it first."),
    )
    reviewed_by = serializers.SerializerMethodField()
    reviewed_at = DateTime(read_only=True, allow_null=True)
    review_note = serializers.CharField(read_only=True)

    def get_active(self, obj: EmergencyAccess) -> bool:
        return obj.is_active(timezone.now())

    @extend_schema_field(OpenApiTypes.STR)
    def get_reviewed_by(self, obj: EmergencyAccess) -> str | None:
        return obj.reviewed_by.username if obj.reviewed_by is not None else None


def render_access(access: EmergencyAccess, *, reviewer: bool) -> dict[str, Any]:
    data = dict(EmergencyAccessSerializer(access).data)
    if not reviewer:
        data.pop("review_note", None)
    return data


class EmergencyFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("pending", "pending"), ("approved", "approved"), ("flagged", "flagged"), ("all", "all")],
        required=False,
        default="all",
        help_text=_("Data protection officers: pending, approved, flagged or all (default)."),
    )


class EmergencyReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(ReviewStatus.APPROVED.value, _("Approve")), (ReviewStatus.FLAGGED.value, _("Flag"))]
    )
    note = Text(
        max_length=REVIEW_NOTE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when flagging."),
    )
