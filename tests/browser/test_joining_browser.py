"""Issue 14's acceptance, in Chromium, end to end: the organisation administrator invites a caseworker, who signs in
through the organisation's OpenID Connect provider (a real one, started here: tests/oidc), sets up Utvei's own
second factor (the provider asserted none), and is added to a case by a search for their name; the administrator
deactivates them, and their open session and their API token stop working on the next request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.support import A11yLog, code_for, give_totp, log_in
from tests.browser.test_walkthrough import add_to_team
from tests.oidc.server import oidc_provider
from utvei.accounts.models import Invitation, Membership
from utvei.accounts.services import idp_add
from utvei.api.models import ApiToken
from utvei.audit.models import Action, AuditEvent

pytestmark = pytest.mark.browser

PROVIDER_ID = "testby-id"
CLIENT = {"client_id": "utvei-joining", "client_secret": "a-test-client-secret"}
TINA = {"password": "idp-pass-tina", "email": "tina.test@testby.no", "name": "Tina Test", "amr": ["pwd"]}


@pytest.fixture
def issuer(live_server: Any) -> Iterator[str]:
    client = {**CLIENT, "redirect_uris": [f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"]}
    with oidc_provider(clients=[client], accounts={"tina.idp": TINA}) as url:
        yield url


def test_invited_signed_in_through_the_provider_added_by_name_and_deactivated(live_server, world, issuer, browser_page):
    base = live_server.url
    a11y = A11yLog("joining")
    # The server's administrator has configured the municipality's identity provider (`utvei idp add`).
    idp_add(
        org_slug="kommune",
        provider_id=PROVIDER_ID,
        name="Testby ID",
        server_url=issuer,
        client_id=CLIENT["client_id"],
        secret=CLIENT["client_secret"],
        mfa_acr=["loa-high"],
    )
    case = world.open_case(name="Kåre Testesen")

    # The organisation administrator invites Tina.
    admin = browser_page()
    log_in(admin, base, "adam")
    admin.get_by_role("link", name="Manage the members").click()
    admin.get_by_role("link", name="Invite a user").click()
    admin.get_by_label("Username").fill("tina")
    admin.get_by_label("First name").fill("Tina")
    admin.get_by_label("Last name").fill("Test")
    admin.get_by_label("E-mail").fill(TINA["email"])
    admin.get_by_label("Role").select_option("caseworker")
    admin.get_by_role("button", name="Invite").click()
    sent = admin.get_by_role("status").filter(has_text="The invitation for tina has been sent by e-mail.")
    expect(sent).to_be_visible()
    a11y.check(admin, "invited")
    tina_m = Membership.objects.get(user__username="tina", organisation=world.orgs["kommune"])
    assert Invitation.objects.get(user=tina_m.user).accepted_at is None

    # Tina signs in through her organisation's provider: no password in Utvei, and no user made by the provider.
    tina = browser_page()
    tina.goto(f"{base}/accounts/login/")
    tina.get_by_role("button", name="Sign in with Testby ID").click()
    tina.wait_for_url(lambda url: "/interaction/" in url)
    tina.get_by_label("Username").fill("tina.idp")
    tina.get_by_label("Password").fill(TINA["password"])
    tina.get_by_role("button", name="Sign in").click()
    tina.wait_for_url(lambda url: url.startswith(base) and "/accounts/oidc/" not in url)
    # The provider asserted no second factor: Utvei's own, set up now.
    expect(tina).to_have_url(f"{base}/accounts/2fa/totp/activate/")
    a11y.check(tina, "totp")
    secret = tina.get_by_label("Secret for typing in").input_value()
    tina.get_by_label("Authenticator code").fill(code_for(secret))
    tina.get_by_role("button", name="Activate").click()
    tina.wait_for_url(lambda url: "/accounts/2fa/recovery-codes/" in url)
    tina.goto(f"{base}/")
    expect(tina.get_by_text("You are acting as Caseworker in Testby kommune.")).to_be_visible()
    # Her first sign-in through the provider took up the invitation: its link is dead, the administrator sees it.
    invitation = Invitation.objects.get(user=tina_m.user)
    assert invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action=Action.INVITATION_ACCEPT, actor_id=tina_m.user_id, reason="sso").exists()
    admin.goto(f"{base}/organisation/members/")
    expect(admin.get_by_role("row").filter(has_text="tina")).to_contain_text("Accepted")

    # The coordinator finds her by name in her organisation and adds her to the team.
    kari = browser_page()
    log_in(kari, base, "kari", give_totp(world.m["kari"].user))
    kari.goto(f"{base}/cases/{case.public_id}/")
    add_to_team(kari, "tina", "Testby kommune")
    a11y.check(kari, "team")
    tina.goto(f"{base}/cases/{case.public_id}/")
    expect(tina.get_by_role("heading", level=1)).to_have_text(f"Case {case.reference}")

    # Her API token (bound to this membership) works, until the administrator deactivates her.
    _token, raw = ApiToken.issue(membership=tina_m, expires_at=timezone.now() + dt.timedelta(hours=1))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/v1/cases/{case.public_id}/").status_code == 200

    admin.goto(f"{base}/organisation/members/")
    admin.get_by_role("row").filter(has_text="tina").get_by_role("link", name="Tina Test").click()
    admin.get_by_role("link", name="Deactivate the membership").click()
    admin.get_by_role("button", name="Deactivate").click()
    expect(admin.get_by_role("status").filter(has_text="The membership is deactivated")).to_be_visible()

    # The next request: her open page is signed out, her token refused.
    tina.reload()
    assert "/accounts/login/" in tina.url
    assert api.get(f"/api/v1/cases/{case.public_id}/").status_code == 401
    a11y.assert_clean()
