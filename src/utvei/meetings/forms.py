"""Forms for the meeting pages: they parse and validate input. Access is decided in access.meetings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.accounts.models import Organisation, User
from utvei.cases.models import TaskStatus, TeamMember
from utvei.core.forms import DATE_WIDGET, DATETIME_FORMAT, UtveiForm, VersionedForm, in_range
from utvei.core.vocabulary import Classification, DataCategory

from .models import MeetingKind

TEXT_MAX = 20000


def form_prefix(kind: str, obj: Any) -> str:
    """A prefix per object, so that many forms on one page keep unique ids."""
    return f"{kind}-{obj.public_id.hex}"


class TeamChoices:
    """Who may be named on a meeting: the people on the team (each for the organisation they sit on it for) and
    the organisations on it. Keys: `username@org-slug` for a person, `@org-slug` for an organisation."""

    def __init__(self, team: Iterable[TeamMember], extra_orgs: Iterable[Organisation] = ()) -> None:
        self.people: dict[str, tuple[User, Organisation]] = {}
        self.orgs: dict[str, Organisation] = {}
        for t in team:
            self.people.setdefault(f"{t.user.username}@{t.organisation.slug}", (t.user, t.organisation))
            self.orgs.setdefault(f"@{t.organisation.slug}", t.organisation)
        for org in extra_orgs:
            self.orgs.setdefault(f"@{org.slug}", org)

    def person_choices(self) -> list[tuple[str, str]]:
        rows = [
            (key, f"{user.get_full_name() or user.username} ({org.name})") for key, (user, org) in self.people.items()
        ]
        return sorted(rows, key=lambda kv: kv[1].lower())

    def org_choices(self) -> list[tuple[str, str]]:
        return sorted(((k, o.name) for k, o in self.orgs.items()), key=lambda kv: kv[1].lower())

    def add_attendees(self, attendees: Iterable[Any]) -> None:
        """Keep the meeting's own attendees choosable, also after they have left the team."""
        for a in attendees:
            if a.user_id:
                self.people.setdefault(a.key, (a.user, a.organisation))
            else:
                self.orgs.setdefault(a.key, a.organisation)

    def resolve(self, key: str) -> tuple[User | None, Organisation | None]:
        if key in self.people:
            return self.people[key]
        return None, self.orgs.get(key)


class MeetingFieldsForm(UtveiForm):
    """When, where, who and the agenda; the minutes are added when the meeting is recorded (MeetingEditForm)."""

    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices, widget=forms.RadioSelect)
    starts_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("Date and time the meeting starts."),
    )
    place = forms.CharField(label=_("Place (optional)"), max_length=200, required=False)
    people = forms.MultipleChoiceField(
        label=_("People on the team who take part"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Before the meeting: who is invited. Afterwards: who took part."),
    )
    organisations = forms.MultipleChoiceField(
        label=_("Organisations that take part without a named person"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    presence = forms.MultipleChoiceField(
        label=_("Did the person or a guardian take part?"),
        choices=[("person", _("The person took part")), ("guardian", _("A guardian took part"))],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave both unticked when neither took part."),
    )
    agenda = forms.CharField(
        label=_("Agenda (optional)"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    classification = forms.ChoiceField(
        label=_("Who on the team may read the agenda and minutes"),
        choices=Classification.choices,
        initial=Classification.TEAM,
        widget=forms.RadioSelect,
        help_text=_("Others on the team see only that the meeting took place: its kind, date and your organisation."),
    )
    category = forms.ChoiceField(
        label=_("Data category of the minutes"),
        choices=DataCategory.choices,
        initial=DataCategory.PLAN,
        help_text=_("What the minutes are mainly about. Sharing with other organisations is decided per category."),
    )

    service_error_fields = {
        "classification_not_allowed": "classification",
        "attendee_not_on_team": "people",
        "too_many_attendees": "people",
        "invalid_choice": "kind",
        "future_date": "starts_at",
        "when_required": "starts_at",
        "date_out_of_range": "starts_at",
    }

    def __init__(
        self, *args: Any, choices: TeamChoices | None = None, classifications: Iterable[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.team = choices or TeamChoices(())
        people = self.fields["people"]
        orgs = self.fields["organisations"]
        classification = self.fields["classification"]
        assert isinstance(people, forms.MultipleChoiceField)
        assert isinstance(orgs, forms.MultipleChoiceField)
        assert isinstance(classification, forms.ChoiceField)
        people.choices = self.team.person_choices()
        orgs.choices = self.team.org_choices()
        allowed = set(classifications)
        classification.choices = [(v, label) for v, label in Classification.choices if v in allowed]

    def clean_starts_at(self) -> dt.datetime | None:
        return in_range(self.cleaned_data.get("starts_at"))

    def resolved(self) -> dict[str, Any]:
        """The cleaned data as the services take it."""
        d = self.cleaned_data
        attendees = [self.team.resolve(k) for k in d.get("people", [])]
        attendees += [self.team.resolve(k) for k in d.get("organisations", [])]
        presence = set(d.get("presence") or [])
        out = {
            "kind": d["kind"],
            "starts_at": d["starts_at"],
            "place": d.get("place", ""),
            "agenda": d.get("agenda", ""),
            "classification": d["classification"],
            "category": d["category"],
            "attendees": attendees,
            "person_present": "person" in presence,
            "guardian_present": "guardian" in presence,
        }
        if "minutes" in d:
            out["minutes"] = d["minutes"]
        return out


class MeetingEditForm(MeetingFieldsForm, VersionedForm):
    minutes = forms.CharField(
        label=_("Minutes"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "What was discussed and what was agreed. Record each decision below as well, with its owner and due date."
        ),
    )

    field_order = [
        "kind",
        "starts_at",
        "place",
        "people",
        "organisations",
        "presence",
        "agenda",
        "minutes",
        "classification",
        "category",
        "version",
    ]

    service_error_fields = {
        **MeetingFieldsForm.service_error_fields,
        "meeting_incomplete": "minutes",
        "too_long": "minutes",
    }


def owner_key(decision: Any) -> str:
    if decision.owner_user_id:
        return f"{decision.owner_user.username}@{decision.owner_org.slug}"
    return f"@{decision.owner_org.slug}"


class DecisionForm(UtveiForm):
    text = forms.CharField(
        label=_("Decision"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Each decision becomes a task on the case. Its owner and whoever may read this meeting read it; others on "
            "the team see only that a task is there. Keep confidential detail in the minutes."
        ),
    )
    owner = forms.ChoiceField(label=_("Owner"), help_text=_("A person on the team, or an organisation on the team."))
    due_on = forms.DateField(label=_("Due"), widget=DATE_WIDGET)

    service_error_fields = {
        "owner_required": "owner",
        "owner_not_on_team": "owner",
        "due_required": "due_on",
        "date_out_of_range": "due_on",
        "required": "text",
        "too_long": "text",
    }

    def __init__(self, *args: Any, choices: TeamChoices | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.team = choices or TeamChoices(())
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [
            ("", _("Choose the owner")),
            (_("People on the team"), self.team.person_choices()),
            (_("Organisations"), self.team.org_choices()),
        ]

    def clean_due_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("due_on"))

    def resolved(self) -> dict[str, Any]:
        d = self.cleaned_data
        user, org = self.team.resolve(d["owner"])
        return {"text": d["text"], "due_on": d["due_on"], "owner_user": user, "owner_org": org}


class DecisionEditForm(DecisionForm, VersionedForm):
    pass


class DecisionStatusForm(UtveiForm):
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)


class CancelForm(VersionedForm):
    pass
