"""Writes: concerns, triage, the phase machine, team, entries with revisions and conflicts, tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from tests.plans.helpers import approved_plan, to_planning
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import (
    Case,
    ClosureReason,
    ConcernStatus,
    EntryKind,
    Phase,
    Task,
    TaskOrigin,
    Track,
    TriageOutcome,
)
from utvei.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, UtveiError
from utvei.core.vocabulary import Classification
from utvei.evaluation.models import FollowUp
from utvei.people.models import Person


def submit(world, **kw):
    data = {"description": "Eleven har delt voldsforherligende innhold.", "subject_name": "Test Person"}
    data.update(kw)
    return services.concern_submit(actor=world.m["rolf"], receiving_org=world.orgs["kommune"], **data)


def test_a_reporter_gets_a_receipt_reference(world):
    concern = submit(world)
    assert concern.reference.startswith("BEK-")
    assert concern.status == ConcernStatus.RECEIVED


def test_an_anonymous_concern_holds_no_identity(world):
    concern = submit(world, anonymous=True, subject_national_id="01017012345")
    concern.refresh_from_db()
    assert concern.subject_name == "" and concern.subject_national_id == ""


def test_identity_is_stored_encrypted(world):
    submit(world, subject_name="Synnøve Hemmelig")
    with connection.cursor() as cur:
        cur.execute("SELECT subject_name, description FROM cases_concern")
        name, description = cur.fetchone()
    assert "Synnøve" not in name and name.startswith("enc2:")  # under the concern's own data key (docs/encryption.md)
    assert "voldsforherligende" not in description


def test_triage_open_case_creates_person_and_case(world):
    concern = submit(world, subject_national_id="01017012345")
    done = services.concern_triage(
        actor=world.m["kari"], concern=concern, outcome=TriageOutcome.OPEN_CASE, rationale="Behov for oppfølging"
    )
    assert done.case is not None and done.case.phase == Phase.INTAKE
    assert done.case.owning_org == world.orgs["kommune"]


def test_triage_links_an_existing_person_by_identity_number(world):
    first = services.concern_triage(
        actor=world.m["kari"],
        concern=submit(world, subject_national_id="01017012345"),
        outcome=TriageOutcome.OPEN_CASE,
        rationale="r",
    )
    services.case_close(actor=world.m["kari"], case=first.case, reason=ClosureReason.OTHER, summary="s")
    second = services.concern_triage(
        actor=world.m["kari"],
        concern=submit(world, subject_national_id="010170 12345", subject_name="Annet Navn"),
        outcome=TriageOutcome.OPEN_CASE,
        rationale="r",
    )
    assert second.case.person_id == first.case.person_id
    assert Person.objects.count() == 1


def test_triage_twice_is_a_conflict(world):
    concern = submit(world)
    services.concern_triage(actor=world.m["kari"], concern=concern, outcome=TriageOutcome.NO_ACTION, rationale="r")
    with pytest.raises(Conflict):
        services.concern_triage(actor=world.m["kari"], concern=concern, outcome=TriageOutcome.NO_ACTION, rationale="r")


def test_only_the_receiving_organisation_triages(world):
    concern = submit(world)
    with pytest.raises(NotFound):
        services.concern_triage(actor=world.m["atle"], concern=concern, outcome=TriageOutcome.NO_ACTION, rationale="r")


def test_a_bad_identity_number_is_refused_with_a_message(world):
    with pytest.raises(UtveiError) as exc:
        submit(world, subject_national_id="123")
    assert "11" in str(exc.value.message)


def test_the_phase_machine_refuses_skipping_and_names_what_is_missing(world):
    case = world.open_case()
    with pytest.raises(InvalidTransition):
        services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ACTIVE)
    case = to_planning(world, case)
    with pytest.raises(InvalidTransition) as exc, translation.override("en"):
        services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ACTIVE)
    assert "plan" in str(exc.value)
    approved_plan(world, case)  # planning -> active needs an approved individual plan
    case.refresh_from_db()
    case = services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ACTIVE)
    case = services.case_transition(
        actor=world.m["kari"], case=case, to_phase=Phase.FOLLOW_UP, measures_ended_on=dt.date(2026, 1, 31)
    )
    due = sorted(FollowUp.objects.filter(case=case).values_list("due_on", flat=True))
    assert due == [dt.date(2026, 7, 31), dt.date(2027, 1, 31), dt.date(2028, 1, 31)]
    assert not Task.objects.filter(case=case, origin=TaskOrigin.FOLLOW_UP).exists()  # follow-ups, not tasks
    history = [(p.from_phase, p.to_phase) for p in case.phase_changes.all()]
    assert history == [
        ("", "intake"),
        ("intake", "assessment"),
        ("assessment", "planning"),
        ("planning", "active"),
        ("active", "follow_up"),
    ]


def test_a_stale_case_version_is_a_conflict(world):
    case = world.open_case()
    services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.ASSESSMENT, expected_version=1)
    with pytest.raises(Conflict):
        services.case_transition(actor=world.m["kari"], case=case, to_phase=Phase.INTAKE, expected_version=1)


def test_track_changes_keep_history(world):
    case = world.open_case(track=Track.PREVENTION)
    case = services.case_change_track(actor=world.m["kari"], case=case, track=Track.EXIT)
    last = case.phase_changes.last()
    assert (last.from_track, last.to_track) == ("prevention", "exit")


def test_closing_needs_reason_and_summary_and_reopen_links_a_new_case(world):
    case = world.open_case()
    with pytest.raises(UtveiError):
        services.case_close(actor=world.m["kari"], case=case, reason=ClosureReason.GOALS_MET, summary="  ")
    with pytest.raises(UtveiError):
        services.case_close(actor=world.m["kari"], case=case, reason="bogus", summary="ok")
    closed = services.case_close(actor=world.m["kari"], case=case, reason=ClosureReason.GOALS_MET, summary="Mål nådd")
    assert closed.phase == Phase.CLOSED and closed.closed_at is not None
    new = services.case_reopen(actor=world.m["kari"], case=closed)
    assert new.previous_case_id == closed.pk and new.person_id == closed.person_id
    assert new.reference.endswith("-2")
    with pytest.raises(Conflict):
        services.case_reopen(actor=world.m["kari"], case=closed)


def test_caseworkers_cannot_manage_the_case(world):
    case = world.open_case()
    world.add(case, "ola")
    with pytest.raises(Forbidden):
        services.case_transition(actor=world.m["ola"], case=case, to_phase=Phase.ASSESSMENT)


def test_team_members_must_be_members_of_the_named_organisation(world):
    case = world.open_case()
    with pytest.raises(UtveiError):
        services.team_add(
            actor=world.m["kari"],
            case=case,
            user=world.m["per"].user,
            organisation=world.orgs["skole"],
            role="caseworker",
        )
    with pytest.raises(UtveiError):  # reporters cannot join a team
        world.add(case, "rolf")


def test_entry_edits_keep_every_revision_and_a_stale_edit_conflicts(world):
    case = world.open_case()
    world.add(case, "ola")
    entry = world.entry(case, "kari", body="Versjon 1")
    first = services.entry_update(actor=world.m["kari"], entry=entry, expected_version=1, body="Versjon 2 (Kari)")
    assert first.version == 2
    with pytest.raises(Conflict) as exc:
        services.entry_update(actor=world.m["ola"], entry=entry, expected_version=1, body="Versjon 2 (Ola)")
    assert exc.value.current.body == "Versjon 2 (Kari)"
    entry.refresh_from_db()
    assert entry.body == "Versjon 2 (Kari)"
    assert [r.body for r in entry.revisions.all()] == ["Versjon 1", "Versjon 2 (Kari)"]
    assert AuditEvent.objects.filter(action=Action.ENTRY_CONFLICT).count() == 1


def test_only_the_author_organisation_edits_an_entry(world):
    case = world.open_case()
    world.add(case, "siri")
    entry = world.entry(case, "kari")
    with pytest.raises(Forbidden):
        services.entry_update(actor=world.m["siri"], entry=entry, expected_version=1, body="endret")


def test_nobody_writes_into_a_compartment_they_cannot_read(world):
    case = world.open_case()
    world.add(case, "siri")
    with pytest.raises(UtveiError):
        world.entry(case, "siri", Classification.POLICE)
    with pytest.raises(UtveiError):
        world.entry(case, "siri", Classification.HEALTH)


def test_tasks_go_to_team_members_only(world):
    case = world.open_case()
    with pytest.raises(UtveiError):
        services.task_create(actor=world.m["kari"], case=case, title="Ring skolen", assignee=world.m["atle"].user)
    world.add(case, "ola")
    task = services.task_create(actor=world.m["kari"], case=case, title="Ring skolen", assignee=world.m["ola"].user)
    done = services.task_set_status(actor=world.m["ola"], task=task, status="done", expected_version=task.version)
    assert done.completed_at is not None


def test_every_write_leaves_one_audit_event_with_no_content(world):
    before = AuditEvent.objects.count()
    case = world.open_case(name="Navnet Som Ikke Skal Logges", consent=False)
    world.entry(case, "kari", body="Innhold som ikke skal logges")
    events = list(AuditEvent.objects.filter(seq__gt=before).values())
    assert [e["action"] for e in events] == ["person.create", "case.create", "entry.create"]
    flat = " ".join(str(v) for e in events for v in e.values())
    assert "Navnet" not in flat and "Innhold" not in flat
    assert all(e["case_id"] == str(case.public_id) for e in events[1:])


def test_a_failed_write_leaves_nothing_half_written(world, monkeypatch):
    case = world.open_case()
    count = Case.objects.count(), AuditEvent.objects.count()
    from utvei.cases import services as s

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(s, "_revision", boom)
    with pytest.raises(RuntimeError):
        world.entry(case, "kari")
    assert case.entries.count() == 0
    assert (Case.objects.count(), AuditEvent.objects.count()) == count


@pytest.mark.parametrize("when", [dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, tzinfo=dt.UTC)])
def test_impossible_dates_are_refused_with_a_message(world, when):
    case = world.open_case()
    with pytest.raises(UtveiError):
        services.entry_create(
            actor=world.m["kari"],
            case=case,
            kind=EntryKind.NOTE,
            classification=Classification.TEAM,
            body="x",
            occurred_at=when,
        )
    with pytest.raises(UtveiError):
        services.task_create(actor=world.m["kari"], case=case, title="t", due_on=when.date())


def test_person_fields_are_checked(world):
    from utvei.people.services import person_find_or_create

    with pytest.raises(UtveiError):
        person_find_or_create(actor=world.m["kari"], full_name="A", gender="robot")
    with pytest.raises(UtveiError):
        person_find_or_create(actor=world.m["kari"], full_name="A", municipality="x" * 101)


def test_activation_needs_a_consent_or_legal_basis_for_every_organisation_on_the_team(world):
    from utvei.sharing.consent import services as sharing

    case = world.open_case()
    world.add(case, "per", consent=False)  # police, no basis yet
    world.add(case, "nils", consent=False)  # NAV, no basis yet
    kari = world.m["kari"]
    case = to_planning(world, case)
    approved_plan(world, case)
    case.refresh_from_db()
    with pytest.raises(InvalidTransition) as exc, translation.override("en"):
        services.case_transition(actor=kari, case=case, to_phase=Phase.ACTIVE)
    assert "NAV Testby" in str(exc.value) and "Testby politidistrikt" in str(exc.value)
    consent = world.consent(case, "politi")
    sharing.disclosure_record(
        actor=kari,
        case=case,
        to_org_slug="nav",
        categories=["plan"],
        legal_basis_key="fvl-13b-5",
        justification="NAV skal gi arbeidstrening.",
    )
    case.refresh_from_db()
    case = services.case_transition(actor=kari, case=case, to_phase=Phase.ACTIVE)
    assert case.phase == Phase.ACTIVE
    # A withdrawn consent no longer counts: stepping back and forth again is refused.
    case = services.case_transition(actor=kari, case=case, to_phase=Phase.PLANNING)
    sharing.consent_withdraw(actor=kari, consent=consent)
    with pytest.raises(InvalidTransition) as exc, translation.override("en"):
        services.case_transition(actor=kari, case=case, to_phase=Phase.ACTIVE)
    assert "Testby politidistrikt" in str(exc.value) and "NAV Testby" not in str(exc.value)
