"""Forms for the assessment pages: they parse and validate input, nothing more. Access is the policy's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.core.forms import DATE_WIDGET, TEXT_MAX, UtveiForm, in_range
from utvei.core.vocabulary import Classification

from .display import ItemLine
from .models import Confidence, Instrument, SkipReason, SummaryLevel
from .services import EVIDENCE_MAX, ItemInput

CLASSIFICATION_LABELS = dict(Classification.choices)
CLASSIFICATION_HELP = _(
    "Who on the team may read the assessment once it is final. Mentors never see assessments; a draft is seen "
    "only in your own organisation."
)


def _classification_field(classifications: Sequence[str]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Who may read it"),
        choices=[(c, CLASSIFICATION_LABELS[c]) for c in classifications],
        widget=forms.RadioSelect,
        help_text=CLASSIFICATION_HELP,
    )


class NewAssessmentForm(UtveiForm):
    service_error_fields = {"unknown_instrument": "instrument", "classification_not_allowed": "classification"}

    def __init__(
        self, *args: Any, instruments: Sequence[Instrument] = (), classifications: Sequence[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["instrument"] = forms.ChoiceField(
            label=_("Instrument"),
            choices=[(i.key, i.name) for i in instruments],
            widget=forms.RadioSelect,
            initial=instruments[0].key if len(instruments) == 1 else None,
        )
        self.fields["classification"] = _classification_field(classifications)
        self.fields["classification"].initial = Classification.TEAM if Classification.TEAM in classifications else None


class DomainForm(UtveiForm):
    """Rating, confidence and evidence for each item of one domain. Everything may stay empty in a draft."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, items: Sequence[ItemLine] = (), scale: Sequence[tuple[str, str]] = (), **kw: Any):
        super().__init__(*args, **kw)
        self.items = list(items)
        for item in self.items:
            self.fields[f"r-{item.code}"] = forms.ChoiceField(
                label=_("Rating"), choices=list(scale), widget=forms.RadioSelect, required=False
            )
            self.fields[f"c-{item.code}"] = forms.ChoiceField(
                label=_("Confidence"),
                choices=[("", _("Not given")), *Confidence.choices],
                required=False,
            )
            self.fields[f"e-{item.code}"] = forms.CharField(
                label=_("Evidence"),
                required=False,
                max_length=EVIDENCE_MAX,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("What you rely on: what was seen, said or documented, by whom and when."),
            )

    def rows(self) -> list[tuple[ItemLine, Any, Any, Any]]:
        """(item, rating field, confidence field, evidence field) for the template."""
        return [(i, self[f"r-{i.code}"], self[f"c-{i.code}"], self[f"e-{i.code}"]) for i in self.items]

    def item_inputs(self) -> list[ItemInput]:
        d = self.cleaned_data
        return [
            ItemInput(code=i.code, rating=d[f"r-{i.code}"], confidence=d[f"c-{i.code}"], evidence=d[f"e-{i.code}"])
            for i in self.items
        ]


class SummaryForm(UtveiForm):
    """The assessor's own summary: level, judgement, formulation, scenarios, management, reassessment date."""

    summary_level = forms.ChoiceField(
        label=_("Level of concern"),
        choices=SummaryLevel.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Your judgement, all things considered. Utvei does not compute it from the ratings."),
    )
    summary_judgement = forms.CharField(
        label=_("Summary judgement"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you conclude, and why: the items and evidence that weigh most in your judgement."),
    )
    formulation = forms.CharField(
        label=_("Formulation"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("How the person came to where they are: what drives and what holds back."),
    )
    scenarios = forms.CharField(
        label=_("Scenarios"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What could plausibly happen next, and what would signal it."),
    )
    management = forms.CharField(
        label=_("Management recommendations"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the team should do: measures, monitoring, safety, who follows up."),
    )
    changes_since_last = forms.CharField(
        label=_("What has changed since last time?"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for a reassessment: what changed, and what you make of it."),
    )
    reassessment_due = forms.DateField(
        label=_("Reassess by"),
        required=False,
        widget=DATE_WIDGET,
        validators=[in_range],
        help_text=_("Usually three months from now."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    service_error_fields = {
        "invalid_level": "summary_level",
        "classification_not_allowed": "classification",
        "date_out_of_range": "reassessment_due",
        "assessor_not_on_team": "assessors",
    }

    def __init__(
        self,
        *args: Any,
        classifications: Sequence[str] = (),
        team: Sequence[tuple[str, str]] = (),
        reassessment: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["classification"] = _classification_field(classifications)
        self.fields["assessors"] = forms.MultipleChoiceField(
            label=_("Co-assessors"),
            choices=list(team),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            help_text=_("Team members who took part in the assessment."),
        )
        if not reassessment:
            del self.fields["changes_since_last"]
        self.order_fields(
            [
                "summary_level",
                "summary_judgement",
                "formulation",
                "scenarios",
                "management",
                "changes_since_last",
                "reassessment_due",
                "assessors",
                "classification",
            ]
        )


class FinaliseForm(UtveiForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SkipForm(UtveiForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=SkipReason.choices, widget=forms.RadioSelect)
    explanation = forms.CharField(
        label=_("Explanation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why planning starts without a final assessment, and when one will be made, if ever."),
    )

    service_error_fields = {"required": "explanation", "too_long": "explanation", "invalid_choice": "reason"}
