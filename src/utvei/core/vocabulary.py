"""The words every app shares about case data: who may read an item (its classification) and what kind of
personal data it is (its category, which consents and disclosures name). Kept here, on the ground floor, so any app
may use them without importing another domain app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    TEAM = "team", _("Team")
    OWN_ORG = "own_org", _("Own organisation only")
    POLICE = "police", _("Police only")
    HEALTH = "health", _("Health personnel only")
    MENTOR = "mentor", _("Team and mentor")
    PARTICIPANT = "participant", _("May be shown to the person")


class DataCategory(models.TextChoices):
    IDENTITY = "identity", _("Identity")
    CONCERN = "concern", _("Concern")
    IDEOLOGY = "ideology", _("Ideology")
    ASSESSMENT = "assessment", _("Assessment")
    HEALTH = "health", _("Health")
    CRIMINAL = "criminal", _("Criminal matters")
    PLAN = "plan", _("Plan and measures")
    NETWORK = "network", _("Network")
    FAMILY = "family", _("Family")
