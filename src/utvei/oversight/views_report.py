"""The DPO's per-person access report (/audit/people/): find the person (by POST, so that no name or identity number
is ever in an address), then their report page by the person's opaque id, and the same as CSV. Thin:
oversight/report.py checks the scope and audits."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.access.oversight import oversees
from utvei.accounts.models import Membership
from utvei.core.errors import NotFound
from utvei.core.web import page

from . import report
from .forms import PersonReportForm
from .views import _cell, _Echo

PAGE_SIZE = 50
SEQ = re.compile(r"[0-9]{1,18}")


@require_http_methods(["GET", "POST"])
@page
def access_report(request: HttpRequest, m: Membership) -> HttpResponse:
    """The search: one person found goes straight to their report; several are listed by reference to choose."""
    if not oversees(m):
        raise NotFound(_("Not found."))
    form = PersonReportForm(request.POST if request.method == "POST" else None)
    found: list[Any] | None = None
    if request.method == "POST" and form.is_valid():
        found = report.person_find(actor=m, query=form.cleaned_data["person"])
        if len(found) == 1:
            return HttpResponseRedirect(reverse("access_report_person", args=[found[0].public_id]))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "oversight/report_search.html", {"form": form, "found": found}, status=status)


@require_GET
@page
def access_report_person(request: HttpRequest, m: Membership, person_id: Any) -> HttpResponse:
    person = report.person_get(actor=m, person_id=person_id)
    result = report.access_report(actor=m, person=person)
    events = result.events
    upto = request.GET.get("upto", "")
    if SEQ.fullmatch(upto):
        events = events.filter(seq__lte=int(upto))
    page_obj = Paginator(report.report_page_values(events), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = report.report_rows(page_obj.object_list, result.cases)
    # Pages are counted from the newest event on the first page, so new events do not shift them.
    stable = upto if SEQ.fullmatch(upto) else (str(rows[0].seq) if rows and page_obj.number == 1 else "")
    context = {
        "person": person,
        "cases": result.cases,
        "rows": rows,
        "page_obj": page_obj,
        "query": f"upto={stable}" if stable else "",
    }
    return render(request, "oversight/report.html", context)


CSV_HEADER = [
    "time",
    "user",
    "user_name",
    "organisation",
    "action",
    "action_label",
    "kind",
    "case_reference",
    "basis",
    "basis_label",
    "seq",
]


def _csv_lines(rows: Iterator[report.ReportRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for r in rows:
        values = (
            r.occurred_at.isoformat(),
            r.user,
            r.user_name,
            r.organisation,
            r.action,
            r.action_label,
            r.kind,
            r.case_reference,
            r.basis,
            r.basis_label,
            r.seq,
        )
        yield writer.writerow([_cell(x) for x in values])


@login_required
@require_GET
def access_report_export(request: HttpRequest, person_id: Any) -> HttpResponseBase:
    m: Membership | None = getattr(request, "membership", None)
    try:
        person = report.person_get(actor=m, person_id=person_id)
    except NotFound:
        raise Http404 from None
    result = report.access_report(actor=m, person=person, kind="csv")
    stamp = timezone.localtime(timezone.now(), report.OSLO).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(report.report_iter_rows(result)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="utvei-access-report-{person.reference}-{stamp}.csv"'
    return response
