"""The data protection officer's access log: who accessed a case, what a user accessed, and the chain check."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from utvei.access.policy import Act, can
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.audit.services import audit_record, audit_verify
from utvei.sharing.emergency.services import case_emergency_accesses

from . import selectors

PAGE_SIZE = 50
FILTER_PARAMS = ("case", "user", "from", "to")
SEQ = re.compile(r"[0-9]{1,18}")
VERIFY_SESSION_KEY = "utvei_audit_verify"


class AuditFilterForm(forms.Form):
    """The query string `?case=&user=&from=&to=` (`from` is a Python keyword, so the dates are added in __init__)."""

    case = forms.CharField(
        label=_("Case"),
        required=False,
        max_length=64,
        help_text=_("Case reference (UTV-2026-000001-1), person reference or case id."),
    )
    user = forms.CharField(label=_("Username"), required=False, max_length=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("From date"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("To date"), required=False, widget=date)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", _("The end date is before the start date."))
        return data

    def query(self, upto: int | None = None) -> selectors.AuditQuery:
        d = self.cleaned_data
        return selectors.AuditQuery(
            case=d.get("case") or "",
            username=d.get("user") or "",
            date_from=d.get("from"),
            date_to=d.get("to"),
            upto=upto,
        )


def _dpo(request: HttpRequest) -> Membership:
    m: Membership | None = getattr(request, "membership", None)
    if m is None or not can(m, Act.AUDIT_READ):
        raise Http404
    return m


def _audit_view(m: Membership, query: selectors.AuditQuery, result: selectors.AuditResult | None, kind: str) -> None:
    """One event per look at the log: what was asked (ids and dates only)."""
    parts = [kind]
    if result is not None and result.user_id is not None:
        parts.append(f"user={result.user_id}")
    if query.date_from:
        parts.append(f"from={query.date_from.isoformat()}")
    if query.date_to:
        parts.append(f"to={query.date_to.isoformat()}")
    case_id = result.case_ids[0] if result is not None and len(result.case_ids) == 1 else ""
    audit_record(
        action=Action.AUDIT_VIEW,
        actor=m.user,
        organisation=m.organisation,
        object_type="case" if case_id else "",
        object_id=case_id,
        case=_CaseId(case_id) if case_id else None,
        reason=";".join(parts)[:64],
    )


@dataclass(frozen=True)
class _CaseId:
    """What audit_record needs of a case: its public id. The DPO's page never loads the case itself."""

    public_id: str


def _search(
    request: HttpRequest, m: Membership
) -> tuple[AuditFilterForm, selectors.AuditQuery, selectors.AuditResult | None]:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, selectors.AuditQuery(), None
    upto = request.GET.get("upto", "")
    query = form.query(int(upto) if SEQ.fullmatch(upto) else None) if form.is_bound else selectors.AuditQuery()
    return form, query, selectors.audit_search(actor=m, query=query)


@login_required
@require_GET
def audit_report(request: HttpRequest) -> HttpResponse:
    m = _dpo(request)
    form, query, result = _search(request, m)
    _audit_view(m, query, result, "page")
    page = None
    rows: list[selectors.AuditRow] = []
    if result is not None:
        paginator = Paginator(selectors.audit_page_values(result.events), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = selectors.audit_rows(page.object_list)
    params = {k: v for k, v in request.GET.items() if k in FILTER_PARAMS and v}
    # Pages are counted from the newest event on the first page, so new events do not shift them.
    upto = query.upto if query.upto is not None else (rows[0].seq if rows and page and page.number == 1 else None)
    page_params = {**params, "upto": upto} if upto is not None else params
    context = {
        "form": form,
        "result": result,
        "page": page,
        "rows": rows,
        "filter_qs": urlencode(params),
        "page_qs": urlencode(page_params),
        "verification": _last_verification(request),
        "emergency": _case_emergency(m, query, result),
        "refused_logins": selectors.refused_logins(actor=m),
        "refused_days": selectors.REFUSED_DAYS,
    }
    return render(request, "audit/report.html", context)


def _case_emergency(m: Membership, query: selectors.AuditQuery, result: selectors.AuditResult | None) -> Any:
    """When the search is for a case: its emergency accesses (docs/emergency-access.md); else None."""
    if result is None or not query.case.strip():
        return None
    return case_emergency_accesses(actor=m, case_ids=result.case_ids)


def _last_verification(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(VERIFY_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        at = dt.datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return {**data, "at": at}


CSV_HEADER = [
    "time",
    "actor",
    "actor_organisation",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "case_id",
    "case_reference",
    "reason",
    "request_id",
    "seq",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell may not start with = + - @ or a control character."""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv_lines(rows: Iterator[selectors.AuditRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for r in rows:
        yield writer.writerow(
            [
                _cell(x)
                for x in (
                    r.occurred_at.isoformat(),
                    r.actor,
                    r.actor_org,
                    r.action,
                    r.action_label,
                    r.object_type,
                    r.object_id,
                    r.case_id,
                    r.case_reference,
                    r.reason,
                    r.request_id,
                    r.seq,
                )
            ]
        )


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    m = _dpo(request)
    form, query, result = _search(request, m)
    if result is None:
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    _audit_view(m, query, result, "csv")
    stamp = timezone.localtime(timezone.now(), selectors.OSLO).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(selectors.audit_iter_rows(result.events)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="utvei-access-log-{stamp}.csv"'
    return response


@login_required
@require_POST
def audit_verify_chain(request: HttpRequest) -> HttpResponse:
    """Verify the hash chain on demand (it reads every event) and show the result on the report page."""
    m = _dpo(request)
    result = audit_verify()
    request.session[VERIFY_SESSION_KEY] = {
        "ok": result.ok,
        "checked": result.checked,
        "broken_seq": result.broken_seq,
        "problem": result.problem,
        "at": timezone.now().isoformat(),
    }
    audit_record(
        action=Action.AUDIT_VIEW,
        actor=m.user,
        organisation=m.organisation,
        reason=("verify;ok" if result.ok else f"verify;broken={result.broken_seq}")[:64],
    )
    url = reverse("audit_report")
    back = _query_dict(request.POST.get("filter_qs", ""))
    if back and AuditFilterForm(back).is_valid():
        url += "?" + urlencode(back)
    return HttpResponseRedirect(url)


def _query_dict(qs: str) -> dict[str, str]:
    """The filter part of a query string, and nothing else."""
    data = QueryDict(qs)
    return {k: str(data.get(k)) for k in FILTER_PARAMS if data.get(k)}
