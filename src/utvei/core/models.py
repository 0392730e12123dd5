"""Shared kernel models."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone


class Counter(models.Model):
    """Gap-tolerant yearly counters for human references (UTV-2026-000123)."""

    name = models.CharField(max_length=20)
    year = models.IntegerField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="uniq_counter")]


def next_reference(prefix: str) -> str:
    year = timezone.localdate().year
    with transaction.atomic():
        Counter.objects.get_or_create(name=prefix, year=year)
        counter = Counter.objects.select_for_update().get(name=prefix, year=year)
        counter.value += 1
        counter.save(update_fields=["value"])
    return f"{prefix}-{year}-{counter.value:06d}"
