"""Pages: writing, reading and editing timeline entries (with revisions and conflicts)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from utvei.access import policy
from utvei.access.attachments import attachment_classifications, attachment_write_decision
from utvei.access.explain import explain_items
from utvei.access.policy import Act
from utvei.accounts.models import Membership
from utvei.core.errors import Forbidden, NotFound, UtveiError
from utvei.core.forms import submit
from utvei.core.web import forbidden, page

from .. import selectors, services
from ..forms import (
    AttachmentForm,
    EntryEditForm,
    EntryForm,
)
from .common import case_url

# ---- Timeline ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page
def entry_new(request: HttpRequest, m: Membership, case_id: Any) -> HttpResponse:
    ca = selectors.case_get(actor=m, case_id=case_id)
    decision = policy.can(m, Act.ENTRY_CREATE, ca.case)
    if not decision:
        return forbidden(request, decision.reason)
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
                return HttpResponseRedirect(case_url(ca.case, f"entry-{entry.public_id}"))
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
    return render(request, "cases/entry_detail.html", _entry_context(m, item))


def _entry_context(m: Membership, item: selectors.TimelineItem, **extra: Any) -> dict[str, Any]:
    can_edit = policy.can(m, Act.ENTRY_EDIT, item.entry) if item.readable else None
    concern = item.entry.source_concern if item.readable else None
    ca = policy.case_access(m, item.entry.case)
    attachments = selectors.attachments_for(ca, [item.entry])[item.entry.pk] if ca and item.readable else []
    may_attach = bool(ca and item.readable and attachment_write_decision(ca, item.entry))
    form = extra.pop("attachment_form", None)
    if form is None and may_attach and ca is not None:
        form = AttachmentForm(classifications=attachment_classifications(ca), like=item.entry, prefix="attachment")
    ctx = {
        "concern": concern,
        "concern_open": bool(concern and policy.can(m, Act.CONCERN_READ, concern)),
        "item": item,
        "why": explain_items(m, item.entry.case, [item])[0].why,
        "entry": item.entry,
        "case": item.entry.case,
        "revisions": selectors.entry_revisions(m, item),
        "can_edit": bool(can_edit),
        "attachments": attachments,
        "attachment_form": form if may_attach else None,
        "attachment_action": reverse("entry_attachment_add", args=[item.entry.case.public_id, item.entry.public_id]),
    }
    ctx.update(extra)
    return ctx


@require_POST
@page
def entry_attachment_add(request: HttpRequest, m: Membership, case_id: Any, entry_id: Any) -> HttpResponse:
    """Attach a file to the entry (cases.services.attachment_add); a refusal shows the entry page again with the
    form and the reason on the file field (400 invalid form, 413 too large, 422 the type or the scanner)."""
    item = selectors.entry_get(actor=m, entry_id=entry_id, audit=False)
    entry = item.entry
    if str(entry.case.public_id) != str(case_id) or not item.readable:
        raise NotFound(_("The entry was not found."))
    ca = policy.case_access(m, entry.case)
    decision = attachment_write_decision(ca, entry) if ca is not None else None
    if ca is None or not decision:
        return forbidden(request, decision.reason if decision is not None else _("Not found."))
    form = AttachmentForm(
        request.POST, request.FILES, classifications=attachment_classifications(ca), prefix="attachment"
    )
    status = submit(form, lambda d: services.attachment_add(actor=m, owner=entry, **form.upload()))
    if status is None:
        messages.success(request, _("The file is attached."))
        return HttpResponseRedirect(
            reverse("entry_detail", args=[entry.case.public_id, entry.public_id]) + "#attachments"
        )
    ctx = _entry_context(m, item, attachment_form=form)
    return render(request, "cases/entry_detail.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@page
def entry_edit(request: HttpRequest, m: Membership, case_id: Any, entry_id: Any) -> HttpResponse:
    item = selectors.entry_get(actor=m, entry_id=entry_id)
    entry = item.entry
    if str(entry.case.public_id) != str(case_id) or not item.readable:
        raise NotFound(_("The entry was not found."))
    decision = policy.can(m, Act.ENTRY_EDIT, entry)
    if not decision:
        return forbidden(request, decision.reason)
    classifications = policy.writable_classifications(m)
    status, current = 200, None
    if request.method == "POST":
        form = EntryEditForm(request.POST, classifications=classifications, kind=entry.kind)
        failed = submit(
            form,
            lambda d: services.entry_update(
                actor=m,
                entry=entry,
                expected_version=d["version"],
                body=d["body"],
                title=d["title"],
                classification=d["classification"],
                kind=d["kind"],
                category=d["category"],
            ),
        )
        if failed is None:
            messages.success(request, _("The entry is saved (version %(n)d).") % {"n": form.result.version})
            return HttpResponseRedirect(reverse("entry_detail", args=[entry.case.public_id, entry.public_id]))
        status = failed
        current = form.conflict.current if form.conflict else None
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
            kind=entry.kind,
        )
    ctx = {"item": item, "entry": entry, "case": entry.case, "form": form, "current": current}
    return render(request, "cases/entry_edit.html", ctx, status=status)
