"""allauth's login stages, as Utvei runs them: the MFA stage is skipped when the identity provider of a single
sign-on asserted multi-factor authentication itself (accounts/sso.py); a password login, and a single sign-on whose
provider did not, asks for the user's own code as before."""

from __future__ import annotations

from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage
from django.http import HttpRequest

from .sso import login_mfa_asserted

ALLAUTH_MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"
MFA_STAGE = "utvei.accounts.stages.AuthenticateStage"


class AuthenticateStage(AllauthAuthenticateStage):
    """allauth's "enter your code" stage (the same key, page and state), but for a provider-asserted MFA."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if login_mfa_asserted((self.login.signal_kwargs or {}).get("sociallogin")):
            return False
        return super()._should_handle(request)
