"""Pages of the evidence engine on a case: its outcomes, recording measurements and events, and follow-ups. Every
page reads through evaluation/selectors.py and writes through evaluation/services.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access.evaluation import follow_up_owner_decision, record_classifications
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases.models import TeamMember
from utvei.core.forms import submit
from utvei.core.web import forbidden, page

from . import selectors, services
from .forms import EventForm, FollowUpForm, MeasurementsForm, OwnerForm
from .models import FollowUp, Indicator, OutcomeKind
from .selectors import CaseOutcomes


def outcomes_url(case: Any) -> str:
    return reverse("case_outcomes", args=[case.public_id])


def follow_up_url(case: Any, follow_up: FollowUp) -> str:
    return reverse("follow_up_detail", args=[case.public_id, follow_up.public_id])


def _indicators(case: Any) -> list[Indicator]:
    """The active indicators that apply to the case's track and that a worker may record."""
    rows = Indicator.objects.filter(active=True).order_by("position", "key")
    return [i for i in rows if case.track in i.tracks and ({"worker", "self_report"} & set(i.sources))]


def case_outcomes_context(ca: Any) -> dict[str, Any]:
    """The case page's «Outcomes and follow-up» section; the case page's `case.view` event covers the read."""
    outcomes = selectors.load(ca)
    return {"outcomes": outcomes, "today": timezone.localdate()}


@require_GET
@page
def case_outcomes(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    outcomes = selectors.outcomes_get(actor=m, case_id=case_id)
    ctx = {"case": outcomes.case, "ca": outcomes.ca, "outcomes": outcomes, "today": timezone.localdate()}
    return render(request, "evaluation/case_outcomes.html", ctx)


def _write_page(request: HttpRequest, m: Membership, case_id: Any) -> CaseOutcomes | HttpResponse:
    audit = Action.CASE_VIEW if request.method == "GET" else None
    outcomes = selectors.outcomes_get(actor=m, case_id=case_id, audit_action=audit)
    if not outcomes.can_record:
        return forbidden(request, outcomes.can_record.reason)
    return outcomes


@require_http_methods(["GET", "POST"])
@page
def measurements_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    outcomes = _write_page(request, m, case_id)
    if isinstance(outcomes, HttpResponse):
        return outcomes
    case = outcomes.case
    kw: dict[str, Any] = {"indicators": _indicators(case), "classifications": record_classifications(m)}
    status = 200
    if request.method == "POST":
        form = MeasurementsForm(request.POST, **kw)

        def act(d: dict[str, Any]) -> None:
            services.measurements_record(
                actor=m,
                case=case,
                occasion=d["occasion"],
                measured_on=d["measured_on"],
                items=form.measurements(d["source"]),
            )

        status = submit(form, act) or 0
        if not status:
            messages.success(request, _("The measurements are recorded."))
            return HttpResponseRedirect(outcomes_url(case))
    else:
        form = MeasurementsForm(
            initial={"measured_on": timezone.localdate(), "occasion": services.occasion_for_phase(case.phase)}, **kw
        )
    ctx = {"form": form, "case": case, "ca": outcomes.ca}
    return render(request, "evaluation/measurements_form.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def event_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    outcomes = _write_page(request, m, case_id)
    if isinstance(outcomes, HttpResponse):
        return outcomes
    case = outcomes.case
    kw: dict[str, Any] = {"classifications": record_classifications(m)}
    status = 200
    if request.method == "POST":
        form = EventForm(request.POST, **kw)

        def act(d: dict[str, Any]) -> None:
            e = form.event()
            services.outcome_event_record(
                actor=m,
                case=case,
                kind=e.kind,
                occurred_on=e.occurred_on,
                source=e.source,
                classification=e.classification,
                note=e.note,
            )

        status = submit(form, act) or 0
        if not status:
            messages.success(request, _("The event is recorded."))
            return HttpResponseRedirect(outcomes_url(case))
    else:
        form = EventForm(initial={"occurred_on": timezone.localdate()}, **kw)
    ctx = {"form": form, "case": case, "ca": outcomes.ca, "kinds": OutcomeKind}
    return render(request, "evaluation/event_form.html", ctx, status=status)


def _members(case: Any) -> list[Any]:
    rows = TeamMember.objects.current().filter(case=case).select_related("user").order_by("user__username")
    seen: dict[int, Any] = {}
    for row in rows:
        seen.setdefault(row.user_id, row.user)
    return list(seen.values())


@require_http_methods(["GET", "POST"])
@page
def follow_up_detail(request: HttpRequest, m: Membership, case_id: Any, follow_up_id: Any) -> HttpResponse:
    """One follow-up: when it is due, who owns it, and — for the lead or the owner while it is pending — the form
    that records it as held (with values and what happened) or missed (with the reason)."""
    outcomes, follow_up = selectors.follow_up_get(
        actor=m, case_id=case_id, follow_up_id=follow_up_id, audit=request.method == "GET"
    )
    case = outcomes.case
    decision = outcomes.follow_up_decisions.get(follow_up.pk)
    kw: dict[str, Any] = {"indicators": _indicators(case), "classifications": record_classifications(m)}
    status = 200
    form = None
    if decision:
        if request.method == "POST":
            posted = form = FollowUpForm(request.POST, **kw)

            def act(d: dict[str, Any]) -> None:
                services.follow_up_record(
                    actor=m,
                    follow_up=follow_up,
                    expected_version=d["version"],
                    held=d["held"],
                    held_on=d.get("held_on"),
                    missed_reason=d.get("missed_reason") or "",
                    note=d.get("note", ""),
                    measurements=posted.measurements(d["source"]) if d["held"] else [],
                    events=posted.events(),
                )

            status = submit(form, act) or 0
            if not status:
                messages.success(request, _("The follow-up is recorded."))
                return HttpResponseRedirect(follow_up_url(case, follow_up))
        else:
            form = FollowUpForm(initial={"version": follow_up.version, "held_on": timezone.localdate()}, **kw)
    elif request.method == "POST":
        return forbidden(request, decision.reason if decision is not None else None)
    owner_form = None
    if follow_up_owner_decision(outcomes.ca) and follow_up.status == "pending":
        owner_form = OwnerForm(initial={"owner": follow_up.owner_id or ""}, members=_members(case))
    recorded = [h for h in outcomes.histories if any(x.follow_up_id == follow_up.pk for x in h.measurements)]
    ctx = {
        "case": case,
        "ca": outcomes.ca,
        "follow_up": follow_up,
        "form": form,
        "decision": decision,
        "owner_form": owner_form,
        "recorded": [(h.indicator, [x for x in h.measurements if x.follow_up_id == follow_up.pk]) for h in recorded],
        "events": [e for e in outcomes.events if e.follow_up_id == follow_up.pk],
        "today": timezone.localdate(),
    }
    return render(request, "evaluation/follow_up.html", ctx, status=status)


@require_POST
@page
def follow_up_owner(request: HttpRequest, m: Membership, case_id: Any, follow_up_id: Any) -> HttpResponse:
    outcomes, follow_up = selectors.follow_up_get(actor=m, case_id=case_id, follow_up_id=follow_up_id, audit=False)
    decision = follow_up_owner_decision(outcomes.ca)
    if not decision:
        return forbidden(request, decision.reason)
    form = OwnerForm(request.POST, members=_members(outcomes.case))
    if form.is_valid() and not submit(
        form, lambda d: services.follow_up_set_owner(actor=m, follow_up=follow_up, owner=form.owner_user())
    ):
        messages.success(request, _("The follow-up owner is changed."))
    else:
        messages.error(request, _("Choose a member of the team."))
    return HttpResponseRedirect(follow_up_url(outcomes.case, follow_up))
