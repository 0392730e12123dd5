"""The subject-access pages' forms: register a request, extend its deadline, refuse it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.core.forms import DATE_WIDGET, UtveiForm

from ..models import ReceivedVia


class RegisterForm(UtveiForm):
    service_error_fields = {
        "identity_required": "national_id",
        "ambiguous": "national_id",
        "not_found": "national_id",
        "date_out_of_range": "received_on",
        "invalid_choice": "received_via",
    }

    national_id = forms.CharField(
        label=_("National identity number"),
        required=False,
        max_length=20,
        help_text=_("11 digits. Or leave it empty and give the name and the date of birth."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    full_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    received_via = forms.ChoiceField(label=_("Received by"), choices=ReceivedVia.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DATE_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        nin = (data.get("national_id") or "").strip()
        if not nin and not ((data.get("full_name") or "").strip() and data.get("birth_date")):
            raise forms.ValidationError(_("Give the identity number, or the name and the date of birth."))
        return data


class ReasonForm(UtveiForm):
    service_error_fields = {"reason_required": "reason", "too_long": "reason"}

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
