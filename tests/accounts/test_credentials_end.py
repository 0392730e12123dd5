"""Sessions and tokens that end (issue 12, deliverable 2): a password change, an MFA reset, a deactivation of the
user or of the membership, and "log out everywhere" end every existing session and API token of that user at once
— the next request is no longer logged in."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_removed
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from utvei.audit.models import Action, AuditEvent


def _signed_in(browse, world, username="kari"):
    """A browser session and an API token of the user, both working now."""
    session, token = browse(username), world.api(username)
    assert session.get("/cases/").status_code == 200
    assert token.get("/api/v1/cases/").status_code == 200
    return session, token


def _ended(session, token) -> None:
    page = session.get("/cases/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert token.get("/api/v1/cases/").status_code == 401


def test_a_new_password_ends_every_session_and_token(world, browse):
    session, token = _signed_in(browse, world)
    user = world.m["kari"].user
    user.set_password("et-helt-nytt-passord-2027")
    user.save()
    _ended(session, token)


def test_removing_the_second_factor_ends_them(world, browse):
    session, token = _signed_in(browse, world)
    user = world.m["kari"].user
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    authenticator.delete()
    authenticator_removed.send(sender=Authenticator, request=None, user=user, authenticator=authenticator)
    _ended(session, token)
    event = AuditEvent.objects.filter(action=Action.CREDENTIALS_END).latest("seq")
    assert (event.object_id, event.reason) == (str(user.pk), "mfa_removed")
    TOTP.activate(user, generate_totp_secret())  # a new factor: the user can sign in again
    _signed_in(browse, world)


def test_deactivating_the_user_or_the_membership_ends_them(world, browse):
    session, token = _signed_in(browse, world)
    user = world.m["kari"].user
    user.is_active = False
    user.save()
    _ended(session, token)

    session, token = _signed_in(browse, world, "per")
    membership = world.m["per"]
    membership.is_active = False
    membership.save()
    assert token.get("/api/v1/cases/").status_code == 401
    assert session.get("/cases/").status_code in {302, 404}  # no current membership: nothing of a case


def test_log_out_everywhere_ends_this_session_the_others_and_the_tokens(world, browse):
    here, token = _signed_in(browse, world)
    elsewhere = browse("kari")
    answer = here.post("/me/logout-everywhere/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    _ended(here, token)
    page = elsewhere.get("/cases/")  # the user's session on another device
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert AuditEvent.objects.filter(action=Action.CREDENTIALS_END, reason="everywhere").exists()


def test_log_out_everywhere_is_a_post(world, browse):
    assert browse("kari").get("/me/logout-everywhere/").status_code == 405
