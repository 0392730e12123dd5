from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class BenchsiteConfig(AppConfig):
    name = "utvei.tools.benchsite"
    label = "benchsite"

    def ready(self) -> None:
        if not getattr(settings, "UTVEI_BENCH_AUDIT_WRITE", True):
            from .switch import turn_off_audit_write  # it imports the audit services: only once the apps are ready

            turn_off_audit_write()
