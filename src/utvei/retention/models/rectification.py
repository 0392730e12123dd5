"""The person's requests to have their record corrected (GDPR art. 16)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.crypto import EncryptedTextField


class RectificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Corrected")
    REFUSED = "refused", _("Refused")


class RectificationRequest(models.Model):
    """A request for rectification: what the person says is wrong (encrypted), when it was received, and the
    answer — corrected (through `cases.services.person_edit` or an entry's correction, which keep their history)
    or refused with a reason. Registered and answered by the case lead or the DPO."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="rectification_requests")
    received_on = models.DateField(_("received on"))
    claim = EncryptedTextField(_("what the person says is wrong"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("answer"), max_length=10, choices=RectificationStatus.choices, default=RectificationStatus.PENDING
    )
    answer = EncryptedTextField(_("what was done, or why it was refused"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-pk"]
