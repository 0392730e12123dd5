"""Registering, extending, exporting, answering and refusing subject-access requests: the rule, the deadlines and
the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from utvei.audit.models import Action, AuditEvent
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.people.models import Person
from utvei.retention.models import RequestStatus, SubjectAccessRequest
from utvei.retention.subject_access import services

NIN = "02029912345"


def _person(world: Any, *, name: str = "Ida Innsyn") -> Person:
    case = world.open_case(name=name)
    person = case.person
    from utvei.core.crypto import blind_index
    from utvei.people.services import NIN_CONTEXT

    person.national_id = NIN
    person.national_id_index = blind_index(NIN, context=NIN_CONTEXT)
    person.birth_date = "1999-02-02"
    person.save()
    from utvei.people.services import index_person

    index_person(person)
    return person


def _register(world: Any, person: Person, received_on: dt.date | None = None) -> SubjectAccessRequest:
    return services.request_register(
        actor=world.m["dina"],
        person=person,
        received_via="letter",
        received_on=received_on or dt.date.today(),
    )


def test_the_dpo_finds_the_person_by_identity_number_or_by_name_and_birth_date(world: Any) -> None:
    person = _person(world)
    dina = world.m["dina"]
    assert services.person_find(actor=dina, national_id=NIN) == person
    assert services.person_find(actor=dina, full_name="Ida Innsyn", birth_date=dt.date(1999, 2, 2)) == person


def test_a_dpo_of_an_organisation_without_the_persons_cases_finds_nobody(world: Any) -> None:
    person = _person(world)
    with pytest.raises(NotFound):
        services.person_find(actor=world.m["dora"], national_id=NIN)
    with pytest.raises(NotFound):
        services.request_register(
            actor=world.m["dora"], person=person, received_via="letter", received_on=dt.date.today()
        )
    with pytest.raises(NotFound):
        services.person_find(actor=world.m["dina"], national_id="03039912345")


def test_only_a_dpo_handles_requests(world: Any) -> None:
    person = _person(world)
    for username in ("kari", "anna", "adam"):
        with pytest.raises(Forbidden):
            services.request_register(
                actor=world.m[username], person=person, received_via="letter", received_on=dt.date.today()
            )


def test_a_team_organisations_dpo_may_answer_as_a_joint_controller(world: Any) -> None:
    """The other municipality's DPO, once a caseworker of theirs is on the team."""
    person = _person(world)
    case = person.cases.get()
    world.add(case, "arne")
    made = services.request_register(
        actor=world.m["dora"], person=person, received_via="email", received_on=dt.date.today()
    )
    assert made.organisation == world.orgs["annen"]
    with pytest.raises(NotFound):  # a request belongs to the organisation that registered it
        services.request_get(actor=world.m["dina"], request_id=made.public_id)


def test_the_answer_is_due_one_month_after_receipt_and_an_extension_gives_two_more(world: Any) -> None:
    person = _person(world)
    made = _register(world, person, dt.date(2026, 1, 31))
    assert made.due_on == dt.date(2026, 2, 28)
    assert made.status == RequestStatus.PENDING
    extended = services.request_extend(actor=world.m["dina"], request=made, reason="Mange saker å gå gjennom")
    assert extended.due_on == dt.date(2026, 4, 30)
    assert extended.status == RequestStatus.EXTENDED
    with pytest.raises(Conflict):
        services.request_extend(actor=world.m["dina"], request=extended, reason="Igjen")


def test_an_extension_and_a_refusal_need_a_reason(world: Any) -> None:
    made = _register(world, _person(world))
    with pytest.raises(UtveiError):
        services.request_extend(actor=world.m["dina"], request=made, reason="  ")
    with pytest.raises(UtveiError):
        services.request_refuse(actor=world.m["dina"], request=made, reason="")


def test_a_request_received_in_the_future_is_refused(world: Any) -> None:
    with pytest.raises(UtveiError):
        _register(world, _person(world), dt.date.today() + dt.timedelta(days=1))


def test_the_answer_is_the_export_so_it_comes_first(world: Any) -> None:
    made = _register(world, _person(world))
    with pytest.raises(Conflict):
        services.request_answer(actor=world.m["dina"], request=made)
    export = services.request_export(actor=world.m["dina"], request=made, fmt="json")
    assert export.person == made.person
    answered = services.request_answer(actor=world.m["dina"], request=made)
    assert answered.status == RequestStatus.ANSWERED and answered.answered_by == world.m["dina"].user
    with pytest.raises(Conflict):
        services.request_refuse(actor=world.m["dina"], request=answered, reason="For sent")


def test_a_refused_request_has_nothing_to_export(world: Any) -> None:
    made = _register(world, _person(world))
    services.request_refuse(actor=world.m["dina"], request=made, reason="Åpenbart grunnløs")
    with pytest.raises(Conflict):
        services.request_export(actor=world.m["dina"], request=made, fmt="pdf")


def test_every_step_is_audited_with_ids_and_codes_only(world: Any) -> None:
    person = _person(world)
    start = AuditEvent.objects.order_by("-seq").first().seq
    made = _register(world, person)
    services.request_extend(actor=world.m["dina"], request=made, reason="Hemmelig grunn")
    services.request_export(actor=world.m["dina"], request=made, fmt="html")
    services.request_answer(actor=world.m["dina"], request=made)
    events = list(AuditEvent.objects.filter(seq__gt=start).order_by("seq"))
    actions = [e.action for e in events]
    assert actions == [
        Action.SUBJECT_ACCESS_REGISTER,
        Action.SUBJECT_ACCESS_EXTEND,
        Action.SUBJECT_ACCESS_EXPORT,
        Action.SUBJECT_ACCESS_ANSWER,
    ]
    for e in events:
        assert e.object_id == str(made.public_id)
        assert e.actor_org_id == world.orgs["kommune"].pk
        for secret in ("Ida", "Innsyn", NIN, "Hemmelig"):
            assert secret not in f"{e.object_id} {e.reason} {e.case_id}"
    assert events[0].reason == "letter" and events[2].reason == "html"


def test_the_list_shows_open_requests_first_the_most_urgent_at_the_top(world: Any) -> None:
    person = _person(world)
    late = _register(world, person, dt.date.today() - dt.timedelta(days=45))
    soon = _register(world, person, dt.date.today() - dt.timedelta(days=3))
    done = _register(world, person, dt.date.today() - dt.timedelta(days=90))
    services.request_refuse(actor=world.m["dina"], request=done, reason="Grunnløs")
    rows = list(services.request_list(actor=world.m["dina"]))
    assert rows == [late, soon, SubjectAccessRequest.objects.get(pk=done.pk)]
    assert rows[0].is_overdue() and not rows[1].is_overdue()
    assert list(services.request_list(actor=world.m["dina"], open_only=True)) == [late, soon]
    assert list(services.request_list(actor=world.m["dora"])) == []
