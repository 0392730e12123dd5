"""Reminders: each overdue task, plan review, reassessment and safety plan review tells the case lead once — in
Utvei and by e-mail.

`reminders_run` is one pass (the `utvei reminders` command, and the worker that `utvei serve` starts). It asks
`overdue.overdue_for` for every current membership of every lead of an open case with something overdue, so a
reminder says exactly what that lead's dashboard says, through the same access decisions. Each item becomes one
`Reminder` row (the key: kind, item, due date, user), one in-app notification and one audit event, in one
transaction; the key's unique constraint makes a second pass, or a second worker at the same moment, skip it
(insert, and skip on conflict — never check-then-insert). A new due date is a new reminder.

The e-mail says only that something of a kind is overdue, with a link into Utvei: no case reference, no content,
no person (docs/reminders.md says why). It is sent after the reminder is committed, claimed first so that two
workers never both send it, and retried a few times if the mail server fails; before each try the recipient must
still lead the case and see it. Logs carry counts and ids, never identity or content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utvei.access import policy
from utvei.accounts import notifications as outbox
from utvei.accounts.models import EmailStatus, Membership, NotificationKind, Reminder
from utvei.accounts.notifications import deliver_emails as notification_emails
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Phase

from . import overdue
from .overdue import Overdue

logger = logging.getLogger("utvei.reminders")

# How often an e-mail is tried, when a claim is stale, how many per pass: one outbox for every e-mail.
EMAIL_ATTEMPTS, EMAIL_CLAIM_TIMEOUT, EMAIL_BATCH = outbox.EMAIL_ATTEMPTS, outbox.EMAIL_CLAIM_TIMEOUT, outbox.EMAIL_BATCH

# A reminder is audited as `reminder.send` by the system (no actor) on the overdue item, with the reason
# `user=<id>` naming whom it told.
AUDIT_OBJECT_TYPE = {
    NotificationKind.TASK_OVERDUE: "task",
    NotificationKind.REVIEW_OVERDUE: "plan",
    NotificationKind.REASSESSMENT_OVERDUE: "assessment",
    NotificationKind.FOLLOW_UP_OVERDUE: "followup",
    NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE: "case",
}


@dataclass
class PassResult:
    recorded: int = 0  # new reminders (each one notification)
    already: int = 0  # overdue items reminded of before
    emailed: int = 0
    email_failed: int = 0
    other_emailed: int = 0  # e-mails of other notifications sent by the pass (accounts.notifications)
    other_failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.recorded or self.emailed or self.email_failed or self.other_emailed or self.other_failed)

    def __str__(self) -> str:
        text = (
            f"reminders: {self.recorded} new, {self.already} sent before; "
            f"e-mails: {self.emailed} sent, {self.email_failed} failed"
        )
        if self.other_emailed or self.other_failed:
            text += f"; other notifications' e-mails: {self.other_emailed} sent, {self.other_failed} failed"
        return text


def reminders_run(*, today: date | None = None) -> PassResult:
    """One reminder pass: record what is new, then send the e-mails not yet sent. Safe to run at any time, as
    often as you like, from several processes at once."""
    today = today or timezone.localdate()
    result = PassResult()
    for m in lead_memberships(today):
        items = overdue.overdue_for(m, today=today, audit=False)
        done = _already_reminded(m, items)
        for item in items:
            if (item.kind, item.ref, item.due_on) in done:
                result.already += 1
            elif reminder_record(m, item):
                result.recorded += 1
                done.add((item.kind, item.ref, item.due_on))
            else:
                result.already += 1
    deliver_emails(result)
    # The other notifications' e-mails (acute concerns, questions) that the immediate send missed.
    result.other_emailed, result.other_failed = notification_emails()
    return result


def lead_memberships(today: date) -> list[Membership]:
    """The current memberships of the leads of open cases with something overdue, oldest first for each user
    (the membership a login starts in gets the reminder)."""
    leads = set(overdue.led_cases_with_something_late(today).values_list("lead_id", flat=True))
    leads |= overdue.follow_up_owners_late(today)
    ms = (
        Membership.objects.active()
        .filter(user_id__in=leads, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user_id", "pk")
    )
    return [m for m in ms if policy.reads_cases(m)]


def _already_reminded(m: Membership, items: list[Overdue]) -> set[tuple[str, Any, date]]:
    """Which of these the user was reminded of already: saves futile inserts. The constraint is the guarantee."""
    if not items:
        return set()
    rows = Reminder.objects.filter(user_id=m.user_id, ref__in={i.ref for i in items}).values_list(
        "kind", "ref", "due_on"
    )
    return set(rows)


def reminder_record(m: Membership, item: Overdue) -> bool:
    """Insert the reminder, its notification and its audit event, or nothing if the reminder exists (True if
    this call made it)."""
    object_type = AUDIT_OBJECT_TYPE[NotificationKind(item.kind)]
    email = EmailStatus.PENDING if m.user.email else EmailStatus.NO_ADDRESS
    try:
        with transaction.atomic():
            (note,) = notify(recipients=[(m.user, m.organisation)], kind=item.kind, case=item.case, ref=item.ref)
            Reminder.objects.create(
                kind=item.kind,
                ref=item.ref,
                due_on=item.due_on,
                user_id=m.user_id,
                organisation_id=m.organisation_id,
                case=item.case,
                notification=note,
                email_status=email,
            )
            audit_record(
                action=Action.REMINDER_SEND,
                object_type=object_type,
                object_id=str(item.ref),
                case=item.case,
                reason=f"user={m.user_id}",
            )
    except IntegrityError:
        key = {"kind": item.kind, "ref": item.ref, "due_on": item.due_on, "user_id": m.user_id}
        if Reminder.objects.filter(**key).exists():
            return False  # another pass made it first
        raise
    return True


# ---- E-mail -----------------------------------------------------------------------------------------------

SUBJECTS = {
    NotificationKind.TASK_OVERDUE: lambda: _("Utvei: you have an overdue task"),
    NotificationKind.REVIEW_OVERDUE: lambda: _("Utvei: you have an overdue plan review"),
    NotificationKind.REASSESSMENT_OVERDUE: lambda: _("Utvei: you have an overdue reassessment"),
    NotificationKind.FOLLOW_UP_OVERDUE: lambda: _("Utvei: you have an overdue follow-up"),
    NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE: lambda: _("Utvei: you have an overdue safety plan review"),
}
LINES = {
    NotificationKind.TASK_OVERDUE: lambda: _("You have an overdue task in Utvei."),
    NotificationKind.REVIEW_OVERDUE: lambda: _("You have an overdue plan review in Utvei."),
    NotificationKind.REASSESSMENT_OVERDUE: lambda: _("You have an overdue reassessment in Utvei."),
    NotificationKind.FOLLOW_UP_OVERDUE: lambda: _("You have an overdue follow-up in Utvei."),
    NotificationKind.SAFETY_PLAN_REVIEW_OVERDUE: lambda: _("You have an overdue safety plan review in Utvei."),
}


def email_message(reminder: Reminder) -> tuple[str, str]:
    """Subject and body in the user's language: what kind of thing is overdue and a link. Nothing else."""
    kind = NotificationKind(reminder.kind)
    return outbox.email_message(reminder.user, SUBJECTS[kind], LINES[kind], notification_id=reminder.notification_id)


def deliver_emails(result: PassResult | None = None) -> PassResult:
    """Send the reminder e-mails not sent yet, through the outbox of accounts.notifications: each is claimed first
    (a conditional update), so two workers never send the same one; a failed one is tried again on later passes,
    up to EMAIL_ATTEMPTS times. A reminder whose user no longer leads the case is not sent."""
    result = result or PassResult()
    for reminder in outbox.claimed(Reminder):
        if reminder.user.is_active and reminder.user.email and not still_lead(reminder):
            outbox.finish(reminder, EmailStatus.CANCELLED)
            continue
        kind = NotificationKind(reminder.kind)
        sent = outbox.send_claimed(reminder, SUBJECTS[kind], LINES[kind], notification_id=reminder.notification_id)
        result.emailed += sent is True
        result.email_failed += sent is False
    return result


def still_lead(reminder: Reminder) -> bool:
    """Does the user still lead this open case and see it, in the organisation the reminder went to? For a
    follow-up: do they still answer for it, pending, on a case they see (closed or not)?"""
    ms = (
        Membership.objects.active()
        .filter(user_id=reminder.user_id, organisation_id=reminder.organisation_id, user__is_active=True)
        .select_related("user", "organisation")
    )
    if reminder.kind == NotificationKind.FOLLOW_UP_OVERDUE:
        pending = overdue.late_follow_ups(timezone.localdate() + timedelta(days=1)).filter(
            overdue.follow_up_owner_q(reminder.user_id), public_id=reminder.ref
        )
        return any(pending.filter(case_id__in=policy.visible_cases(m).values("pk")).exists() for m in ms)
    return any(
        policy.visible_cases(m)
        .filter(pk=reminder.case_id, lead_id=reminder.user_id)
        .exclude(phase=Phase.CLOSED)
        .exists()
        for m in ms
    )
