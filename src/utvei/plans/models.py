"""The toolbox (the measure catalogue, as versioned data) and individual plans: goals, ratings, items, reviews.

A plan is case data of the category "plan". Who reads which part of it is decided in `access.plans`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, OrgKind
from utvei.cases.models import Case, Track
from utvei.core.crypto import EncryptedTextField
from utvei.core.vocabulary import Classification, DataCategory


def english() -> bool:
    return (get_language() or "nb").startswith("en")


# ---- The measure catalogue -----------------------------------------------------------------------------


class Sector(models.TextChoices):
    """The sector that usually provides a measure (the catalogue's main filter)."""

    POLICE = "police", _("Police")
    MUNICIPALITY = "municipality", _("Municipality")
    WELFARE_EMPLOYMENT = "welfare_employment", _("Labour and welfare (NAV)")
    EDUCATION = "education", _("School and education")
    HEALTH = "health", _("Health services")
    CHILD_WELFARE = "child_welfare", _("Child welfare")
    CORRECTIONAL = "correctional_service", _("Correctional service")
    CIVIL_SOCIETY = "civil_society", _("Civil society and voluntary sector")
    FAITH = "faith", _("Faith and belief communities")
    CULTURE_LEISURE = "culture_leisure", _("Culture and leisure")
    MEDIATION = "mediation", _("Mediation service")
    FIRST_LINE = "first_line", _("Any first-line service")


class EvidenceBasis(models.TextChoices):
    """What is known about a measure, in three honest steps. None of them says that a measure works."""

    PRACTICE = "practice", _("Practice experience; not evaluated in exit work")
    RELATED_FIELDS = "related_fields", _("Studied in related fields, not in exit work")
    FEW_STUDIES = "few_studies", _("A few small studies in this field; no reliable estimate of effect")


class RevisionSource(models.TextChoices):
    DATA_FILE = "data-file", _("Data file")
    LOCAL = "local", _("Coordinator (local measure)")


class Measure(models.Model):
    """One measure in the toolbox. National ones come from plans/data/measures.yaml; local ones are added by a
    coordinator and belong to that coordinator's organisation. Versioned: see MeasureRevision."""

    key = models.SlugField(max_length=80, unique=True)
    name_nb = models.CharField(_("name (bokmål)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_nb = models.TextField(_("description (bokmål)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    tracks = models.JSONField(_("tracks"), default=list, blank=True)  # Track values
    provider_kinds = models.JSONField(_("provided by"), default=list, blank=True)  # OrgKind values
    duration_nb = models.CharField(_("typical duration (bokmål)"), max_length=200, blank=True)
    duration_en = models.CharField(_("typical duration (English)"), max_length=200, blank=True)
    evidence_basis = models.CharField(_("what is known"), max_length=20, choices=EvidenceBasis.choices)
    evidence_nb = models.TextField(_("evidence note (bokmål)"))
    evidence_en = models.TextField(_("evidence note (English)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    owner_org = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="local_measures"
    )  # null: the national catalogue (the data file)
    position = models.PositiveIntegerField(default=0)  # the order of the data file; local ones after
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")

    def __str__(self) -> str:
        return self.name

    @property
    def is_local(self) -> bool:
        return self.owner_org_id is not None

    @property
    def name(self) -> str:
        return self.name_en if english() and self.name_en else self.name_nb

    @property
    def description(self) -> str:
        return self.description_en if english() and self.description_en else self.description_nb

    @property
    def duration(self) -> str:
        return self.duration_en if english() and self.duration_en else self.duration_nb

    @property
    def evidence(self) -> str:
        return self.evidence_en if english() and self.evidence_en else self.evidence_nb

    @property
    def track_labels(self) -> list[str]:
        labels = dict(Track.choices)
        return [str(labels.get(t, t)) for t in self.tracks]

    @property
    def provider_labels(self) -> list[str]:
        labels = dict(OrgKind.choices)
        return [str(labels.get(k, k)) for k in self.provider_kinds]


class MeasureRevision(models.Model):
    """Every saved version of a measure, the first included: a snapshot of all its fields."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=RevisionSource.choices)

    class Meta:
        ordering = ["measure", "version"]
        constraints = [models.UniqueConstraint(fields=["measure", "version"], name="uniq_measure_version")]


# ---- Individual plans ----------------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class Participation(models.TextChoices):
    NOT_RECORDED = "", _("Not recorded")
    PERSON = "person", _("The person took part")
    GUARDIAN = "guardian", _("A guardian took part")
    PERSON_AND_GUARDIAN = "person_and_guardian", _("The person and a guardian took part")
    DID_NOT_TAKE_PART = "did_not_take_part", _("The person did not take part")


class GoalDomain(models.TextChoices):
    HOUSING = "housing", _("Housing")
    WORK = "work", _("Work and income")
    EDUCATION = "education", _("School and education")
    HEALTH = "health", _("Health and well-being")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    FAMILY = "family", _("Family and close relations")
    NETWORK = "network", _("Friends, network and leisure")
    FINANCES = "finances", _("Money and debt")
    IDENTITY = "identity", _("Identity, beliefs and attitudes")
    SAFETY = "safety", _("Safety")
    JUSTICE = "justice", _("Courts, prison and release")
    PRACTICAL = "practical", _("Practical matters and public services")
    OTHER = "other", _("Other")


class Attainment(models.IntegerChoices):
    """Goal attainment scaling: 0 is the expected outcome the goal describes."""

    MUCH_LESS = -2, _("−2 Much less than expected")
    LESS = -1, _("−1 Somewhat less than expected")
    EXPECTED = 0, _("0 As expected")
    MORE = 1, _("+1 Somewhat more than expected")
    MUCH_MORE = 2, _("+2 Much more than expected")


class StopReason(models.TextChoices):
    """Why a measure stopped before it was done: what evaluators need to relate outcomes to what was received."""

    GOAL_REACHED = "goal_reached", _("Goal reached early")
    DECLINED = "declined", _("The person declined to go on")
    NO_SHOW = "no_show", _("The person stopped turning up")
    NOT_SUITABLE = "not_suitable", _("Not suitable after all")
    PROVIDER = "provider", _("The provider could not go on")
    MOVED = "moved", _("The person moved")
    CUSTODY = "custody", _("Custody or prison")
    OTHER = "other", _("Other")


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    DONE = "done", _("Done")
    STOPPED = "stopped", _("Stopped")


# A plan is for the person: by default it may be shown to them (and so to mentors). `team` keeps it from mentors.
PLAN_CLASSIFICATIONS = (Classification.PARTICIPANT, Classification.MENTOR, Classification.TEAM)
# Items in these states count as "in use" in the catalogue.
ITEM_IN_USE = (ItemStatus.PLANNED, ItemStatus.ONGOING)


class Plan(models.Model):
    """One version of a case's individual plan. At most one draft and one approved version per case; approving a
    draft supersedes the approved one. `number` is the plan's version as users see it; `version` guards writes."""

    data_subject = "case__person"  # core.crypto: whose data key encrypts this row's values

    category = DataCategory.PLAN  # for the sharing gate: a plan is data of the category "plan"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField(_("plan version"))
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, default=Classification.PARTICIPANT
    )
    participation = models.CharField(
        _("participation"), max_length=20, choices=Participation.choices, blank=True, default=""
    )
    participation_note = EncryptedTextField(_("about the participation"), blank=True)
    review_due = models.DateField(_("next review"), null=True, blank=True)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-number"]
        indexes = [models.Index(fields=["status", "review_due"], name="plan_status_review")]  # overdue reviews
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="uniq_plan_number"),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="draft"), name="uniq_plan_draft_per_case"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="approved"), name="uniq_plan_approved_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_approved(self) -> bool:
        return self.status == PlanStatus.APPROVED

    @property
    def review_overdue(self) -> bool:
        return self.is_approved and self.review_due is not None and self.review_due < timezone.localdate()


class PlanReview(models.Model):
    """A review of the approved plan: when, by whom, and the next review date it set."""

    data_subject = "plan__case__person"  # core.crypto: whose data key encrypts this row's values

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"), blank=True)
    next_review_due = models.DateField(_("next review"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reviewed_on", "pk"]


class Goal(models.Model):
    """A goal in the person's own words, with a domain and a target date. Ratings follow it over time."""

    data_subject = "plan__case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    position = models.PositiveIntegerField(default=0)
    text = EncryptedTextField(_("goal, in the person's own words"))
    domain = models.CharField(_("domain"), max_length=20, choices=GoalDomain.choices)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    origin = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]


class RatingSource(models.TextChoices):
    """Who rated: someone on the team, or the person themselves on their own page (docs/participant.md)."""

    TEAM = "team", _("The team")
    PERSON = "person", _("The person")


class GoalRating(models.Model):
    """One goal-attainment rating (−2…+2) on a date, by someone. A new plan version copies a goal's ratings."""

    data_subject = "goal__plan__case__person"  # core.crypto: whose data key encrypts this row's values

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    rating = models.SmallIntegerField(_("rating"), choices=Attainment.choices)
    rated_on = models.DateField(_("rated on"))
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The person's own rating is kept with the organisation that owns the case (they belong to none).
    rated_by_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("rated by"), max_length=8, choices=RatingSource.choices, default=RatingSource.TEAM)
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rated_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=-2) & models.Q(rating__lte=2), name="goal_rating_range"
            )
        ]


class PlanItem(models.Model):
    """A measure from the catalogue, linked to a goal, with who is responsible, dates and status."""

    data_subject = "plan__case__person"  # core.crypto: whose data key encrypts this row's values

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="plan_items")
    goal = models.ForeignKey(Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    responsible_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="plan_items"
    )
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    # Exposure, for the evidence engine: why it stopped, and the dose (sessions planned and held).
    stop_reason = models.CharField(_("why it stopped"), max_length=14, choices=StopReason.choices, blank=True)
    sessions_planned = models.PositiveSmallIntegerField(_("sessions planned"), null=True, blank=True)
    sessions_held = models.PositiveSmallIntegerField(_("sessions held"), null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    origin = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["measure", "status"]), models.Index(fields=["responsible_user", "status"])]
