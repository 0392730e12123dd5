"""Pages: the case list, the case page, header edits, phase, track, close, reopen and the team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import participant as participant_rules
from utvei.access import policy
from utvei.access.explain import explain_items
from utvei.access.header import history_decision, person_edit_decision
from utvei.access.policy import Act, CaseAccess, Relation
from utvei.accounts.models import Membership, Organisation
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.forms import submit
from utvei.core.web import forbidden, is_htmx, page

from .. import hooks, selectors, services, workflow
from ..forms import (
    CaseEditForm,
    CaseFilterForm,
    CloseForm,
    PhaseForm,
    ReopenForm,
    TaskForm,
    TeamAddForm,
    TimelineFilterForm,
    TrackForm,
)
from ..models import Case, Ideology, Phase, Task, TeamMember, TeamRole
from .common import CASE_LIST_PAGE_SIZE, TIMELINE_PAGE_SIZE, case_url

# ---- Case list -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def case_list(request: HttpRequest, m: Membership) -> HttpResponse:
    """The cases the user may see. The filters travel in the address (GET); a search is sent in the body (POST), so
    a name or birth date never lands in an address, the browser's history or a server log, and its matches (at
    most `selectors.SEARCH_LIMIT`) are shown on one page."""
    if not policy.can(m, Act.CASE_LIST):
        return render(request, "cases/no_case_role.html", status=403)
    data = request.POST.copy() if request.method == "POST" else request.GET.copy()
    if request.method == "GET":
        data.pop("q", None)  # a search never travels in an address
    form = CaseFilterForm(data or None)
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
            query=d.get("q", ""),
        )
    searching = bool(filters.query)
    params = {} if searching else request.GET
    size = selectors.SEARCH_LIMIT if searching else CASE_LIST_PAGE_SIZE
    found = selectors.case_page(actor=m, filters=filters, params=params, size=size)
    selectors.label_people(m, found.page.rows)
    query = request.GET.copy()
    for key in ("after", "before", "at"):
        query.pop(key, None)
    ctx = {
        "form": form,
        "page_obj": found.page,
        "count": found.count,
        "query": query.urlencode(),
        "searching": searching,
        "filtered": filters != selectors.CaseFilters(),
    }
    return render(request, "cases/case_list.html", ctx, status=status)


# ---- The same person elsewhere (issue 13, deliverable 2) -----------------------------------------------


@require_POST
@page
def case_parallel_ask(request: HttpRequest, m: Membership, case_id: Any, org_slug: str) -> HttpResponse:
    """Ask the organisation with an open case for the same person for a referral or a collaboration."""
    ca = selectors.case_get(actor=m, case_id=case_id)
    return parallel_ask_response(request, m, org_slug, case_url(ca.case), case=ca.case)


def parallel_ask_response(request: HttpRequest, m: Membership, org_slug: str, back: str, **about: Any) -> HttpResponse:
    org = Organisation.objects.filter(slug=org_slug[:60]).first()
    if org is None:
        raise NotFound(_("No open case of that organisation matches this person."))
    try:
        services.parallel_ask(actor=m, to_org=org, **about)
    except Conflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(
            request,
            _("%(org)s is asked to contact you about a referral or a collaboration. Its coordinators are notified.")
            % {"org": org.name},
        )
    return HttpResponseRedirect(back)


@require_POST
@page
def parallel_handled(request: HttpRequest, m: Membership, case_id: Any, inquiry_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    try:
        services.parallel_handled(actor=m, ca=ca, inquiry_id=inquiry_id)
    except Conflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("The request is marked as handled."))
    return HttpResponseRedirect(case_url(ca.case))


# ---- Case page -----------------------------------------------------------------------------------------


def relation_label(ca: CaseAccess) -> Any:
    if ca.relation == Relation.TEAM:
        return _("team member")
    if ca.relation == Relation.EMERGENCY:
        return _("emergency access (read only, time-limited)")
    if ca.relation == Relation.REFERRAL:
        return _("accepted referral (limited role)")
    return _("coordinator of the organisation that owns the case")


def case_context(m: Membership, ca: CaseAccess, **extra: Any) -> dict[str, Any]:
    """Everything the case page shows, each part through the selector or the policy that governs it."""
    case = ca.case
    scope = policy.header_scope(ca)
    team = extra.pop("team", None) or selectors.team_list(ca)
    can_manage = policy.can(m, Act.CASE_MANAGE, ca)
    can_team = policy.can(m, Act.TEAM_MANAGE, ca)
    can_task = policy.can(m, Act.TASK_CREATE, ca)
    can_entry = policy.can(m, Act.ENTRY_CREATE, ca)
    next_case = getattr(case, "next_case", None) if "previous_case" in scope else None
    params = extra.pop("params", {})
    timeline_form, filters = timeline_filter(ca, team, params)
    items, timeline = selectors.timeline_page(ca, params, size=TIMELINE_PAGE_SIZE, filters=filters)
    ctx: dict[str, Any] = {
        "ca": ca,
        "case": case,
        "scope": scope,
        "why": policy.explain(m, ca),
        "relation_label": relation_label(ca),
        "timeline": explain_items(m, case, items),  # each entry with its readable reasons
        "timeline_page": timeline,
        "timeline_form": timeline_form,
        "timeline_filtered": filters.active,
        "timeline_query": filter_query(params),
        "team": team,
        "task_rows": task_rows(ca, selectors.case_tasks(ca)),
        "history": selectors.phase_history(ca),
        "can_manage": bool(can_manage),
        "can_history": bool(history_decision(ca)),
        "can_edit_person": bool(can_manage) and bool(person_edit_decision(ca)),
        "can_team": bool(can_team),
        "can_task": bool(can_task),
        "can_entry": bool(can_entry),
        "can_participant": participant_rules.accounts_visible(ca),
        "entry_refusal": None if can_entry else can_entry.reason,
        "next_phases": phase_buttons(case) if can_manage and not case.is_closed else [],
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
        "emergency": emergency_banner(ca),
        "protected": policy.is_protected(case),
        "can_protect": bool(policy.protection_decision(ca)),
    }
    ctx["case_panels"] = [panel for panel in hooks.CASE_PAGE.send(ca=ca) if panel]
    owner = policy.parallel_inquiries_decision(ca)
    ctx["inquiries"] = selectors.parallel_inquiries(ca) if owner else []
    # While the case is being registered and assessed, the owner is told of the same person's open cases elsewhere
    # (issue 13): then the team is formed. Later the other organisation, registering, is told instead.
    early = case.phase in {Phase.INTAKE, Phase.ASSESSMENT}
    ctx["parallel"] = selectors.parallel_cases(actor=m, ca=ca) if owner and early else []
    ctx.update(extra)
    return ctx


CURSOR_KEYS = ("after", "before", "at")


def timeline_filter(
    ca: CaseAccess, team: list[TeamMember], params: Any
) -> tuple[TimelineFilterForm, selectors.TimelineFilters]:
    """The timeline filter as the query string asks (an unbound form without one). Its organisations: the owner and
    the team's, as the principal may see them (`team_list`), so the choices name no one the page does not."""
    organisations = [ca.case.owning_org] + [member.organisation for member in team]
    asked = any(key not in CURSOR_KEYS for key in params)
    form = TimelineFilterForm(params if asked else None, organisations=organisations, auto_id="timeline-%s")
    if not asked or not form.is_valid():
        return form, selectors.TimelineFilters()
    d = form.cleaned_data
    org = form.organisation()
    return form, selectors.TimelineFilters(
        kind=d["kind"],
        organisation_id=org.pk if org is not None else None,
        classification=d["classification"],
        since=d["since"],
        until=d["until"],
    )


def filter_query(params: Any) -> str:
    """The query string without the page position: what every timeline page link carries along."""
    if not isinstance(params, QueryDict):
        return ""
    query = params.copy()
    for key in CURSOR_KEYS:
        query.pop(key, None)
    return str(query.urlencode())


def emergency_banner(ca: CaseAccess) -> dict[str, Any] | None:
    """Under an emergency access: which access, and until when (for the banner and its End button)."""
    if ca.relation != Relation.EMERGENCY:
        return None
    until = dt.datetime.fromisoformat(ca.records["emergency_until"])
    same_day = timezone.localtime(until).date() == timezone.localdate()
    return {"id": ca.records.get("emergency_access"), "until": until, "same_day": same_day}


def phase_buttons(case: Case) -> list[dict[str, Any]]:
    order = list(Phase.values)
    return [
        {"value": p, "label": Phase(p).label, "back": order.index(p) < order.index(case.phase)}
        for p in workflow.next_phases(case)
    ]


def task_rows(ca: CaseAccess, tasks: list[Task]) -> list[dict[str, Any]]:
    return [{"task": t, "can_edit": bool(policy.task_edit_decision(ca, t))} for t in tasks]


def render_case(request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "cases/case_detail.html", case_context(m, ca, **extra), status=status)


@require_GET
@page
def case_detail(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    ctx = case_context(m, ca, params=request.GET)
    status = 400 if ctx["timeline_form"].errors else 200
    return render(request, "cases/case_detail.html", ctx, status=status)


@require_POST
@page
def case_phase(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return render_case(request, m, ca, status=400, phase_error=" ".join(errors))
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
        return render_case(request, m, ca, status=exc.status, phase_error=exc.message)
    messages.success(request, _("The case is now in the phase «%(phase)s».") % {"phase": case.get_phase_display()})
    return HttpResponseRedirect(case_url(case))


@require_POST
@page
def case_track(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render_case(request, m, ca, status=400, track_form=form)
    d = form.cleaned_data
    try:
        case = services.case_change_track(
            actor=m, case=ca.case, track=d["track"], expected_version=d["version"], note=d["note"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return render_case(request, m, ca, status=exc.status, track_form=form)
    messages.success(request, _("The track is now «%(track)s».") % {"track": case.get_track_display()})
    return HttpResponseRedirect(case_url(case))


@require_http_methods(["GET", "POST"])
@page
def case_edit(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    case = ca.case
    decision = policy.can(m, Act.CASE_MANAGE, ca)
    if not decision:
        return forbidden(request, decision.reason)
    scope = policy.header_scope(ca)
    team = selectors.team_list(ca)
    with_safety_plan = "safety_plan" in scope
    status, conflict = 200, False
    if request.method == "POST":
        form = CaseEditForm(request.POST, team=team, with_safety_plan=with_safety_plan)
        failed = submit(
            form,
            lambda d: services.case_update(
                actor=m,
                case=case,
                expected_version=d["version"],
                lead=next((t.user for t in team if t.user.username == d["lead"]), None),
                ideologies=d["ideologies"],
                motivation_stage=d["motivation_stage"],
                threat_clarified_at=d["threat_clarified_at"],
                safety_plan=d["safety_plan"] if with_safety_plan else None,
                safety_plan_review_on=d["safety_plan_review_on"] if with_safety_plan else services.KEEP,
            ),
        )
        if failed is None:
            messages.success(request, _("The case is saved."))
            return HttpResponseRedirect(case_url(case))
        status, conflict = failed, form.conflict is not None
    else:
        form = CaseEditForm(
            initial={
                "lead": case.lead.username if case.lead else "",
                "ideologies": case.ideologies,
                "motivation_stage": case.motivation_stage,
                "threat_clarified_at": case.threat_clarified_at,
                "safety_plan": case.safety_plan if with_safety_plan else "",
                "safety_plan_review_on": case.safety_plan_review_on if with_safety_plan else None,
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
    decision = policy.can(m, Act.CASE_MANAGE, ca)
    if not decision:
        return forbidden(request, decision.reason)
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
                return HttpResponseRedirect(case_url(case))
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
        return render_case(request, m, ca, status=400, reopen_form=form)
    try:
        new = services.case_reopen(actor=m, case=ca.case, track=form.cleaned_data["track"] or None)
    except Forbidden:
        raise
    except UtveiError as exc:
        return render_case(request, m, ca, status=exc.status, reopen_error=exc.message)
    messages.success(
        request,
        _("Case %(new)s is opened for the same person, linked to %(old)s.") % {"new": new.reference, "old": ca.case},
    )
    return HttpResponseRedirect(case_url(new))


# ---- Team ----------------------------------------------------------------------------------------------


def team_response(request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any) -> HttpResponse:
    if is_htmx(request):
        ctx = case_context(m, ca, **extra)
        return render(request, "cases/_team.html", ctx, status=status)
    return render_case(request, m, ca, status=status, **extra)


@require_POST
@page
def team_add(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    form = TeamAddForm(request.POST)
    if not form.is_valid():
        return team_response(request, m, ca, status=400, team_form=form, team_open=True)
    d = form.cleaned_data
    if form.finding:
        if not policy.can(m, Act.TEAM_MANAGE, ca):
            raise Forbidden(_("You cannot change this team."))
        found = policy.team_candidates(ca, d["organisation"], d["name"])
        return team_response(request, m, ca, team_form=form, candidates=found, team_open=True)
    try:
        member = services.team_add(
            actor=m, case=ca.case, user=d["user"], organisation=d["organisation"], role=d["role"]
        )
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return team_response(request, m, ca, status=exc.status, team_form=form, team_open=True)
    note = _("%(user)s is added to the team.") % {"user": member.user.username}
    if is_htmx(request):
        return team_response(request, m, ca, team_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(case_url(ca.case, "team"))


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
        return team_response(request, m, ca, status=exc.status, team_error=exc.message, team=team)
    note = _("%(user)s is no longer on the team.") % {"user": member.user.username}
    if is_htmx(request):
        return team_response(request, m, ca, team_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(case_url(ca.case, "team"))
