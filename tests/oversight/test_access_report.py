"""The DPO's per-person access report: complete for the person's cases, each access with its basis; scoped, audited,
paged and exported; found by reference, identity number or name; never a name or number in an address."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.models import TeamRole
from utvei.core.errors import NotFound
from utvei.oversight import report
from utvei.people.services import person_find_or_create
from utvei.sharing.emergency import services as emergency

NAME = "Hemmelig Personsen"
NIN = "01019012345"


@pytest.fixture
def story(world):
    """kari's (kommune) case on a person; per (police) on the team, nora (NAV) through an accepted referral, kjell
    (kommune's coordinator, not on the team) and arne (another municipality, emergency access) read it."""
    person, _ = person_find_or_create(actor=world.m["kari"], full_name=NAME, national_id=NIN)
    case = case_services.case_open(actor=world.m["kari"], person=person, track="exit")
    world.consent(case, "kommune")
    world.add(case, "per")
    world.add(case, "nora", role=TeamRole.REFERRAL)
    world.entry(case, "kari", body="INNHOLD")
    for username in ("per", "nora", "kjell"):
        case_selectors.case_get(actor=world.m[username], case_id=case.public_id)
    emergency.emergency_open(
        actor=world.m["arne"], case_reference=case.reference, reason_code="missing", reason_text="Savnet i kveld"
    )
    case_selectors.case_get(actor=world.m["arne"], case_id=case.public_id)
    return person, case


def basis_of(rows, username: str, action: str = Action.CASE_VIEW) -> set[str]:
    return {r.basis for r in rows if r.user == username and r.action == action}


def all_rows(world, username, person):
    result = report.access_report(actor=world.m[username], person=person)
    return report.report_rows(report.report_page_values(result.events), result.cases), result


# ---- Completeness and basis -------------------------------------------------------------------------------------


def test_every_read_and_write_of_the_persons_cases_is_in_the_report_with_its_basis(world, story):
    person, case = story
    rows, result = all_rows(world, "dina", person)
    about = Q(case_id=str(case.public_id)) | Q(object_type="person", object_id=str(person.public_id))
    expected = set(AuditEvent.objects.filter(about).values_list("seq", flat=True))
    assert {r.seq for r in rows} == expected  # the owning organisation's DPO: everything about the person
    assert basis_of(rows, "per") == {"team"}
    assert basis_of(rows, "nora") == {"referral"}
    assert basis_of(rows, "kjell") == {"coordinator"}
    assert basis_of(rows, "arne") == {"emergency"}
    assert basis_of(rows, "kari", Action.ENTRY_CREATE) == {"team"}
    (arne,) = [r for r in rows if r.user == "arne" and r.action == Action.CASE_VIEW]
    assert arne.basis_label.startswith("Emergency access: ")
    assert arne.organisation == "Annenby kommune" and arne.kind == "read" and arne.case_reference == case.reference
    (write,) = [r for r in rows if r.action == Action.ENTRY_CREATE]
    assert write.kind == "write" and write.action_label == "Entry written"


def test_the_report_shows_workers_names_but_no_content_or_identity(world, story, dpo):
    person, case = story
    user = world.m["per"].user
    user.first_name, user.last_name = "Per", "Politimann"
    user.save()
    r = dpo.get(f"/audit/people/{person.public_id}/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "Per Politimann" in text and "Team member" in text and "Accepted referral" in text
    assert case.reference in text
    for secret in (NAME, NIN, "INNHOLD", "Savnet i kveld"):
        assert secret not in text


def test_another_organisations_dpo_sees_only_their_own_staffs_accesses(world, story):
    person, case = story
    rows, _ = all_rows(world, "dora", person)
    assert rows and {r.user for r in rows if r.user} <= {"arne", "dora"}
    assert basis_of(rows, "arne") == {"emergency"}


def test_a_dpo_with_no_relation_to_the_person_finds_nothing(world, story, browse):
    person, _ = story
    other = world.open_case(name="Noen Andre", by="atle")
    assert report.person_get(actor=world.m["dora"], person_id=other.person.public_id)  # her organisation owns it
    with pytest.raises(NotFound):
        report.person_get(actor=world.m["dina"], person_id=other.person.public_id)
    assert browse("dina").get(f"/audit/people/{other.person.public_id}/").status_code == 404


@pytest.mark.parametrize("username", ["kari", "ola", "per", "anna", "adam", "atle", "rolf"])
def test_other_roles_get_404(world, story, client_for, username):
    person, _ = story
    client = client_for(username)
    assert client.get("/audit/people/").status_code == 404
    assert client.get(f"/audit/people/{person.public_id}/").status_code == 404
    assert client.get(f"/audit/people/{person.public_id}/export/").status_code == 404


# ---- Finding the person ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["case", "person", NIN, "hemmelig personsen", "Personsen"])
def test_the_dpo_finds_the_person_by_reference_identity_number_or_name(world, story, dpo, query):
    person, case = story
    value = {"case": case.reference, "person": person.reference}.get(query, query)
    r = dpo.post("/audit/people/", {"person": value})
    assert r.status_code == 302 and r["Location"] == f"/audit/people/{person.public_id}/"


def test_the_search_is_sent_in_the_body_so_no_name_is_in_an_address(world, story, dpo):
    r = dpo.get("/audit/people/", {"person": NAME})
    assert r.status_code == 200 and 'method="post"' in r.content.decode()
    r = dpo.post("/audit/people/", {"person": "Ingen Slikperson"})
    assert r.status_code == 200 and "No person you can report on matches." in r.content.decode()


def test_an_identity_number_lookup_is_audited_without_the_number(world, story):
    person, _ = story
    assert report.person_find(actor=world.m["dina"], query=NIN) == [person]
    ev = AuditEvent.objects.filter(action=Action.PERSON_LOOKUP, actor_id=world.m["dina"].user_id).get()
    assert ev.object_id == str(person.public_id) and NIN not in ev.reason


# ---- Audit, paging, CSV, cost ------------------------------------------------------------------------------------


def test_reading_the_report_is_itself_in_the_log_and_in_the_report(world, story, dpo):
    person, _ = story
    dpo.get(f"/audit/people/{person.public_id}/")
    (ev,) = AuditEvent.objects.filter(action=Action.ACCESS_REPORT)
    assert ev.actor_id == world.m["dina"].user_id and ev.object_id == str(person.public_id) and ev.reason == "page"
    rows, _ = all_rows(world, "dina", person)
    assert {r.basis for r in rows if r.action == Action.ACCESS_REPORT} == {"oversight"}


def test_the_csv_has_every_row_with_its_basis(world, story, dpo):
    person, case = story
    r = dpo.get(f"/audit/people/{person.public_id}/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert {row["basis"] for row in lines if row["user"] == "nora"} == {"referral"}
    assert AuditEvent.objects.filter(action=Action.ACCESS_REPORT, reason="csv").count() == 1
    about = Q(case_id=str(case.public_id)) | Q(object_type="person", object_id=str(person.public_id))
    assert len(lines) == AuditEvent.objects.filter(about).count()


def test_pages_hold_fifty_rows_and_stay_put_while_the_log_grows(world, story, dpo):
    person, case = story
    for _ in range(60):
        case_selectors.case_get(actor=world.m["per"], case_id=case.public_id)
    first = dpo.get(f"/audit/people/{person.public_id}/")
    assert first.content.decode().count("data-seq=") == 50
    case_selectors.case_get(actor=world.m["per"], case_id=case.public_id)  # a new event meanwhile
    query = first.context["query"]
    second = dpo.get(f"/audit/people/{person.public_id}/?{query}&page=2")
    seqs_first = {r.seq for r in first.context["rows"]}
    seqs_second = {r.seq for r in second.context["rows"]}
    assert not seqs_first & seqs_second and max(seqs_second) < min(seqs_first)


def test_the_report_page_costs_the_same_for_few_events_or_many(world, story, dpo):
    person, case = story
    with CaptureQueriesContext(connection) as few:
        dpo.get(f"/audit/people/{person.public_id}/")
    for username in ("per", "nora", "kjell", "arne"):
        for _ in range(5):
            case_selectors.case_get(actor=world.m[username], case_id=case.public_id)
    with CaptureQueriesContext(connection) as many:
        dpo.get(f"/audit/people/{person.public_id}/")
    assert len(many) == len(few)
