"""Audit of authentication: login, failed login, logout and MFA changes."""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from utvei.audit.models import Action
from utvei.audit.services import audit_record

from .adapter import attempted_user_id
from .middleware import session_started
from .services import credentials_end


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_started(request)
    audit_record(action=Action.LOGIN, actor=user, object_type="user", object_id=str(user.pk))


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
