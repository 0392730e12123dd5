"""Instruments as versioned data, and structured professional judgement assessments of a case.

An assessment records what the assessor judged, item by item, with the evidence behind each rating, and the
summary judgement the assessor entered. Nothing here adds ratings up or ranks anyone: see
docs/decisions/0004-no-risk-scores.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory


def english() -> bool:
    return (get_language() or "nb").startswith("en")


def localised(obj: dict[str, Any], name: str) -> str:
    """`name_en` in English, else `name_nb`; either one when the other is missing."""
    nb, en = obj.get(f"{name}_nb") or "", obj.get(f"{name}_en") or ""
    return (en or nb) if english() else (nb or en)


class Licence(models.TextChoices):
    OPEN = "open", _("Open")
    LICENSED = "licensed", _("Licensed (item texts from a local file)")


class ItemType(models.TextChoices):
    RISK = "risk", _("Risk factor")
    PROTECTIVE = "protective", _("Protective factor")
    NEED = "need", _("Need")
    MOTIVATION = "motivation", _("Motivation")


UNKNOWN = "unknown"  # the rating every scale has: not knowing is a finding


class Instrument(models.Model):
    """A structured-judgement instrument, e.g. Utvei's open guide or a licensed one loaded from a local file."""

    key = models.SlugField(max_length=60, unique=True)
    name_nb = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    licence = models.CharField(max_length=10, choices=Licence.choices)
    publisher = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return (self.name_en or self.name_nb) if english() else (self.name_nb or self.name_en)


class InstrumentVersion(models.Model):
    """One version of an instrument: its scale, domains and items as a snapshot (see instruments.py).

    Fixed once an assessment uses it: a changed definition is a new version, so every assessment keeps the
    items it was made with.
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    checksum = models.CharField(max_length=64)  # sha256 of the canonical definition
    source = models.CharField(max_length=20)  # "data-file" (built in) or "local-file" (loaded by an operator)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument", "version"]
        constraints = [models.UniqueConstraint(fields=["instrument", "version"], name="uniq_instrument_version")]

    def __str__(self) -> str:
        return f"{self.instrument.key} v{self.version}"

    # ---- Reading the definition ----

    @property
    def domains(self) -> list[dict[str, Any]]:
        return list(self.definition.get("domains", []))

    @property
    def scale(self) -> list[dict[str, Any]]:
        return list(self.definition.get("scale", []))

    def scale_codes(self) -> list[str]:
        return [s["code"] for s in self.scale]

    def scale_choices(self) -> list[tuple[str, str]]:
        return [(s["code"], localised(s, "label")) for s in self.scale]

    def items(self) -> list[dict[str, Any]]:
        """Every item, in order, each with the code of its domain."""
        return [{**item, "domain": d["code"]} for d in self.domains for item in d.get("items", [])]

    def item_codes(self) -> list[str]:
        return [i["code"] for i in self.items()]


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class SummaryLevel(models.TextChoices):
    """The level of concern the assessor judges. Entered by a person; never derived from the ratings."""

    LOW = "low", _("Low concern")
    MODERATE = "moderate", _("Moderate concern")
    HIGH = "high", _("High concern")


# Compartments an assessment may be given: never the mentor's or the participant's, which mentors read.
ASSESSMENT_CLASSIFICATIONS = (
    Classification.TEAM,
    Classification.OWN_ORG,
    Classification.POLICE,
    Classification.HEALTH,
)


class Assessment(models.Model):
    """A structured professional judgement of a case with one instrument version. Draft, then final (fixed).

    It carries the fields the access policy reads from any item of a case (author, author_org, classification,
    category), so `access.assessments` reuses the entry decision: compartments and the sharing gate apply.
    """

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    category = DataCategory.ASSESSMENT  # the data category consents and disclosures name; the same for all

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="assessments")
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the last final assessment with the same instrument the author could read, for the comparison
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assessors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    summary_level = models.CharField(_("level of concern"), max_length=10, choices=SummaryLevel.choices, blank=True)
    summary_judgement = EncryptedTextField(_("summary judgement"), blank=True)
    formulation = EncryptedTextField(_("formulation"), blank=True)
    scenarios = EncryptedTextField(_("scenarios"), blank=True)
    management = EncryptedTextField(_("management recommendations"), blank=True)
    changes_since_last = EncryptedTextField(_("what has changed since last time"), blank=True)
    reassessment_due = models.DateField(_("reassess by"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "status", "finalised_at"]),
            models.Index(fields=["status", "reassessment_due"], name="assessment_status_reassess"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_version} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT

    @property
    def is_final(self) -> bool:
        return self.status == AssessmentStatus.FINAL


class AssessmentItem(models.Model):
    """One item of an assessment: the rating, the evidence behind it and how sure the assessor is."""

    data_subject = "assessment__case__person"  # core.crypto: whose data key encrypts this row's values

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20)
    domain = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    rating = models.CharField(_("rating"), max_length=20, blank=True)  # a scale code; blank = not yet rated
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices, blank=True)
    evidence = EncryptedTextField(_("evidence"), blank=True)

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [models.UniqueConstraint(fields=["assessment", "code"], name="uniq_assessment_item")]


class AssessmentRevision(models.Model):
    """Every saved version of a draft and the final one: an encrypted JSON snapshot. Nothing is lost."""

    data_subject = "assessment__case__person"  # core.crypto: whose data key encrypts this row's values

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices)
    snapshot = EncryptedTextField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "version"]
        constraints = [models.UniqueConstraint(fields=["assessment", "version"], name="uniq_assessment_revision")]


class SkipReason(models.TextChoices):
    DECLINED = "declined", _("The person declined to take part in an assessment")
    NOT_PROPORTIONATE = "not_proportionate", _("A structured assessment is not proportionate in this case")
    ASSESSED_ELSEWHERE = "assessed_elsewhere", _("Assessed by another service; the result is not kept in Utvei")
    URGENT = "urgent", _("Measures cannot wait; the assessment follows during planning")
    OTHER = "other", _("Other")


class AssessmentSkip(models.Model):
    """A coordinator's recorded reason for planning without a final assessment (cases.workflow asks for it)."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessment_skips")
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices)
    explanation = EncryptedTextField(_("explanation"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
