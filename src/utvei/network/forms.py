"""Forms for the network pages: they parse and validate input. Access is decided in access.network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation
from utvei.core.errors import UtveiError
from utvei.core.forms import DATE_WIDGET, UtveiForm, VersionedForm, in_range
from utvei.core.validation import date_in_range
from utvei.core.vocabulary import Classification

from .models import Closeness, Frequency, RelationKind, Valence
from .services import LABEL_MAX, NOTE_MAX, check_label

FORMAL_CHOICES = [
    ("informal", _("Informal network: family, friends, peers, mentors, employers, leisure")),
    ("formal", _("Formal network: an agency or a professional")),
]
CLOSENESS_CHOICES = [
    (Closeness.CLOSE, _("Close (inner ring)")),
    (Closeness.MEDIUM, _("Medium (middle ring)")),
    (Closeness.DISTANT, _("Distant (outer ring)")),
]


def _date_field(label: Any, **kw: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": _("Give a date as YYYY-MM-DD, for example 2025-03-31.")},
        **kw,
    )


# ---- Choosing dates (GET) ------------------------------------------------------------------------------


class DateForm(UtveiForm):
    """The map's date: `?on=YYYY-MM-DD`, today when left out."""

    on = _date_field(_("Show the network on"), required=False, help_text=_("Any date. Today when left empty."))

    def clean_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("on"))

    def day(self) -> dt.date:
        return self.cleaned_data.get("on") or timezone.localdate()


class CompareForm(UtveiForm):
    """Two dates: `?from=YYYY-MM-DD&to=YYYY-MM-DD` (a year ago and today when left out)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        # `from` is a Python keyword, so these fields are added here rather than declared on the class.
        self.fields["from"] = _date_field(_("From"), required=False, help_text=_("A year ago when left empty."))
        self.fields["to"] = _date_field(_("To"), required=False, help_text=_("Today when left empty."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("from", "to"):
            value = data.get(name)
            if not date_in_range(value):
                self.add_error(name, forms.ValidationError(_("Give a date between 1900 and 2100."), code="date_range"))
        a, b = self.dates_or_none(data)
        if a is not None and b is not None and a > b:
            self.add_error("to", forms.ValidationError(_("The second date must be on or after the first."), "order"))
        return data

    @staticmethod
    def dates_or_none(data: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
        today = timezone.localdate()
        a = data.get("from") or today - dt.timedelta(days=365)
        b = data.get("to") or today
        return a, b

    def dates(self) -> tuple[dt.date, dt.date]:
        a, b = self.dates_or_none(self.cleaned_data)
        assert a is not None and b is not None
        return a, b


# ---- Contacts and observations -------------------------------------------------------------------------


class OrgChoices:
    """The organisations a contact may be linked to: those on the case's team (and the owner)."""

    def __init__(self, orgs: Iterable[Organisation]) -> None:
        self.orgs = {o.slug: o for o in orgs}

    def choices(self) -> list[tuple[str, Any]]:
        rows = sorted(((slug, o.name) for slug, o in self.orgs.items()), key=lambda kv: kv[1].lower())
        return [("", _("None: not at an organisation on the team")), *rows]

    def resolve(self, slug: str) -> Organisation | None:
        return self.orgs.get(slug) if slug else None


def _classification_field(label: Any, help_text: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=Classification.choices,
        initial=Classification.TEAM,
        widget=forms.RadioSelect,
        help_text=help_text,
    )


class ObservationFields(UtveiForm):
    """How the tie looks on a date."""

    observed_on = _date_field(_("Observed on"), help_text=_("The date this describes. Not in the future."))
    valence = forms.ChoiceField(
        label=_("What the tie means for the way out"),
        choices=Valence.choices,
        widget=forms.RadioSelect,
        help_text=_("As the team sees it now. «Unknown» is an honest answer."),
    )
    closeness = forms.TypedChoiceField(
        label=_("Closeness"), choices=CLOSENESS_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    frequency = forms.ChoiceField(
        label=_("Contact frequency (optional)"),
        choices=[("", _("Not recorded")), *Frequency.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the team has seen. Write about the tie, not about the other person's own life."),
    )

    service_error_fields = {
        "date_required": "observed_on",
        "date_out_of_range": "observed_on",
        "future_date": "observed_on",
        "invalid_closeness": "closeness",
        "valence_required": "valence",
        "too_long": "note",
    }

    def clean_observed_on(self) -> dt.date | None:
        value = in_range(self.cleaned_data.get("observed_on"))
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("An observation cannot be dated in the future."), code="future_date")
        return value

    def observation(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "observed_on": d["observed_on"],
            "valence": d["valence"],
            "closeness": d["closeness"],
            "frequency": d.get("frequency") or "",
            "note": d.get("note") or "",
        }


def _limit_classifications(field: Any, allowed: Iterable[str]) -> None:
    assert isinstance(field, forms.ChoiceField)
    ok = set(allowed)
    field.choices = [(v, label) for v, label in Classification.choices if v in ok]


class ContactFieldsMixin(forms.Form):
    label = forms.CharField(
        label=_("Label or initials"),
        max_length=LABEL_MAX,
        help_text=_(
            "A short label or initials, such as «Mother», «J.K.» or «Coach». Never a full name, an identity number "
            "or a date of birth: the people around the person are data subjects too."
        ),
    )
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", _("Choose the relation")), *RelationKind.choices])
    formal = forms.ChoiceField(
        label=_("Formal or informal"), choices=FORMAL_CHOICES, initial="informal", widget=forms.RadioSelect
    )
    organisation = forms.ChoiceField(
        label=_("At an organisation on the team (optional)"),
        required=False,
        help_text=_("Link a professional to their organisation: their observations then stand for it on the map."),
    )
    classification = _classification_field(
        _("Who on the team may read this contact"),
        _("Others on the team do not see the contact at all, and it is not counted for them."),
    )

    def clean_label(self) -> str:
        """The service's check, here too, so that the form names every problem at once."""
        try:
            return check_label(self.cleaned_data.get("label"))
        except UtveiError as e:
            raise forms.ValidationError(e.message, code=e.code) from None

    def setup(self, orgs: OrgChoices, classifications: Iterable[str]) -> None:
        self.orgs = orgs
        org_field = self.fields["organisation"]
        assert isinstance(org_field, forms.ChoiceField)
        org_field.choices = orgs.choices()
        _limit_classifications(self.fields["classification"], classifications)

    def contact(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "label": d["label"],
            "relation": d["relation"],
            "formal": d["formal"] == "formal",
            "organisation": self.orgs.resolve(d.get("organisation") or ""),
            "classification": d["classification"],
        }


CONTACT_ERRORS = {
    "label_identifying": "label",
    "required": "label",
    "organisation_not_on_team": "organisation",
    "formal_required": "formal",
    "classification_not_allowed": "classification",
    "invalid_choice": "relation",
}


class ContactForm(ContactFieldsMixin, ObservationFields):
    """A new contact with its first observation."""

    field_order = [
        "label",
        "relation",
        "formal",
        "organisation",
        "classification",
        "observed_on",
        "valence",
        "closeness",
        "frequency",
        "note",
    ]
    service_error_fields = {**ObservationFields.service_error_fields, **CONTACT_ERRORS}

    def __init__(
        self, *args: Any, orgs: OrgChoices | None = None, classifications: Iterable[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.setup(orgs or OrgChoices(()), classifications)


class ContactEditForm(ContactFieldsMixin, VersionedForm):
    service_error_fields = dict(CONTACT_ERRORS)

    def __init__(
        self, *args: Any, orgs: OrgChoices | None = None, classifications: Iterable[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.setup(orgs or OrgChoices(()), classifications)


class ObservationForm(ObservationFields):
    """A later observation of a contact; ending the tie is one too."""

    ended = forms.BooleanField(
        label=_("The tie has ended"),
        required=False,
        help_text=_("From this date the contact is no longer on the map. A later observation can open it again."),
    )
    classification = _classification_field(
        _("Who on the team may read the note"),
        _("The tie itself is read with the contact; this decides only who reads the note."),
    )

    field_order = ["observed_on", "ended", "valence", "closeness", "frequency", "note", "classification"]
    service_error_fields = {
        **ObservationFields.service_error_fields,
        "classification_not_allowed": "classification",
        "invalid_choice": "valence",
    }

    def __init__(self, *args: Any, classifications: Iterable[str] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        _limit_classifications(self.fields["classification"], classifications)

    def observation(self) -> dict[str, Any]:
        out = super().observation()
        out["ended"] = bool(self.cleaned_data.get("ended"))
        out["classification"] = self.cleaned_data["classification"]
        return out
