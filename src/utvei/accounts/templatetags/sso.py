"""The login page's single sign-on buttons: one per organisation's identity provider (accounts/sso.py)."""

from __future__ import annotations

from typing import Any

from django import template

from utvei.accounts.models import IdentityProvider

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_providers(context: dict[str, Any]) -> list[IdentityProvider]:
    """The identity providers users may sign in through, by name. The page's forms may go to them: the request
    carries their origins for the Content-Security-Policy's form-action (core/middleware.py), as a sign-in's
    POST is answered with a redirect to the provider, which the browser checks against it."""
    providers = list(IdentityProvider.objects.filter(is_active=True).order_by("name", "pk"))
    request = context.get("request")
    if request is not None and providers:
        request.csp_form_action = sorted({o for p in providers for o in p.origins})
    return providers
