"""The person's social network: the contacts around them and dated observations of each tie.

A contact is a third party and a data subject too: Utvei keeps a short label or initials and the relation, never a
name in full, an identity number or a date of birth (`services.check_label`). Contacts are case data of the
category `network` with a classification, read through the same gate as timeline entries (`access.network`).
Observations are append-only: how a tie looked on a date (valence, closeness, contact frequency, a note), and
ending a tie is an observation too. A snapshot at any date is the latest observation of each contact up to that
date (docs/network.md, docs/decisions/0008-network-snapshot.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory


class RelationKind(models.TextChoices):
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Child")
    RELATIVE = "relative", _("Other relative")
    FRIEND = "friend", _("Friend")
    MILIEU_PEER = "milieu_peer", _("Peer in the milieu")
    FORMER_MEMBER = "former_member", _("Former member of a milieu")
    MENTOR = "mentor", _("Mentor")
    TEACHER = "teacher", _("Teacher")
    EMPLOYER = "employer", _("Employer or colleague")
    FAITH_LEADER = "faith_leader", _("Faith leader")
    COACH = "coach", _("Coach or leisure leader")
    ONLINE = "online", _("Online contact")
    PROFESSIONAL = "professional", _("Professional")


# Relations that are part of the formal network unless the writer says otherwise (the form preselects it).
FORMAL_BY_DEFAULT = frozenset({RelationKind.TEACHER, RelationKind.PROFESSIONAL})


class Valence(models.TextChoices):
    """What the tie means for the way out, as the team sees it now: not a score of the person."""

    SUPPORTIVE = "supportive", _("Supportive")
    RISK = "risk", _("Risk")
    AMBIVALENT = "ambivalent", _("Ambivalent")
    UNKNOWN = "unknown", _("Unknown")


class Closeness(models.IntegerChoices):
    """How close the tie is: 3 the inner ring of the map, 1 the outer."""

    CLOSE = 3, _("Close")
    MEDIUM = 2, _("Medium")
    DISTANT = 1, _("Distant")


class Frequency(models.TextChoices):
    """How often the person and the contact are in touch. Blank: not recorded."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    RARELY = "rarely", _("Rarely")
    NONE = "none", _("No contact now")


class Contact(models.Model):
    """Someone in the person's formal or informal network. `version` guards edits; every saved version is kept
    (ContactRevision). The data category is always `network`."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    category = DataCategory.NETWORK  # not a column: a contact is network data, always

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="network_contacts")
    relation = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    formal = models.BooleanField(_("formal network"), default=False)
    label = EncryptedTextField(_("label or initials"))
    # A contact at one of the team's organisations (a teacher at the school on the team, the NAV adviser): its
    # observations then stand for that organisation's tie on the map, instead of an unobserved one.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} ({self.public_id})"


class ContactRevision(models.Model):
    """Every saved version of a contact, the first included."""

    data_subject = "contact__case__person"  # core.crypto: whose data key encrypts this row's values

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    relation = models.CharField(max_length=16, choices=RelationKind.choices)
    formal = models.BooleanField(default=False)
    label = EncryptedTextField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    classification = models.CharField(max_length=12, choices=Classification.choices)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["contact", "version"], name="uniq_contact_version")]


class Observation(models.Model):
    """How a tie looked on a date. Append-only: never changed or deleted (retention aside); a correction is a
    newer observation. `ended` closes the tie from that date on; a later observation opens it again."""

    data_subject = "contact__case__person"  # core.crypto: whose data key encrypts this row's values

    category = DataCategory.NETWORK

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="observations")
    observed_on = models.DateField(_("observed on"))
    valence = models.CharField(_("valence"), max_length=12, choices=Valence.choices)
    closeness = models.PositiveSmallIntegerField(_("closeness"), choices=Closeness.choices)
    frequency = models.CharField(_("contact frequency"), max_length=8, choices=Frequency.choices, blank=True)
    ended = models.BooleanField(_("the tie has ended"), default=False)
    note = EncryptedTextField(_("note"), blank=True)
    classification = models.CharField(
        _("who may read the note"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["observed_on", "created_at", "pk"]
        indexes = [models.Index(fields=["contact", "observed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closeness__gte=1) & models.Q(closeness__lte=3), name="network_closeness_1_3"
            )
        ]

    def __str__(self) -> str:
        return f"{self.observed_on:%Y-%m-%d} {self.valence}"
