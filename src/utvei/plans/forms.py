"""Forms for the catalogue and plan pages: they parse and validate input. Access is decided in access.plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, OrgKind
from utvei.cases.models import TeamMember, Track
from utvei.core.forms import DATE_WIDGET, UtveiForm, VersionedForm, in_range, not_in_future
from utvei.core.vocabulary import Classification

from .models import (
    PLAN_CLASSIFICATIONS,
    Attainment,
    EvidenceBasis,
    Goal,
    GoalDomain,
    ItemStatus,
    Measure,
    Participation,
    Sector,
    StopReason,
)


def form_prefix(kind: str, obj: Any) -> str:
    """A prefix per object, so that many forms on one page keep unique ids."""
    return f"{kind}-{obj.public_id.hex}"


# ---- The catalogue -------------------------------------------------------------------------------------


class MeasureFilterForm(UtveiForm):
    required_css_class = ""
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False)
    track = forms.ChoiceField(label=_("Track"), choices=[("", _("All tracks")), *Track.choices], required=False)
    scope = forms.ChoiceField(
        label=_("Catalogue"),
        choices=[("", _("National and local")), ("national", _("National")), ("local", _("Local"))],
        required=False,
    )


class LocalMeasureForm(UtveiForm):
    name_nb = forms.CharField(label=_("Name (bokmål)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English, optional)"), max_length=200, required=False)
    description_nb = forms.CharField(
        label=_("Description (bokmål)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the measure is and who offers it. Never write about a person here."),
    )
    description_en = forms.CharField(
        label=_("Description (English, optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    tracks = forms.MultipleChoiceField(label=_("Tracks"), choices=Track.choices, widget=forms.CheckboxSelectMultiple)
    provider_kinds = forms.MultipleChoiceField(
        label=_("Provided by (optional)"), choices=OrgKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    duration_nb = forms.CharField(label=_("Typical duration (bokmål, optional)"), max_length=200, required=False)
    duration_en = forms.CharField(label=_("Typical duration (English, optional)"), max_length=200, required=False)
    evidence_basis = forms.ChoiceField(
        label=_("What is known about it"),
        choices=EvidenceBasis.choices,
        initial=EvidenceBasis.PRACTICE,
        widget=forms.RadioSelect,
    )
    evidence_nb = forms.CharField(
        label=_("Evidence note (bokmål)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Be honest: say what is known and what is not. Local measures are rarely evaluated."),
    )
    evidence_en = forms.CharField(
        label=_("Evidence note (English, optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class LocalMeasureEditForm(LocalMeasureForm, VersionedForm):
    active = forms.BooleanField(
        label=_("Active: may be chosen in plans"), required=False, help_text=_("Plans that use it keep it.")
    )


# ---- Plans ---------------------------------------------------------------------------------------------


class PlanFieldsForm(VersionedForm):
    participation = forms.ChoiceField(
        label=_("Did the person take part in making the plan?"),
        choices=[c for c in Participation.choices if c[0]],
        widget=forms.RadioSelect,
        required=False,
    )
    participation_note = forms.CharField(
        label=_("About the participation (optional)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the person did not take part: say why."),
    )
    classification = forms.ChoiceField(
        label=_("Who may read the plan"),
        choices=[(c, Classification(c).label) for c in PLAN_CLASSIFICATIONS],
        widget=forms.RadioSelect,
        help_text=_("Mentors on the team see the goals and their own items unless the plan is for the team only."),
    )
    review_due = forms.DateField(label=_("Next review (optional)"), required=False, widget=DATE_WIDGET)

    service_error_fields = {"too_long": "participation_note", "invalid_choice": "classification"}

    def clean_review_due(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("review_due"))


class GoalForm(UtveiForm):
    text = forms.CharField(
        label=_("Goal, in the person's own words"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write it as the person says it, e.g. «I want a job I can get up for»."),
    )
    domain = forms.ChoiceField(label=_("Domain"), choices=[("", _("Choose a domain")), *GoalDomain.choices])
    target_date = forms.DateField(label=_("Target date (optional)"), required=False, widget=DATE_WIDGET)

    service_error_fields = {"required": "text", "too_long": "text", "invalid_choice": "domain"}

    def clean_target_date(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("target_date"))


class GoalEditForm(GoalForm, VersionedForm):
    pass


class RatingForm(UtveiForm):
    rating = forms.TypedChoiceField(
        label=_("How far is the goal reached?"),
        choices=Attainment.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("0 is the level the goal describes. Rate it with the person where you can."),
    )
    rated_on = forms.DateField(label=_("Date (optional, default today)"), required=False, widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("Note (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    service_error_fields = {"future_date": "rated_on", "invalid_rating": "rating", "too_long": "note"}

    def clean_rated_on(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("rated_on"))


def measure_choices(measures: Iterable[Measure]) -> list[tuple[Any, Any]]:
    """Measures grouped by sector, in catalogue order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    labels = dict(Sector.choices)
    for m in measures:
        name = f"{m.name} ({m.owner_org.name})" if m.owner_org_id and m.owner_org else m.name
        groups.setdefault(str(labels.get(m.sector, m.sector)), []).append((m.key, name))
    return [("", _("Choose a measure")), *sorted(groups.items())]


class ItemForm(UtveiForm):
    measure = forms.ChoiceField(label=_("Measure"))
    goal = forms.ChoiceField(label=_("Goal it serves"), required=False)
    responsible_user = forms.ChoiceField(label=_("Person responsible (on the team)"), required=False)
    responsible_org = forms.ModelChoiceField(
        label=_("Organisation responsible"),
        queryset=Organisation.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("The person's organisation on the team"),
        help_text=_("Name a person on the team, an organisation, or both."),
    )
    start_on = forms.DateField(label=_("Start (optional)"), required=False, widget=DATE_WIDGET)
    end_on = forms.DateField(label=_("End (optional)"), required=False, widget=DATE_WIDGET)
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices, initial=ItemStatus.PLANNED)
    sessions_planned = forms.IntegerField(
        label=_("Sessions planned (optional)"),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=_(
            "How many meetings or sessions the measure is meant to have: the dose evaluation relates outcomes to."
        ),
    )
    note = forms.CharField(
        label=_("Note (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    service_error_fields = {
        "sessions": "sessions_planned",
        "measure_inactive": "measure",
        "goal_not_in_plan": "goal",
        "end_before_start": "end_on",
        "responsible_required": "responsible_user",
        "responsible_not_on_team": "responsible_user",
        "too_long": "note",
    }

    def __init__(
        self,
        *args: Any,
        measures: Iterable[Measure] = (),
        goals: Iterable[Goal] = (),
        team: Iterable[TeamMember] = (),
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.measures = {m.key: m for m in measures}
        self.goals = {g.public_id.hex: g for g in goals}
        people: dict[str, Any] = {}
        for t in team:
            people.setdefault(t.user.username, f"{t.user.get_full_name() or t.user.username} ({t.organisation.name})")
        self._team = {t.user.username: t.user for t in team}
        measure = self.fields["measure"]
        goal = self.fields["goal"]
        person = self.fields["responsible_user"]
        assert isinstance(measure, forms.ChoiceField)
        assert isinstance(goal, forms.ChoiceField)
        assert isinstance(person, forms.ChoiceField)
        measure.choices = measure_choices(self.measures.values())
        goal.choices = [("", _("No particular goal"))] + [(k, _short(g.text)) for k, g in self.goals.items()]
        person.choices = [("", _("Nobody in particular"))] + sorted(people.items(), key=lambda kv: kv[1])

    def clean_start_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("start_on"))

    def clean_end_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("end_on"))

    def resolved(self) -> dict[str, Any]:
        """The cleaned data with objects in place of keys."""
        d = self.cleaned_data
        return {
            "measure": self.measures[d["measure"]],
            "goal": self.goals.get(d["goal"]) if d.get("goal") else None,
            "responsible_user": self._team.get(d["responsible_user"]) if d.get("responsible_user") else None,
            "responsible_org": d.get("responsible_org"),
            "start_on": d.get("start_on"),
            "end_on": d.get("end_on"),
            "status": d["status"],
            "note": d.get("note", ""),
            "sessions_planned": d.get("sessions_planned"),
        }


class ItemEditForm(ItemForm, VersionedForm):
    pass


class ItemStatusForm(VersionedForm):
    required_css_class = ""
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices)
    stop_reason = forms.ChoiceField(
        label=_("Why it stopped (when stopped)"), choices=[("", "—")] + list(StopReason.choices), required=False
    )
    sessions_held = forms.IntegerField(
        label=_("Sessions held so far (optional)"), min_value=0, max_value=1000, required=False
    )
    note = forms.CharField(
        label=_("Note (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    service_error_fields = {"too_long": "note", "invalid_choice": "stop_reason", "stop_reason": "stop_reason"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ItemStatus.STOPPED and not data.get("stop_reason"):
            self.add_error("stop_reason", _("Say why the measure stopped."))
        return data


class ApproveForm(VersionedForm):
    review_due = forms.DateField(
        label=_("First review (optional)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Default: three months from today."),
    )

    service_error_fields = {"review_in_past": "review_due"}

    def clean_review_due(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("review_due"))


class ReviewForm(UtveiForm):
    reviewed_on = forms.DateField(label=_("Reviewed on (optional, default today)"), required=False, widget=DATE_WIDGET)
    next_review_due = forms.DateField(
        label=_("Next review (optional)"), required=False, widget=DATE_WIDGET, help_text=_("Default: three months on.")
    )
    note = forms.CharField(
        label=_("Note (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    service_error_fields = {"future_date": "reviewed_on", "review_order": "next_review_due", "too_long": "note"}

    def clean_reviewed_on(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("reviewed_on"))

    def clean_next_review_due(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("next_review_due"))


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
