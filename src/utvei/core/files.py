"""Files people upload (attachments): what a file is, judged by its content and never by its name; the size limit;
the optional virus scan; and the upload handler that keeps uploads in memory and stops storing at the limit.

The allowlist (docs/attachments.md): PDF, PNG, JPEG, TIFF, Word (.docx), Excel (.xlsx), OpenDocument text and
spreadsheet (.odt, .ods) and plain UTF-8 text. Everything else is refused whatever it is called: programs (ELF,
Windows .exe), HTML and other markup, Office files with macros, archives, an empty file.
"""

from __future__ import annotations

import io
import shlex
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext_lazy as _

from .errors import UtveiError


@dataclass(frozen=True)
class FileType:
    mime: str
    extensions: tuple[str, ...]  # the first is the one a name without an extension gets
    label: str


PDF = FileType("application/pdf", ("pdf",), "PDF")
PNG = FileType("image/png", ("png",), "PNG")
JPEG = FileType("image/jpeg", ("jpg", "jpeg"), "JPEG")
TIFF = FileType("image/tiff", ("tif", "tiff"), "TIFF")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "Excel")
ODT = FileType("application/vnd.oasis.opendocument.text", ("odt",), "OpenDocument")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", ("ods",), "OpenDocument")
TEXT = FileType("text/plain", ("txt", "csv", "md", "log", "text"), "Text")

ALLOWED = (PDF, PNG, JPEG, TIFF, DOCX, XLSX, ODT, ODS, TEXT)
BY_MIME = {t.mime: t for t in ALLOWED}


class FileRefused(UtveiError):
    """The file is not accepted: its type, its size, the scanner's verdict. `code` says which."""

    status = 422


def max_bytes() -> int:
    return int(settings.UTVEI_ATTACHMENT_MAX_BYTES)


def _zip_type(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return None  # Office macros
            if "mimetype" in names:
                kind = z.read("mimetype").strip()
                if kind == ODT.mime.encode():
                    return ODT
                if kind == ODS.mime.encode():
                    return ODS
                return None
            if "[Content_Types].xml" in names:
                types = z.read("[Content_Types].xml")
                if b"macroEnabled" in types:
                    return None
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
    # Not a stub: zipfile raises NotImplementedError for a compression method it cannot read; such a file is
    # refused like any other zip that cannot be opened.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None
    return None


def _text_type(data: bytes) -> FileType | None:
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text.lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<"):
        return None  # HTML, SVG, XML: markup a browser would run or render is not "plain text"
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f" for ch in text[:65536]):
        return None
    return TEXT


def detect(data: bytes) -> FileType | None:
    """The allowed type the content is, or None. The name plays no part."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    return _text_type(data)


def clean_filename(name: str) -> str:
    """The name as the user's computer called it, without folders or control characters, at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return base[:200] or "attachment"


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check(data: bytes, name: str) -> tuple[FileType, str]:
    """Refuse (FileRefused) an empty file, one over the limit, one whose content is not on the allowlist, and one whose
    name claims another type than its content is. Returns the detected type and the cleaned name."""
    if not data:
        raise FileRefused(_("The file is empty."), code="file_empty")
    if len(data) > max_bytes():
        raise too_large()
    kind = detect(data)
    if kind is None:
        raise FileRefused(
            _(
                "This kind of file is not accepted. Upload a PDF, an image (PNG, JPEG, TIFF), a Word, Excel or "
                "OpenDocument file without macros, or plain text."
            ),
            code="file_type",
        )
    cleaned = clean_filename(name)
    ext = extension(cleaned)
    if not ext:
        cleaned = f"{cleaned}.{kind.extensions[0]}"
    elif ext not in kind.extensions:
        raise FileRefused(
            _("The file's name says .%(ext)s, but its content is %(kind)s. Check that it is the right file.")
            % {"ext": ext, "kind": kind.label},
            code="file_type",
        )
    return kind, cleaned


def too_large() -> FileRefused:
    limit = max_bytes()
    size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    err = FileRefused(_("The file is too large. The limit is %(size)s.") % {"size": size}, code="file_too_large")
    err.status = 413
    return err


class ScanVerdict:
    CLEAN = "clean"
    INFECTED = "infected"
    FAILED = "failed"
    NOT_SCANNED = "not_scanned"


def scan(data: bytes) -> str:
    """Run the configured scanner (settings.UTVEI_ATTACHMENT_SCANNER) with the file on stdin: exit 0 clean, 1
    infected, anything else (or no answer in time, or no such program) failed. No scanner configured: not scanned."""
    command = settings.UTVEI_ATTACHMENT_SCANNER
    if not command:
        return ScanVerdict.NOT_SCANNED
    try:
        done = subprocess.run(  # noqa: S603 - the command comes from the operator's settings, not from a user
            shlex.split(command),
            input=data,
            capture_output=True,
            timeout=settings.UTVEI_ATTACHMENT_SCAN_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return ScanVerdict.FAILED
    if done.returncode == 0:
        return ScanVerdict.CLEAN
    if done.returncode == 1:
        return ScanVerdict.INFECTED
    return ScanVerdict.FAILED


class BoundedUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory (never a plaintext temporary file on disk) and stops storing it past the
    attachment limit: the file then arrives empty and marked `too_large`, so the form refuses it in the user's
    language (413) instead of the server failing."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.seen = 0
        self.limit = max_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.seen += len(raw_data)
        if self.seen <= self.limit:
            self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        over = self.seen > self.limit
        if over:
            self.buffer = io.BytesIO()
        self.buffer.seek(0)
        upload = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=0 if over else file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        upload.too_large = over  # type: ignore[attr-defined]
        return upload
