"""The data protection officer's subject-access pages (/subject-access/, docs/subject-access.md): the register with
the registration form, one request with its actions, and the export's downloads. Thin: the services check the rule
(`access.subject_access`) and audit; a request is named by its opaque id only, never by the person."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import subject_access as rules
from utvei.accounts.models import Membership
from utvei.core.errors import Conflict, UtveiError
from utvei.core.web import forbidden, page

from . import render as document
from . import services
from .export import as_json
from .forms import ReasonForm, RegisterForm

LIST_LIMIT = 200


def _dpo_only(request: HttpRequest, m: Membership) -> HttpResponse | None:
    decision = rules.dpo_decision(m)
    if not decision:
        return forbidden(request, decision.reason)
    return None


def _list_page(request: HttpRequest, m: Membership, form: RegisterForm, status: int = 200) -> HttpResponse:
    rows = list(services.request_list(actor=m)[:LIST_LIMIT])
    today = timezone.localdate()
    return render(
        request,
        "retention/subject_access_list.html",
        {"rows": rows, "form": form, "today": today, "open": [r for r in rows if r.is_open]},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@page
def request_list(request: HttpRequest, m: Membership) -> HttpResponse:
    """The register (open requests first, overdue at the top) and the form to register a new one."""
    refused = _dpo_only(request, m)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _list_page(request, m, RegisterForm(initial={"received_on": timezone.localdate()}))
    form = RegisterForm(request.POST)
    if not form.is_valid():
        return _list_page(request, m, form, status=400)
    d = form.cleaned_data
    try:
        person = services.person_find(
            actor=m, national_id=d["national_id"], full_name=d["full_name"], birth_date=d["birth_date"]
        )
        made = services.request_register(
            actor=m, person=person, received_via=d["received_via"], received_on=d["received_on"]
        )
    except UtveiError as exc:
        form.add_service_error(exc)
        return _list_page(request, m, form, status=exc.status if exc.status != 404 else 400)
    messages.success(request, _("The request is registered. The answer is due by %(due)s.") % {"due": made.due_on})
    return HttpResponseRedirect(reverse("subject_access_detail", args=[made.public_id]))


def _detail(request: HttpRequest, m: Membership, req: Any, status: int = 200, **forms: Any) -> HttpResponse:
    ctx = {
        "req": req,
        "today": timezone.localdate(),
        "extend_form": forms.get("extend_form") or ReasonForm(auto_id="extend_%s"),
        "refuse_form": forms.get("refuse_form") or ReasonForm(auto_id="refuse_%s"),
        "formats": [("json", "nb", _("JSON (machine-readable)"))]
        + [(f, lang, label) for f in ("html", "pdf") for lang, label in (("nb", _("bokmål")), ("en", _("English")))],
    }
    return render(request, "retention/subject_access_detail.html", ctx, status=status)


@require_GET
@page
def request_detail(request: HttpRequest, m: Membership, request_id: Any) -> HttpResponse:
    req = services.request_get(actor=m, request_id=request_id)
    return _detail(request, m, req)


@require_POST
@page
def request_extend(request: HttpRequest, m: Membership, request_id: Any) -> HttpResponse:
    req = services.request_get(actor=m, request_id=request_id)
    form = ReasonForm(request.POST, auto_id="extend_%s")
    if not form.is_valid():
        return _detail(request, m, req, status=400, extend_form=form)
    try:
        services.request_extend(actor=m, request=req, reason=form.cleaned_data["reason"])
    except UtveiError as exc:
        form.add_service_error(exc)
        return _detail(request, m, req, status=exc.status, extend_form=form)
    messages.success(request, _("The deadline is extended by two months. Tell the person why."))
    return HttpResponseRedirect(reverse("subject_access_detail", args=[req.public_id]))


@require_POST
@page
def request_refuse(request: HttpRequest, m: Membership, request_id: Any) -> HttpResponse:
    req = services.request_get(actor=m, request_id=request_id)
    form = ReasonForm(request.POST, auto_id="refuse_%s")
    if not form.is_valid():
        return _detail(request, m, req, status=400, refuse_form=form)
    try:
        services.request_refuse(actor=m, request=req, reason=form.cleaned_data["reason"])
    except UtveiError as exc:
        form.add_service_error(exc)
        return _detail(request, m, req, status=exc.status, refuse_form=form)
    messages.success(request, _("The request is recorded as refused."))
    return HttpResponseRedirect(reverse("subject_access_detail", args=[req.public_id]))


@require_POST
@page
def request_answer(request: HttpRequest, m: Membership, request_id: Any) -> HttpResponse:
    req = services.request_get(actor=m, request_id=request_id)
    try:
        services.request_answer(actor=m, request=req)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return _detail(request, m, req, status=409)
    messages.success(request, _("The request is recorded as answered."))
    return HttpResponseRedirect(reverse("subject_access_list"))


@require_GET
@page
def request_download(request: HttpRequest, m: Membership, request_id: Any, fmt: str) -> HttpResponse:
    """The export as JSON, or as a document (HTML or PDF) in bokmål (`?lang=nb`, the default) or English."""
    req = services.request_get(actor=m, request_id=request_id)
    lang = request.GET.get("lang", "nb")
    if lang not in document.LANGUAGES or fmt not in services.FORMATS:
        return _detail(request, m, req, status=400)
    try:
        export = services.request_export(actor=m, request=req, fmt=fmt)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return _detail(request, m, req, status=409)
    name = f"utvei-innsyn-{req.public_id}-{lang}"
    if fmt == "json":
        body = json.dumps(as_json(export, language=lang), ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="utvei-innsyn-{req.public_id}.json"'
    elif fmt == "html":
        response = HttpResponse(document.as_html(export, language=lang), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.html"'
    else:
        response = HttpResponse(document.as_pdf(export, language=lang), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
