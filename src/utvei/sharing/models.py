"""Sharing across organisations. So far: the catalogue of legal bases for sharing without consent, as data.

Consent, disclosures, referrals, transfers and emergency access (issue 3) arrive in later steps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import OrgKind

# Shown wherever the catalogue is shown (page, API, data file header).
COUNSEL_NOTE = _(
    "The texts in this catalogue are short summaries written for Utvei, not the statute text. They must be "
    "checked by legal counsel before they are relied on."
)


class BasisType(models.TextChoices):
    CONSENT = "consent", _("Consent")
    PERMISSION = "permission", _("Permission to share")
    DUTY = "duty", _("Duty to share")
    EMERGENCY = "emergency", _("Emergency")
    ANONYMISED = "anonymised", _("Anonymised")
    # The rule the other entries are exceptions from: listed for context, never usable as a basis.
    CONFIDENTIALITY = "confidentiality", _("Duty of confidentiality (the rule, not a basis)")


class RevisionSource(models.TextChoices):
    DATA_FILE = "data-file", _("Data file")
    ADMIN = "admin", _("Administrator")


def _english() -> bool:
    return (get_language() or "nb").startswith("en")


class LegalBasis(models.Model):
    """One provision practitioners cite for sharing (or for not sharing). Versioned: see LegalBasisRevision."""

    key = models.SlugField(max_length=60, unique=True)
    statute = models.CharField(_("statute"), max_length=120)  # the Norwegian short name, e.g. forvaltningsloven
    statute_en = models.CharField(_("statute (English)"), max_length=160, blank=True)
    provision = models.CharField(_("provision"), max_length=120)  # e.g. "§ 13 b første ledd nr. 5"
    title_nb = models.CharField(_("title (bokmål)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    type = models.CharField(_("type"), max_length=20, choices=BasisType.choices)
    sender_kinds = models.JSONField(_("who may use it"), default=list, blank=True)  # OrgKind values; empty = any
    conditions_nb = models.TextField(_("conditions (bokmål)"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    justification_required = models.BooleanField(_("justification required"), default=False)
    max_duration_days = models.PositiveIntegerField(_("maximum duration (days)"), null=True, blank=True)
    gdpr_frame = models.CharField(_("GDPR frame"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)  # the order of the data file
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")

    def __str__(self) -> str:
        return f"{self.statute} {self.provision}"

    @property
    def display_title(self) -> str:
        return self.title_en if _english() else self.title_nb

    @property
    def display_conditions(self) -> str:
        return self.conditions_en if _english() else self.conditions_nb

    @property
    def display_statute(self) -> str:
        if _english() and self.statute_en:
            return f"{self.statute_en} ({self.statute})"
        return self.statute

    @property
    def sender_kind_labels(self) -> list[str]:
        labels = dict(OrgKind.choices)
        return [str(labels.get(k, k)) for k in self.sender_kinds]


class LegalBasisRevision(models.Model):
    """Every saved version of a legal basis, the first included: a snapshot of all its fields."""

    basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=RevisionSource.choices)

    class Meta:
        ordering = ["basis", "version"]
        constraints = [models.UniqueConstraint(fields=["basis", "version"], name="uniq_legal_basis_version")]
