"""Reminders: each overdue task, plan review and reassessment tells the case lead once — in Utvei and by e-mail.

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

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from utvei.access import policy
from utvei.accounts.models import EmailStatus, Membership, NotificationKind, Reminder
from utvei.accounts.notifications import deliver_emails as notification_emails
from utvei.accounts.notifications import notify
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases.models import Phase

from . import overdue
from .overdue import Overdue

logger = logging.getLogger("utvei.reminders")

EMAIL_ATTEMPTS = 5  # tries per e-mail before it is marked failed
EMAIL_CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this was left by a worker that died mid-send
EMAIL_BATCH = 500  # e-mails per pass at most; the rest wait for the next pass

# A reminder is audited as `reminder.send` by the system (no actor) on the overdue item, with the reason
# `user=<id>` naming whom it told.
AUDIT_OBJECT_TYPE = {
    NotificationKind.TASK_OVERDUE: "task",
    NotificationKind.REVIEW_OVERDUE: "plan",
    NotificationKind.REASSESSMENT_OVERDUE: "assessment",
    NotificationKind.FOLLOW_UP_OVERDUE: "followup",
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
}
LINES = {
    NotificationKind.TASK_OVERDUE: lambda: _("You have an overdue task in Utvei."),
    NotificationKind.REVIEW_OVERDUE: lambda: _("You have an overdue plan review in Utvei."),
    NotificationKind.REASSESSMENT_OVERDUE: lambda: _("You have an overdue reassessment in Utvei."),
    NotificationKind.FOLLOW_UP_OVERDUE: lambda: _("You have an overdue follow-up in Utvei."),
}


def email_message(reminder: Reminder) -> tuple[str, str]:
    """Subject and body in the user's language: what kind of thing is overdue and a link. Nothing else."""
    link = settings.UTVEI_BASE_URL.rstrip("/") + reverse("notification_open", args=[reminder.notification_id])
    languages = {code for code, _name in settings.LANGUAGES}
    language = reminder.user.preferred_language
    with translation.override(language if language in languages else settings.LANGUAGE_CODE):
        kind = NotificationKind(reminder.kind)
        body = "\n\n".join(
            [
                str(LINES[kind]()),
                _("Log in to see it: %(link)s") % {"link": link},
                _("This e-mail holds nothing about the case. What it is about is in Utvei, for those who may see it."),
            ]
        )
        return str(SUBJECTS[kind]()), body + "\n"


def deliver_emails(result: PassResult | None = None) -> PassResult:
    """Send the reminder e-mails not sent yet. Each is claimed first (a conditional update), so two workers never
    send the same one; a failed one is tried again on later passes, up to EMAIL_ATTEMPTS times."""
    result = result or PassResult()
    now = timezone.now()
    free = Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_CLAIM_TIMEOUT)
    pending = (
        Reminder.objects.filter(email_status=EmailStatus.PENDING, email_attempts__lt=EMAIL_ATTEMPTS)
        .filter(free)
        .order_by("pk")
        .values_list("pk", flat=True)[:EMAIL_BATCH]
    )
    for pk in list(pending):
        claimed = (
            Reminder.objects.filter(pk=pk, email_status=EmailStatus.PENDING, email_attempts__lt=EMAIL_ATTEMPTS)
            .filter(free)
            .update(email_claimed_at=timezone.now(), email_attempts=F("email_attempts") + 1)
        )
        if claimed:
            _send(Reminder.objects.select_related("user").get(pk=pk), result)
    return result


def _send(reminder: Reminder, result: PassResult) -> None:
    if not reminder.user.is_active or not reminder.user.email:
        _finish(reminder, EmailStatus.NO_ADDRESS)
        return
    if not still_lead(reminder):
        _finish(reminder, EmailStatus.CANCELLED)
        return
    subject, body = email_message(reminder)
    try:
        send_mail(subject, body, None, [reminder.user.email])
    except Exception as exc:  # the mail server's problem must not stop the pass
        result.email_failed += 1
        last = reminder.email_attempts >= EMAIL_ATTEMPTS
        logger.warning(
            "reminder %s: e-mail attempt %s of %s failed (%s)",
            reminder.pk,
            reminder.email_attempts,
            EMAIL_ATTEMPTS,
            type(exc).__name__,  # not the message: a mail server's message may quote the address
        )
        _finish(reminder, EmailStatus.FAILED if last else EmailStatus.PENDING)
        return
    result.emailed += 1
    _finish(reminder, EmailStatus.SENT, emailed_at=timezone.now())


def _finish(reminder: Reminder, status: str, emailed_at: Any = None) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(email_status=status, email_claimed_at=None, emailed_at=emailed_at)


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
