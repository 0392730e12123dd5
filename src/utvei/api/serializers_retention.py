"""Request parsing and response shapes of retention (retention/): a case's retention, legal holds, opening a
restricted case for a reason, restriction on request (art. 18) and rectification (art. 16)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from utvei.people.models import Gender
from utvei.retention.models import ReadReason, RectificationStatus
from utvei.retention.services import REASON_MAX

from .fields import Text


class ReasonSerializer(serializers.Serializer):
    reason = Text(max_length=REASON_MAX, help_text=_("Why. Stored encrypted; the audit log holds no text."))


class OptionalReasonSerializer(serializers.Serializer):
    reason = Text(max_length=REASON_MAX, required=False, allow_blank=True, default="")


class OpenSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=ReadReason.choices)
    reason = Text(max_length=REASON_MAX, help_text=_("Why you need to read the restricted case now."))


class RectificationCreateSerializer(serializers.Serializer):
    claim = Text(max_length=REASON_MAX, help_text=_("What the person says is wrong."))
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class CorrectionsSerializer(serializers.Serializer):
    full_name = Text(max_length=200, required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    municipality = Text(max_length=100, required=False, allow_blank=True)
    national_id = Text(max_length=20, required=False, allow_blank=True)
    guardian_name = Text(max_length=200, required=False, allow_blank=True)


class RectificationAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[RectificationStatus.DONE, RectificationStatus.REFUSED])
    answer = Text(max_length=REASON_MAX, help_text=_("What was done, or why it was refused."))
    corrections = CorrectionsSerializer(
        required=False,
        default=None,
        allow_null=True,
        help_text=_("Identity details to correct (status done only); the earlier values are kept."),
    )
    person_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text=_("The person's version you saw (cases/{id}/person/): required with corrections; stale is 409."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("corrections") and attrs.get("person_version") is None:
            raise serializers.ValidationError({"person_version": _("Give the person's version with corrections.")})
        return attrs


class HoldSerializer(serializers.Serializer):
    """A legal hold. `reason` and `lift_reason` only for those who may set and lift holds."""

    id = serializers.UUIDField(source="public_id")
    set_by_organisation = serializers.SlugField(source="set_by_org.slug")
    set_at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(required=False)


class RequestSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    received_on = serializers.DateField()
    status = serializers.ChoiceField(choices=RectificationStatus.choices)
    claim = serializers.CharField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class StepSerializer(serializers.Serializer):
    step = serializers.CharField()
    rule_id = serializers.CharField()
    rules_version = serializers.IntegerField()
    due_on = serializers.DateField()
    taken_at = serializers.DateTimeField()


class CaseRetentionSerializer(serializers.Serializer):
    """A case's retention: state, the rule and its statute, the dates, holds, requests and steps — no content."""

    case = serializers.UUIDField()
    reference = serializers.CharField()
    state = serializers.CharField()
    restriction_code = serializers.CharField()
    restriction_reason = serializers.CharField(required=False)
    rule = serializers.CharField(allow_null=True)
    rules_version = serializers.IntegerField()
    statute_nb = serializers.CharField(allow_null=True)
    statute_en = serializers.CharField(allow_null=True)
    restrict_on = serializers.DateField(allow_null=True)
    end_step = serializers.CharField(allow_null=True)
    end_on = serializers.DateField(allow_null=True)
    holds = HoldSerializer(many=True)
    requests = RequestSerializer(many=True, required=False)
    steps = StepSerializer(many=True)
    reading_until = serializers.DateTimeField(allow_null=True, required=False)


class OverviewRowSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case.public_id")
    reference = serializers.CharField(source="case.reference")
    state = serializers.CharField(source="case.retention_state")
    held = serializers.BooleanField()
    pending_requests = serializers.BooleanField()
    next_step = serializers.CharField()
    next_due = serializers.DateField(allow_null=True)
    rule = serializers.CharField(source="rule_id")


def render_case_retention(info: Any) -> dict[str, Any]:
    case, rule, due = info.case, info.rule, info.due
    holds = []
    for h in info.holds:
        row = {
            "id": str(h.public_id),
            "set_by_organisation": h.set_by_org.slug,
            "set_at": h.set_at.isoformat(),
            "lifted_at": h.lifted_at.isoformat() if h.lifted_at else None,
        }
        if info.may_hold:
            row["reason"] = h.reason
        holds.append(row)
    out: dict[str, Any] = {
        "case": str(case.public_id),
        "reference": case.reference,
        "state": case.retention_state,
        "restriction_code": case.restriction_code,
        "rule": rule.id if rule else None,
        "rules_version": info.rules_version,
        "statute_nb": rule.statute_nb if rule else None,
        "statute_en": rule.statute_en if rule else None,
        "restrict_on": due.restrict_on.isoformat() if due else None,
        "end_step": (f"{rule.end}+{rule.archive_then}" if rule.archive_then else rule.end) if rule else None,
        "end_on": due.end_on.isoformat() if due else None,
        "holds": holds,
        "steps": StepSerializer(info.steps, many=True).data,
    }
    if info.may_request:
        out["restriction_reason"] = case.restriction_reason
        out["requests"] = RequestSerializer(info.requests, many=True).data
    return out
