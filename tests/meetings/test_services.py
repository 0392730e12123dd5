"""Writing meetings and decisions: calling, changing (versions, conflicts), recording as held, cancelling, the
decisions' tasks, who may write, and audit events without content."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.meetings.helpers import (
    AGENDA,
    DECISION,
    MINUTES,
    ago,
    ahead,
    assert_no_content,
    decide,
    en,
    events_since,
    fresh,
    fresh_decision,
    held,
    hold,
    plan,
    seq,
    set_status,
)
from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import Task, TaskOrigin, TaskStatus
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.meetings import services
from utvei.meetings.models import DecisionState, MeetingRevision, MeetingStatus

# ---- Calling a meeting ---------------------------------------------------------------------------------


def test_a_coordinator_calls_a_meeting_as_a_draft_with_its_attendees(mw):
    meeting = plan(mw.world, mw.case, attendees=("kari", "nils", "mona"), place="Rådhuset", person_present=True)
    meeting = fresh(meeting)
    assert meeting.status == MeetingStatus.DRAFT and meeting.version == 1
    assert meeting.author_org == mw.world.orgs["kommune"] and meeting.classification == "team"
    assert meeting.category == "plan" and meeting.agenda == AGENDA and meeting.place == "Rådhuset"
    assert meeting.person_present and not meeting.guardian_present
    keys = sorted(a.key for a in meeting.attendees.select_related("user", "organisation"))
    assert keys == ["kari@kommune", "mona@ngo", "nils@nav"]
    assert list(meeting.revisions.values_list("version", flat=True)) == [1]


def test_an_organisation_may_take_part_without_a_named_person(mw):
    meeting = services.meeting_create(
        actor=mw.m["ola"],
        case=mw.case,
        kind="collaboration",
        starts_at=ahead(3),
        attendees=[(None, mw.world.orgs["skole"]), (None, mw.world.orgs["skole"])],
    )
    assert [(a.user_id, a.organisation.slug) for a in meeting.attendees.all()] == [(None, "skole")]


def test_people_named_as_attendees_must_be_on_the_team(mw):
    with pytest.raises(UtveiError) as exc:
        plan(mw.world, mw.case, attendees=("kari", "siri"))
    assert exc.value.code == "attendee_not_on_team"
    with pytest.raises(UtveiError) as exc:  # on the team, but for another organisation
        services.meeting_create(
            actor=mw.m["kari"],
            case=mw.case,
            kind="other",
            starts_at=ago(1),
            attendees=[(mw.m["nils"].user, mw.world.orgs["skole"])],
        )
    assert exc.value.code == "attendee_not_on_team"


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("kind", "party", "invalid_choice"),
        ("classification", "secret", "invalid_choice"),
        ("category", "gossip", "invalid_choice"),
        ("starts_at", None, "when_required"),
        ("starts_at", dt.datetime(1800, 1, 1, tzinfo=dt.UTC), "date_out_of_range"),
        ("agenda", "x" * 20001, "too_long"),
        ("place", "x" * 201, "too_long"),
    ],
)
def test_bad_fields_are_refused_with_a_code(mw, field, value, code):
    with pytest.raises(UtveiError) as exc:
        plan(mw.world, mw.case, **{field: value})
    assert exc.value.code == code


def test_nobody_classifies_minutes_into_a_compartment_they_cannot_read(mw):
    with pytest.raises(UtveiError) as exc:
        plan(mw.world, mw.case, by="nils", classification="police", attendees=())
    assert exc.value.code == "classification_not_allowed"
    assert plan(mw.world, mw.case, by="per", classification="police", attendees=()).classification == "police"


@pytest.mark.parametrize("username,error", [("mona", Forbidden), ("atle", NotFound), ("dina", NotFound)])
def test_mentors_cannot_call_meetings_and_outsiders_do_not_find_the_case(mw, username, error):
    with pytest.raises(error):
        plan(mw.world, mw.case, by=username, attendees=())


# ---- Changing it ---------------------------------------------------------------------------------------


def test_every_change_is_a_new_version_and_a_revision_and_the_text_is_encrypted(mw):
    meeting = plan(mw.world, mw.case)
    meeting = services.meeting_update(
        actor=mw.m["ola"], meeting=fresh(meeting), expected_version=1, minutes="Første utkast", place="Skolen"
    )
    assert meeting.version == 2 and meeting.minutes == "Første utkast"
    unchanged = services.meeting_update(actor=mw.m["ola"], meeting=fresh(meeting), expected_version=2, place="Skolen")
    assert unchanged.version == 2  # nothing changed: no new version
    revisions = list(MeetingRevision.objects.filter(meeting=meeting).order_by("version"))
    assert [(r.version, r.minutes) for r in revisions] == [(1, ""), (2, "Første utkast")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT agenda, minutes, place FROM meetings_meeting WHERE id = %s", [meeting.pk])
        raw = " ".join(cursor.fetchone())
    assert "AGENDA" not in raw and "utkast" not in raw and "Skolen" not in raw


def test_a_stale_version_is_a_conflict_and_is_audited(mw):
    meeting = plan(mw.world, mw.case)
    services.meeting_update(actor=mw.m["kari"], meeting=fresh(meeting), expected_version=1, minutes="Karis tekst")
    start = seq()
    with pytest.raises(Conflict) as exc:
        services.meeting_update(actor=mw.m["ola"], meeting=fresh(meeting), expected_version=1, minutes="Olas tekst")
    assert exc.value.current.minutes == "Karis tekst" and exc.value.current.version == 2
    assert [e.action for e in events_since(start)] == [Action.MEETING_CONFLICT]
    assert fresh(meeting).minutes == "Karis tekst"


def test_only_the_organisation_that_called_the_meeting_changes_it(mw):
    meeting = plan(mw.world, mw.case)
    with pytest.raises(Forbidden) as exc:
        services.meeting_update(actor=mw.m["nils"], meeting=fresh(meeting), expected_version=1, minutes="NAV")
    assert "called the meeting" in en(exc.value.message)
    with pytest.raises(Forbidden):
        decide(mw.world, meeting, by="per")
    with pytest.raises(NotFound):  # a mentor who does not take part: the meeting does not exist for them
        services.meeting_update(actor=mw.m["mona"], meeting=fresh(meeting), expected_version=1, minutes="x")


def test_attendees_are_replaced_as_a_set_and_a_former_member_can_stay(mw):
    meeting = plan(mw.world, mw.case, attendees=("kari", "nils"))
    member = mw.case.team.get(user=mw.m["nils"].user)
    case_services.team_end(actor=mw.m["kari"], member=member)
    nils, kari = mw.m["nils"], mw.m["kari"]
    meeting = services.meeting_update(
        actor=kari,
        meeting=fresh(meeting),
        expected_version=1,
        attendees=[(kari.user, kari.organisation), (nils.user, nils.organisation), (None, mw.world.orgs["skole"])],
    )
    assert sorted(a.key for a in meeting.attendees.all()) == ["@skole", "kari@kommune", "nils@nav"]
    assert meeting.revisions.get(version=2).attendees == ["kari@kommune", "nils@nav", "@skole"]


# ---- Recording it as held ------------------------------------------------------------------------------


def test_holding_needs_minutes_and_a_start_that_has_passed(mw):
    meeting = plan(mw.world, mw.case)
    with pytest.raises(UtveiError) as exc:
        hold(mw.world, meeting, minutes="  ")
    assert exc.value.code == "meeting_incomplete"
    future = plan(mw.world, mw.case, starts_at=ahead(2))
    with pytest.raises(UtveiError) as exc:
        hold(mw.world, future)
    assert exc.value.code == "meeting_incomplete"
    held_meeting = hold(mw.world, meeting)
    assert held_meeting.status == MeetingStatus.HELD and held_meeting.recorded_by == mw.m["kari"].user
    with pytest.raises(UtveiError) as exc:
        hold(mw.world, held_meeting)
    assert exc.value.code == "meeting_not_draft" and exc.value.status == 409
    with pytest.raises(UtveiError) as exc:
        services.meeting_update(
            actor=mw.m["kari"], meeting=fresh(meeting), expected_version=fresh(meeting).version, minutes=""
        )
    assert exc.value.code == "meeting_incomplete"
    with pytest.raises(UtveiError) as exc:
        services.meeting_update(
            actor=mw.m["kari"], meeting=fresh(meeting), expected_version=fresh(meeting).version, starts_at=ahead(3)
        )
    assert exc.value.code == "future_date"


def test_proposed_decisions_become_tasks_when_the_meeting_is_held(mw):
    meeting = plan(mw.world, mw.case)
    by_nils = decide(mw.world, meeting, owner="nils")
    by_ngo = decide(mw.world, meeting, owner=None, org="ngo", text="Frivillig hjelp finner en mentor")
    assert fresh_decision(by_nils).task is None and fresh_decision(by_nils).state == DecisionState.PROPOSED
    assert not Task.objects.filter(case=mw.case, origin=TaskOrigin.MEETING).exists()
    hold(mw.world, meeting)
    nils_task = fresh_decision(by_nils).task
    ngo_task = fresh_decision(by_ngo).task
    assert nils_task.origin == TaskOrigin.MEETING and nils_task.title == DECISION
    assert nils_task.assignee == mw.m["nils"].user and nils_task.assignee_org == mw.world.orgs["nav"]
    assert nils_task.due_on == by_nils.due_on and nils_task.status == TaskStatus.OPEN
    assert ngo_task.assignee is None and ngo_task.assignee_org == mw.world.orgs["ngo"]
    assert fresh_decision(by_nils).state == DecisionState.OPEN
    assert nils_task.meeting_decision == by_nils  # the link, both ways


def test_a_decision_on_a_held_meeting_is_a_task_at_once_and_its_state_follows_the_task(mw):
    meeting = held(mw.world, mw.case, owners=())
    late = decide(mw.world, meeting, owner="nils", due=timezone.localdate() - dt.timedelta(days=1))
    assert fresh_decision(late).state == DecisionState.OVERDUE
    decision = fresh_decision(late)
    set_status(mw.m["nils"], decision, "done")
    assert fresh_decision(late).state == DecisionState.DONE
    set_status(mw.m["kari"], fresh_decision(late), "cancelled")
    assert fresh_decision(late).state == DecisionState.CANCELLED


def test_a_proposed_decision_has_no_state_to_change(mw):
    decision = decide(mw.world, plan(mw.world, mw.case))
    with pytest.raises(UtveiError) as exc:
        set_status(mw.m["kari"], fresh_decision(decision), "done")
    assert exc.value.code == "decision_proposed" and exc.value.status == 409


def test_only_the_owner_or_a_coordinator_changes_a_decisions_state(mw):
    meeting = held(mw.world, mw.case, owners=("nils", "mona"), attendees=("kari", "nils", "mona"))
    nils_decision, mona_decision = list(meeting.decisions.order_by("position"))
    with pytest.raises(Forbidden):
        set_status(mw.m["ola"], fresh_decision(nils_decision), "done")
    with pytest.raises(NotFound):  # a mentor does not see others' decisions
        set_status(mw.m["mona"], fresh_decision(nils_decision), "done")
    set_status(mw.m["mona"], fresh_decision(mona_decision), "done")
    assert fresh_decision(mona_decision).state == DecisionState.DONE


def test_decision_owners_must_be_on_the_team(mw):
    meeting = plan(mw.world, mw.case)
    with pytest.raises(UtveiError) as exc:
        decide(mw.world, meeting, owner="siri")
    assert exc.value.code == "owner_not_on_team"
    with pytest.raises(UtveiError) as exc:
        decide(mw.world, meeting, owner=None, org="skole")
    assert exc.value.code == "owner_not_on_team"
    with pytest.raises(UtveiError) as exc:
        decide(mw.world, meeting, owner=None, org=None)
    assert exc.value.code == "owner_required"
    with pytest.raises(UtveiError) as exc:
        services.decision_add(actor=mw.m["kari"], meeting=fresh(meeting), text="x", due_on=None, owner_org=None)
    assert exc.value.code == "due_required"
    assert decide(mw.world, meeting, owner=None, org="kommune").owner_org == mw.world.orgs["kommune"]


def test_changing_a_decision_changes_its_task_and_keeps_its_revisions(mw):
    meeting = held(mw.world, mw.case)
    decision = fresh_decision(meeting.decisions.get())
    due = timezone.localdate() + dt.timedelta(days=30)
    services.decision_update(
        actor=mw.m["ola"],
        decision=decision,
        expected_version=1,
        text="NAV og skolen følger opp",
        due_on=due,
        owner_user=mw.m["per"].user,
        owner_org=None,
    )
    task = fresh_decision(decision).task
    assert (task.title, task.assignee, task.assignee_org, task.due_on) == (
        "NAV og skolen følger opp",
        mw.m["per"].user,
        mw.world.orgs["politi"],
        due,
    )
    assert [r.text for r in decision.revisions.order_by("version")] == [
        f"{DECISION} (nils)",
        "NAV og skolen følger opp",
    ]
    with pytest.raises(Conflict):
        services.decision_update(
            actor=mw.m["ola"],
            decision=decision,
            expected_version=1,
            text="x",
            due_on=due,
            owner_user=None,
            owner_org=mw.world.orgs["nav"],
        )


def test_only_proposed_decisions_are_removed(mw):
    meeting = plan(mw.world, mw.case)
    proposed = decide(mw.world, meeting)
    services.decision_remove(actor=mw.m["kari"], decision=fresh_decision(proposed), expected_version=1)
    assert not meeting.decisions.exists()
    decision = decide(mw.world, meeting)
    hold(mw.world, meeting)
    with pytest.raises(UtveiError) as exc:
        services.decision_remove(
            actor=mw.m["kari"], decision=fresh_decision(decision), expected_version=fresh_decision(decision).version
        )
    assert exc.value.code == "decision_in_force" and exc.value.status == 409


# ---- Cancelling, closing -------------------------------------------------------------------------------


def test_a_cancelled_meeting_is_kept_and_takes_no_more_changes(mw):
    meeting = plan(mw.world, mw.case, starts_at=ahead(5))
    decision = decide(mw.world, meeting)
    cancelled = services.meeting_cancel(actor=mw.m["kari"], meeting=fresh(meeting), expected_version=1)
    assert cancelled.status == MeetingStatus.CANCELLED and cancelled.cancelled_at is not None
    assert fresh_decision(decision).state == DecisionState.CANCELLED and fresh_decision(decision).task is None
    with pytest.raises(UtveiError) as exc:
        services.meeting_update(actor=mw.m["kari"], meeting=fresh(meeting), expected_version=2, minutes="x")
    assert exc.value.code == "meeting_cancelled"
    with pytest.raises(UtveiError):
        decide(mw.world, meeting)
    with pytest.raises(UtveiError) as exc:
        hold(mw.world, meeting)
    assert exc.value.code == "meeting_not_draft"


def test_closing_the_case_cancels_open_decisions_and_stops_writes(mw):
    meeting = held(mw.world, mw.case)
    case = case_services.case_close(actor=mw.m["kari"], case=mw.case, reason="other", summary="Avsluttet")
    assert fresh_decision(meeting.decisions.get()).state == DecisionState.CANCELLED
    with pytest.raises(Forbidden) as exc:
        plan(mw.world, case)
    assert "closed" in en(exc.value.message)


# ---- Audit ---------------------------------------------------------------------------------------------


def test_every_write_is_audited_without_content(mw):
    start = seq()
    meeting = plan(mw.world, mw.case)
    decision = decide(mw.world, meeting)
    meeting = hold(mw.world, meeting)
    set_status(mw.m["nils"], fresh_decision(decision), "done")
    proposed_later = decide(mw.world, meeting, owner="per", text="Politiet tar bekymringssamtale")
    services.decision_update(
        actor=mw.m["kari"],
        decision=fresh_decision(proposed_later),
        expected_version=1,
        text="Politiet tar samtale",
        due_on=proposed_later.due_on,
        owner_user=mw.m["per"].user,
        owner_org=None,
    )
    events = events_since(start)
    assert [e.action for e in events] == [
        Action.MEETING_CREATE,
        Action.MEETING_DECISION_ADD,
        Action.MEETING_HOLD,
        Action.TASK_CREATE,
        Action.TASK_UPDATE,
        Action.MEETING_DECISION_ADD,
        Action.TASK_CREATE,
        Action.MEETING_DECISION_EDIT,
        Action.TASK_UPDATE,
    ]
    assert all(e.case_id == str(mw.case.public_id) for e in events)
    assert events[0].object_id == str(meeting.public_id) and events[0].reason == "team"
    assert events[1].object_id == str(decision.public_id)
    assert_no_content(events, "bekymringssamtale", "Politiet", "arbeidstrening", "Rådhuset")
    assert MINUTES  # the minutes are in the meeting, never in the log
