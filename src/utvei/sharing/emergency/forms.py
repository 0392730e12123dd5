"""Forms of emergency access: opening one, and the DPO's review. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.core.errors import UtveiError
from utvei.core.forms import UtveiForm
from utvei.people.services import normalise_nin

from ..models import EmergencyReason, ReviewStatus
from .services import REASON_TEXT_MAX, REFERENCE_MAX, REVIEW_NOTE_MAX, max_hours


class EmergencyOpenForm(UtveiForm):
    case_reference = forms.CharField(
        label=_("Case reference"),
        max_length=REFERENCE_MAX,
        required=False,
        help_text=_("For example UTV-2026-000123-1."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    national_id = forms.CharField(
        label=_("Or the person's national identity number"),
        max_length=20,
        required=False,
        help_text=_("11 digits. The number is looked up exactly and is not stored in the log."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    reason_code = forms.ChoiceField(label=_("Reason"), choices=EmergencyReason.choices, widget=forms.RadioSelect)
    reason_text = forms.CharField(
        label=_("What is happening"),
        max_length=REASON_TEXT_MAX,
        help_text=_(
            "Describe the emergency and why you need the case now. The data protection officer reads this "
            "when reviewing your use."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    hours = forms.TypedChoiceField(label=_("For how long"), coerce=int, choices=())

    service_error_fields = {
        "invalid_reason": "reason_code",
        "required": "reason_text",
        "too_long": "reason_text",
        "invalid_hours": "hours",
        "invalid_nin": "national_id",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = max_hours()
        choices = [(str(h), _("%(n)d hours") % {"n": h} if h != 1 else _("1 hour")) for h in range(1, longest + 1)]
        hours = self.fields["hours"]
        hours.choices = choices  # type: ignore[attr-defined]
        hours.initial = str(longest)
        hours.help_text = _("At most %(n)d hours. You can end it earlier.") % {"n": longest}

    def clean_national_id(self) -> str:
        value = self.cleaned_data.get("national_id", "")
        try:
            return normalise_nin(value)
        except UtveiError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reference = (data.get("case_reference") or "").strip()
        nin = data.get("national_id") or ""
        if "national_id" in self.errors:
            return data
        if not reference and not nin:
            self.add_error("case_reference", _("Give the case reference or the person's national identity number."))
        elif reference and nin:
            self.add_error(
                "case_reference", _("Give either the case reference or the national identity number, not both.")
            )
        return data


class EmergencyReviewForm(UtveiForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ReviewStatus.APPROVED.value, _("Approve")), (ReviewStatus.FLAGGED.value, _("Flag"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=REVIEW_NOTE_MAX,
        required=False,
        help_text=_("Required when you flag a use: say what is wrong."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    service_error_fields = {"required": "note", "too_long": "note", "invalid_decision": "decision"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == ReviewStatus.FLAGGED and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why you flag this use."))
        return data
