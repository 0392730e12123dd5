"""Follow-up after closure: scheduled, reminded when overdue, recorded by the lead or the owner without reopening,
counted as done / missed / pending; measurements and events obey the gate; analytics is for analysts only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.plans.helpers import to_active
from utvei.access.evaluation import record_decision
from utvei.access.policy import case_access
from utvei.accounts.models import Notification, NotificationKind, Reminder
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Case, Phase
from utvei.core.errors import Conflict, Forbidden, UtveiError
from utvei.core.vocabulary import Classification
from utvei.desk.reminders import reminders_run
from utvei.evaluation import services
from utvei.evaluation.models import FollowUpStatus, Indicator, Measurement, OutcomeEvent
from utvei.evaluation.services import NewEvent, NewMeasurement


def _closed_case(world: Any, *, ended: dt.date) -> Case:
    """A case through active and follow-up to closed, led by kari, with ola (same municipality) and per (police)."""
    case = world.open_case(name="Frida Fulgt")
    world.add(case, "ola")
    world.add(case, "per")
    case.refresh_from_db()
    to_active(world, case)
    case.refresh_from_db()
    case = case_services.case_transition(
        actor=world.m["kari"], case=case, to_phase=Phase.FOLLOW_UP, measures_ended_on=ended
    )
    return case_services.case_close(
        actor=world.m["kari"], case=case, reason="goals_met", summary="Mål nådd", expected_version=case.version
    )


def _ind(key: str) -> Indicator:
    return Indicator.objects.get(key=key)


@pytest.fixture
def closed(world: Any) -> Case:
    return _closed_case(world, ended=timezone.localdate() - dt.timedelta(days=400))


def test_the_catalogue_holds_the_indicators_of_the_issue(db):
    keys = set(Indicator.objects.values_list("key", flat=True))
    for key in ("milieu-contact", "violence-justification", "working-alliance", "motivation-stage", "housing"):
        assert key in keys
    assert Indicator.objects.count() >= 15
    alliance = _ind("working-alliance")
    assert alliance.sources == ["self_report"] and alliance.direction == "higher"
    assert all(i.name_nb and i.name_en and i.category for i in Indicator.objects.all())


def test_a_closed_case_keeps_its_follow_ups_and_refuses_ordinary_recording(world, closed):
    follow_ups = list(closed.follow_ups.order_by("months"))
    assert [f.months for f in follow_ups] == [6, 12, 24]
    assert all(f.status == FollowUpStatus.PENDING for f in follow_ups)
    ca = case_access(world.m["kari"], closed)
    assert ca is not None and not record_decision(ca)
    with pytest.raises(Forbidden):
        services.measurement_record(
            actor=world.m["kari"],
            case=closed,
            indicator=_ind("housing"),
            value=2,
            occasion="review",
            measured_on=timezone.localdate(),
        )


def test_the_lead_records_a_12_month_follow_up_on_a_closed_case_without_reopening(world, closed):
    twelve = closed.follow_ups.get(months=12)
    done = services.follow_up_record(
        actor=world.m["kari"],
        follow_up=twelve,
        expected_version=twelve.version,
        held=True,
        held_on=timezone.localdate(),
        note="Snakket på telefon",
        measurements=[NewMeasurement(_ind("housing"), 2), NewMeasurement(_ind("milieu-contact"), 0)],
        events=[NewEvent("work", timezone.localdate() - dt.timedelta(days=30), "person")],
    )
    assert done.status == FollowUpStatus.DONE
    closed.refresh_from_db()
    assert closed.phase == Phase.CLOSED and not Case.objects.filter(previous_case=closed).exists()
    rows = Measurement.objects.filter(follow_up=done)
    assert {r.occasion for r in rows} == {"follow_up_12"}
    assert {r.indicator.key for r in rows if r.source == "worker"} == {"housing", "milieu-contact"}
    assert OutcomeEvent.objects.filter(follow_up=done, kind="work").count() == 1
    actions = set(AuditEvent.objects.filter(case_id=str(closed.public_id)).values_list("action", flat=True))
    assert {Action.FOLLOW_UP_RECORD, Action.MEASUREMENT_CREATE, Action.OUTCOME_CREATE} <= actions
    # A second recording of the same follow-up is refused, not a silent overwrite.
    with pytest.raises((Forbidden, Conflict)):
        services.follow_up_record(
            actor=world.m["kari"], follow_up=twelve, expected_version=twelve.version, held=False, missed_reason="moved"
        )


def test_only_the_lead_and_the_named_owner_record_a_follow_up(world, closed):
    six = closed.follow_ups.get(months=6)
    with pytest.raises(Forbidden):
        services.follow_up_record(
            actor=world.m["ola"], follow_up=six, expected_version=six.version, held=False, missed_reason="no_contact"
        )
    services.follow_up_set_owner(actor=world.m["kari"], follow_up=six, owner=world.m["ola"].user)
    six.refresh_from_db()
    missed = services.follow_up_record(
        actor=world.m["ola"], follow_up=six, expected_version=six.version, held=False, missed_reason="no_contact"
    )
    assert missed.status == FollowUpStatus.MISSED and missed.missed_reason == "no_contact"
    with pytest.raises(UtveiError):  # a missed follow-up needs its reason
        twelve = closed.follow_ups.get(months=12)
        services.follow_up_record(actor=world.m["kari"], follow_up=twelve, expected_version=twelve.version, held=False)
    # Per (police, on the team) is neither lead nor owner.
    twelve = closed.follow_ups.get(months=12)
    with pytest.raises(Forbidden):
        services.follow_up_record(
            actor=world.m["per"], follow_up=twelve, expected_version=twelve.version, held=False, missed_reason="moved"
        )


def test_an_overdue_follow_up_on_a_closed_case_is_reminded_once(world, closed, settings, browse):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.m["kari"].user.email = "kari@testby.example"
    world.m["kari"].user.save()
    six = closed.follow_ups.get(months=6)
    assert six.due_on < timezone.localdate()  # 400 days after the measures ended: 6 months are long past
    first = reminders_run()
    reminded = Reminder.objects.filter(kind=NotificationKind.FOLLOW_UP_OVERDUE, user=world.m["kari"].user)
    assert set(reminded.values_list("ref", flat=True)) == {six.public_id, closed.follow_ups.get(months=12).public_id}
    assert first.recorded >= 2
    assert len(mail.outbox) == first.emailed >= 2  # one e-mail per overdue follow-up, in the user's language
    assert all(closed.reference not in m.body for m in mail.outbox)
    second = reminders_run()
    assert second.recorded == 0
    # Recorded: no longer on the start page.
    services.follow_up_record(
        actor=world.m["kari"], follow_up=six, expected_version=six.version, held=False, missed_reason="declined"
    )
    page = browse("kari").get(reverse("dashboard")).content.decode()
    assert reverse("follow_up_detail", args=[closed.public_id, six.public_id]) not in page
    twelve = closed.follow_ups.get(months=12)
    assert reverse("follow_up_detail", args=[closed.public_id, twelve.public_id]) in page


def test_the_overdue_follow_up_notification_names_the_case_and_opens_the_follow_up(world, closed, browse):
    reminders_run()
    kari = browse("kari")
    body = kari.get("/me/notifications/").content.decode()
    assert f"You have an overdue follow-up in case {closed.reference}." in body
    note = Notification.objects.filter(kind=NotificationKind.FOLLOW_UP_OVERDUE, user=world.m["kari"].user).first()
    response = kari.get(f"/me/notifications/{note.pk}/open/")
    assert response["Location"] == reverse("follow_up_detail", args=[closed.public_id, note.ref])


def test_the_follow_up_page_records_it_in_the_browser_flow(world, closed, browse):
    twelve = closed.follow_ups.get(months=12)
    url = reverse("follow_up_detail", args=[closed.public_id, twelve.public_id])
    kari = browse("kari")
    page = kari.get(url)
    assert page.status_code == 200 and 'name="held"' in page.content.decode()
    bad = kari.post(url, {"held": "no", "version": twelve.version})
    assert bad.status_code == 400  # the reason is missing
    ok = kari.post(
        url,
        {
            "held": "yes",
            "held_on": timezone.localdate().isoformat(),
            "version": twelve.version,
            "classification": "team",
            "source": "worker",
            "ind_housing": "2",
            "event_kind": "housing",
            "event_on": timezone.localdate().isoformat(),
            "event_source": "person",
        },
    )
    assert ok.status_code == 302
    twelve.refresh_from_db()
    assert twelve.status == FollowUpStatus.DONE
    assert Measurement.objects.filter(follow_up=twelve, indicator__key="housing", value=2).exists()
    # Ola (team, not owner) sees the follow-up but gets no form and cannot post.
    assert 'name="held"' not in browse("ola").get(url).content.decode()
    assert browse("ola").post(url, {"held": "no", "missed_reason": "moved", "version": 2}).status_code == 403
    # Someone without a relation: the follow-up does not exist.
    assert browse("atle").get(url).status_code == 404


def test_measurements_follow_the_sharing_gate_like_entries(world):
    case = world.open_case(name="Gina Gate")
    world.add(case, "per")  # police caseworker; consent covers the police for every category
    world.add(case, "nils")  # NAV
    case.refresh_from_db()
    kari = world.m["kari"]
    on = timezone.localdate()
    health = services.measurement_record(
        actor=kari, case=case, indicator=_ind("coping-mental-health"), value=1, occasion="intake", measured_on=on
    )
    police = services.measurement_record(
        actor=kari,
        case=case,
        indicator=_ind("milieu-contact"),
        value=2,
        occasion="intake",
        measured_on=on,
        classification=Classification.OWN_ORG,
    )
    for who in ("per", "nils"):
        outcomes_url = reverse("api:measurement_list", args=[case.public_id])
        data = world.api(who).get(outcomes_url).json()
        ids = {row["id"] for row in data["results"]}
        assert str(police.public_id) not in ids  # own_org: the municipality only
        ca = case_access(world.m[who], case)
        from utvei.access.policy import entry_decision

        assert (str(health.public_id) in ids) == bool(entry_decision(ca, health))
    # Withdraw every consent: the next request sees nothing of the municipality's measurements.
    from utvei.sharing.consent import services as sharing

    for consent in case.consents.all():
        sharing.consent_withdraw(actor=kari, consent=consent)
    data = world.api("per").get(reverse("api:measurement_list", args=[case.public_id])).json()
    assert data["results"] == []
    # The owner still reads its own.
    data = world.api("kari").get(reverse("api:measurement_list", args=[case.public_id])).json()
    assert len(data["results"]) == 2


def test_a_changed_motivation_stage_is_kept_as_a_measurement(world):
    case = world.open_case(name="Mia Motivasjon")
    kari = world.m["kari"]
    case = case_services.case_update(
        actor=kari, case=case, expected_version=case.version, motivation_stage="contemplation"
    )
    case = case_services.case_update(actor=kari, case=case, expected_version=case.version, motivation_stage="action")
    values = list(
        Measurement.objects.filter(case=case, indicator__key="motivation-stage")
        .order_by("pk")
        .values_list("value", flat=True)
    )
    assert values == [2.0, 4.0]


ANALYTICS_PAGES = ("analytics", "analytics_report", "analytics_evaluations")


@pytest.mark.parametrize("username", ["kari", "ola", "per", "mona", "dina", "rolf", "adam", "atle"])
def test_every_role_but_the_analyst_gets_404_on_analytics(world, browse, username):
    client = browse(username)
    for name in ANALYTICS_PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("analytics_report_pdf")).status_code == 404
    assert world.api(username).get(reverse("api:analytics")).status_code == 404


def test_the_analyst_never_reads_a_case(world, closed, browse):
    anna = browse("anna")
    assert anna.get(reverse("case_detail", args=[closed.public_id])).status_code in {403, 404}
    assert anna.get(reverse("case_outcomes", args=[closed.public_id])).status_code == 404
    assert world.api("anna").get(reverse("api:measurement_list", args=[closed.public_id])).status_code == 404
    page = anna.get(reverse("analytics"))
    assert page.status_code == 200
    body = page.content.decode()
    assert closed.reference not in body and "Frida" not in body
    data = world.api("anna").get(reverse("api:analytics")).json()
    assert closed.reference not in str(data) and str(closed.public_id) not in str(data)


def test_a_plan_item_keeps_its_exposure(world, browse):
    """Start and end dates are kept when an item starts and stops, a stopped item needs its reason, and the dose
    (sessions planned and held) is recorded — in the service, the page and the API."""
    from tests.plans.helpers import add_item, draft_plan, fresh
    from utvei.plans import services as plan_services
    from utvei.plans.models import PlanItem

    case = world.open_case(name="Eva Eksponering")
    draft = draft_plan(world, case)
    item = add_item(world, fresh(draft), sessions_planned=10)
    plan_services.plan_approve(actor=world.m["kari"], plan=fresh(draft), expected_version=fresh(draft).version)
    item = PlanItem.objects.get(pk=item.pk)
    assert item.sessions_planned == 10
    item = plan_services.item_set_status(
        actor=world.m["kari"], item=item, status="ongoing", sessions_held=2, expected_version=item.version
    )
    assert item.start_on == timezone.localdate() and item.end_on is None and item.sessions_held == 2
    with pytest.raises(UtveiError):
        plan_services.item_set_status(actor=world.m["kari"], item=item, status="stopped", expected_version=item.version)
    api = world.api("kari")
    url = f"/api/v1/cases/{case.public_id}/plans/{item.plan.public_id}/items/{item.public_id}/"
    body = {"status": "stopped", "stop_reason": "declined", "sessions_held": 4, "version": item.version}
    r = api.patch(url, body, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["stop_reason"] == "declined" and body["sessions_held"] == 4 and body["sessions_planned"] == 10
    item.refresh_from_db()
    assert item.end_on == timezone.localdate()
    page = browse("kari").get(f"/cases/{case.public_id}/plans/{item.plan.public_id}/").content.decode()
    assert "4 / 10" in page
