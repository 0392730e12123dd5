"""The assessment pages: the case page section, start, fill in per domain, finalise, read, compare, plan
without one; access on every page; constant queries on the case page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from utvei.assessments.models import Assessment, AssessmentSkip

from .helpers import EVIDENCE, SUMMARY, case_in_assessment, final, start


@pytest.fixture
def case(world):
    return case_in_assessment(world)


def case_url(case, suffix=""):
    return f"/cases/{case.public_id}/{suffix}"


def a_url(a, suffix=""):
    return f"/cases/{a.case.public_id}/assessments/{a.public_id}/{suffix}"


def domain_data(a, rating="present", **extra):
    data = {"version": a.version}
    for code in [i["code"] for i in a.instrument_version.domains[0]["items"]]:
        data |= {f"r-{code}": rating, f"c-{code}": "high", f"e-{code}": f"{EVIDENCE} {code}"}
    data.update(extra)
    return data


# ---- The case page -------------------------------------------------------------------------------------


def test_the_case_page_has_an_assessments_section(world, browse, case):
    body = browse("kari").get(case_url(case)).content.decode()
    assert 'id="assessments"' in body and "New assessment" in body
    assert 'id="assessment-needed"' in body and f"/cases/{case.public_id}/assessments/skip/" in body
    body = browse("ola").get(case_url(case)).content.decode()
    assert "New assessment" in body and f"/cases/{case.public_id}/assessments/skip/" not in body


def test_mentors_see_no_assessments_on_the_case_page(world, browse, case):
    final(world, case)
    body = browse("mona").get(case_url(case)).content.decode()
    assert 'id="assessments"' not in body and "Assessments" not in body


def test_the_section_lists_readable_assessments_and_markers(world, browse, case):
    mine = final(world, case, by="ola")
    police = final(world, case, by="per", classification="police")
    body = browse("ola").get(case_url(case)).content.decode()
    assert f'href="/cases/{case.public_id}/assessments/{mine.public_id}/"' in body
    assert f'id="assessment-{police.public_id}" data-restricted="true"' in body
    assert f'href="/cases/{case.public_id}/assessments/{police.public_id}/"' not in body
    assert "Moderate concern" in body  # the level the assessor entered
    assert 'id="assessment-needed"' not in body  # there is a final assessment


def _case_page_queries(client, case):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(case_url(case))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_case_page_makes_a_constant_number_of_queries_however_many_assessments(world, browse, case):
    client = browse("kari")
    final(world, case)
    few, body = _case_page_queries(client, case)
    for _ in range(4):
        final(world, case)
    start(world, case, by="per")
    many, body = _case_page_queries(client, case)
    assert body.count('id="assessment-') - body.count('id="assessment-needed"') == 6
    assert few == many


# ---- Start, fill in, finalise --------------------------------------------------------------------------


def test_the_whole_way_through_the_pages(world, browse, case):
    client = browse("ola")
    body = client.get(case_url(case, "assessments/new/")).content.decode()
    assert 'value="utvei-open"' in body and 'value="police"' not in body
    r = client.post(case_url(case, "assessments/new/"), {"instrument": "utvei-open", "classification": "team"})
    a = Assessment.objects.get()
    assert r.status_code == 302 and r["Location"] == a_url(a, "edit/ideology/")
    body = client.get(a_url(a, "edit/ideology/")).content.decode()
    assert "Holds that violence is an acceptable" in body and 'name="r-IB1"' in body
    r = client.post(a_url(a, "edit/ideology/"), domain_data(a, next="1"))
    assert r.status_code == 302 and r["Location"] == a_url(a, "edit/social/")
    a.refresh_from_db()
    assert a.version == 2 and a.items.get(code="IB1").rating == "present"
    # The other domains through the service helper (the pages do the same), then the summary page.
    from .helpers import fill

    a = fill(world, a, summary_judgement="")
    r = client.post(
        a_url(a, "edit/summary/"),
        {
            "version": a.version,
            "summary_level": "high",
            "summary_judgement": SUMMARY,
            "formulation": "F",
            "scenarios": "S",
            "management": "M",
            "reassessment_due": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
            "classification": "team",
            "assessors": ["per"],
            "next": "1",
        },
    )
    assert r.status_code == 302 and r["Location"] == a_url(a, "finalise/")
    a.refresh_from_db()
    assert a.summary_level == "high" and {u.username for u in a.assessors.all()} == {"ola", "per"}
    body = client.get(a_url(a, "finalise/")).content.decode()
    assert "Finalise the assessment" in body and "Before you can finalise" not in body
    r = client.post(a_url(a, "finalise/"), {"version": a.version})
    assert r.status_code == 302 and r["Location"] == a_url(a)
    body = client.get(a_url(a)).content.decode()
    assert SUMMARY in body and EVIDENCE in body and "High concern" in body
    assert "Descriptive count, not a score" in body
    assert "Continue the draft" not in body
    assert client.get(a_url(a, "edit/ideology/")).status_code == 403  # final is fixed


def test_finalising_an_incomplete_draft_shows_what_is_missing(world, browse, case):
    a = start(world, case)
    client = browse("ola")
    body = client.get(a_url(a, "finalise/")).content.decode()
    assert "Before you can finalise" in body and "IB1" in body
    r = client.post(a_url(a, "finalise/"), {"version": a.version})
    assert r.status_code == 400 and Assessment.objects.get().is_draft


def test_bad_input_gives_400_and_keeps_the_draft(world, browse, case):
    a = start(world, case)
    client = browse("ola")
    assert client.post(a_url(a, "edit/ideology/"), domain_data(a, **{"r-IB1": "extreme"})).status_code == 400
    assert client.post(a_url(a, "edit/ideology/"), domain_data(a, **{"e-IB1": "x" * 5001})).status_code == 400
    assert client.post(a_url(a, "edit/summary/"), {"version": a.version, "classification": "police"}).status_code == 400
    assert client.get(a_url(a, "edit/nowhere/")).status_code == 404
    assert Assessment.objects.get().version == 1


def test_a_stale_save_conflicts_and_keeps_what_was_typed(world, browse, case):
    a = start(world, case)
    client = browse("ola")
    assert client.post(a_url(a, "edit/ideology/"), domain_data(a)).status_code == 302
    r = client.post(a_url(a, "edit/ideology/"), domain_data(a, **{"e-IB1": "MIN-TEKST"}))  # still version 1
    assert r.status_code == 409
    body = r.content.decode()
    assert "MIN-TEKST" in body and 'name="version" value="2"' in body


# ---- Read and compare ----------------------------------------------------------------------------------


def test_compare_highlights_every_changed_item(world, browse, case):
    first = final(world, case, rating="present")
    second = start(world, case)
    from .helpers import fill

    second = fill(world, second, rating="present")
    from utvei.assessments import services

    second = services.assessment_update(
        actor=world.m["ola"],
        assessment=second,
        expected_version=second.version,
        items=[services.ItemInput("IB1", rating="partly"), services.ItemInput("PF2", confidence="low")],
    )
    client = browse("ola")
    body = client.get(a_url(second)).content.decode()
    assert "Compare with the previous assessment (2 items changed)" in body
    body = client.get(a_url(second, "compare/")).content.decode()
    assert 'id="change-IB1" class="changed" data-changed="true"' in body
    assert 'id="change-PF2" class="changed" data-changed="true"' in body
    assert 'id="change-IB2">' in body  # unchanged: not highlighted
    assert body.count('data-changed="true"') == 2
    body = client.get(a_url(second, "compare/"), {"changed": "1"}).content.decode()
    assert 'id="change-IB2"' not in body and 'id="change-IB1"' in body
    # The edit page shows last time's rating beside each item.
    body = client.get(a_url(second, "edit/ideology/")).content.decode()
    assert "Last time" in body
    assert first.pk == second.previous_id


def test_first_assessment_has_nothing_to_compare(world, browse, case):
    a = final(world, case)
    body = browse("ola").get(a_url(a, "compare/")).content.decode()
    assert "nothing to compare with" in body


# ---- Access on every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "compare/", "edit/ideology/", "edit/summary/", "finalise/"])
@pytest.mark.parametrize("username", ["atle", "mona", "dina"])
def test_strangers_and_mentors_get_not_found(world, client_for, case, suffix, username):
    a = start(world, case)
    assert client_for(username).get(a_url(a, suffix)).status_code == 404


def test_another_organisations_draft_is_a_marker_page_and_not_editable(world, browse, case):
    a = start(world, case, by="ola")
    client = browse("per")
    r = client.get(a_url(a))
    assert r.status_code == 200 and "Restricted assessment" in r.content.decode()
    for suffix in ("edit/ideology/", "finalise/", "compare/"):
        assert client.get(a_url(a, suffix)).status_code == 404
    assert client.post(a_url(a, "edit/ideology/"), domain_data(a)).status_code == 404


def test_new_assessment_page_access(world, client_for, case):
    assert client_for("mona").get(case_url(case, "assessments/new/")).status_code == 403
    assert client_for("atle").get(case_url(case, "assessments/new/")).status_code == 404
    assert client_for("per").get(case_url(case, "assessments/new/")).status_code == 200
    r = client_for("mona").post(case_url(case, "assessments/new/"), {"instrument": "utvei-open"})
    assert r.status_code == 403 and not Assessment.objects.exists()


# ---- Planning without an assessment --------------------------------------------------------------------


def test_recording_why_planning_starts_without_an_assessment(world, browse, case):
    client = browse("kari")
    assert client.get(case_url(case, "assessments/skip/")).status_code == 200
    assert client.post(case_url(case, "assessments/skip/"), {"reason": "declined"}).status_code == 400
    r = client.post(case_url(case, "assessments/skip/"), {"reason": "declined", "explanation": "Personen vil ikke nå"})
    assert r.status_code == 302 and AssessmentSkip.objects.count() == 1
    body = client.get(case_url(case)).content.decode()
    assert "Personen vil ikke nå" in body and 'id="assessment-needed"' not in body
    r = client.post(case_url(case, "phase/"), {"to_phase": "planning", "version": case.version + 0})
    case.refresh_from_db()
    assert case.phase == "planning", r.content.decode()[:2000]


def test_the_phase_form_says_what_planning_needs(world, browse, case):
    r = browse("kari").post(case_url(case, "phase/"), {"to_phase": "planning", "version": case.version})
    assert r.status_code == 409 and "Planning needs a final assessment" in r.content.decode()


@pytest.mark.parametrize(("username", "status"), [("ola", 403), ("mona", 403), ("atle", 404)])
def test_only_coordinators_reach_the_skip_page(world, client_for, case, username, status):
    assert client_for(username).get(case_url(case, "assessments/skip/")).status_code == status
    r = client_for(username).post(case_url(case, "assessments/skip/"), {"reason": "other", "explanation": "x"})
    assert r.status_code == status and not AssessmentSkip.objects.exists()


def test_pages_audit_the_read_and_the_write(world, client_for, case):
    from utvei.audit.models import Action

    from .helpers import events_since, seq

    a = start(world, case)
    client = client_for("ola")
    n = seq()
    client.get(a_url(a, "edit/ideology/"))
    client.post(a_url(a, "edit/ideology/"), domain_data(a))
    client.get(a_url(a, "compare/"))
    actions = [e.action for e in events_since(n) if e.object_id == str(a.public_id)]
    assert actions == [
        Action.ASSESSMENT_VIEW,
        Action.ASSESSMENT_VIEW,
        Action.ASSESSMENT_UPDATE,
        Action.ASSESSMENT_COMPARE,
    ]


def test_each_table_of_items_is_captioned_with_its_domain(world, browse, case):
    """For screen readers: the caption names the section's domain (it read «Items of «content»»: the name of the
    template block, not of the domain)."""
    a = start(world, case)
    body = browse("ola").get(a_url(a), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sections = re.findall(r'<h2 id="domain-[^"]+-h">(.*?)</h2>.*?<caption[^>]*>(.*?)</caption>', body, re.S)
    assert sections and all(caption.strip() == f"Items of «{name}»" for name, caption in sections), sections
