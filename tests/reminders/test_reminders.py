"""The reminder pass: one notification and one e-mail per overdue item and due date, to the lead who may see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.reminders.conftest import NAME, days_ago
from utvei.accounts import notifications as outbox
from utvei.accounts.models import EmailStatus, Membership, Notification, NotificationKind, Reminder
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import Phase, TeamMember
from utvei.core.vocabulary import Classification
from utvei.desk import reminders
from utvei.desk.overdue import overdue_for
from utvei.desk.reminders import reminder_record, reminders_run

K = NotificationKind


def notes(user, kind=None):
    qs = Notification.objects.filter(user=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_three_passes_give_one_notification_and_one_email(rw):
    plan = rw.review()
    for _ in range(3):
        reminders_run()
    kari = rw.m["kari"]
    (note,) = notes(kari.user)
    assert (note.kind, note.case_id, note.ref, note.organisation_id) == (
        K.REVIEW_OVERDUE,
        rw.case.pk,
        plan.public_id,
        kari.organisation_id,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kari@example.org"]
    reminder = Reminder.objects.get()
    assert (reminder.email_status, reminder.email_attempts, reminder.due_on) == (EmailStatus.SENT, 1, plan.review_due)
    assert reminder.emailed_at is not None


def test_the_pass_reports_what_it_did(rw):
    rw.review()
    assert str(reminders_run()) == "reminders: 1 new, 0 sent before; e-mails: 1 sent, 0 failed"
    assert str(reminders_run()) == "reminders: 0 new, 1 sent before; e-mails: 0 sent, 0 failed"
    assert not reminders_run()  # nothing happened: the worker logs nothing


def test_the_email_says_what_kind_and_links_into_utvei_and_nothing_else(rw, settings):
    settings.UTVEI_BASE_URL = "https://utvei.example.no"
    user = rw.m["kari"].user
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    rw.task()
    reminders_run()
    (message,) = mail.outbox
    note = Notification.objects.get()
    text = message.subject + message.body
    assert message.subject == "Utvei: you have an overdue task"
    assert message.body == (
        "You have an overdue task in Utvei.\n\n"
        f"Log in to see it: https://utvei.example.no/me/notifications/{note.pk}/open/\n\n"
        "This e-mail holds nothing about the case. What it is about is in Utvei, for those who may see it.\n"
    )
    for secret in (rw.case.reference, rw.case.person.reference, NAME, "Rikke", "Ring skolen", str(rw.case.public_id)):
        assert secret not in text
    assert not re.search(r"UTV-\d{4}", text)


def test_the_email_is_in_the_users_language(rw):
    user = rw.m["kari"].user
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    rw.reassessment()
    reminders_run()
    (message,) = mail.outbox
    assert message.subject == "Utvei: you have an overdue reassessment"
    assert message.body.startswith("You have an overdue reassessment in Utvei.")


def test_a_second_overdue_item_gets_its_own(rw):
    rw.task(days=2)
    reminders_run()
    rw.review()
    reminders_run()
    rw.reassessment()
    reminders_run()
    reminders_run()
    kinds = sorted(n.kind for n in notes(rw.m["kari"].user))
    assert kinds == sorted([K.TASK_OVERDUE, K.REVIEW_OVERDUE, K.REASSESSMENT_OVERDUE])
    assert len(mail.outbox) == 3


def test_two_overdue_tasks_are_two_reminders(rw):
    rw.task(title="En")
    rw.task(title="To", days=1)
    reminders_run()
    reminders_run()
    assert len(notes(rw.m["kari"].user, K.TASK_OVERDUE)) == 2
    assert len(mail.outbox) == 2


def test_a_new_due_date_is_a_new_reminder(rw):
    rw.review(days=5)
    reminders_run()
    rw.review(days=1)  # the date was moved (still past)
    reminders_run()
    reminders_run()
    assert len(notes(rw.m["kari"].user, K.REVIEW_OVERDUE)) == 2
    assert sorted(Reminder.objects.values_list("due_on", flat=True)) == [days_ago(5), days_ago(1)]


def test_nothing_is_reminded_before_it_is_overdue(rw):
    rw.task(days=0)  # due today: not overdue yet
    reminders_run()
    assert not Notification.objects.exists() and not mail.outbox
    assert reminders_run(today=timezone.localdate() + dt.timedelta(days=1)).recorded == 1


def test_done_tasks_and_closed_cases_are_not_reminded(rw):
    task = rw.task()
    services.task_set_status(actor=rw.m["kari"], task=task, status="done", expected_version=task.version)
    reminders_run()
    assert not Notification.objects.exists()


def test_a_user_who_is_no_longer_lead_gets_none(rw):
    rw.review()
    rw.set_lead("ola")
    reminders_run()
    assert notes(rw.m["kari"].user) == []
    (note,) = notes(rw.m["ola"].user)
    assert note.kind == K.REVIEW_OVERDUE
    assert [m.to for m in mail.outbox] == [["ola@example.org"]]


def test_a_lead_who_has_lost_access_gets_none(rw):
    rw.review()
    rw.task(assignee="ola")
    rw.set_lead("ola")
    member = TeamMember.objects.get(case=rw.case, user=rw.m["ola"].user)
    TeamMember.objects.filter(pk=member.pk).update(ended_at=timezone.now() - dt.timedelta(minutes=1))
    reminders_run()
    assert not Notification.objects.exists() and not mail.outbox


def test_a_lead_whose_membership_ended_gets_none(rw):
    rw.review()
    Membership.objects.filter(pk=rw.m["kari"].pk).update(is_active=False)
    reminders_run()
    assert not Notification.objects.exists() and not mail.outbox


def test_a_mentor_lead_is_reminded_only_of_their_own_tasks(rw):
    """Made lead by a mistake or an old import: still only what a mentor may see (their own task)."""
    mine = rw.task(assignee="mona")
    rw.task(assignee="ola")
    rw.review()
    rw.reassessment()
    type(rw.case).objects.filter(pk=rw.case.pk).update(lead=rw.m["mona"].user)
    reminders_run()
    (note,) = notes(rw.m["mona"].user)
    assert (note.kind, note.ref) == (K.TASK_OVERDUE, mine.public_id)
    assert notes(rw.m["kari"].user) == []
    assert len(mail.outbox) == 1


def test_a_lead_is_not_reminded_of_an_assessment_they_may_not_read(rw):
    """A police-only assessment by per: the municipality's lead may not read it, so hears nothing of it."""
    rw.reassessment(by="per", classification=Classification.POLICE)
    reminders_run()
    assert not Notification.objects.exists()
    rw.set_lead("per")
    reminders_run()
    (note,) = notes(rw.m["per"].user)
    assert note.kind == K.REASSESSMENT_OVERDUE


def test_a_reassessment_made_is_no_longer_overdue(rw):
    rw.reassessment()
    from tests.assessments.helpers import final

    final(rw.world, rw.case, by="kari")
    reminders_run()
    assert not Notification.objects.exists()


def test_closed_cases_are_not_reminded(rw):
    rw.task()
    type(rw.case).objects.filter(pk=rw.case.pk).update(phase=Phase.CLOSED)
    reminders_run()
    assert not Notification.objects.exists()


def test_no_email_address_means_a_notification_and_no_email(rw):
    user = rw.m["kari"].user
    user.email = ""
    user.save(update_fields=["email"])
    rw.task()
    reminders_run()
    reminders_run()
    assert len(notes(user)) == 1
    assert not mail.outbox
    assert Reminder.objects.get().email_status == EmailStatus.NO_ADDRESS


def test_a_failed_email_is_tried_again_and_sent_once(rw, monkeypatch, caplog):
    rw.task()
    real = outbox.send_mail
    calls = []

    def flaky(*args, **kw):
        calls.append(args)
        if len(calls) == 1:
            raise ConnectionRefusedError("smtp says no to kari@example.org")
        return real(*args, **kw)

    monkeypatch.setattr(outbox, "send_mail", flaky)
    first = reminders_run()
    assert (first.recorded, first.emailed, first.email_failed) == (1, 0, 1)
    assert Reminder.objects.get().email_status == EmailStatus.PENDING
    assert "kari@example.org" not in caplog.text and "ConnectionRefusedError" in caplog.text
    reminders_run()
    reminders_run()
    assert len(mail.outbox) == 1 and len(calls) == 2
    assert len(notes(rw.m["kari"].user)) == 1
    assert Reminder.objects.get().email_status == EmailStatus.SENT


def test_an_email_that_keeps_failing_is_given_up(rw, monkeypatch):
    rw.task()

    def broken(*args, **kw):
        raise OSError("down")

    monkeypatch.setattr(outbox, "send_mail", broken)
    for _ in range(reminders.EMAIL_ATTEMPTS + 2):
        reminders_run()
    reminder = Reminder.objects.get()
    assert (reminder.email_status, reminder.email_attempts) == (EmailStatus.FAILED, reminders.EMAIL_ATTEMPTS)


def test_a_retry_is_not_sent_to_someone_no_longer_lead(rw, monkeypatch):
    rw.task()

    def broken(*args, **kw):
        raise OSError("down")

    monkeypatch.setattr(outbox, "send_mail", broken)
    reminders_run()
    monkeypatch.undo()
    rw.set_lead("ola")
    reminders_run()
    assert [m.to for m in mail.outbox] == [["ola@example.org"]]  # ola's own reminder; kari's retry is cancelled
    assert Reminder.objects.get(user=rw.m["kari"].user).email_status == EmailStatus.CANCELLED


def test_a_claimed_email_is_not_sent_by_a_second_worker(rw):
    """A worker claims an e-mail before it sends it; another pass meanwhile leaves it alone."""
    rw.task()
    kari = rw.m["kari"]
    (item,) = overdue_for(kari, audit=False)
    reminder_record(kari, item)  # recorded, not yet e-mailed
    Reminder.objects.update(email_claimed_at=timezone.now())  # someone else is sending it right now
    reminders_run()
    assert not mail.outbox
    Reminder.objects.update(email_claimed_at=timezone.now() - reminders.EMAIL_CLAIM_TIMEOUT)  # they died
    reminders_run()
    assert len(mail.outbox) == 1


def test_recording_the_same_reminder_twice_inserts_once(rw):
    rw.review()
    kari = rw.m["kari"]
    (item,) = overdue_for(kari, audit=False)
    assert reminder_record(kari, item) is True
    assert reminder_record(kari, item) is False  # the unique key, not a check before the insert
    assert Reminder.objects.count() == 1
    assert Notification.objects.count() == 1  # the second notification rolled back with its reminder


def test_a_user_with_two_memberships_gets_one_reminder(rw, world):
    from utvei.accounts.services import user_create

    user_create(username="kari", password="x", org_slug="kommune", role="caseworker", validate=False)
    rw.review()
    reminders_run()
    reminders_run()
    (note,) = notes(rw.m["kari"].user)
    assert note.organisation_id == rw.m["kari"].organisation_id
    assert len(mail.outbox) == 1


def test_each_reminder_is_audited_once_as_the_system_without_content(rw):
    plan = rw.review()
    before = AuditEvent.objects.order_by("-seq").first().seq
    reminders_run()
    reminders_run()
    (event,) = AuditEvent.objects.filter(seq__gt=before)
    assert event.actor_id is None and event.actor_org_id is None  # the system, not a user
    assert (event.action, event.object_type, event.object_id) == (Action.REMINDER_SEND, "plan", str(plan.public_id))
    assert event.case_id == str(rw.case.public_id)
    assert event.reason == f"user={rw.m['kari'].user_id}"
    row = " ".join(str(v) for v in AuditEvent.objects.filter(pk=event.pk).values().get().values())
    for secret in (rw.case.reference, NAME, rw.case.person.reference):
        assert secret not in row


def test_the_command_runs_one_pass(rw):
    rw.task()
    from io import StringIO

    out = StringIO()
    call_command("reminders", stdout=out)
    call_command("reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "reminders: 1 new, 0 sent before; e-mails: 1 sent, 0 failed",
        "reminders: 0 new, 1 sent before; e-mails: 0 sent, 0 failed",
    ]


def test_the_notification_names_the_case_and_links_to_the_item(rw, browse):
    plan = rw.review()
    task = rw.task()
    reminders_run()
    body = browse("kari").get("/me/notifications/").content.decode()
    assert f"You have an overdue plan review in case {rw.case.reference}." in body
    assert f"You have an overdue task in case {rw.case.reference}." in body
    client = browse("kari")
    review = Notification.objects.get(kind=K.REVIEW_OVERDUE)
    response = client.get(f"/me/notifications/{review.pk}/open/")
    assert response["Location"] == f"/cases/{rw.case.public_id}/plans/{plan.public_id}/"
    todo = Notification.objects.get(kind=K.TASK_OVERDUE)
    response = client.get(f"/me/notifications/{todo.pk}/open/")
    assert response["Location"] == f"/cases/{rw.case.public_id}/#task-{task.public_id}"


@pytest.mark.parametrize("username", ["ola", "mona", "atle"])
def test_others_get_no_reminders_about_the_case(rw, username):
    rw.task(assignee="ola")
    rw.task(assignee="mona")
    rw.review()
    rw.reassessment()
    reminders_run()
    assert notes(rw.m[username].user) == []
    assert {m.to[0] for m in mail.outbox} == {"kari@example.org"}
