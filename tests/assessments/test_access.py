"""Who reads which assessment, through the selectors: compartments, drafts, mentors, other organisations, the
sharing gate, and no relation at all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from utvei.access import assessments as access
from utvei.access.policy import case_access
from utvei.assessments import selectors
from utvei.assessments.models import Assessment
from utvei.audit.models import Action
from utvei.cases.models import Case
from utvei.core.errors import Forbidden, NotFound
from utvei.sharing.consent.services import consent_withdraw

from .helpers import case_in_assessment, events_since, final, seq, start

READ, MARKER, HIDDEN, NOT_FOUND = "read", "marker", "hidden", "404"


@dataclass
class Scene:
    case: Case
    team_final: Assessment  # ola (municipality), classification team, final
    police_final: Assessment  # per (police), classification police, final
    draft: Assessment  # ola, still a draft


@pytest.fixture
def scene(world):
    case = case_in_assessment(world)
    return Scene(
        case,
        final(world, case, by="ola"),
        final(world, case, by="per", classification="police"),
        start(world, case, by="ola"),
    )


# viewer -> expected outcome for (team_final, police_final, draft)
TABLE = {
    "kari": (READ, MARKER, READ),  # owner's coordinator, lead: own organisation's draft too
    "kjell": (READ, MARKER, READ),  # owner's coordinator, not on the team
    "ola": (READ, MARKER, READ),
    "per": (READ, READ, MARKER),  # police read police; another organisation's draft is a marker
    "nils": (READ, MARKER, MARKER),  # NAV on the team, with consent
    "mona": (HIDDEN, HIDDEN, HIDDEN),  # mentors see no assessments at all
    "atle": (NOT_FOUND, NOT_FOUND, NOT_FOUND),  # another municipality: the case does not exist for him
    "pia": (NOT_FOUND, NOT_FOUND, NOT_FOUND),  # police coordinator without a relation
    "dina": (NOT_FOUND, NOT_FOUND, NOT_FOUND),  # DPO: no case content
}


def outcome(world, scene, username, a):
    try:
        row = selectors.assessment_get(actor=world.m[username], case_id=scene.case.public_id, assessment_id=a.public_id)
    except NotFound:
        ca = case_access(world.m[username], scene.case)
        return HIDDEN if ca is not None and not ca.full else NOT_FOUND
    return READ if row.readable else MARKER


@pytest.mark.parametrize("username", list(TABLE))
def test_each_viewer_reads_what_the_table_says(world, scene, username):
    got = tuple(outcome(world, scene, username, a) for a in (scene.team_final, scene.police_final, scene.draft))
    assert got == TABLE[username]


@pytest.mark.parametrize("username", list(TABLE))
def test_the_case_list_of_assessments_agrees(world, scene, username):
    ca = case_access(world.m[username], scene.case)
    rows = selectors.case_assessments(ca) if ca is not None else []
    shown = {r.assessment.pk: (READ if r.readable else MARKER) for r in rows}
    for a, expected in zip((scene.team_final, scene.police_final, scene.draft), TABLE[username], strict=True):
        assert shown.get(a.pk) == (expected if expected in {READ, MARKER} else None)


def test_the_api_list_refuses_mentors_and_hides_the_case_from_strangers(world, scene):
    with pytest.raises(Forbidden):
        selectors.assessment_list(actor=world.m["mona"], case_id=scene.case.public_id)
    n = seq()
    with pytest.raises(NotFound):
        selectors.assessment_list(actor=world.m["atle"], case_id=scene.case.public_id)
    assert [e.action for e in events_since(n)] == [Action.CASE_DENIED]


def test_reads_are_audited_once_and_markers_say_so(world, scene):
    n = seq()
    selectors.assessment_get(actor=world.m["per"], case_id=scene.case.public_id, assessment_id=scene.draft.public_id)
    selectors.assessment_get(
        actor=world.m["per"], case_id=scene.case.public_id, assessment_id=scene.police_final.public_id
    )
    events = events_since(n)
    assert [(e.action, e.reason) for e in events] == [
        (Action.ASSESSMENT_VIEW, "restricted"),
        (Action.ASSESSMENT_VIEW, ""),
    ]
    assert events[1].object_id == str(scene.police_final.public_id)


def test_an_assessment_of_another_case_is_not_found(world, scene):
    other = world.open_case(name="Annen Person")
    with pytest.raises(NotFound):
        selectors.assessment_get(actor=world.m["kari"], case_id=other.public_id, assessment_id=scene.draft.public_id)
    with pytest.raises(NotFound):
        selectors.assessment_get(actor=world.m["kari"], case_id=scene.case.public_id, assessment_id="not-a-uuid")


def test_the_sharing_gate_decides_for_other_organisations(world):
    case = case_in_assessment(world, team=("ola",), mentor=False)
    world.add(case, "nils", consent=False)
    a = final(world, case, by="ola")
    get = lambda: selectors.assessment_get(  # noqa: E731
        actor=world.m["nils"], case_id=case.public_id, assessment_id=a.public_id
    )
    assert not get().readable  # no consent or disclosure for NAV: a marker
    consent = world.consent(case, "nav", categories=["assessment"])
    assert get().readable
    assert "consent" in get().decision.records
    consent_withdraw(actor=world.m["kari"], consent=consent, note="Trakk samtykket")
    assert not get().readable  # withdrawal works on the next request


def test_a_consent_for_other_categories_does_not_open_assessments(world):
    case = case_in_assessment(world, team=("ola",), mentor=False)
    world.add(case, "nils", consent=False)
    world.consent(case, "nav", categories=["plan", "network"])
    a = final(world, case, by="ola")
    row = selectors.assessment_get(actor=world.m["nils"], case_id=case.public_id, assessment_id=a.public_id)
    assert not row.readable


def test_edit_rights(world, scene):
    ca = lambda u: case_access(world.m[u], scene.case)  # noqa: E731
    assert access.may_edit(ca("ola"), scene.draft)
    assert access.may_edit(ca("kari"), scene.draft)
    assert not access.may_edit(ca("per"), scene.draft)
    assert not access.may_edit(ca("ola"), scene.team_final)  # final is fixed
    assert not access.may_create(ca("mona"))
    assert access.may_create(ca("per")) and access.may_create(ca("nils"))
    assert access.may_record_skip(world.m["kari"], ca("kari"))
    assert not access.may_record_skip(world.m["ola"], ca("ola"))


def test_classifications_offered_are_compartments_the_writer_reads(world):
    assert access.assessment_classifications(world.m["ola"]) == ["team", "own_org"]
    assert access.assessment_classifications(world.m["per"]) == ["team", "own_org", "police"]
    assert access.assessment_classifications(world.m["hanne"]) == ["team", "own_org", "health"]
    assert access.assessment_classifications(world.m["mona"]) == []


def test_an_emergency_access_reads_final_assessments_and_writes_nothing(world, scene):
    import datetime as dt

    from django.utils import timezone

    from utvei.sharing.models import EmergencyAccess

    arne = world.m["arne"]  # another municipality's caseworker: no relation until he breaks the glass
    assert case_access(arne, scene.case) is None
    EmergencyAccess.objects.create(
        case=scene.case,
        user=arne.user,
        organisation=arne.organisation,
        role=arne.role,
        reason_code="life_health",
        reason_text="Akutt fare",
        expires_at=timezone.now() + dt.timedelta(hours=2),
    )
    ca = case_access(arne, scene.case)
    assert ca is not None
    assert outcome(world, scene, "arne", scene.team_final) == READ
    assert outcome(world, scene, "arne", scene.police_final) == MARKER  # compartments still hold
    assert outcome(world, scene, "arne", scene.draft) == MARKER
    assert not access.may_create(ca)
    assert not access.may_edit(ca, scene.draft)
