"""Errors a user can cause. Services raise these; views and the API turn them into a 4xx with the message."""

from __future__ import annotations

from typing import Any


class UtveiError(Exception):
    """Base: a message safe to show to the user (already translated or lazily translatable)."""

    code = "invalid"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class NotFound(UtveiError):
    """Missing, or not visible to this user: the two look the same."""

    code = "not_found"
    status = 404


class Forbidden(UtveiError):
    """The user may see the object but not do this to it."""

    code = "forbidden"
    status = 403


class Conflict(UtveiError):
    """Someone else saved first; carries what is needed to merge."""

    code = "conflict"
    status = 409

    def __init__(self, message: Any, *, current: Any = None) -> None:
        super().__init__(message)
        self.current = current


class InvalidTransition(UtveiError):
    code = "invalid_transition"
    status = 409
