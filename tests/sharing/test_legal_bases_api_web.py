"""legal-bases/ in the API and the catalogue page: who may read, that nobody edits the national catalogue here, an
organisation's own notes (who writes them, who sees them, versions), the counsel note."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from utvei.audit.models import AuditEvent
from utvei.sharing.models import LegalBasis, LegalBasisNote

from ..api.api_helpers import API, assert_error, send

URL = API + "legal-bases/"


def test_the_list_carries_the_counsel_note_and_is_not_audited(world, catalogue):
    client = world.api("mona")  # a mentor in an NGO: the catalogue is public law, readable by every membership
    before = AuditEvent.objects.count()
    r = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    data = r.json()
    active = LegalBasis.objects.filter(active=True).count()
    assert data["count"] == active and len(data["results"]) == active
    first = data["results"][0]
    assert "legal counsel" in first["counsel_note"]
    assert {"key", "type", "sender_kinds", "justification_required", "max_duration_days", "gdpr_frame"} <= set(first)
    assert AuditEvent.objects.count() == before
    nb = client.get(URL).json()["results"][0]
    assert "juridisk rådgiver" in nb["counsel_note"] and nb["title"] == nb["title_nb"]


def test_inactive_bases_only_with_all(world, catalogue):
    LegalBasis.objects.filter(key="strl-17").update(active=False)
    client = world.api("ola")
    keys = {b["key"] for b in client.get(URL).json()["results"]}
    assert "strl-17" not in keys
    keys = {b["key"] for b in client.get(URL, {"all": "1"}).json()["results"]}
    assert "strl-17" in keys
    assert_error(client.get(URL, {"all": "maybe"}), 400, "invalid")


def test_one_basis_with_revisions_and_the_note(world, catalogue):
    r = world.api("per").get(URL + "hpl-23-4/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    body = r.json()
    assert body["key"] == "hpl-23-4" and body["revisions"] == 1 and body["version"] == 1
    assert body["sender_kinds"] == ["health", "mental_health"] and body["justification_required"] is True
    assert "legal counsel" in body["counsel_note"] and body["updated_by"] is None
    assert_error(world.api("per").get(URL + "no-such-basis/"), 404, "not_found")


def test_unauthenticated_is_401(db, catalogue):
    assert_error(Client().get(URL), 401)
    assert_error(Client().get(URL + "fvl-13b-5/"), 401)
    assert_error(send(Client(), "PATCH", URL + "fvl-13b-5/", {"version": 1, "active": False}), 401)


def test_an_admin_writes_the_organisations_note_and_a_stale_version_is_409(world, catalogue):
    client = world.api("adam")  # kommune's administrator
    before = LegalBasis.objects.get(key="fvl-13b-5").version
    r = send(client, "PATCH", URL + "fvl-13b-5/", {"version": 0, "local_note": "Ring juristen vår først: 22 00 00 00."})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["local_note"] == "Ring juristen vår først: 22 00 00 00." and body["local_note_version"] == 1
    assert body["version"] == before  # the national entry is unchanged
    event = AuditEvent.objects.filter(action="legal_basis.update").latest("seq")
    assert (event.object_type, event.object_id, event.reason) == ("legalbasisnote", "fvl-13b-5", "note v1")
    stale = send(client, "PATCH", URL + "fvl-13b-5/", {"version": 0, "local_note": "Noe annet"})
    data = assert_error(stale, 409, "conflict")
    assert data["current"]["local_note"] == "Ring juristen vår først: 22 00 00 00."
    # Another organisation's people do not see it; the organisation's own people do.
    assert send(world.api("per"), "GET", URL + "fvl-13b-5/").json()["local_note"] == ""
    assert send(world.api("ola"), "GET", URL + "fvl-13b-5/").json()["local_note_version"] == 1


def test_the_national_catalogue_is_not_changed_here(world, catalogue):
    """Any organisation's administrator could once change every organisation's catalogue: no longer."""
    r = send(world.api("adam"), "PATCH", URL + "fvl-13b-5/", {"version": 1, "max_duration_days": 200})
    data = assert_error(r, 422, "national_catalogue")
    assert "max_duration_days" in data["detail"]
    basis = LegalBasis.objects.get(key="fvl-13b-5")
    assert basis.max_duration_days != 200 and basis.revisions.count() == 1


@pytest.mark.parametrize("username", ["kari", "ola", "per", "mona", "dina", "rolf"])
def test_others_may_not_write_notes(world, catalogue, username):
    r = send(world.api(username), "PATCH", URL + "fvl-13b-5/", {"version": 0, "local_note": "x"})
    assert_error(r, 403, "forbidden")
    assert not LegalBasisNote.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"local_note": "x"},
        {"version": -1, "local_note": "x"},
        {"version": 0},
        {"version": 0, "local_note": "x" * 2001},
        {"version": 0, "local_note": None},
        {"version": "nope", "local_note": "x"},
    ],
)
def test_bad_patches_are_400(world, catalogue, body):
    assert_error(send(world.api("adam"), "PATCH", URL + "fvl-13b-5/", body), 400)
    assert not LegalBasisNote.objects.exists()


def test_the_page_shows_the_organisations_own_note(world, browse, catalogue):
    send(world.api("adam"), "PATCH", URL + "fvl-13b-5/", {"version": 0, "local_note": "Spør leder før deling."})
    assert "Spør leder før deling." in browse("ola").get("/legal-bases/").content.decode()
    assert "Spør leder før deling." not in browse("per").get("/legal-bases/").content.decode()


def test_the_schema_documents_the_catalogue(db):
    import yaml

    paths = yaml.safe_load(Client().get(API + "schema/").content)["paths"]
    assert {"get"} <= set(paths["/api/v1/legal-bases/"])
    assert {"get", "patch"} <= set(paths["/api/v1/legal-bases/{key}/"])


# ---- The page ------------------------------------------------------------------------------------------


def _page(client):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/legal-bases/")
    assert r.status_code == 200
    return r.content.decode(), ctx.captured_queries


def test_the_page_groups_by_statute_and_shows_the_note(world, browse, catalogue):
    html, queries = _page(browse("ola"))
    assert "must be checked by legal counsel" in html and 'id="counsel-note"' in html
    assert "Health Personnel Act (helsepersonelloven)" in html and "Penal Code (straffeloven)" in html
    assert 'id="basis-hpl-23-4"' in html and "Weighty private or public interests" in html
    assert "30 days" in html and "Any organisation" in html and "GDPR art. 6(1)(e)" in html
    assert not any("audit" in q["sql"].lower() and "insert" in q["sql"].lower() for q in queries)


def test_the_page_makes_a_constant_number_of_queries(world, browse, catalogue):
    client = browse("ola")
    _html, many = _page(client)
    LegalBasis.objects.exclude(key__in=["fvl-13b-5", "hpl-22"]).update(active=False)
    html, few = _page(client)
    assert html.count('<tr id="basis-') == 2
    assert len(few) == len(many)


def test_the_page_is_in_bokmal_by_default(world, client_for, catalogue):
    html = client_for("kari").get("/legal-bases/").content.decode()
    assert "Rettslige grunnlag for deling" in html and "juridisk rådgiver" in html
    assert "Tungtveiende private eller offentlige interesser" in html


@pytest.mark.parametrize("username", ["rolf", "dina", "anna", "adam", "mona"])
def test_every_role_may_read_the_page(world, browse, catalogue, username):
    assert browse(username).get("/legal-bases/").status_code == 200


def test_the_page_needs_a_login(db):
    r = Client().get("/legal-bases/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_the_nav_links_to_the_catalogue(world, browse, catalogue):
    assert 'href="/legal-bases/"' in browse("ola").get("/").content.decode()


# ---- The organisation's note on the page ---------------------------------------------------------------

NOTE_URL = "/legal-bases/fvl-13b-5/note/"


def _note(text: str, version: str | None) -> dict[str, str]:
    data = {"note-fvl-13b-5-text": text}
    if version is not None:
        data["note-fvl-13b-5-version"] = version
    return data


def test_an_administrator_writes_the_note_on_the_page(world, browse, catalogue):
    admin = browse("adam")
    page = admin.get("/legal-bases/").content.decode()
    assert f'action="{NOTE_URL}"' in page and 'name="note-fvl-13b-5-version" value="0"' in page
    r = admin.post(NOTE_URL, _note("Ring juristen vår først.", "0"))
    assert r.status_code == 302 and r["Location"].endswith("#basis-fvl-13b-5")
    note = LegalBasisNote.objects.get(basis__key="fvl-13b-5")
    assert (note.text, note.version, note.organisation.slug) == ("Ring juristen vår først.", 1, "kommune")
    page = admin.get("/legal-bases/").content.decode()
    assert "Ring juristen vår først." in page and 'name="note-fvl-13b-5-version" value="1"' in page
    # Another administrator with the page as it was: 409, what they typed is kept, the saved note stands.
    stale = admin.post(NOTE_URL, _note("Noe annet", "0"), HTTP_ACCEPT_LANGUAGE="en")
    assert stale.status_code == 409 and "Noe annet" in stale.content.decode()
    top = stale.content.decode().split('id="counsel-note"')[0]  # said at the top, where the page opens
    assert "is not saved" in top and 'href="#note-fvl-13b-5"' in top
    assert 'name="note-fvl-13b-5-version" value="1"' in stale.content.decode()  # to save next against the saved one
    assert LegalBasisNote.objects.get().text == "Ring juristen vår først."
    # Without the version it read: refused, nothing changes.
    assert admin.post(NOTE_URL, _note("Uten versjon", None)).status_code == 400
    assert LegalBasisNote.objects.get().version == 1


def test_others_get_no_note_form_and_may_not_post_one(world, browse, catalogue):
    for username in ("ola", "per", "mona"):
        client = browse(username)
        assert "/note/" not in client.get("/legal-bases/").content.decode()
        assert client.post(NOTE_URL, _note("x", "0")).status_code == 403
    assert not LegalBasisNote.objects.exists()
