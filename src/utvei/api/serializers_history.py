"""cases/{id}/history/ and cases/{id}/person/: the case header's and the person record's earlier versions, and
editing the person's identity details (issue 14, deliverable 6)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from utvei.people.models import Gender

from .fields import Date, Text, Version


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("The field's name, e.g. safety_plan, full_name."))
    field_label = serializers.CharField(source="label", help_text=_("The field's name in your language."))
    readable = serializers.BooleanField(help_text=_("Whether you may read the earlier value (as the live field)."))
    earlier = serializers.CharField(
        allow_null=True, help_text=_("The value before the change, as shown on the page; null where not readable.")
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.readable:
            data["earlier"] = None
        return data


class HistoryVersionSerializer(serializers.Serializer):
    record = serializers.ChoiceField(choices=[("header", "header"), ("person", "person")])
    number = serializers.IntegerField(help_text=_("The version of the case or person this row keeps."))
    at = serializers.DateTimeField()
    author = serializers.CharField(allow_null=True, help_text=_("Display name; null where membership is restricted."))
    organisation = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)


class HistorySerializer(serializers.Serializer):
    results = HistoryVersionSerializer(many=True)


class PersonEditSerializer(serializers.Serializer):
    """The identity details to change, with the person's `version` (as GET cases/{id}/person/ gives it)."""

    version = Version()
    full_name = Text(max_length=200, required=False)
    national_id = Text(max_length=20, required=False, allow_blank=True, write_only=True)
    birth_date = Date(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    municipality = Text(max_length=100, required=False, allow_blank=True)
    guardian_name = Text(max_length=200, required=False, allow_blank=True)


class PersonSerializer(serializers.Serializer):
    """The person's identity details as saved (never the identity number: only whether one is recorded)."""

    reference = serializers.CharField()
    full_name = serializers.CharField()
    birth_date = serializers.CharField(help_text=_("YYYY-MM-DD, or empty."))
    gender = serializers.CharField()
    municipality = serializers.CharField()
    guardian_name = serializers.CharField()
    has_national_id = serializers.SerializerMethodField()
    version = serializers.IntegerField()

    def get_has_national_id(self, obj: Any) -> bool:
        return bool(obj.national_id)
