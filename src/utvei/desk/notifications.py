"""The user's notifications (/me/notifications/): a list with a text made from each notification's kind and a
link to what it is about, and marking them read. Notifications hold no content (accounts.models.Notification);
every link goes through the access policy when followed.

It is on the desk, not in `accounts`, because a notification's text and link come from above `accounts`: the
emergency access and the referral it is about (`sharing`), which cases the user may see (access.policy) and the
overdue item of a reminder (desk/overdue.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from utvei.access.policy import Act, can, visible_cases
from utvei.accounts.models import Membership, Notification, NotificationKind
from utvei.accounts.notifications import inbox, mark_read
from utvei.sharing.models import EmergencyAccess

from .overdue import item_url

PAGE_SIZE = 50


def _membership(request: HttpRequest) -> Membership:
    m: Membership | None = getattr(request, "membership", None)
    if m is None:
        raise Http404
    return m


def _emergency_accesses(refs: set[Any]) -> dict[Any, Any]:
    if not refs:
        return {}
    qs = EmergencyAccess.objects.filter(public_id__in=refs).select_related("user", "organisation")
    return {a.public_id: a for a in qs}


def _visible_case_ids(m: Membership, case_ids: set[int]) -> set[int]:
    if not case_ids:
        return set()
    return set(visible_cases(m).filter(pk__in=case_ids).values_list("pk", flat=True))


def _referral_link(n: Notification) -> str:
    """The referral's own page (it checks access when followed), if the referral pages are installed."""
    if n.ref is None:
        return ""
    try:
        return reverse("referral_detail", args=[n.ref])
    except NoReverseMatch:
        return ""


# Reminders (desk/reminders.py): the lead is told what kind of thing is overdue in which case, never more.
REMINDER_TEXTS: dict[str, Any] = {
    NotificationKind.TASK_OVERDUE: _("You have an overdue task in case %(ref)s."),
    NotificationKind.REVIEW_OVERDUE: _("You have an overdue plan review in case %(ref)s."),
    NotificationKind.REASSESSMENT_OVERDUE: _("You have an overdue reassessment in case %(ref)s."),
    NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE: _("You have an overdue safety plan review in case %(ref)s."),
    NotificationKind.FOLLOW_UP_OVERDUE: _("You have an overdue follow-up in case %(ref)s."),
}


# Concerns: what happened, never what the concern says or whom it is about.
CONCERN_TEXTS: dict[str, Any] = {
    NotificationKind.CONCERN_ACUTE: _("An acute concern has arrived. Someone must take it now."),
    NotificationKind.CONCERN_QUESTION: _("You are asked for more information about a concern you reported."),
    NotificationKind.CONCERN_ANSWERED: _("The reporter answered your question; the concern is back in the queue."),
}


def _reminder_link(n: Notification) -> str:
    """The overdue item's own page (it checks access when followed)."""
    if n.case is None or n.ref is None:
        return ""
    return item_url(n.kind, n.case.public_id, n.ref)


def describe(m: Membership, notes: list[Notification]) -> list[dict[str, Any]]:
    """Text and link for each notification: two queries however many there are."""
    accesses = _emergency_accesses({n.ref for n in notes if n.kind == NotificationKind.EMERGENCY_ACCESS and n.ref})
    visible = _visible_case_ids(m, {n.case_id for n in notes if n.case_id is not None})
    reviewer = bool(can(m, Act.EMERGENCY_REVIEW))  # a DPO: the link goes to the review queue
    rows = []
    for n in notes:
        ref = n.case.reference if n.case is not None else ""
        link = reverse("case_detail", args=[n.case.public_id]) if n.case_id in visible and n.case else ""
        if n.kind == NotificationKind.EMERGENCY_ACCESS:
            access = accesses.get(n.ref)
            if access is not None:
                text = _("%(user)s (%(org)s) opened case %(ref)s with emergency access: %(reason)s.") % {
                    "user": access.user.username,
                    "org": access.organisation.name,
                    "ref": ref,
                    "reason": access.get_reason_code_display(),
                }
            else:
                text = _("Case %(ref)s was opened with emergency access.") % {"ref": ref}
            if reviewer:
                link = reverse("emergency_queue") + "?status=all"
        elif n.kind == NotificationKind.REFERRAL_RECEIVED:
            text = _("Your organisation received a referral of case %(ref)s.") % {"ref": ref}
            link = _referral_link(n) or link
        elif n.kind == NotificationKind.REFERRAL_DECIDED:
            text = _("A referral of case %(ref)s was answered.") % {"ref": ref}
            link = _referral_link(n) or link
        elif n.kind == NotificationKind.PARALLEL_ASKED:
            text = _("Another organisation follows the person of case %(ref)s and asks you to get in touch.") % {
                "ref": ref
            }
        elif n.kind == NotificationKind.HANDOVER:
            text = _("Work on case %(ref)s was handed over to you.") % {"ref": ref}
        elif n.kind == NotificationKind.PARTICIPANT_WITHDREW:
            text = _("The person withdrew a consent in case %(ref)s on their own page. It no longer applies.") % {
                "ref": ref
            }
        elif n.kind in CONCERN_TEXTS:
            text = str(CONCERN_TEXTS[n.kind])
            if n.ref is not None:
                page = "concern_receipt" if n.kind == NotificationKind.CONCERN_QUESTION else "concern_triage"
                link = reverse(page, args=[n.ref])  # the page checks access when followed
        elif n.kind in REMINDER_TEXTS:
            text = REMINDER_TEXTS[n.kind] % {"ref": ref}
            link = _reminder_link(n) if link else ""
        else:
            text = n.get_kind_display()
        rows.append({"obj": n, "text": text, "link": link, "unread": n.read_at is None})
    return rows


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    m = _membership(request)
    page_obj = Paginator(inbox(m), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page_obj, "rows": describe(m, list(page_obj.object_list))}
    return render(request, "accounts/notifications.html", context)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link and mark it read."""
    m = _membership(request)
    note = inbox(m).filter(pk=pk).first() if pk < 2**62 else None
    if note is None:
        raise Http404
    mark_read(m, [note.pk])
    link = describe(m, [note])[0]["link"]
    return HttpResponseRedirect(link or reverse("notifications"))


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read."""
    m = _membership(request)
    raw = request.POST.get("id", "")
    ids: list[int] | None = None
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise Http404
        ids = [int(raw)]
    mark_read(m, ids)
    return HttpResponseRedirect(reverse("notifications"))
