"""Single sign-on (accounts/sso.py): who a provider login is matched to, when the provider's multi-factor counts, the
adapter's refusals and links, the login page's buttons, the MFA requirement after it, and `utvei idp`.
The whole flow against a real OpenID Connect provider is in tests/browser/test_sso_browser.py."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from allauth.account.models import Login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from utvei.accounts.middleware import SSO_MFA
from utvei.accounts.models import IdentityProvider, Invitation, Membership, User
from utvei.accounts.services import idp_add, invitation_issue, invitation_refusal
from utvei.accounts.sso import MFA_STATE, Refused, SocialAccountAdapter, mfa_asserted, sso_match
from utvei.accounts.stages import AuthenticateStage
from utvei.audit.models import Action, AuditEvent

ISSUER = "https://idp.testby.example"


@pytest.fixture(autouse=True)
def _no_discovery(monkeypatch: Any) -> None:
    """No network here: the provider's discovery document (its authorization endpoint) is not read."""
    monkeypatch.setattr("utvei.accounts.services.authorization_origin", lambda issuer: "")


@pytest.fixture
def idp(world: Any) -> IdentityProvider:
    return idp_add(
        org_slug="kommune",
        provider_id="testby-id",
        name="Testby ID",
        server_url=ISSUER,
        client_id="utvei",
        secret="the-client-secret",
        mfa_acr=["idporten-loa-high", "idporten-loa-substantial"],
    )


def invited(world: Any, username: str, email: str, org: str = "kommune", role: str = "caseworker") -> User:
    user = User(username=username, email=email)
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, organisation=world.orgs[org], role=role)
    invitation_issue(membership=membership, by=None)  # as the administrator's invitation does
    return user


# ---- the multi-factor decision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "asserted"),
    [
        ({"acr": "idporten-loa-high"}, True),  # an acr the provider is configured to count
        ({"acr": "idporten-loa-substantial", "amr": ["Minid-PIN"]}, True),
        ({"acr": "idporten-loa-low"}, False),  # an acr it is not
        ({"amr": ["mfa"]}, True),  # RFC 8176: multiple factors
        ({"amr": ["pwd", "mca"]}, True),  # multiple channels
        ({"amr": ["pwd", "otp"]}, True),  # two kinds: known and held
        ({"amr": ["pin", "hwk"]}, True),  # a security key with its PIN
        ({"amr": ["face", "swk"]}, True),  # a biometric and a key on the device
        ({"amr": ["otp"]}, False),  # a one-time code alone is one factor
        ({"amr": ["hwk"]}, False),
        ({"amr": ["pwd"]}, False),
        ({"amr": ["pwd", "pin", "kba"]}, False),  # three of one kind are one factor
        ({"amr": "mfa"}, False),  # not a list: not what the standard says, not counted
        ({"acr": ["idporten-loa-high"]}, False),
        ({}, False),
    ],
)
def test_the_id_tokens_acr_and_amr_decide_whether_the_provider_asserted_mfa(idp, claims, asserted):
    assert mfa_asserted(idp, claims) is asserted


def test_the_amr_values_that_count_by_themselves_are_configurable(idp):
    idp.mfa_amr = ["otp"]
    assert mfa_asserted(idp, {"amr": ["otp"]})
    assert not mfa_asserted(idp, {"amr": ["mfa"]})
    idp.mfa_acr = []
    assert not mfa_asserted(idp, {"acr": "idporten-loa-high"})


# ---- the matching rule -----------------------------------------------------------------------------------


def test_a_verified_email_of_exactly_one_current_member_matches_case_aside(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    assert sso_match(idp, uid="sub-1", email="Ola.SSO@testby.no", email_verified=True) == ola


@pytest.mark.parametrize(
    ("email", "verified", "reason"),
    [
        ("ola.sso@testby.no", False, "unverified_email"),
        ("", True, "no_email"),
        ("nobody@testby.no", True, "no_member"),
        ("ola.sso@testby.no.evil", True, "no_member"),  # equal, not contained
    ],
)
def test_anything_else_is_refused(world, idp, email, verified, reason):
    invited(world, "ola-sso", "ola.sso@testby.no")
    with pytest.raises(Refused) as refused:
        sso_match(idp, uid="sub-1", email=email, email_verified=verified)
    assert refused.value.reason == reason


def test_a_provider_trusted_for_email_needs_no_email_verified(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    idp.trust_email = True
    assert sso_match(idp, uid="sub-1", email="ola.sso@testby.no", email_verified=False) == ola


def test_a_member_of_another_organisation_is_not_matched(world, idp):
    invited(world, "atle-sso", "atle.sso@annenby.no", org="annen")
    with pytest.raises(Refused, match="no_member"):
        sso_match(idp, uid="sub-1", email="atle.sso@annenby.no", email_verified=True)


def test_a_membership_that_ended_or_was_made_inactive_does_not_match(world, idp):
    ended = invited(world, "ended", "ended@testby.no")
    Membership.objects.filter(user=ended).update(valid_until=timezone.now() - dt.timedelta(days=1))
    inactive = invited(world, "inactive", "inactive@testby.no")
    Membership.objects.filter(user=inactive).update(is_active=False)
    for email in ("ended@testby.no", "inactive@testby.no"):
        with pytest.raises(Refused, match="no_member"):
            sso_match(idp, uid="sub-1", email=email, email_verified=True)


def test_two_members_with_the_same_address_are_ambiguous(world, idp):
    invited(world, "one", "shared@testby.no")
    invited(world, "two", "SHARED@testby.no")
    with pytest.raises(Refused, match="ambiguous"):
        sso_match(idp, uid="sub-1", email="shared@testby.no", email_verified=True)


def test_a_linked_subject_matches_its_user_whatever_the_email_while_they_are_a_member(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    SocialAccount.objects.create(user=ola, provider="testby-id", uid="sub-1")
    assert sso_match(idp, uid="sub-1", email="renamed@testby.no", email_verified=False) == ola
    Membership.objects.filter(user=ola).update(is_active=False)
    with pytest.raises(Refused, match="not_member"):
        sso_match(idp, uid="sub-1", email="ola.sso@testby.no", email_verified=True)


def test_a_user_linked_to_one_subject_is_not_taken_by_another(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    SocialAccount.objects.create(user=ola, provider="testby-id", uid="sub-1")
    with pytest.raises(Refused, match="linked_elsewhere"):
        sso_match(idp, uid="sub-2", email="ola.sso@testby.no", email_verified=True)


# ---- the adapter -----------------------------------------------------------------------------------------


def request_for(path: str = "/accounts/oidc/testby-id/login/callback/") -> Any:
    request = RequestFactory().get(path)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def sociallogin(uid: str, userinfo: dict[str, Any], id_token: dict[str, Any]) -> SocialLogin:
    account = SocialAccount(provider="testby-id", uid=uid, extra_data={"userinfo": userinfo, "id_token": id_token})
    login = SocialLogin(user=User(email=userinfo.get("email", "")), account=account)
    login.state = {"process": "login"}
    return login


def test_the_first_login_links_the_invited_user_and_says_whether_mfa_was_asserted(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    login = sociallogin(
        "sub-1", {"sub": "sub-1", "email": "ola.sso@testby.no", "email_verified": True}, {"acr": "idporten-loa-high"}
    )
    SocialAccountAdapter().pre_social_login(request_for(), login)
    assert login.is_existing and login.user == ola
    assert login.state[MFA_STATE] is True
    assert SocialAccount.objects.get(provider="testby-id", uid="sub-1").user == ola
    assert AuditEvent.objects.filter(action=Action.SSO_LINK, actor_id=ola.pk).count() == 1


def test_the_first_provider_login_accepts_the_open_invitation_and_its_link_dies(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    invitation = Invitation.objects.get(user=ola)
    login = sociallogin("sub-1", {"sub": "sub-1", "email": "ola.sso@testby.no", "email_verified": True}, {})
    SocialAccountAdapter().pre_social_login(request_for(), login)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action=Action.INVITATION_ACCEPT, actor_id=ola.pk, reason="sso").count() == 1
    assert invitation_refusal(invitation) is not None  # the link in the e-mail no longer works


@pytest.mark.parametrize("closed", ["revoked_at", "expires_at"])
def test_an_invitation_that_was_withdrawn_or_expired_lets_nobody_in_through_the_provider(world, idp, closed):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    Invitation.objects.filter(user=ola).update(**{closed: timezone.now() - dt.timedelta(minutes=1)})
    with pytest.raises(Refused) as exc:
        sso_match(idp, uid="sub-1", email="ola.sso@testby.no", email_verified=True)
    assert exc.value.reason == "invitation_closed"


def test_a_member_who_took_up_the_account_with_a_password_needs_no_open_invitation(world, idp):
    ola = invited(world, "ola-sso", "ola.sso@testby.no")
    Invitation.objects.filter(user=ola).update(revoked_at=timezone.now())
    ola.set_password("a long enough password 1")
    ola.save()
    assert sso_match(idp, uid="sub-1", email="ola.sso@testby.no", email_verified=True) == ola


def test_a_login_nobody_invited_is_refused_in_the_users_language_and_no_user_is_made(world, idp):
    users = User.objects.count()
    request = request_for()
    login = sociallogin("sub-9", {"sub": "sub-9", "email": "stranger@elsewhere.no", "email_verified": True}, {})
    with translation.override("en"), pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(request, login)
    assert refused.value.response["Location"] == "/accounts/login/"
    assert [str(m) for m in get_messages(request)] == [
        "Your organisation has not invited you to Utvei; ask your administrator."
    ]
    assert User.objects.count() == users and not SocialAccount.objects.exists()
    event = AuditEvent.objects.get(action=Action.SSO_REFUSED)
    assert (event.object_id, event.reason) == ("testby-id", "no_member")
    assert "stranger" not in str(AuditEvent.objects.values_list("object_id", "reason", "object_type").last())


def test_connecting_a_provider_to_a_signed_in_account_is_refused(world, idp):
    invited(world, "ola-sso", "ola.sso@testby.no")
    login = sociallogin("sub-1", {"sub": "sub-1", "email": "ola.sso@testby.no", "email_verified": True}, {})
    login.state = {"process": "connect"}
    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter().pre_social_login(request_for(), login)
    assert not SocialAccount.objects.exists()


def test_an_inactive_provider_is_no_app_and_refused(world, idp):
    IdentityProvider.objects.filter(pk=idp.pk).update(is_active=False)
    assert SocialAccountAdapter().list_apps(None) == []
    login = sociallogin("sub-1", {"sub": "sub-1", "email": "ola.sso@testby.no", "email_verified": True}, {})
    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter().pre_social_login(request_for(), login)
    assert AuditEvent.objects.filter(action=Action.SSO_REFUSED, reason="no_provider").count() == 1


def test_nobody_signs_up_through_a_provider(world, idp):
    adapter = SocialAccountAdapter()
    login = sociallogin("sub-1", {"sub": "sub-1"}, {})
    assert adapter.is_open_for_signup(request_for(), login) is False
    assert adapter.is_auto_signup_allowed(request_for(), login) is False


def test_the_apps_are_the_providers_with_the_secret_from_the_keyring_or_the_environment(world, idp, monkeypatch):
    (app,) = SocialAccountAdapter().list_apps(None, provider="testby-id")
    assert (app.provider, app.provider_id, app.client_id, app.secret) == (
        "openid_connect",
        "testby-id",
        "utvei",
        idp.secret,
    )
    assert app.settings["server_url"] == ISSUER
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_identityprovider WHERE id = %s", [idp.pk])
        (stored,) = cursor.fetchone()
    assert "the-client-secret" not in stored  # encrypted with the keyring
    monkeypatch.setenv("TESTBY_IDP_SECRET", "from-the-environment")
    IdentityProvider.objects.filter(pk=idp.pk).update(secret="", secret_env="TESTBY_IDP_SECRET")
    (app,) = SocialAccountAdapter().list_apps(None, provider="openid_connect")
    assert app.secret == "from-the-environment"
    assert SocialAccountAdapter().list_apps(None, provider="google") == []


# ---- MFA after a provider login --------------------------------------------------------------------------


def test_utveis_code_is_skipped_only_when_the_provider_asserted_mfa(world, idp):
    request = request_for()
    user = world.m["kari"].user
    TOTP.activate(user, generate_totp_secret())  # she has Utvei's own authenticator
    for asserted, handled in ((True, False), (False, True), (None, True)):
        login = sociallogin("sub-1", {"sub": "sub-1"}, {})
        if asserted is not None:
            login.state[MFA_STATE] = asserted
        stage = AuthenticateStage(None, request, Login(user=user, signal_kwargs={"sociallogin": login}))
        assert stage._should_handle(request) is handled
    assert AuthenticateStage(None, request, Login(user=user))._should_handle(request) is True  # a password login


def test_a_session_whose_provider_asserted_mfa_needs_no_set_up_of_utveis_own(world):
    client = world.client("kari")  # a coordinator without an authenticator
    assert client.get("/cases/")["Location"] == "/accounts/2fa/totp/activate/"
    session = client.session
    session[SSO_MFA] = True
    session.save()
    assert client.get("/cases/").status_code == 200


# ---- the login page --------------------------------------------------------------------------------------


def test_the_login_page_has_a_sign_in_button_per_provider_posting_to_start_the_flow(world, idp):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/")
    html = page.content.decode()
    assert '<form method="post" action="/accounts/oidc/testby-id/login/"' in html
    assert ">Sign in with Testby ID</button>" in html
    # The sign-in's answer is a redirect to the provider, which the page's form-action must let through.
    assert f"form-action 'self' {ISSUER};" in page["Content-Security-Policy"]
    # Elsewhere forms post here only.
    assert "form-action 'self';" in Client().get("/accounts/password/reset/")["Content-Security-Policy"]


def test_without_providers_the_login_page_has_no_buttons(world):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/")
    assert "Sign in with" not in page.content.decode()
    assert "form-action 'self';" in page["Content-Security-Policy"]


def test_a_get_of_the_providers_login_address_does_not_start_the_flow(world, idp):
    r = Client().get("/accounts/oidc/testby-id/login/")
    assert r.status_code == 200  # allauth's confirmation page: a link alone starts nothing


# ---- `utvei idp` -----------------------------------------------------------------------------------------


def run(*args: str, monkeypatch: Any = None, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("idp", *args, stdout=out)
    return out.getvalue()


def test_the_command_adds_lists_and_removes_a_provider(world, monkeypatch):
    out = run(
        "add", "--org", "kommune", "--id", "testby-entra", "--name", "Testby Entra ID", "--issuer", ISSUER + "/v2.0/",
        "--client-id", "abc", "--mfa-acr", "loa-high", "--trust-email",
        monkeypatch=monkeypatch, stdin="s3cret-from-stdin\n",
    )  # fmt: skip
    assert "/accounts/oidc/testby-entra/login/callback/" in out
    idp = IdentityProvider.objects.get(provider_id="testby-entra")
    assert (idp.organisation.slug, idp.server_url, idp.secret, idp.mfa_acr, idp.mfa_amr, idp.trust_email) == (
        "kommune", ISSUER + "/v2.0", "s3cret-from-stdin", ["loa-high"], ["mca", "mfa"], True,
    )  # fmt: skip
    monkeypatch.setenv("UTVEI_IDP_SECRET", "unused")
    run("add", "--org", "annen", "--id", "annen-id", "--name", "Annen", "--issuer", ISSUER, "--client-id", "x",
        "--secret-env", "ANNEN_IDP_SECRET")  # fmt: skip
    listed = run("list")
    assert "testby-entra\tkommune\tTestby Entra ID" in listed and "secret stored encrypted" in listed
    assert "s3cret" not in listed
    assert "annen-id\tannen" in listed and "secret env:ANNEN_IDP_SECRET" in listed
    ola = invited(world, "ola-sso", "ola@testby.no")
    SocialAccount.objects.create(user=ola, provider="testby-entra", uid="sub-1")
    run("remove", "testby-entra")
    assert not IdentityProvider.objects.filter(provider_id="testby-entra").exists()
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(pk=ola.pk).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="idp.").values_list("action", "object_id"))
    assert actions == [
        (Action.IDP_ADD, "testby-entra"),
        (Action.IDP_ADD, "annen-id"),
        (Action.IDP_REMOVE, "testby-entra"),
    ]


def add(org: str = "kommune", pid: str = "x", issuer: str = ISSUER, *extra: str) -> list[str]:
    return ["add", "--org", org, "--id", pid, "--name", "X", "--issuer", issuer, "--client-id", "c", *extra]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--org", "kommune", "--id", "x", "--name", "X", "--client-id", "c"], "--issuer"),
        (add("nowhere"), "organisation"),
        (add("kommune", "Not A Slug"), "id"),
        (add("kommune", "x", "not-a-url"), "https"),
        (add("kommune", "x", ISSUER, "--secret-env", "lower-case"), "environment variable"),
        (["remove", "nowhere"], "identity provider"),
        (["remove"], "name the provider"),
    ],
)
def test_the_command_refuses_what_it_cannot_use(world, monkeypatch, args, message):
    monkeypatch.setenv("UTVEI_IDP_SECRET", "s")
    with translation.override("en"), pytest.raises(CommandError, match=message):
        run(*args)
    assert not IdentityProvider.objects.exists()


def test_a_second_provider_with_the_same_id_is_refused(world, idp, monkeypatch):
    monkeypatch.setenv("UTVEI_IDP_SECRET", "s")
    with translation.override("en"), pytest.raises(CommandError, match="exists"):
        run("add", "--org", "kommune", "--id", "testby-id", "--name", "X", "--issuer", ISSUER, "--client-id", "c")
