"""Organisations, users and memberships (a user's role in one organisation for a period)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class OrgKind(models.TextChoices):
    POLICE = "police", _("Police")
    SECURITY_SERVICE = "security_service", _("Police Security Service (PST)")
    MUNICIPALITY = "municipality", _("Municipality")
    CHILD_WELFARE = "child_welfare", _("Child welfare")
    HEALTH = "health", _("Health service")
    MENTAL_HEALTH = "mental_health", _("Mental health service")
    WELFARE_EMPLOYMENT = "welfare_employment", _("Labour and welfare service (NAV)")
    SCHOOL = "school", _("School")
    CORRECTIONAL_SERVICE = "correctional_service", _("Correctional service")
    NGO = "ngo", _("Voluntary organisation (NGO)")
    FAITH_COMMUNITY = "faith_community", _("Faith community")
    MENTOR_SERVICE = "mentor_service", _("Mentor service")
    RESOURCE_CENTRE = "resource_centre", _("Resource centre (RVTS)")
    OTHER = "other", _("Other")


POLICE_KINDS = frozenset({OrgKind.POLICE, OrgKind.SECURITY_SERVICE})
HEALTH_KINDS = frozenset({OrgKind.HEALTH, OrgKind.MENTAL_HEALTH})


class Organisation(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=OrgKind.choices)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. Staff identity is not case data; names are optional."""

    preferred_language = models.CharField(max_length=5, blank=True)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, at: object = None) -> MembershipQuerySet:
        now = at or timezone.now()
        return self.filter(is_active=True, valid_from__lte=now).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=now)
        )


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership_role"),
        ]
        ordering = ["organisation__name", "role"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        now = timezone.now()
        return self.is_active and self.valid_from <= now and (self.valid_until is None or self.valid_until > now)


class NotificationKind(models.TextChoices):
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access to a case")
    REFERRAL_RECEIVED = "referral_received", _("Referral received")
    REFERRAL_DECIDED = "referral_decided", _("Referral answered")


class Notification(models.Model):
    """A message in a user's own inbox in Utvei, for one of their memberships. It holds no case content:
    the text is made from `kind`, and `case` / `ref` point to what it is about (each link goes through access)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ref = models.UUIDField(null=True, blank=True)  # the public id of the emergency access or referral
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "organisation", "read_at"])]
