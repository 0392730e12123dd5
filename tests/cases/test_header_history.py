"""The case header and the person record keep their history (issue 14, deliverable 6): every path that edits them
writes a version, the history is filtered by the live fields' access, a stale version is a conflict, the safety
plan's review date reminds once, and the history page costs a constant number of queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from utvei.accounts.models import Notification, NotificationKind, Reminder
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import CaseHeaderVersion, MotivationStage, TeamRole
from utvei.core.errors import Conflict
from utvei.core.vocabulary import DataCategory
from utvei.desk.reminders import reminders_run
from utvei.people.models import PersonVersion

OLD_NAME, NEW_NAME = "Gunnhild Gammelnavn", "Gunnhild Nynavn"
OLD_PLAN = "Ring politiet ved trusler fra miljøet"


@pytest.fixture
def case(world):
    """kari (municipality coordinator) owns the case; ola (municipality caseworker), siri (school, consent for plan
    only: no identity) and mona (mentor) are on the team."""
    case = world.open_case(name=OLD_NAME)
    world.add(case, "ola")
    world.add(case, "siri", consent=False)
    world.consent(case, "skole", categories=[DataCategory.PLAN])
    world.add(case, "mona", role=TeamRole.MENTOR)
    case.refresh_from_db()
    return case


def edit_header(world, case, **changes):
    case.refresh_from_db()
    return services.case_update(actor=world.m["kari"], case=case, expected_version=case.version, **changes)


def edit_person(world, case, **changes):
    case.refresh_from_db()
    person = case.person
    return services.person_edit(actor=world.m["kari"], case=case, expected_version=person.version, **changes)


# ---- Versions on every path -------------------------------------------------------------------------------


def test_a_header_edit_keeps_the_earlier_values_encrypted_with_who_and_when(world, case):
    edit_header(world, case, safety_plan=OLD_PLAN, motivation_stage=MotivationStage.CONTEMPLATION)
    edit_header(world, case, safety_plan="Ny plan", ideologies=["right_wing"])
    first, second = CaseHeaderVersion.objects.filter(case=case).order_by("number")
    assert sorted(first.changed) == ["motivation_stage", "safety_plan"]
    assert sorted(second.changed) == ["ideologies", "safety_plan"]
    assert json.loads(second.earlier)["safety_plan"] == OLD_PLAN
    assert (second.author, second.author_org) == (world.m["kari"].user, world.m["kari"].organisation)
    assert second.created_at <= timezone.now()
    with connection.cursor() as cur:
        cur.execute("SELECT earlier FROM cases_caseheaderversion WHERE id = %s", [second.pk])
        (raw,) = cur.fetchone()
    assert "Ring politiet" not in raw and "motivation" not in raw and "right_wing" not in raw


def test_a_header_edit_that_changes_no_versioned_field_keeps_no_version(world, case):
    world.add(case, "kjell")
    edit_header(world, case, lead=world.m["kjell"].user)
    edit_header(world, case, safety_plan="")
    assert not CaseHeaderVersion.objects.filter(case=case).exists()


def test_the_header_page_and_the_api_write_versions(world, case, client_for):
    client = client_for("kari")
    case.refresh_from_db()
    url = reverse("case_edit", args=[case.public_id])
    response = client.post(
        url,
        {
            "lead": "kari",
            "motivation_stage": MotivationStage.PREPARATION,
            "safety_plan": OLD_PLAN,
            "safety_plan_review_on": "2030-01-15",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.safety_plan_review_on == dt.date(2030, 1, 15)
    response = world.api("kari").patch(
        f"/api/v1/cases/{case.public_id}/",
        {"version": case.version, "safety_plan": "Ny plan", "safety_plan_review_on": None},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["safety_plan_review_on"] is None
    page_version, api_version = CaseHeaderVersion.objects.filter(case=case).order_by("number")
    assert sorted(page_version.changed) == ["motivation_stage", "safety_plan", "safety_plan_review_on"]
    assert sorted(api_version.changed) == ["safety_plan", "safety_plan_review_on"]
    assert json.loads(api_version.earlier)["safety_plan_review_on"] == "2030-01-15"


def test_a_stale_header_version_is_a_conflict_with_the_saved_header(world, case):
    case.refresh_from_db()
    stale = case.version
    edit_header(world, case, safety_plan=OLD_PLAN)
    response = world.api("kari").patch(
        f"/api/v1/cases/{case.public_id}/",
        {"version": stale, "safety_plan": "Overskriver"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["current"]["safety_plan"] == OLD_PLAN
    assert CaseHeaderVersion.objects.filter(case=case).count() == 1


def test_a_person_edit_keeps_the_earlier_identity_and_reindexes(world, case, client_for):
    edit_person(world, case, full_name=NEW_NAME, municipality="Testby")
    (version,) = PersonVersion.objects.filter(person=case.person)
    assert version.changed == ["full_name", "municipality"]
    assert json.loads(version.earlier)["full_name"] == OLD_NAME
    assert (version.author, version.author_org) == (world.m["kari"].user, world.m["kari"].organisation)
    with connection.cursor() as cur:
        cur.execute("SELECT earlier FROM people_personversion WHERE id = %s", [version.pk])
        (raw,) = cur.fetchone()
    assert "Gammelnavn" not in raw
    case.person.refresh_from_db()
    assert (case.person.full_name, case.person.version) == (NEW_NAME, 2)
    # The search index follows the new name (people.services.index_person), and forgets the old.
    client = client_for("kari")
    found = client.post(reverse("case_list"), {"q": "Nynavn"}).content.decode()
    assert case.reference in found
    gone = client.post(reverse("case_list"), {"q": "Gammelnavn"}).content.decode()
    assert case.reference not in gone
    event = AuditEvent.objects.filter(action=Action.PERSON_UPDATE).get()
    assert (event.reason, event.case_id) == ("full_name,municipality", str(case.public_id))


def test_the_person_page_and_the_api_write_versions(world, case, client_for):
    client = client_for("kari")
    url = reverse("person_edit", args=[case.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"full_name": NEW_NAME, "gender": "female", "version": 1})
    assert response.status_code == 302
    person = world.api("kari").get(f"/api/v1/cases/{case.public_id}/person/").json()
    assert (person["full_name"], person["version"]) == (NEW_NAME, 2)
    response = world.api("kari").patch(
        f"/api/v1/cases/{case.public_id}/person/",
        {"version": 2, "birth_date": "2008-04-01"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["birth_date"] == "2008-04-01"
    assert "national_id" not in response.json()
    page_version, api_version = PersonVersion.objects.filter(person=case.person).order_by("number")
    assert sorted(page_version.changed) == ["full_name", "gender"]
    assert api_version.changed == ["birth_date"]
    case.person.refresh_from_db()
    assert case.person.age_band != "unknown"


def test_a_stale_person_version_is_a_conflict_on_the_page_and_in_the_api(world, case, client_for):
    edit_person(world, case, full_name=NEW_NAME)
    response = world.api("kari").patch(
        f"/api/v1/cases/{case.public_id}/person/",
        {"version": 1, "full_name": "Noen Andre"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["current"]["full_name"] == NEW_NAME
    page = client_for("kari").post(
        reverse("person_edit", args=[case.public_id]), {"full_name": "Noen Andre", "version": 1}
    )
    assert page.status_code == 409
    case.person.refresh_from_db()
    assert case.person.full_name == NEW_NAME
    assert PersonVersion.objects.filter(person=case.person).count() == 1
    with pytest.raises(Conflict):
        services.person_edit(actor=world.m["kari"], case=case, expected_version=1, full_name="Tredje")


@pytest.mark.parametrize("username", ["ola", "siri", "mona", "atle"])
def test_only_who_manages_the_case_and_reads_the_identity_edits_the_person(world, case, client_for, username):
    url = reverse("person_edit", args=[case.public_id])
    page = client_for(username).get(url)
    api = world.api(username).patch(
        f"/api/v1/cases/{case.public_id}/person/", {"version": 1, "full_name": "X"}, content_type="application/json"
    )
    expected = 404 if username == "atle" else 403
    assert (page.status_code, api.status_code) == (expected, expected)
    case.person.refresh_from_db()
    assert case.person.full_name == OLD_NAME


# ---- The history, filtered by access ---------------------------------------------------------------------

# username -> (may see the history, reads earlier identity, reads the earlier safety plan)
HISTORY_TABLE = {
    "kari": (True, True, True),  # the owner's coordinator
    "ola": (True, True, True),  # the owner's caseworker on the team
    "siri": (True, False, True),  # another organisation on the team: no consent for identity
    "mona": (False, False, False),  # a mentor: no history of the file
    "atle": (False, False, False),  # no relation
    "dina": (False, False, False),  # the DPO: no case content
}


@pytest.fixture
def edited(world, case):
    edit_header(world, case, safety_plan=OLD_PLAN)
    edit_header(world, case, safety_plan="Ny plan")
    edit_person(world, case, full_name=NEW_NAME)
    return case


@pytest.mark.parametrize("username", list(HISTORY_TABLE))
def test_the_history_page_shows_earlier_values_only_to_those_who_read_the_field(world, edited, browse, username):
    sees, identity, safety = HISTORY_TABLE[username]
    response = browse(username).get(reverse("case_history", args=[edited.public_id]))
    if not sees:
        assert response.status_code == 404
        return
    text = response.content.decode()
    assert response.status_code == 200
    assert "Person&#x27;s identity details changed" in text or "Person's identity details changed" in text
    assert (OLD_NAME in text) is identity
    assert NEW_NAME not in text or identity  # the live name is never shown where the identity is not read
    assert (OLD_PLAN in text) is safety
    assert "Changed (the earlier value is not shown to you)" in text or identity
    assert "Anne" not in text  # nothing invented: no one else's name


@pytest.mark.parametrize("username", list(HISTORY_TABLE))
def test_the_history_api_filters_as_the_page(world, edited, username):
    sees, identity, safety = HISTORY_TABLE[username]
    response = world.api(username).get(f"/api/v1/cases/{edited.public_id}/history/")
    if not sees:
        assert response.status_code == 404
        return
    results = response.json()["results"]
    assert [r["record"] for r in results] == ["person", "header", "header"]
    (name,) = results[0]["changes"]
    assert name["field"] == "full_name" and name["readable"] is identity
    assert name["earlier"] == (OLD_NAME if identity else None)
    plan = results[1]["changes"][0]
    assert plan["earlier"] == (OLD_PLAN if safety else None)
    assert results[0]["author"] == "kari" and results[0]["organisation"] == "Testby kommune"


def test_reading_the_history_is_audited_without_content(world, edited, browse):
    browse("kari").get(reverse("case_history", args=[edited.public_id]))
    world.api("siri").get(f"/api/v1/cases/{edited.public_id}/history/")
    events = list(AuditEvent.objects.filter(action=Action.CASE_HISTORY).order_by("seq"))
    assert [e.actor_id for e in events] == [world.m["kari"].user.pk, world.m["siri"].user.pk]
    for event in events:
        assert event.case_id == str(edited.public_id) and event.reason == ""


def test_the_identity_number_is_never_shown_in_the_history(world, case):
    edit_person(world, case, national_id="01020312345")
    edit_person(world, case, national_id="")
    results = world.api("kari").get(f"/api/v1/cases/{case.public_id}/history/").json()["results"]
    changes = [c for r in results for c in r["changes"]]
    assert [c["field"] for c in changes] == ["national_id", "national_id"]
    assert all(c["earlier"] is None for c in changes)


def test_the_case_page_links_to_the_history_for_those_who_may_see_it(world, edited, browse):
    url = reverse("case_detail", args=[edited.public_id])
    history = reverse("case_history", args=[edited.public_id])
    assert history in browse("kari").get(url).content.decode()
    assert reverse("person_edit", args=[edited.public_id]) in browse("kari").get(url).content.decode()
    assert history in browse("siri").get(url).content.decode()
    assert history not in browse("mona").get(url).content.decode()


def test_the_history_page_costs_a_constant_number_of_queries(world, case, browse):
    client = browse("kari")
    url = reverse("case_history", args=[case.public_id])
    edit_header(world, case, safety_plan="En")
    edit_person(world, case, full_name="Navn En")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    world.add(case, "per")  # another organisation's author (police: membership restricted for some)
    for n in range(6):
        edit_header(world, case, safety_plan=f"Plan {n}", motivation_stage=MotivationStage.values[n % 5 + 1])
        edit_person(world, case, full_name=f"Navn {n}", municipality=f"Sted {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# ---- The safety plan's review date reminds like a plan review ----------------------------------------------


def test_a_passed_safety_plan_review_reminds_the_lead_once(world, case, browse):
    kari = world.m["kari"].user
    kari.email = "kari@example.org"
    kari.preferred_language = "en"  # the e-mail is in the user's language
    kari.save(update_fields=["email", "preferred_language"])
    edit_header(world, case, safety_plan=OLD_PLAN)
    case.refresh_from_db()
    case.__class__.objects.filter(pk=case.pk).update(safety_plan_review_on=timezone.localdate() - dt.timedelta(days=2))
    for _ in range(3):
        reminders_run()
    (note,) = Notification.objects.filter(user=kari)
    assert (note.kind, note.case_id, note.ref) == (NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE, case.pk, case.public_id)
    assert Reminder.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Utvei: you have an overdue safety plan review"
    assert OLD_PLAN not in mail.outbox[0].body and case.reference not in mail.outbox[0].body
    event = AuditEvent.objects.get(action=Action.REMINDER_SEND)
    assert (event.object_type, event.object_id) == ("case", str(case.public_id))
    page = browse("kari").get(reverse("dashboard")).content.decode()
    assert 'data-kind="safety_plan_review_overdue"' in page
    assert "Overdue safety plan review" in page
    detail = browse("kari").get(reverse("case_detail", args=[case.public_id])).content.decode()
    assert 'id="safety-plan"' in detail and "badge-overdue" in detail


def test_a_new_review_date_reminds_again_and_a_future_one_does_not(world, case):
    edit_header(world, case, safety_plan_review_on=timezone.localdate() + dt.timedelta(days=3))
    reminders_run()
    assert not Reminder.objects.exists()
    Case = case.__class__
    Case.objects.filter(pk=case.pk).update(safety_plan_review_on=timezone.localdate() - dt.timedelta(days=1))
    reminders_run()
    Case.objects.filter(pk=case.pk).update(safety_plan_review_on=timezone.localdate() - dt.timedelta(days=5))
    reminders_run()
    reminders_run()
    assert Reminder.objects.filter(kind=NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE).count() == 2


def test_a_lead_who_does_not_read_the_safety_plan_is_not_reminded(world, case):
    # The mentor leads (a lead who does not read the file in full): the review date is not theirs to hear of.
    edit_header(world, case, lead=world.m["mona"].user)
    case.__class__.objects.filter(pk=case.pk).update(safety_plan_review_on=timezone.localdate() - dt.timedelta(days=2))
    reminders_run()
    assert not Reminder.objects.exists()


@pytest.mark.parametrize(("username", "status"), [("kari", 200), ("ola", 200), ("siri", 403), ("atle", 404)])
def test_the_persons_details_are_read_in_the_api_where_the_header_shows_who_it_is(world, case, username, status):
    response = world.api(username).get(f"/api/v1/cases/{case.public_id}/person/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["full_name"] == OLD_NAME and response.json()["version"] == 1
    else:
        assert OLD_NAME not in response.content.decode()
