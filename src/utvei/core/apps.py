from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _statistics(sender: AppConfig, **kwargs: Any) -> None:
    from .db import refresh_statistics

    if sender.label == "core":  # once per migrate, not once per app
        refresh_statistics()


class CoreConfig(AppConfig):
    name = "utvei.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(_statistics, sender=self)
