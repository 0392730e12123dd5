from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.accounts.models import IdentityProvider
from utvei.accounts.services import idp_add, idp_remove
from utvei.core.errors import UtveiError


class Command(BaseCommand):
    help = (
        "Organisations' OpenID Connect identity providers for single sign-on (docs/administration.md). "
        "`add` configures one (the client secret from --secret-env, the name of an environment variable read at "
        "each login, or else from UTVEI_IDP_SECRET or standard input, stored encrypted); `list` shows them (never "
        "a secret); `remove ID` removes one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["add", "list", "remove"])
        parser.add_argument("provider", nargs="?", help="remove: the provider id")
        parser.add_argument("--org", help="add: the organisation's slug")
        parser.add_argument("--id", dest="provider_id", help="add: the provider id (letters, digits, hyphens)")
        parser.add_argument("--name", help='add: shown on the login page ("Sign in with NAME")')
        parser.add_argument("--issuer", help="add: the issuer URL (its /.well-known/openid-configuration is read)")
        parser.add_argument("--client-id", help="add: the client id Utvei is registered with at the provider")
        parser.add_argument("--secret-env", default="", help="add: the environment variable holding the secret")
        parser.add_argument(
            "--mfa-acr", action="append", default=[], help="add: an acr value that means multi-factor (repeatable)"
        )
        parser.add_argument(
            "--mfa-amr",
            action="append",
            default=None,
            help="add: an amr value that by itself means multi-factor (repeatable; default: mfa and mca)",
        )
        parser.add_argument(
            "--trust-email", action="store_true", help="add: accept the e-mail address without email_verified"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, opts["subcommand"])(opts)
        except UtveiError as exc:
            raise CommandError(str(exc.message)) from exc

    def add(self, opts: dict[str, Any]) -> None:
        missing = [f"--{k.replace('_', '-')}" for k in ("org", "name", "issuer", "client_id") if not opts[k]]
        if not opts["provider_id"]:
            missing.append("--id")
        if missing:
            raise CommandError(f"idp add needs {', '.join(missing)}")
        secret = ""
        if not opts["secret_env"]:
            secret = os.environ.get("UTVEI_IDP_SECRET") or sys.stdin.readline().rstrip("\n")
            if not secret:
                raise CommandError("give the client secret in UTVEI_IDP_SECRET or on standard input, or --secret-env")
        idp = idp_add(
            org_slug=opts["org"],
            provider_id=opts["provider_id"],
            name=opts["name"],
            server_url=opts["issuer"],
            client_id=opts["client_id"],
            secret=secret,
            secret_env=opts["secret_env"],
            mfa_acr=opts["mfa_acr"],
            mfa_amr=opts["mfa_amr"],
            trust_email=opts["trust_email"],
        )
        self.stdout.write(
            f"identity provider {idp.provider_id} ({idp.name}) for {idp.organisation.slug}; redirect URI: "
            f"<Utvei's address>/accounts/oidc/{idp.provider_id}/login/callback/"
        )

    def list(self, opts: dict[str, Any]) -> None:
        rows = IdentityProvider.objects.select_related("organisation").order_by("organisation__slug", "provider_id")
        for idp in rows:
            secret = f"env:{idp.secret_env}" if idp.secret_env else "stored encrypted"
            self.stdout.write(
                f"{idp.provider_id}\t{idp.organisation.slug}\t{idp.name}\t{idp.server_url}\tclient {idp.client_id}\t"
                f"secret {secret}\tmfa acr {','.join(idp.mfa_acr) or '-'}\tmfa amr {','.join(idp.mfa_amr) or '-'}"
                f"{chr(9) + 'trusts e-mail' if idp.trust_email else ''}"
            )
        if not rows:
            self.stdout.write("no identity providers")

    def remove(self, opts: dict[str, Any]) -> None:
        if not opts["provider"]:
            raise CommandError("name the provider: utvei idp remove ID")
        idp_remove(provider_id=opts["provider"])
        self.stdout.write(f"identity provider {opts['provider']} removed")
