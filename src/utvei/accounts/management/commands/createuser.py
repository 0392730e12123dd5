from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.accounts.roles import Role
from utvei.accounts.services import user_create
from utvei.core.errors import UtveiError


class Command(BaseCommand):
    help = "Create a user with a membership (password from UTVEI_PASSWORD or standard input)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="", help="for reminder e-mails (a new user only)")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = os.environ.get("UTVEI_PASSWORD")
        if password is None:
            password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("give a password in UTVEI_PASSWORD or on standard input")
        try:
            m = user_create(
                username=opts["username"],
                password=password,
                org_slug=opts["org"],
                role=opts["role"],
                email=opts["email"],
            )
        except UtveiError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"user {m.user.username} is {m.role} in {m.organisation.slug}")
