"""Reading a restricted case: the DPO or the case lead opens it for a while, for a stated reason."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case, RestrictionCode
from utvei.core.crypto import EncryptedTextField


class ReadReason(models.TextChoices):
    """Why a restricted case is read (the code goes to the audit log with every read; the text stays here)."""

    LEGAL_CLAIM = "legal_claim", _("A legal claim or proceedings")
    SUBJECT_REQUEST = "subject_request", _("The person's request (access, rectification, restriction)")
    SUPERVISION = "supervision", _("Supervision or an inquiry by an authority")
    ARCHIVE = "archive", _("Archiving")
    OTHER = "other", _("Other (explained)")


class RestrictedReadQuerySet(models.QuerySet["RestrictedRead"]):
    def in_force(self) -> RestrictedReadQuerySet:
        now = timezone.now()
        return self.filter(opened_at__lte=now, expires_at__gt=now)


class RestrictedRead(models.Model):
    """The DPO or the case lead opened a restricted case to read it, for a reason, until `expires_at`
    (UTVEI_RESTRICTED_READ_MINUTES). While it is in force every read carries `restricted;<code>` in the audit log."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="restricted_reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(_("reason"), max_length=20, choices=ReadReason.choices)
    reason = EncryptedTextField(_("explanation"))
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = RestrictedReadQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["case", "user", "expires_at"])]


class RestrictionChange(models.Model):
    """One restriction of a case or its lifting: who (null: the retention run), when, which code, and why
    (encrypted). The case itself holds the current state (`Case.retention_state`)."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="restriction_changes")
    restricted = models.BooleanField()
    code = models.CharField(max_length=12, choices=RestrictionCode.choices)
    reason = EncryptedTextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
