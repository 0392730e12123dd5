"""Serializers of the evidence engine: indicators, measurements, outcome events, follow-ups. Only protected
aggregates leave through analytics (api/views/evaluation.py); these carry one case's records to its team."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from utvei.core.validation import EARLIEST
from utvei.core.vocabulary import Classification
from utvei.evaluation import catalogue
from utvei.evaluation.models import (
    FollowUp,
    Indicator,
    IndicatorSource,
    Measurement,
    Occasion,
    OutcomeKind,
    OutcomeSource,
)


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [*catalogue.FIELDS, "version"]


class MeasurementSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="key", queryset=Indicator.objects.all())
    indicator_version = serializers.IntegerField(read_only=True)
    occasion = serializers.ChoiceField(choices=[o for o in Occasion.values if not o.startswith("follow_up")])
    measured_on = serializers.DateField()
    value = serializers.FloatField()
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a declared field, not Field.source
        choices=[IndicatorSource.WORKER.value, IndicatorSource.SELF_REPORT.value], default=IndicatorSource.WORKER
    )
    classification = serializers.ChoiceField(choices=Classification.choices, default=Classification.TEAM)
    category = serializers.CharField(read_only=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, write_only=True)
    corrects = serializers.UUIDField(required=False, allow_null=True, write_only=True)
    author_org = serializers.CharField(source="author_org.slug", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_measured_on(self, value: Any) -> Any:
        if value < EARLIEST:
            raise serializers.ValidationError("Give a date from 1900 on.", code="rule")
        return value

    def to_representation(self, instance: Measurement) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["occasion"] = instance.occasion  # follow-up occasions too, when read
        data["source"] = instance.source
        return data


class OutcomeEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = serializers.ChoiceField(choices=OutcomeKind.values)
    occurred_on = serializers.DateField()
    source = serializers.ChoiceField(choices=OutcomeSource.values)  # type: ignore[assignment]  # not Field.source
    classification = serializers.ChoiceField(choices=Classification.choices, default=Classification.TEAM)
    category = serializers.CharField(read_only=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, write_only=True)
    author_org = serializers.CharField(source="author_org.slug", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_occurred_on(self, value: Any) -> Any:
        if value < EARLIEST:
            raise serializers.ValidationError("Give a date from 1900 on.", code="rule")
        return value


class FollowUpSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    owner: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "months", "due_on", "status", "missed_reason", "held_on", "owner", "version"]
