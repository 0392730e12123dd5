"""Page: the case record as a CSV download (what the viewer may read; see cases/exports.py)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from utvei.accounts.models import Membership
from utvei.core.web import page

from .. import exports

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection): such cells get a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(record: exports.CaseRecord) -> str:
    """The header fields as (field, value) rows, an empty row, then the timeline with its own heading row."""
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so that spreadsheets read æ, ø and å as UTF-8
    writer = csv.writer(out)
    for label, value in exports.header_rows(record):
        writer.writerow([csv_cell(label), csv_cell(value)])
    writer.writerow([])
    writer.writerow([csv_cell(c) for c in exports.TIMELINE_COLUMNS])
    for row in exports.timeline_rows(record):
        writer.writerow([csv_cell(c) for c in row])
    return out.getvalue()


@require_GET
@page
def case_export(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    record = exports.case_record(actor=m, case_id=case_id, fmt="csv")
    response = HttpResponse(render_csv(record), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(record.exported_at).strftime("%Y%m%d-%H%M")
    reference = re.sub(r"[^A-Za-z0-9-]", "", record.case.reference)
    response["Content-Disposition"] = f'attachment; filename="utvei-{reference}-{stamp}.csv"'
    return response
