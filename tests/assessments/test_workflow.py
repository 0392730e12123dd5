"""Assessment -> planning needs a final assessment, or a coordinator's recorded reason why there is none."""

from __future__ import annotations

import pytest

from utvei.assessments import services
from utvei.assessments.models import AssessmentSkip
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases import workflow
from utvei.cases.models import Phase
from utvei.core.errors import Forbidden, InvalidTransition, NotFound, UtveiError

from .helpers import case_in_assessment, events_since, final, seq, start


@pytest.fixture
def case(world):
    return case_in_assessment(world)


def to_planning(world, case):
    return case_services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.PLANNING)


def test_planning_is_blocked_without_a_final_assessment(world, case):
    start(world, case)  # a draft is not enough
    with pytest.raises(InvalidTransition) as exc:
        to_planning(world, case)
    assert "final assessment" in str(exc.value.message)
    assert any("final assessment" in m for m in workflow.blockers(case, Phase.PLANNING))


def test_a_final_assessment_opens_planning(world, case):
    final(world, case)
    assert to_planning(world, case).phase == Phase.PLANNING


def test_a_final_assessment_the_coordinator_cannot_read_still_counts(world, case):
    final(world, case, by="per", classification="police")
    assert to_planning(world, case).phase == Phase.PLANNING


def test_a_recorded_reason_opens_planning(world, case):
    n = seq()
    skip = services.assessment_skip_record(
        actor=world.m["kari"], case=case, reason="declined", explanation="Vil ikke delta nå; nytt forsøk i mai"
    )
    assert skip.recorded_by_org == world.orgs["kommune"]
    events = events_since(n)
    assert [(e.action, e.reason) for e in events] == [(Action.ASSESSMENT_SKIP, "declined")]
    assert "mai" not in events[0].object_id
    assert to_planning(world, case).phase == Phase.PLANNING


@pytest.mark.parametrize("username", ["ola", "per", "mona"])
def test_only_coordinators_record_the_reason(world, case, username):
    with pytest.raises(Forbidden):
        services.assessment_skip_record(actor=world.m[username], case=case, reason="other", explanation="x")
    assert not AssessmentSkip.objects.exists()


def test_an_unrelated_coordinator_gets_not_found(world, case):
    with pytest.raises(NotFound):
        services.assessment_skip_record(actor=world.m["atle"], case=case, reason="other", explanation="x")


@pytest.mark.parametrize(("reason", "explanation"), [("", "x"), ("bored", "x"), ("other", ""), ("other", "x" * 5001)])
def test_the_reason_needs_a_choice_and_an_explanation(world, case, reason, explanation):
    with pytest.raises(UtveiError):
        services.assessment_skip_record(actor=world.m["kari"], case=case, reason=reason, explanation=explanation)


def test_the_reason_belongs_to_the_assessment_phase(world):
    case = world.open_case()  # still in intake
    with pytest.raises(InvalidTransition):
        services.assessment_skip_record(actor=world.m["kari"], case=case, reason="other", explanation="x")


def test_no_reason_is_needed_once_there_is_a_final_assessment(world, case):
    final(world, case)
    with pytest.raises(InvalidTransition):
        services.assessment_skip_record(actor=world.m["kari"], case=case, reason="other", explanation="x")
