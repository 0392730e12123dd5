from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from utvei.accounts.models import OrgKind
from utvei.accounts.services import org_create
from utvei.core.errors import UtveiError


class Command(BaseCommand):
    help = "Create an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=OrgKind.values)
        parser.add_argument("--jurisdiction", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            org = org_create(slug=opts["slug"], name=opts["name"], kind=opts["kind"], jurisdiction=opts["jurisdiction"])
        except UtveiError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"created organisation {org.slug}")
