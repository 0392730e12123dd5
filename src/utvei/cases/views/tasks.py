"""Pages: tasks on a case and "my tasks"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from utvei.access import policy
from utvei.access.policy import Act, CaseAccess
from utvei.accounts.models import Membership
from utvei.core.errors import Conflict, Forbidden, UtveiError
from utvei.core.web import is_htmx, page, safe_next

from .. import selectors, services
from ..forms import (
    TaskForm,
    TaskStatusForm,
)
from .cases import case_context, render_case
from .common import CASE_LIST_PAGE_SIZE, case_url

# ---- Tasks ---------------------------------------------------------------------------------------------


def tasks_response(
    request: HttpRequest, m: Membership, ca: CaseAccess, status: int = 200, **extra: Any
) -> HttpResponse:
    if is_htmx(request):
        return render(request, "cases/_tasks.html", case_context(m, ca, **extra), status=status)
    return render_case(request, m, ca, status=status, **extra)


@require_POST
@page
def task_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    team = selectors.team_list(ca)
    form = TaskForm(request.POST, team=team)
    if not form.is_valid():
        return tasks_response(request, m, ca, status=400, task_form=form, team=team)
    d = form.cleaned_data
    assignee = next((t.user for t in team if t.user.username == d["assignee"]), None)
    try:
        services.task_create(actor=m, case=ca.case, title=d["title"], assignee=assignee, due_on=d["due_on"])
    except Forbidden:
        raise
    except UtveiError as exc:
        form.add_service_error(exc)
        return tasks_response(request, m, ca, status=exc.status, task_form=form, team=team)
    note = _("The task is added.")
    if is_htmx(request):
        return tasks_response(request, m, ca, task_note=note, team=team)
    messages.success(request, note)
    return HttpResponseRedirect(case_url(ca.case, "tasks"))


@require_POST
@page
def task_status(request: HttpRequest, m: Membership, task_id: Any) -> HttpResponse:
    task, ca = selectors.task_get(actor=m, task_id=task_id, audit=False)
    form = TaskStatusForm(request.POST)
    fallback = case_url(ca.case, "tasks")
    if not form.is_valid():
        return render(request, "cases/error.html", {"message": _("Choose a valid status.")}, status=400)
    d = form.cleaned_data
    try:
        task = services.task_set_status(actor=m, task=task, status=d["status"], expected_version=d["version"])
    except Conflict as exc:  # someone changed it first: the row as it is now, with its buttons, and why
        row = {"task": exc.current, "can_edit": True, "error": exc.message}
        ctx = {"row": row, "show_case": d["show_case"], "next_url": d["next"]}
        if is_htmx(request):
            return render(request, "cases/_task_row.html", ctx, status=409)
        return render(request, "cases/error.html", {"message": exc.message}, status=409)
    except UtveiError as exc:
        if is_htmx(request):
            row = {"task": task, "can_edit": False, "error": exc.message}
            return render(
                request,
                "cases/_task_row.html",
                {"row": row, "show_case": d["show_case"], "next_url": d["next"]},
                status=exc.status,
            )
        raise
    note = _("Task marked as «%(status)s».") % {"status": task.get_status_display()}
    if is_htmx(request):
        row = {"task": task, "can_edit": True, "note": note}
        ctx = {"row": row, "show_case": d["show_case"], "next_url": d["next"]}
        return render(request, "cases/_task_row.html", ctx)
    messages.success(request, note)
    return HttpResponseRedirect(safe_next(request, d["next"], fallback))


@require_GET
@page
def my_tasks(request: HttpRequest, m: Membership) -> HttpResponse:
    if not policy.can(m, Act.CASE_LIST):
        return render(request, "cases/no_case_role.html", status=403)
    include_done = request.GET.get("done") == "1"
    qs = selectors.my_tasks(actor=m, include_done=include_done)
    tasks = Paginator(qs, CASE_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.label_people(m, [t.case for t in tasks])
    # Every task here is assigned to the viewer, and the policy lets an assignee change a task's status;
    # the service checks again on every change.
    rows = [{"task": t, "can_edit": True} for t in tasks]
    ctx = {"page_obj": tasks, "rows": rows, "include_done": include_done, "today": timezone.localdate()}
    return render(request, "cases/my_tasks.html", ctx)
