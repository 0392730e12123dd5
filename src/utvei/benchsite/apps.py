from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("utvei.bench")


class BenchsiteConfig(AppConfig):
    name = "utvei.benchsite"
    label = "benchsite"

    def ready(self) -> None:
        if not getattr(settings, "UTVEI_BENCH_AUDIT_WRITE", True):
            turn_off_audit_write()


def turn_off_audit_write() -> None:
    """Bench server only: every audit write (audit_record, audit_by, audit_record_many all end in
    `audit.services._append`) builds its events and stores none, so a page costs what it costs without the write."""
    from utvei.audit import services
    from utvei.audit.models import AuditEvent

    if not callable(getattr(services, "_append", None)):
        raise RuntimeError("utvei.audit.services._append is gone: update utvei/benchsite/apps.py")

    def no_write(rows: list[dict[str, Any]]) -> list[AuditEvent]:
        return [AuditEvent(action=str(row["action"])) for row in rows]

    services._append = no_write
    logger.warning("bench server: the audit write is turned off (UTVEI_BENCH_AUDIT_WRITE=0)")
