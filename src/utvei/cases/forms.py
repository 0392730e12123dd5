"""Forms for the case pages: they parse and validate input, nothing more. Access is decided by the policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from utvei.access.policy import intake_organisations, team_organisations
from utvei.access.sharing import handoff_bases
from utvei.accounts.models import Membership, Organisation, User
from utvei.cases.models import (
    HAND_WRITTEN_KINDS,
    ClosureReason,
    ConcernKind,
    EntryKind,
    HandoffTo,
    Ideology,
    MotivationStage,
    Phase,
    TaskStatus,
    TeamMember,
    TeamRole,
    Track,
    TriageOutcome,
    Urgency,
)
from utvei.core import files
from utvei.core.errors import UtveiError
from utvei.core.forms import DATE_WIDGET, DATETIME_FORMAT, TEXT_MAX, UtveiForm, VersionedForm, in_range, not_in_future
from utvei.core.vocabulary import Classification, DataCategory
from utvei.people.models import Gender
from utvei.people.services import normalise_nin


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def _nin_clean(value: str) -> str:
    try:
        return normalise_nin(value)
    except UtveiError as exc:
        raise forms.ValidationError(str(exc.message), code=exc.code) from exc


# ---- Concerns ------------------------------------------------------------------------------------------


class AnswerForm(UtveiForm):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("It goes to the organisation that asked, and the concern goes back to its queue."),
    )
    service_error_fields = {"required": "answer", "too_long": "answer"}


class ConcernForm(UtveiForm):
    receiving_org = forms.ModelChoiceField(
        label=_("Send to"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose the receiving organisation"),
        help_text=_("Usually the exit or SLT coordinator of the municipality where the person lives."),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("What is it about?"),
        choices=_blank(_("Choose what fits best")) + ConcernKind.choices,
        help_text=_("The closest fit; the coordinator sees it in the queue before opening the concern."),
    )
    description = forms.CharField(
        label=_("What worries you?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Describe what you have seen or heard, when, and who else knows about it."),
    )
    anonymous = forms.BooleanField(
        label=_("Discuss the concern anonymously first (the person is not identified)"),
        required=False,
    )
    subject_name = forms.CharField(label=_("Name of the person (optional)"), max_length=200, required=False)
    subject_national_id = forms.CharField(
        label=_("National identity number (optional)"),
        max_length=20,
        required=False,
        help_text=_("11 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject_birth_date = forms.DateField(label=_("Date of birth (optional)"), required=False, widget=DATE_WIDGET)

    service_error_fields = {"invalid_nin": "subject_national_id", "required": "description", "too_long": "description"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["receiving_org"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = intake_organisations()

    def clean_subject_national_id(self) -> str:
        return _nin_clean(self.cleaned_data.get("subject_national_id", ""))

    def clean_subject_birth_date(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("subject_birth_date"))


class TriageForm(UtveiForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=TriageOutcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label=_("Rationale"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why this outcome: the facts you relied on and what you weighed."),
    )
    track = forms.ChoiceField(label=_("Track"), choices=Track.choices, initial=Track.PREVENTION, required=False)
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    national_id = forms.CharField(
        label=_("National identity number"),
        max_length=20,
        required=False,
        help_text=_("An exact match links the case to a person already registered."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN, required=False)
    municipality = forms.CharField(label=_("Municipality"), max_length=100, required=False)
    protected_identity = forms.ChoiceField(
        label=_("Does the person have a protected identity (strengthened protection of address)?"),
        choices=[("unknown", _("Not known")), ("no", _("No")), ("yes", _("Yes"))],
        initial="unknown",
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Yes: only the case lead and the team members the lead names see who the person is."),
    )
    protected_reason = forms.CharField(
        label=_("Why the identity is protected (when yes)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the decision on protection of address. Stored with the flag, not in the log."),
    )
    question = forms.CharField(
        label=_("Question to the reporter"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The reporter sees it on their receipt and is told by e-mail that there is a question (not what it is)."
        ),
    )
    handoff_to = forms.ChoiceField(
        label=_("Passed on to"), choices=_blank(_("Choose where")) + HandoffTo.choices, required=False
    )
    handoff_org = forms.ModelChoiceField(
        label=_("Organisation in Utvei"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("Not in Utvei"),
        help_text=_("It gets the concern in its intake queue. Never PST: PST gets nothing through Utvei."),
    )
    handoff_name = forms.CharField(
        label=_("Or the recipient's name"),
        max_length=200,
        required=False,
        help_text=_("The unit or service outside Utvei, e.g. «PST, the district's contact» or «the GP»."),
    )
    basis = forms.ChoiceField(label=_("Legal basis"), choices=(), required=False)
    handed_at = forms.DateTimeField(
        label=_("Passed on at"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("When you passed it on, if not now (e.g. by phone first)."),
    )

    service_error_fields = {
        "invalid_nin": "national_id",
        "invalid_protected": "protected_identity",
        "protected_reason_required": "protected_reason",
        "identity_required": "full_name",
        "name_required": "full_name",
        "required": "rationale",
        "too_long": "rationale",
        "invalid_choice": "track",
        "handoff_required": "handoff_to",
        "handoff_kind": "handoff_to",
        "recipient_required": "handoff_name",
        "recipient_invalid": "handoff_org",
        "handoff_pst_org": "handoff_org",
        "basis_invalid": "basis",
        "date_out_of_range": "handed_at",
    }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.fields["handoff_org"]
        assert isinstance(org, forms.ModelChoiceField)
        org.queryset = intake_organisations().exclude(pk=membership.organisation_id)
        basis = self.fields["basis"]
        assert isinstance(basis, forms.ChoiceField)
        basis.choices = _blank(_("Choose the basis")) + [
            (b.key, f"{b.display_title} ({b})") for b in handoff_bases(membership)
        ]

    def clean_national_id(self) -> str:
        return _nin_clean(self.cleaned_data.get("national_id", ""))

    def clean_birth_date(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("birth_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == TriageOutcome.OPEN_CASE and not data.get("track"):
            self.add_error("track", _("Choose the track of the new case."))
        if data.get("outcome") == TriageOutcome.MORE_INFO and not (data.get("question") or "").strip():
            self.add_error("question", _("Write the question the reporter is to answer."))
        return data


# ---- Case list -----------------------------------------------------------------------------------------


class CaseFilterForm(UtveiForm):
    required_css_class = ""
    track = forms.ChoiceField(label=_("Track"), choices=_blank(_("All tracks")) + Track.choices, required=False)
    phase = forms.ChoiceField(label=_("Phase"), choices=_blank(_("All open phases")) + Phase.choices, required=False)
    mine = forms.BooleanField(label=_("Only cases I am on the team of"), required=False)
    overdue = forms.BooleanField(label=_("Only cases with overdue tasks"), required=False)
    closed = forms.BooleanField(label=_("Include closed cases"), required=False)
    q = forms.CharField(
        label=_("Find a person or case"),
        max_length=100,
        required=False,
        help_text=_(
            "A name (near spellings are found too), a date of birth (dd.mm.yyyy), an identity number or a "
            "reference such as UTV-2026-000123. Names are found only in cases where you may see who the person is."
        ),
    )
    # A reference in a link (`?ref=`): a reference names no one, so it may travel in an address; a search never does.
    ref = forms.CharField(max_length=30, required=False)


class TimelineFilterForm(UtveiForm):
    """The case page's timeline filter (a GET form). Organisations: only those the viewer may see on the case."""

    required_css_class = ""
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(_("All kinds")) + EntryKind.choices, required=False)
    org = forms.ChoiceField(label=_("Written by"), required=False)
    classification = forms.ChoiceField(
        label=_("Classification"), choices=_blank(_("All classifications")) + Classification.choices, required=False
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET, validators=[in_range])
    until = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET, validators=[in_range])

    def __init__(self, *args: Any, organisations: Iterable[Organisation] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {o.slug: o for o in organisations}
        named = sorted(((o.slug, o.name) for o in self.organisations.values()), key=lambda c: c[1].lower())
        org = self.fields["org"]
        assert isinstance(org, forms.ChoiceField)
        org.choices = _blank(_("All organisations")) + named

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", forms.ValidationError(_("The end cannot be before the start."), code="period"))
        return data

    def organisation(self) -> Organisation | None:
        """The chosen organisation (after is_valid)."""
        return self.organisations.get(self.cleaned_data.get("org") or "")


# ---- Case header ---------------------------------------------------------------------------------------


def team_user_choices(team: Iterable[TeamMember]) -> list[tuple[str, str]]:
    """Each current team member once, by username (users are named by username, never by id)."""
    seen: dict[str, str] = {}
    for member in team:
        name = member.user.get_full_name() or member.user.username
        seen.setdefault(member.user.username, f"{name} ({member.organisation.name})")
    return sorted(seen.items(), key=lambda kv: kv[1].lower())


class CaseEditForm(VersionedForm):
    lead = forms.ChoiceField(label=_("Case lead"), help_text=_("The lead must be on the team."))
    ideologies = forms.MultipleChoiceField(
        label=_("Ideological orientation"),
        choices=Ideology.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Special-category data: record only what the assessment supports."),
    )
    motivation_stage = forms.ChoiceField(
        label=_("Motivation / change stage"), choices=MotivationStage.choices, required=False
    )
    threat_clarified_at = forms.DateField(label=_("Security threat clarified on"), required=False, widget=DATE_WIDGET)
    safety_plan = forms.CharField(
        label=_("Safety plan"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Where the former milieu threatens the person: who does what if a threat arises."),
    )
    safety_plan_review_on = forms.DateField(
        label=_("Review the safety plan by"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("When this date has passed, the case lead is reminded, as of a plan review."),
    )

    service_error_fields = {"lead_not_on_team": "lead", "too_long": "safety_plan"}

    def __init__(self, *args: Any, team: Iterable[TeamMember] = (), with_safety_plan: bool = True, **kw: Any):
        super().__init__(*args, **kw)
        lead = self.fields["lead"]
        assert isinstance(lead, forms.ChoiceField)
        lead.choices = team_user_choices(team)
        if not with_safety_plan:
            del self.fields["safety_plan"]
            del self.fields["safety_plan_review_on"]

    def clean_threat_clarified_at(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("threat_clarified_at"))

    def clean_safety_plan_review_on(self) -> dt.date | None:
        value: dt.date | None = in_range(self.cleaned_data.get("safety_plan_review_on"))
        return value


class PersonEditForm(VersionedForm):
    """The identity details of the case's person (issue 14, deliverable 6): the earlier ones are kept."""

    full_name = forms.CharField(label=_("Name"), max_length=200)
    national_id = forms.CharField(
        label=_("National identity number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DATE_WIDGET)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    municipality = forms.CharField(label=_("Municipality"), max_length=100, required=False)
    guardian_name = forms.CharField(
        label=_("Guardian"), max_length=200, required=False, help_text=_("For a minor: a parent or other guardian.")
    )

    service_error_fields = {
        "name_required": "full_name",
        "invalid_nin": "national_id",
        "nin_taken": "national_id",
        "date_out_of_range": "birth_date",
        "invalid_choice": "gender",
    }

    def clean_birth_date(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("birth_date"))

    def clean_gender(self) -> str:
        return self.cleaned_data.get("gender") or Gender.UNKNOWN


class PhaseForm(VersionedForm):
    to_phase = forms.ChoiceField(label=_("New phase"), choices=Phase.choices)
    measures_ended_on = forms.DateField(
        label=_("Measures ended on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Only for follow-up: follow-up tasks are scheduled 6, 12 and 24 months after this date."),
    )

    def clean_measures_ended_on(self) -> dt.date | None:
        return not_in_future(self.cleaned_data.get("measures_ended_on"))


class TrackForm(VersionedForm):
    required_css_class = ""  # one select that always holds a value
    track = forms.ChoiceField(label=_("Track"), choices=Track.choices)
    note = forms.CharField(label=_("Reason for the change (optional)"), max_length=2000, required=False)


class CloseForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Reason for closing"), choices=ClosureReason.choices, widget=forms.RadioSelect)
    summary = forms.CharField(
        label=_("Closing summary"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was done, what changed, and what the person and the team agreed about the future."),
    )

    service_error_fields = {"required": "summary", "too_long": "summary"}


class ReopenForm(UtveiForm):
    track = forms.ChoiceField(label=_("Track of the new case"), choices=Track.choices, required=False)


# ---- Team ----------------------------------------------------------------------------------------------


class TeamAddForm(UtveiForm):
    """Add someone to the team: choose their organisation, find them by name («Find people»), pick one of those found
    and their role in the case (issue 14, deliverable 3). A username posted directly (no «find») is taken as well."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose an organisation"),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("Part of the person's name, or their username. Empty: everyone who may join from there."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(label=_("Person"), max_length=150, required=False)
    # Required when adding (clean), not when finding: the form shows it with the people found.
    role = forms.ChoiceField(
        label=_("Role in case"), choices=TeamRole.choices, initial=TeamRole.CASEWORKER, required=False
    )

    service_error_fields = {
        "no_membership": "username",
        "role_cannot_join": "username",
        "mentor_role": "role",
        "conflict": "username",
        "invalid_choice": "role",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = team_organisations()

    @property
    def finding(self) -> bool:
        return bool(self.data.get("find"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.finding:
            return data
        if not data.get("role") and "role" not in self.errors:
            self.add_error("role", _("Choose the person's role in the case."))
        username = (data.get("username") or "").strip()
        if not username:
            self.add_error("username", _("Find the person and choose them."))
            return data
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            # The same words as the service uses, so usernames cannot be probed.
            self.add_error("username", _("That user is not an active member of that organisation."))
        else:
            data["user"] = user
        return data


# ---- Timeline ------------------------------------------------------------------------------------------


class EntryFieldsMixin(forms.Form):
    # Not «concern received»: that entry is written when a concern opens the case (cases.services.concern_triage).
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[c for c in EntryKind.choices if c[0] in HAND_WRITTEN_KINDS], initial=EntryKind.NOTE
    )
    category = forms.ChoiceField(
        label=_("Data category"),
        choices=DataCategory.choices,
        initial=DataCategory.PLAN,
        help_text=_("What the text is mainly about. Sharing with other organisations is decided per category."),
    )
    classification = forms.ChoiceField(
        label=_("Who on the team may read it"),
        choices=Classification.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title (optional)"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 10}))

    def limit_classifications(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        field = self.fields["classification"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, label) for v, label in Classification.choices if v in allowed]


class EntryForm(UtveiForm, EntryFieldsMixin):
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("When the conversation, meeting or event took place. Empty means now."),
    )

    field_order = ["kind", "occurred_at", "category", "classification", "title", "body"]
    service_error_fields = {
        "future_date": "occurred_at",
        "classification_not_allowed": "classification",
        "required": "body",
        "too_long": "body",
    }

    def __init__(self, *args: Any, classifications: Iterable[str] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.limit_classifications(classifications)

    def clean_occurred_at(self) -> dt.datetime | None:
        return in_range(self.cleaned_data.get("occurred_at"))


class EntryEditForm(VersionedForm, EntryFieldsMixin):
    field_order = ["kind", "category", "classification", "title", "body", "version"]
    service_error_fields = {
        "classification_not_allowed": "classification",
        "required": "body",
        "too_long": "body",
        "kind_reserved": "kind",
    }

    def __init__(self, *args: Any, classifications: Iterable[str] = (), kind: str = EntryKind.NOTE, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.limit_classifications(classifications)
        if kind == EntryKind.CONCERN:  # the concern's entry keeps its kind
            field = self.fields["kind"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(EntryKind.CONCERN, EntryKind.CONCERN.label)]


# ---- Tasks ---------------------------------------------------------------------------------------------


class TaskForm(UtveiForm):
    title = forms.CharField(label=_("Task"), max_length=300)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DATE_WIDGET)

    service_error_fields = {"assignee_not_on_team": "assignee", "required": "title", "too_long": "title"}

    def __init__(self, *args: Any, team: Iterable[TeamMember] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _blank(_("Nobody yet")) + team_user_choices(team)

    def clean_due_on(self) -> dt.date | None:
        return in_range(self.cleaned_data.get("due_on"))


class TaskStatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    next = forms.CharField(required=False, max_length=500)
    show_case = forms.BooleanField(required=False)


class AttachmentForm(UtveiForm):
    """A file for an entry, a meeting or a consent. The file is judged by the service (core/files.py): its type by
    content, its size, the scanner; each refusal lands on this field."""

    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the service refuses an empty file, in the same words on the page and in the API
        help_text=_(
            "PDF, PNG, JPEG, TIFF, Word, Excel, OpenDocument or plain text, at most %(size)s. The file is stored "
            "encrypted; who may open it follows the classification below."
        ),
    )
    category = forms.ChoiceField(label=_("Data category"), choices=DataCategory.choices, initial=DataCategory.PLAN)
    classification = forms.ChoiceField(
        label=_("Who on the team may open it"), choices=Classification.choices, widget=forms.RadioSelect
    )

    service_error_fields = {
        "file_empty": "file",
        "file_too_large": "file",
        "file_type": "file",
        "file_infected": "file",
        "file_unchecked": "file",
        "classification_not_allowed": "classification",
    }

    def __init__(self, *args: Any, classifications: Iterable[str] = (), like: Any = None, **kw: Any) -> None:
        """`like`: the owner (an entry, a meeting), whose classification and category the form starts with."""
        super().__init__(*args, **kw)
        allowed = set(classifications)
        field = self.fields["classification"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, label) for v, label in Classification.choices if v in allowed]
        if len(field.choices) == 1:
            field.initial = field.choices[0][0]
        elif getattr(like, "classification", None) in allowed:
            field.initial = like.classification
        if getattr(like, "category", None) in DataCategory.values:
            self.fields["category"].initial = like.category
        limit = files.max_bytes()
        size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        self.fields["file"].help_text = self.fields["file"].help_text % {"size": size}

    def upload(self) -> dict[str, Any]:
        """What the service takes from the cleaned form: the name, the bytes, whether the upload stopped at the
        limit."""
        upload = self.cleaned_data["file"]
        return {
            "filename": upload.name or "",
            "data": upload.read(),
            "oversize": bool(getattr(upload, "too_large", False)),
            "classification": self.cleaned_data["classification"],
            "category": self.cleaned_data["category"],
        }


class ProtectionForm(UtveiForm):
    """Setting or lifting a protected identity: the reason is required either way."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the decision on protection of address. Stored with the change, not in the log."),
    )

    service_error_fields = {"required": "reason", "too_long": "reason"}


class IdentityReaderForm(UtveiForm):
    """Naming a team member to read the protected identity."""

    member = forms.ChoiceField(label=_("Team member"))

    service_error_fields = {"not_on_team": "member", "lead": "member"}

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _blank(_("Choose a team member")) + choices
