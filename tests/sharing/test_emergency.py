"""Emergency access (break-the-glass): the services, the policy under it, notifications, review and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from utvei.access import policy
from utvei.access.policy import Act, Relation
from utvei.accounts.models import Notification, NotificationKind
from utvei.audit.models import Action, AuditEvent
from utvei.cases import selectors as case_selectors
from utvei.cases import services as case_services
from utvei.cases.models import Phase
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.core.vocabulary import Classification
from utvei.people.services import person_find_or_create
from utvei.sharing.emergency import services as emergency
from utvei.sharing.models import EmergencyAccess, ReviewStatus

from .helpers import assert_no_content, events_since, seq

REASON = "Personen er savnet og har truet med vold mot seg selv"
NIN = "01019012345"


@pytest.fixture
def ecase(world: Any) -> Any:
    """kari's case with ola (kommune) and per (police) on the team; a team entry by ola, a police entry by per."""
    case = world.open_case(name="Emergency Person")
    world.add(case, "ola")
    world.add(case, "per")
    team = world.entry(case, "ola", Classification.TEAM, body="TEAM-BODY")
    police = world.entry(case, "per", Classification.POLICE, body="POLICE-BODY")
    case.refresh_from_db()
    return {"case": case, "team": team, "police": police}


def open_as(world: Any, username: str, case: Any, **kw: Any) -> emergency.Opened:
    args: dict[str, Any] = {"reason_code": "missing", "reason_text": REASON, **kw}
    if "national_id" not in kw and "case_reference" not in kw:
        args["case_reference"] = case.reference
    return emergency.emergency_open(actor=world.m[username], **args)


# ---- Opening -------------------------------------------------------------------------------------------


def test_atle_opens_kari_case_by_reference_and_reads_what_the_classification_admits(world, ecase):
    case = ecase["case"]
    before = timezone.now()
    opened = open_as(world, "atle", case)
    assert opened.created and opened.case == case
    access = opened.access
    assert access.user == world.m["atle"].user and access.organisation == world.orgs["annen"]
    assert access.role == "coordinator" and access.reason_code == "missing" and access.reason_text == REASON
    assert access.review_status == ReviewStatus.PENDING and access.ended_at is None
    assert before <= access.started_at <= timezone.now()
    assert access.expires_at - access.started_at == dt.timedelta(hours=4)

    atle = world.m["atle"]
    rel, records = policy.relation(atle, case)
    assert rel == Relation.EMERGENCY and records["emergency_access"] == str(access.public_id)
    assert case in policy.visible_cases(atle)
    ca = policy.case_access(atle, case)
    team = policy.entry_decision(ca, ecase["team"])
    assert team.allowed and team.step == "emergency"
    police = policy.entry_decision(ca, ecase["police"])
    assert not police.allowed and police.restricted_marker
    # Read-only: no writing, no managing, no sharing, no referrals.
    for act in (Act.ENTRY_CREATE, Act.TASK_CREATE, Act.CASE_MANAGE, Act.TEAM_MANAGE, Act.SHARING_RECORD):
        assert not policy.can(atle, act, case), act
    assert not policy.can(atle, Act.ENTRY_EDIT, ecase["team"])


def test_a_caseworker_can_open_and_the_window_can_be_shorter(world, ecase):
    opened = open_as(world, "arne", ecase["case"], hours=2, reason_code="life_health")
    assert opened.access.role == "caseworker"
    assert opened.access.expires_at - opened.access.started_at == dt.timedelta(hours=2)


@pytest.mark.parametrize("hours", [0, 5, -1, "x", 2.5, True])
def test_the_window_is_one_hour_up_to_the_default(world, ecase, hours):
    with pytest.raises(UtveiError) as exc:
        open_as(world, "atle", ecase["case"], hours=hours)
    assert exc.value.code == "invalid_hours"
    assert not EmergencyAccess.objects.exists()


def test_the_default_window_comes_from_the_setting(world, ecase, settings):
    settings.UTVEI_EMERGENCY_HOURS = 2
    access = open_as(world, "atle", ecase["case"]).access
    assert access.expires_at - access.started_at == dt.timedelta(hours=2)
    with pytest.raises(UtveiError):
        open_as(world, "arne", ecase["case"], hours=3)


def test_open_by_national_identity_number_takes_the_most_recent_open_case(world):
    person, _ = person_find_or_create(actor=world.m["kari"], full_name="Nin Person", national_id=NIN)
    old = case_services.case_open(actor=world.m["kari"], person=person, track="exit")
    world.consent(old, "kommune")
    old = case_services.case_close(actor=world.m["kari"], case=old, reason="other", summary="Avsluttet")
    new = case_services.case_reopen(actor=world.m["kari"], case=old)
    mark = seq()
    opened = open_as(world, "atle", None, national_id="010190 12345")
    assert opened.case == new
    assert all(NIN not in (e.reason + e.object_id) for e in events_since(mark))
    assert [e.action for e in events_since(mark)][:1] == [Action.PERSON_LOOKUP]


def test_open_by_national_identity_number_of_a_person_with_closed_cases_only(world):
    person, _ = person_find_or_create(actor=world.m["kari"], full_name="Closed Person", national_id=NIN)
    case = case_services.case_open(actor=world.m["kari"], person=person, track="exit")
    case_services.case_close(actor=world.m["kari"], case=case, reason="other", summary="Avsluttet")
    assert open_as(world, "atle", None, national_id=NIN).case == case


def test_a_person_reference_opens_that_persons_case(world, ecase):
    case = ecase["case"]
    assert open_as(world, "atle", case, case_reference=case.person.reference.lower()).case == case


@pytest.mark.parametrize("username", ["mona", "rolf", "anna", "dina", "adam", "dora"])
def test_roles_without_emergency_access_are_refused_and_the_refusal_is_audited(world, ecase, username):
    mark = seq()
    with pytest.raises(Forbidden) as exc:
        open_as(world, username, ecase["case"])
    assert "cannot use emergency access" in str(exc.value.message)
    assert not EmergencyAccess.objects.exists()
    events = events_since(mark)
    assert [(e.action, e.reason) for e in events] == [(Action.EMERGENCY_REFUSED, "role")]
    assert_no_content(events, ecase["case"].reference, REASON)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"reason_text": ""}, "required"),
        ({"reason_text": "   "}, "required"),
        ({"reason_text": "x" * 2001}, "too_long"),
        ({"reason_code": "because"}, "invalid_reason"),
        ({"case_reference": ""}, "case_required"),
        ({"national_id": "123"}, "case_ambiguous"),
    ],
)
def test_bad_input_is_refused_without_an_access(world, ecase, kw, code):
    with pytest.raises(UtveiError) as exc:
        open_as(world, "atle", ecase["case"], **({"case_reference": ecase["case"].reference} | kw))
    assert exc.value.code == code
    assert not EmergencyAccess.objects.exists()
    assert not Notification.objects.exists()


def test_an_invalid_identity_number_is_refused(world):
    with pytest.raises(UtveiError) as exc:
        open_as(world, "atle", None, national_id="123")
    assert exc.value.code == "invalid_nin"


def test_an_unknown_case_is_refused_and_audited_without_what_was_typed(world, ecase):
    mark = seq()
    for kw in ({"case_reference": "UTV-1999-999999-9"}, {"national_id": "31129912345"}):
        with pytest.raises(UtveiError) as exc:
            open_as(world, "atle", None, **kw)
        assert exc.value.code == "no_match" and "No case matches" in str(exc.value.message)
    events = events_since(mark)
    refused = [e for e in events if e.action == Action.EMERGENCY_REFUSED]
    assert len(refused) == 2 and {e.reason for e in refused} == {"no_match"}
    assert all(e.case_id == "" and e.object_id == "" for e in refused)
    assert_no_content(events, "UTV-1999-999999-9", "31129912345", REASON)
    assert not EmergencyAccess.objects.exists()


def test_a_user_who_can_already_see_the_case_gets_it_without_an_access(world, ecase):
    for username in ("kari", "ola", "kjell", "per"):
        mark = seq()
        opened = open_as(world, username, ecase["case"])
        assert opened.access is None and not opened.created and opened.case == ecase["case"]
        assert not any(e.action == Action.EMERGENCY_OPEN for e in events_since(mark))
    assert not EmergencyAccess.objects.exists()


def test_a_second_open_returns_the_active_access(world, ecase):
    first = open_as(world, "atle", ecase["case"])
    second = open_as(world, "atle", ecase["case"], reason_code="other", hours=1)
    assert not second.created and second.access.pk == first.access.pk
    assert EmergencyAccess.objects.count() == 1
    assert Notification.objects.filter(ref=first.access.public_id).count() == 3


# ---- Notifications -------------------------------------------------------------------------------------


def test_the_lead_and_the_dpos_are_notified(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    notes = Notification.objects.filter(kind=NotificationKind.EMERGENCY_ACCESS, ref=access.public_id)
    got = {(n.user.username, n.organisation.slug) for n in notes}
    # kari leads the case; dina is the owning municipality's DPO; dora is the DPO of atle's municipality.
    assert got == {("kari", "kommune"), ("dina", "kommune"), ("dora", "annen")}
    assert all(n.case == ecase["case"] and n.read_at is None for n in notes)


# ---- Expiry and ending ---------------------------------------------------------------------------------


def test_after_the_window_the_case_is_gone_again(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    atle = world.m["atle"]
    assert case_selectors.case_get(actor=atle, case_id=ecase["case"].public_id)
    EmergencyAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert policy.relation(atle, ecase["case"])[0] == Relation.NONE
    assert ecase["case"] not in policy.visible_cases(atle)
    with pytest.raises(NotFound):
        case_selectors.case_get(actor=atle, case_id=ecase["case"].public_id)
    with pytest.raises(NotFound):
        case_selectors.entry_get(actor=atle, entry_id=ecase["team"].public_id)


def test_time_moving_past_the_window_ends_it(world, ecase, monkeypatch):
    open_as(world, "atle", ecase["case"])
    later = timezone.now() + dt.timedelta(hours=4, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert policy.relation(world.m["atle"], ecase["case"])[0] == Relation.NONE


def test_the_user_ends_it_early(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    with pytest.raises(NotFound):
        emergency.emergency_end(actor=world.m["arne"], access=access)
    mark = seq()
    ended = emergency.emergency_end(actor=world.m["atle"], access=access)
    assert ended.ended_at is not None
    assert [e.action for e in events_since(mark)] == [Action.EMERGENCY_END]
    assert policy.relation(world.m["atle"], ecase["case"])[0] == Relation.NONE
    with pytest.raises(Conflict):
        emergency.emergency_end(actor=world.m["atle"], access=access)
    # After it ended a new one can be opened, and is a new record to review.
    again = open_as(world, "atle", ecase["case"])
    assert again.created and again.access.pk != access.pk


# ---- Review --------------------------------------------------------------------------------------------


def test_the_queue_shows_it_pending_to_both_dpos_and_is_audited(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    for dpo in ("dina", "dora"):
        mark = seq()
        queue = list(emergency.review_queue(actor=world.m[dpo], status="pending"))
        assert [a.pk for a in queue] == [access.pk]
        events = events_since(mark)
        assert [(e.action, e.reason) for e in events] == [(Action.EMERGENCY_VIEW, "queue;pending")]
        assert_no_content(events, REASON)
    for other in ("kari", "atle", "mona"):
        with pytest.raises(NotFound):
            emergency.review_queue(actor=world.m[other])
    with pytest.raises(UtveiError):
        emergency.review_queue(actor=world.m["dina"], status="nonsense")


def test_the_queue_is_scoped_to_the_dpos_organisation(world, ecase):
    """An access by someone in a third organisation to a case neither of them owns is not theirs."""
    pia_case = world.open_case(by="pia", name="Police Case")
    open_as(world, "atle", pia_case)  # annen -> politi: dora's (her staff), not dina's
    open_as(world, "ola", pia_case)  # kommune -> politi: dina's (her staff), not dora's
    assert {a.user.username for a in emergency.review_queue(actor=world.m["dina"])} == {"ola"}
    assert {a.user.username for a in emergency.review_queue(actor=world.m["dora"])} == {"atle"}


def test_pending_first_and_filters(world, ecase):
    first = open_as(world, "atle", ecase["case"]).access
    second = open_as(world, "arne", ecase["case"]).access
    emergency.emergency_review(actor=world.m["dina"], access=second, decision="approved")
    assert [a.pk for a in emergency.review_queue(actor=world.m["dina"])] == [first.pk, second.pk]
    assert [a.pk for a in emergency.review_queue(actor=world.m["dina"], status="approved")] == [second.pk]
    assert list(emergency.review_queue(actor=world.m["dina"], status="flagged")) == []


def test_approve_and_review_twice_is_a_conflict(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    mark = seq()
    done = emergency.emergency_review(actor=world.m["dina"], access=access, decision="approved", note="Ok")
    assert done.review_status == ReviewStatus.APPROVED and done.reviewed_by == world.m["dina"].user
    assert done.ended_at is None  # approving does not end it
    assert [(e.action, e.reason) for e in events_since(mark)] == [(Action.EMERGENCY_REVIEW, "approved")]
    with pytest.raises(Conflict):
        emergency.emergency_review(actor=world.m["dora"], access=access, decision="flagged", note="Nei")


def test_flag_needs_a_note_and_ends_a_running_access(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    with pytest.raises(UtveiError) as exc:
        emergency.emergency_review(actor=world.m["dora"], access=access, decision="flagged", note="  ")
    assert exc.value.code == "required"
    with pytest.raises(UtveiError):
        emergency.emergency_review(actor=world.m["dora"], access=access, decision="maybe")
    mark = seq()
    done = emergency.emergency_review(actor=world.m["dora"], access=access, decision="flagged", note="FLAG-NOTE")
    assert done.review_status == ReviewStatus.FLAGGED and done.review_note == "FLAG-NOTE"
    assert done.ended_at is not None
    assert policy.relation(world.m["atle"], ecase["case"])[0] == Relation.NONE
    events = events_since(mark)
    assert [(e.action, e.reason) for e in events] == [(Action.EMERGENCY_REVIEW, "flagged;ended")]
    assert_no_content(events, "FLAG-NOTE", REASON)


def test_only_a_dpo_in_scope_reviews(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    for username in ("kari", "atle", "mona"):
        with pytest.raises(Forbidden):
            emergency.emergency_review(actor=world.m[username], access=access, decision="approved")
    pia_case = world.open_case(by="pia", name="Police Case")
    other = open_as(world, "atle", pia_case).access
    with pytest.raises(NotFound):
        emergency.emergency_review(actor=world.m["dina"], access=other, decision="approved")


def test_emergency_get_is_for_the_holder_and_the_dpos(world, ecase):
    access = open_as(world, "atle", ecase["case"]).access
    for username in ("atle", "dina", "dora"):
        assert emergency.emergency_get(actor=world.m[username], access_id=access.public_id).pk == access.pk
    for username in ("arne", "kari", "mona"):
        with pytest.raises(NotFound):
            emergency.emergency_get(actor=world.m[username], access_id=access.public_id)
    with pytest.raises(NotFound):
        emergency.emergency_get(actor=world.m["atle"], access_id="not-a-uuid")
    assert [a.pk for a in emergency.my_emergency_accesses(actor=world.m["atle"])] == [access.pk]
    assert list(emergency.my_emergency_accesses(actor=world.m["arne"])) == []


# ---- Audit ---------------------------------------------------------------------------------------------


def test_reads_under_emergency_access_carry_the_emergency_reason(world, ecase):
    atle = world.m["atle"]
    case = ecase["case"]
    mark = seq()
    open_as(world, "atle", case)
    case_selectors.case_get(actor=atle, case_id=case.public_id)
    case_selectors.entry_get(actor=atle, entry_id=ecase["team"].public_id)
    case_selectors.entry_get(actor=atle, entry_id=ecase["police"].public_id)
    events = events_since(mark)
    got = [(e.action, e.reason) for e in events if e.action not in {Action.EMERGENCY_OPEN}]
    assert got == [
        (Action.CASE_VIEW, "emergency"),
        (Action.ENTRY_VIEW, "emergency"),
        (Action.ENTRY_VIEW, "emergency;restricted"),
    ]
    opened = next(e for e in events if e.action == Action.EMERGENCY_OPEN)
    assert opened.case_id == str(case.public_id) and opened.reason == "missing;4h"
    assert opened.object_type == "emergencyaccess"
    # A team member's reads are unchanged.
    mark = seq()
    case_selectors.case_get(actor=world.m["ola"], case_id=case.public_id)
    assert [e.reason for e in events_since(mark)] == [""]


def test_no_audit_row_holds_the_reason_text_or_the_note(world, ecase):
    mark = seq()
    access = open_as(world, "atle", ecase["case"]).access
    case_selectors.case_get(actor=world.m["atle"], case_id=ecase["case"].public_id)
    emergency.review_queue(actor=world.m["dina"])
    emergency.emergency_review(actor=world.m["dina"], access=access, decision="flagged", note="NOTE-TEXT")
    events = events_since(mark)
    assert {Action.EMERGENCY_OPEN, Action.EMERGENCY_VIEW, Action.EMERGENCY_REVIEW} <= {e.action for e in events}
    assert_no_content(events, REASON, "NOTE-TEXT", "Emergency Person")
    assert not AuditEvent.objects.filter(reason__contains="savnet").exists()


def test_the_phase_of_the_case_does_not_matter(world, ecase):
    """A closed case can be opened in an emergency too (its history may be what is needed)."""
    case = ecase["case"]
    case_services.case_close(actor=world.m["kari"], case=case, reason="other", summary="Ferdig")
    case.refresh_from_db()
    assert case.phase == Phase.CLOSED
    assert open_as(world, "atle", case).created
