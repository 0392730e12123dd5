"""cases/{id}/entries/: classification decides who reads; others see restricted markers; versions conflict."""

from __future__ import annotations

from typing import Any

from utvei.audit.models import Action
from utvei.cases import services as case_services
from utvei.cases.models import Entry, EntryRevision

from .api_helpers import API, CaseWorld, assert_error, audit_seq, last_events, send

MARKER_KEYS = {"id", "kind", "occurred_at", "author_organisation", "restricted"}


def timeline(cw: CaseWorld, username: str) -> tuple[dict[str, Any], str]:
    r = cw.api(username).get(cw.url + "entries/")
    assert r.status_code == 200, r.content
    return {e["id"]: e for e in r.json()["results"]}, r.content.decode()


def test_police_entries_are_markers_for_the_school_and_full_for_the_police(cw: CaseWorld) -> None:
    pid = str(cw.police_entry.public_id)
    entries, text = timeline(cw, "siri")
    assert entries[pid] == {
        "id": pid,
        "kind": "note",
        "occurred_at": entries[pid]["occurred_at"],
        "author_organisation": "politi",
        "restricted": True,
    }
    assert "Politiets vurdering" not in text and "police" not in text
    assert entries[str(cw.team_entry.public_id)]["body"] == "Skolen melder om fravær"
    entries, _text = timeline(cw, "per")
    assert entries[pid]["body"] == "Politiets vurdering: hemmelig" and entries[pid]["restricted"] is False
    assert entries[pid]["classification"] == "police" and entries[pid]["author"] == "per"


def test_the_owning_coordinator_gets_a_marker_for_police_entries(cw: CaseWorld) -> None:
    entries, text = timeline(cw, "kari")
    assert set(entries[str(cw.police_entry.public_id)]) == MARKER_KEYS
    assert "Politiets vurdering" not in text


def test_a_mentor_gets_no_markers(cw: CaseWorld) -> None:
    entries, text = timeline(cw, "mona")
    assert list(entries) == [str(cw.mentor_entry.public_id)]
    assert "Politiets" not in text and "Skolen" not in text


def test_reading_a_restricted_entry_gives_the_marker(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.police_entry.public_id}/"
    seq = audit_seq()
    r = cw.api("siri").get(url)
    assert r.status_code == 200
    assert set(r.json()) == MARKER_KEYS and r.json()["restricted"] is True
    assert "Politiets" not in r.content.decode()
    (event,) = last_events(seq)
    assert event.action == Action.ENTRY_VIEW and event.reason == "restricted"
    assert cw.api("per").get(url).json()["body"] == "Politiets vurdering: hemmelig"
    assert_error(cw.api("mona").get(url), 404, "not_found")


def test_an_entry_is_addressed_through_its_own_case(cw: CaseWorld) -> None:
    other = cw.world.open_case(name="Annen Person")
    url = f"{API}cases/{other.public_id}/entries/{cw.team_entry.public_id}/"
    assert_error(cw.api("kari").get(url), 404, "not_found")
    assert_error(send(cw.api("siri"), "patch", url, {"version": 1, "body": "x"}), 404)


def test_writing_an_entry_sets_the_author_from_the_token(cw: CaseWorld) -> None:
    payload = {
        "kind": "conversation",
        "classification": "team",
        "category": "family",
        "title": "Samtale",
        "body": "Samtale med foreldrene",
        "occurred_at": "2026-01-10T10:00:00+01:00",
        "author": "atle",
        "author_org": "annen",
        "author_organisation": "annen",
        "case": "00000000-0000-0000-0000-000000000001",
        "version": 7,
        "restricted": True,
        "created_at": "2000-01-01T00:00:00Z",
    }
    seq = audit_seq()
    r = send(cw.api("siri"), "post", cw.url + "entries/", payload)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["author"] == "siri" and data["author_organisation"] == "skole" and data["version"] == 1
    assert data["case"] == str(cw.case.public_id) and data["restricted"] is False
    entry = Entry.objects.get(public_id=data["id"])
    assert entry.author == cw.world.m["siri"].user and entry.author_org.slug == "skole"
    assert entry.case == cw.case and entry.occurred_at.isoformat().startswith("2026-01-10T09:00")
    assert Action.ENTRY_CREATE in [e.action for e in last_events(seq)]


def test_a_classification_the_writer_cannot_read_is_refused(cw: CaseWorld) -> None:
    r = send(cw.api("siri"), "post", cw.url + "entries/", {"kind": "note", "classification": "police", "body": "x"})
    assert_error(r, 422, "classification_not_allowed")


def test_an_entry_cannot_be_dated_in_the_future(cw: CaseWorld) -> None:
    payload = {"kind": "note", "classification": "team", "body": "x", "occurred_at": "2099-01-01T00:00:00Z"}
    assert_error(send(cw.api("siri"), "post", cw.url + "entries/", payload), 422, "future_date")


def test_edit_with_the_version_keeps_a_revision(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    r = send(cw.api("siri"), "patch", url, {"version": 1, "body": "Rettet tekst", "title": "Ny tittel"})
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["body"] == "Rettet tekst" and r.json()["title"] == "Ny tittel"
    assert EntryRevision.objects.filter(entry=cw.team_entry).count() == 2


def test_edit_without_body_keeps_the_body(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    r = send(cw.api("siri"), "patch", url, {"version": 1, "kind": "phone"})
    assert r.status_code == 200, r.content
    assert r.json()["body"] == "Skolen melder om fravær" and r.json()["kind"] == "phone"


def test_edit_needs_the_version(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    data = assert_error(send(cw.api("siri"), "patch", url, {"body": "x"}), 400, "invalid")
    assert "version" in data["fields"]


def test_a_stale_version_is_409_with_the_saved_text_to_merge(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    assert send(cw.api("siri"), "patch", url, {"version": 1, "body": "Først lagret"}).status_code == 200
    seq = audit_seq()
    data = assert_error(send(cw.api("siri"), "patch", url, {"version": 1, "body": "Min versjon"}), 409, "conflict")
    assert data["current"]["version"] == 2 and data["current"]["body"] == "Først lagret"
    assert Action.ENTRY_CONFLICT in [e.action for e in last_events(seq)]
    cw.team_entry.refresh_from_db()
    assert cw.team_entry.body == "Først lagret"


def test_a_conflict_never_reveals_a_version_the_caller_may_not_read(cw: CaseWorld, monkeypatch: Any) -> None:
    """If the saved version has moved out of the caller's reach (a race), the 409 carries no content."""
    from utvei.access.policy import DENY
    from utvei.api.views import entries as entry_views

    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    assert send(cw.api("siri"), "patch", url, {"version": 1, "body": "Først lagret"}).status_code == 200
    monkeypatch.setattr(entry_views.policy, "can", lambda *a, **k: DENY)
    r = send(cw.api("siri"), "patch", url, {"version": 1, "body": "Min versjon"})
    data = assert_error(r, 409, "conflict")
    assert data["current"] is None and "Først lagret" not in r.content.decode()


def test_only_the_author_organisation_edits(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    assert_error(send(cw.api("kari"), "patch", url, {"version": 1, "body": "x"}), 403, "forbidden")
    assert_error(send(cw.api("per"), "patch", url, {"version": 1, "body": "x"}), 403, "forbidden")


def test_a_restricted_entry_cannot_be_edited_and_looks_missing(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.police_entry.public_id}/"
    assert_error(send(cw.api("siri"), "patch", url, {"version": 1, "body": "x"}), 404, "not_found")
    cw.police_entry.refresh_from_db()
    assert cw.police_entry.body == "Politiets vurdering: hemmelig"


def test_the_client_cannot_change_author_or_case_when_editing(cw: CaseWorld) -> None:
    url = f"{cw.url}entries/{cw.team_entry.public_id}/"
    payload = {"version": 1, "body": "Ny", "author": "per", "author_organisation": "politi", "case": "x"}
    assert send(cw.api("siri"), "patch", url, payload).status_code == 200
    cw.team_entry.refresh_from_db()
    assert cw.team_entry.author.username == "siri" and cw.team_entry.author_org.slug == "skole"


def test_no_writing_on_a_closed_case(cw: CaseWorld) -> None:
    case_services.case_close(actor=cw.world.m["kari"], case=cw.case, reason="other", summary="Slutt")
    r = send(cw.api("siri"), "post", cw.url + "entries/", {"kind": "note", "classification": "team", "body": "x"})
    assert_error(r, 403, "forbidden")
