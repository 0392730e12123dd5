"""Forms of the evidence engine's pages: they parse and validate input. Access is decided in access.evaluation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import User
from utvei.cases.models import Ideology, Track
from utvei.core.forms import DATE_WIDGET, UtveiForm
from utvei.core.validation import EARLIEST, date_in_range
from utvei.core.vocabulary import Classification
from utvei.people.models import AgeBand

from .models import FOLLOW_UP_OCCASIONS, Indicator, IndicatorSource, MissedReason, Occasion, OutcomeKind, OutcomeSource
from .services import NOTE_MAX, NewEvent, NewMeasurement


def _date_field(label: Any, **kw: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": _("Give a date as YYYY-MM-DD, for example 2025-03-31.")},
        **kw,
    )


def _past(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST <= value <= timezone.localdate():
        raise forms.ValidationError(_("Give a date from 1900 up to today."), code="date_range")
    return value


def _classification_choices(allowed: Iterable[str]) -> list[tuple[str, Any]]:
    labels = dict(Classification.choices)
    return [(c, labels[c]) for c in allowed]


class IndicatorFields(UtveiForm):
    """A value field for each indicator (all optional): the labelled levels, or a number within the scale."""

    service_error_fields = {"classification_not_allowed": "classification", "source_not_allowed": "source"}

    def __init__(self, *args: Any, indicators: Iterable[Indicator], classifications: Iterable[str], **kw: Any):
        super().__init__(*args, **kw)
        self.indicators = list(indicators)
        self.fields["classification"] = forms.ChoiceField(
            label=_("Who may read these values"),
            choices=_classification_choices(classifications),
            initial=Classification.TEAM,
            help_text=_("The data category of each value is its indicator's; the sharing gate applies as to entries."),
        )
        for indicator in self.indicators:
            choices = indicator.level_choices()
            help_text = indicator.description
            if choices:
                field: forms.Field = forms.TypedChoiceField(
                    label=indicator.name,
                    choices=[("", _("Not recorded"))] + [(str(v), label) for v, label in choices],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    help_text=help_text,
                )
            else:
                field = forms.IntegerField(
                    label=indicator.name,
                    min_value=indicator.min_value,
                    max_value=indicator.max_value,
                    required=False,
                    help_text=help_text,
                )
            self.fields[self.key(indicator)] = field

    @staticmethod
    def key(indicator: Indicator) -> str:
        return "ind_" + indicator.key.replace("-", "_")

    def indicator_fields(self) -> list[Any]:
        return [self[self.key(i)] for i in self.indicators]

    def measurements(self, source: str) -> list[NewMeasurement]:
        data = self.cleaned_data
        return [
            NewMeasurement(i, data[self.key(i)], source, data["classification"])
            for i in self.indicators
            if data.get(self.key(i)) is not None
        ]


class MeasurementsForm(IndicatorFields):
    """Several indicators at one occasion, recorded at once."""

    occasion = forms.ChoiceField(
        label=_("Occasion"), choices=[(o.value, o.label) for o in Occasion if o not in FOLLOW_UP_OCCASIONS]
    )
    measured_on = _date_field(_("Date"))
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (IndicatorSource.WORKER, IndicatorSource.WORKER.label),
            (IndicatorSource.SELF_REPORT, IndicatorSource.SELF_REPORT.label),
        ],
        widget=forms.RadioSelect,
        initial=IndicatorSource.WORKER,
    )
    field_order = ["occasion", "measured_on", "source", "classification"]

    def clean_measured_on(self) -> dt.date | None:
        return _past(self.cleaned_data.get("measured_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(self.key(i)) is not None for i in self.indicators) and not self.errors:
            raise forms.ValidationError(_("Record at least one value."), code="nothing")
        return data


class EventForm(UtveiForm):
    service_error_fields = {"classification_not_allowed": "classification"}

    kind = forms.ChoiceField(label=_("What happened"), choices=OutcomeKind.choices)
    occurred_on = _date_field(_("When"))
    source = forms.ChoiceField(label=_("Source"), choices=OutcomeSource.choices)
    classification = forms.ChoiceField(label=_("Who may read it"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, classifications: Iterable[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["classification"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _classification_choices(classifications)
        field.initial = Classification.TEAM
        field.help_text = _("Offences are criminal-offence data: consider «Police only» or «Own organisation only».")

    def clean_occurred_on(self) -> dt.date | None:
        return _past(self.cleaned_data.get("occurred_on"))

    def event(self) -> NewEvent:
        d = self.cleaned_data
        return NewEvent(d["kind"], d["occurred_on"], d["source"], d["classification"], d.get("note", ""))


class FollowUpForm(IndicatorFields):
    """Record a follow-up: held (what was measured, what happened) or missed (why)."""

    service_error_fields = {**IndicatorFields.service_error_fields, "missed_reason": "missed_reason"}

    held = forms.TypedChoiceField(
        label=_("Was the follow-up held?"),
        choices=[("yes", _("Yes, we had contact")), ("no", _("No, it was missed"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    held_on = _date_field(_("Held on"), required=False)
    missed_reason = forms.ChoiceField(
        label=_("Why it was missed"), choices=[("", "—")] + list(MissedReason.choices), required=False
    )
    source = forms.ChoiceField(
        label=_("Source of the values"),
        choices=[
            (IndicatorSource.WORKER, IndicatorSource.WORKER.label),
            (IndicatorSource.SELF_REPORT, IndicatorSource.SELF_REPORT.label),
        ],
        initial=IndicatorSource.WORKER,
    )
    event_kind = forms.ChoiceField(
        label=_("Something that happened since (optional)"),
        choices=[("", "—")] + list(OutcomeKind.choices),
        required=False,
    )
    event_on = _date_field(_("When it happened"), required=False)
    event_source = forms.ChoiceField(label=_("Source of what happened"), choices=OutcomeSource.choices, required=False)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A few words about the contact. Nothing the values already say."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_held_on(self) -> dt.date | None:
        return _past(self.cleaned_data.get("held_on"))

    def clean_event_on(self) -> dt.date | None:
        return _past(self.cleaned_data.get("event_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        held = data.get("held")
        if held is True and not data.get("held_on"):
            self.add_error("held_on", _("Give the date of the follow-up."))
        if held is False and not data.get("missed_reason"):
            self.add_error("missed_reason", _("Say why the follow-up was missed."))
        if data.get("event_kind") and not (data.get("event_on") and data.get("event_source")):
            self.add_error("event_on", _("Give the date and the source of what happened."))
        return data

    def events(self) -> list[NewEvent]:
        d = self.cleaned_data
        if not d.get("held") or not d.get("event_kind"):
            return []
        return [NewEvent(d["event_kind"], d["event_on"], d["event_source"], d["classification"])]


class OwnerForm(UtveiForm):
    owner = forms.ChoiceField(label=_("Follow-up owner"), required=False)

    def __init__(self, *args: Any, members: Iterable[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.users = {str(u.pk): u for u in members}
        field = self.fields["owner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("The case lead"))] + [
            (k, u.get_full_name() or u.username) for k, u in self.users.items()
        ]

    def owner_user(self) -> User | None:
        return self.users.get(self.cleaned_data.get("owner") or "")


# ---- Analytics filters -------------------------------------------------------------------------------------


class CohortForm(UtveiForm):
    """The cohort an analyst looks at (GET). Every field optional."""

    track = forms.ChoiceField(label=_("Track"), choices=[("", _("All"))] + list(Track.choices), required=False)
    ideology = forms.ChoiceField(
        label=_("Ideological orientation"), choices=[("", _("All"))] + list(Ideology.choices), required=False
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=[("", _("All"))] + list(AgeBand.choices), required=False)
    opened_from = _date_field(_("Opened from"), required=False)
    opened_to = _date_field(_("Opened up to"), required=False)
    measure = forms.ChoiceField(label=_("Received the measure"), required=False)
    jurisdiction = forms.ChoiceField(label=_("Jurisdiction"), required=False)
    evaluation = forms.ChoiceField(label=_("Pool over"), required=False)

    def __init__(
        self,
        *args: Any,
        measures: Iterable[tuple[str, str]],
        evaluations: Iterable[tuple[str, str]],
        jurisdictions: Iterable[str] = (),
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        jurisdiction = self.fields["jurisdiction"]
        assert isinstance(jurisdiction, forms.ChoiceField)
        jurisdiction.choices = [("", _("All"))] + [(j, j) for j in jurisdictions]
        measure = self.fields["measure"]
        assert isinstance(measure, forms.ChoiceField)
        measure.choices = [("", _("Any"))] + list(measures)
        evaluation = self.fields["evaluation"]
        assert isinstance(evaluation, forms.ChoiceField)
        evaluation.choices = [("", _("My organisation"))] + list(evaluations)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        a, b = data.get("opened_from"), data.get("opened_to")
        for name in ("opened_from", "opened_to"):
            value = data.get(name)
            if not date_in_range(value):
                self.add_error(name, _("Give a date between 1900 and 2100."))
        if a and b and a > b:
            self.add_error("opened_to", _("The end of the period cannot be before its start."))
        return data


class EvaluationForm(UtveiForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=300,
        help_text=_("For example the statute and provision the evaluation rests on, or the approval it has."),
    )
    starts_on = _date_field(_("Starts"))
    ends_on = _date_field(_("Ends"))
    epsilon_budget = forms.FloatField(
        label=_("Privacy budget (ε)"),
        min_value=0.01,
        max_value=10,
        initial=2.0,
        help_text=_("The total privacy loss the evaluation's differentially private releases may spend."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        a, b = data.get("starts_on"), data.get("ends_on")
        if a and b and b < a:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class ReleaseForm(UtveiForm):
    query = forms.ChoiceField(label=_("Figure"))
    epsilon = forms.FloatField(
        label=_("Privacy loss (ε) to spend"),
        min_value=0.01,
        max_value=10,
        initial=0.5,
        help_text=_("Smaller ε: more noise and more protection. The release is refused past the budget."),
    )
    evaluation = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, queries: Iterable[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["query"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(queries)
