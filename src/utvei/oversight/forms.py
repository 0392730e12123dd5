"""Forms of the DPO's oversight pages: the review of an unusual-access alert, the person an access report is on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.core.forms import UtveiForm

from .alerts import REVIEW_NOTE_MAX
from .models import AlertStatus


class AlertReviewForm(UtveiForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (AlertStatus.JUSTIFIED.value, _("Justified")),
            (AlertStatus.NOT_JUSTIFIED.value, _("Not justified")),
            (AlertStatus.FOLLOW_UP.value, _("Referred for follow-up")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=REVIEW_NOTE_MAX,
        required=False,
        help_text=_("Required unless the access was justified: say what you found and what happens next."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    service_error_fields = {"required": "note", "too_long": "note", "invalid_decision": "decision"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") not in (None, AlertStatus.JUSTIFIED) and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what you found and what happens next."))
        return data


class PersonReportForm(UtveiForm):
    """Who the report is about: a case or person reference, an identity number, or a name (with a birth date)."""

    person = forms.CharField(
        label=_("Person"),
        max_length=200,
        help_text=_(
            "A case or person reference (UTV-2026-000001), a national identity number (11 digits), or a name "
            "(add the date of birth, YYYY-MM-DD, to narrow it)."
        ),
    )
