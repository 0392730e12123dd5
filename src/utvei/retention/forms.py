"""Forms of retention: a legal hold, opening a restricted case, restriction on request, rectification. They parse;
the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.core.forms import UtveiForm
from utvei.people.models import Gender

from .models import ReadReason, RectificationStatus
from .services import REASON_MAX


def _text(label: Any, help_text: Any = "", rows: int = 3, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class HoldForm(UtveiForm):
    reason = _text(
        _("Reason for the hold"),
        _("For example a legal claim, an inquiry or a supervisory case. Stored encrypted; the log holds no text."),
    )
    service_error_fields = {"required": "reason", "too_long": "reason"}


class HoldLiftForm(UtveiForm):
    reason = _text(_("Reason for lifting the hold"), required=False, rows=2)
    service_error_fields = {"too_long": "reason"}


class OpenForm(UtveiForm):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=ReadReason.choices, widget=forms.RadioSelect)
    reason = _text(
        _("Explanation"),
        _("Why you need to read this restricted case now. Every page you read is logged with this reason."),
    )
    service_error_fields = {"invalid_choice": "reason_code", "required": "reason", "too_long": "reason"}


class RestrictForm(UtveiForm):
    reason = _text(
        _("The person's request"),
        _("What the person asked and why (e.g. they contest the accuracy, or need the data kept for a claim)."),
    )
    service_error_fields = {"required": "reason", "too_long": "reason"}


class UnrestrictForm(UtveiForm):
    reason = _text(_("Reason for lifting the restriction"), _("The person must be told before it is lifted."))
    service_error_fields = {"required": "reason", "too_long": "reason"}


class RectificationForm(UtveiForm):
    received_on = forms.DateField(
        label=_("Received on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    claim = _text(_("What the person says is wrong"), _("In their words, as far as possible."), rows=4)
    service_error_fields = {"required": "claim", "too_long": "claim", "date_out_of_range": "received_on"}


class RectificationAnswerForm(UtveiForm):
    status = forms.ChoiceField(
        label=_("Answer"),
        choices=[(v, label) for v, label in RectificationStatus.choices if v != RectificationStatus.PENDING],
        widget=forms.RadioSelect,
    )
    answer = _text(_("What was done, or why it was refused"))
    full_name = forms.CharField(label=_("Corrected name"), max_length=200, required=False)
    birth_date = forms.DateField(
        label=_("Corrected date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    gender = forms.ChoiceField(label=_("Corrected gender"), choices=[("", "—"), *Gender.choices], required=False)
    municipality = forms.CharField(label=_("Corrected municipality"), max_length=100, required=False)
    service_error_fields = {
        "invalid_choice": "status",
        "required": "answer",
        "too_long": "answer",
        "name_required": "full_name",
        "date_out_of_range": "birth_date",
    }

    def corrections(self) -> dict[str, object]:
        d = self.cleaned_data
        return {k: d[k] for k in ("full_name", "birth_date", "gender", "municipality") if d.get(k)}
