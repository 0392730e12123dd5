"""In Chromium, against a real OpenID Connect provider (tests/oidc: panva's certified oidc-provider, started on a
free port): single sign-on for invited members only, and Utvei's own MFA where the provider does not assert it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from tests.browser.support import code_for, give_totp, serious_violations
from tests.oidc.server import oidc_provider
from utvei.accounts.models import Membership, User
from utvei.accounts.services import idp_add, invitation_issue
from utvei.audit.models import Action, AuditEvent

pytestmark = pytest.mark.browser

PROVIDER_ID = "testby-id"
CLIENT = {"client_id": "utvei-testby", "client_secret": "a-test-client-secret"}
ACCOUNTS = {
    # The provider signs them in with a password only: Utvei asks for its own second factor.
    "ola.idp": {"password": "idp-pass-ola", "email": "ola.sso@testby.no", "name": "Ola", "amr": ["pwd"]},
    # The provider asserts multi-factor (its acr, and a password with a one-time code).
    "kari.idp": {
        "password": "idp-pass-kari",
        "email": "Kari.SSO@testby.no",
        "name": "Kari",
        "acr": "loa-high",
        "amr": ["pwd", "otp"],
    },
    # Nobody in Utvei has this address.
    "stranger.idp": {"password": "idp-pass-stranger", "email": "stranger@elsewhere.no", "name": "S", "amr": ["pwd"]},
}


@pytest.fixture(scope="module")
def issuer(live_server: Any) -> Iterator[str]:
    client = {**CLIENT, "redirect_uris": [f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"]}
    with oidc_provider(clients=[client], accounts=ACCOUNTS) as url:
        yield url


@pytest.fixture
def idp(world: Any, issuer: str) -> Any:
    return idp_add(
        org_slug="kommune",
        provider_id=PROVIDER_ID,
        name="Testby ID",
        server_url=issuer,
        client_id=CLIENT["client_id"],
        secret=CLIENT["client_secret"],
        mfa_acr=["loa-high"],
    )


def invited(world: Any, username: str, email: str, role: str) -> User:
    """A user as an organisation administrator's invitation leaves them: no usable password, a current membership."""
    user = User(username=username, email=email)
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, organisation=world.orgs["kommune"], role=role)
    invitation_issue(membership=membership, by=None)  # as the administrator's invitation does
    return user


def sign_in_at_provider(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Sign in with Testby ID").click()
    # The provider's own login form, or (a second sign-in, its session still open) straight back to Utvei.
    page.wait_for_url(lambda url: "/interaction/" in url or (url.startswith(base) and "/accounts/login/" not in url))
    if "/interaction/" in page.url:
        assert serious_violations(page) == []  # (the test provider's page: kept accessible too)
        page.get_by_label("Username").fill(login)
        page.get_by_label("Password").fill(ACCOUNTS[login]["password"])
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.startswith(base) and "/accounts/oidc/" not in url)
    page.wait_for_load_state()


def test_a_member_signs_in_through_the_provider_and_sets_up_utveis_own_code(live_server, world, idp, page):
    base = live_server.url
    ola = invited(world, "ola-sso", "ola.sso@testby.no", "caseworker")
    page.goto(f"{base}/accounts/login/")
    assert page.get_by_role("button", name="Sign in with Testby ID").is_visible()
    assert serious_violations(page) == []

    sign_in_at_provider(page, base, "ola.idp")
    # The provider did not assert a second factor: a caseworker without one sets up Utvei's authenticator.
    assert page.url.endswith("/accounts/2fa/totp/activate/"), page.url
    assert serious_violations(page) == []
    secret = page.get_by_label("Secret for typing in").input_value()
    page.get_by_label("Authenticator code").fill(code_for(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/recovery-codes/")
    page.goto(f"{base}/")
    assert "/accounts/" not in page.url
    expect(page.locator("main")).to_be_visible()

    assert SocialAccount.objects.filter(provider=PROVIDER_ID, user=ola).count() == 1
    events = AuditEvent.objects.filter(actor_id=ola.pk)
    assert events.filter(action=Action.SSO_LINK).count() == 1
    assert events.filter(action=Action.LOGIN, reason="sso").count() == 1

    # Signed out and in again through the provider: now Utvei asks for the code of the app just set up.
    page.get_by_role("button", name="Log out").first.click()
    if "/accounts/logout/" in page.url:
        page.get_by_role("button", name="Log out").click()
    sign_in_at_provider(page, base, "ola.idp")
    assert page.url.endswith("/accounts/2fa/authenticate/"), page.url
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert events.filter(action=Action.LOGIN, reason="sso").count() == 2
    assert events.filter(action=Action.SSO_LINK).count() == 1  # linked once


def test_the_provider_asserts_mfa_so_utvei_asks_for_no_code(live_server, world, idp, page):
    base = live_server.url
    kari = invited(world, "kari-sso", "kari.sso@testby.no", "coordinator")
    give_totp(kari)  # she has Utvei's own authenticator too: the provider's second factor stands for it
    sign_in_at_provider(page, base, "kari.idp")
    assert "/accounts/" not in page.url, page.url
    expect(page.locator("main")).to_be_visible()
    assert serious_violations(page) == []
    assert AuditEvent.objects.filter(actor_id=kari.pk, action=Action.MFA_VERIFIED, reason="sso").count() == 1


def test_a_provider_account_nobody_invited_is_refused_and_no_user_is_made(live_server, world, idp, page):
    base = live_server.url
    users = User.objects.count()
    sign_in_at_provider(page, base, "stranger.idp")
    assert page.url.startswith(f"{base}/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text("Your organisation has not invited you to Utvei")
    assert serious_violations(page) == []
    assert User.objects.count() == users
    assert not User.objects.filter(email__iexact="stranger@elsewhere.no").exists()
    assert not SocialAccount.objects.exists()
    assert AuditEvent.objects.filter(action=Action.SSO_REFUSED, reason="no_member").count() == 1
