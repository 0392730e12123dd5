"""Pages of an individual plan: the plan page with its goals, ratings and items, approval, reviews, printing,
and the plan section of the case page. Every form posts to one view that calls one service; htmx requests get
the plan's body back, others a redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from utvei.access import policy
from utvei.access.plans import item_status_allowed, plan_actions, plan_start_allowed
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.core.errors import NotFound
from utvei.core.forms import posted_version, submit
from utvei.core.web import is_htmx, page

from . import selectors, services
from .forms import (
    ApproveForm,
    GoalEditForm,
    GoalForm,
    ItemEditForm,
    ItemForm,
    ItemStatusForm,
    PlanFieldsForm,
    RatingForm,
    ReviewForm,
    form_prefix,
)
from .models import PlanStatus
from .selectors import PlanAccess

PRINT_LANGUAGES = ("nb", "en")


def plan_url(pa: Any, anchor: str = "") -> str:
    plan = getattr(pa, "plan", pa)
    url = reverse("plan_detail", args=[plan.case.public_id, plan.public_id])
    return f"{url}#{anchor}" if anchor else url


# ---- The case page's plan section ----------------------------------------------------------------------


def case_plan_context(ca: CaseAccess) -> dict[str, Any]:
    """What the case page's «Plan» section shows (templates/plans/_case_section.html)."""
    section = selectors.case_plan_section(ca)
    return {"plan_section": section, "can_plan": plan_start_allowed(ca, draft_exists=section.draft is not None)}


# ---- The plan page -------------------------------------------------------------------------------------


def _form(cls: type[forms.Form], bound: dict[str, forms.Form], prefix: str, **kw: Any) -> Any:
    """The bound form that failed (to show its errors), else a fresh one."""
    return bound.get(prefix) or cls(prefix=prefix, **kw)


def plan_context(m: Membership, pa: PlanAccess, **extra: Any) -> dict[str, Any]:
    ca, plan = pa.ca, pa.plan
    bound: dict[str, forms.Form] = extra.pop("bound", {})
    content = selectors.plan_content(pa)
    versions = selectors.case_plans(ca)
    draft = next((v.plan for v in versions if v.plan.status == PlanStatus.DRAFT), None)
    actions = plan_actions(ca, plan, draft_exists=draft is not None)  # the API shows the same (api/views/plans.py)
    writable = actions.write
    can_edit, can_rate, can_approve = actions.edit, actions.rate, actions.approve
    measures = selectors.measure_choices(actor=m) if can_edit else []
    team = case_selectors.team_list(ca) if can_edit else []
    goals = [row.goal for row in content.goals]
    item_kw = {"measures": measures, "goals": goals, "team": team}

    goal_rows = []
    for row in content.goals:
        g = row.goal
        initial = {"text": g.text, "domain": g.domain, "target_date": g.target_date, "version": g.version}
        goal_rows.append(
            {
                "row": row,
                "edit_form": _form(GoalEditForm, bound, form_prefix("goal", g), initial=initial) if can_edit else None,
                "rate_form": _form(RatingForm, bound, form_prefix("rate", g)) if can_rate else None,
            }
        )
    item_rows = []
    for item in content.items:
        can_status = item_status_allowed(ca, plan, item, pa.view)
        initial = {
            "measure": item.measure.key,
            "goal": item.goal.public_id.hex if item.goal else "",
            "responsible_user": item.responsible_user.username if item.responsible_user else "",
            "responsible_org": item.responsible_org.slug if item.responsible_org else None,
            "start_on": item.start_on,
            "end_on": item.end_on,
            "status": item.status,
            "note": item.note,
            "sessions_planned": item.sessions_planned,
            "version": item.version,
        }
        item_rows.append(
            {
                "item": item,
                "edit_form": _form(ItemEditForm, bound, form_prefix("item", item), initial=initial, **item_kw)
                if can_edit
                else None,
                "status_form": _form(
                    ItemStatusForm,
                    bound,
                    form_prefix("status", item),
                    initial={
                        "status": item.status,
                        "stop_reason": item.stop_reason,
                        "sessions_held": item.sessions_held,
                        "version": item.version,
                    },
                )
                if can_status and not can_edit
                else None,
            }
        )
    fields_initial = {
        "participation": plan.participation,
        "participation_note": plan.participation_note,
        "classification": plan.classification,
        "review_due": plan.review_due,
        "version": plan.version,
    }
    ctx: dict[str, Any] = {
        "pa": pa,
        "ca": ca,
        "case": ca.case,
        "plan": plan,
        "content": content,
        "goal_rows": goal_rows,
        "item_rows": item_rows,
        "unlinked_ids": {i.pk for i in content.unlinked_items},
        "versions": versions if pa.full else [],
        "draft": draft,
        "can_edit": can_edit,
        "can_rate": can_rate,
        "can_approve": can_approve,
        "can_review": actions.review,
        "can_new_version": actions.new_version,
        "refusal": None if writable or not pa.full else writable.reason,
        "problems": services.plan_problems(plan) if can_approve else [],
        "goal_form": _form(GoalForm, bound, "goal-new") if can_edit else None,
        "item_form": _form(ItemForm, bound, "item-new", **item_kw) if can_edit else None,
        "fields_form": _form(PlanFieldsForm, bound, "plan", initial=fields_initial) if can_edit else None,
        "approve_form": _form(ApproveForm, bound, "approve", initial={"version": plan.version})
        if can_approve
        else None,
        "review_form": _form(ReviewForm, bound, "review") if actions.review else None,
        "print_languages": PRINT_LANGUAGES,
        "today": timezone.localdate(),
        "why": pa.decision,
    }
    ctx.update(extra)
    return ctx


def plan_page(request: HttpRequest, m: Membership, pa: PlanAccess, status: int = 200, **extra: Any) -> HttpResponse:
    template = "plans/_plan_body.html" if is_htmx(request) else "plans/plan_detail.html"
    return render(request, template, plan_context(m, pa, **extra), status=status)


def _fresh(m: Membership, pa: PlanAccess) -> PlanAccess:
    return selectors.plan_get(actor=m, case_id=pa.ca.case.public_id, plan_id=pa.plan.public_id, audit=False)


def _done(request: HttpRequest, m: Membership, pa: PlanAccess, note: Any, anchor: str) -> HttpResponse:
    if is_htmx(request):
        return plan_page(request, m, _fresh(m, pa), plan_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(plan_url(pa, anchor))


def _handle(
    request: HttpRequest,
    m: Membership,
    pa: PlanAccess,
    form: forms.Form,
    act: Callable[[dict[str, Any]], Any],
    note: Any,
    anchor: str,
) -> HttpResponse:
    """Validate, call the service, answer; a problem is shown on the form that caused it (core.forms.submit)."""
    status = submit(form, act)
    if status is not None:
        fresh = pa if status == 400 else _fresh(m, pa)
        return plan_page(request, m, fresh, status=status, bound={form.prefix or "": form})
    return _done(request, m, pa, note, anchor)


def _plan(m: Membership, case_id: Any, plan_id: Any) -> PlanAccess:
    """The plan for a write: the write's own service records the one audit event."""
    return selectors.plan_get(actor=m, case_id=case_id, plan_id=plan_id, audit=False)


@require_POST
@page
def plan_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = case_selectors.case_get(actor=m, case_id=case_id, audit=False)
    plan = services.plan_create(actor=m, case=ca.case)
    note: Any
    if plan.based_on_id:
        note = _("Version %(n)d of the plan is started as a draft, copied from the plan in force.") % {"n": plan.number}
    else:
        note = _("The plan is started as a draft. Add the person's goals first.")
    messages.success(request, note)
    return HttpResponseRedirect(plan_url(plan))


@require_GET
@page
def plan_detail(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = selectors.plan_get(actor=m, case_id=case_id, plan_id=plan_id)
    return plan_page(request, m, pa)


@require_POST
@page
def plan_edit(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    form = PlanFieldsForm(request.POST, prefix="plan")

    def act(d: dict[str, Any]) -> Any:
        return services.plan_update(
            actor=m,
            plan=pa.plan,
            expected_version=d["version"],
            participation=d["participation"],
            participation_note=d["participation_note"],
            classification=d["classification"],
            review_due=d["review_due"],
        )

    return _handle(request, m, pa, form, act, _("The plan is saved."), "about")


@require_POST
@page
def plan_approve(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    form = ApproveForm(request.POST, prefix="approve")

    def act(d: dict[str, Any]) -> Any:
        return services.plan_approve(actor=m, plan=pa.plan, expected_version=d["version"], review_due=d["review_due"])

    return _handle(request, m, pa, form, act, _("The plan is approved and in force."), "about")


@require_POST
@page
def plan_review(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    form = ReviewForm(request.POST, prefix="review")

    def act(d: dict[str, Any]) -> Any:
        return services.plan_review(
            actor=m,
            plan=pa.plan,
            reviewed_on=d["reviewed_on"],
            next_review_due=d["next_review_due"],
            note=d["note"],
        )

    return _handle(request, m, pa, form, act, _("The review is recorded."), "reviews")


@require_POST
@page
def goal_add(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    form = GoalForm(request.POST, prefix="goal-new")

    def act(d: dict[str, Any]) -> Any:
        return services.goal_add(
            actor=m, plan=pa.plan, text=d["text"], domain=d["domain"], target_date=d["target_date"]
        )

    return _handle(request, m, pa, form, act, _("The goal is added."), "goals")


@require_POST
@page
def goal_edit(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, goal_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    goal = selectors.goal_in(pa, goal_id)
    form = GoalEditForm(request.POST, prefix=form_prefix("goal", goal))

    def act(d: dict[str, Any]) -> Any:
        return services.goal_update(
            actor=m,
            goal=goal,
            expected_version=d["version"],
            text=d["text"],
            domain=d["domain"],
            target_date=d["target_date"],
        )

    return _handle(request, m, pa, form, act, _("The goal is saved."), f"goal-{goal.public_id}")


@require_POST
@page
def goal_remove(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, goal_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    goal = selectors.goal_in(pa, goal_id)
    services.goal_remove(actor=m, goal=goal, expected_version=posted_version(request.POST))
    return _done(request, m, pa, _("The goal is removed from the draft."), "goals")


@require_POST
@page
def goal_rate(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, goal_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    goal = selectors.goal_in(pa, goal_id)
    form = RatingForm(request.POST, prefix=form_prefix("rate", goal))

    def act(d: dict[str, Any]) -> Any:
        return services.goal_rate(actor=m, goal=goal, rating=d["rating"], rated_on=d["rated_on"], note=d["note"])

    return _handle(request, m, pa, form, act, _("The rating is recorded."), f"goal-{goal.public_id}")


def _item_kw(m: Membership, pa: PlanAccess) -> dict[str, Any]:
    return {
        "measures": selectors.measure_choices(actor=m),
        "goals": list(pa.plan.goals.order_by("position", "pk")),
        "team": case_selectors.team_list(pa.ca),
    }


@require_POST
@page
def item_add(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    form = ItemForm(request.POST, prefix="item-new", **_item_kw(m, pa))

    def act(d: dict[str, Any]) -> Any:
        return services.item_add(actor=m, plan=pa.plan, **form.resolved())

    return _handle(request, m, pa, form, act, _("The measure is added to the plan."), "items")


@require_POST
@page
def item_edit(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, item_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    item = selectors.item_in(pa, item_id)
    form = ItemEditForm(request.POST, prefix=form_prefix("item", item), **_item_kw(m, pa))

    def act(d: dict[str, Any]) -> Any:
        return services.item_update(actor=m, item=item, expected_version=d["version"], **form.resolved())

    return _handle(request, m, pa, form, act, _("The plan item is saved."), f"item-{item.public_id}")


@require_POST
@page
def item_status(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, item_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    item = selectors.item_in(pa, item_id)
    form = ItemStatusForm(request.POST, prefix=form_prefix("status", item))

    def act(d: dict[str, Any]) -> Any:
        return services.item_set_status(
            actor=m,
            item=item,
            status=d["status"],
            expected_version=d["version"],
            note=d["note"],
            stop_reason=d.get("stop_reason") or None,
            sessions_held=d.get("sessions_held"),
        )

    return _handle(request, m, pa, form, act, _("The status is saved."), f"item-{item.public_id}")


@require_POST
@page
def item_remove(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any, item_id: Any) -> HttpResponse:
    pa = _plan(m, case_id, plan_id)
    item = selectors.item_in(pa, item_id)
    services.item_remove(actor=m, item=item, expected_version=posted_version(request.POST))
    return _done(request, m, pa, _("The item is removed from the draft."), "items")


# ---- The printable plan --------------------------------------------------------------------------------


@require_GET
@page
def plan_print(request: HttpRequest, m: Membership, case_id: Any, plan_id: Any) -> HttpResponse:
    """The plan on A4, in bokmål or English (?lang=nb|en), with what the viewer may read and nothing else."""
    lang = request.GET.get("lang") or (translation.get_language() or "nb")[:2]
    if lang not in PRINT_LANGUAGES:
        return render(request, "cases/error.html", {"message": _("Choose bokmål (nb) or English (en).")}, status=400)
    pa = selectors.plan_get(actor=m, case_id=case_id, plan_id=plan_id, audit_action=Action.PLAN_PRINT)
    if not pa.readable:
        raise NotFound(_("The plan was not found."))
    with translation.override(lang):
        ctx = {
            "pa": pa,
            "plan": pa.plan,
            "case": pa.ca.case,
            "content": selectors.plan_content(pa),
            "scope": policy.copy_scope(pa.ca),
            "lang": lang,
            "printed_at": timezone.now(),
            "printed_by": m,
        }
        response = render(request, "plans/plan_print.html", ctx)
    response["Content-Language"] = lang
    return response
