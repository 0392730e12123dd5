"""Single sign-on with OpenID Connect, through allauth's `socialaccount` (docs/administration.md, "Single sign-on").

Each organisation may have its own identity provider (an `IdentityProvider` row, `utvei idp add`); the adapter below
gives allauth those rows as its apps, so nothing of a provider lives in allauth's own tables but the links between
a provider's subject (`sub`) and a user.

Who may come in: a provider only says who someone is, never that they may use Utvei. A provider login is accepted
when it names exactly one user with a current membership in the provider's organisation (`sso_match`): the subject
already linked to that user, or, the first time, the provider's verified e-mail address, the same as the address
the organisation's administrator invited. Anything else is refused with a message in the user's language and
audited (`auth.sso_refused`, with a short reason, never the address); no user is ever created from a provider.

Multi-factor: the ID token's `acr` and `amr` claims say how the provider authenticated (`mfa_asserted`). When they
assert more than one factor the session counts as MFA-verified and Utvei asks for no code of its own; otherwise the
login goes through Utvei's own TOTP step as after a password (accounts/stages.py), and a user of a role that must
have MFA who has none is sent to set it up (accounts/middleware.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from utvei.audit.models import Action
from utvei.audit.services import audit_record

from .models import IdentityProvider, Membership, User
from .services import invitation_open, sso_linked, taken_up

PROVIDER = "openid_connect"  # allauth's provider class; each IdentityProvider is one app of it, by its provider_id
MFA_STATE = "utvei_mfa"  # in the social login's state: the provider asserted multi-factor authentication

# RFC 8176's authentication method references by kind of factor: two different kinds in `amr` are two factors.
KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
POSSESSION = frozenset({"otp", "sms", "tel", "hwk", "swk", "sc", "pop"})
INHERENCE = frozenset({"fpt", "face", "iris", "retina", "vbm"})
FACTOR_KINDS = (KNOWLEDGE, POSSESSION, INHERENCE)


def mfa_asserted(idp: IdentityProvider, claims: dict[str, Any]) -> bool:
    """Whether the ID token's claims say the provider authenticated the user with more than one factor:
    - its `acr` is one the provider is configured to count (`mfa_acr`, e.g. ID-porten's idporten-loa-substantial
      and idporten-loa-high; none by default, as acr values mean what each provider says they mean);
    - or its `amr` holds a value the provider is configured to count by itself (`mfa_amr`, by default `mfa` and
      `mca`, RFC 8176's "multiple factors" and "multiple channels");
    - or its `amr` names factors of two different kinds (RFC 8176): something known (pwd, pin, kba), something held
      (otp, sms, tel, hwk, swk, sc, pop), something one is (fpt, face, iris, retina, vbm). A one-time code or a
      hardware key alone is one factor, and does not count."""
    acr = claims.get("acr")
    if isinstance(acr, str) and acr and acr in set(idp.mfa_acr or ()):
        return True
    amr = claims.get("amr")
    if not isinstance(amr, list):
        return False
    methods = {m for m in amr if isinstance(m, str)}
    if methods & set(idp.mfa_amr or ()):
        return True
    return sum(1 for kind in FACTOR_KINDS if methods & kind) >= 2


@dataclass
class Refused(Exception):
    """A provider login that names nobody the organisation invited. `reason` goes to the audit log."""

    reason: str


def _current_members(idp: IdentityProvider) -> Any:
    return Membership.objects.active().filter(organisation_id=idp.organisation_id)


def sso_match(idp: IdentityProvider, *, uid: str, email: str, email_verified: bool) -> User:
    """The one user a provider login names, or Refused:
    - a subject already linked (an earlier login): its user, if they still have a current membership in the
      provider's organisation (`not_member` otherwise);
    - else the e-mail address, verified by the provider (`email_verified`, or a provider configured to be trusted
      for it; `unverified_email` otherwise), equal (case aside) to the address of exactly one active user with a
      current membership in the organisation (`no_member` for none, `ambiguous` for several); a user already linked
      to another subject of this provider is not taken by a second one (`linked_elsewhere`); an invited user who
      never took up the account is taken only while the invitation is open (`invitation_closed` once it expired
      or was withdrawn): the first provider login accepts it (services.sso_linked)."""
    members = _current_members(idp)
    linked = SocialAccount.objects.filter(provider=idp.provider_id, uid=uid).select_related("user").first()
    if linked is not None:
        if linked.user.is_active and members.filter(user_id=linked.user_id).exists():
            return linked.user
        raise Refused("not_member")
    email = (email or "").strip()
    if not email:
        raise Refused("no_email")
    if not (email_verified or idp.trust_email):
        raise Refused("unverified_email")
    users = list(
        User.objects.filter(is_active=True, email__iexact=email, pk__in=members.values("user_id")).order_by("pk")[:2]
    )
    if not users:
        raise Refused("no_member")
    if len(users) > 1:
        raise Refused("ambiguous")
    user = users[0]
    if SocialAccount.objects.filter(provider=idp.provider_id, user=user).exists():
        raise Refused("linked_elsewhere")
    if not taken_up(user) and invitation_open(user) is None:
        raise Refused("invitation_closed")  # invited, never taken up, and the invitation expired or was withdrawn
    return user


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _claims(sociallogin: SocialLogin) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's user info and ID token claims, as allauth's OpenID Connect provider keeps them."""
    data = sociallogin.account.extra_data or {}
    userinfo, id_token = data.get("userinfo"), data.get("id_token")
    return (userinfo if isinstance(userinfo, dict) else {}), (id_token if isinstance(id_token, dict) else {})


def provider_for(provider_id: str) -> IdentityProvider | None:
    return (
        IdentityProvider.objects.filter(provider_id=provider_id, is_active=True).select_related("organisation").first()
    )


def refuse(request: HttpRequest, idp: IdentityProvider | None, reason: str, provider_id: str) -> None:
    audit_record(
        action=Action.SSO_REFUSED,
        organisation=idp.organisation if idp is not None else None,
        object_type="identity_provider",
        object_id=provider_id,
        reason=reason,
    )
    if reason in {"no_member", "not_member", "ambiguous", "linked_elsewhere", "invitation_closed"}:
        text = _("Your organisation has not invited you to Utvei; ask your administrator.")
    elif reason in {"no_email", "unverified_email"}:
        text = _(
            "Your identity provider did not give Utvei a verified e-mail address, so Utvei cannot tell whether your "
            "organisation has invited you. Ask your administrator."
        )
    else:
        text = _("Single sign-on with this provider is not possible here. Sign in with your username instead.")
    messages.error(request, text)
    raise ImmediateHttpResponse(HttpResponseRedirect(reverse("account_login")))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's social accounts for Utvei: the apps are the organisations' identity providers, nobody signs up,
    and a login is matched to an invited membership (`sso_match`) or refused."""

    def list_apps(self, request: HttpRequest | None, provider: Any = None, client_id: Any = None) -> list[SocialApp]:
        rows: Iterable[IdentityProvider] = IdentityProvider.objects.filter(is_active=True).order_by("pk")
        apps = []
        for idp in rows:
            if provider is not None and provider not in {PROVIDER, idp.provider_id}:
                continue
            if client_id is not None and client_id != idp.client_id:
                continue
            secret = os.environ.get(idp.secret_env, "") if idp.secret_env else idp.secret
            apps.append(
                SocialApp(
                    provider=PROVIDER,
                    provider_id=idp.provider_id,
                    name=idp.name,
                    client_id=idp.client_id,
                    secret=secret,
                    settings={"server_url": idp.server_url, "oauth_pkce_enabled": True},
                )
            )
        return apps

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider_id = str(sociallogin.account.provider)
        idp = provider_for(provider_id)
        if idp is None:
            refuse(request, None, "no_provider", provider_id)
            return
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            refuse(request, idp, "not_login", provider_id)  # no connecting of accounts from the account pages
            return
        userinfo, id_token = _claims(sociallogin)
        email = userinfo.get("email") or id_token.get("email") or ""
        verified = userinfo.get("email_verified", id_token.get("email_verified"))
        try:
            user = sso_match(idp, uid=str(sociallogin.account.uid), email=str(email), email_verified=_is_true(verified))
        except Refused as exc:
            refuse(request, idp, exc.reason, provider_id)
            return
        sociallogin.state[MFA_STATE] = mfa_asserted(idp, id_token)
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)
            sso_linked(user, idp.organisation)


def login_mfa_asserted(sociallogin: SocialLogin | None) -> bool:
    """Whether a login (allauth's `sociallogin`, None for a password login) was multi-factor at the provider."""
    return sociallogin is not None and sociallogin.state.get(MFA_STATE) is True
