"""The bench server's switch: the audit write turned into a no-op (apps.py calls it when UTVEI_BENCH_AUDIT_WRITE=0).
Only the bench server loads this app; production never imports this module."""

from __future__ import annotations

import logging
from typing import Any

from utvei.audit import services
from utvei.audit.models import AuditEvent

logger = logging.getLogger("utvei.bench")


def turn_off_audit_write() -> None:
    """Bench server only: every audit write a page makes (audit_record, audit_by, audit_record_many all end in
    `audit.services._append`) builds its events and stores none, so a page costs what it costs without the write.
    (audit_record_bulk, for bulk loads, no page calls.)"""
    if not callable(getattr(services, "_append", None)):
        raise RuntimeError("utvei.audit.services._append is gone: update utvei/tools/benchsite/switch.py")

    def no_write(rows: list[dict[str, Any]]) -> list[AuditEvent]:
        return [AuditEvent(action=str(row["action"])) for row in rows]

    services._append = no_write
    logger.warning("bench server: the audit write is turned off (UTVEI_BENCH_AUDIT_WRITE=0)")
