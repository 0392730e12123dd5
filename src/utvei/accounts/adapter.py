"""allauth's adapter: no self sign-up, and login throttling that cannot lock an account's owner out.

Failed logins are counted per address (every username together) and per address and username together, never per
username alone (settings.ACCOUNT_RATE_LIMITS): someone guessing from elsewhere uses up their own allowance, not the
owner's, who signs in from their usual place as always. The allowance per address and username shrinks as failures
grow (5 in 5 minutes, 10 in an hour, 20 in a day): growing waits. A refused attempt says so plainly and is audited
(`auth.login_throttled`), as is every failed one, with the account's id when the username exists.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.internal.ratelimit import get_ip
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from utvei.audit.models import Action
from utvei.audit.services import audit_record

from .models import User
from .stages import ALLAUTH_MFA_STAGE, MFA_STAGE


def attempted_user_id(credentials: dict[str, Any]) -> str:
    """The id of the account a login attempt names, or "" when no account has that username (then what was typed
    may be a password or someone's name, and is not kept)."""
    username = str(credentials.get("username") or "").strip()
    if not username:
        return ""
    pk = User.objects.filter(username__iexact=username).values_list("pk", flat=True).first()
    return str(pk) if pk is not None else ""


def just_signed_in_by_provider(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    at = [r.get("at") for r in records if isinstance(r, dict) and r.get("method") == "socialaccount"]
    last = at[-1] if at else None
    return isinstance(last, int | float) and time.time() - last < account_settings.REAUTHENTICATION_TIMEOUT


class AccountAdapter(DefaultAccountAdapter):
    """No self sign-up: organisation admins create users."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed attempts to sign in as this user from this network. Wait a few minutes before you try "
            "again, or ask your organisation's administrator for help."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The "key" the login_failed limits count by: this address and this username, together."""
        return f"{get_ip(request)}:{super()._get_login_attempts_cache_key(request, **credentials)}"

    def get_login_stages(self) -> list[str]:
        """allauth's stages, with its MFA stage replaced by ours, which knows single sign-on (accounts/stages.py)."""
        return [MFA_STAGE if path == ALLAUTH_MFA_STAGE else path for path in super().get_login_stages()]

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A sign-in through the organisation's identity provider counts as a recent authentication for allauth's
        reauthentication timeout (5 minutes), as a reauthentication with the password does: the provider has just
        confirmed who the user is. Without it a user who has no usable password and no authenticator yet would be
        refused outright the set-up of Utvei's authenticator that they must do first (accounts/middleware.py).
        After the timeout allauth asks for the authenticator's code, or the password where there is one."""
        request = getattr(self, "request", None)
        if request is not None and just_signed_in_by_provider(request):
            return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            audit_record(action=Action.LOGIN_THROTTLED, object_type="user", object_id=attempted_user_id(credentials))
            raise
