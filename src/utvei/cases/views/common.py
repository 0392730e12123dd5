"""What the case pages share beyond the web toolkit (`core.web`): page sizes and the case's URL."""

from __future__ import annotations

from django.urls import reverse

from ..models import Case

CASE_LIST_PAGE_SIZE = 50
DASHBOARD_ROWS = 10
TIMELINE_PAGE_SIZE = 25  # the newest entries on the case page; the older ones a page at a time


def case_url(case: Case, anchor: str = "") -> str:
    url = reverse("case_detail", args=[case.public_id])
    return f"{url}#{anchor}" if anchor else url
