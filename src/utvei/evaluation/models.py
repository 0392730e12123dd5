"""The evidence engine: outcome indicators as versioned data, measurements at occasions, outcome events,
follow-ups after closure, evaluations that organisations join, and the privacy-budget ledger.

Measurements and outcome events are case data with a data category and a classification, read through the same
gate as timeline entries (`access.evaluation`). Both are append-only: a correction is a newer record (`corrects`),
so nothing is overwritten. Analytics read them only to compute protected aggregates (evaluation/analytics.py);
no person-level row ever leaves for an analyst.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory


def english() -> bool:
    return (get_language() or "nb").startswith("en")


# ---- Indicators (the catalogue) ------------------------------------------------------------------------


class Scale(models.TextChoices):
    """How an indicator is measured. Ordinal and stage scales have labelled levels; all are numbers."""

    ORDINAL = "ordinal", _("Ordinal scale with labelled levels")
    COUNT = "count", _("Count")
    BINARY = "binary", _("Yes or no")
    PERCENT = "percent", _("Percentage")


class Direction(models.TextChoices):
    """Which way is improvement. Evaluators read change in this direction; it is not a judgement of the person."""

    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class IndicatorSource(models.TextChoices):
    """Where the value comes from: a worker's rating, the person's self-report, or derived from other records."""

    WORKER = "worker", _("Worker")
    SELF_REPORT = "self_report", _("Self-report by the person")
    DERIVED = "derived", _("Derived from the case record")


class Indicator(models.Model):
    """One outcome indicator, from evaluation/data/indicators.yaml (`utvei indicators sync`)."""

    key = models.SlugField(max_length=60, unique=True)
    name_nb = models.CharField(_("name (bokmål)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_nb = models.TextField(_("description (bokmål)"))
    description_en = models.TextField(_("description (English)"))
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices)
    min_value = models.IntegerField(_("lowest value"))
    max_value = models.IntegerField(_("highest value"))
    levels = models.JSONField(_("labelled levels"), default=list, blank=True)  # [{value, nb, en}]
    direction = models.CharField(_("improvement"), max_length=8, choices=Direction.choices)
    category = models.CharField(_("data category"), max_length=12, choices=DataCategory.choices)
    sources = models.JSONField(_("who may record it"), default=list)  # IndicatorSource values
    tracks = models.JSONField(_("tracks"), default=list)  # Track values where it applies
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if english() else self.name_nb

    @property
    def description(self) -> str:
        return self.description_en if english() else self.description_nb

    def level_label(self, value: float | None) -> str:
        if value is None:
            return ""
        for level in self.levels:
            if level["value"] == value:
                return str(level["en"] if english() else level["nb"])
        if self.scale == Scale.BINARY:
            return str(_("Yes") if value else _("No"))
        return f"{value:g}"

    def level_choices(self) -> list[tuple[int, str]]:
        if self.levels:
            return [(int(lv["value"]), str(lv["en"] if english() else lv["nb"])) for lv in self.levels]
        if self.scale == Scale.BINARY:
            return [(0, str(_("No"))), (1, str(_("Yes")))]
        return []


class IndicatorRevision(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, default="data-file")

    class Meta:
        ordering = ["indicator", "version"]
        constraints = [models.UniqueConstraint(fields=["indicator", "version"], name="uniq_indicator_version")]


# ---- Follow-up after closure ----------------------------------------------------------------------------


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")


class MissedReason(models.TextChoices):
    NO_CONTACT = "no_contact", _("No contact")
    DECLINED = "declined", _("Declined")
    MOVED = "moved", _("Moved")
    DECEASED = "deceased", _("Deceased")


class FollowUp(models.Model):
    """A follow-up 6, 12 or 24 months after the measures ended. It stays open for recording after the case is
    closed, for the case lead and the named owner, without reopening the case."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    months = models.PositiveSmallIntegerField(_("months after the measures ended"))
    due_on = models.DateField(_("due"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up owner"),
    )
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING)
    missed_reason = models.CharField(_("why it was missed"), max_length=12, choices=MissedReason.choices, blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_on", "months"]
        constraints = [models.UniqueConstraint(fields=["case", "months"], name="uniq_follow_up_case_months")]
        indexes = [models.Index(fields=["status", "due_on"])]

    @property
    def occasion(self) -> str:
        return f"follow_up_{self.months}"


# ---- Measurements and outcome events --------------------------------------------------------------------


class Occasion(models.TextChoices):
    INTAKE = "intake", _("Intake (baseline)")
    REVIEW = "review", pgettext_lazy("occasion", "Review")
    CLOSURE = "closure", _("Closure")
    FOLLOW_UP_6 = "follow_up_6", _("Follow-up after 6 months")
    FOLLOW_UP_12 = "follow_up_12", _("Follow-up after 12 months")
    FOLLOW_UP_24 = "follow_up_24", _("Follow-up after 24 months")


FOLLOW_UP_OCCASIONS = (Occasion.FOLLOW_UP_6, Occasion.FOLLOW_UP_12, Occasion.FOLLOW_UP_24)
# The order of occasions in time, for tables and for "the latest measurement".
OCCASION_ORDER = {value: i for i, value in enumerate(Occasion.values)}


class Measurement(models.Model):
    """One value of one indicator for one case at one occasion. Append-only; a correction is a newer measurement
    that names the one it corrects. The data category is the indicator's, copied when recorded."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measurements")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="measurements")
    indicator_version = models.PositiveIntegerField()
    occasion = models.CharField(_("occasion"), max_length=14, choices=Occasion.choices)
    measured_on = models.DateField(_("date"))
    value = models.FloatField(_("value"))
    source = models.CharField(_("source"), max_length=12, choices=IndicatorSource.choices)
    category = models.CharField(max_length=12, choices=DataCategory.choices)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    note = EncryptedTextField(_("note"), blank=True)
    follow_up = models.ForeignKey(FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["measured_on", "created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "indicator", "occasion"]),
            models.Index(fields=["indicator", "occasion"]),
        ]


class OutcomeKind(models.TextChoices):
    RE_ENGAGEMENT = "re_engagement", _("Re-engagement with the milieu")
    EXTREMIST_OFFENCE = "extremist_offence", _("Extremist offence")
    OTHER_OFFENCE = "other_offence", _("Other offence")
    VIOLENCE = "violence", _("Violence")
    THREATS = "threats", _("Threats from the milieu")
    WORK = "work", _("Started work")
    EDUCATION = "education", _("Started education")
    HOUSING = "housing", _("Housing secured")


# The data category each kind of event is: offences are criminal-offence data (GDPR Art. 10).
OUTCOME_CATEGORY = {
    OutcomeKind.RE_ENGAGEMENT: DataCategory.IDEOLOGY,
    OutcomeKind.EXTREMIST_OFFENCE: DataCategory.CRIMINAL,
    OutcomeKind.OTHER_OFFENCE: DataCategory.CRIMINAL,
    OutcomeKind.VIOLENCE: DataCategory.CRIMINAL,
    OutcomeKind.THREATS: DataCategory.NETWORK,
    OutcomeKind.WORK: DataCategory.PLAN,
    OutcomeKind.EDUCATION: DataCategory.PLAN,
    OutcomeKind.HOUSING: DataCategory.PLAN,
}
# Events that count as the end point "re-engagement" of the time-to-event curves.
ADVERSE_OUTCOMES = (OutcomeKind.RE_ENGAGEMENT, OutcomeKind.EXTREMIST_OFFENCE)


class OutcomeSource(models.TextChoices):
    WORKER = "worker", _("Worker's own knowledge")
    PERSON = "person", _("The person said so")
    POLICE = "police", _("Police information")
    REGISTER = "register", _("Register check")
    OTHER_AGENCY = "other_agency", _("Another agency")


class OutcomeEvent(models.Model):
    """Something that happened to the person that evaluation counts, dated, with its source. Append-only."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcome_events")
    kind = models.CharField(_("what happened"), max_length=20, choices=OutcomeKind.choices)
    occurred_on = models.DateField(_("when"))
    source = models.CharField(_("source"), max_length=14, choices=OutcomeSource.choices)
    category = models.CharField(max_length=12, choices=DataCategory.choices)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.TEAM
    )
    note = EncryptedTextField(_("note"), blank=True)
    follow_up = models.ForeignKey(FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_on", "created_at", "pk"]
        indexes = [models.Index(fields=["case", "kind", "occurred_on"])]


# ---- Evaluations: learning across organisations ----------------------------------------------------------


class Evaluation(models.Model):
    """A named, dated agreement to learn together: the organisations that join pool their statistics, computed
    inside Utvei; analysts of a member organisation see aggregates over all members, never a row."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    epsilon_budget = models.FloatField(_("privacy budget (ε)"), default=2.0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class EvaluationMember(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="evaluations")
    joined_at = models.DateTimeField(default=timezone.now)
    joined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "organisation"],
                condition=models.Q(left_at__isnull=True),
                name="uniq_evaluation_member",
            )
        ]


# ---- Differential privacy: the ledger ---------------------------------------------------------------------


class PrivacyRelease(models.Model):
    """One differentially private release, spending ε of its dataset's budget. The ledger is the sum of these per
    dataset key; a release past the budget is refused before anything is computed (services.dp_release)."""

    dataset = models.CharField(max_length=120)  # e.g. "org:fjordvik" or "evaluation:<uuid>"
    query = models.CharField(max_length=120)
    epsilon = models.FloatField()
    result = models.JSONField()
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-released_at", "-pk"]
        indexes = [models.Index(fields=["dataset"])]


class PrivacyBudget(models.Model):
    """The total ε a dataset may spend. A row per dataset, locked while a release is recorded."""

    dataset = models.CharField(max_length=120, unique=True)
    epsilon_total = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)


class ResearchExtract(models.Model):
    """A pseudonymised research extract that was released: what, for whom, how generalised. The rows are not
    kept; the key that made the pseudonyms is thrown away after the release, so no two extracts can be joined."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField()
    k = models.PositiveSmallIntegerField()
    levels = models.JSONField(default=dict)
    excluded_without_consent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-released_at"]
