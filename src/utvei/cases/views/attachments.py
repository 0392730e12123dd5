"""The download of an attachment: only through the access check, always as a download (docs/attachments.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from utvei.accounts.models import Membership
from utvei.core.web import page

from .. import selectors


def content_disposition(filename: str) -> str:
    """`attachment`, with an ASCII fallback name and the real one in RFC 5987 form: never shown inline."""
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@require_GET
@page
def attachment_download(request: HttpRequest, m: Membership, attachment_id: Any) -> HttpResponse:
    """The file, for a principal who may read its owner and itself; 404 for anyone else, as for a missing one."""
    item, data = selectors.attachment_get(actor=m, attachment_id=attachment_id)
    att = item.attachment
    response = HttpResponse(data, content_type=att.content_type)
    response["Content-Disposition"] = content_disposition(att.filename)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
