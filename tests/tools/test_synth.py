"""`utvei synth`: synthetic load, through the services or in bulk, encrypted and audited either way."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_verify
from utvei.cases.models import Case, Entry, EntryKind, Phase, Task, TaskOrigin, TeamMember, TeamRole
from utvei.people.index import person_tokens
from utvei.people.models import Person, PersonToken
from utvei.people.services import person_find_by_nin
from utvei.tools.synthetic import synthetic_nin


def _synth(*args: str) -> str:
    out = StringIO()
    call_command("synth", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def debug(db: Any, settings: Any) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _synth_cases() -> Any:
    return Case.objects.filter(owning_org__slug="synth-kommune")


def test_it_refuses_outside_demo_and_debug_mode(db: Any) -> None:
    with pytest.raises(CommandError, match="UTVEI_DEMO=1 or UTVEI_DEBUG=1"):
        _synth("--persons", "2")
    assert not Case.objects.exists()


def test_through_the_services_it_creates_n_cases(debug: None) -> None:
    out = _synth("--persons", "4", "--seed", "1", "--method", "services")
    assert _synth_cases().count() == 4
    assert "services" in out
    assert audit_verify().ok


def test_through_the_services_a_child_s_consent_is_given_by_a_guardian(debug: None, monkeypatch: Any) -> None:
    """Persons from 13 years old are drawn; under the consent age (15) the consent service asks for a guardian."""
    from utvei.sharing.models import Consent
    from utvei.tools import synthetic

    drawn = synthetic._person_fields

    def child(rng: Any, serial: int, **kw: Any) -> dict[str, Any]:
        p = drawn(rng, serial, **kw)
        born = timezone.localdate() - dt.timedelta(days=13 * 365 + 40)
        return {**p, "birth_date": born, "national_id": synthetic_nin(born, male=p["gender"] == "male", serial=serial)}

    monkeypatch.setattr(synthetic, "_person_fields", child)
    _synth("--persons", "3", "--seed", "2", "--method", "services")
    consents = Consent.objects.filter(case__in=_synth_cases())
    assert _synth_cases().count() == 3 and consents.exists()
    assert set(consents.values_list("given_by", flat=True)) == {"guardian"}
    assert audit_verify().ok


def test_through_the_services_cases_are_measured_and_follow_ups_are_scheduled(debug: None) -> None:
    from utvei.evaluation.models import FollowUp, Measurement

    _synth("--persons", "12", "--seed", "8", "--method", "services")
    measured = Measurement.objects.filter(case__in=_synth_cases(), occasion="intake")
    assert measured.exists() and measured.values("case").distinct().count() < 12  # a share of them
    for case in _synth_cases().filter(phase=Phase.FOLLOW_UP):
        assert sorted(FollowUp.objects.filter(case=case).values_list("months", flat=True)) == [6, 12, 24]
    assert not Task.objects.filter(origin=TaskOrigin.FOLLOW_UP).exists()


def test_in_bulk_it_creates_n_cases_and_one_audit_event_per_object(debug: None) -> None:
    _synth("--persons", "60", "--seed", "2")  # auto: bulk above 50
    assert _synth_cases().count() == 60
    assert Person.objects.filter(municipality="Syntetisk").count() == 60
    assert audit_verify().ok
    events = AuditEvent.objects.filter(reason="synth")
    assert events.filter(action=Action.ENTRY_CREATE).count() == Entry.objects.count()
    assert events.filter(action=Action.CASE_CREATE).count() == 60


def test_bulk_rows_are_encrypted_and_the_identity_number_is_findable(debug: None, world: Any) -> None:
    _synth("--persons", "60", "--seed", "3", "--method", "bulk")
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM cases_entry LIMIT 5")
        assert all(row[0].startswith("enc1:") for row in cur.fetchall())
    person = Person.objects.filter(municipality="Syntetisk").first()
    assert person is not None and person.full_name
    assert person_find_by_nin(actor=world.m["kari"], national_id=person.national_id) == person


def test_bulk_cases_keep_the_workflow_rules(debug: None) -> None:
    _synth("--persons", "80", "--seed", "4", "--method", "bulk")
    for case in _synth_cases().filter(phase__in=[Phase.ACTIVE, Phase.FOLLOW_UP]):
        assert case.lead_id is not None
        assert TeamMember.objects.filter(case=case, role=TeamRole.LEAD).exists()
        assert case.entries.filter(kind=EntryKind.DECISION).exists()
        assert case.plans.filter(status="approved").exists()  # planning -> active needs an approved plan
    for case in _synth_cases().filter(phase=Phase.CLOSED):
        assert case.closure_reason and case.closure_summary and case.closed_at


def test_running_twice_adds_more_without_collisions(debug: None) -> None:
    _synth("--persons", "55", "--seed", "5")
    _synth("--persons", "55", "--seed", "5")
    assert _synth_cases().count() == 110
    assert audit_verify().ok


@pytest.mark.parametrize("born,male", [(dt.date(2008, 4, 17), True), (dt.date(1991, 12, 3), False)])
def test_synthetic_identity_numbers_are_marked_and_well_formed(born: dt.date, male: bool) -> None:
    nin = synthetic_nin(born, male=male, serial=7)
    assert len(nin) == 11 and nin.isdigit()
    assert nin[:2] == f"{born.day:02d}" and int(nin[2:4]) == born.month + 80 and nin[4:6] == f"{born.year % 100:02d}"
    assert int(nin[8]) % 2 == (1 if male else 0)
    d = [int(c) for c in nin]
    k1 = 11 - sum(x * w for x, w in zip(d[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True)) % 11
    assert d[9] == (0 if k1 == 11 else k1)
    k2 = 11 - sum(x * w for x, w in zip(d[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    assert d[10] == (0 if k2 == 11 else k2)


def test_in_bulk_on_a_database_without_the_toolbox_it_loads_the_toolbox_first(debug: None) -> None:
    from utvei.plans.models import Measure, MeasureRevision, PlanItem

    PlanItem.objects.all().delete()
    MeasureRevision.objects.all().delete()
    Measure.objects.all().delete()  # as in a flushed benchmark database
    _synth("--persons", "60", "--seed", "3")
    assert _synth_cases().count() == 60
    assert Measure.objects.filter(owner_org__isnull=True).count() >= 22 and PlanItem.objects.exists()


# ---- Evaluation data in bulk ------------------------------------------------------------------------------


def test_in_bulk_it_writes_follow_ups_not_follow_up_tasks(debug: None) -> None:
    from utvei.evaluation.models import FollowUp, FollowUpStatus

    _synth("--persons", "300", "--seed", "6", "--method", "bulk")
    assert not Task.objects.filter(origin=TaskOrigin.FOLLOW_UP).exists()
    today = timezone.localdate()
    ended = [
        c
        for c in _synth_cases()
        if c.measures_ended_on is not None or (c.phase == Phase.CLOSED and c.plans.exists())  # closed after measures
    ]
    assert ended
    for case in ended:
        follow_ups = list(FollowUp.objects.filter(case=case).order_by("months"))
        assert [f.months for f in follow_ups] == [6, 12, 24]
        assert all(f.owner_id == case.lead_id for f in follow_ups)
        for f in follow_ups:
            if case.closure_reason == "deceased":  # nobody is followed up after death (follow_ups_on_close)
                assert f.status == FollowUpStatus.MISSED and f.missed_reason == "deceased"
            elif f.due_on > today:
                assert f.status == FollowUpStatus.PENDING
            if f.status == FollowUpStatus.DONE:
                assert f.held_on is not None and f.recorded_by_id == case.lead_id
            if f.status == FollowUpStatus.MISSED:
                assert f.missed_reason
    assert FollowUp.objects.filter(case__in=_synth_cases()).count() == 3 * len(ended)
    recorded = FollowUp.objects.exclude(status=FollowUpStatus.PENDING).count()
    assert recorded and AuditEvent.objects.filter(action=Action.FOLLOW_UP_RECORD, reason="synth").count() == recorded


def test_in_bulk_a_share_of_cases_is_measured_in_range_and_improves_on_average_with_measures(debug: None) -> None:
    from utvei.evaluation.models import Indicator, Measurement, Occasion

    _synth("--persons", "300", "--seed", "7", "--method", "bulk")
    rows = Measurement.objects.filter(case__in=_synth_cases()).select_related("indicator")
    measured = rows.values("case").distinct().count()
    assert 0.4 * 300 <= measured <= 0.8 * 300
    assert {Occasion.INTAKE, Occasion.REVIEW, Occasion.CLOSURE} <= set(rows.values_list("occasion", flat=True))
    assert set(rows.values_list("source", flat=True)) == {"worker", "self_report"}
    for m in rows:
        assert m.indicator.min_value <= m.value <= m.indicator.max_value and m.value == int(m.value)
        assert m.category == m.indicator.category and m.source in m.indicator.sources
    # Cases that received measures: the contact with the milieu (lower is better) falls on average.
    milieu = Indicator.objects.get(key="milieu-contact")
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for case_id, occasion, value in (
        rows.filter(indicator=milieu, case__plans__isnull=False)
        .order_by("measured_on", "pk")
        .values_list("case_id", "occasion", "value")
    ):
        if occasion == Occasion.INTAKE:
            first[case_id] = value
        else:
            last[case_id] = value
    changes = [last[pk] - first[pk] for pk in first if pk in last]
    assert len(changes) >= 20 and sum(changes) / len(changes) < -0.2
    assert AuditEvent.objects.filter(action=Action.MEASUREMENT_CREATE, reason="synth").count() == rows.count()
    assert audit_verify().ok


def test_in_bulk_it_writes_outcome_events_and_the_dose_of_each_measure(debug: None) -> None:
    from utvei.evaluation.models import OutcomeEvent, OutcomeKind
    from utvei.plans.models import ItemStatus, PlanItem

    _synth("--persons", "400", "--seed", "9", "--method", "bulk")
    events = OutcomeEvent.objects.filter(case__in=_synth_cases()).select_related("case")
    kinds = set(events.values_list("kind", flat=True))
    assert {OutcomeKind.RE_ENGAGEMENT, OutcomeKind.WORK, OutcomeKind.EDUCATION, OutcomeKind.HOUSING} <= kinds
    today = timezone.localdate()
    for e in events.filter(kind=OutcomeKind.RE_ENGAGEMENT):
        assert e.case.closed_at is not None and timezone.localdate(e.case.closed_at) < e.occurred_on <= today
    closed = _synth_cases().filter(phase=Phase.CLOSED).count()
    re_engaged = events.filter(kind=OutcomeKind.RE_ENGAGEMENT).values("case").distinct().count()
    assert 0.04 * closed <= re_engaged <= 0.3 * closed
    assert AuditEvent.objects.filter(action=Action.OUTCOME_CREATE, reason="synth").count() == events.count()
    items = PlanItem.objects.filter(plan__case__in=_synth_cases())
    assert items.exists() and not items.filter(sessions_planned__isnull=True).exists()
    for item in items:
        assert item.sessions_held is not None and item.sessions_planned is not None
        assert item.sessions_held <= item.sessions_planned and item.start_on is not None
        if item.status in (ItemStatus.DONE, ItemStatus.STOPPED):
            assert item.end_on is not None and item.start_on <= item.end_on
    stopped = items.filter(status=ItemStatus.STOPPED)
    assert stopped.exists() and not stopped.filter(stop_reason="").exists()
    assert not items.exclude(status=ItemStatus.STOPPED).exclude(stop_reason="").exists()


# ---- The bulk writer's keys, references and audit events; processes; progress -----------------------------


def test_in_bulk_keys_and_references_are_taken_when_the_batch_is_written(debug: None) -> None:
    from utvei.cases.models import Concern

    _synth("--persons", "120", "--seed", "11", "--method", "bulk")
    cases = _synth_cases().select_related("person")
    assert cases.count() == 120
    for case in cases:
        assert case.reference == f"{case.person.reference}-1"  # the person's reference, taken at the write
    refs = list(Person.objects.filter(municipality="Syntetisk").values_list("reference", flat=True))
    assert len(set(refs)) == 120 and all(r.startswith("UTV-") for r in refs)
    assert all(c.reference.startswith("BEK-") for c in Concern.objects.filter(case__in=cases))
    # Audit events name the objects written: by public_id, or by key where there is none (team members).
    team = {str(pk) for pk in TeamMember.objects.filter(case__in=cases).values_list("pk", flat=True)}
    added = set(AuditEvent.objects.filter(action=Action.TEAM_ADD, reason="synth").values_list("object_id", flat=True))
    assert added and added <= team
    entries = {str(u) for u in Entry.objects.filter(case__in=cases).values_list("public_id", flat=True)}
    assert set(AuditEvent.objects.filter(action=Action.ENTRY_CREATE).values_list("object_id", flat=True)) == entries
    for revision_entry, entry_body in Entry.objects.filter(case__in=cases).values_list("revisions__entry", "body")[:20]:
        assert revision_entry is not None and entry_body
    assert audit_verify().ok


def test_in_bulk_a_second_run_takes_keys_and_references_after_the_first(debug: None) -> None:
    _synth("--persons", "60", "--seed", "12", "--method", "bulk")
    first = set(_synth_cases().values_list("pk", flat=True))
    _synth("--persons", "60", "--seed", "13", "--method", "bulk")
    second = set(_synth_cases().values_list("pk", flat=True)) - first
    assert len(second) == 60 and min(second) > max(first)
    assert Person.objects.values("reference").distinct().count() == Person.objects.count()
    # Every invented person is found by name as a registered one would be (people/index.py), in both runs.
    for person in Person.objects.order_by("?")[:5]:
        stored = set(PersonToken.objects.filter(person=person).values_list("token", flat=True))
        assert stored == person_tokens(person.full_name, person.birth_date)
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_with_two_processes_they_share_the_persons_and_the_chain_holds(settings: Any) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("another process cannot see an in-memory database")
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = _synth("--persons", "1200", "--seed", "14", "--method", "bulk", "--jobs", "2")
    assert "2 processes" in out
    assert _synth_cases().count() == 1200
    assert Person.objects.values("national_id_index").distinct().count() == 1200
    assert audit_verify().ok


def test_more_than_one_process_is_refused_inside_a_transaction(debug: None) -> None:
    with pytest.raises(CommandError, match="--jobs above 1"):
        _synth("--persons", "60", "--method", "bulk", "--jobs", "2")


def test_progress_is_reported_on_stderr_only_when_asked_or_on_a_terminal(debug: None) -> None:
    quiet, err = StringIO(), StringIO()
    call_command("synth", "--persons", "60", "--seed", "15", stdout=quiet, stderr=err)
    assert err.getvalue() == ""  # not a terminal, not asked
    call_command("synth", "--persons", "60", "--seed", "16", "--progress", stdout=quiet, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines and lines[-1].startswith("synth [########################] 60/60 persons 100%")
    assert "persons/s" in quiet.getvalue()
