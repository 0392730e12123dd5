"""The person's own account: invitation, acceptance, MFA, ending it; rating goals, answering, withdrawing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.plans import helpers as plans
from utvei.access import participant as rules
from utvei.access import policy
from utvei.accounts.models import Membership, Notification, NotificationKind, User
from utvei.audit.models import Action, AuditEvent
from utvei.cases.models import Classification, ParticipantAccount
from utvei.cases.participants import hash_token, participant_accept, participant_end, participant_invite
from utvei.core.errors import Conflict, Forbidden, NotFound, UtveiError
from utvei.evaluation.models import IndicatorSource, Measurement
from utvei.evaluation.services import self_report_record
from utvei.plans.models import GoalRating
from utvei.plans.services import goal_rate_by_person
from utvei.sharing.consent.services import consent_withdraw_by_person
from utvei.sharing.models import Consent

from .helpers import client_of, join


@pytest.fixture
def case(world):
    c = world.open_case(name="Petra Deltaker")
    world.add(c, "ola")
    world.add(c, "per")
    return c


def test_the_invitation_link_is_stored_hashed_works_once_and_expires(world, case):
    account, raw = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    assert not ParticipantAccount.objects.filter(token_hash=raw).exists()
    assert account.token_hash == hash_token(raw)
    user = participant_accept(raw=raw, username="petra", password=PASSWORD)
    assert user.is_participant
    assert not Membership.objects.filter(user=user).exists()
    with pytest.raises(NotFound):
        participant_accept(raw=raw, username="petra2", password=PASSWORD)
    late, raw2 = participant_invite(actor=world.m["kari"], case=case, given_as="guardian")
    ParticipantAccount.objects.filter(pk=late.pk).update(token_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(NotFound):
        participant_accept(raw=raw2, username="verge", password=PASSWORD)
    assert not User.objects.filter(username="verge").exists()


def test_a_new_invitation_replaces_the_pending_one(world, case):
    _first, raw1 = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    _second, raw2 = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    with pytest.raises(NotFound):
        participant_accept(raw=raw1, username="petra", password=PASSWORD)
    participant_accept(raw=raw2, username="petra", password=PASSWORD)


def test_a_weak_password_or_a_taken_username_is_refused(world, case):
    _account, raw = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    with pytest.raises(UtveiError):
        participant_accept(raw=raw, username="kari", password=PASSWORD)
    with pytest.raises(UtveiError):
        participant_accept(raw=raw, username="petra", password="123")
    participant_accept(raw=raw, username="petra", password=PASSWORD)


@pytest.mark.parametrize(
    ("who", "error"),
    [("ola", Forbidden), ("per", Forbidden), ("atle", NotFound), ("dina", NotFound), ("mona", NotFound)],
)
def test_only_the_lead_or_the_owners_coordinator_invites(world, case, who, error):
    with pytest.raises(error):
        participant_invite(actor=world.m[who], case=case, given_as="person")


def test_the_owning_organisations_coordinator_may_invite_and_end(world, case):
    account, _raw = participant_invite(actor=world.m["kjell"], case=case, given_as="guardian")
    participant_end(actor=world.m["kjell"], account=account)
    with pytest.raises(Conflict):
        participant_end(actor=world.m["kari"], account=account)


def test_the_participant_must_set_up_mfa_first(world, case):
    _account, raw = participant_invite(actor=world.m["kari"], case=case, given_as="person")
    user = participant_accept(raw=raw, username="petra", password=PASSWORD)
    c = Client()
    c.force_login(user)
    r = c.get("/me/")
    assert r.status_code == 302 and "totp" in r["Location"]
    assert c.get("/").status_code == 302  # the start page too


def test_ending_the_account_works_on_the_next_request(world, case):
    account = join(world, case, "petra")
    c = client_of(account)
    assert c.get("/me/").status_code == 200
    participant_end(actor=world.m["kari"], account=account)
    r = c.get("/me/")
    assert r.status_code != 200  # signed out (every session ended), and the account opens nothing any more
    assert rules.participant_account(account.user) is None
    account.user.refresh_from_db()
    c2 = client_of(account)  # signed in again: still nothing
    assert c2.get("/me/").status_code == 404
    assert AuditEvent.objects.filter(action=Action.PARTICIPANT_END, case_id=str(case.public_id)).exists()


def test_the_person_rates_their_own_goal(world, case):
    plan = plans.approved_plan(world, case)
    account = join(world, case, "petra")
    goal = plan.goals.get()
    row = goal_rate_by_person(account=account, goal_id=goal.public_id, rating=1)
    assert (row.source, row.rated_by_id, row.rated_by_org_id) == ("person", account.user_id, case.owning_org_id)
    with pytest.raises(UtveiError):
        goal_rate_by_person(account=account, goal_id=goal.public_id, rating=5)
    # The team sees it as the person's rating on the plan page.
    page = client_of_staff(world, "kari").get(f"/cases/{case.public_id}/plans/{plan.public_id}/")
    assert page.status_code == 200
    assert "<td>The person</td>" in page.content.decode()
    api = world.api("kari").get(f"/api/v1/cases/{case.public_id}/plans/{plan.public_id}/goals/{goal.public_id}/")
    assert api.json()["ratings"][-1]["source"] == "person"


def client_of_staff(world, username):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = world.m[username].user
    TOTP.activate(user, generate_totp_secret())
    c = world.client(username)
    c.cookies["django_language"] = "en"
    return c


def test_a_goal_of_a_plan_not_shown_to_the_person_cannot_be_rated(world, case):
    plan = plans.draft_plan(world, case)  # a draft is not shown
    account = join(world, case, "petra")
    with pytest.raises(NotFound):
        goal_rate_by_person(account=account, goal_id=plan.goals.get().public_id, rating=0)
    assert not GoalRating.objects.exists()


def test_the_person_answers_a_self_report_indicator(world, case):
    account = join(world, case, "petra")
    row = self_report_record(account=account, indicator_key="working-alliance", value=3)
    assert (row.source, row.classification, row.author_id) == (
        IndicatorSource.SELF_REPORT,
        Classification.PARTICIPANT,
        account.user_id,
    )
    with pytest.raises(NotFound):  # a worker-only indicator
        self_report_record(account=account, indicator_key="children-wellbeing", value=1)
    with pytest.raises(UtveiError):
        self_report_record(account=account, indicator_key="working-alliance", value=99)
    assert Measurement.objects.count() == 1


def test_asking_to_withdraw_withdraws_at_once_and_tells_the_lead(world, case):
    account = join(world, case, "petra")
    consent = Consent.objects.filter(case=case, scope_orgs__slug="politi").get()
    ca = policy.case_access(world.m["per"], case)
    assert policy.sharing_basis(ca, "plan", world.m["kari"].organisation.pk)
    consent_withdraw_by_person(account=account, consent_id=consent.public_id)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by_id == account.user_id
    ca = policy.case_access(world.m["per"], case)
    assert not policy.sharing_basis(ca, "plan", world.m["kari"].organisation.pk)  # as any withdrawal
    note = Notification.objects.get(kind=NotificationKind.PARTICIPANT_WITHDREW)
    assert (note.user_id, note.organisation_id, note.case_id) == (case.lead_id, case.owning_org_id, case.pk)
    with pytest.raises(Conflict):
        consent_withdraw_by_person(account=account, consent_id=consent.public_id)


def test_a_consent_of_another_case_is_not_found(world, case):
    account = join(world, case, "petra")
    other = world.open_case(name="Bert Annen")
    consent = Consent.objects.filter(case=other).first()
    with pytest.raises(NotFound):
        consent_withdraw_by_person(account=account, consent_id=consent.public_id)
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
