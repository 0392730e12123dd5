"""Assessment services: start, save drafts (with revisions and conflicts), finalise, immutability, audit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from utvei.assessments import services
from utvei.assessments.models import Assessment, AssessmentItem, AssessmentRevision, AssessmentStatus
from utvei.audit.models import Action
from utvei.core.dates import add_months
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError

from .helpers import EVIDENCE, SUMMARY, case_in_assessment, events_since, fill, final, seq, start


@pytest.fixture
def case(world):
    return case_in_assessment(world)


def test_starting_an_assessment_makes_a_draft_with_every_item_unrated(world, case):
    a = start(world, case)
    assert a.status == AssessmentStatus.DRAFT and a.version == 1
    assert a.author == world.m["ola"].user and a.author_org == world.orgs["kommune"]
    assert a.classification == "team" and a.category == "assessment"
    codes = a.instrument_version.item_codes()
    assert list(a.items.values_list("code", flat=True)) == codes
    assert not AssessmentItem.objects.filter(assessment=a).exclude(rating="").exists()
    assert a.reassessment_due == add_months(timezone.localdate(), 3)
    assert a.previous is None
    assert list(a.assessors.all()) == [world.m["ola"].user]
    assert AssessmentRevision.objects.filter(assessment=a).count() == 1


def test_the_open_instrument_has_six_domains_of_four_to_eight_items(world, case):
    version = start(world, case).instrument_version
    assert [d["code"] for d in version.domains] == [
        "ideology",
        "social",
        "capability",
        "motivation",
        "protective",
        "needs",
    ]
    assert all(4 <= len(d["items"]) <= 8 for d in version.domains)
    assert "unknown" in version.scale_codes()
    assert {i["type"] for i in version.items()} == {"risk", "protective", "need", "motivation"}


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"instrument_key": "nope"}, "unknown_instrument"),
        ({"classification": "mentor"}, "classification_not_allowed"),  # mentors would read it
        ({"classification": "participant"}, "classification_not_allowed"),
        ({"classification": "police"}, "classification_not_allowed"),  # the municipality cannot read police
    ],
)
def test_starting_refuses_bad_input(world, case, kw, code):
    kw = {"instrument_key": "utvei-open", **kw}
    with pytest.raises(UtveiError) as exc:
        services.assessment_create(actor=world.m["ola"], case=case, **kw)
    assert exc.value.code == code


def test_police_may_classify_their_assessment_police_only(world, case):
    a = services.assessment_create(
        actor=world.m["per"], case=case, instrument_key="utvei-open", classification="police"
    )
    assert a.classification == "police" and a.author_org == world.orgs["politi"]


def test_co_assessors_must_be_on_the_team_and_not_mentors(world, case):
    a = start(world, case, assessors=[world.m["per"].user])
    assert {u.username for u in a.assessors.all()} == {"ola", "per"}
    for username in ("mona", "atle"):
        with pytest.raises(UtveiError) as exc:
            start(world, case, assessors=[world.m[username].user])
        assert exc.value.code == "assessor_not_on_team"


@pytest.mark.parametrize("username", ["mona", "dina", "anna", "rolf"])
def test_roles_without_full_case_content_cannot_start_one(world, case, username):
    with pytest.raises((Forbidden, NotFound)):
        start(world, case, by=username)


def test_unrelated_users_get_not_found(world, case):
    with pytest.raises(NotFound):
        start(world, case, by="atle")


def test_a_closed_case_takes_no_new_assessment(world, case):
    from utvei.cases import services as case_services

    case = case_services.case_close(actor=world.m["kari"], case=case, reason="other", summary="Slutt")
    with pytest.raises(Forbidden):
        start(world, case)


def test_saving_a_draft_bumps_the_version_and_keeps_a_revision(world, case):
    a = start(world, case)
    a = services.assessment_update(
        actor=world.m["ola"],
        assessment=a,
        expected_version=1,
        items=[services.ItemInput("IB1", rating="present", confidence="high", evidence=EVIDENCE)],
        summary_judgement="Foreløpig",
    )
    assert a.version == 2
    item = a.items.get(code="IB1")
    assert (item.rating, item.confidence, item.evidence) == ("present", "high", EVIDENCE)
    revisions = list(AssessmentRevision.objects.filter(assessment=a).order_by("version"))
    assert [r.version for r in revisions] == [1, 2]
    snap = json.loads(revisions[-1].snapshot)
    assert snap["summary_judgement"] == "Foreløpig" and snap["items"][0]["rating"] == "present"
    # The text is encrypted at rest.
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT evidence FROM assessments_assessmentitem WHERE id = %s", [item.pk])
        assert EVIDENCE not in cur.fetchone()[0]


def test_saving_nothing_new_keeps_the_version(world, case):
    a = start(world, case)
    same = services.assessment_update(actor=world.m["ola"], assessment=a, expected_version=1, formulation="")
    assert same.version == 1


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (services.ItemInput("NOPE1", rating="present"), "unknown_item"),
        (services.ItemInput("IB1", rating="very high"), "invalid_rating"),
        (services.ItemInput("IB1", confidence="certain"), "invalid_confidence"),
        (services.ItemInput("IB1", evidence="x" * 5001), "too_long"),
    ],
)
def test_bad_items_are_refused(world, case, item, code):
    a = start(world, case)
    with pytest.raises(UtveiError) as exc:
        services.assessment_update(actor=world.m["ola"], assessment=a, expected_version=1, items=[item])
    assert exc.value.code == code
    assert Assessment.objects.get(pk=a.pk).version == 1


def test_a_stale_version_conflicts_and_is_audited(world, case):
    a = start(world, case)
    services.assessment_update(actor=world.m["ola"], assessment=a, expected_version=1, formulation="Første")
    n = seq()
    with pytest.raises(Conflict) as exc:
        services.assessment_update(actor=world.m["kari"], assessment=a, expected_version=1, formulation="Andre")
    assert exc.value.current.formulation == "Første"
    assert [e.action for e in events_since(n)] == [Action.ASSESSMENT_CONFLICT]
    assert Assessment.objects.get(pk=a.pk).formulation == "Første"


def test_only_the_author_organisation_edits_a_draft(world, case):
    a = start(world, case)
    # kari is in the author organisation: she may continue ola's draft.
    services.assessment_update(actor=world.m["kari"], assessment=a, expected_version=1, formulation="Kari")
    # per (police) may not even read another organisation's draft.
    with pytest.raises(NotFound):
        services.assessment_update(actor=world.m["per"], assessment=a, expected_version=2, formulation="Per")


def test_finalising_lists_what_is_missing(world, case):
    a = start(world, case)
    with pytest.raises(services.Incomplete) as exc:
        services.assessment_finalise(actor=world.m["ola"], assessment=a, expected_version=1)
    text = " ".join(exc.value.problems)
    assert "IB1" in text and "level of concern" in text.lower()
    assert exc.value.code == "incomplete" and exc.value.status == 400
    assert Assessment.objects.get(pk=a.pk).is_draft


def test_evidence_is_required_for_every_rating_and_confidence_unless_unknown(world, case):
    a = fill(world, start(world, case), rating="unknown")
    a = services.assessment_update(
        actor=world.m["ola"],
        assessment=a,
        expected_version=a.version,
        items=[
            services.ItemInput("IB1", evidence=""),
            services.ItemInput("IB2", rating="present", confidence=""),
        ],
    )
    with pytest.raises(services.Incomplete) as exc:
        services.assessment_finalise(actor=world.m["ola"], assessment=a, expected_version=a.version)
    problems = exc.value.problems
    assert len(problems) == 2
    assert "IB1" in problems[0] and "IB2" in problems[1]


def test_the_reassessment_date_must_lie_ahead(world, case):
    a = fill(world, start(world, case), reassessment_due=dt.date.today())
    with pytest.raises(services.Incomplete):
        services.assessment_finalise(actor=world.m["ola"], assessment=a, expected_version=a.version)


def test_a_final_assessment_is_fixed(world, case):
    a = final(world, case)
    assert a.is_final and a.finalised_by == world.m["ola"].user and a.finalised_at is not None
    with pytest.raises(Forbidden):
        services.assessment_update(actor=world.m["ola"], assessment=a, expected_version=a.version, formulation="x")
    with pytest.raises(Forbidden):
        services.assessment_finalise(actor=world.m["ola"], assessment=a, expected_version=a.version)
    assert AssessmentRevision.objects.filter(assessment=a, status="final").count() == 1


def test_a_reassessment_is_compared_with_the_previous_final_one(world, case):
    first = final(world, case)
    second = start(world, case)
    assert second.previous == first
    a = fill(world, second, changes_since_last="")
    with pytest.raises(services.Incomplete) as exc:
        services.assessment_finalise(actor=world.m["ola"], assessment=a, expected_version=a.version)
    assert any("changed since" in p for p in exc.value.problems)


def test_the_previous_one_is_one_the_assessor_may_read(world, case):
    police = final(world, case, by="per", classification="police")
    mine = start(world, case, by="ola")
    assert mine.previous is None  # ola may not read the police-only assessment
    theirs = start(world, case, by="per")
    assert theirs.previous == police


def test_audit_events_name_the_assessment_and_never_its_content(world, case):
    n = seq()
    a = final(world, case)
    events = events_since(n)
    assert [e.action for e in events] == [
        Action.ASSESSMENT_CREATE,
        Action.ASSESSMENT_UPDATE,
        Action.ASSESSMENT_FINALISE,
    ]
    for e in events:
        assert e.object_id == str(a.public_id) and e.case_id == str(case.public_id)
        row = " ".join([e.object_type, e.object_id, e.reason])
        assert SUMMARY not in row and EVIDENCE not in row and "present" not in row
