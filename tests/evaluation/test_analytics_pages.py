"""The analyst's pages: the dashboard with suppression visible, the report as HTML and as PDF with the same numbers
(rendered with the network unreachable), evaluations that pool statistics across organisations, differentially
private releases against the ledger, and research extracts."""

from __future__ import annotations

import datetime as dt
import re
import socket
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Case, Phase, Track
from utvei.core.pdf import render_document
from utvei.evaluation.models import EvaluationMember, Indicator, Measurement, PrivacyRelease
from utvei.people.models import Person

TABLE = re.compile(r'<table data-table="([a-z-]+)">.*?</table>', re.S)


def _cohort(world: Any, org_slug: str, n: int, *, prefix: str) -> list[Case]:
    """n cases owned by the organisation, with intake and review measurements (ORM for speed)."""
    org = world.orgs[org_slug]
    lead = next(m for m in world.m.values() if m.organisation_id == org.pk and m.role == "coordinator")
    housing = Indicator.objects.get(key="housing")
    cases = []
    for i in range(n):
        person = Person.objects.create(reference=f"{prefix}-P{i}", full_name=f"{prefix} Person {i}", age_band="18-24")
        case = Case.objects.create(
            reference=f"{prefix}-{i:04d}",
            person=person,
            track=Track.EXIT if i % 3 else Track.PREVENTION,
            phase=Phase.CLOSED if i % 2 else Phase.ACTIVE,
            owning_org=org,
            lead=lead.user,
            ideologies=["right_wing"],
            closed_at=timezone.now() - dt.timedelta(days=200) if i % 2 else None,
        )
        for occasion, value in (("intake", 0), ("review", 1 + i % 2)):
            Measurement.objects.create(
                case=case,
                indicator=housing,
                indicator_version=1,
                occasion=occasion,
                measured_on=timezone.localdate() - dt.timedelta(days=300 if occasion == "intake" else 30),
                value=value,
                source="worker",
                category=housing.category,
                author=lead.user,
                author_org=org,
            )
        cases.append(case)
    return cases


def test_the_dashboard_shows_protected_figures_and_no_person(world, browse):
    cases = _cohort(world, "kommune", 12, prefix="DASH")
    page = browse("anna").get(reverse("analytics"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-total" in html and "12" in html
    assert "DASH-0001" not in html and "DASH Person" not in html
    assert 'role="img"' in html  # the charts
    # Suppression is visible: the prevention row holds 4 cases, hidden with its complements.
    assert 'class="suppressed"' in html
    for number in re.findall(r"<td>(\d+)</td>", html):
        assert int(number) == 0 or int(number) >= 5
    assert AuditEvent.objects.filter(action=Action.ANALYTICS_VIEW, actor_id=world.m["anna"].user_id).exists()
    # A bad filter is a 400 with a message, not an error page.
    bad = browse("anna").get(reverse("analytics"), {"opened_from": "2025-05-01", "opened_to": "2024-01-01"})
    assert bad.status_code == 400
    assert len(cases) == 12


def test_the_report_pdf_renders_offline_with_the_dashboards_numbers(world, browse, monkeypatch):
    _cohort(world, "kommune", 12, prefix="REP")
    anna = browse("anna")
    dashboard = anna.get(reverse("analytics")).content.decode()
    report = anna.get(reverse("analytics_report")).content.decode()
    tables_dashboard = {m.group(1): m.group(0) for m in TABLE.finditer(dashboard)}
    tables_report = {m.group(1): m.group(0) for m in TABLE.finditer(report)}
    assert tables_dashboard and tables_dashboard == tables_report

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network unreachable in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    pdf = anna.get(reverse("analytics_report_pdf"), {"lang": "en"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "no-store"


def test_the_pdf_text_holds_the_same_counts(world, browse):
    _cohort(world, "kommune", 12, prefix="TXT")
    from utvei.evaluation import analytics
    from utvei.evaluation.views_analytics import _report_context

    anna = browse("anna")
    html = anna.get(reverse("analytics_report"), {"lang": "en"}).content.decode()
    total = re.search(r"<strong data-total>(\d+)</strong>", html)
    assert total and total.group(1) == "12"
    # The report document rendered for the PDF carries the same total.
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/analytics/report.pdf")
    request.user = world.m["anna"].user
    ctx = _report_context(request, world.m["anna"])
    doc = render_document(
        render_to_string(
            "evaluation/report.html",
            {**ctx, "pdf": True, "base_template": "evaluation/report_document.html"},
            request=request,
        )
    )
    text = " ".join(
        b.text
        for p in doc.pages
        for b in _boxes(p._page_box)
        if hasattr(b, "text") and isinstance(getattr(b, "text", None), str)
    )
    assert "12" in text
    assert analytics.all_figures(Case.objects.filter(owning_org=world.orgs["kommune"])).overview.total == 12


def _boxes(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def test_an_evaluation_pools_statistics_over_its_members(world, browse):
    _cohort(world, "kommune", 6, prefix="KOM")
    _cohort(world, "annen", 6, prefix="ANN")
    annen_analyst = Membership.objects.create(
        user=world.m["dora"].user, organisation=world.orgs["annen"], role="analyst"
    )
    adam = browse("adam")  # the municipality's organisation administrator
    today = timezone.localdate()
    r = adam.post(
        reverse("evaluation_admin"),
        {
            "action": "create",
            "name": "Felles evaluering",
            "purpose": "Lære hva som hjelper",
            "legal_basis": "Avtale om anonymisert statistikk, fvl. § 13 a nr. 2",
            "starts_on": (today - dt.timedelta(days=1)).isoformat(),
            "ends_on": (today + dt.timedelta(days=365)).isoformat(),
            "epsilon_budget": "1.0",
        },
    )
    assert r.status_code == 302
    from utvei.evaluation.agreements import evaluation_join
    from utvei.evaluation.models import Evaluation

    evaluation = Evaluation.objects.get(name="Felles evaluering")
    evaluation_join(
        actor=Membership.objects.create(user=world.m["arne"].user, organisation=world.orgs["annen"], role="org_admin"),
        evaluation=evaluation,
    )
    assert EvaluationMember.objects.filter(evaluation=evaluation, left_at__isnull=True).count() == 2
    anna = browse("anna")
    own = anna.get(reverse("analytics")).content.decode()
    pooled = anna.get(reverse("analytics"), {"evaluation": str(evaluation.public_id)}).content.decode()
    assert re.search(r"<strong data-total>6</strong>", own)
    assert re.search(r"<strong data-total>12</strong>", pooled)
    world.orgs["annen"].jurisdiction = "Annenby"
    world.orgs["annen"].save()
    one = anna.get(reverse("analytics"), {"evaluation": str(evaluation.public_id), "jurisdiction": "Annenby"})
    assert re.search(r"<strong data-total>6</strong>", one.content.decode())
    assert "ANN-0001" not in pooled and "ANN Person" not in pooled
    assert annen_analyst.pk  # the other municipality's analyst exists; the org admin pages are not theirs
    assert browse("anna").get(reverse("evaluation_admin")).status_code == 404


def test_a_release_past_the_budget_is_refused(world, browse):
    _cohort(world, "kommune", 12, prefix="DP")
    anna = browse("anna")
    url = reverse("analytics_releases")
    assert anna.get(url).status_code == 200
    first = anna.post(url, {"query": "cases_by_track", "epsilon": "1.5"})
    assert first.status_code == 302
    second = anna.post(url, {"query": "cases_by_track", "epsilon": "1.0"})
    assert second.status_code == 409
    assert PrivacyRelease.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.DP_REFUSED).count() == 1
    assert browse("kari").get(url).status_code == 404


def test_an_extract_below_k_is_refused_on_the_page(world, browse):
    _cohort(world, "kommune", 6, prefix="EX")  # nobody has a research consent
    r = browse("anna").post(reverse("analytics_extract"))
    assert r.status_code == 409
    assert browse("dina").post(reverse("analytics_extract")).status_code == 404


@pytest.mark.parametrize("name", ["analytics_releases", "analytics_extract"])
def test_release_pages_are_not_found_for_other_roles(world, browse, name):
    for who in ("kari", "ola", "mona", "dina", "adam"):
        assert browse(who).get(reverse(name)).status_code == 404


def test_kept_figures_follow_the_data(world, browse):
    """The dashboard reuses figures only while the data is the same: a new case shows at once."""
    _cohort(world, "kommune", 12, prefix="KEEP")
    anna = browse("anna")
    assert re.search(r"<strong data-total>12</strong>", anna.get(reverse("analytics")).content.decode())
    assert re.search(r"<strong data-total>12</strong>", anna.get(reverse("analytics")).content.decode())
    _cohort(world, "kommune", 1, prefix="NEW")
    assert re.search(r"<strong data-total>13</strong>", anna.get(reverse("analytics")).content.decode())
