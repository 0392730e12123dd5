"""Acting on the acute and the unclear (issue 13, deliverable 4): acute concerns alert every coordinator, "more
information needed" asks the reporter and brings the concern back, and a hand-off records to whom, when, on which
basis and by whom."""

from __future__ import annotations

import pytest
from django.core import mail

from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services
from utvei.cases.models import Concern, ConcernHandoff, ConcernStatus, TriageOutcome, Urgency

TEXT = "Eleven deler voldsforherligende innhold og snakker om en plan."


def submit(world, **kw):
    data = {"description": TEXT, "subject_name": "Kari Elevsen"}
    data.update(kw)
    return services.concern_submit(actor=world.m["rolf"], receiving_org=world.orgs["kommune"], **data)


def triage(client, concern, **data):
    return client.post(f"/intake/{concern.public_id}/", {"rationale": "Vurdert.", **data})


# ---- Acute ----------------------------------------------------------------------------------------------


@pytest.fixture
def addresses(world):
    for username, m in world.m.items():
        m.user.email = f"{username}@example.org"
        m.user.save(update_fields=["email"])


def test_an_acute_concern_alerts_every_coordinator_of_the_receiving_organisation(
    world, addresses, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        concern = submit(world, urgency=Urgency.ACUTE)
    alerted = Notification.objects.filter(kind=NotificationKind.CONCERN_ACUTE, ref=concern.public_id)
    assert {n.user.username for n in alerted} == {"kari", "kjell"}  # the municipality's coordinators, nobody else
    assert sorted(m.to[0] for m in mail.outbox) == ["kari@example.org", "kjell@example.org"]
    for message in mail.outbox:
        assert "akutt" in message.subject  # in the user's language (bokmål unless they chose English)
        for secret in ("Kari Elevsen", "voldsforherligende", concern.reference):
            assert secret not in message.subject + message.body
    assert {n.email_status for n in alerted} == {"sent"}


def test_a_routine_concern_alerts_nobody(world, addresses, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(world)
    assert not Notification.objects.exists() and not mail.outbox


def test_a_failed_e_mail_is_tried_again_by_the_worker_pass(world, addresses, settings, monkeypatch):
    from utvei.desk.reminders import reminders_run

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("utvei.accounts.notifications.send_mail", refuse)
    concern = submit(world, urgency=Urgency.ACUTE)
    from utvei.accounts.notifications import deliver_emails

    assert deliver_emails() == (0, 2)
    monkeypatch.undo()
    result = reminders_run()
    assert result.other_emailed == 2 and len(mail.outbox) == 2
    assert set(Notification.objects.filter(ref=concern.public_id).values_list("email_status", flat=True)) == {"sent"}


def test_the_acute_concern_is_unanswered_until_someone_takes_it(world, browse):
    concern = submit(world, urgency=Urgency.ACUTE)
    kari, kjell = browse("kari"), browse("kjell")
    assert "Unanswered" in kari.get("/intake/").content.decode()
    page = kari.get(f"/intake/{concern.public_id}/").content.decode()
    assert "Nobody has taken it yet" in page and "I take it" in page
    assert kari.post(f"/intake/{concern.public_id}/take/").status_code == 302
    queue = kjell.get("/intake/").content.decode()
    assert "Unanswered" not in queue and "Taken by kari" in queue
    assert "Taken by kari" in kjell.get(f"/intake/{concern.public_id}/").content.decode()
    kjell.post(f"/intake/{concern.public_id}/take/")  # too late: kari has it
    assert Concern.objects.get(pk=concern.pk).taken_by == world.m["kari"].user
    assert AuditEvent.objects.filter(action=Action.CONCERN_TAKE).count() == 1
    assert browse("ola").post(f"/intake/{concern.public_id}/take/").status_code == 404  # not a coordinator
    assert browse("atle").post(f"/intake/{concern.public_id}/take/").status_code == 404  # another municipality


# ---- More information -----------------------------------------------------------------------------------


def test_more_information_asks_the_reporter_and_brings_the_concern_back(
    world, browse, addresses, django_capture_on_commit_callbacks
):
    concern = submit(world)
    kari, rolf = browse("kari"), browse("rolf")
    assert triage(kari, concern, outcome="more_info").status_code == 400  # no question
    with django_capture_on_commit_callbacks(execute=True):
        response = triage(kari, concern, outcome="more_info", question="Hvem andre har sett dette?")
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.AWAITING_INFO
    assert f"/intake/{concern.public_id}/" not in kari.get("/intake/").content.decode()  # waiting: out of the queue
    assert [m.to[0] for m in mail.outbox] == ["rolf@example.org"]
    assert "Hvem andre" not in mail.outbox[0].body
    receipt = rolf.get(f"/concerns/{concern.public_id}/receipt/").content.decode()
    assert "Hvem andre har sett dette?" in receipt and "Send the answer" in receipt
    # Only the reporter answers, and only while the question is open.
    assert browse("siri").post(f"/concerns/{concern.public_id}/answer/", {"answer": "x"}).status_code == 404
    assert rolf.post(f"/concerns/{concern.public_id}/answer/", {"answer": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        answered = rolf.post(f"/concerns/{concern.public_id}/answer/", {"answer": "To lærere og en medelev."})
    assert answered.status_code == 302
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.RECEIVED and concern.outcome == ""
    assert f"/intake/{concern.public_id}/" in kari.get("/intake/").content.decode()  # back in the queue
    assert Notification.objects.filter(kind=NotificationKind.CONCERN_ANSWERED, user=world.m["kari"].user).exists()
    page = kari.get(f"/intake/{concern.public_id}/").content.decode()
    assert "Hvem andre har sett dette?" in page and "To lærere og en medelev." in page
    assert rolf.post(f"/concerns/{concern.public_id}/answer/", {"answer": "Igjen"}).status_code == 409
    # And it can be triaged again now.
    assert triage(kari, concern, outcome="no_action").status_code == 302
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.TRIAGED
    actions = list(AuditEvent.objects.filter(object_id=str(concern.public_id)).values_list("action", flat=True))
    assert Action.CONCERN_QUESTION not in actions  # the question is its own object
    assert Action.CONCERN_ANSWER in actions


# ---- Hand-offs ------------------------------------------------------------------------------------------

BASIS = "fvl-13b-6"


def test_a_hand_off_to_the_police_in_utvei_is_recorded_and_forwarded(world, browse):
    concern = submit(world, urgency=Urgency.ACUTE, subject_birth_date=None)
    kari = browse("kari")
    response = triage(kari, concern, outcome="police_pst", handoff_to="police", handoff_org="politi", basis=BASIS)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ConcernHandoff.objects.get(concern=concern)
    assert (record.to_kind, record.to_org.slug, record.basis_key) == ("police", "politi", BASIS)
    assert record.handed_by == world.m["kari"].user and record.handed_by_org.slug == "kommune"
    assert record.basis_label  # the statute and provision, as cited
    forwarded = record.forwarded
    assert forwarded.receiving_org.slug == "politi" and forwarded.description == TEXT
    assert forwarded.forwarded_from == concern and forwarded.urgency == Urgency.ACUTE
    assert Notification.objects.filter(kind=NotificationKind.CONCERN_ACUTE, ref=forwarded.public_id).exists()
    assert forwarded.reference in browse("pia").get("/intake/").content.decode()
    page = kari.get(f"/intake/{concern.public_id}/").content.decode()
    assert "Testby politidistrikt" in page and "in its intake queue" in page
    receipt = browse("rolf").get(f"/concerns/{concern.public_id}/receipt/").content.decode()
    assert "was passed on to The police" in receipt and "politidistrikt" not in receipt  # passed on; not to whom
    assert AuditEvent.objects.filter(action=Action.CONCERN_HANDOFF, reason="police").count() == 1


def test_pst_is_recorded_by_name_and_never_sent_anything(world, browse):
    concern = submit(world)
    kari = browse("kari")
    refused = triage(kari, concern, outcome="police_pst", handoff_to="pst", handoff_org="politi", basis=BASIS)
    assert refused.status_code == 400 and not ConcernHandoff.objects.exists()
    done = triage(kari, concern, outcome="police_pst", handoff_to="pst", handoff_name="PST Øst", basis=BASIS)
    assert done.status_code == 302
    record = ConcernHandoff.objects.get()
    assert (record.to_kind, record.to_org, record.to_name, record.forwarded) == ("pst", None, "PST Øst", None)
    assert Concern.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"outcome": "police_pst"}, 400),  # to whom?
        ({"outcome": "police_pst", "handoff_to": "ordinary", "handoff_name": "NAV", "basis": BASIS}, 400),
        ({"outcome": "ordinary_services", "handoff_to": "ordinary", "handoff_name": "Fastlegen"}, 400),  # basis
        ({"outcome": "ordinary_services", "handoff_to": "ordinary", "basis": BASIS}, 400),  # recipient
        ({"outcome": "ordinary_services", "handoff_to": "ordinary", "handoff_name": "x", "basis": "nope"}, 400),
        ({"outcome": "ordinary_services", "handoff_to": "ordinary", "handoff_org": "kommune", "basis": BASIS}, 400),
        (
            {
                "outcome": "ordinary_services",
                "handoff_to": "ordinary",
                "handoff_name": "x",
                "basis": BASIS,
                "handed_at": "2999-01-01T10:00",
            },
            400,
        ),
    ],
)
def test_a_hand_off_needs_a_recipient_a_basis_and_a_possible_time(world, browse, data, status):
    concern = submit(world)
    response = triage(browse("kari"), concern, **data)
    assert response.status_code == status
    assert not ConcernHandoff.objects.exists()
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.RECEIVED


def test_a_hand_off_to_ordinary_services_outside_utvei(world, browse):
    concern = submit(world)
    response = triage(
        browse("kari"),
        concern,
        outcome="ordinary_services",
        handoff_to="ordinary",
        handoff_name="Helsestasjon for ungdom",
        basis=BASIS,
        handed_at="2026-12-01T09:30",
    )
    assert response.status_code == 302
    record = ConcernHandoff.objects.get()
    assert record.to_name == "Helsestasjon for ungdom" and record.handed_at.date().isoformat() == "2026-12-01"
    assert Concern.objects.get(pk=concern.pk).outcome == TriageOutcome.ORDINARY_SERVICES


# ---- The API --------------------------------------------------------------------------------------------

API = "/api/v1"


def _post(client, path, body):
    return client.post(f"{API}{path}", body, content_type="application/json")


def test_the_api_takes_asks_answers_and_hands_off(world):
    kari, kjell, rolf = world.api("kari"), world.api("kjell"), world.api("rolf")
    acute = submit(world, urgency=Urgency.ACUTE)
    taken = _post(kari, f"/concerns/{acute.public_id}/take/", {})
    assert taken.status_code == 200 and taken.json()["taken_by"] == "kari"
    assert _post(kjell, f"/concerns/{acute.public_id}/take/", {}).status_code == 409
    assert _post(rolf, f"/concerns/{acute.public_id}/take/", {}).status_code == 404

    asked = _post(kari, f"/concerns/{acute.public_id}/triage/", {"outcome": "more_info", "rationale": "Uklart."})
    assert asked.status_code == 422  # the question is missing
    asked = _post(
        kari,
        f"/concerns/{acute.public_id}/triage/",
        {"outcome": "more_info", "rationale": "Uklart.", "question": "Når skjedde det?"},
    )
    assert asked.status_code == 200 and asked.json()["status"] == "awaiting_info"
    assert _post(world.api("siri"), f"/concerns/{acute.public_id}/answer/", {"answer": "x"}).status_code == 404
    answered = _post(rolf, f"/concerns/{acute.public_id}/answer/", {"answer": "I går."})
    assert answered.status_code == 200 and answered.json()["status"] == "received"
    detail = kari.get(f"{API}/concerns/{acute.public_id}/").json()
    assert [(q["question"], q["answer"]) for q in detail["questions"]] == [("Når skjedde det?", "I går.")]

    handed = _post(
        kari,
        f"/concerns/{acute.public_id}/triage/",
        {
            "outcome": "police_pst",
            "rationale": "Fare.",
            "handoff": {"to": "police", "organisation": "politi", "basis": BASIS},
        },
    )
    assert handed.status_code == 200, handed.content
    record = handed.json()["handoff"]
    assert (record["to"], record["organisation"], record["basis"], record["handed_by"]) == (
        "police",
        "politi",
        BASIS,
        "kari",
    )
    assert record["forwarded"] == str(ConcernHandoff.objects.get().forwarded.public_id)
    fresh = submit(world)
    bad = _post(
        kari,
        f"/concerns/{fresh.public_id}/triage/",
        {"outcome": "police_pst", "rationale": "x", "handoff": {"to": "pst", "organisation": "politi", "basis": BASIS}},
    )
    assert bad.status_code == 422 and bad.json()["error"] == "handoff_pst_org"


def test_the_notifications_link_to_the_concern_without_saying_what_it_is(world, browse):
    concern = submit(world, urgency=Urgency.ACUTE)
    kari = browse("kari")
    page = kari.get("/me/notifications/").content.decode()
    assert "An acute concern has arrived" in page and "Kari Elevsen" not in page
    note = Notification.objects.get(user=world.m["kari"].user)
    opened = kari.get(f"/me/notifications/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/intake/{concern.public_id}/"


def test_the_receiving_coordinator_reads_the_question_but_only_the_reporter_answers(world, browse):
    concern = submit(world)
    kari = browse("kari")
    triage(kari, concern, outcome="more_info", question="Når?")
    assert kari.post(f"/concerns/{concern.public_id}/answer/", {"answer": "Nå"}).status_code == 403
    assert _post(world.api("kari"), f"/concerns/{concern.public_id}/answer/", {"answer": "Nå"}).status_code == 403
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.AWAITING_INFO
