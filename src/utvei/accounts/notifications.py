"""In-app notifications: a user's inbox, per membership. No case content is stored; see models.Notification.

A notification may also go out as an e-mail that says only what kind of thing there is to see and links to it
(`notify(email=True)`): sent at once after the write commits (`send_soon`), and tried again by the worker's pass
(`deliver_emails`, called by desk.reminders) until sent or failed EMAIL_ATTEMPTS times. Each send is claimed
first, so two processes never send the same e-mail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import EmailStatus, Membership, Notification, NotificationKind, Organisation, User

logger = logging.getLogger("utvei.notifications")

EMAIL_ATTEMPTS = 5  # tries per e-mail before it is marked failed
EMAIL_CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this was left by a process that died mid-send
EMAIL_BATCH = 500

# What the e-mail of each kind says (subject, first line). Nothing about the person or the case.
EMAIL_TEXTS: dict[str, tuple[Any, Any]] = {
    # Sent by e-mail only to the DPOs, and only when the case's person has a protected identity (priority review).
    NotificationKind.EMERGENCY_ACCESS: (
        lambda: _("Utvei: an emergency access to review first"),
        lambda: _("Someone opened a case with emergency access where the identity is protected. Review the use first."),
    ),
    NotificationKind.CONCERN_ACUTE: (
        lambda: _("Utvei: an acute concern has arrived"),
        lambda: _("Your organisation has received a concern marked as acute danger. Someone must take it now."),
    ),
    NotificationKind.CONCERN_QUESTION: (
        lambda: _("Utvei: a question about your concern"),
        lambda: _("The organisation that received your concern asks you for more information."),
    ),
    NotificationKind.PARALLEL_ASKED: (
        lambda: _("Utvei: another organisation follows the same person"),
        lambda: _(
            "Another organisation has found your open case for a person it follows, and asks you to get in touch."
        ),
    ),
    NotificationKind.HANDOVER: (
        lambda: _("Utvei: work has been handed over to you"),
        lambda: _("Your organisation's administrator has handed a colleague's cases, tasks or follow-ups over to you."),
    ),
    NotificationKind.CONCERN_ANSWERED: (
        lambda: _("Utvei: the reporter has answered"),
        lambda: _("The reporter has answered your question about a concern. It is back in the intake queue."),
    ),
    NotificationKind.PARTICIPANT_WITHDREW: (
        lambda: _("Utvei: a consent was withdrawn"),
        lambda: _("The person in a case you lead has withdrawn a consent on their own page."),
    ),
}


def notify(
    *,
    recipients: Iterable[tuple[User, Organisation]],
    kind: str,
    case: Any = None,
    ref: uuid.UUID | None = None,
    email: bool = False,
) -> list[Notification]:
    """One notification per (user, organisation); duplicates in `recipients` are sent once. Call inside the
    transaction of the write it is about, so that both or neither happen. With `email`, each also goes out as an
    e-mail without content once the transaction commits."""
    seen: set[tuple[int, int]] = set()
    rows = []
    now = timezone.now()
    for user, org in recipients:
        if (user.pk, org.pk) in seen:
            continue
        seen.add((user.pk, org.pk))
        rows.append(
            Notification(
                user=user,
                organisation=org,
                kind=kind,
                case=case,
                ref=ref,
                created_at=now,
                email_status=EmailStatus.PENDING if email else "",
            )
        )
    made = Notification.objects.bulk_create(rows)
    if email and made:
        ids = [n.pk for n in made if n.pk is not None]
        transaction.on_commit(lambda: send_soon(ids))
    return made


def inbox(m: Membership) -> QuerySet[Notification]:
    """The principal's notifications in their active organisation, newest first."""
    return Notification.objects.filter(user_id=m.user_id, organisation_id=m.organisation_id).select_related("case")


def unread_count(m: Membership) -> int:
    return inbox(m).filter(read_at__isnull=True).count()


def mark_read(m: Membership, ids: Iterable[int] | None = None) -> int:
    """Mark the principal's notifications read (all, or those with these ids); returns how many changed."""
    qs = inbox(m).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def send_soon(ids: list[int]) -> None:
    """Send these notifications' e-mails now (after the write committed). A failure is left to the next pass."""
    try:
        deliver_emails(ids=ids)
    except Exception as exc:  # the write has happened; the worker's pass tries again
        logger.warning("notification e-mails: immediate send failed (%s)", type(exc).__name__)


def deliver_emails(*, ids: list[int] | None = None) -> tuple[int, int]:
    """Send the notification e-mails not sent yet (or these), each claimed first; (sent, failed)."""
    sent = failed = 0
    for note in claimed(Notification, ids=ids):
        subject, line = EMAIL_TEXTS.get(note.kind, (note.get_kind_display, note.get_kind_display))
        ok = send_claimed(note, subject, line, notification_id=note.pk)
        sent += ok is True
        failed += ok is False
    return sent, failed


# ---- The outbox both kinds of e-mail go through (notifications here, reminders in desk/reminders.py) -------


def claimed(model: Any, *, ids: list[int] | None = None) -> Iterator[Any]:
    """The rows of `model` (Notification or Reminder: both carry email_status, email_attempts, email_claimed_at,
    emailed_at) whose e-mail is to be sent, each claimed by a conditional update before it is yielded, so two
    processes never send the same e-mail; a claim left by a process that died is free again after a while."""
    now = timezone.now()
    free = Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_CLAIM_TIMEOUT)
    pending = model.objects.filter(email_status=EmailStatus.PENDING, email_attempts__lt=EMAIL_ATTEMPTS).filter(free)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    for pk in list(pending.order_by("pk").values_list("pk", flat=True)[:EMAIL_BATCH]):
        won = (
            model.objects.filter(pk=pk, email_status=EmailStatus.PENDING, email_attempts__lt=EMAIL_ATTEMPTS)
            .filter(free)
            .update(email_claimed_at=timezone.now(), email_attempts=F("email_attempts") + 1)
        )
        if won:
            yield model.objects.select_related("user").get(pk=pk)


def email_message(user: User, subject: Any, line: Any, *, notification_id: int) -> tuple[str, str]:
    """Subject and body in the user's language: what kind of thing there is and a link. Nothing else."""
    link = settings.UTVEI_BASE_URL.rstrip("/") + reverse("notification_open", args=[notification_id])
    languages = {code for code, _name in settings.LANGUAGES}
    language = user.preferred_language
    with translation.override(language if language in languages else settings.LANGUAGE_CODE):
        body = "\n\n".join(
            [
                str(line()),
                _("Log in to see it: %(link)s") % {"link": link},
                _("This e-mail holds nothing about the case. What it is about is in Utvei, for those who may see it."),
            ]
        )
        return str(subject()), body + "\n"


def send_claimed(row: Any, subject: Any, line: Any, *, notification_id: int) -> bool | None:
    """Send a claimed row's e-mail and record how it went: True sent, False failed (tried again on a later pass
    until EMAIL_ATTEMPTS), None not sent (no address, or the user is no longer active)."""
    user = row.user
    if not user.is_active or not user.email:
        finish(row, EmailStatus.NO_ADDRESS)
        return None
    subject_text, body = email_message(user, subject, line, notification_id=notification_id)
    try:
        send_mail(subject_text, body, None, [user.email])
    except Exception as exc:  # the mail server's problem must not stop the pass
        last = row.email_attempts >= EMAIL_ATTEMPTS
        logger.warning(
            "%s %s: e-mail attempt %s of %s failed (%s)",
            type(row).__name__.lower(),
            row.pk,
            row.email_attempts,
            EMAIL_ATTEMPTS,
            type(exc).__name__,  # not the message: a mail server's message may quote the address
        )
        finish(row, EmailStatus.FAILED if last else EmailStatus.PENDING)
        return False
    finish(row, EmailStatus.SENT, emailed_at=timezone.now())
    return True


def invitation_email(user: User, organisation: Organisation, link: str) -> bool:
    """Send an invitation's one-time link to the user's e-mail address at once, in their language (the outbox's
    one other kind of e-mail). Only a hash of the token is stored, so there is no later try: False when there is
    no address or the mail server failed, and the administrator is then shown the link to pass on
    (docs/administration.md). Neither the link nor the address is logged."""
    if not user.email:
        return False
    languages = {code for code, _name in settings.LANGUAGES}
    language = user.preferred_language
    with translation.override(language if language in languages else settings.LANGUAGE_CODE):
        subject = _("Utvei: you are invited to %(org)s") % {"org": organisation.name}
        body = "\n\n".join(
            [
                _("You have been given a user account in Utvei for %(org)s. Your username is %(username)s.")
                % {"org": organisation.name, "username": user.username},
                _("Open this link to choose your password (it works once, for %(days)s days): %(link)s")
                % {"days": settings.UTVEI_INVITATION_DAYS, "link": link},
                _("If you did not expect this, ignore the e-mail or tell your organisation's administrator."),
            ]
        )
    try:
        send_mail(str(subject), body + "\n", None, [user.email])
    except Exception as exc:  # the mail server's problem: the administrator passes the link on instead
        logger.warning("invitation e-mail failed (%s)", type(exc).__name__)
        return False
    return True


def finish(row: Any, status: str, emailed_at: Any = None) -> None:
    type(row).objects.filter(pk=row.pk).update(email_status=status, email_claimed_at=None, emailed_at=emailed_at)
