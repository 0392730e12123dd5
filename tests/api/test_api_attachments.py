"""Attachments through the API (issue 13, deliverable 5): the same gates, limits and audit as the pages."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases import attachment_files as f
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Attachment, TeamRole
from utvei.core.vocabulary import Classification

API = "/api/v1"


def _case(world):
    case = world.open_case()
    for username in ("ola", "per"):
        world.add(case, username)
    world.add(case, "mona", role=TeamRole.MENTOR)
    return case


def _upload(client, entry, data, name, classification="team", category="plan"):
    return client.post(
        f"{API}/cases/{entry.case.public_id}/entries/{entry.public_id}/attachments/",
        {"file": SimpleUploadedFile(name, data), "classification": classification, "category": category},
    )


def test_upload_list_and_download_through_the_api(world):
    case = _case(world)
    entry = world.entry(case, "ola")
    ola = world.api("ola")
    made = _upload(ola, entry, f.PDF, "Vedtak – Test Testesen.pdf")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["content_type"], body["size"], body["restricted"]) == ("application/pdf", len(f.PDF), False)
    listed = ola.get(f"{API}/cases/{case.public_id}/entries/{entry.public_id}/attachments/").json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]
    got = world.api("per").get(f"{API}/attachments/{body['id']}/")
    assert got.status_code == 200 and got.content == f.PDF
    assert got["Content-Disposition"].startswith("attachment;") and got["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_DOWNLOAD).count() == 1
    for outsider in ("atle", "rolf", "dina"):
        assert world.api(outsider).get(f"{API}/attachments/{body['id']}/").status_code == 404
    assert world.api("atle").get(f"{API}/attachments/{Attachment.objects.get().case.public_id}/").status_code == 404


def test_a_file_the_viewer_may_not_open_is_a_marker_and_a_404(world):
    case = _case(world)
    entry = world.entry(case, "ola")
    ola = world.api("ola")
    own = _upload(ola, entry, f.PDF, "Intern.pdf", classification=Classification.OWN_ORG).json()
    per = world.api("per")
    rows = per.get(f"{API}/cases/{case.public_id}/entries/{entry.public_id}/attachments/").json()["results"]
    assert rows == [{"uploaded_at": rows[0]["uploaded_at"], "author_organisation": "kommune", "restricted": True}]
    assert per.get(f"{API}/attachments/{own['id']}/").status_code == 404


def test_refusals_with_real_files(world, settings):
    settings.UTVEI_ATTACHMENT_MAX_BYTES = 1000
    case = _case(world)
    entry = world.entry(case, "ola")
    ola = world.api("ola")
    wrong = _upload(ola, entry, f.HTML, "rapport.pdf")
    assert wrong.status_code == 422 and wrong.json()["error"] == "file_type"
    empty = _upload(ola, entry, b"", "tom.pdf")
    assert empty.status_code == 422 and empty.json()["error"] == "file_empty"
    big = _upload(ola, entry, f.PDF + b"%" * 2000, "stor.pdf")
    assert big.status_code == 413 and big.json()["error"] == "file_too_large"
    assert _upload(world.api("per"), entry, f.PDF, "ikke-min.pdf").status_code == 403  # not the author organisation
    assert _upload(world.api("atle"), entry, f.PDF, "x.pdf").status_code == 404
    assert not Attachment.objects.exists()
