"""The dashboard: what each role finds on the first page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.cases import services
from utvei.cases.models import Urgency


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_coordinator_sees_tasks_cases_and_intake_count(world, browse):
    case = world.open_case()
    kari = world.m["kari"]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.task_create(actor=kari, case=case, title="Ring skolen", assignee=kari.user, due_on=yesterday)
    services.task_create(actor=kari, case=case, title="Planlegg møte", assignee=kari.user)
    services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description="Bekymring", urgency=Urgency.SOON
    )
    body = browse("kari").get("/").content.decode()
    assert "Ring skolen" in body and "Planlegg møte" in body
    assert "Overdue" in body and "1 task is overdue." in body
    assert case.reference in body
    assert "1 concern waits for triage." in body


def test_reporter_sees_receipts_and_nothing_of_cases(world, browse):
    world.open_case()
    concern = services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description="Bekymring"
    )
    body = browse("rolf").get("/").content.decode()
    assert concern.reference in body
    assert "My open tasks" not in body and "My cases" not in body
    assert 'href="/cases/"' not in body


@pytest.mark.parametrize("username", ["dina", "anna", "adam"])
def test_roles_without_case_content_get_a_plain_page(world, browse, username):
    world.open_case()
    response = browse(username).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your role gives no access to the content of cases." in body
    assert "My cases" not in body


def test_a_user_without_an_active_membership_gets_a_friendly_page(world, browse):
    client = browse("ola")
    Membership.objects.filter(pk=world.m["ola"].pk).update(is_active=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "no active membership" in response.content.decode()
    assert client.get("/cases/").status_code == 404


def test_the_dashboard_has_one_h1_and_a_skip_link(world, browse):
    body = browse("kari").get("/").content.decode()
    assert body.count("<h1") == 1
    assert 'class="skip-link" href="#main"' in body
