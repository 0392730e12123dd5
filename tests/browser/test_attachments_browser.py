"""Attachments in Chromium, with axe-core on the pages: ola attaches a PDF to his entry (a mistake first: an HTML
file named .pdf), downloads it again; per, on the team with a consent, downloads it too; atle, with no relation to
the case, gets the same 404 as for a file that does not exist."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.browser.support import A11yLog, give_totp, log_in
from tests.cases import attachment_files as f
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Attachment
from utvei.core.vocabulary import Classification

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402  (pinned in requirements.lock: a machine without it fails)


def test_attach_download_and_refuse(live_server, world, browser_page, tmp_path):
    base = live_server.url
    a11y = A11yLog("attachments")
    case = world.open_case(name="Vedlegg Person")
    world.add(case, "ola")
    world.add(case, "per")
    entry = world.entry(case, "ola", Classification.TEAM, body="Samtale om skole")
    entry_url = f"{base}/cases/{case.public_id}/entries/{entry.public_id}/"
    secrets = {name: give_totp(world.m[name].user) for name in ("ola", "per", "atle")}
    fake = tmp_path / "Vedtak.pdf"
    fake.write_bytes(f.HTML)
    real = tmp_path / "Vedtak om tiltak.pdf"
    real.write_bytes(f.PDF)

    ola = browser_page()
    log_in(ola, base, "ola", secrets["ola"])
    ola.goto(entry_url)
    expect(ola.get_by_role("heading", name="Attachments")).to_be_visible()
    a11y.check(ola, "entry")

    # A web page renamed .pdf is refused by its content, and the form is kept.
    ola.locator("input[type=file]").set_input_files(str(fake))
    ola.get_by_label("Data category").select_option("health")
    ola.get_by_role("button", name="Upload the file").click()
    expect(ola.get_by_role("alert")).to_contain_text("This kind of file is not accepted")
    expect(ola.get_by_label("Data category")).to_have_value("health")
    a11y.check(ola, "refused")
    assert not Attachment.objects.exists()

    ola.locator("input[type=file]").set_input_files(str(real))
    ola.get_by_label("Data category").select_option("plan")
    ola.get_by_role("button", name="Upload the file").click()
    expect(ola.get_by_role("status").filter(has_text="The file is attached.")).to_be_visible()
    link = ola.get_by_role("link", name="Vedtak om tiltak.pdf")
    expect(link).to_be_visible()
    a11y.check(ola, "attached")
    with ola.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == "Vedtak om tiltak.pdf"
    assert Path(info.value.path()).read_bytes() == f.PDF

    att = Attachment.objects.get()
    per = browser_page()
    log_in(per, base, "per", secrets["per"])
    per.goto(entry_url)
    with per.expect_download() as info:
        per.get_by_role("link", name="Vedtak om tiltak.pdf").click()
    assert Path(info.value.path()).read_bytes() == f.PDF

    atle = browser_page()
    log_in(atle, base, "atle", secrets["atle"])
    refused = atle.goto(f"{base}/attachments/{att.public_id}/")
    assert refused is not None and refused.status == 404
    refused_text = atle.locator("main").inner_text()
    missing = atle.goto(f"{base}/attachments/{uuid.uuid4()}/")
    assert missing is not None and missing.status == 404
    assert atle.locator("main").inner_text() == refused_text
    a11y.check(atle, "not-found")

    actions = list(AuditEvent.objects.filter(object_type="attachment").values_list("action", flat=True))
    assert actions.count(Action.ATTACHMENT_UPLOAD) == 1 and actions.count(Action.ATTACHMENT_DOWNLOAD) == 2
    assert actions.count(Action.CASE_DENIED) == 2
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_REFUSED, reason="file_type").count() == 1
    a11y.assert_clean()
