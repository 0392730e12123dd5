"""Two scans at once (the worker's and `utvei alerts scan`) queue each alert once: the scan's row serialises them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from utvei.audit.models import AuditHead
from utvei.oversight.detector import alerts_scan
from utvei.oversight.models import AccessAlert, AlertScan

from .helpers import event, local, only


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_queue_each_alert_once(world, monkeypatch):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's shared-cache in-memory test database refuses a second writer; run on PostgreSQL")
    AuditHead.objects.get_or_create(pk=1)
    for day in range(2, 7):
        event(monkeypatch, local(2026, 3, day, 22), world.m["ola"])
    rules = only("outside_office_hours")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def scan() -> None:
        try:
            start.wait()
            alerts_scan(rules=rules, batch=2)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AccessAlert.objects.count() == 5
    assert AlertScan.objects.count() == 1
