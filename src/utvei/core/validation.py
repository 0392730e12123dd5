"""Checks every service applies to what a user typed, with messages in the user's language."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import UtveiError


def clean_text(value: str | None, label: Any, *, required: bool = True, max_length: int = 20000) -> str:
    """Stripped text; refused with a clear message when required and empty, or longer than `max_length`."""
    value = (value or "").strip()
    if required and not value:
        raise UtveiError(_("%(field)s is required.") % {"field": label}, code="required")
    if len(value) > max_length:
        raise UtveiError(
            _("%(field)s is too long (at most %(n)d characters).") % {"field": label, "n": max_length},
            code="too_long",
        )
    return value


def clean_choice(value: Any, choices: Any, label: Any) -> Any:
    """The value if it is one of the `TextChoices` values, else a message that names the field."""
    if not isinstance(value, str) or value not in choices.values:
        raise UtveiError(_("Choose a valid value for %(field)s.") % {"field": label}, code="invalid_choice")
    return value


def parse_uuid(value: Any) -> uuid.UUID | None:
    """An opaque id from a URL, a form or a JSON body, or None for anything that is not one (never an error)."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# Dates outside 1900–2100 are typing mistakes, and some (year 1, year 9999) break date arithmetic: every form and
# every service refuses them with this one rule.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


def date_in_range(value: dt.date | dt.datetime | None) -> bool:
    """True for no date or a date in 1900–2100 (a date-time counts by its day)."""
    if value is None:
        return True
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST <= day <= LATEST


def check_date(value: dt.date | dt.datetime | None, label: Any) -> None:
    """A service's check: refuse a date no case work can have, naming the field."""
    if not date_in_range(value):
        raise UtveiError(_("%(field)s must be between 1900 and 2100.") % {"field": label}, code="date_out_of_range")
