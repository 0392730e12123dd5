"""The dashboard's "Needs attention": what is overdue on the cases the user leads, through access."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reminders.conftest import days_ago
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import Case
from utvei.core.vocabulary import Classification

SECTION = "Needs attention"


def section(body: str) -> str:
    """The section's HTML, or '' when the page has none."""
    start = body.find('aria-labelledby="attention-h"')
    if start < 0:
        return ""
    return body[start : body.find("</section>", start)]


def test_the_lead_sees_the_overdue_review_with_a_link_and_its_date(rw, browse):
    plan = rw.review(days=5)
    body = browse("kari").get("/").content.decode()
    assert SECTION in body
    html = section(body)
    assert rw.case.reference in html
    assert f'href="/cases/{rw.case.public_id}/plans/{plan.public_id}/"' in html
    assert "Overdue plan review" in html
    assert f'datetime="{days_ago(5).isoformat()}"' in html


def test_the_lead_sees_each_kind_under_the_case_and_no_content(rw, browse):
    task = rw.task(title="HEMMELIG-OPPGAVE")
    rw.review()
    a = rw.reassessment()
    html = section(browse("kari").get("/").content.decode())
    assert html.count(rw.case.reference) == 4  # the case link, and each item's link text for screen readers
    assert f"#task-{task.public_id}" in html and f"/assessments/{a.public_id}/" in html
    assert "Overdue task" in html and "Overdue reassessment" in html
    assert "HEMMELIG-OPPGAVE" not in html  # what is overdue, never its content
    assert html.count(rw.case.person.full_name) == 1  # who it is about: the lead may read the identity (issue 13)


def test_nothing_overdue_means_no_section(rw, browse):
    rw.task(days=0)
    assert SECTION not in browse("kari").get("/").content.decode()


@pytest.mark.parametrize("username", ["ola", "per", "mona", "atle", "kjell"])
def test_only_the_lead_sees_it(rw, browse, username):
    rw.task(assignee="ola")
    rw.review()
    assert SECTION not in browse(username).get("/").content.decode()


def test_a_mentor_lead_sees_only_their_own_task(rw, browse):
    mine = rw.task(assignee="mona")
    rw.task(assignee="ola")
    rw.review()
    Case.objects.filter(pk=rw.case.pk).update(lead=rw.m["mona"].user)
    html = section(browse("mona").get("/").content.decode())
    assert f"#task-{mine.public_id}" in html
    assert html.count("<li data-kind=") == 1


def test_a_police_only_assessment_does_not_show_to_a_municipal_lead(rw, browse):
    rw.reassessment(by="per", classification=Classification.POLICE)
    assert SECTION not in browse("kari").get("/").content.decode()


def test_the_dashboard_is_audited_once_per_load_without_content(rw, browse):
    rw.review()
    rw.task(assignee="kari")
    client = browse("kari")
    client.get("/")
    before = AuditEvent.objects.order_by("-seq").first().seq
    body = client.get("/").content.decode()
    assert SECTION in body  # tasks, cases and what is overdue: one read, one event
    events = AuditEvent.objects.filter(seq__gt=before)
    assert events.count() == 1
    event = events.get()
    assert (event.action, event.reason, event.actor_id) == (Action.CASE_LIST, "dashboard", rw.m["kari"].user_id)
    assert event.case_id == "" and event.object_id == ""


def _more_cases(rw, n: int) -> None:
    """n more cases led by kari, each with an overdue task, an overdue review and an overdue reassessment, a team
    from other organisations and their consents (so the sharing gate has records to read)."""
    from tests.assessments.helpers import final
    from tests.plans.helpers import approved_plan
    from utvei.assessments.models import Assessment
    from utvei.plans.models import Plan

    world = rw.world
    for i in range(n):
        case = world.open_case(name=f"Person {i}")
        world.add(case, "ola")
        world.add(case, "per")
        services.task_create(
            actor=world.m["kari"], case=case, title="T", assignee=world.m["ola"].user, due_on=days_ago(2)
        )
        plan = approved_plan(world, case)
        Plan.objects.filter(pk=plan.pk).update(review_due=days_ago(3))
        a = final(world, case, by="kari")
        Assessment.objects.filter(pk=a.pk).update(reassessment_due=days_ago(4))


def test_the_dashboard_costs_the_same_queries_for_one_case_or_many(rw, browse, django_assert_max_num_queries):
    rw.task(assignee="ola")
    rw.review()
    rw.reassessment()
    client = browse("kari")
    client.get("/")  # warm up: session, language
    with CaptureQueriesContext(connection) as one:
        body = client.get("/").content.decode()
    assert section(body).count("<li data-kind=") == 3
    _more_cases(rw, 5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get("/").content.decode()
    assert section(body).count("<li data-kind=") == 18


def test_the_dashboard_shows_ten_cases_and_counts_the_rest(rw, browse, django_assert_max_num_queries):
    """It reads what it shows: ten cases' items, and a COUNT for the rest; the cost does not follow the caseload."""
    _more_cases(rw, 11)
    client = browse("kari")
    client.get("/")
    with CaptureQueriesContext(connection) as eleven:
        body = client.get("/").content.decode()
    assert section(body).count('class="attention-items"') == 10
    assert "1 more case you lead has something overdue." in body
    _more_cases(rw, 3)
    with django_assert_max_num_queries(len(eleven.captured_queries)):
        body = client.get("/").content.decode()
    assert section(body).count('class="attention-items"') == 10
    assert "4 more cases you lead have something overdue." in body


def test_beyond_the_cap_the_dashboard_says_more_than(rw, browse, monkeypatch):
    from utvei.desk import overdue

    monkeypatch.setattr(overdue, "MORE_CAP", 2)
    _more_cases(rw, 13)
    body = browse("kari").get("/").content.decode()
    assert section(body).count('class="attention-items"') == 10
    assert "More than 2 other cases you lead have something overdue." in body
