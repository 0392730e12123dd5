"""The attachment allowlist: judged by content, never by name; the size limit; the scan hook; the byte cipher."""

from __future__ import annotations

import pytest

from tests.cases import attachment_files as f
from utvei.core import files
from utvei.core.crypto import KeyringError, decrypt_bytes, encrypt_bytes


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (f.PDF, "vedtak.pdf", "application/pdf"),
        (f.png(), "bilde.png", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "foto.JPG", "image/jpeg"),
        (f.docx(), "referat.docx", files.DOCX.mime),
        (f.odt(), "referat.odt", files.ODT.mime),
        (f.TEXT, "notat.txt", "text/plain"),
        (f.TEXT, "notat", "text/plain"),
    ],
)
def test_allowed_types_by_content(data, name, mime):
    kind, cleaned = files.check(data, name)
    assert kind.mime == mime
    assert cleaned.rsplit(".", 1)[-1].lower() in kind.extensions


@pytest.mark.parametrize(
    "data",
    [f.elf(), f.EXE, f.HTML, f.SVG, f.plain_zip(), f.docx(macros=True), b"\x00\x01\x02binary", b"\xff\xfe\x00t"],
    ids=["elf", "exe", "html", "svg", "zip", "docm", "binary", "utf16"],
)
def test_refused_whatever_the_name(data):
    for name in ("rapport.pdf", "bilde.png", "notat.txt", "uten-navn"):
        with pytest.raises(files.FileRefused) as exc:
            files.check(data, name)
        assert exc.value.code == "file_type" and exc.value.status == 422


def test_a_name_that_claims_another_type_is_refused():
    with pytest.raises(files.FileRefused) as exc:
        files.check(f.png(), "rapport.pdf")
    assert exc.value.code == "file_type"


def test_empty_and_oversize(settings):
    with pytest.raises(files.FileRefused) as exc:
        files.check(b"", "tom.pdf")
    assert exc.value.code == "file_empty"
    settings.UTVEI_ATTACHMENT_MAX_BYTES = len(f.PDF) - 1
    with pytest.raises(files.FileRefused) as exc:
        files.check(f.PDF, "stor.pdf")
    assert exc.value.code == "file_too_large" and exc.value.status == 413
    settings.UTVEI_ATTACHMENT_MAX_BYTES = len(f.PDF)
    assert files.check(f.PDF, "akkurat.pdf")[0] == files.PDF


def test_filename_is_cleaned():
    assert files.clean_filename("C:\\Users\\x\\..\\rapport\x00\n.pdf") == "rapport.pdf"
    assert files.clean_filename("../../etc/passwd") == "passwd"
    assert files.clean_filename("") == "attachment"


def scanner(tmp_path, code):
    script = tmp_path / f"scan{code}.sh"
    script.write_text(f"#!/bin/sh\ncat > {tmp_path}/seen\nexit {code}\n")
    script.chmod(0o755)
    return str(script)


def test_scan_hook(settings, tmp_path):
    settings.UTVEI_ATTACHMENT_SCANNER = ""
    assert files.scan(f.PDF) == files.ScanVerdict.NOT_SCANNED
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 0)
    assert files.scan(f.PDF) == files.ScanVerdict.CLEAN
    assert (tmp_path / "seen").read_bytes() == f.PDF  # the scanner got the file on stdin
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 1)
    assert files.scan(f.PDF) == files.ScanVerdict.INFECTED
    settings.UTVEI_ATTACHMENT_SCANNER = scanner(tmp_path, 2)
    assert files.scan(f.PDF) == files.ScanVerdict.FAILED
    settings.UTVEI_ATTACHMENT_SCANNER = str(tmp_path / "no-such-scanner")
    assert files.scan(f.PDF) == files.ScanVerdict.FAILED


def test_byte_cipher_binds_its_context():
    token = encrypt_bytes(f.PDF, context="cases.Attachment:a")
    assert f.PDF not in token and token.startswith(b"encb1:")
    assert decrypt_bytes(token, context="cases.Attachment:a") == f.PDF
    with pytest.raises(KeyringError):
        decrypt_bytes(token, context="cases.Attachment:b")
