"""Organisations, users and memberships."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import requests
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from utvei.audit.models import Action
from utvei.audit.services import audit_record
from utvei.core.errors import Forbidden, NotFound, UtveiError

from .models import IdentityProvider, Invitation, InvitationState, Membership, Organisation, OrgKind, User, url_origin
from .roles import Role


def org_create(*, slug: str, name: str, kind: str, jurisdiction: str = "", actor: User | None = None) -> Organisation:
    if kind not in OrgKind.values:
        raise UtveiError(_("Unknown organisation kind. Choose one of: %(k)s") % {"k": ", ".join(OrgKind.values)})
    if slugify(slug) != slug or not slug:
        raise UtveiError(_("The slug may hold only lower-case letters, digits and hyphens."))
    with transaction.atomic():
        if Organisation.objects.filter(slug=slug).exists():
            raise UtveiError(_("An organisation with that slug exists."), code="exists")
        org = Organisation.objects.create(slug=slug, name=name.strip(), kind=kind, jurisdiction=jurisdiction)
        audit_record(action=Action.ORG_CREATE, actor=actor, obj=org, object_id=org.slug)
    return org


def user_create(
    *,
    username: str,
    password: str,
    org_slug: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
    email: str = "",
) -> Membership:
    """Create a user with one membership, or add a membership to an existing user. The e-mail address (for
    reminders) is set on a new user only."""
    if role not in Role.values:
        raise UtveiError(_("Unknown role. Choose one of: %(r)s") % {"r": ", ".join(Role.values)})
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise UtveiError(_("Enter a valid e-mail address."), code="invalid_email") from exc
    org = Organisation.objects.filter(slug=org_slug).first()
    if org is None:
        raise NotFound(_("No organisation with that slug."))
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first_name, last_name=last_name, email=email)
            if validate:
                try:
                    validate_password(password, user)
                except ValidationError as exc:
                    raise UtveiError(" ".join(exc.messages), code="weak_password") from exc
            user.set_password(password)
            user.save()
        membership, created = Membership.objects.get_or_create(user=user, organisation=org, role=role)
        if created:
            audit_record(action=Action.MEMBERSHIP_CREATE, obj=membership, organisation=org, reason=role)
    return membership


def membership_switch(*, user: User, membership_id: int) -> Membership:
    m = Membership.objects.active().filter(user=user, pk=membership_id).select_related("organisation").first()
    if m is None:
        raise NotFound(_("You have no such membership."))
    audit_record(action=Action.MEMBERSHIP_SWITCH, actor=user, organisation=m.organisation, obj=m)
    return m


def membership_choose(*, user: User, organisation: str = "", role: str = "") -> Membership:
    """The one current membership of the user that matches the organisation slug and role name asked for (an API
    token is bound to one): Forbidden when none does, UtveiError when several do."""
    memberships = list(
        Membership.objects.active().filter(user=user).select_related("organisation", "user").order_by("pk")
    )
    if organisation:
        memberships = [m for m in memberships if m.organisation.slug == organisation]
    if role:
        memberships = [m for m in memberships if m.role == role]
    if not memberships:
        raise Forbidden(
            _("You have no current membership that matches. Check the organisation and role."),
            code="no_membership",
        )
    orgs = sorted({m.organisation.slug for m in memberships})
    if len(orgs) > 1:
        raise UtveiError(
            _("You belong to several organisations. Choose one with «organisation»: %(orgs)s.")
            % {"orgs": ", ".join(orgs)},
            code="organisation_required",
        )
    if len(memberships) > 1:
        raise UtveiError(
            _("You have several roles in this organisation. Choose one with «role»: %(roles)s.")
            % {"roles": ", ".join(sorted(m.role for m in memberships))},
            code="role_required",
        )
    return memberships[0]


def credentials_end(*, user: User, reason: str, actor: User | None = None) -> None:
    """End every session and every API token of the user at once: their next request is not logged in. Raises the
    user's credentials epoch, which the session hash (checked by Django on each request) and every token's stamp
    include (accounts.models.User). A new password does the same by itself. Audited, with why: `mfa_removed`,
    `everywhere` (the user's own "log out everywhere")."""
    User.objects.filter(pk=user.pk).update(credentials_epoch=F("credentials_epoch") + 1)
    user.refresh_from_db(fields=["credentials_epoch"])
    audit_record(
        action=Action.CREDENTIALS_END,
        actor=actor or user,
        object_type="user",
        object_id=str(user.pk),
        reason=reason,
    )


# ---- Invitations (docs/administration.md) -----------------------------------------------------------------


def invitation_hash(raw: str) -> str:
    """What is stored of an invitation's token: its SHA-256. The token itself is a secret shown once."""
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_issue(*, membership: Membership, by: User | None) -> tuple[Invitation, str]:
    """A new one-time link for the membership's user; every earlier open invitation of theirs dies with it (a
    re-send). Returns the invitation and its raw token. Called inside the administrator's transaction, which
    audits it (administration/services.py)."""
    now = timezone.now()
    Invitation.objects.filter(user=membership.user, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=invitation_hash(raw),
        user=membership.user,
        membership=membership,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=settings.UTVEI_INVITATION_DAYS),
    )
    return invitation, raw


def invitation_by_token(raw: str) -> Invitation | None:
    """The invitation of a token (in any state), or None for a token that never was one."""
    if not raw or len(raw) > 200:
        return None
    return (
        Invitation.objects.filter(token_hash=invitation_hash(raw))
        .select_related("user", "membership__organisation")
        .first()
    )


def taken_up(user: User) -> bool:
    """Has the user taken up their account: a password of their own, or an accepted invitation (by password or
    through their organisation's identity provider)?"""
    return user.has_usable_password() or Invitation.objects.filter(user=user, accepted_at__isnull=False).exists()


def invitation_open(user: User) -> Invitation | None:
    """The user's invitation that may still be accepted, if any (single sign-on marks it accepted)."""
    found = Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True)
    return found.filter(expires_at__gt=timezone.now()).select_related("membership__organisation").first()


INVITATION_REFUSALS = {
    InvitationState.ACCEPTED: (
        "invitation_used",
        _("This invitation has been used already. Sign in with your username and password."),
    ),
    InvitationState.EXPIRED: (
        "invitation_expired",
        _("This invitation has expired. Ask your organisation's administrator to send you a new one."),
    ),
    InvitationState.REVOKED: (
        "invitation_revoked",
        _(
            "This invitation is no longer valid: it was withdrawn or replaced by a newer one. Use the newest "
            "invitation you received, or ask your organisation's administrator."
        ),
    ),
}


def invitation_refusal(invitation: Invitation) -> UtveiError | None:
    """Why this invitation cannot be accepted now (a clear message for each state), or None when it can."""
    refused = INVITATION_REFUSALS.get(InvitationState(invitation.state))
    if refused is None:
        return None
    code, message = refused
    return UtveiError(message, code=code)


def invitation_accept(invitation: Invitation, *, password: str | None = None, via: str = "password") -> Invitation:
    """The invited person takes up their account: with `password` (the invitation page) it becomes their password;
    without (single sign-on, `via="sso"`) the invitation is only marked accepted. Refuses an invitation that was
    used, withdrawn or has expired (UtveiError with a code of INVITATION_REFUSALS). Audited
    `invitation.accept` with `via` as the reason. After a password, the role's MFA set-up follows at the first
    page (accounts.middleware.RequireMfaMiddleware)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("user", "membership__organisation")
        current = locked.get(pk=invitation.pk)
        refusal = invitation_refusal(current)
        if refusal is not None:
            raise refusal
        user = current.user
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise UtveiError(" ".join(exc.messages), code="weak_password") from exc
            user.set_password(password)
            user.save(update_fields=["password"])
        current.accepted_at = timezone.now()
        current.save(update_fields=["accepted_at"])
        audit_record(
            action=Action.INVITATION_ACCEPT,
            actor=user,
            organisation=current.membership.organisation,
            obj=current,
            reason=via,
        )
    return current


# ---- Single sign-on (docs/administration.md, "Single sign-on") -------------------------------------------------

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def idp_add(
    *,
    org_slug: str,
    provider_id: str,
    name: str,
    server_url: str,
    client_id: str,
    secret: str = "",
    secret_env: str = "",
    mfa_acr: list[str] | None = None,
    mfa_amr: list[str] | None = None,
    trust_email: bool = False,
) -> IdentityProvider:
    """Configure an organisation's OpenID Connect provider (a server administrator's `utvei idp add`). The client
    secret is either given (stored encrypted) or named as an environment variable (`secret_env`, read at login)."""
    org = Organisation.objects.filter(slug=org_slug).first()
    if org is None:
        raise NotFound(_("No organisation with that slug."))
    if slugify(provider_id) != provider_id or not provider_id:
        raise UtveiError(_("The provider id may hold only lower-case letters, digits and hyphens."))
    try:
        URLValidator(schemes=["https", "http"])(server_url)
    except ValidationError as exc:
        raise UtveiError(_("Give the issuer as an https:// address."), code="invalid_issuer") from exc
    if not client_id.strip() or not name.strip():
        raise UtveiError(_("Give the provider's name and client id."))
    if bool(secret) == bool(secret_env):
        raise UtveiError(_("Give the client secret, or the name of the environment variable that holds it."))
    if secret_env and not ENV_NAME.match(secret_env):
        raise UtveiError(_("An environment variable's name holds capital letters, digits and underscores."))
    with transaction.atomic():
        if IdentityProvider.objects.filter(provider_id=provider_id).exists():
            raise UtveiError(_("An identity provider with that id exists."), code="exists")
        idp = IdentityProvider.objects.create(
            organisation=org,
            provider_id=provider_id,
            name=name.strip(),
            server_url=server_url.rstrip("/"),
            authorization_origin=authorization_origin(server_url.rstrip("/")),
            client_id=client_id.strip(),
            secret=secret,
            secret_env=secret_env,
            mfa_acr=sorted(set(mfa_acr or [])),
            mfa_amr=sorted(set(mfa_amr)) if mfa_amr is not None else ["mca", "mfa"],
            trust_email=trust_email,
        )
        audit_record(action=Action.IDP_ADD, organisation=org, obj=idp, object_id=idp.provider_id)
    return idp


def authorization_origin(issuer: str) -> str:
    """The origin of the provider's authorization endpoint, from its discovery document; "" when it cannot be read
    now (then the login page lets its forms go to the issuer's origin only: `utvei idp list` shows it)."""
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        endpoint = response.json().get("authorization_endpoint", "")
    except (requests.RequestException, ValueError, AttributeError):
        return ""
    return url_origin(endpoint) if isinstance(endpoint, str) else ""


def idp_remove(*, provider_id: str) -> None:
    """Remove an identity provider: its users sign in no more through it (their links to it go too; their
    accounts and memberships stay)."""
    idp = IdentityProvider.objects.filter(provider_id=provider_id).select_related("organisation").first()
    if idp is None:
        raise NotFound(_("No identity provider with that id."))
    with transaction.atomic():
        SocialAccount.objects.filter(provider=idp.provider_id).delete()
        audit_record(action=Action.IDP_REMOVE, organisation=idp.organisation, obj=idp, object_id=idp.provider_id)
        idp.delete()


def sso_linked(user: User, organisation: Organisation) -> None:
    """The user signed in through the organisation's identity provider for the first time: their account is now
    linked to it. Audited (`auth.sso_link`). An invitation to the organisation that is still open becomes accepted
    here (`invitation.accept` with the reason `sso`): the invited person took up their account through the provider,
    and the invitation's link no longer works."""
    audit_record(
        action=Action.SSO_LINK, actor=user, organisation=organisation, object_type="user", object_id=str(user.pk)
    )
    invitation = invitation_open(user)
    if invitation is not None and invitation.membership.organisation_id == organisation.pk:
        invitation_accept(invitation, via="sso")
