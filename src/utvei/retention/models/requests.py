"""The register of subject-access requests (GDPR art. 15; docs/subject-access.md): who asked, how and when, by when
the answer is due (one month, extendable by two with a reason: art. 12(3)), and how it was answered."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.core.crypto import EncryptedTextField
from utvei.core.dates import add_months
from utvei.people.models import Person

DEADLINE_MONTHS = 1  # art. 12(3): without undue delay and at the latest within one month of receipt
EXTENSION_MONTHS = 2  # ... extendable by two further months where necessary, the person told why


class ReceivedVia(models.TextChoices):
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    DIGITAL = "digital", _("Digital form")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXTENDED = "extended", _("Extended")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.EXTENDED)


class SubjectAccessRequest(models.Model):
    """One person's request for access to everything about them, registered by a data protection officer of an
    organisation that is a controller of their data (access/subject_access.py). URLs carry `public_id` only."""

    data_subject = "person"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    received_via = models.CharField(_("received by"), max_length=12, choices=ReceivedVia.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("due"))
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    extension_reason = EncryptedTextField(_("reason for the extension"), blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal_reason = EncryptedTextField(_("reason for the refusal"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_export_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]

    def __str__(self) -> str:
        return str(self.public_id)

    @staticmethod
    def deadline(received_on: dt.date, *, extended: bool = False) -> dt.date:
        """One month after receipt; three with the extension (art. 12(3))."""
        return add_months(received_on, DEADLINE_MONTHS + (EXTENSION_MONTHS if extended else 0))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())
