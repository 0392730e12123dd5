"""Sharing across organisations: the catalogue of legal bases for sharing without consent, as data; consents;
disclosures under a legal basis.

Consents and disclosures are what the access gate (access.policy.sharing_basis) asks for before content crosses
organisations; referrals and transfers between organisations; emergency access (break-the-glass).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, OrgKind
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import DataCategory

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


class LegalBasisNote(models.Model):
    """An organisation's own note on a basis of the national catalogue (its routine, its contact, its counsel's
    advice). The catalogue itself changes only through its data file; an organisation adds to it here, for its own
    people. Versioned: a stale version is a conflict."""

    basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="notes")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("local note"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["basis", "organisation"], name="uniq_legal_basis_note")]


# ---- Consent -------------------------------------------------------------------------------------------


class GivenBy(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("A guardian")


class Purpose(models.TextChoices):
    COORDINATION = "coordination", _("Coordination")
    MEASURES = "measures", _("Measures")
    EVALUATION_RESEARCH = "evaluation_research", _("Evaluation and research")


class Evidence(models.TextChoices):
    SIGNED_FORM = "signed_form", _("Signed form")
    ORAL = "oral", _("Oral")
    DIGITAL = "digital", _("Digital")


CONSENT_TEXT_VERSION = "samtykke-v1"


def _active(start: dt.datetime, until: dt.datetime | None, ended: dt.datetime | None, at: dt.datetime) -> bool:
    """In force at `at`: started, not past `until`, not ended (withdrawn or revoked)."""
    return start <= at and (until is None or at < until) and (ended is None or at < ended)


class Consent(models.Model):
    """The person's (or a guardian's) consent to share: organisations and/or kinds × categories × purposes."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consents")
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    guardian_name = EncryptedTextField(_("guardian"), blank=True)
    scope_orgs = models.ManyToManyField(Organisation, blank=True, related_name="+")
    scope_kinds = models.JSONField(_("organisation kinds"), default=list, blank=True)  # OrgKind values
    categories = models.JSONField(_("data categories"), default=list)  # DataCategory values
    purposes = models.JSONField(_("purposes"), default=list)  # Purpose values
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_note = EncryptedTextField(_("withdrawal note"), blank=True)
    evidence = models.CharField(_("evidence"), max_length=12, choices=Evidence.choices)
    evidence_note = EncryptedTextField(_("evidence note"), blank=True)
    text_version = models.CharField(_("consent text version"), max_length=40, default=CONSENT_TEXT_VERSION)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "withdrawn_at"])]

    def is_active(self, at: dt.datetime | None = None) -> bool:
        return _active(self.valid_from, self.valid_until, self.withdrawn_at, at or timezone.now())

    def scope_org_ids(self) -> set[int]:
        """The organisations in scope; no query when `scope_orgs` is prefetched."""
        return {o.pk for o in self.scope_orgs.all()}

    def covers(self, org: Organisation, category: str, purpose: str, at: dt.datetime | None = None) -> bool:
        """Does this consent let `org` receive `category` for `purpose` at `at`? Query-free with scope_orgs
        prefetched (`prefetch_related("scope_orgs")`)."""
        if not self.is_active(at) or category not in self.categories or purpose not in self.purposes:
            return False
        return org.kind in self.scope_kinds or org.pk in self.scope_org_ids()


# ---- Disclosure ----------------------------------------------------------------------------------------


class Disclosure(models.Model):
    """A share from one organisation to another under a legal basis, without consent."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="disclosures")
    from_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    to_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    categories = models.JSONField(_("data categories"), default=list)  # DataCategory values
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="disclosures")
    basis_version = models.PositiveIntegerField()  # the version of the basis the decision was made under
    justification = EncryptedTextField(_("justification"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["case", "to_org", "revoked_at"])]

    def is_active(self, at: dt.datetime | None = None) -> bool:
        return _active(self.decided_at, self.expires_at, self.revoked_at, at or timezone.now())

    @property
    def anonymised(self) -> bool:
        """Made under a basis for sharing without identity: it never carries the person's identity, whatever
        categories it names (a disclosure recorded before that rule may name identity; it still does not carry it).
        Load with `select_related("legal_basis")`."""
        return self.legal_basis.type == BasisType.ANONYMISED

    def covers(self, org: Organisation | Any, category: str, at: dt.datetime | None = None) -> bool:
        """Does this disclosure let `org` receive `category` at `at`? No queries with the basis loaded."""
        org_id = getattr(org, "pk", org)
        if category == DataCategory.IDENTITY and self.anonymised:
            return False
        return self.to_org_id == org_id and category in self.categories and self.is_active(at)


# ---- Referrals and transfers ---------------------------------------------------------------------------


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER = "transfer", _("Transfer of ownership")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")


class ReferralBasis(models.TextChoices):
    CONSENT = "consent", _("The person's consent")
    LEGAL_BASIS = "legal_basis", _("A legal basis")


class Referral(models.Model):
    """A referral of a case from one organisation to another, or a transfer of its ownership (the person moves).

    It names the data categories that go with it and their basis: the person's consent (which must cover the
    recipient for every category) or a legal basis from the catalogue (recorded as a Disclosure on acceptance).
    The recipient organisation accepts or declines. Accepting a referral adds the accepting user to the team in
    the limited role `referral`; accepting a transfer makes the recipient the owner and ends the old owner's
    team memberships, except those the sender chose to keep.
    """

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(_("kind"), max_length=10, choices=ReferralKind.choices, default=ReferralKind.REFERRAL)
    from_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    to_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_received")
    categories = models.JSONField(_("data categories"), default=list)  # DataCategory values
    basis = models.CharField(_("basis"), max_length=12, choices=ReferralBasis.choices)
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    basis_version = models.PositiveIntegerField(null=True, blank=True)
    justification = EncryptedTextField(_("justification"), blank=True)
    message = EncryptedTextField(_("message to the recipient"), blank=True)
    keep_team_members = models.JSONField(default=list, blank=True)  # transfer: TeamMember ids that stay
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField(_("note on the decision"), blank=True)
    team_member = models.ForeignKey(
        "cases.TeamMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["to_org", "status"]),
            models.Index(fields=["case", "status"]),
        ]

    @property
    def is_open(self) -> bool:
        return self.status == ReferralStatus.SENT


# ---- Emergency access (break-the-glass) ----------------------------------------------------------------


class EmergencyReason(models.TextChoices):
    LIFE_HEALTH = "life_health", _("Danger to someone's life or health")
    ACUTE_VIOLENCE = "acute_violence", _("Acute risk of violence or a terrorist act")
    CHILD_AT_RISK = "child_at_risk", _("A child at serious risk")
    MISSING = "missing", _("The person is missing")
    OTHER = "other", _("Other emergency")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    FLAGGED = "flagged", _("Flagged")


EMERGENCY_HOURS_DEFAULT = 4


class EmergencyAccess(models.Model):
    """Break-the-glass: a user outside the case opens it for a limited window, with a reason code and a text.

    While active it is a relation to the case (access.policy.relation) and a basis for reading what the
    classification admits. The case lead and the data protection officer are notified; the DPO reviews every use.
    """

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="emergency_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    reason_code = models.CharField(_("reason"), max_length=20, choices=EmergencyReason.choices)
    reason_text = EncryptedTextField(_("what is happening"))
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # closed early by the user
    review_status = models.CharField(
        _("review"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), blank=True)
    # The person has a protected identity: the DPO reviews this use first (issue 14, deliverable 5).
    priority = models.BooleanField(_("priority review"), default=False)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "user", "organisation", "expires_at"]),
            models.Index(fields=["review_status", "started_at"]),
        ]

    def is_active(self, at: dt.datetime | None = None) -> bool:
        return _active(self.started_at, self.expires_at, self.ended_at, at or timezone.now())
