"""Who sees what of a meeting, through the selectors: full readers, the classification and sharing gate (another
organisation with and without consent), mentors who take part or own a decision, people without a relation, and
emergency access (read only). Every read is audited."""

from __future__ import annotations

import pytest

from tests.meetings.helpers import (
    AGENDA,
    MINUTES,
    decide,
    events_since,
    fresh,
    held,
    hold,
    plan,
    seq,
    set_status,
)
from utvei.access.meetings import MeetingView
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.cases.models import Task, TaskOrigin, TeamRole
from utvei.core.errors import Forbidden, NotFound
from utvei.core.vocabulary import DataCategory
from utvei.meetings import selectors
from utvei.sharing.emergency import services as emergency


def get(world, username, meeting, **kw):
    return selectors.meeting_get(actor=world.m[username], meeting_id=meeting.public_id, **kw)


def listed(world, username, case):
    ca = case_selectors.case_get(actor=world.m[username], case_id=case.public_id, audit=False)
    return {ma.meeting.pk: ma for ma in selectors.case_meetings(ca)}


# ---- Team members with full read -----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["kari", "ola", "nils", "per", "kjell"])
def test_team_members_with_a_basis_and_the_owners_coordinators_see_everything(mw, username):
    meeting = held(mw.world, mw.case, owners=("nils", "per"))
    ma = get(mw.world, username, meeting)
    assert ma.view == MeetingView.FULL and ma.readable and ma.details
    assert ma.meeting.minutes == MINUTES and ma.meeting.agenda == AGENDA
    assert len(ma.decisions) == 2 and {a.key for a in ma.attendees} == {"kari@kommune", "nils@nav"}


def test_another_organisation_without_a_basis_sees_a_marker_without_the_decisions(world):
    case = world.open_case()
    world.add(case, "nils")
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.CONCERN])  # a consent, but not for the minutes' category
    meeting = held(world, case, owners=("nils",))
    ma = get(world, "siri", meeting)
    assert ma.view == MeetingView.MARKER and not ma.readable and not ma.details
    assert ma.attendees == [] and ma.read.restricted_marker
    assert ma.decisions == []  # the decisions keep the meeting's compartment (issue 12)
    assert listed(world, "siri", case)[meeting.pk].marker
    with pytest.raises(Forbidden):  # cannot change what it cannot read
        decide(world, meeting, by="siri")
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    ma = get(world, "siri", meeting)
    assert ma.view == MeetingView.FULL and "consent" in ma.read.records


def test_a_withdrawn_consent_turns_the_meeting_into_a_marker_on_the_next_request(world):
    from utvei.sharing.consent.services import consent_withdraw

    case = world.open_case()
    world.add(case, "siri", consent=False)
    consent = world.consent(case, "skole")
    meeting = held(world, case, owners=(), attendees=("kari",))
    assert get(world, "siri", meeting).readable
    consent_withdraw(actor=world.m["kari"], consent=consent)
    assert get(world, "siri", meeting).view == MeetingView.MARKER


def test_police_minutes_are_for_the_police_only(mw):
    meeting = plan(mw.world, mw.case, by="per", classification="police", attendees=("per", "kari"))
    assert get(mw.world, "per", meeting).view == MeetingView.FULL
    for username in ("kari", "nils", "ola"):
        assert get(mw.world, username, meeting).view == MeetingView.MARKER
    with pytest.raises(NotFound):  # a mentor: not even a marker
        get(mw.world, "mona", meeting)


# ---- Mentors -------------------------------------------------------------------------------------------


def test_a_mentor_who_takes_part_sees_who_and_their_own_decisions_but_team_minutes_not(mw):
    meeting = held(mw.world, mw.case, owners=("nils", "mona"), attendees=("kari", "mona"))
    ma = get(mw.world, "mona", meeting)
    assert ma.view == MeetingView.MENTOR and ma.details and not ma.readable
    assert {a.key for a in ma.attendees} == {"kari@kommune", "mona@ngo"}
    assert [r.decision.owner_user for r in ma.decisions] == [mw.m["mona"].user]


def test_a_mentor_reads_minutes_classified_for_mentors(mw):
    meeting = held(mw.world, mw.case, owners=(), attendees=("kari", "mona"), classification="mentor")
    ma = get(mw.world, "mona", meeting)
    assert ma.view == MeetingView.MENTOR and ma.readable and ma.meeting.minutes == MINUTES


def test_a_mentor_who_owns_a_decision_of_a_meeting_they_missed_sees_only_that(mw):
    meeting = held(mw.world, mw.case, owners=("mona", "nils"), attendees=("kari",), classification="mentor")
    ma = get(mw.world, "mona", meeting)
    assert ma.view == MeetingView.OWNER and not ma.readable and not ma.details and ma.attendees == []
    assert [r.decision.owner_user for r in ma.decisions] == [mw.m["mona"].user]


def test_a_mentor_does_not_see_other_meetings_at_all(mw):
    meeting = held(mw.world, mw.case, owners=("nils",), attendees=("kari", "nils"), classification="mentor")
    with pytest.raises(NotFound):
        get(mw.world, "mona", meeting)
    assert meeting.pk not in listed(mw.world, "mona", mw.case)


def test_a_mentor_without_a_basis_sees_who_takes_part_but_not_the_minutes(world):
    case = world.open_case()
    world.add(case, "mona", role=TeamRole.MENTOR, consent=False)
    meeting = held(world, case, owners=("mona",), attendees=("kari", "mona"), classification="participant")
    ma = get(world, "mona", meeting)
    assert ma.view == MeetingView.MENTOR and not ma.readable and len(ma.decisions) == 1


# ---- No relation, emergency access ---------------------------------------------------------------------


@pytest.mark.parametrize("username", ["atle", "arne", "dina", "anna", "adam", "rolf", "siri", "hanne"])
def test_people_without_a_relation_or_a_case_role_get_not_found(mw, username):
    meeting = held(mw.world, mw.case)
    with pytest.raises(NotFound):
        get(mw.world, username, meeting)


def test_a_meeting_of_another_case_is_not_found_under_this_one(mw):
    meeting = held(mw.world, mw.case)
    other = mw.world.open_case(name="Annen Person")
    with pytest.raises(NotFound):
        selectors.meeting_get(actor=mw.m["kari"], meeting_id=meeting.public_id, case_id=other.public_id)
    with pytest.raises(NotFound):
        selectors.meeting_get(actor=mw.m["kari"], meeting_id="not-a-uuid")


def test_emergency_access_reads_within_the_compartments_and_writes_nothing(mw):
    team = held(mw.world, mw.case, owners=("nils",))
    police = plan(mw.world, mw.case, by="per", classification="police", attendees=("per",))
    emergency.emergency_open(
        actor=mw.m["arne"], case_reference=mw.case.reference, reason_code="missing", reason_text="Savnet, truet"
    )
    start = seq()
    ma = get(mw.world, "arne", team)
    assert ma.view == MeetingView.FULL and ma.readable
    assert get(mw.world, "arne", police).view == MeetingView.MARKER
    events = events_since(start)
    assert [e.action for e in events] == [Action.MEETING_VIEW, Action.MEETING_VIEW]
    assert events[0].reason == "emergency" and events[1].reason == "emergency;restricted"
    with pytest.raises(Forbidden) as exc:
        plan(mw.world, mw.case, by="arne", attendees=())
    assert exc.value.code == "forbidden"
    with pytest.raises(Forbidden):
        set_status(mw.m["arne"], ma.decisions[0].decision, "done")


# ---- Audit ---------------------------------------------------------------------------------------------


def test_reads_are_audited_once_and_refusals_too(mw):
    meeting = held(mw.world, mw.case, attendees=("kari", "mona"))
    start = seq()
    get(mw.world, "mona", meeting)
    get(mw.world, "nils", meeting)
    with pytest.raises(NotFound):
        get(mw.world, "atle", meeting)
    events = events_since(start)
    assert [e.action for e in events] == [Action.MEETING_VIEW, Action.MEETING_VIEW, Action.CASE_DENIED]
    assert events[0].object_id == str(meeting.public_id) and events[0].case_id == str(mw.case.public_id)
    assert events[0].reason == "restricted" and events[1].reason == ""  # mona may not read team minutes


def test_holding_after_the_fact_keeps_the_draft_visible_to_the_team_before(mw):
    meeting = plan(mw.world, mw.case)
    assert get(mw.world, "nils", meeting).view == MeetingView.FULL
    hold(mw.world, meeting)
    assert fresh(meeting).is_held


# ---- Decisions and their tasks keep the meeting's compartment (issue 12, a side door closed) ------------


def test_a_police_decision_is_not_read_by_the_health_service_without_a_basis(world, client_for, browse):
    """The health caseworker without a consent once read, as a task, a police decision naming the person."""
    case = world.open_case(name="Navn Personsen")
    world.add(case, "per")  # police: consented
    world.add(case, "nils")
    world.add(case, "hanne", consent=False)  # health: no basis
    meeting = plan(world, case, by="per", attendees=("per", "nils"), category=DataCategory.CRIMINAL)
    decide(world, meeting, by="per", owner="nils", text="Politiet følger opp Navn Personsen hjemme")
    meeting = fresh(hold(world, meeting, by="per"))
    task = Task.objects.get(case=case, origin=TaskOrigin.MEETING)
    assert (task.source_org_id, task.classification, task.category) == (
        world.orgs["politi"].pk,
        meeting.classification,
        DataCategory.CRIMINAL,
    )
    words = task.title
    # The assignee reads their task; the police read their own meeting's decisions.
    for username in ("nils", "per"):
        page = client_for(username).get(f"/cases/{case.public_id}/").content.decode()
        assert words in page, username
    # The health service sees that a task is there, not what it says: page, API, and it may not change it.
    hanne = browse("hanne")
    page = hanne.get(f"/cases/{case.public_id}/").content.decode()
    assert words not in page and "A task from a meeting whose content you may not read" in page
    api = world.api("hanne").get(f"/api/v1/tasks/{task.public_id}/")
    assert api.status_code == 200 and api.json()["title"] == "" and api.json()["restricted"] is True
    assert words not in api.content.decode()
    r = world.api("hanne").patch(
        f"/api/v1/tasks/{task.public_id}/", {"status": "done", "version": task.version}, content_type="application/json"
    )
    assert r.status_code == 403
    assert Task.objects.get(pk=task.pk).status == "open"
    assert get(world, "hanne", meeting).decisions == []
    # A consent that covers the category opens it on the next request.
    world.consent(case, "helse", categories=[DataCategory.CRIMINAL])
    assert words in hanne.get(f"/cases/{case.public_id}/").content.decode()


def test_a_task_written_on_the_case_page_is_read_by_the_whole_team_as_before(world, client_for):
    case = world.open_case()
    world.add(case, "hanne", consent=False)
    from utvei.cases import services as case_services

    case_services.task_create(actor=world.m["kari"], case=case, title="Ring skolen om møtet")
    assert "Ring skolen om møtet" in client_for("hanne").get(f"/cases/{case.public_id}/").content.decode()
