"""Attachments on timeline entries, meetings and consents: upload, list, download, refusals, access and audit."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.cases import attachment_files as f
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import Attachment, AttachmentBlob, TeamRole
from utvei.core.errors import Forbidden
from utvei.core.files import FileRefused
from utvei.core.vocabulary import Classification


@pytest.fixture
def case(world):
    c = world.open_case()
    for username in ("ola", "per", "nils"):
        world.add(c, username)
    world.add(c, "mona", role=TeamRole.MENTOR)
    return c


def upload_url(entry):
    return f"/cases/{entry.case.public_id}/entries/{entry.public_id}/attachments/"


def form(data, name, classification="team", category="plan"):
    return {
        "attachment-file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        "attachment-classification": classification,
        "attachment-category": category,
    }


def attach(world, entry, by="ola", data=f.PDF, name="Vedtak om tiltak – Test Testesen.pdf", **kw):
    return services.attachment_add(
        actor=world.m[by], owner=entry, filename=name, data=data, classification=kw.pop("classification", "team"), **kw
    )


def test_upload_download_and_audit(world, browse, case):
    entry = world.entry(case, "ola")
    client = browse("ola")
    response = client.post(upload_url(entry), form(f.PDF, "Vedtak – Test Testesen.pdf"))
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    att = Attachment.objects.get()
    assert (att.entry, att.content_type, att.size) == (entry, "application/pdf", len(f.PDF))
    assert att.author_org == world.orgs["kommune"]
    # Encrypted at rest: neither the name nor the content is in the database in clear.
    with connection.cursor() as cur:
        cur.execute("SELECT filename FROM cases_attachment")
        assert "Testesen" not in cur.fetchone()[0]
        cur.execute("SELECT data FROM cases_attachmentblob")
        assert b"%PDF" not in bytes(cur.fetchone()[0])
    page = client.get(f"/cases/{case.public_id}/entries/{entry.public_id}/").content.decode()
    assert "Vedtak – Test Testesen.pdf" in page and f"/attachments/{att.public_id}/" in page
    # A team member of another organisation with a consent reads it.
    response = browse("per").get(f"/attachments/{att.public_id}/")
    assert response.status_code == 200 and response.content == f.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Vedtak%20%E2%80%93%20Test%20Testesen.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    events = list(AuditEvent.objects.filter(action__in=[Action.ATTACHMENT_UPLOAD, Action.ATTACHMENT_DOWNLOAD]))
    assert [(e.action, e.object_type, e.object_id, e.case_id) for e in events] == [
        (Action.ATTACHMENT_UPLOAD, "attachment", str(att.public_id), str(case.public_id)),
        (Action.ATTACHMENT_DOWNLOAD, "attachment", str(att.public_id), str(case.public_id)),
    ]
    assert not any("Testesen" in (e.reason + e.object_id) for e in AuditEvent.objects.all())


def test_outsider_and_missing_get_the_same_404(world, browse, case):
    att = attach(world, world.entry(case, "ola"))
    other = str(uuid.uuid4())
    outsider = browse("atle").get(f"/attachments/{att.public_id}/")
    missing = browse("atle").get(f"/attachments/{other}/")
    assert outsider.status_code == missing.status_code == 404

    def words(r, asked):  # the page without its per-request CSRF tokens and the id asked for
        text = r.content.decode().replace(asked, "ID")
        return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+"', "", text)

    assert words(outsider, str(att.public_id)) == words(missing, other)
    assert AuditEvent.objects.filter(action=Action.CASE_DENIED, object_type="attachment").count() == 2
    assert not AuditEvent.objects.filter(action=Action.ATTACHMENT_DOWNLOAD).exists()


def test_entry_not_readable_hides_its_attachments(world, browse, case):
    police = world.entry(case, "per", classification=Classification.POLICE)
    att = attach(world, police, by="per", classification=Classification.TEAM)
    assert browse("nils").get(f"/attachments/{att.public_id}/").status_code == 404
    page = browse("nils").get(f"/cases/{case.public_id}/entries/{police.public_id}/").content.decode()
    assert "Attachments" not in page and str(att.public_id) not in page
    assert browse("pia").get(f"/attachments/{att.public_id}/").status_code == 404  # not on the team
    assert browse("per").get(f"/attachments/{att.public_id}/").status_code == 200


def test_own_org_attachment_is_a_marker_for_the_rest_of_the_team(world, browse, case):
    entry = world.entry(case, "ola")
    att = attach(world, entry, classification=Classification.OWN_ORG, name="Intern vurdering.pdf")
    page = browse("per").get(f"/cases/{case.public_id}/entries/{entry.public_id}/").content.decode()
    assert "Restricted file" in page and "Intern vurdering" not in page and str(att.public_id) not in page
    assert browse("per").get(f"/attachments/{att.public_id}/").status_code == 404
    assert browse("kari").get(f"/attachments/{att.public_id}/").status_code == 200  # the owner organisation
    page = browse("mona").get(f"/cases/{case.public_id}/entries/{entry.public_id}/")
    assert page.status_code == 404  # a mentor does not see a team entry, nor its files
    assert browse("mona").get(f"/attachments/{att.public_id}/").status_code == 404


def test_only_the_entry_author_organisation_attaches(world, browse, case):
    entry = world.entry(case, "ola")
    response = browse("per").post(upload_url(entry), form(f.PDF, "a.pdf"))
    assert response.status_code == 403
    with pytest.raises(Forbidden):
        attach(world, entry, by="per")
    page = browse("per").get(f"/cases/{case.public_id}/entries/{entry.public_id}/").content.decode()
    assert 'enctype="multipart/form-data"' not in page
    assert not Attachment.objects.exists()


def test_classification_must_be_readable_by_the_uploader(world, browse, case):
    entry = world.entry(case, "ola")
    response = browse("ola").post(upload_url(entry), form(f.PDF, "a.pdf", classification="police"))
    assert response.status_code == 400
    with pytest.raises(Exception) as exc:
        attach(world, entry, classification=Classification.POLICE)
    assert getattr(exc.value, "code", "") == "classification_not_allowed"


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (f.elf(), "rapport.pdf", 422, "file_type"),
        (f.EXE, "rapport.pdf", 422, "file_type"),
        (f.HTML, "rapport.pdf", 422, "file_type"),
        (f.png(), "rapport.pdf", 422, "file_type"),
        (f.docx(macros=True), "rapport.docx", 422, "file_type"),
        (b"", "tom.pdf", 422, "file_empty"),
    ],
    ids=["elf", "exe", "html", "png-named-pdf", "docm", "empty"],
)
def test_refused_files_on_the_page(world, browse, case, data, name, status, code):
    entry = world.entry(case, "ola")
    response = browse("ola").post(upload_url(entry), form(data, name, category="health"))
    assert response.status_code == status
    body = response.content.decode()
    assert 'class="error-summary"' in body and 'enctype="multipart/form-data"' in body
    assert 'value="health" selected' in body  # the form is kept
    assert not Attachment.objects.exists() and not AttachmentBlob.objects.exists()
    refused = AuditEvent.objects.get(action=Action.ATTACHMENT_REFUSED)
    assert (refused.object_type, refused.object_id, refused.reason) == ("entry", str(entry.public_id), code)


def test_oversize_upload_is_a_413_in_the_users_language(world, client_for, case, settings):
    settings.UTVEI_ATTACHMENT_MAX_BYTES = 2048
    entry = world.entry(case, "ola")
    big = f.PDF + b"0" * 4096
    client = client_for("ola")
    client.cookies["django_language"] = "nb"
    response = client.post(upload_url(entry), form(big, "stor.pdf"))
    assert response.status_code == 413
    assert "Filen er for stor" in response.content.decode()
    assert not Attachment.objects.exists()
    assert AuditEvent.objects.get(action=Action.ATTACHMENT_REFUSED).reason == "file_too_large"
    response = client.post(upload_url(entry), form(f.PDF, "liten.pdf"))
    assert response.status_code == 302


def scanner(tmp_path, code):
    script = tmp_path / f"scan{code}.sh"
    script.write_text(f"#!/bin/sh\ncat > /dev/null\nexit {code}\n")
    script.chmod(0o755)
    return str(script)


def test_scanner_verdicts(world, case, settings, tmp_path):
    entry = world.entry(case, "ola")
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 1)
    with pytest.raises(FileRefused) as exc:
        attach(world, entry)
    assert exc.value.code == "file_infected"
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 2)
    with pytest.raises(FileRefused) as exc:
        attach(world, entry)
    assert exc.value.code == "file_unchecked"
    assert not Attachment.objects.exists()
    reasons = list(AuditEvent.objects.filter(action=Action.ATTACHMENT_REFUSED).values_list("reason", flat=True))
    assert reasons == ["file_infected", "file_unchecked"]
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 0)
    assert attach(world, entry).scan == "clean"
    settings.UTVEI_ATTACHMENT_SCANNER = ""
    assert attach(world, entry).scan == "not_scanned"


def test_content_moved_to_another_row_does_not_open(world, browse, case):
    entry = world.entry(case, "ola")
    a, b = attach(world, entry, name="a.pdf"), attach(world, entry, data=f.TEXT, name="b.txt")
    AttachmentBlob.objects.filter(attachment=b).update(data=AttachmentBlob.objects.get(attachment=a).data)
    assert browse("ola").get(f"/attachments/{b.public_id}/").status_code == 404
    assert browse("ola").get(f"/attachments/{a.public_id}/").status_code == 200


def test_closed_case_and_emergency_access_do_not_attach(world, case):
    entry = world.entry(case, "ola")
    services.case_close(actor=world.m["kari"], case=case, reason="goals_met", summary="Ferdig.")
    entry.refresh_from_db()
    with pytest.raises(Forbidden):
        attach(world, entry)


# ---- Meetings and consents -----------------------------------------------------------------------------


def test_meeting_attachments(world, browse, case):
    from tests.meetings.helpers import fresh, plan

    meeting = plan(world, case, by="kari", attendees=("kari", "nils", "mona"))
    url = f"/cases/{case.public_id}/meetings/{meeting.public_id}/"
    client = browse("kari")
    assert 'enctype="multipart/form-data"' in client.get(url).content.decode()
    response = client.post(url + "attachments/", form(f.docx(), "Innkalling.docx"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    att = Attachment.objects.get(meeting=meeting)
    assert att.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "Innkalling.docx" in browse("nils").get(url).content.decode()
    assert browse("nils").get(f"/attachments/{att.public_id}/").status_code == 200
    # A mentor who takes part does not read `team` minutes, so not their files either.
    assert "Innkalling.docx" not in browse("mona").get(url).content.decode()
    assert browse("mona").get(f"/attachments/{att.public_id}/").status_code == 404
    # Only the calling organisation attaches; a refusal keeps the form and says why.
    assert browse("nils").post(url + "attachments/", form(f.PDF, "a.pdf")).status_code == 403
    response = client.post(url + "attachments/", form(f.HTML, "a.pdf"))
    assert response.status_code == 422 and 'class="error-summary"' in response.content.decode()
    assert Attachment.objects.count() == 1
    mentor_file = services.attachment_add(
        actor=world.m["kari"], owner=fresh(meeting), filename="Plan.txt", data=f.TEXT, classification="mentor"
    )
    assert browse("mona").get(f"/attachments/{mentor_file.public_id}/").status_code == 404  # minutes still `team`


def test_consent_attachments(world, browse, case):
    consent = case.consents.order_by("pk").first()
    url = f"/cases/{case.public_id}/sharing/"
    client = browse("ola")
    data = form(f.png(), "Signert samtykke.png", category="identity")
    data["attachment-consent"] = str(consent.public_id)
    response = client.post(url + "attachments/", data)
    assert response.status_code == 302
    att = Attachment.objects.get(consent=consent)
    page = browse("per").get(url).content.decode()
    assert "Signert samtykke.png" in page
    assert browse("per").get(f"/attachments/{att.public_id}/").content == f.png()
    assert browse("mona").get(f"/attachments/{att.public_id}/").status_code == 404  # mentors read no consents
    data = form(b"", "tom.png")
    data["attachment-consent"] = str(consent.public_id)
    response = client.post(url + "attachments/", data)
    assert response.status_code == 422 and "The file is empty." in response.content.decode()
    assert browse("mona").post(url + "attachments/", data).status_code == 403


def test_listing_is_one_query_however_many_files(world, case, django_assert_num_queries):
    from utvei.access import policy
    from utvei.cases import selectors
    from utvei.cases.models import Entry

    entries = [world.entry(case, "ola"), world.entry(case, "ola")]
    for entry in entries:
        for n in range(3):
            attach(world, entry, name=f"fil{n}.pdf", classification=("team", "own_org")[n % 2])
    ca = policy.case_access(world.m["per"], case)
    ca.bases()
    rows = list(Entry.objects.filter(pk__in=[e.pk for e in entries]).select_related("author_org"))
    with django_assert_num_queries(1):
        found = selectors.attachments_for(ca, rows)
    assert [[i.readable for i in found[e.pk]] for e in entries] == [[True, False, True]] * 2
