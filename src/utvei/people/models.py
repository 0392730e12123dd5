"""The participant: the person a case is about. Identity is encrypted; URLs and logs carry only public_id."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.core.crypto import EncryptedTextField


class AgeBand(models.TextChoices):
    UNDER_15 = "u15", _("Under 15")
    AGE_15_17 = "15-17", _("15–17")
    AGE_18_24 = "18-24", _("18–24")
    AGE_25_34 = "25-34", _("25–34")
    AGE_35_PLUS = "35+", _("35 or older")
    UNKNOWN = "unknown", _("Unknown")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Person(models.Model):
    data_subject = "self"  # core.crypto: whose data key encrypts this row's values
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    full_name = EncryptedTextField(_("name"))
    national_id = EncryptedTextField(_("national identity number"), blank=True)
    national_id_index = models.CharField(max_length=64, unique=True, null=True, blank=True)
    birth_date = EncryptedTextField(_("date of birth"), blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    # The county or region of the municipality, written when the person is anonymised (the municipality is then
    # emptied): what an anonymised record says about where the person lived (retention/data/regions.yaml).
    region = models.CharField(_("region"), max_length=100, blank=True)
    protected_identity = models.BooleanField(_("protected identity"), default=False)
    guardian_name = EncryptedTextField(_("guardian"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)  # optimistic locking of identity edits (PersonVersion)

    def __str__(self) -> str:
        return self.reference

    @property
    def label(self) -> str:
        """How lists name the person to those who may read who they are: the name, or nothing at all when the
        identity is protected (strengthened protection of address: lists, exports, prints and e-mails carry the
        reference only; `access.policy.listed_names`)."""
        if self.protected_identity:
            return ""
        return self.full_name


class PersonToken(models.Model):
    """One keyed hash a person is found by (people/index.py): never a name or a part of one in clear."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "person"], name="person_token_unique")]


def age_band_for(birth_date: object) -> str:
    import datetime as dt

    if not isinstance(birth_date, dt.date):
        return AgeBand.UNKNOWN
    today = timezone.localdate()
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    if age < 15:
        return AgeBand.UNDER_15
    if age < 18:
        return AgeBand.AGE_15_17
    if age < 25:
        return AgeBand.AGE_18_24
    if age < 35:
        return AgeBand.AGE_25_34
    return AgeBand.AGE_35_PLUS


class PersonVersion(models.Model):
    """One earlier version of a person's identity details, kept when they were edited (issue 14, deliverable 6).

    Written by `people.services.person_update` in the transaction of the edit: `number` is the person's version
    that this row preserves, `changed` names the fields the edit changed (names only, in clear), and `earlier`
    holds the values of every identity field *before* the edit as encrypted JSON — encrypted as the live identity
    is. Who may read the earlier values is the rule for the live identity (access/header.py).
    """

    data_subject = "person"  # core.crypto: whose data key encrypts this row's values

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    changed = models.JSONField(default=list)
    earlier = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["person", "number"], name="person_version_unique")]
