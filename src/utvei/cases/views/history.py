"""Pages: the history of the case header and the person record, and editing the person's identity details
(issue 14, deliverable 6; docs/people.md «History»)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from utvei.access.header import person_edit_decision
from utvei.accounts.models import Membership
from utvei.core.forms import submit
from utvei.core.web import forbidden, page
from utvei.people.models import Gender

from .. import history, selectors, services
from ..forms import PersonEditForm
from .common import case_url


@require_GET
@page
def case_history(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """Every earlier version of the header and of the person's identity details, newest first."""
    ca, versions = history.case_history(actor=m, case_id=case_id)
    ctx = {"ca": ca, "case": ca.case, "versions": versions}
    return render(request, "cases/case_history.html", ctx)


def _initial(person: Any) -> dict[str, Any]:
    try:
        born = dt.date.fromisoformat(person.birth_date) if person.birth_date else None
    except ValueError:
        born = None
    return {
        "full_name": person.full_name,
        "national_id": person.national_id,
        "birth_date": born,
        "gender": person.gender or Gender.UNKNOWN,
        "municipality": person.municipality,
        "guardian_name": person.guardian_name,
        "version": person.version,
    }


@require_http_methods(["GET", "POST"])
@page
def person_edit(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    """The identity details of the case's person, for those who manage the case and read who it is."""
    ca = selectors.case_get(actor=m, case_id=case_id, audit=request.method == "GET")
    decision = person_edit_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    case = ca.case
    status, conflict = 200, False
    if request.method == "POST":
        form = PersonEditForm(request.POST)
        failed = submit(
            form,
            lambda d: services.person_edit(
                actor=m,
                case=case,
                expected_version=d["version"],
                full_name=d["full_name"],
                national_id=d["national_id"],
                birth_date=d["birth_date"],
                gender=d["gender"],
                municipality=d["municipality"],
                guardian_name=d["guardian_name"],
            ),
        )
        if failed is None:
            messages.success(request, _("The person's details are saved. The earlier ones are kept in the history."))
            return HttpResponseRedirect(case_url(case))
        status, conflict = failed, form.conflict is not None
        if conflict:
            case.person.refresh_from_db()
    else:
        form = PersonEditForm(initial=_initial(case.person))
    ctx = {"ca": ca, "case": case, "person": case.person, "form": form, "conflict": conflict}
    return render(request, "cases/person_edit.html", ctx, status=status)
