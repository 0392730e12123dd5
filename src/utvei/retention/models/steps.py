"""What the retention run did to a case, under which rule and which version of the rules."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.cases.models import Case


class Step(models.TextChoices):
    RESTRICT = "restrict", _("Restrict")
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")
    ARCHIVE = "archive", _("Export for archiving")


class RetentionStep(models.Model):
    """One step the retention run took on a case: the rule (its id in rules.yaml), the rules' version, the date it
    was due. A deleted case takes its steps with it; the audit log keeps the ids and codes (docs/retention.md)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="retention_steps")
    step = models.CharField(max_length=12, choices=Step.choices)
    rule_id = models.CharField(max_length=60)
    rules_version = models.PositiveIntegerField()
    due_on = models.DateField()
    taken_at = models.DateTimeField(default=timezone.now)
    archive_file = models.CharField(max_length=200, blank=True)  # the file's name under UTVEI_ARCHIVE_DIR

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="retention_step_once")]
