"""Request parsing and response shapes of the subject-access register (subject-access/, docs/subject-access.md)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from utvei.retention.models import ReceivedVia, RequestStatus, SubjectAccessRequest
from utvei.retention.subject_access.services import REASON_MAX

from .fields import Date, DateTime, Text


class SubjectAccessRequestSerializer(serializers.Serializer):
    """One request. The person by their reference only (never by name or identity number)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    person_reference = serializers.CharField(source="person.reference", read_only=True)
    organisation = serializers.SlugField(source="organisation.slug", read_only=True)
    received_via = serializers.ChoiceField(choices=ReceivedVia.choices, read_only=True)
    received_on = serializers.DateField(read_only=True)
    due_on = serializers.DateField(read_only=True, help_text=_("One month after receipt; three when extended."))
    overdue = serializers.SerializerMethodField(help_text=_("Open and past its due date."))
    status = serializers.ChoiceField(choices=RequestStatus.choices, read_only=True)
    extension_reason = serializers.CharField(read_only=True)
    extended_at = DateTime(read_only=True, allow_null=True)
    refusal_reason = serializers.CharField(read_only=True)
    answered_at = DateTime(read_only=True, allow_null=True)
    last_export_at = DateTime(read_only=True, allow_null=True)

    def get_overdue(self, obj: SubjectAccessRequest) -> bool:
        return obj.is_overdue(timezone.localdate())


def render_request(request: SubjectAccessRequest) -> dict[str, Any]:
    return dict(SubjectAccessRequestSerializer(request).data)


class SubjectAccessRegisterSerializer(serializers.Serializer):
    national_id = Text(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The person's national identity number (11 digits). Or give full_name and birth_date."),
    )
    full_name = Text(max_length=200, required=False, allow_blank=True, default="")
    birth_date = Date(required=False, allow_null=True, default=None)
    received_via = serializers.ChoiceField(choices=ReceivedVia.choices)
    received_on = Date()


class SubjectAccessReasonSerializer(serializers.Serializer):
    reason = Text(max_length=REASON_MAX, help_text=_("What the person is told."))


class SubjectAccessFilterSerializer(serializers.Serializer):
    open = serializers.BooleanField(required=False, default=False, help_text=_("Only pending and extended requests."))


class SubjectAccessExportQuery(serializers.Serializer):
    lang = serializers.ChoiceField(
        choices=[("nb", "nb"), ("en", "en")], required=False, default="nb", help_text=_("The language of its words.")
    )
