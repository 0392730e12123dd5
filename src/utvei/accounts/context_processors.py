from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .notifications import unread_count
from .roles import Cap, has_cap


def membership(request: HttpRequest) -> dict[str, Any]:
    m = getattr(request, "membership", None)
    caps = {c.name.lower(): has_cap(m.role, c) for c in Cap} if m is not None else {}
    return {
        "membership": m,
        "memberships": getattr(request, "memberships", []),
        "caps": caps,
        # The person on their own page (docs/participant.md): no organisation, no staff menu.
        "is_participant": m is None and bool(getattr(getattr(request, "user", None), "is_participant", False)),
        "DEMO": settings.DEMO,
        "session_idle_seconds": settings.UTVEI_SESSION_IDLE_SECONDS,
        # A callable: the template calls it (one query) only where it shows the count.
        "unread_notifications": functools.partial(unread_count, m) if m is not None else 0,
    }
