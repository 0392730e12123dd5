"""Writes the API owns: issuing and revoking bearer tokens, and the combined case header edit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership, User
from utvei.accounts.roles import mfa_required
from utvei.accounts.services import membership_choose
from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.cases import services as case_services
from utvei.cases.models import Case
from utvei.core.errors import Forbidden

from .errors import Unauthorized
from .models import ApiToken


@dataclass(frozen=True)
class IssuedToken:
    raw: str  # shown to the client once; only its hash is stored
    token: ApiToken


def _check_second_factor(user: User, otp: str) -> bool:
    """Check the one-time code when the user has MFA. Returns whether the user has MFA at all."""
    authenticators = list(Authenticator.objects.filter(user=user))
    totp = next((a for a in authenticators if a.type == Authenticator.Type.TOTP), None)
    codes = next((a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None)
    has_mfa = any(a.type != Authenticator.Type.RECOVERY_CODES for a in authenticators)
    if not has_mfa:
        return False
    if totp is None and codes is None:
        raise Forbidden(
            _("Your account uses only a security key, which the API cannot check. Add an authenticator app."),
            code="mfa_method_unsupported",
        )
    if not otp:
        raise Unauthorized(_("Give the one-time code from your authenticator app."), code="otp_required")
    used = None
    if totp is not None and TOTP(totp).validate_code(otp):
        used = totp
    elif codes is not None and RecoveryCodes(codes).validate_code(otp):
        used = codes
    if used is None:
        audit_record(action=Action.LOGIN_FAILED, actor=user, object_type="user", reason="otp")
        raise Unauthorized(_("The one-time code is not valid."), code="otp_invalid")
    used.record_usage()
    return True


def token_issue(
    *, request: HttpRequest, username: str, password: str, otp: str = "", organisation: str = "", role: str = ""
) -> IssuedToken:
    """Log in with password (and one-time code where MFA is on) and issue a token for one membership."""
    # authenticate() sends user_login_failed on a wrong password, which the audit log records.
    user = authenticate(request, username=username, password=password)
    if user is None or not isinstance(user, User):
        raise Unauthorized(_("Wrong username or password."))
    has_mfa = _check_second_factor(user, otp)
    membership = membership_choose(user=user, organisation=organisation, role=role)
    if mfa_required(membership.role) and not has_mfa and not settings.DEMO:
        audit_record(
            action=Action.LOGIN_FAILED,
            actor=user,
            organisation=membership.organisation,
            object_type="user",
            reason="mfa_missing",
        )
        raise Forbidden(
            _(
                "Your role requires two-factor authentication. Set it up in the web interface "
                "(Account → Two-factor authentication), then ask for a token again."
            ),
            code="mfa_setup_required",
        )
    with transaction.atomic():
        token, raw = ApiToken.issue(
            membership=membership, expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)
        )
        # The same signal a web login sends: records auth.login and the last-login time.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        audit_record(
            action=Action.TOKEN_CREATE,
            actor=user,
            organisation=membership.organisation,
            obj=token,
            object_id=str(token.pk),
            reason=membership.role,
        )
    return IssuedToken(raw=raw, token=token)


def token_revoke(*, token: ApiToken) -> ApiToken:
    """End a token before it expires (API logout)."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token.refresh_from_db()
        m = token.membership
        audit_record(
            action=Action.LOGOUT,
            actor=m.user,
            organisation=m.organisation,
            object_type="apitoken",
            object_id=str(token.pk),
            reason="api_token",
        )
    return token


def case_patch(*, actor: Membership, case: Case, expected_version: int, **changes: Any) -> Case:
    """Edit the case header in one step: a track change and the header fields, both or neither.

    Each part is a case service with its own checks and audit event; a stale version refuses the whole.
    """
    track = changes.pop("track", None)
    with transaction.atomic():
        if track is not None and track != case.track:
            case = case_services.case_change_track(
                actor=actor, case=case, track=track, expected_version=expected_version
            )
            expected_version = case.version
        case = case_services.case_update(actor=actor, case=case, expected_version=expected_version, **changes)
    return case
