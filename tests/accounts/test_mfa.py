"""Multi-factor authentication: required for roles that read case content, and allauth's pages in our layout."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import PASSWORD


def code_for(secret: str) -> str:
    """The authenticator app's current code (waiting out the last second of a period, so it stays valid)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 2:
        time.sleep(2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def login(username: str) -> tuple[Client, object]:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    r = c.post("/accounts/login/", {"login": username, "password": PASSWORD})
    return c, r


def reauthenticated(username: str) -> Client:
    """Logged in, and past allauth's "confirm access" step that guards adding an authenticator."""
    c, _ = login(username)
    c.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return c


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)


def assert_no_external_resources(html: str) -> None:
    for attr in re.findall(r'\s(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", attr), attr


# ---- the requirement ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["kari", "ola", "mona", "dina"])
def test_roles_reading_case_content_are_sent_to_set_up_mfa(world, username):
    r = world.client(username).get("/cases/")
    assert r.status_code == 302
    assert r["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("username", ["rolf", "anna", "adam"])
def test_other_roles_are_not_forced(world, username):
    r = world.client(username).get("/audit/")
    assert r.status_code == 404  # not theirs, but not an MFA redirect either


def test_demo_mode_does_not_force_mfa(world, settings):
    settings.DEMO = True
    r = world.client("kari").get("/audit/")
    assert r.status_code == 404


def test_with_mfa_the_coordinator_gets_through(world, client_for):
    r = client_for("kari").get("/audit/")
    assert r.status_code == 404  # past the MFA check; the access log is the DPO's


def test_recovery_codes_alone_do_not_count(world):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(world.m["kari"].user)
    assert world.client("kari").get("/cases/")["Location"] == "/accounts/2fa/totp/activate/"


def test_the_account_pages_stay_reachable_without_mfa(world):
    c = world.client("kari")
    assert c.get("/accounts/2fa/").status_code == 200
    assert c.post("/accounts/logout/").status_code == 302


# ---- the login stage ------------------------------------------------------------------------------------


def test_login_asks_for_the_code_and_a_correct_code_lets_in(world):
    secret = generate_totp_secret()
    TOTP.activate(world.m["kari"].user, secret)
    c, r = login("kari")
    assert r.status_code == 302
    assert r["Location"] == "/accounts/2fa/authenticate/"
    assert not c.get("/accounts/2fa/authenticate/").wsgi_request.user.is_authenticated
    page = c.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "base.html" in [t.name for t in page.templates]
    assert '<label for="id_code">' in html
    assert 'autocomplete="one-time-code"' in html
    r = c.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert c.session["_auth_user_id"] == str(world.m["kari"].user_id)
    assert c.get("/cases/").wsgi_request.user.is_authenticated


def test_a_wrong_code_keeps_the_user_out(world):
    secret = generate_totp_secret()
    TOTP.activate(world.m["kari"].user, secret)
    c, _ = login("kari")
    right = code_for(secret)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    r = c.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert r.status_code == 200
    assert 'aria-invalid="true"' in r.content.decode()
    assert "_auth_user_id" not in c.session


def test_a_used_code_cannot_be_replayed(world):
    secret = generate_totp_secret()
    TOTP.activate(world.m["kari"].user, secret)
    code = code_for(secret)
    c, _ = login("kari")
    c.post("/accounts/2fa/authenticate/", {"code": code})
    c2, _ = login("kari")
    r = c2.post("/accounts/2fa/authenticate/", {"code": code})
    assert r.status_code == 200
    assert "_auth_user_id" not in c2.session


def test_a_recovery_code_lets_in(world):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    TOTP.activate(world.m["kari"].user, generate_totp_secret())
    codes = RecoveryCodes.activate(world.m["kari"].user).generate_codes()
    c, _ = login("kari")
    r = c.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert r.status_code == 302
    assert "_auth_user_id" in c.session


# ---- setting it up --------------------------------------------------------------------------------------


def test_totp_activation_page_shows_the_qr_code_inline(world):
    c = reauthenticated("kari")
    r = c.get("/accounts/2fa/totp/activate/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "base.html" in [t.name for t in r.templates]
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    assert re.search(r'<img [^>]*alt="[^"]+"', html)
    assert c.session[SECRET_SESSION_KEY] in html  # for typing in by hand
    assert "otpauth://" not in html
    assert '<label for="id_code">' in html
    assert_no_external_resources(html)


def test_activating_totp_then_shows_recovery_codes(world, django_capture_on_commit_callbacks):
    c = reauthenticated("kari")
    c.get("/accounts/2fa/totp/activate/")
    secret = c.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert r.status_code == 302
    assert r["Location"] == "/accounts/2fa/recovery-codes/"
    types = set(Authenticator.objects.filter(user=world.m["kari"].user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    page = c.get(r["Location"])
    assert page.status_code == 200
    assert "base.html" in [t.name for t in page.templates]
    html = page.content.decode()
    assert '<label for="recovery_codes">' in html
    for src in script_sources(html):
        assert src.startswith("/static/")
    # ... and the rest of the application is open now.
    assert c.get("/cases/").get("Location") != "/accounts/2fa/totp/activate/"


def test_a_wrong_activation_code_is_an_error(world):
    c = reauthenticated("kari")
    c.get("/accounts/2fa/totp/activate/")
    r = c.post("/accounts/2fa/totp/activate/", {"code": "000000x"})
    assert r.status_code == 200
    assert 'aria-invalid="true"' in r.content.decode()
    assert not Authenticator.objects.filter(user=world.m["kari"].user).exists()


def test_webauthn_page_loads_its_scripts_from_our_static_files(world):
    c = reauthenticated("kari")
    r = c.get("/accounts/2fa/webauthn/add/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "base.html" in [t.name for t in r.templates]
    sources = script_sources(html)
    assert "/static/mfa/js/webauthn.js" in sources
    assert "/static/mfa/js/webauthn-json.js" in sources
    for src in sources:
        assert src.startswith("/static/")
    for src in sources:
        if src.startswith(("/static/mfa/", "/static/account/")):
            assert finders.find(src.removeprefix("/static/")), src
            assert c.get(src).status_code == 200
    assert_no_external_resources(html)


def test_the_login_page_assets_are_served(db):
    html = Client().get("/accounts/login/").content.decode()
    assets = re.findall(r'<(?:script|link)[^>]*\s(?:src|href)="(/static/[^"]+)"', html)
    assert "/static/utvei/utvei.css" in assets
    for asset in assets:
        assert Client().get(asset).status_code == 200, asset


@pytest.mark.parametrize("url", ["/accounts/2fa/", "/accounts/2fa/webauthn/", "/accounts/2fa/recovery-codes/"])
def test_mfa_management_pages_render_in_our_layout(world, client_for, url):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    c = client_for("kari")
    RecoveryCodes.activate(world.m["kari"].user)
    r = c.get(url, follow=True)
    assert r.status_code == 200
    assert "base.html" in [t.name for t in r.templates]
    assert_no_external_resources(r.content.decode())


def test_the_security_key_list_renders(world, client_for):
    """allauth's own list template needs django.contrib.humanize; ours does not."""
    user = world.m["kari"].user
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Nøkkel", "credential": {}})
    r = client_for("kari").get("/accounts/2fa/webauthn/")
    assert r.status_code == 200
    html = r.content.decode()
    assert '<th scope="col">' in html
    assert "Nøkkel" in html
