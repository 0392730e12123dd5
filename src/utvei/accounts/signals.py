"""Audit of authentication: login, failed login, logout and MFA changes."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.signals import user_logged_in as allauth_logged_in
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from utvei.audit.models import Action
from utvei.audit.services import audit_record

from .adapter import attempted_user_id
from .middleware import SSO_MFA, session_started
from .services import credentials_end
from .sso import login_mfa_asserted


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_started(request)
    audit_record(
        action=Action.LOGIN, actor=user, object_type="user", object_id=str(user.pk), reason=login_by(request, user)
    )


def login_by(request: Any, user: Any) -> str:
    """ "sso" for a login through an identity provider (accounts/sso.py), "" for a password."""
    if request is None or not hasattr(request, "session"):
        return ""
    records = get_authentication_records(request, user)
    return "sso" if any(r.get("method") == "socialaccount" for r in records if isinstance(r, dict)) else ""


@receiver(allauth_logged_in)
def _logged_in_by_provider(sender: Any, request: Any, user: Any, sociallogin: Any = None, **kwargs: Any) -> None:
    """A single sign-on whose provider asserted multi-factor authentication: the session counts as MFA-verified
    (accounts/middleware.py asks for no set-up of Utvei's own), audited as such."""
    if sociallogin is None or request is None:
        return
    asserted = login_mfa_asserted(sociallogin)
    request.session[SSO_MFA] = asserted
    if asserted:
        audit_record(action=Action.MFA_VERIFIED, actor=user, object_type="user", object_id=str(user.pk), reason="sso")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    # The attempted username is not logged: it may be a mistyped password or someone's identity. When it names an
    # account, that account's id is, so its owner's DPO sees the attempts on it.
    audit_record(action=Action.LOGIN_FAILED, object_type="user", object_id=attempted_user_id(credentials))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        reason = getattr(request, "utvei_logout_reason", "")  # "idle" or "absolute" when the session timed out
        audit_record(action=Action.LOGOUT, actor=user, object_type="user", object_id=str(user.pk), reason=reason)


@receiver(authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action=Action.MFA_ADDED,
        actor=user,
        object_type="authenticator",
        object_id=str(authenticator.pk),
        reason=str(authenticator.type),
    )


@receiver(authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action=Action.MFA_REMOVED,
        actor=user,
        object_type="authenticator",
        object_id=str(authenticator.pk),
        reason=str(authenticator.type),
    )
    # A second factor removed or reset: every session and token made with it ends. The session that removed it,
    # the user's own, goes on (as after a password change).
    credentials_end(user=user, reason="mfa_removed")
    if request is not None and getattr(request, "user", None) is not None and request.user.pk == user.pk:
        update_session_auth_hash(request, user)


@receiver(authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=Action.LOGIN_FAILED, actor=user, object_type="user", object_id=str(user.pk), reason="mfa")
