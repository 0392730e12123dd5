"""Hooks: a named point in a service where apps on a higher floor take part without the service importing them.

An app connects its handler in its `AppConfig.ready`; the service sends the hook, inside its own transaction, so
what the handlers write stands or falls with the service's write (unlike a model signal, nothing happens behind
the service's back: the service names each point). A handler's error goes up to the service, as any error would.
Used where a lower app would otherwise import a higher one (docs/architecture.md): the case's phase changes and
closure feed the evidence engine (evaluation), a plan's review records its derived outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Handler] = []

    def connect(self, handler: Handler) -> None:
        """Add a handler (once: connecting the same one again is a no-op, so `ready` may run twice)."""
        if handler not in self._handlers:
            self._handlers.append(handler)

    def send(self, **kwargs: Any) -> list[Any]:
        """Call every handler, in the order they were connected, with the keyword arguments; their results."""
        return [handler(**kwargs) for handler in list(self._handlers)]

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._handlers)} handlers)"
