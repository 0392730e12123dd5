"""The same person followed by two agencies (issue 13, deliverable 2): the coordinator who registers a concern or a
case is told that another organisation has an open case — which organisation, nothing of the case — and can ask it
to get in touch; the owner sees the request on its case page."""

from __future__ import annotations

import datetime as dt

import pytest

from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import ParallelInquiry
from utvei.people.services import person_find_or_create

NIN = "12030912345"
BORN = dt.date(2009, 3, 12)


@pytest.fixture
def elsewhere(world):
    """Annenby kommune (atle) follows Henrik Olsen in an open case, with a consent for its own organisation."""
    person, _ = person_find_or_create(actor=world.m["atle"], full_name="Henrik Olsen", national_id=NIN, birth_date=BORN)
    case = services.case_open(actor=world.m["atle"], person=person, track="exit")
    services.entry_create(
        actor=world.m["atle"], case=case, kind="note", classification="team", body="HEMMELIG-NOTAT om Henrik"
    )
    return case


def concern(world, **identity):
    return services.concern_submit(
        actor=world.m["rolf"], receiving_org=world.orgs["kommune"], description="Bekymring for eleven.", **identity
    )


def test_a_concern_for_the_same_identity_number_tells_which_organisation_and_nothing_more(world, browse, elsewhere):
    c = concern(world, subject_name="Henrik Olsen", subject_national_id=NIN)
    page = browse("kari").get(f"/intake/{c.public_id}/").content.decode()
    assert "The same person may already be followed elsewhere" in page
    assert "Annenby kommune" in page and "same identity number" in page
    for secret in (elsewhere.reference, "HEMMELIG", str(elsewhere.public_id), "Exit"):
        assert secret not in page.split('id="parallel-h"')[1].split("</section>")[0], secret
    event = AuditEvent.objects.filter(action=Action.PARALLEL_CHECK).latest("seq")
    assert event.reason == "annen" and event.actor_id == world.m["kari"].user_id
    receipt = browse("rolf").get(f"/concerns/{c.public_id}/receipt/").content.decode()
    assert "Annenby" not in receipt  # the reporter is told nothing of it


def test_name_and_birth_date_match_without_an_identity_number(world, browse, elsewhere):
    c = concern(world, subject_name="Henrik Olsen", subject_birth_date=BORN)
    page = browse("kari").get(f"/intake/{c.public_id}/").content.decode()
    assert "Annenby kommune" in page and "same name and date of birth" in page


@pytest.mark.parametrize(
    "identity",
    [
        {"subject_name": "Henrik Olsen", "subject_birth_date": dt.date(2009, 3, 13)},  # another birth date
        {"subject_name": "Hans Olsen", "subject_birth_date": BORN},  # another name
        {"subject_name": "Henrik Olsen"},  # a name alone is not enough
        {"anonymous": True},
    ],
)
def test_no_match_no_warning(world, browse, elsewhere, identity):
    c = concern(world, **identity)
    page = browse("kari").get(f"/intake/{c.public_id}/").content.decode()
    assert 'id="parallel-h"' not in page
    assert not AuditEvent.objects.filter(action=Action.PARALLEL_CHECK).exists()


def test_a_closed_case_elsewhere_or_one_we_are_on_the_team_of_is_not_parallel(world, browse, elsewhere):
    c = concern(world, subject_name="Henrik Olsen", subject_national_id=NIN)
    services.team_add(
        actor=world.m["atle"],
        case=elsewhere,
        user=world.m["kari"].user,
        organisation=world.orgs["kommune"],
        role="coordinator",
    )
    assert 'id="parallel-h"' not in browse("kari").get(f"/intake/{c.public_id}/").content.decode()  # we know already
    other, _ = person_find_or_create(actor=world.m["atle"], full_name="Lise Lund", national_id="01017012345")
    closed = services.case_open(actor=world.m["atle"], person=other, track="exit")
    services.case_close(
        actor=world.m["atle"], case=closed, reason="not_substantiated", summary="Ingen grunn.", expected_version=1
    )
    c2 = concern(world, subject_name="Lise Lund", subject_national_id="01017012345")
    assert 'id="parallel-h"' not in browse("kari").get(f"/intake/{c2.public_id}/").content.decode()


def test_asking_the_owner_to_get_in_touch(world, browse, elsewhere):
    c = concern(world, subject_name="Henrik Olsen", subject_national_id=NIN)
    kari = browse("kari")
    asked = kari.post(f"/intake/{c.public_id}/ask/annen/")
    assert asked.status_code == 302
    inquiry = ParallelInquiry.objects.get()
    assert (inquiry.case, inquiry.asking_org.slug, inquiry.from_concern) == (elsewhere, "kommune", c)
    note = Notification.objects.get(kind=NotificationKind.PARALLEL_ASKED)
    assert note.user.username == "atle" and note.case == elsewhere
    kari.post(f"/intake/{c.public_id}/ask/annen/")  # again while open: told, not repeated
    assert ParallelInquiry.objects.count() == 1
    assert kari.post(f"/intake/{c.public_id}/ask/politi/").status_code == 404  # no case of theirs matches
    assert browse("ola").post(f"/intake/{c.public_id}/ask/annen/").status_code == 404  # not a coordinator

    atle = browse("atle")
    page = atle.get(f"/cases/{elsewhere.public_id}/").content.decode()
    assert "Other organisations following the same person" in page and "Testby kommune" in page
    assert "Send a referral" in page
    arne_page = browse("arne").get(f"/cases/{elsewhere.public_id}/")
    assert "Other organisations following" not in arne_page.content.decode()  # the owner's coordinators only
    handled = atle.post(f"/cases/{elsewhere.public_id}/inquiries/{inquiry.public_id}/handled/")
    assert handled.status_code == 302
    assert ParallelInquiry.objects.get().handled_by == world.m["atle"].user
    assert "Other organisations following" not in atle.get(f"/cases/{elsewhere.public_id}/").content.decode()
    assert AuditEvent.objects.filter(action=Action.PARALLEL_ASK).count() == 1
    assert AuditEvent.objects.filter(action=Action.PARALLEL_HANDLED).count() == 1
    # An outsider cannot handle it: the case is not found for them.
    other = ParallelInquiry.objects.create(
        case=elsewhere, asking_org=world.orgs["politi"], asked_by=world.m["pia"].user
    )
    assert kari.post(f"/cases/{elsewhere.public_id}/inquiries/{other.public_id}/handled/").status_code == 404


def test_a_case_opened_for_a_person_followed_elsewhere_says_so_to_its_coordinator(world, browse, elsewhere):
    person, created = person_find_or_create(actor=world.m["kari"], full_name="Henrik Olsen", national_id=NIN)
    assert not created  # the identity number found the registered person
    ours = services.case_open(actor=world.m["kari"], person=person, track="prevention")
    page = browse("kari").get(f"/cases/{ours.public_id}/").content.decode()
    assert "Annenby kommune" in page and "Ask Annenby kommune to get in touch" in page
    assert elsewhere.reference not in page
    assert browse("kari").post(f"/cases/{ours.public_id}/ask/annen/").status_code == 302
    assert ParallelInquiry.objects.get().from_case == ours
    world.add(ours, "ola")
    assert 'id="parallel-h"' not in browse("ola").get(f"/cases/{ours.public_id}/").content.decode()


def test_only_the_owners_coordinators_ask_from_a_case(world, browse, elsewhere):
    person, _ = person_find_or_create(actor=world.m["kari"], full_name="Henrik Olsen", national_id=NIN)
    ours = services.case_open(actor=world.m["kari"], person=person, track="prevention")
    services.team_add(
        actor=world.m["kari"],
        case=ours,
        user=world.m["pia"].user,
        organisation=world.orgs["politi"],
        role="coordinator",
    )
    pia = browse("pia")  # a coordinator on the team, of another organisation: not hers to ask, nor to learn
    assert 'id="parallel-h"' not in pia.get(f"/cases/{ours.public_id}/").content.decode()
    assert pia.post(f"/cases/{ours.public_id}/ask/annen/").status_code == 403
    assert not ParallelInquiry.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PARALLEL_CHECK, actor_id=world.m["pia"].user_id).exists()
