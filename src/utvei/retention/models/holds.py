"""Legal holds: a case that must not move on in its retention (a claim, an inquiry, a supervisory case)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.crypto import EncryptedTextField


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A legal hold on a case: while one is in force (not lifted), the retention run takes no step on the case —
    no restriction, anonymisation, deletion or archiving. Set and lifted by the DPO or a coordinator of the owning
    organisation (access/retention.py); both audited. The reasons are encrypted; the audit log has ids only."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_holds")
    reason = EncryptedTextField(_("reason for the hold"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = EncryptedTextField(_("reason for lifting the hold"), blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["case", "lifted_at"])]
