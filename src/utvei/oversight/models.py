"""Unusual access queued for the data protection officer's review (docs/oversight.md).

An alert is a hit of one rule of `data/alert_rules.yaml` (rule id and version) for one user acting for one
organisation, on one case or on none (rules over many cases), in one window of time, with what was counted. It is
not a score of a person: it says which rule matched and why, and a human reviews it — like an emergency access
(`sharing.EmergencyAccess`), with a review record: reviewer, decision, note (encrypted), time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.core.crypto import EncryptedTextField


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    JUSTIFIED = "justified", _("Justified")
    NOT_JUSTIFIED = "not_justified", _("Not justified")
    FOLLOW_UP = "follow_up", _("Referred for follow-up")


class AccessAlert(models.Model):
    """One rule hit: who (user, organisation), on which case (its public id, or "" for a rule over many cases),
    in which window, and the counts that made it a hit. One per rule, user, organisation, case and window start."""

    data_subject = None  # about a member of staff, not a person followed: under the keyring's master key
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.CharField(_("rule"), max_length=40)
    rule_version = models.PositiveIntegerField(_("rule version"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The case's public id as the audit log records it ("" when the rule counts many cases): an id, never a
    # reference, so an alert outlives what retention does to the case.
    case_public_id = models.CharField(max_length=64, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    events = models.PositiveIntegerField(_("events"), default=0)  # matching events in the window
    cases = models.PositiveIntegerField(_("cases"), default=0)  # distinct cases among them
    threshold = models.PositiveIntegerField(_("threshold"), null=True, blank=True)  # the number that was exceeded
    baseline = models.FloatField(_("baseline"), null=True, blank=True)  # the user's own average (volume rule)
    ref = models.CharField(max_length=64, blank=True)  # the emergency access's public id (emergency rules)
    first_seq = models.BigIntegerField()  # the first and last matching audit events
    last_seq = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    review_status = models.CharField(
        _("review"), max_length=14, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "user", "organisation", "case_public_id", "window_start"], name="alert_one_per_window"
            )
        ]
        indexes = [
            models.Index(fields=["review_status", "created_at"]),
            models.Index(fields=["organisation", "review_status"]),
            models.Index(fields=["case_public_id"]),
        ]

    @property
    def pending(self) -> bool:
        return self.review_status == AlertStatus.PENDING


class AlertScan(models.Model):
    """One row: how far the detector has read the audit log (the last `seq` scanned). Locked while scanning, so two
    scans (the worker and `utvei alerts scan`) never read the same events twice."""

    last_seq = models.BigIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)
