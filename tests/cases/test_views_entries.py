"""Timeline entries: writing, reading, restricted markers, revisions and the edit conflict."""

from __future__ import annotations

import uuid

import pytest

from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Entry, TeamRole
from utvei.core.vocabulary import Classification

POLICE_SECRET = "POLITIETS-KILDE-SIER"


@pytest.fixture
def case(world):
    c = world.open_case()
    for username in ("ola", "per", "nils"):
        world.add(c, username)
    world.add(c, "mona", role=TeamRole.MENTOR)
    return c


def entry_url(entry, suffix=""):
    return f"/cases/{entry.case.public_id}/entries/{entry.public_id}/{suffix}"


def new_data(**kw):
    data = {
        "kind": "conversation",
        "category": "plan",
        "classification": "team",
        "occurred_at": "2025-03-01T10:30",
        "title": "Første samtale",
        "body": "Vi snakket om skole og arbeid.",
    }
    data.update(kw)
    return data


# ---- New entry -----------------------------------------------------------------------------------------


def test_entry_form_offers_only_writable_classifications(world, browse, case):
    body = browse("ola").get(f"/cases/{case.public_id}/entries/new/").content.decode()
    radio = 'name="classification" value="{}"'.format
    assert radio("team") in body and radio("police") not in body and radio("health") not in body
    body = browse("per").get(f"/cases/{case.public_id}/entries/new/").content.decode()
    assert radio("police") in body
    assert "<legend" in body  # the classification radio group has a legend


def test_writing_an_entry(world, browse, case):
    client = browse("ola")
    response = client.post(f"/cases/{case.public_id}/entries/new/", new_data())
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.author_org == world.orgs["kommune"] and entry.occurred_at.year == 2025
    assert response["Location"] == f"/cases/{case.public_id}/#entry-{entry.public_id}"
    assert "Vi snakket om skole og arbeid." in client.get(f"/cases/{case.public_id}/").content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"body": ""},
        {"body": "x" * 20001},
        {"title": "t" * 201},
        {"classification": "police"},  # ola's organisation may not read it, so may not write it
        {"classification": "top-secret"},
        {"kind": "rumour"},
        {"category": "gossip"},
        {"occurred_at": "yesterday"},
        {"occurred_at": "2999-01-01T10:00"},
        {"occurred_at": "0001-01-01T00:30"},  # would overflow when converted to UTC
    ],
)
def test_bad_entry_input_gives_400(world, browse, case, change):
    response = browse("ola").post(f"/cases/{case.public_id}/entries/new/", new_data(**change))
    assert response.status_code == 400
    assert not Entry.objects.exists()


def test_entry_form_access(world, browse, case):
    assert browse("atle").get(f"/cases/{case.public_id}/entries/new/").status_code == 404
    assert browse("atle").post(f"/cases/{case.public_id}/entries/new/", new_data()).status_code == 404
    assert browse("rolf").get(f"/cases/{case.public_id}/entries/new/").status_code == 404
    assert browse("ola").get(f"/cases/{uuid.uuid4()}/entries/new/").status_code == 404


def test_a_mentor_writes_in_the_mentor_compartment(world, browse, case):
    client = browse("mona")
    body = client.get(f"/cases/{case.public_id}/entries/new/").content.decode()
    radio = 'name="classification" value="{}"'.format
    assert radio("mentor") in body and radio("team") not in body
    assert client.post(f"/cases/{case.public_id}/entries/new/", new_data(classification="mentor")).status_code == 302


# ---- Entry detail --------------------------------------------------------------------------------------


def test_entry_detail_happy_path_and_audit(world, browse, case):
    entry = world.entry(case, "ola", Classification.TEAM, body="Lest av teamet")
    client = browse("nils")
    before = AuditEvent.objects.count()
    response = client.get(entry_url(entry))
    assert response.status_code == 200
    assert AuditEvent.objects.count() - before == 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == Action.ENTRY_VIEW and event.actor_id == world.m["nils"].user_id
    assert event.case_id == str(case.public_id)
    body = response.content.decode()
    assert "Lest av teamet" in body and "Revision history" in body
    assert "Edit the entry" not in body  # another organisation wrote it


def test_a_police_entry_shows_as_a_marker_to_other_team_members(world, browse, case):
    entry = world.entry(case, "per", Classification.POLICE, body=POLICE_SECRET)
    for username in ("kari", "ola", "nils"):
        response = browse(username).get(entry_url(entry))
        assert response.status_code == 200
        body = response.content.decode()
        assert POLICE_SECRET not in body
        assert 'data-restricted="true"' in body and "Restricted entry" in body
    assert POLICE_SECRET in browse("per").get(entry_url(entry)).content.decode()


def test_entry_detail_is_404_when_there_is_no_relation(world, browse, case):
    team = world.entry(case, "ola", Classification.TEAM)
    assert browse("atle").get(entry_url(team)).status_code == 404
    assert browse("mona").get(entry_url(team)).status_code == 404  # mentors get no markers
    assert browse("ola").get(f"/cases/{case.public_id}/entries/{uuid.uuid4()}/").status_code == 404
    assert browse("ola").get(f"/cases/{case.public_id}/entries/nope/").status_code == 404
    other = world.open_case()
    assert browse("kari").get(f"/cases/{other.public_id}/entries/{team.public_id}/").status_code == 404


# ---- Edit and the conflict flow ------------------------------------------------------------------------


def edit_data(entry, **kw):
    data = {
        "kind": entry.kind,
        "category": entry.category,
        "classification": entry.classification,
        "title": entry.title,
        "body": entry.body,
        "version": entry.version,
    }
    data.update(kw)
    return data


def test_edit_happy_path(world, browse, case):
    entry = world.entry(case, "ola", Classification.TEAM, body="Opprinnelig")
    client = browse("ola")
    body = client.get(entry_url(entry, "edit/")).content.decode()
    assert 'type="hidden" name="version" value="1"' in body
    response = client.post(entry_url(entry, "edit/"), edit_data(entry, body="Rettet"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Rettet" and entry.version == 2


def test_two_edits_from_the_same_version_conflict(world, browse, case):
    entry = world.entry(case, "ola", Classification.TEAM, body="Opprinnelig tekst")
    first, second = browse("ola"), browse("kari")
    assert first.post(entry_url(entry, "edit/"), edit_data(entry, body="Olas endring")).status_code == 302
    response = second.post(entry_url(entry, "edit/"), edit_data(entry, body="Karis endring"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this entry" in body
    assert "Karis endring" in body.split('name="body"')[1].split("</textarea>")[0]  # the user's text is kept
    assert "Olas endring" in body.split('id="saved-body"')[1]  # the saved text beside it
    assert 'name="version" value="2"' in body  # the next save goes against the saved version
    entry.refresh_from_db()
    assert entry.body == "Olas endring"
    response = second.post(entry_url(entry, "edit/"), edit_data(entry, body="Olas endring\nKaris endring"))
    assert response.status_code == 302
    revisions = list(entry.revisions.order_by("version").values_list("body", flat=True))
    assert revisions == ["Opprinnelig tekst", "Olas endring", "Olas endring\nKaris endring"]
    page = second.get(entry_url(entry)).content.decode()
    assert "Version 3" in page and "Version 2" in page and "Version 1" in page


def test_edit_access_and_bad_input(world, browse, case):
    entry = world.entry(case, "ola", Classification.TEAM, body="Tekst")
    assert browse("nils").get(entry_url(entry, "edit/")).status_code == 403  # another organisation wrote it
    assert browse("atle").get(entry_url(entry, "edit/")).status_code == 404
    police = world.entry(case, "per", Classification.POLICE, body=POLICE_SECRET)
    response = browse("kari").get(entry_url(police, "edit/"))
    assert response.status_code == 404 and POLICE_SECRET not in response.content.decode()
    client = browse("ola")
    assert client.post(entry_url(entry, "edit/"), edit_data(entry, version="x")).status_code == 400
    assert client.post(entry_url(entry, "edit/"), edit_data(entry, body="")).status_code == 400
    assert client.post(entry_url(entry, "edit/"), edit_data(entry, classification="police")).status_code == 400
