"""The points in a plan's life where apps above `plans` take part (`core.hooks`), sent inside the write's
transaction by `plans.services`."""

from __future__ import annotations

from utvei.core.hooks import Hook

# A plan was reviewed on `on`. Sent with actor, case, on.
REVIEWED = Hook("plan.reviewed")
