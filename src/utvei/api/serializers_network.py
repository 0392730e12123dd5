"""Request parsing and response shapes of the person's network (cases/{id}/network/…).

Contacts are third parties: a label or initials and the relation, never a name in full, an identity number or a
date of birth (the services refuse those). A contact or observation the caller may not read is never in a
response; an observation's note is left out (`note_restricted: true`) when its own classification does not admit
the caller. The counts (`indicators`) are descriptive counts of ties, not a score.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.core.vocabulary import Classification
from utvei.network.models import Closeness, Frequency, RelationKind, Valence
from utvei.network.services import LABEL_MAX, NOTE_MAX

from .fields import Date, OrganisationField, Text, Version

CHANGE_KINDS = [
    ("new", _("New tie")),
    ("ended", _("Ended tie")),
    ("valence", _("Changed valence")),
    ("closeness", _("Changed closeness")),
]


class DateQuery(serializers.Serializer):
    on = Date(required=False, help_text=_("The date of the snapshot, YYYY-MM-DD. Default: today."))


class CompareQuery(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword: the fields are named here.
        return {
            "from": Date(required=False, help_text=_("The earlier date, YYYY-MM-DD. Default: a year before `to`.")),
            "to": Date(required=False, help_text=_("The later date, YYYY-MM-DD. Default: today.")),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        a, b = attrs.get("from"), attrs.get("to")
        if a is not None and b is not None and a > b:
            raise serializers.ValidationError(
                {"to": [_("The second date must be on or after the first.")]}, code="rule"
            )
        return attrs


# ---- Observations --------------------------------------------------------------------------------------


class StateSerializer(serializers.Serializer):
    """How a tie looks in its latest observation (no note)."""

    observed_on = serializers.DateField(read_only=True)
    valence = serializers.ChoiceField(choices=Valence.choices, read_only=True)
    closeness = serializers.ChoiceField(choices=Closeness.choices, read_only=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, allow_blank=True, read_only=True)
    ended = serializers.BooleanField(read_only=True)


class FirstObservationSerializer(serializers.Serializer):
    """The first observation of a new contact."""

    observed_on = Date(help_text=_("The date this describes. Not in the future."))
    valence = serializers.ChoiceField(choices=Valence.choices)
    closeness = serializers.ChoiceField(choices=Closeness.choices, help_text=_("3 close (inner ring) … 1 distant."))
    frequency = serializers.ChoiceField(
        choices=Frequency.choices, allow_blank=True, required=False, help_text=_("Blank: not recorded.")
    )
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True)


class ObservationSerializer(serializers.Serializer):
    """One observation of a tie. POST appends one (they are never changed); `ended: true` ends the tie, and then
    `valence` and `closeness` default to the latest ones."""

    optional_fields = ("note",)

    id = serializers.UUIDField(source="public_id", read_only=True)
    contact = serializers.SerializerMethodField()
    observed_on = Date(help_text=_("The date this describes. Not in the future."))
    valence = serializers.ChoiceField(choices=Valence.choices, required=False, help_text=_("Required unless ended."))
    closeness = serializers.ChoiceField(
        choices=Closeness.choices, required=False, help_text=_("3 close … 1 distant. Required unless ended.")
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, allow_blank=True, required=False)
    ended = serializers.BooleanField(required=False, default=False, help_text=_("The tie has ended on this date."))
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, help_text=_("Left out when restricted."))
    note_restricted = serializers.SerializerMethodField(
        help_text=_("True when the note's classification does not admit you.")
    )
    classification = serializers.ChoiceField(
        choices=Classification.choices,
        required=False,
        help_text=_("Who on the team may read the note. Default: the contact's."),
    )
    author_organisation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_contact(self, obj: Any) -> str:
        return str(obj.contact.public_id)

    def get_note_restricted(self, obj: Any) -> bool:
        return obj.public_id not in self.context.get("readable_notes", set())

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("note_restricted"):
            data.pop("note", None)
        return data


# ---- Contacts ------------------------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    """A contact in the person's network. POST adds one with its first `observation`; PATCH changes the relation,
    label, formal flag, organisation or classification with `version` (the organisation that added it)."""

    optional_fields = ("observations",)

    id = serializers.UUIDField(source="public_id", read_only=True)
    case = serializers.SerializerMethodField()
    relation = serializers.ChoiceField(choices=RelationKind.choices)
    formal = serializers.BooleanField(
        required=False,
        help_text=_(
            "Formal network (agencies, professionals). Default by the relation; always true with an organisation."
        ),
    )
    label = Text(  # type: ignore[assignment]  # a field named like Field.label
        max_length=LABEL_MAX,
        help_text=_("A label or initials («Mor», «J.K.»). Never a full name, an identity number or a date of birth."),
    )
    organisation = OrganisationField(
        required=False,
        allow_null=True,
        help_text=_("Slug of an organisation on the team the contact works at; its tie on the map is then this one."),
    )
    classification = serializers.ChoiceField(
        choices=Classification.choices,
        required=False,
        help_text=_("Who on the team may read the contact. Default team."),
    )
    author_organisation = serializers.SerializerMethodField()
    version = Version(required=False, help_text=_("Required for PATCH: the version you last read."))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    current = serializers.SerializerMethodField(help_text=_("The latest observation, today; null before the first."))
    observation = FirstObservationSerializer(write_only=True, help_text=_("Required for POST."))
    observations = serializers.SerializerMethodField(help_text=_("Newest first (in the detail only)."))

    def get_case(self, obj: Any) -> str:
        return str(obj.case.public_id)

    def get_author_organisation(self, obj: Any) -> str:
        return obj.author_org.slug

    @extend_schema_field(StateSerializer(allow_null=True))
    def get_current(self, obj: Any) -> dict[str, Any] | None:
        state = self.context.get("states", {}).get(obj.pk)
        return dict(StateSerializer(state).data) if state is not None else None

    @extend_schema_field(ObservationSerializer(many=True))
    def get_observations(self, obj: Any) -> list[Any]:
        rows = self.context.get("observations")
        if rows is None:
            return []
        context = {"readable_notes": self.context.get("readable_notes", set())}
        return list(ObservationSerializer(rows, many=True, context=context).data)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("observations") is None:
            data.pop("observations", None)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial:
            if "version" not in attrs:
                raise serializers.ValidationError({"version": [_("This field is required.")]}, code="required")
            if "observation" in attrs:
                raise serializers.ValidationError(
                    {"observation": [_("Add observations at …/observations/: they are never changed.")]}, code="rule"
                )
        return attrs


# ---- Snapshots and comparisons -------------------------------------------------------------------------


class TieSerializer(serializers.Serializer):
    """A tie in a snapshot: a contact in the state of its latest observation, or a team organisation (key
    `org:<slug>`, valence unknown, outer ring: not observed)."""

    key = serializers.CharField(read_only=True, help_text=_("The contact's id, or org:<slug> for a team organisation."))
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    relation = serializers.CharField(read_only=True, help_text=_("A relation kind, or `organisation`."))
    relation_label = serializers.CharField(read_only=True)
    formal = serializers.BooleanField(read_only=True)
    valence = serializers.ChoiceField(choices=Valence.choices, read_only=True)
    closeness = serializers.ChoiceField(choices=Closeness.choices, read_only=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, allow_blank=True, read_only=True)
    observed_on = serializers.DateField(read_only=True, allow_null=True)
    contact = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.UUID)
    def get_contact(self, obj: Any) -> str | None:
        return str(obj.contact.public_id) if obj.contact is not None else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_organisation(self, obj: Any) -> str | None:
        return obj.organisation.slug if obj.organisation is not None else None


class IndicatorsSerializer(serializers.Serializer):
    """Descriptive counts of the ties you may see on the date — not a score; nothing is weighed or ranked."""

    supportive = serializers.IntegerField(read_only=True)
    risk = serializers.IntegerField(read_only=True)
    ambivalent = serializers.IntegerField(read_only=True)
    unknown = serializers.IntegerField(read_only=True)
    informal = serializers.IntegerField(read_only=True)
    formal = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True, help_text=_("How many ties."))
    note = serializers.SerializerMethodField()

    def get_note(self, obj: Any) -> str:
        return str(_("Descriptive counts of ties, not a score."))


class SnapshotSerializer(serializers.Serializer):
    on = serializers.DateField(read_only=True)
    ties = TieSerializer(many=True, read_only=True)
    indicators = IndicatorsSerializer(read_only=True)


class ChangeSerializer(serializers.Serializer):
    """A typed change from the earlier date to the later one."""

    change = serializers.ChoiceField(choices=CHANGE_KINDS, source="kind", read_only=True)
    key = serializers.CharField(read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    relation_label = serializers.SerializerMethodField()
    formal = serializers.SerializerMethodField()
    before = TieSerializer(read_only=True, allow_null=True, help_text=_("The tie on the earlier date; null if new."))
    after = TieSerializer(read_only=True, allow_null=True, help_text=_("The tie on the later date; null if ended."))

    def get_label(self, obj: Any) -> str:
        return str(obj.tie.label)

    def get_relation_label(self, obj: Any) -> str:
        return str(obj.tie.relation_label)

    def get_formal(self, obj: Any) -> bool:
        return bool(obj.tie.formal)


class ComparisonSerializer(serializers.Serializer):
    before = SnapshotSerializer(read_only=True)
    after = SnapshotSerializer(read_only=True)
    changes = ChangeSerializer(many=True, read_only=True)
