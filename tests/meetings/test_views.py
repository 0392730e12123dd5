"""The meeting pages: the case page's Meetings section with every decision and its state, calling a meeting on
the web, the meeting page (htmx answers, holding, conflicts, decisions), the printable minutes, access by role,
accessible forms and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.meetings.helpers import (
    AGENDA,
    DECISION,
    MINUTES,
    decide,
    events_since,
    fresh,
    fresh_decision,
    held,
    plan,
    seq,
    set_status,
)
from utvei.audit.models import Action
from utvei.core.vocabulary import DataCategory
from utvei.meetings import services
from utvei.meetings.forms import form_prefix
from utvei.meetings.models import DecisionState, Meeting, MeetingStatus

HX = {"HTTP_HX_REQUEST": "true"}


def page_url(meeting, suffix=""):
    return f"/cases/{meeting.case.public_id}/meetings/{meeting.public_id}/{suffix}"


def case_url(case):
    return f"/cases/{case.public_id}/"


def local(days: int = -1) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# ---- The case page -------------------------------------------------------------------------------------


def test_the_case_page_shows_meetings_and_every_decision_with_its_state(mw, browse):
    world = mw.world
    meeting = held(world, mw.case, owners=("nils",))
    overdue = decide(
        world, meeting, owner="per", text="Politiet ringer", due=timezone.localdate() - dt.timedelta(days=2)
    )
    done = decide(world, meeting, owner=None, org="kommune", text="Kommunen finner bolig")
    set_status(world.m["kari"], fresh_decision(done), "done")
    plan(world, mw.case, starts_at=timezone.now() + dt.timedelta(days=9), agenda="Neste møte")
    body = browse("kari").get(case_url(mw.case)).content.decode()
    section = body.split('id="meetings"')[1].split("</section>")[0]
    assert "Responsibility group meeting" in section and "Planned" in section and "Held and cancelled" in section
    assert f"{DECISION} (nils)" in section and "Politiet ringer" in section and "Kommunen finner bolig" in section
    row = section.split(f'id="case-decision-{overdue.public_id}"')[1].split("</tr>")[0]
    assert "Overdue" in row and "⚠" in row  # a word and a sign, not only a colour
    assert "Done" in section.split(f'id="case-decision-{done.public_id}"')[1].split("</tr>")[0]
    assert "Open" in section and "Plan a meeting" in section
    assert MINUTES not in body and AGENDA not in body  # the minutes are on the meeting's own page
    overdue.refresh_from_db()
    task_row = body.split(f'id="task-{overdue.task.public_id}"')[1].split("</tr>")[0]
    assert "Politiet ringer" in task_row and "Meeting decision" in task_row  # the task says where it came from


def test_the_case_page_shows_a_marker_to_an_organisation_without_a_basis(world, browse):
    case = world.open_case()
    world.add(case, "nils")
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.CONCERN])
    held(world, case, owners=("nils",))
    body = browse("siri").get(case_url(case)).content.decode()
    section = body.split('id="meetings"')[1].split("</section>")[0]
    assert 'data-restricted="true"' in section and "Restricted" in section
    assert f"{DECISION} (nils)" not in body and "Plan a meeting" in section  # not in the section, nor as a task
    assert "A task from a meeting whose content you may not read" in body


def test_a_mentor_sees_their_own_decisions_only_and_cannot_call_meetings(mw, browse):
    held(mw.world, mw.case, owners=("nils", "mona"), attendees=("kari",))
    held(mw.world, mw.case, owners=("nils",), attendees=("kari",))  # not theirs at all
    body = browse("mona").get(case_url(mw.case)).content.decode()
    section = body.split('id="meetings"')[1].split("</section>")[0]
    assert f"{DECISION} (mona)" in section and f"{DECISION} (nils)" not in section
    assert section.count("case-meeting-") == 1 and "Plan a meeting" not in section
    assert "Your decisions from meetings" in section


# ---- Calling a meeting ---------------------------------------------------------------------------------


def test_a_caseworker_plans_a_meeting_on_the_web(mw, browse):
    client = browse("ola")
    form = client.get(f"/cases/{mw.case.public_id}/meetings/new/")
    html = form.content.decode()
    assert form.status_code == 200
    assert "<fieldset" in html and "<legend" in html and 'for="id_starts_at"' in html  # labelled, grouped
    assert "Nils" in html or "nils" in html  # the team is offered as attendees
    data = {
        "kind": "collaboration",
        "starts_at": local(3),
        "place": "Skolen",
        "people": ["ola@kommune", "nils@nav"],
        "organisations": ["@politi"],
        "presence": ["guardian"],
        "agenda": "Skolegang",
        "classification": "team",
        "category": "plan",
    }
    r = client.post(f"/cases/{mw.case.public_id}/meetings/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    meeting = Meeting.objects.get(case=mw.case)
    assert r["Location"] == page_url(meeting)
    assert meeting.author_org.slug == "kommune" and meeting.guardian_present and not meeting.person_present
    assert sorted(a.key for a in meeting.attendees.all()) == ["@politi", "nils@nav", "ola@kommune"]


def test_a_bad_meeting_form_shows_an_error_summary(mw, browse):
    r = browse("kari").post(f"/cases/{mw.case.public_id}/meetings/new/", {"kind": "party", "starts_at": "soon"})
    body = r.content.decode()
    assert r.status_code == 400 and "error-summary" in body and "There is a problem" in body
    assert 'href="#id_starts_at"' in body
    r = browse("nils").post(
        f"/cases/{mw.case.public_id}/meetings/new/",
        {"kind": "other", "starts_at": local(), "classification": "police", "category": "plan"},
    )
    assert r.status_code == 400  # NAV may not classify into the police compartment (not even offered)


@pytest.mark.parametrize("username,status", [("kari", 200), ("ola", 200), ("mona", 403), ("atle", 404), ("dina", 404)])
def test_who_may_open_the_new_meeting_form(mw, browse, username, status):
    assert browse(username).get(f"/cases/{mw.case.public_id}/meetings/new/").status_code == status


# ---- The meeting page ----------------------------------------------------------------------------------


def test_the_meeting_is_written_up_and_held_on_the_page_with_htmx(mw, browse):
    meeting = plan(mw.world, mw.case)
    client = browse("kari")
    decision = client.post(
        page_url(meeting, "decisions/"),
        {
            "decision-new-text": "NAV ordner praksisplass",
            "decision-new-owner": "nils@nav",
            "decision-new-due_on": "2030-01-31",
        },
        **HX,
    )
    assert decision.status_code == 200 and "NAV ordner praksisplass" in decision.content.decode()
    assert "Proposed" in decision.content.decode()
    data = {
        "meeting-kind": "responsibility_group",
        "meeting-starts_at": local(-1),
        "meeting-people": ["kari@kommune", "nils@nav"],
        "meeting-presence": ["person"],
        "meeting-agenda": AGENDA,
        "meeting-minutes": "Vi ble enige om praksisplass.",
        "meeting-classification": "team",
        "meeting-category": "plan",
        "meeting-version": "1",
        "action": "hold",
    }
    r = client.post(page_url(meeting, "edit/"), data, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and body.startswith('<div id="meeting-body">')
    assert "recorded as held" in body and "Open" in body
    meeting = fresh(meeting)
    assert meeting.status == MeetingStatus.HELD and meeting.person_present
    assert meeting.decisions.get().task is not None


def test_holding_without_minutes_explains_what_is_missing(mw, browse):
    meeting = plan(mw.world, mw.case)
    client = browse("kari")
    page = client.get(page_url(meeting)).content.decode()
    assert "Before the meeting can be recorded as held" in page and "Write the minutes" in page
    data = {
        "meeting-kind": "responsibility_group",
        "meeting-starts_at": local(-1),
        "meeting-classification": "team",
        "meeting-category": "plan",
        "meeting-version": "1",
        "action": "hold",
    }
    r = client.post(page_url(meeting, "edit/"), data)
    assert r.status_code == 400 and "error-summary" in r.content.decode()
    assert fresh(meeting).status == MeetingStatus.DRAFT


def test_a_stale_save_on_the_page_is_a_conflict_that_keeps_the_text(mw, browse):
    meeting = plan(mw.world, mw.case)
    services.meeting_update(actor=mw.m["ola"], meeting=fresh(meeting), expected_version=1, minutes="Olas versjon")
    data = {
        "meeting-kind": "responsibility_group",
        "meeting-starts_at": local(-1),
        "meeting-minutes": "Karis versjon",
        "meeting-classification": "team",
        "meeting-category": "plan",
        "meeting-version": "1",
    }
    r = browse("kari").post(page_url(meeting, "edit/"), data, **HX)
    body = r.content.decode()
    assert r.status_code == 409 and "Someone else saved this meeting" in body
    assert "Karis versjon" in body and 'name="meeting-version" value="2"' in body
    assert fresh(meeting).minutes == "Olas versjon"


def test_the_owner_marks_a_decision_done_on_the_page(mw, browse):
    meeting = held(mw.world, mw.case, owners=("mona",), attendees=("kari", "mona"))
    decision = meeting.decisions.get()
    client = browse("mona")
    body = client.get(page_url(meeting)).content.decode()
    assert "Mark done" in body and "Edit the decision" not in body and MINUTES not in body
    assert f'name="version" value="{decision.version}"' in body
    status_url = page_url(meeting, f"decisions/{decision.public_id}/status/")
    assert client.post(status_url, {"status": "done"}).status_code == 400  # no version: nothing changes
    assert fresh_decision(decision).state == DecisionState.OPEN
    r = client.post(status_url, {"status": "done", "version": decision.version})
    assert r.status_code == 302
    assert fresh_decision(decision).state == DecisionState.DONE
    # A second person with the page as it was before: refused, and the decision stays done.
    stale = client.post(status_url, {"status": "open", "version": decision.version})
    assert stale.status_code == 409
    assert fresh_decision(decision).state == DecisionState.DONE
    assert browse("nils").post(status_url, {"status": "open", "version": decision.version + 1}).status_code == 403


def test_a_decision_is_edited_and_a_proposed_one_removed_on_the_page(mw, browse):
    meeting = plan(mw.world, mw.case)
    decision = decide(mw.world, meeting)
    prefix = form_prefix("decision", decision)
    client = browse("kari")
    r = client.post(
        page_url(meeting, f"decisions/{decision.public_id}/"),
        {
            f"{prefix}-text": "Endret",
            f"{prefix}-owner": "@nav",
            f"{prefix}-due_on": "2030-02-01",
            f"{prefix}-version": "1",
        },
    )
    assert r.status_code == 302
    decision = fresh_decision(decision)
    assert decision.text == "Endret" and decision.owner_user is None and decision.owner_org.slug == "nav"
    remove = page_url(meeting, f"decisions/{decision.public_id}/remove/")
    assert client.post(remove).status_code == 400  # which version?
    assert client.post(remove, {"version": decision.version - 1}).status_code == 409
    assert meeting.decisions.exists()
    assert client.post(remove, {"version": decision.version}).status_code == 302
    assert not meeting.decisions.exists()


@pytest.mark.parametrize(
    "username,status,minutes",
    [("kari", 200, True), ("nils", 200, True), ("mona", 200, False), ("atle", 404, False), ("dina", 404, False)],
)
def test_meeting_page_and_print_access(mw, browse, username, status, minutes):
    meeting = held(mw.world, mw.case, attendees=("kari", "mona"))
    client = browse(username)
    r = client.get(page_url(meeting))
    assert r.status_code == status
    assert (MINUTES in r.content.decode()) == minutes
    printed = client.get(page_url(meeting, "print/"))
    assert printed.status_code == status
    assert (MINUTES in printed.content.decode()) == minutes


def test_a_marker_viewer_gets_the_restricted_page_and_no_print(world, browse):
    case = world.open_case()
    world.add(case, "siri", consent=False)
    meeting = held(world, case, owners=(), attendees=("kari",))
    client = browse("siri")
    body = client.get(page_url(meeting)).content.decode()
    assert "Restricted agenda and minutes" in body and MINUTES not in body and "Rådhuset" not in body
    assert client.get(page_url(meeting, "print/")).status_code == 404
    assert client.post(page_url(meeting, "cancel/"), {"cancel-version": "2"}).status_code == 403


@pytest.mark.parametrize("username,status", [("nils", 403), ("mona", 403), ("atle", 404)])
def test_writes_on_the_web_are_refused_for_those_who_may_not(mw, browse, username, status):
    meeting = held(mw.world, mw.case, attendees=("kari", "mona"))
    r = browse(username).post(page_url(meeting, "decisions/"), {"decision-new-text": "x"})
    assert r.status_code == status
    data = {
        "meeting-kind": "other",
        "meeting-starts_at": local(),
        "meeting-classification": "team",
        "meeting-category": "plan",
        "meeting-version": "2",
    }
    assert browse(username).post(page_url(meeting, "edit/"), data).status_code == status


def test_the_meeting_page_and_print_are_audited_once(mw, browse):
    meeting = held(mw.world, mw.case)
    client = browse("nils")
    start = seq()
    client.get(page_url(meeting))
    client.get(page_url(meeting, "print/"))
    assert [e.action for e in events_since(start)] == [Action.MEETING_VIEW, Action.MEETING_PRINT]


def test_the_case_page_and_the_meeting_page_make_a_constant_number_of_queries(mw, browse):
    world = mw.world

    def case_with_meetings(n: int):
        case = world.open_case(name=f"Person med {n} møter")
        for username in ("ola", "nils"):
            world.add(case, username)
        meeting = None
        for i in range(n):
            meeting = plan(world, case, attendees=("kari", "nils", "ola"), agenda=f"Møte {i}")
            for _ in range(n):
                decide(world, meeting, owner="nils")
            meeting = services.meeting_hold(
                actor=world.m["kari"], meeting=fresh(meeting), expected_version=1, minutes="Referat"
            )
        return case, meeting

    client = browse("ola")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small_case, small_meeting = case_with_meetings(1)
    big_case, big_meeting = case_with_meetings(4)
    assert count(case_url(small_case)) == count(case_url(big_case))
    assert count(page_url(small_meeting)) == count(page_url(big_meeting))
