"""What organisation administration records beside the audit log: why a second factor was reset."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, User
from utvei.core.crypto import EncryptedTextField


class MfaResetReason(models.TextChoices):
    LOST_DEVICE = "lost_device", _("The device was lost or broken")
    NEW_DEVICE = "new_device", _("The user has a new device")
    COMPROMISED = "compromised", _("The second factor may be compromised")
    OTHER = "other", _("Other")


class MfaReset(models.Model):
    """An administrator removed a user's second factor. The audit event (`auth.mfa_reset`) carries the reason's
    code only; the administrator's explanation is kept here, encrypted, for the data protection officer to ask
    about."""

    data_subject = None  # about no person: encrypted under the keyring's master key

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reset_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reset_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=20, choices=MfaResetReason.choices)
    explanation = EncryptedTextField(_("explanation"))
    removed = models.PositiveSmallIntegerField(default=0)  # how many authenticators were removed

    class Meta:
        ordering = ["-reset_at", "-pk"]
