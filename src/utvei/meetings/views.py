"""Pages of case meetings: calling a meeting, the meeting page (details, agenda, minutes, decisions), recording
it as held, the printable minutes, and the meetings section of the case page. Every form posts to one view that
calls one service; htmx requests get the meeting's body back, others a redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import policy
from utvei.access.attachments import attachment_classifications, attachment_write_decision
from utvei.access.meetings import meeting_classifications, meeting_write_decision
from utvei.access.policy import CaseAccess
from utvei.accounts.models import Membership
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.forms import AttachmentForm
from utvei.core.errors import Forbidden, NotFound, UtveiError
from utvei.core.forms import posted_version, submit
from utvei.core.web import forbidden, is_htmx, page

from . import selectors, services
from .forms import (
    CancelForm,
    DecisionEditForm,
    DecisionForm,
    DecisionStatusForm,
    MeetingEditForm,
    MeetingFieldsForm,
    TeamChoices,
    form_prefix,
    owner_key,
)
from .selectors import MeetingAccess


def meeting_url(meeting: Any, anchor: str = "") -> str:
    meeting = getattr(meeting, "meeting", meeting)
    url = reverse("meeting_detail", args=[meeting.case.public_id, meeting.public_id])
    return f"{url}#{anchor}" if anchor else url


def team_choices(ca: CaseAccess, attendees: Any = ()) -> TeamChoices:
    choices = TeamChoices(case_selectors.team_list(ca), extra_orgs=[ca.case.owning_org])
    choices.add_attendees(attendees)
    return choices


# ---- The case page's meetings section ------------------------------------------------------------------


def case_meeting_context(ca: CaseAccess) -> dict[str, Any]:
    """What the case page's «Meetings» section shows (templates/meetings/_case_section.html)."""
    return {
        "meeting_section": selectors.case_meeting_section(ca),
        "can_call_meeting": bool(meeting_write_decision(ca)),
        "today": timezone.localdate(),
    }


# ---- Calling a meeting ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def meeting_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = case_selectors.case_get(actor=m, case_id=case_id, audit=request.method == "GET")
    decision = meeting_write_decision(ca)
    if not decision:
        return forbidden(request, decision.reason)
    kw: dict[str, Any] = {"choices": team_choices(ca), "classifications": meeting_classifications(m)}
    status = 200
    if request.method == "POST":
        form = MeetingFieldsForm(request.POST, **kw)
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=m, case=ca.case, **form.resolved())
            except (Forbidden, NotFound):
                raise
            except UtveiError as exc:
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The meeting is planned. Record the minutes and decisions after it."))
                return HttpResponseRedirect(meeting_url(meeting))
        else:
            status = 400
    else:
        form = MeetingFieldsForm(initial={"kind": "responsibility_group"}, **kw)
    return render(request, "meetings/meeting_form.html", {"form": form, "case": ca.case, "ca": ca}, status=status)


# ---- The meeting page ----------------------------------------------------------------------------------


def _form(cls: type[forms.Form], bound: dict[str, forms.Form], prefix: str, **kw: Any) -> Any:
    """The bound form that failed (to show its errors), else a fresh one."""
    return bound.get(prefix) or cls(prefix=prefix, **kw)


def _edit_initial(ma: MeetingAccess) -> dict[str, Any]:
    meeting = ma.meeting
    presence = [k for k, v in (("person", meeting.person_present), ("guardian", meeting.guardian_present)) if v]
    return {
        "kind": meeting.kind,
        "starts_at": timezone.localtime(meeting.starts_at),
        "place": meeting.place,
        "people": [a.key for a in ma.attendees if a.user_id],
        "organisations": [a.key for a in ma.attendees if not a.user_id],
        "presence": presence,
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "classification": meeting.classification,
        "category": meeting.category,
        "version": meeting.version,
    }


def meeting_context(m: Membership, ma: MeetingAccess, **extra: Any) -> dict[str, Any]:
    ca, meeting = ma.ca, ma.meeting
    bound: dict[str, forms.Form] = extra.pop("bound", {})
    writable = meeting_write_decision(ca, meeting) if ma.full else None
    can_edit = bool(writable) and not meeting.is_cancelled
    choices = team_choices(ca, ma.attendees) if can_edit else TeamChoices(())
    classifications = meeting_classifications(m)
    rows = []
    for row in ma.decisions:
        d = row.decision
        initial = {"text": d.text, "owner": owner_key(d), "due_on": d.due_on, "version": d.version}
        edit = _form(DecisionEditForm, bound, form_prefix("decision", d), initial=initial, choices=choices)
        rows.append({"row": row, "edit_form": edit if can_edit else None})
    ctx: dict[str, Any] = {
        "ma": ma,
        "ca": ca,
        "case": ca.case,
        "meeting": meeting,
        "decision_rows": rows,
        "can_edit": can_edit,
        "refusal": writable.reason if writable is not None and not writable else None,
        "edit_form": _form(
            MeetingEditForm,
            bound,
            "meeting",
            initial=_edit_initial(ma),
            choices=choices,
            classifications=classifications,
        )
        if can_edit
        else None,
        "cancel_form": _form(CancelForm, bound, "cancel", initial={"version": meeting.version})
        if can_edit and meeting.is_draft
        else None,
        "decision_form": _form(DecisionForm, bound, "decision-new", choices=choices) if can_edit else None,
        "problems": services.meeting_problems(meeting) if can_edit and meeting.is_draft else [],
        "revisions": selectors.meeting_revisions(ma),
        "attachments": case_selectors.attachments_for(ca, [meeting])[meeting.pk] if ma.readable else [],
        "attachment_form": _form(AttachmentForm, bound, "attachment", classifications=attachment_classifications(ca))
        if ma.readable and attachment_write_decision(ca, meeting)
        else None,
        "attachment_action": reverse("meeting_attachment_add", args=[ca.case.public_id, meeting.public_id]),
        "today": timezone.localdate(),
    }
    ctx.update(extra)
    return ctx


def meeting_page(
    request: HttpRequest, m: Membership, ma: MeetingAccess, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "meetings/_meeting_body.html" if is_htmx(request) else "meetings/meeting_detail.html"
    return render(request, template, meeting_context(m, ma, **extra), status=status)


def _meeting(m: Membership, case_id: Any, meeting_id: Any, *, write: bool = False) -> MeetingAccess:
    """The meeting for a write: the write's own service records the one audit event. With `write`, a principal who
    may not change the meeting is told so before their form is read (the service checks again)."""
    ma = selectors.meeting_get(actor=m, case_id=case_id, meeting_id=meeting_id, audit=False)
    if write:
        decision = meeting_write_decision(ma.ca, ma.meeting)
        if not decision:
            raise Forbidden(decision.reason)
    return ma


def _fresh(m: Membership, ma: MeetingAccess) -> MeetingAccess:
    return _meeting(m, ma.ca.case.public_id, ma.meeting.public_id)


def _done(request: HttpRequest, m: Membership, ma: MeetingAccess, note: Any, anchor: str) -> HttpResponse:
    if is_htmx(request):
        return meeting_page(request, m, _fresh(m, ma), meeting_note=note)
    messages.success(request, note)
    return HttpResponseRedirect(meeting_url(ma, anchor))


def _handle(
    request: HttpRequest,
    m: Membership,
    ma: MeetingAccess,
    form: forms.Form,
    act: Callable[[dict[str, Any]], Any],
    note: Any,
    anchor: str,
) -> HttpResponse:
    """Validate, call the service, answer; a problem is shown on the form that caused it (core.forms.submit)."""
    status = submit(form, act)
    if status is not None:
        fresh = ma if status == 400 else _fresh(m, ma)
        return meeting_page(request, m, fresh, status=status, bound={form.prefix or "": form})
    return _done(request, m, ma, note, anchor)


@require_GET
@page
def meeting_detail(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    ma = selectors.meeting_get(actor=m, case_id=case_id, meeting_id=meeting_id)
    return meeting_page(request, m, ma)


@require_POST
@page
def meeting_edit(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    """Save the meeting; with `action=hold`, save it and record it as held (its decisions become tasks)."""
    ma = _meeting(m, case_id, meeting_id, write=True)
    choices = team_choices(ma.ca, ma.attendees)
    form = MeetingEditForm(request.POST, prefix="meeting", choices=choices, classifications=meeting_classifications(m))
    hold = request.POST.get("action") == "hold"

    def act(d: dict[str, Any]) -> Any:
        fields = form.resolved()
        if hold:
            return services.meeting_hold(actor=m, meeting=ma.meeting, expected_version=d["version"], **fields)
        return services.meeting_update(actor=m, meeting=ma.meeting, expected_version=d["version"], **fields)

    note = (
        _("The meeting is recorded as held. Its decisions are tasks on the case now.")
        if hold
        else _("The meeting is saved.")
    )
    return _handle(request, m, ma, form, act, note, "about")


@require_POST
@page
def meeting_cancel(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    ma = _meeting(m, case_id, meeting_id, write=True)
    form = CancelForm(request.POST, prefix="cancel")

    def act(d: dict[str, Any]) -> Any:
        return services.meeting_cancel(actor=m, meeting=ma.meeting, expected_version=d["version"])

    return _handle(request, m, ma, form, act, _("The meeting is cancelled."), "about")


# ---- Decisions -----------------------------------------------------------------------------------------


@require_POST
@page
def decision_add(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    ma = _meeting(m, case_id, meeting_id, write=True)
    form = DecisionForm(request.POST, prefix="decision-new", choices=team_choices(ma.ca, ma.attendees))

    def act(d: dict[str, Any]) -> Any:
        return services.decision_add(actor=m, meeting=ma.meeting, **form.resolved())

    note = (
        _("The decision is recorded and is a task on the case.")
        if ma.meeting.is_held
        else _("The decision is recorded. It becomes a task when the meeting is recorded as held.")
    )
    return _handle(request, m, ma, form, act, note, "decisions")


@require_POST
@page
def decision_edit(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any, decision_id: Any) -> HttpResponse:
    ma = _meeting(m, case_id, meeting_id, write=True)
    decision = selectors.decision_in(ma, decision_id)
    form = DecisionEditForm(
        request.POST, prefix=form_prefix("decision", decision), choices=team_choices(ma.ca, ma.attendees)
    )

    def act(d: dict[str, Any]) -> Any:
        return services.decision_update(actor=m, decision=decision, expected_version=d["version"], **form.resolved())

    return _handle(request, m, ma, form, act, _("The decision is saved."), f"decision-{decision.public_id}")


@require_POST
@page
def decision_remove(
    request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any, decision_id: Any
) -> HttpResponse:
    ma = _meeting(m, case_id, meeting_id, write=True)
    decision = selectors.decision_in(ma, decision_id)
    services.decision_remove(actor=m, decision=decision, expected_version=posted_version(request.POST))
    return _done(request, m, ma, _("The proposed decision is removed."), "decisions")


@require_POST
@page
def decision_status(
    request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any, decision_id: Any
) -> HttpResponse:
    ma = _meeting(m, case_id, meeting_id)
    decision = selectors.decision_in(ma, decision_id)
    form = DecisionStatusForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/error.html", {"message": _("Choose a valid status.")}, status=400)
    services.decision_set_status(
        actor=m, decision=decision, status=form.cleaned_data["status"], expected_version=posted_version(request.POST)
    )
    return _done(request, m, ma, _("The decision's status is saved."), f"decision-{decision.public_id}")


# ---- The printable minutes -----------------------------------------------------------------------------


@require_GET
@page
def meeting_print(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    """The minutes on A4, with what the viewer may read and nothing else."""
    ma = selectors.meeting_get(actor=m, case_id=case_id, meeting_id=meeting_id, audit=False)
    if not ma.details:  # a marker or a decision owner's view has no minutes to print
        raise NotFound(_("The meeting was not found."))
    selectors.audit_read(m, ma, Action.MEETING_PRINT)
    ctx = {
        "ma": ma,
        "meeting": ma.meeting,
        "case": ma.ca.case,
        "scope": policy.copy_scope(ma.ca),
        "printed_at": timezone.now(),
        "printed_by": m,
    }
    return render(request, "meetings/meeting_print.html", ctx)


@require_POST
@page
def meeting_attachment_add(request: HttpRequest, m: Membership, case_id: Any, meeting_id: Any) -> HttpResponse:
    """Attach a file to the meeting (cases.services.attachment_add): the organisation that called it, while it may
    read the minutes. A refusal shows the page again with the form and the reason on the file field."""
    ma = _meeting(m, case_id, meeting_id)
    decision = attachment_write_decision(ma.ca, ma.meeting)
    if not ma.readable or not decision:
        raise Forbidden(decision.reason)
    form = AttachmentForm(
        request.POST, request.FILES, classifications=attachment_classifications(ma.ca), prefix="attachment"
    )
    return _handle(
        request,
        m,
        ma,
        form,
        lambda d: case_services.attachment_add(actor=m, owner=ma.meeting, **form.upload()),
        _("The file is attached."),
        "attachments",
    )
