"""The form toolkit every app's pages share: the base form, date fields' one rule, and `submit`, the one path from
a valid form to a service call (conflicts and service errors shown on the form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, Forbidden, NotFound, UtveiError
from .validation import EARLIEST, LATEST, date_in_range

TEXT_MAX = 20000
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class UtveiForm(forms.Form):
    """Base: marks required fields and lets views attach a service error to the field it concerns."""

    required_css_class = "required"
    error_css_class = "has-error"
    # Service error codes -> the field they belong to. Unlisted codes become form-wide errors.
    service_error_fields: Mapping[str, str] = {}
    # What `submit` learnt: the service's return value when it worked, the conflict when someone saved first.
    result: Any = None
    conflict: Conflict | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_error(self, exc: UtveiError) -> None:
        field = self.service_error_fields.get(exc.code)
        if field is not None and field not in self.fields:
            field = None
        self.add_error(field, str(exc.message))


class VersionedForm(UtveiForm):
    """A form that edits a saved object: it carries the version it was read at (a stale one is a conflict)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


def posted_version(data: Any) -> int:
    """The version a form that changes or removes a saved object posted; refused (400) when it is missing or not a
    number, so nothing is changed unseen."""
    form = VersionedForm(data)
    if not form.is_valid():
        raise UtveiError(
            _("The form did not say which version you saw. Reload the page and try again."), code="version_required"
        )
    return int(form.cleaned_data["version"])


def in_range(value: Any) -> Any:
    """A form's check of a date or date-time field (`core.validation.date_in_range`)."""
    if not date_in_range(value):
        raise forms.ValidationError(
            _("Give a date between %(a)s and %(b)s.") % {"a": EARLIEST.year, "b": LATEST.year}, code="date_range"
        )
    return value


def not_in_future(value: dt.date | None) -> dt.date | None:
    in_range(value)
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."), code="future_date")
    return value


def submit(form: forms.Form, act: Callable[[dict[str, Any]], Any]) -> int | None:
    """Validate a form and call the service with what it cleaned. None when it worked; otherwise the HTTP status
    of the page to show again, with the problem on the form: 400 invalid, 409 a conflict (keeping what the user
    typed, to be saved next against the version saved now), or the service error's status, on the field it
    concerns where the form knows it. Forbidden and NotFound go up to the views' handlers. A `UtveiForm` keeps the
    service's return value (`form.result`) or the conflict (`form.conflict`, with the saved version as `current`).
    The one path from a form to a service: views do not catch Conflict themselves."""
    if not form.is_valid():
        return 400
    try:
        result = act(form.cleaned_data)
    except (Forbidden, NotFound):
        raise
    except Conflict as exc:
        current = getattr(exc, "current", None)
        if current is not None and "version" in form.fields:
            data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
            data[form.add_prefix("version")] = str(current.version)
            form.data = data
        form.add_error(None, str(exc.message))
        if isinstance(form, UtveiForm):
            form.conflict = exc
        return 409
    except UtveiError as exc:
        if isinstance(form, UtveiForm):
            form.add_service_error(exc)
        else:
            form.add_error(None, str(exc.message))
        return exc.status
    if isinstance(form, UtveiForm):
        form.result = result
    return None
