from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Utvei with waitress on 127.0.0.1:$PORT (default 8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import serve  # type: ignore[import-untyped]

        from utvei.wsgi import application

        self.stdout.write(f"Utvei serving on http://{opts['host']}:{opts['port']}/")
        serve(application, host=opts["host"], port=opts["port"], threads=opts["threads"], ident="utvei")
