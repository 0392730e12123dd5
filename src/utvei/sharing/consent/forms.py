"""Forms for the consent and disclosure pages: they parse input; the services decide and check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, OrgKind
from utvei.cases.forms import AttachmentForm
from utvei.core.forms import DATE_WIDGET, TEXT_MAX, UtveiForm, in_range
from utvei.core.vocabulary import Classification, DataCategory

from ..models import Evidence, GivenBy, LegalBasis, Purpose


def end_of_day(day: dt.date | None) -> dt.datetime | None:
    """A date from a form as the end of that day in the current time zone."""
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def _org_choices(orgs: Iterable[Organisation]) -> list[tuple[str, str]]:
    return [(o.slug, o.name) for o in orgs]


class ConsentForm(UtveiForm):
    given_by = forms.ChoiceField(label=_("Given by"), choices=GivenBy.choices, widget=forms.RadioSelect)
    guardian_name = forms.CharField(
        label=_("Name of the guardian"),
        max_length=200,
        required=False,
        help_text=_("Only when a guardian consents for a minor."),
    )
    organisations = forms.MultipleChoiceField(
        label=_("Organisations the consent covers"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kinds = forms.MultipleChoiceField(
        label=_("Also every organisation of these kinds"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Also those that join later, e.g. a new school. The printed form asks the same."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Data categories"), choices=DataCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purposes"), choices=Purpose.choices, widget=forms.CheckboxSelectMultiple
    )
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE_WIDGET)
    evidence = forms.ChoiceField(label=_("Evidence"), choices=Evidence.choices, widget=forms.RadioSelect)
    evidence_note = forms.CharField(
        label=_("Evidence note"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    service_error_fields = {
        "guardian_required": "guardian_name",
        "guardian_not_allowed": "given_by",
        "unknown_organisation": "organisations",
        "empty_scope": "organisations",
        "in_the_past": "valid_until",
        "date_out_of_range": "valid_until",
    }

    def __init__(self, *args: Any, organisations: Iterable[Organisation] = (), **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "consent")
        super().__init__(*args, **kwargs)
        orgs = list(organisations)
        self.fields["organisations"].choices = _org_choices(orgs)  # type: ignore[attr-defined]
        # The kinds of the organisations offered, as on the printed form (the API takes any kind).
        present = {o.kind for o in orgs}
        self.fields["kinds"].choices = [(v, label) for v, label in OrgKind.choices if v in present]  # type: ignore[attr-defined]

    def clean_valid_until(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("valid_until"))


class WithdrawForm(UtveiForm):
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False)


class DisclosureForm(UtveiForm):
    to_org = forms.ChoiceField(label=_("To organisation"), choices=())
    categories = forms.MultipleChoiceField(
        label=_("Data categories"), choices=DataCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=())
    justification = forms.CharField(
        label=_("Justification"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why sharing is necessary in this case. Some legal bases require it."),
    )
    expires_on = forms.DateField(
        label=_("Expires"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Left empty, the longest duration the legal basis allows."),
    )

    service_error_fields = {
        "unknown_organisation": "to_org",
        "same_organisation": "to_org",
        "unknown_basis": "legal_basis",
        "basis_is_consent": "legal_basis",
        "basis_not_usable": "legal_basis",
        "basis_inactive": "legal_basis",
        "basis_not_allowed": "legal_basis",
        "justification_required": "justification",
        "in_the_past": "expires_on",
        "date_out_of_range": "expires_on",
        "expiry_too_late": "expires_on",
    }

    def __init__(
        self,
        *args: Any,
        organisations: Iterable[Organisation] = (),
        bases: Iterable[LegalBasis] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "disclosure")
        super().__init__(*args, **kwargs)
        self.fields["to_org"].choices = [("", _("Choose an organisation")), *_org_choices(organisations)]  # type: ignore[attr-defined]
        self.fields["legal_basis"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a legal basis")),
            *[(b.key, f"{b} – {b.display_title}") for b in bases],
        ]

    def clean_expires_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("expires_on"))


class LegalBasisNoteForm(UtveiForm):
    """An organisation's own note on a basis of the national catalogue. `version` is the note's as it was read: 0
    when the organisation had none yet (a stale one is a conflict, with what was typed kept)."""

    text = forms.CharField(
        label=_("Your organisation's note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your organisation sees it. Leave it empty to remove the note."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class ConsentAttachmentForm(AttachmentForm):
    """A file for one of the case's consents: the signed form, a guardian's letter."""

    consent = forms.ChoiceField(label=_("Consent"))
    field_order = ["consent", "file", "category", "classification"]

    def __init__(self, *args: Any, consents: Iterable[Any] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["consent"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(c.public_id), f"{c.get_given_by_display()}, {timezone.localtime(c.valid_from):%d.%m.%Y}")
            for c in consents
        ]
        self.order_fields(self.field_order)
        self.fields["category"].initial = DataCategory.IDENTITY
        if Classification.TEAM in dict(self.fields["classification"].choices):  # type: ignore[attr-defined]
            self.fields["classification"].initial = Classification.TEAM
