"""Organisation administration (issue 14, deliverable 1; docs/administration.md): invitations, role, period and
deactivation, MFA reset and handover — the services, the pages, the API and who may use them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import PASSWORD
from utvei.access import administration as rules
from utvei.accounts.models import Invitation, Membership, Notification, NotificationKind
from utvei.accounts.services import invitation_accept, invitation_open, user_create
from utvei.administration import services
from utvei.administration.models import MfaReset
from utvei.audit.models import Action, AuditEvent
from utvei.cases import services as case_services
from utvei.cases.models import Task, TeamMember
from utvei.core.errors import Conflict, NotFound, UtveiError
from utvei.evaluation.models import FollowUp
from utvei.meetings.models import Meeting, MeetingDecision

API = "/api/v1/organisations/kommune/members/"
NEW_PASSWORD = "et langt og godt passord 2026"


def _invite(world: Any, username: str = "tina", role: str = "caseworker", email: str = "") -> services.Invited:
    return services.member_invite(
        actor=world.m["adam"], username=username, role=role, email=email, first_name="Tina", last_name="Test"
    )


def _token(link: str) -> str:
    found = re.search(r"/invitations/([^/]+)/", link)
    assert found
    return found.group(1)


def _accept_on_the_web(link: str, password: str = NEW_PASSWORD) -> tuple[Client, Any]:
    c = Client()
    c.cookies["django_language"] = "en"
    opened = c.get(link.split("127.0.0.1:8000", 1)[-1] if "://" in link else link)
    assert opened.status_code == 302 and opened["Location"] == "/invitations/accept/"
    answer = c.post("/invitations/accept/", {"password1": password, "password2": password})
    return c, answer


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[-1].split("/", 1)[1]


# ---- Inviting and accepting --------------------------------------------------------------------------------


def test_an_invitation_makes_the_user_and_membership_at_once_and_keeps_only_a_hash(world):
    invited = _invite(world)
    user = invited.membership.user
    assert not user.has_usable_password()
    assert invited.membership.is_current and invited.membership.organisation.slug == "kommune"
    token = _token(invited.link)
    stored = Invitation.objects.get(pk=invited.invitation.pk)
    assert stored.token_hash != token and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == dt.timedelta(days=7)
    assert invitation_open(user) == stored  # what single sign-on asks
    # No e-mail address: the administrator is shown the link; audited in the administrator's organisation.
    assert not invited.emailed and mail.outbox == []
    event = AuditEvent.objects.get(action=Action.MEMBER_INVITE)
    assert (event.actor_id, event.actor_org_id) == (world.m["adam"].user_id, world.orgs["kommune"].pk)
    assert not AuditEvent.objects.filter(reason__contains=token[:10]).exists()


def test_with_an_address_the_link_goes_out_by_e_mail_and_the_invitation_days_are_a_setting(world, settings):
    settings.UTVEI_INVITATION_DAYS = 3
    invited = _invite(world, email="tina@testby.example")
    assert invited.emailed and Invitation.objects.get(pk=invited.invitation.pk).emailed
    (message,) = mail.outbox
    assert message.to == ["tina@testby.example"] and invited.link in message.body and "tina" in message.body
    assert invited.invitation.expires_at - invited.invitation.created_at == dt.timedelta(days=3)


def test_the_invited_person_sets_a_password_and_must_set_up_mfa_next(world):
    invited = _invite(world)
    c, answer = _accept_on_the_web(_path(invited.link))
    assert answer.status_code == 302 and answer["Location"] == "/"
    start = c.get("/")
    assert start.status_code == 302 and "totp" in start["Location"]  # a caseworker sets up MFA before anything
    user = invited.membership.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(pk=invited.invitation.pk).accepted_at is not None
    event = AuditEvent.objects.get(action=Action.INVITATION_ACCEPT)
    assert (event.actor_id, event.reason) == (user.pk, "password")
    # The link works once: a second visit says so, clearly and without a 5xx.
    again = Client()
    again.cookies["django_language"] = "en"
    page = again.get(_path(invited.link), follow=True)
    assert page.status_code == 200 and "has been used already" in page.content.decode()


def test_a_weak_or_mismatched_password_is_refused_on_the_form(world):
    invited = _invite(world)
    _c, answer = _accept_on_the_web(_path(invited.link), password="kort")
    assert answer.status_code == 400
    assert Invitation.objects.get(pk=invited.invitation.pk).accepted_at is None


@pytest.mark.parametrize("how", ["expired", "revoked", "resent", "unknown"])
def test_dead_links_say_why(world, how):
    invited = _invite(world)
    link = _path(invited.link)
    if how == "expired":
        Invitation.objects.filter(pk=invited.invitation.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    elif how == "revoked":
        services.invitation_revoke(actor=world.m["adam"], membership=invited.membership)
    elif how == "resent":
        newer = services.invitation_resend(actor=world.m["adam"], membership=invited.membership)
        assert _token(newer.link) != _token(link)
    else:
        link = "/invitations/no-such-token-at-all/"
    c = Client()
    c.cookies["django_language"] = "en"
    page = c.get(link, follow=True)
    text = page.content.decode()
    assert page.status_code == 200 and "This invitation cannot be used" in text
    expected = {"expired": "has expired", "revoked": "no longer valid", "resent": "no longer valid"}
    assert expected.get(how, "not valid") in text
    post = c.post("/invitations/accept/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert post.status_code == 200 and not invited.membership.user.has_usable_password()


def test_single_sign_on_accepts_without_a_password(world):
    invited = _invite(world)
    accepted = invitation_accept(invited.invitation, via="sso")
    assert accepted.accepted_at is not None
    user = invited.membership.user
    user.refresh_from_db()
    assert not user.has_usable_password()
    with pytest.raises(UtveiError) as refused:
        invitation_accept(invited.invitation, via="sso")
    assert refused.value.code == "invitation_used"
    assert AuditEvent.objects.filter(action=Action.INVITATION_ACCEPT, reason="sso").count() == 1


def test_a_taken_username_and_a_resend_after_acceptance_are_refused(world):
    with pytest.raises(Conflict):
        _invite(world, username="OLA")
    invited = _invite(world)
    _accept_on_the_web(_path(invited.link))
    with pytest.raises(Conflict):
        services.invitation_resend(actor=world.m["adam"], membership=invited.membership)


# ---- Role, period, deactivation ----------------------------------------------------------------------------


def _signed_in(browse, world, username):
    session, token = browse(username), world.api(username)
    assert session.get("/cases/").status_code == 200
    assert token.get("/api/v1/cases/").status_code == 200
    return session, token


def test_deactivating_the_only_membership_ends_the_session_and_token_at_once(world, browse):
    session, token = _signed_in(browse, world, "ola")
    m = world.m["ola"]
    services.member_update(actor=world.m["adam"], membership=m, expected_version=m.version, active=False)
    page = session.get("/cases/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert token.get("/api/v1/cases/").status_code == 401
    assert AuditEvent.objects.filter(action=Action.MEMBER_DEACTIVATE, object_id=str(m.pk)).exists()
    assert AuditEvent.objects.filter(action=Action.CREDENTIALS_END, reason="deactivated").exists()


def test_deactivating_one_of_several_memberships_ends_only_what_it_gave(world, browse):
    other = user_create(username="ola", password=PASSWORD, org_slug="nav", role="caseworker", validate=False)
    ours = world.m["ola"]
    session, token = _signed_in(browse, world, "ola")  # the session acts in the municipality
    nav_token = world.api("ola") if False else None
    from utvei.api.models import ApiToken

    _t, raw = ApiToken.issue(membership=other, expires_at=timezone.now() + dt.timedelta(hours=1))
    nav_token = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    services.member_update(actor=world.m["adam"], membership=ours, expected_version=ours.version, active=False)
    assert token.get("/api/v1/cases/").status_code == 401  # the token bound to the municipality stops
    assert nav_token.get("/api/v1/cases/").status_code == 200  # the one bound to NAV goes on
    start = session.get("/")
    assert start.status_code == 200 and "NAV Testby" in start.content.decode()  # no longer the municipality
    assert "Testby kommune" not in start.content.decode().split("<main", 1)[-1].split("</main>", 1)[0]


def test_a_role_change_ends_the_sessions_and_a_stale_version_conflicts(world, browse):
    session, token = _signed_in(browse, world, "ola")
    m = world.m["ola"]
    changed = services.member_update(actor=world.m["adam"], membership=m, expected_version=1, role="coordinator")
    assert changed.role == "coordinator" and changed.version == 2
    assert token.get("/api/v1/cases/").status_code == 401
    assert session.get("/cases/").status_code == 302
    with pytest.raises(Conflict):
        services.member_update(actor=world.m["adam"], membership=m, expected_version=1, role="mentor")
    event = AuditEvent.objects.get(action=Action.MEMBER_ROLE)
    assert event.reason == "coordinator"


def test_a_role_the_user_has_already_is_a_conflict_not_an_error(world):
    second = user_create(username="ola", password=PASSWORD, org_slug="kommune", role="mentor", validate=False)
    with pytest.raises(Conflict):
        services.member_update(actor=world.m["adam"], membership=second, expected_version=1, role="caseworker")


def test_the_period_is_set_by_days_and_a_past_last_day_ends_it(world, browse):
    session, token = _signed_in(browse, world, "ola")
    m = world.m["ola"]
    today = timezone.localdate()
    services.member_update(
        actor=world.m["adam"], membership=m, expected_version=1, valid_from=today - dt.timedelta(10), last_day=today
    )
    m.refresh_from_db()
    assert m.is_current and token.get("/api/v1/cases/").status_code == 200
    assert AuditEvent.objects.get(action=Action.MEMBER_PERIOD).reason == (
        f"from={(today - dt.timedelta(10)).isoformat()};to={today.isoformat()}"
    )
    services.member_update(actor=world.m["adam"], membership=m, expected_version=2, last_day=today - dt.timedelta(1))
    assert token.get("/api/v1/cases/").status_code == 401
    with pytest.raises(UtveiError):
        services.member_update(
            actor=world.m["adam"], membership=m, expected_version=3, last_day=today - dt.timedelta(20)
        )


def test_an_administrator_does_not_change_their_own_membership(world):
    adam = world.m["adam"]
    with pytest.raises(UtveiError) as refused:
        services.member_update(actor=adam, membership=adam, expected_version=1, active=False)
    assert refused.value.code == "own_membership"


# ---- MFA reset -----------------------------------------------------------------------------------------------


def test_an_mfa_reset_removes_the_factors_ends_everything_and_keeps_the_text_out_of_the_audit(world, browse):
    session, token = _signed_in(browse, world, "ola")
    m = world.m["ola"]
    with pytest.raises(UtveiError):
        services.member_mfa_reset(actor=world.m["adam"], membership=m, reason="lost_device", explanation="  ")
    record = services.member_mfa_reset(
        actor=world.m["adam"], membership=m, reason="lost_device", explanation="Mistet telefonen på ferie"
    )
    assert record.removed >= 1 and not Authenticator.objects.filter(user=m.user).exists()
    assert session.get("/cases/").status_code == 302
    assert token.get("/api/v1/cases/").status_code == 401
    event = AuditEvent.objects.get(action=Action.MFA_RESET)
    assert (event.object_id, event.reason, event.actor_org_id) == (str(m.user_id), "lost_device", m.organisation_id)
    assert AuditEvent.objects.filter(action=Action.CREDENTIALS_END, reason="mfa_reset").exists()
    assert not AuditEvent.objects.filter(reason__icontains="telefon").exists()
    assert MfaReset.objects.get().explanation == "Mistet telefonen på ferie"
    with connection.cursor() as cursor:  # stored encrypted
        cursor.execute("SELECT explanation FROM administration_mfareset")
        assert "telefon" not in cursor.fetchone()[0]


# ---- Handover ------------------------------------------------------------------------------------------------


def _work_of_kari(world):
    """Kari leads a case with an open task, a pending follow-up and a meeting decision she owns."""
    case = world.open_case()
    kari = world.m["kari"]
    task = case_services.task_create(actor=kari, case=case, title="Ring NAV", assignee=kari.user)
    follow_up = FollowUp.objects.create(
        case=case, months=6, due_on=timezone.localdate(), owner=kari.user, owner_org=kari.organisation
    )
    meeting = Meeting.objects.create(
        case=case, kind="responsibility_group", starts_at=timezone.now(), author=kari.user, author_org=kari.organisation
    )
    decision = MeetingDecision.objects.create(
        meeting=meeting,
        text="Søke skoleplass",
        owner_user=kari.user,
        owner_org=kari.organisation,
        due_on=timezone.localdate(),
        created_by=kari.user,
    )
    return case, task, follow_up, decision


def test_a_handover_moves_everything_at_once_audited_and_the_new_lead_is_told(world, browse):
    case, task, follow_up, decision = _work_of_kari(world)
    kjell = world.m["kjell"]
    done = services.member_handover(actor=world.m["adam"], membership=world.m["kari"], to=kjell)
    assert (len(done.cases), done.tasks, done.follow_ups, done.decisions) == (1, 1, 1, 1)
    case.refresh_from_db()
    task.refresh_from_db()
    follow_up.refresh_from_db()
    decision.refresh_from_db()
    assert case.lead_id == task.assignee_id == follow_up.owner_id == decision.owner_user_id == kjell.user_id
    assert TeamMember.objects.current().filter(case=case, user=kjell.user, role="lead").exists()
    assert not TeamMember.objects.current().filter(case=case, user=world.m["kari"].user).exists()
    events = AuditEvent.objects.filter(action=Action.HANDOVER)
    assert events.count() == 4 and {e.reason for e in events} == {f"user={kjell.user_id}"}
    assert {e.object_type for e in events} == {"case", "task", "followup", "meetingdecision"}
    assert Notification.objects.filter(user=kjell.user, kind=NotificationKind.HANDOVER, case=case).count() == 1
    start = browse("kjell").get("/").content.decode()
    assert "Handed over to you" in start and case.reference in start


def test_the_colleague_must_be_able_to_lead_and_nothing_moves_otherwise(world):
    case, task, _f, _d = _work_of_kari(world)
    for who in ("rolf", "dina", "adam", "kari"):  # another organisation, no case role, the administrator, herself
        with pytest.raises((UtveiError, NotFound)):
            services.member_handover(actor=world.m["adam"], membership=world.m["kari"], to=world.m[who])
    with pytest.raises(UtveiError) as refused:
        services.member_handover(actor=world.m["adam"], membership=world.m["kari"], to=world.m["anna"])
    assert refused.value.code == "cannot_lead"
    case.refresh_from_db()
    assert case.lead_id == world.m["kari"].user_id and not AuditEvent.objects.filter(action=Action.HANDOVER).exists()
    assert sorted(c.user.username for c in rules.handover_candidates(world.m["adam"], world.m["kari"])) == [
        "kjell",
        "ola",
    ]


def test_nothing_to_hand_over_says_so(world):
    with pytest.raises(UtveiError) as refused:
        services.member_handover(actor=world.m["adam"], membership=world.m["ola"], to=world.m["kjell"])
    assert refused.value.code == "nothing_to_hand_over"


# ---- The DPO sees it -----------------------------------------------------------------------------------------


def test_the_dpo_finds_the_administrators_changes_in_the_access_log(world, dpo):
    invited = _invite(world)
    m = world.m["ola"]
    services.member_update(actor=world.m["adam"], membership=m, expected_version=1, role="coordinator")
    services.member_mfa_reset(actor=world.m["adam"], membership=m, reason="new_device", explanation="Ny telefon")
    page = dpo.get("/audit/?user=adam").content.decode()
    for label in ("User invited", "Role changed", "Second factor reset by an administrator"):
        assert label in page, label
    assert _token(invited.link) not in page
    # Another organisation's DPO does not see them.
    dora = Client()
    dora.force_login(world.m["dora"].user)
    TOTP.activate(world.m["dora"].user, generate_totp_secret())
    dora.cookies["django_language"] = "en"
    assert "User invited" not in dora.get("/audit/?user=adam").content.decode()


# ---- Pages ---------------------------------------------------------------------------------------------------


def test_the_members_list_shows_what_the_administrator_needs_in_a_constant_number_of_queries(world, browse):
    adam = browse("adam")
    _invite(world)
    with CaptureQueriesContext(connection) as few:
        page = adam.get("/organisation/members/")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in ("Tina Test", "tina", "Caseworker", "Invited, not accepted yet", "Not set up", "kari"):
        assert expected in text, expected
    assert "arne" not in text  # another organisation's member
    for i in range(5):
        _invite(world, username=f"ny{i}", role="mentor")
    with CaptureQueriesContext(connection) as many:
        assert adam.get("/organisation/members/").status_code == 200
    assert len(many) == len(few)


def test_the_start_page_links_to_the_members(world, browse):
    assert "/organisation/members/" in browse("adam").get("/").content.decode()


def test_invite_change_and_confirm_on_the_pages(world, browse):
    adam = browse("adam")
    answer = adam.post(
        "/organisation/members/invite/",
        {"username": "tina", "first_name": "Tina", "role": "caseworker", "email": ""},
    )
    text = answer.content.decode()
    assert answer.status_code == 200 and "/invitations/" in text and answer["Cache-Control"] == "no-store"
    bad = adam.post("/organisation/members/invite/", {"username": "tina", "role": "caseworker"})
    assert bad.status_code == 409 and "taken" in bad.content.decode()
    ola = world.m["ola"]
    url = f"/organisation/members/{ola.pk}/"
    assert adam.get(url).status_code == 200
    saved = adam.post(url, {"version": 1, "role": "coordinator", "valid_from": "", "last_day": ""})
    assert saved.status_code == 302
    assert not AuditEvent.objects.filter(action=Action.MEMBER_PERIOD).exists()  # the period was left as it was
    stale = adam.post(url, {"version": 1, "role": "mentor", "valid_from": "", "last_day": ""})
    assert stale.status_code == 409
    confirm = adam.get(url + "active/")
    assert confirm.status_code == 200 and "Deactivate" in confirm.content.decode()
    assert adam.post(url + "active/", {"version": 2}).status_code == 302
    assert not Membership.objects.get(pk=ola.pk).is_active
    reset = adam.post(url + "mfa-reset/", {"reason": "other", "explanation": ""})
    assert reset.status_code == 400
    assert adam.post(url + "mfa-reset/", {"reason": "other", "explanation": "Bytte"}).status_code == 302
    _work_of_kari(world)
    kari_url = f"/organisation/members/{world.m['kari'].pk}/handover/"
    assert "kjell" in adam.get(kari_url).content.decode()
    moved = adam.post(kari_url, {"colleague": world.m["kjell"].pk}, follow=True)
    assert "Handed over: 1 cases as lead" in moved.content.decode()


# ---- Access: every other role, and another organisation's administrator, gets 404 -------------------------


def _paths(world):
    ola = world.m["ola"].pk
    pages = ["/organisation/members/", "/organisation/members/invite/"] + [
        f"/organisation/members/{ola}/{suffix}" for suffix in ("", "active/", "mfa-reset/", "handover/")
    ]
    return pages, f"/organisation/members/{ola}/invitation/"


@pytest.mark.parametrize("username", ["kari", "ola", "mona", "rolf", "dina", "anna", "atle"])
def test_every_other_role_gets_404_on_the_pages_and_the_api(world, browse, username):
    pages, invitation = _paths(world)
    c = browse(username)
    for url in pages:
        assert c.get(url).status_code == 404, url
        if url != pages[0]:  # the list is read only (405 for a POST, to anyone)
            assert c.post(url, {}).status_code == 404, url
    assert c.post(invitation, {}).status_code == 404
    api = world.api(username)
    ola = world.m["ola"].pk
    for url in (API, f"{API}{ola}/"):
        assert api.get(url).status_code == 404, url
    for url in (API, f"{API}{ola}/mfa-reset/", f"{API}{ola}/handover/", f"{API}{ola}/invitation/"):
        assert api.post(url, {}, content_type="application/json").status_code == 404, url
    assert api.patch(f"{API}{ola}/", {"version": 1}, content_type="application/json").status_code == 404


def test_another_organisations_administrator_gets_404_for_our_members(world, browse):
    user_create(username="alma", password=PASSWORD, org_slug="annen", role="org_admin", validate=False)
    world.m["alma"] = Membership.objects.select_related("user", "organisation").get(user__username="alma")
    pages, invitation = _paths(world)
    c = browse("alma")
    assert "Testby kommune" not in c.get("/organisation/members/").content.decode()
    for url in pages[2:]:
        assert c.get(url).status_code == 404, url
    assert c.post(invitation, {}).status_code == 404
    api = world.api("alma")
    assert api.get(API).status_code == 404
    assert api.get(f"{API}{world.m['ola'].pk}/").status_code == 404
    assert api.get(f"/api/v1/organisations/annen/members/{world.m['ola'].pk}/").status_code == 404
    assert api.get("/api/v1/organisations/annen/members/").status_code == 200


# ---- API -------------------------------------------------------------------------------------------------------


def test_the_api_lists_invites_changes_resets_and_hands_over(world):
    api = world.api("adam")
    listed = api.get(API).json()
    assert {"kari", "ola", "adam"} <= {r["username"] for r in listed["results"]}
    assert "arne" not in {r["username"] for r in listed["results"]}
    made = api.post(API, {"username": "tina", "role": "caseworker"}, content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert body["emailed"] is False and "/invitations/" in body["invitation_url"]
    assert body["member"]["invitation"] == "pending" and body["member"]["mfa"] is False
    tina = body["member"]["id"]
    again = api.post(f"{API}{tina}/invitation/", {}, content_type="application/json")
    assert again.status_code == 200 and again.json()["invitation_url"] != body["invitation_url"]
    revoked = api.post(f"{API}{tina}/invitation/", {"revoke": True}, content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["member"]["invitation"] == "revoked"
    assert api.post(f"{API}{tina}/invitation/", {"revoke": True}, content_type="application/json").status_code == 409
    taken = api.post(API, {"username": "tina", "role": "caseworker"}, content_type="application/json")
    assert taken.status_code == 409 and taken.json()["error"] == "conflict"
    assert api.post(API, {"username": "x", "role": "king"}, content_type="application/json").status_code == 400

    ola = world.m["ola"].pk
    patched = api.patch(f"{API}{ola}/", {"version": 1, "role": "coordinator"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["role"] == "coordinator" and patched.json()["version"] == 2
    stale = api.patch(f"{API}{ola}/", {"version": 1, "active": False}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    assert api.patch(f"{API}{ola}/", {"active": False}, content_type="application/json").status_code == 400
    reset = api.post(
        f"{API}{ola}/mfa-reset/", {"reason": "lost_device", "explanation": "Ny"}, content_type="application/json"
    )
    assert reset.status_code == 200
    no_text = api.post(f"{API}{ola}/mfa-reset/", {"reason": "lost_device"}, content_type="application/json")
    assert no_text.status_code == 400

    _work_of_kari(world)
    kari = world.m["kari"].pk
    refused = api.post(f"{API}{kari}/handover/", {"to": world.m["anna"].pk}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["error"] == "cannot_lead"
    stranger = api.post(f"{API}{kari}/handover/", {"to": world.m["arne"].pk}, content_type="application/json")
    assert stranger.status_code == 422
    handed = api.post(f"{API}{kari}/handover/", {"to": world.m["kjell"].pk}, content_type="application/json")
    assert handed.status_code == 200 and handed.json() == {"cases": 1, "tasks": 1, "follow_ups": 1, "decisions": 1}
    assert Task.objects.get().assignee_id == world.m["kjell"].user_id


def test_the_api_list_makes_a_constant_number_of_queries(world):
    api = world.api("adam")
    with CaptureQueriesContext(connection) as few:
        before = api.get(API).json()["count"]
    for i in range(5):
        _invite(world, username=f"ny{i}", role="mentor")
    with CaptureQueriesContext(connection) as many:
        answer = api.get(API)
    assert answer.status_code == 200 and answer.json()["count"] == before + 5
    assert len(many) == len(few)
