"""Web pages for concerns, intake, cases, the timeline and tasks, and the dashboard.

Thin by rule: parse with a form, call a selector or a service, render. Every access decision is made by
`utvei.access.policy`; selectors raise NotFound for missing and forbidden alike, services raise UtveiError
subclasses whose message is shown to the user with a 4xx status.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import policy
from utvei.access.policy import Act, CaseAccess, Relation
from utvei.accounts.models import Membership
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError

from . import selectors, services, workflow
from .forms import (
    CaseEditForm,
    CaseFilterForm,
    CloseForm,
    ConcernForm,
    EntryEditForm,
    EntryForm,
    PhaseForm,
    ReopenForm,
    TaskForm,
    TaskStatusForm,
    TeamAddForm,
    TrackForm,
    TriageForm,
)
from .models import Case, Ideology, Phase, Task, TeamMember, TeamRole, TriageOutcome

CASE_LIST_PAGE_SIZE = 50
DASHBOARD_ROWS = 10

View = Callable[..., HttpResponse]


# ---- Plumbing ------------------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _whole_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error page answering an htmx request replaces the main content, not the section that asked."""
    if _is_htmx(request):
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "outerHTML"
        response["HX-Reselect"] = "#main"
    return response


def _not_found(request: HttpRequest, message: Any = None) -> HttpResponse:
    return _whole_page(request, render(request, "404.html", {"message": message}, status=404))


def _forbidden(request: HttpRequest, message: Any = None) -> HttpResponse:
    return _whole_page(request, render(request, "403.html", {"message": message}, status=403))


def page(view: View) -> View:
    """Login required; hands the view the acting membership; turns NotFound/Forbidden into friendly pages."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return _not_found(request, _("You have no active membership in an organisation."))
        try:
            return view(request, membership, *args, **kwargs)
        except NotFound as exc:
            return _not_found(request, exc.message)
        except Forbidden as exc:
            return _forbidden(request, exc.message)
        except UtveiError as exc:  # a service error a view did not attach to a form
            response = render(request, "cases/error.html", {"message": exc.message}, status=exc.status)
            return _whole_page(request, response)

    return login_required(wrapper)


def _safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("case_detail", args=[case.public_id])
    return f"{url}#{anchor}" if anchor else url


# ---- Dashboard -----------------------------------------------------------------------------------------


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    m: Membership | None = getattr(request, "membership", None)
    ctx: dict[str, Any] = {"m": m}
    if m is not None:
        ctx["case_role"] = bool(policy.can(m, Act.CASE_LIST))
        ctx["can_triage"] = bool(policy.can(m, Act.CONCERN_TRIAGE))
        ctx["can_submit"] = bool(policy.can(m, Act.CONCERN_SUBMIT))
        ctx["can_audit"] = bool(policy.can(m, Act.AUDIT_READ))
        if ctx["case_role"]:
            tasks = selectors.my_tasks(actor=m)
            ctx["tasks"] = list(tasks[:DASHBOARD_ROWS])
            ctx["overdue_count"] = sum(1 for t in ctx["tasks"] if t.is_overdue)
            cases = selectors.case_list(actor=m, filters=selectors.CaseFilters(mine=True))
            ctx["cases"] = list(cases[:DASHBOARD_ROWS])
        if ctx["can_triage"]:
            ctx["intake_count"] = selectors.intake_queue(actor=m, audit=False).count()
        ctx["show_receipts"] = ctx["can_submit"] and not ctx["case_role"]
        if ctx["show_receipts"]:
            ctx["receipts"] = list(selectors.my_receipts(actor=m)[:DASHBOARD_ROWS])
    return render(request, "dashboard.html", ctx)


# ---- Concerns ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def concern_new(request: HttpRequest, m: Membership) -> HttpResponse:
    decision = policy.can(m, Act.CONCERN_SUBMIT)
    if not decision:
        return _forbidden(request, decision.reason)
    status = 200
    if request.method == "POST":
        form = ConcernForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                concern = services.concern_submit(
                    actor=m,
                    receiving_org=d["receiving_org"],
                    description=d["description"],
                    urgency=d["urgency"],
                    anonymous=d["anonymous"],
                    subject_name=d["subject_name"],
                    subject_national_id=d["subject_national_id"],
                    subject_birth_date=d["subject_birth_date"],
                )
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                return HttpResponseRedirect(reverse("concern_receipt", args=[concern.public_id]))
        else:
            status = 400
    else:
        form = ConcernForm()
    return render(request, "cases/concern_form.html", {"form": form}, status=status)


@require_GET
@page
def concern_receipt(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    concern = selectors.concern_get(actor=m, concern_id=concern_id)
    return render(request, "cases/concern_receipt.html", {"concern": concern})


@require_GET
@page
def concern_mine(request: HttpRequest, m: Membership) -> HttpResponse:
    receipts = Paginator(selectors.my_receipts(actor=m), CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/concern_mine.html", {"page_obj": receipts})


@require_GET
@page
def intake(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, Act.CONCERN_TRIAGE):
        return _not_found(request)
    include_triaged = request.GET.get("all") == "1"
    qs = selectors.intake_queue(actor=m, include_triaged=include_triaged)
    concerns = Paginator(qs, CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/intake.html",
        {"page_obj": concerns, "include_triaged": include_triaged, "query": "all=1" if include_triaged else ""},
    )


@require_http_methods(["GET", "POST"])
@page
def concern_triage(request: HttpRequest, m: Membership, concern_id: Any) -> HttpResponse:
    concern = selectors.concern_get(actor=m, concern_id=concern_id, for_triage=True)
    status = 200
    if request.method == "POST":
        form = TriageForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            started = timezone.now()
            try:
                done = services.concern_triage(
                    actor=m,
                    concern=concern,
                    outcome=d["outcome"],
                    rationale=d["rationale"],
                    track=d["track"] or "prevention",
                    full_name=d["full_name"],
                    national_id=d["national_id"],
                    birth_date=d["birth_date"],
                    gender=d["gender"] or "unknown",
                    municipality=d["municipality"],
                )
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                return _after_triage(request, done, started)
        else:
            status = 400
    else:
        form = TriageForm(
            initial={
                "full_name": concern.subject_name,
                "national_id": concern.subject_national_id,
                "birth_date": concern.subject_birth_date or None,
            }
        )
    return render(request, "cases/concern_triage.html", {"concern": concern, "form": form}, status=status)


def _after_triage(request: HttpRequest, concern: Any, started: Any) -> HttpResponse:
    if concern.outcome == TriageOutcome.OPEN_CASE and concern.case is not None:
        person = concern.case.person
        if person.created_at < started:
            messages.warning(
                request,
                _(
                    "The identity number matched a person already registered in Utvei (%(ref)s). "
                    "The new case is linked to that person; no new person was registered."
                )
                % {"ref": person.reference},
            )
        else:
            messages.success(request, _("A new person was registered (%(ref)s).") % {"ref": person.reference})
        messages.success(request, _("Case %(ref)s is opened.") % {"ref": concern.case.reference})
        return HttpResponseRedirect(_case_url(concern.case))
    messages.success(request, _("Concern %(ref)s is triaged.") % {"ref": concern.reference})
    return HttpResponseRedirect(reverse("intake"))


# ---- Case list -----------------------------------------------------------------------------------------


@require_GET
@page
def case_list(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, Act.CASE_LIST):
        return render(request, "cases/no_case_role.html", status=403)
    form = CaseFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        filters = selectors.CaseFilters()
    else:
        d = form.cleaned_data if form.is_bound else {}
        filters = selectors.CaseFilters(
            track=d.get("track", ""),
            phase=d.get("phase", ""),
            mine=bool(d.get("mine")),
            overdue=bool(d.get("overdue")),
            include_closed=bool(d.get("closed")),
            reference=d.get("ref", ""),
        )
    qs = selectors.case_list(actor=m, filters=filters)
    cases = Paginator(qs, CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {"form": form, "page_obj": cases, "query": query.urlencode(), "filtered": filters != selectors.CaseFilters()}
    return render(request, "cases/case_list.html", ctx, status=status)


# ---- Case page -----------------------------------------------------------------------------------------


def _relation_label(ca: CaseAccess) -> Any:
    if ca.relation == Relation.TEAM:
        return _("team member")
    return _("coordinator of the organisation that owns the case")


def _case_context(m: Membership, ca: CaseAccess, **extra: Any) -> dict[str, Any]:
    """Everything the case page shows, each part through the selector or the policy that governs it."""
    case = ca.case
    scope = policy.header_scope(ca)
    team = extra.pop("team", None) or selectors.team_list(ca)
    can_manage = policy.can(m, Act.CASE_MANAGE, case)
    can_team = policy.can(m, Act.TEAM_MANAGE, case)
    can_task = policy.can(m, Act.TASK_CREATE, case)
    can_entry = policy.can(m, Act.ENTRY_CREATE, case)
    next_case = getattr(case, "next_case", None) if "previous_case" in scope else None
    ctx: dict[str, Any] = {
        "ca": ca,
        "case": case,
        "scope": scope,
        "why": policy.explain(m, case),
        "relation_label": _relation_label(ca),
        "timeline": selectors.timeline(ca),
        "team": team,
        "task_rows": _task_rows(ca, selectors.case_tasks(ca)),
        "history": selectors.phase_history(ca),
        "can_manage": bool(can_manage),
        "can_team": bool(can_team),
        "can_task": bool(can_task),
        "can_entry": bool(can_entry),
        "entry_refusal": None if can_entry else can_entry.reason,
        "next_phases": _phase_buttons(case) if can_manage and not case.is_closed else [],
        "ideology_labels": [Ideology(v).label for v in case.ideologies if v in Ideology.values],
        "team_role_label": TeamRole(ca.records["team_role"]).label if ca.records.get("team_role") else "",
        "next_case": next_case,
        "previous_case": case.previous_case if "previous_case" in scope else None,
        "team_form": TeamAddForm(),
        "task_form": TaskForm(team=team),
        "track_form": TrackForm(initial={"track": case.track, "version": case.version}),
        "reopen_form": ReopenForm(initial={"track": case.track}),
        "phase_error": None,
        "team_error": None,
        "task_error": None,
        "reopen_error": None,
    }
    ctx.update(extra)
    return ctx


def _phase_buttons(case: Case) -> list[dict[str, Any]]:
    order = list(Phase.values)
    return [
        {"value": p, "label": Phase(p).label, "back": order.index(p) < order.index(case.phase)}
        for p in workflow.next_phases(case)
    ]


def _task_rows(ca: CaseAccess, tasks: list[Task]) -> list[dict[str, Any]]:
    return [{"task": t, "can_edit": bool(policy.task_edit_decision(ca, t))} for t in tasks]


def _render_case(request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "cases/case_detail.html", _case_context(m, ca, **extra), status=status)


@require_GET
@page
def case_detail(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    return _render_case(request, m, ca)


@require_POST
@page
def case_phase(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return _render_case(request, m, ca, status=400, phase_error=" ".join(errors))
    d = form.cleaned_data
    try:
        case = services.case_transition(
            actor=m,
            case=ca.case,
            to_phase=d["to_phase"],
            expected_version=d["version"],
            measures_ended_on=d["measures_ended_on"],
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        return _render_case(request, m, ca, status=exc.status, phase_error=exc.message)
    messages.success(request, _("The case is now in the phase «%(phase)s».") % {"phase": case.get_phase_display()})
    return HttpResponseRedirect(_case_url(case))


@require_POST
@page
def case_track(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _render_case(request, m, ca, status=400, track_form=form)
    d = form.cleaned_data
    try:
        case = services.case_change_track(
            actor=m, case=ca.case, track=d["track"], expected_version=d["version"], note=d["note"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _render_case(request, m, ca, status=exc.status, track_form=form)
    messages.success(request, _("The track is now «%(track)s».") % {"track": case.get_track_display()})
    return HttpResponseRedirect(_case_url(case))


@require_http_methods(["GET", "POST"])
@page
def case_edit(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    case = ca.case
    decision = policy.can(m, Act.CASE_MANAGE, case)
    if not decision:
        return _forbidden(request, decision.reason)
    scope = policy.header_scope(ca)
    team = selectors.team_list(ca)
    with_safety_plan = "safety_plan" in scope
    status, conflict = 200, False
    if request.method == "POST":
        form = CaseEditForm(request.POST, team=team, with_safety_plan=with_safety_plan)
        if form.is_valid():
            d = form.cleaned_data
            lead = next((t.user for t in team if t.user.username == d["lead"]), None)
            try:
                services.case_update(
                    actor=m,
                    case=case,
                    expected_version=d["version"],
                    lead=lead,
                    ideologies=d["ideologies"],
                    motivation_stage=d["motivation_stage"],
                    threat_clarified_at=d["threat_clarified_at"],
                    safety_plan=d["safety_plan"] if with_safety_plan else None,
                )
            except Conflict as exc:
                # Keep what the user typed; the next save goes against the version now saved.
                data = request.POST.copy()
                data["version"] = str(case.version)
                form = CaseEditForm(data, team=team, with_safety_plan=with_safety_plan)
                form.is_valid()
                form.add_error(None, str(exc.message))
                status, conflict = 409, True
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The case is saved."))
                return HttpResponseRedirect(_case_url(case))
        else:
            status = 400
    else:
        form = CaseEditForm(
            initial={
                "lead": case.lead.username if case.lead else "",
                "ideologies": case.ideologies,
                "motivation_stage": case.motivation_stage,
                "threat_clarified_at": case.threat_clarified_at,
                "safety_plan": case.safety_plan if with_safety_plan else "",
                "version": case.version,
            },
            team=team,
            with_safety_plan=with_safety_plan,
        )
    ideology_labels = [Ideology(v).label for v in case.ideologies if v in Ideology.values]
    ctx = {
        "ca": ca,
        "case": case,
        "scope": scope,
        "form": form,
        "conflict": conflict,
        "ideology_labels": ideology_labels,
    }
    return render(request, "cases/case_edit.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def case_close(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    case = ca.case
    decision = policy.can(m, Act.CASE_MANAGE, case)
    if not decision:
        return _forbidden(request, decision.reason)
    status = 200
    if request.method == "POST":
        form = CloseForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.case_close(
                    actor=m, case=case, reason=d["reason"], summary=d["summary"], expected_version=d["version"]
                )
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The case is closed."))
                return HttpResponseRedirect(_case_url(case))
        else:
            status = 400
    else:
        form = CloseForm(initial={"version": case.version})
    return render(request, "cases/case_close.html", {"ca": ca, "case": case, "form": form}, status=status)


@require_POST
@page
def case_reopen(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_case(request, m, ca, status=400, reopen_form=form)
    try:
        new = services.case_reopen(actor=m, case=ca.case, track=form.cleaned_data["track"] or None)
    except Forbidden:
        raise
    except UtveiError as exc:
        return _render_case(request, m, ca, status=exc.status, reopen_error=exc.message)
    messages.success(
        request,
        _("Case %(new)s is opened for the same person, linked to %(old)s.") % {"new": new.reference, "old": ca.case},
    )
    return HttpResponseRedirect(_case_url(new))


# ---- Team ----------------------------------------------------------------------------------------------


def _team_response(
    request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any
) -> HttpResponse:
    if _is_htmx(request):
        ctx = _case_context(m, ca, **extra)
        return render(request, "cases/_team.html", ctx, status=status)
    return _render_case(request, m, ca, status=status, **extra)


@require_POST
@page
def team_add(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = TeamAddForm(request.POST)
    if not form.is_valid():
        return _team_response(request, m, ca, status=400, team_form=form)
    d = form.cleaned_data
    try:
        member = services.team_add(
            actor=m, case=ca.case, user=d["user"], organisation=d["organisation"], role=d["role"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _team_response(request, m, ca, status=exc.status, team_form=form)
    note = _("%(user)s is added to the team.") % {"user": member.user.username}
    if _is_htmx(request):
        return _team_response(request, m, ca, team_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(_case_url(ca.case, "team"))


@require_POST
@page
def team_end(request: HttpRequest, m: Membership, case_id: Any, member_id: int) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    team = selectors.team_list(ca)
    member: TeamMember | None = next((t for t in team if t.pk == member_id), None)
    if member is None:
        raise NotFound(_("The team member was not found."))
    try:
        services.team_end(actor=m, member=member)
    except Forbidden:
        raise
    except UtveiError as exc:
        return _team_response(request, m, ca, status=exc.status, team_error=exc.message, team=team)
    note = _("%(user)s is no longer on the team.") % {"user": member.user.username}
    if _is_htmx(request):
        return _team_response(request, m, ca, team_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(_case_url(ca.case, "team"))


# ---- Timeline ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def entry_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = policy.can(m, Act.ENTRY_CREATE, ca.case)
    if not decision:
        return _forbidden(request, decision.reason)
    classifications = policy.writable_classifications(m)
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST, classifications=classifications)
        if form.is_valid():
            d = form.cleaned_data
            try:
                entry = services.entry_create(
                    actor=m,
                    case=ca.case,
                    kind=d["kind"],
                    classification=d["classification"],
                    body=d["body"],
                    title=d["title"],
                    category=d["category"],
                    occurred_at=d["occurred_at"],
                )
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The entry is saved."))
                return HttpResponseRedirect(_case_url(ca.case, f"entry-{entry.public_id}"))
        else:
            status = 400
    else:
        initial: dict[str, Any] = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
        if len(classifications) == 1:
            initial["classification"] = classifications[0]
        form = EntryForm(initial=initial, classifications=classifications)
    return render(request, "cases/entry_form.html", {"ca": ca, "case": ca.case, "form": form}, status=status)


@require_GET
@page
def entry_detail(request: HttpRequest, m: Membership, case_id: Any, entry_id: Any) -> HttpResponse:
    item = selectors.entry_get(actor=m, entry_id=entry_id)
    if str(item.entry.case.public_id) != str(case_id):
        raise NotFound(_("The entry was not found."))
    can_edit = policy.can(m, Act.ENTRY_EDIT, item.entry) if item.readable else None
    ctx = {
        "item": item,
        "entry": item.entry,
        "case": item.entry.case,
        "revisions": selectors.entry_revisions(item),
        "can_edit": bool(can_edit),
    }
    return render(request, "cases/entry_detail.html", ctx)


@require_http_methods(["GET", "POST"])
@page
def entry_edit(request: HttpRequest, m: Membership, case_id: Any, entry_id: Any) -> HttpResponse:
    item = selectors.entry_get(actor=m, entry_id=entry_id)
    entry = item.entry
    if str(entry.case.public_id) != str(case_id) or not item.readable:
        raise NotFound(_("The entry was not found."))
    decision = policy.can(m, Act.ENTRY_EDIT, entry)
    if not decision:
        return _forbidden(request, decision.reason)
    classifications = policy.writable_classifications(m)
    status, current = 200, None
    if request.method == "POST":
        form = EntryEditForm(request.POST, classifications=classifications)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = services.entry_update(
                    actor=m,
                    entry=entry,
                    expected_version=d["version"],
                    body=d["body"],
                    title=d["title"],
                    classification=d["classification"],
                    kind=d["kind"],
                    category=d["category"],
                )
            except Conflict as exc:
                current = exc.current
                data = request.POST.copy()
                data["version"] = str(current.version if current is not None else entry.version)
                form = EntryEditForm(data, classifications=classifications)
                form.is_valid()
                form.add_error(None, str(exc.message))
                status = 409
            except Forbidden:
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The entry is saved (version %(n)d).") % {"n": saved.version})
                return HttpResponseRedirect(reverse("entry_detail", args=[entry.case.public_id, entry.public_id]))
        else:
            status = 400
    else:
        form = EntryEditForm(
            initial={
                "kind": entry.kind,
                "category": entry.category,
                "classification": entry.classification,
                "title": entry.title,
                "body": entry.body,
                "version": entry.version,
            },
            classifications=classifications,
        )
    ctx = {"item": item, "entry": entry, "case": entry.case, "form": form, "current": current}
    return render(request, "cases/entry_edit.html", ctx, status=status)


# ---- Tasks ---------------------------------------------------------------------------------------------


def _tasks_response(
    request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any
) -> HttpResponse:
    if _is_htmx(request):
        return render(request, "cases/_tasks.html", _case_context(m, ca, **extra), status=status)
    return _render_case(request, m, ca, status=status, **extra)


@require_POST
@page
def task_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    team = selectors.team_list(ca)
    form = TaskForm(request.POST, team=team)
    if not form.is_valid():
        return _tasks_response(request, m, ca, status=400, task_form=form, team=team)
    d = form.cleaned_data
    assignee = next((t.user for t in team if t.user.username == d["assignee"]), None)
    try:
        services.task_create(actor=m, case=ca.case, title=d["title"], assignee=assignee, due_on=d["due_on"])
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return _tasks_response(request, m, ca, status=exc.status, task_form=form, team=team)
    note = _("The task is added.")
    if _is_htmx(request):
        return _tasks_response(request, m, ca, task_note=note, team=team)
    messages.success(request, note)
    return HttpResponseRedirect(_case_url(ca.case, "tasks"))


@require_POST
@page
def task_status(request: HttpRequest, m: Membership, task_id: Any) -> HttpResponse:
    task, ca = selectors.task_get(actor=m, task_id=task_id, audit=False)
    form = TaskStatusForm(request.POST)
    fallback = _case_url(ca.case, "tasks")
    if not form.is_valid():
        return render(request, "cases/error.html", {"message": _("Choose a valid status.")}, status=400)
    d = form.cleaned_data
    try:
        task = services.task_set_status(actor=m, task=task, status=d["status"])
    except UtveiError as exc:
        if _is_htmx(request):
            row = {"task": task, "can_edit": False, "error": exc.message}
            return render(
                request,
                "cases/_task_row.html",
                {"row": row, "show_case": d["show_case"], "next_url": d["next"]},
                status=exc.status,
            )
        raise
    note = _("Task marked as «%(status)s».") % {"status": task.get_status_display()}
    if _is_htmx(request):
        row = {"task": task, "can_edit": True, "note": note}
        ctx = {"row": row, "show_case": d["show_case"], "next_url": d["next"]}
        return render(request, "cases/_task_row.html", ctx)
    messages.success(request, note)
    return HttpResponseRedirect(_safe_next(request, d["next"], fallback))


@require_GET
@page
def my_tasks(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, Act.CASE_LIST):
        return render(request, "cases/no_case_role.html", status=403)
    include_done = request.GET.get("done") == "1"
    qs = selectors.my_tasks(actor=m, include_done=include_done)
    tasks = Paginator(qs, CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    # Every task here is assigned to the viewer, and the policy lets an assignee change a task's status;
    # the service checks again on every change.
    rows = [{"task": t, "can_edit": True} for t in tasks]
    ctx = {"page_obj": tasks, "rows": rows, "include_done": include_done, "today": timezone.localdate()}
    return render(request, "cases/my_tasks.html", ctx)
