"""Response shapes and request parsing of the DPO's oversight endpoints (alerts/, access-reports/)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from utvei.oversight.alerts import REVIEW_NOTE_MAX
from utvei.oversight.models import AccessAlert, AlertStatus

from .fields import DateTime, Text


class AlertSerializer(serializers.Serializer):
    """One unusual-access alert: a rule hit with its reason, never a score of a person."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    rule = serializers.CharField(read_only=True, help_text=_("The rule's id in oversight/data/alert_rules.yaml."))
    rule_version = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True, help_text=_("The rule's title, in the request's language."))
    user = serializers.CharField(source="user.username", read_only=True)
    organisation = serializers.SlugField(source="organisation.slug", read_only=True)
    case = serializers.CharField(
        source="case_public_id", read_only=True, help_text=_("The case's id, or empty for a rule over many cases.")
    )
    case_reference = serializers.CharField(read_only=True)
    window_start = DateTime(read_only=True)
    window_end = DateTime(read_only=True)
    events = serializers.IntegerField(read_only=True, help_text=_("Matching audit events in the window."))
    cases = serializers.IntegerField(read_only=True, help_text=_("Distinct cases among them."))
    threshold = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("The limit exceeded."))
    baseline = serializers.FloatField(read_only=True, allow_null=True)
    emergency_access = serializers.CharField(
        source="ref", read_only=True, help_text=_("The emergency access's id (emergency rules).")
    )
    created_at = DateTime(read_only=True)
    review_status = serializers.ChoiceField(choices=AlertStatus.choices, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, allow_null=True, default=None)
    reviewed_at = DateTime(read_only=True, allow_null=True)
    review_note = serializers.CharField(read_only=True)


def render_alert(alert: AccessAlert, title: str, case_reference: str) -> dict[str, Any]:
    alert.title = title  # type: ignore[attr-defined]
    alert.case_reference = case_reference  # type: ignore[attr-defined]
    return dict(AlertSerializer(alert).data)


class AlertFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("pending", "pending"), ("reviewed", "reviewed"), ("all", "all")],
        required=False,
        default="pending",
        help_text=_("pending (default): waiting for review, oldest first; reviewed; or all."),
    )


class AlertReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[
            (AlertStatus.JUSTIFIED.value, _("Justified")),
            (AlertStatus.NOT_JUSTIFIED.value, _("Not justified")),
            (AlertStatus.FOLLOW_UP.value, _("Referred for follow-up")),
        ]
    )
    note = Text(
        max_length=REVIEW_NOTE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required unless justified."),
    )


class PersonSearchSerializer(serializers.Serializer):
    person = Text(
        max_length=200,
        help_text=_("A case or person reference, a national identity number (11 digits) or a name (and birth date)."),
    )


class PersonFoundSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    reference = serializers.CharField(read_only=True)


class AccessReportRowSerializer(serializers.Serializer):
    seq = serializers.IntegerField(read_only=True)
    occurred_at = DateTime(read_only=True)
    user = serializers.CharField(read_only=True)
    user_name = serializers.CharField(read_only=True)
    organisation = serializers.CharField(read_only=True)
    action = serializers.CharField(read_only=True)
    action_label = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=[("read", "read"), ("write", "write"), ("oversight", "oversight")])
    case_reference = serializers.CharField(read_only=True)
    basis = serializers.CharField(
        read_only=True,
        help_text=_("team, coordinator, referral, emergency, other, oversight, person, system or record."),
    )
    basis_label = serializers.CharField(read_only=True)
