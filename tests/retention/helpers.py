"""A person with data in every app, for the subject-access tests: made through the services where a test helper
makes it simple, and straight into the tables for the rest (the export reads tables, not services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tests.assessments.helpers import start
from tests.meetings.helpers import decide
from tests.meetings.helpers import plan as plan_meeting
from tests.network.helpers import add as add_contact
from tests.network.helpers import observe
from tests.participant.helpers import join
from tests.plans.helpers import add_item, draft_plan, to_planning
from utvei.accounts.models import Notification, NotificationKind
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.models import (
    Case,
    CaseHeaderVersion,
    ConcernHandoff,
    ConcernQuestion,
    EntryKind,
    IdentityReader,
    ParallelInquiry,
    Phase,
    TeamMember,
    TeamRole,
)
from utvei.cases.protection import protection_set
from utvei.core.vocabulary import Classification, DataCategory
from utvei.evaluation.models import FollowUp, Indicator, Measurement, OutcomeEvent
from utvei.people.models import Person, PersonVersion
from utvei.retention.subject_access import services as sar
from utvei.sharing.models import Disclosure, EmergencyAccess, LegalBasis

NIN = "01019912345"
NAME = "Sara Subjektsen"
BORN = dt.date(1999, 1, 1)
SECRET_POLICE = "Politiets hemmelige spor"
SECRET_HEALTH = "Diagnose fra DPS"
SECRET_FAMILY = "Moren Berit drikker"
CONTACT_LABEL = "Onkel Ragnar"
TEAM_TEXT = "Samtale om skolen"


@dataclass
class Everything:
    person: Person
    case: Case
    other_case: Case
    account: Any


def person_with_everything(world: Any) -> Everything:
    """Sara: a closed earlier case and an open one, with the team, entries of every classification, tasks, files,
    consents, a disclosure, a referral, an emergency access, an assessment, a plan, a meeting with a decision, a
    network, measurements, outcomes and follow-ups, her own account, a protected identity, an earlier version of
    her identity, concerns (one linked, one passed on to the police), a parallel inquiry and reads in the log."""
    kari = world.m["kari"]
    case = world.open_case(name=NAME)
    person = case.person
    Person.objects.filter(pk=person.pk).update(birth_date=BORN.isoformat())
    person.refresh_from_db()
    _set_nin(person)
    for username in ("ola", "per", "hanne", "nils"):
        world.add(case, username)
    world.add(case, "mona", role=TeamRole.MENTOR)
    team_entry = world.entry(case, "kari", Classification.TEAM, body=TEAM_TEXT)
    police_entry = world.entry(case, "per", Classification.POLICE, body=SECRET_POLICE)
    world.entry(case, "hanne", Classification.HEALTH, body=SECRET_HEALTH)
    case_services.entry_create(
        actor=kari,
        case=case,
        kind=EntryKind.NOTE,
        classification=Classification.TEAM,
        category=DataCategory.FAMILY,
        body=SECRET_FAMILY,
    )
    case_services.entry_update(actor=kari, entry=team_entry, expected_version=team_entry.version, body=TEAM_TEXT + "!")
    case_services.task_create(actor=kari, case=case, title="Ring skolen")
    case_services.attachment_add(
        actor=kari, owner=team_entry, filename="brev.txt", data=b"Hei Sara", classification=Classification.TEAM
    )
    case_services.attachment_add(
        actor=world.m["per"],
        owner=police_entry,
        filename="spor.txt",
        data=b"spor",
        classification=Classification.POLICE,
    )
    case = case_services.case_transition(actor=kari, case=case, to_phase=Phase.ASSESSMENT)
    start(world, case, by="ola")
    case = to_planning(world, case)
    plan = draft_plan(world, case)
    add_item(world, plan)
    meeting = plan_meeting(world, case)
    decide(world, meeting)
    contact = add_contact(world, case, label=CONTACT_LABEL)
    observe(world, contact, valence="risk", closeness=1)
    protection_set(actor=kari, case=case, protected=True, reason="Trusler fra miljøet")
    lead_row = TeamMember.objects.filter(case=case, user=world.m["ola"].user).first()
    IdentityReader.objects.create(case=case, member=lead_row, named_by=kari.user)
    CaseHeaderVersion.objects.create(case=case, number=1, earlier="{}", author=kari.user, author_org=kari.organisation)
    PersonVersion.objects.create(
        person=person, number=1, changed=["municipality"], earlier="{}", author=kari.user, author_org=kari.organisation
    )
    basis = LegalBasis.objects.first()
    Disclosure.objects.create(
        case=case,
        from_org=kari.organisation,
        to_org=world.orgs["nav"],
        legal_basis=basis,
        basis_version=1,
        decided_by=kari.user,
        categories=["plan"],
    )
    EmergencyAccess.objects.create(
        case=case,
        user=world.m["arne"].user,
        organisation=world.orgs["annen"],
        role="caseworker",
        reason_code="danger",
        reason_text="Akutt",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    ParallelInquiry.objects.create(case=case, asking_org=world.orgs["annen"], asked_by=world.m["atle"].user)
    indicator = Indicator.objects.first()
    follow_up = FollowUp.objects.create(case=case, months=6, due_on=timezone.localdate())
    for category in (DataCategory.PLAN, DataCategory.HEALTH, DataCategory.FAMILY):
        Measurement.objects.create(
            case=case,
            indicator=indicator,
            indicator_version=1,
            occasion="intake",
            measured_on=timezone.localdate(),
            value=1,
            source="worker",
            category=category,
            author_org=kari.organisation,
            follow_up=follow_up,
            note="Notat" if category != DataCategory.FAMILY else SECRET_FAMILY,
        )
    OutcomeEvent.objects.create(
        case=case,
        kind="employment",
        occurred_on=timezone.localdate(),
        source="worker",
        category=DataCategory.PLAN,
        author_org=kari.organisation,
    )
    account = join(world, case, "sara")
    Notification.objects.create(user=account.user, organisation=kari.organisation, kind=NotificationKind.TASK_OVERDUE)
    Notification.objects.create(
        user=kari.user, organisation=kari.organisation, kind=NotificationKind.TASK_OVERDUE, case=case
    )
    # A concern that became the case, and one passed on to the police that names her (not linked to a case).
    linked = case_services.concern_submit(
        actor=world.m["rolf"], receiving_org=kari.organisation, description="Bekymring", subject_name=NAME
    )
    type(linked).objects.filter(pk=linked.pk).update(case=case)
    ConcernQuestion.objects.create(concern=linked, asked_by=kari.user, asked_by_org=kari.organisation, question="Hvem?")
    unlinked = case_services.concern_submit(
        actor=world.m["rolf"],
        receiving_org=kari.organisation,
        description="Ny bekymring",
        subject_name=NAME,
        subject_national_id=NIN,
    )
    ConcernHandoff.objects.create(
        concern=unlinked,
        to_kind="police",
        to_org=world.orgs["politi"],
        basis_key="politiloven-13",
        handed_at=timezone.now(),
        handed_by=kari.user,
        handed_by_org=kari.organisation,
    )
    # An earlier, closed case of hers, and reads of both by the team.
    other = case_services.case_open(actor=kari, person=person, track="prevention")
    for c in (case, other):
        case_selectors.case_get(actor=kari, case_id=c.public_id)
    case_selectors.case_get(actor=world.m["ola"], case_id=case.public_id)
    sar.request_register(actor=world.m["dina"], person=person, received_via="letter", received_on=timezone.localdate())
    case.refresh_from_db()
    return Everything(person=person, case=case, other_case=other, account=account)


def _set_nin(person: Person) -> None:
    from utvei.core.crypto import blind_index
    from utvei.people.services import NIN_CONTEXT

    person.national_id = NIN
    person.national_id_index = blind_index(NIN, context=NIN_CONTEXT)
    person.save(update_fields=["national_id", "national_id_index"])
