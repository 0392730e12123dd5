"""The bench server's site (utvei.tools.benchsite): a bare logged-in view that production does not have, and the
bench-only switch that turns the audit write off."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from utvei.audit import services
from utvei.audit.models import AuditEvent
from utvei.tools.benchsite.switch import turn_off_audit_write


def test_production_has_no_bare_view():
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare")


def test_the_bench_urls_add_a_bare_view_that_needs_a_session(client_for: Any, settings: Any):
    settings.ROOT_URLCONF = "utvei.tools.benchsite.urls"
    assert Client().get("/bench/bare/").status_code == 302  # to the login page
    response = client_for("kari").get("/bench/bare/")
    assert response.status_code == 200 and response.content == b"ok"
    assert client_for("kari").get("/cases/").status_code == 200  # and every page of Utvei's


def test_the_switch_turns_the_audit_write_into_a_no_op(world: Any, monkeypatch: Any):
    monkeypatch.setattr(services, "_append", services._append)  # put back after the test
    before = AuditEvent.objects.count()
    services.audit_by(world.m["kari"], "case.list", object_type="case")
    assert AuditEvent.objects.count() == before + 1
    turn_off_audit_write()
    event = services.audit_by(world.m["kari"], "case.list", object_type="case")
    assert event.pk is None and AuditEvent.objects.count() == before + 1
    assert services.audit_record_many([{"action": "case.list"}, {"action": "case.view"}]) == 2
    assert AuditEvent.objects.count() == before + 1
