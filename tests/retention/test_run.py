"""`utvei retention run`: restrict, then anonymise; a legal hold survives; the dry run changes nothing; a second run
does nothing; delete and archive take everything about the case."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Case, Entry, RestrictionCode, RetentionState
from utvei.core.crypto import decrypt_bytes
from utvei.people.models import Person
from utvei.retention import services
from utvei.retention.models import LegalHold, RetentionStep
from utvei.retention.rules import parse_rules
from utvei.retention.run import archive_context, retention_plan, retention_run

from .conftest import at

# returnee + criminal justice: restricted 24 months after closure (2026-01-15), anonymised after 120.
RESTRICT_DAY, END_DAY = at(2028, 1, 15), at(2036, 1, 15)


def _snapshot() -> dict[str, Any]:
    """Every row of every table of the project's apps, as values: what a dry run must leave as it was."""
    out: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "contenttypes", "auth", "admin"}:
            continue
        out[model._meta.label] = sorted(map(repr, model._default_manager.values_list()))
    return out


def test_a_case_past_its_period_is_restricted_then_anonymised(
    world: Any, closed_case: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = closed_case(track="returnee", reason="criminal_justice")
    assert retention_run(now=at(2027, 12, 1)).done == {}  # not yet

    retention_run(now=RESTRICT_DAY)
    case.refresh_from_db()
    assert case.retention_state == RetentionState.RESTRICTED
    assert case.restriction_code == RestrictionCode.RETENTION
    assert case.restricted_by is None  # the system
    step = RetentionStep.objects.get(case=case, step="restrict")
    assert (step.rule_id, step.rules_version) == ("returnee-criminal-justice", 1)
    event = AuditEvent.objects.get(action=Action.RETENTION_RESTRICT, case_id=str(case.public_id))
    assert event.actor_id is None and event.reason == "retention;returnee-criminal-justice;v1"
    assert Entry.objects.get(case=case).body == "Samtale om jobb"  # restricted, not yet changed

    with django_capture_on_commit_callbacks(execute=True):
        retention_run(now=END_DAY)
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ANONYMISED and case.anonymised_at is not None
    assert not Entry.objects.filter(case=case).exists()  # case_anonymise ran: the words are gone
    case.person.refresh_from_db()
    assert not case.person.full_name and not case.person.birth_date
    assert AuditEvent.objects.filter(action=Action.RETENTION_ANONYMISE, case_id=str(case.public_id)).count() == 1
    # Its last case anonymised, the person's data keys are destroyed (their backups become unreadable).
    shred = AuditEvent.objects.get(action=Action.PERSON_SHRED, object_id=str(case.person.public_id))
    assert shred.actor_id is None and shred.reason == "anonymised"


def test_both_steps_due_are_taken_in_one_run_and_a_second_run_does_nothing(world: Any, closed_case: Any) -> None:
    case = closed_case(track="returnee", reason="criminal_justice")
    first = retention_run(now=END_DAY)
    assert dict(first.done) == {"restrict": 1, "anonymise": 1}
    before = _snapshot()
    events = AuditEvent.objects.count()
    second = retention_run(now=END_DAY)
    assert dict(second.done) == {} and second.planned == []
    assert _snapshot() == before and AuditEvent.objects.count() == events
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ANONYMISED


def test_a_legal_hold_survives_the_run_and_blocks_every_step(world: Any, closed_case: Any) -> None:
    case = closed_case(track="returnee", reason="criminal_justice")
    hold = services.hold_set(actor=world.m["dina"], case=case, reason="Erstatningssak varslet")
    result = retention_run(now=END_DAY)
    assert dict(result.done) == {}
    assert [p.blocked for p in result.planned] == ["hold", "hold"]
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ACTIVE
    assert LegalHold.objects.get(pk=hold.pk).lifted_at is None  # the hold itself is untouched

    services.hold_lift(actor=world.m["kari"], hold=hold, reason="Saken er forlikt")
    retention_run(now=END_DAY)
    case.refresh_from_db()
    assert case.retention_state == RetentionState.ANONYMISED


def test_a_dry_run_changes_nothing_and_says_what_and_why(world: Any, closed_case: Any) -> None:
    case = closed_case(track="returnee", reason="criminal_justice")
    held = closed_case(name="Holdt Person")
    services.hold_set(actor=world.m["dina"], case=held, reason="Tilsynssak")
    before, events = _snapshot(), AuditEvent.objects.count()
    out = StringIO()
    call_command("retention", "run", "--dry-run", "--today", "2036-01-20", stdout=out)
    assert _snapshot() == before
    assert AuditEvent.objects.count() == events
    text = out.getvalue()
    assert "nothing changed" in text
    assert f"{case.reference}: restrict due 2028-01-15 under rule returnee-criminal-justice (v1;" in text
    assert f"{case.reference}: anonymise due 2036-01-15" in text
    assert f"{held.reference}: archive then restrict due 2031-01-15 under rule municipality-archive" in text
    assert "BLOCKED by a legal hold" in text
    assert "GDPR art. 5(1)(e)" in text  # the statute of the rule


def test_restriction_on_request_blocks_the_end_step(world: Any, closed_case: Any) -> None:
    case = closed_case(track="returnee", reason="criminal_justice")
    services.restriction_request(actor=world.m["dina"], case=case, reason="Personen bestrider opplysningene")
    result = retention_run(now=END_DAY)
    assert [p.blocked for p in result.planned] == ["art18"]
    case.refresh_from_db()
    assert (case.retention_state, case.restriction_code) == (RetentionState.RESTRICTED, RestrictionCode.ART18)


DELETE_RULES = """
version: 7
rules:
  - id: default
    restrict_after_months: 1
    end_after_months: 2
    end: delete
    statute_nb: personvernforordningen art. 17
    statute_en: GDPR art. 17
"""


def test_delete_removes_the_case_and_everything_about_it_the_audit_log_keeps_ids(world: Any, closed_case: Any) -> None:
    case = closed_case()
    other = world.open_case(name="Annen Person")  # another case: untouched
    person_id, public_id = case.person_id, str(case.public_id)
    result = retention_run(now=at(2026, 4, 1), rules=parse_rules(DELETE_RULES))
    assert dict(result.done) == {"restrict": 1, "delete": 1}
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Entry.objects.filter(case_id=case.pk).exists()
    assert not Person.objects.filter(pk=person_id).exists()  # no other case was about them
    assert Case.objects.filter(pk=other.pk).exists()
    deleted = AuditEvent.objects.get(action=Action.RETENTION_DELETE)
    assert (deleted.case_id, deleted.reason) == (public_id, "default;v7")
    assert retention_run(now=at(2026, 4, 1), rules=parse_rules(DELETE_RULES)).planned == []


def test_delete_keeps_the_person_another_case_is_about(world: Any, closed_case: Any) -> None:
    case = closed_case()
    later = case_services.case_reopen(actor=world.m["kari"], case=case)  # a new case, linked to the old one
    retention_run(now=at(2026, 4, 1), rules=parse_rules(DELETE_RULES))
    assert not Case.objects.filter(pk=case.pk).exists()
    later.refresh_from_db()
    assert later.previous_case_id is None and Person.objects.filter(pk=later.person_id).exists()


ARCHIVE_RULES = DELETE_RULES.replace("end: delete", "end: archive\n    archive_then: {then}")


@pytest.mark.parametrize("then", ["restrict", "delete"])
def test_archive_writes_an_encrypted_file_then_keeps_restricted_or_deletes(
    world: Any, closed_case: Any, settings: Any, tmp_path: Path, then: str
) -> None:
    settings.UTVEI_ARCHIVE_DIR = str(tmp_path)
    case = closed_case()
    public_id = str(case.public_id)
    retention_run(now=at(2026, 4, 1), rules=parse_rules(ARCHIVE_RULES.format(then=then)))
    raw = (tmp_path / f"{public_id}.json.enc").read_bytes()
    assert b"Samtale om jobb" not in raw  # encrypted
    document = json.loads(decrypt_bytes(raw, context=archive_context(public_id)))
    assert document["rule"] == "default" and document["rules_version"] == 7
    models = {row["model"] for row in document["rows"]}
    assert {"cases.case", "cases.entry", "people.person", "cases.teammember"} <= models
    assert any(row["fields"].get("body") == "Samtale om jobb" for row in document["rows"])
    if then == "restrict":
        case.refresh_from_db()
        assert case.retention_state == RetentionState.ARCHIVED
    else:
        assert not Case.objects.filter(pk=case.pk).exists()
    assert retention_run(now=at(2026, 5, 1), rules=parse_rules(ARCHIVE_RULES.format(then=then))).done == {}


def test_the_plan_of_a_case_not_closed_is_empty(world: Any) -> None:
    world.open_case()
    assert retention_plan(now=at(2040, 1, 1)) == []
