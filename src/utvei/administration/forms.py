"""The forms of the administration pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Membership
from utvei.accounts.roles import Role
from utvei.core.forms import DATE_WIDGET, UtveiForm, VersionedForm, in_range

from .models import MfaResetReason


class PeriodFields(forms.Form):
    valid_from = forms.DateField(
        label=_("First day"),
        required=False,
        widget=DATE_WIDGET,
        validators=[in_range],
        help_text=_("Leave empty for today."),
    )
    last_day = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=DATE_WIDGET,
        validators=[in_range],
        help_text=_("Leave empty while the membership has no end."),
    )


class InviteForm(UtveiForm, PeriodFields):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("The invitation link is sent here. Without an address you are shown the link to pass on."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    field_order = ["username", "first_name", "last_name", "email", "role", "valid_from", "last_day"]
    service_error_fields = {
        "invalid_username": "username",
        "invalid_email": "email",
        "unknown_role": "role",
        "invalid_period": "last_day",
    }


class MemberForm(VersionedForm, PeriodFields):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    service_error_fields = {"unknown_role": "role", "invalid_period": "last_day"}


class ConfirmForm(VersionedForm):
    """A destructive step asks once more; the version it was asked on comes with it."""


class MfaResetForm(UtveiForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=MfaResetReason.choices)
    explanation = forms.CharField(
        label=_("Explanation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. Kept for the data protection officer; not shown to the user."),
    )
    service_error_fields = {"invalid_reason": "reason", "explanation_required": "explanation"}


class HandoverForm(UtveiForm):
    colleague = forms.TypedChoiceField(label=_("Colleague who takes over"), coerce=int)
    service_error_fields = {"cannot_lead": "colleague", "not_current": "colleague", "same_user": "colleague"}

    def __init__(self, *args: Any, candidates: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {c.pk: c for c in candidates}
        self.fields["colleague"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (c.pk, f"{c.user.get_full_name() or c.user.username} ({c.user.username}, {c.get_role_display()})")
            for c in candidates
        ]

    def chosen(self) -> Membership:
        return self.candidates[self.cleaned_data["colleague"]]


class PasswordForm(UtveiForm):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    service_error_fields = {"weak_password": "password1"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return data
