"""Request parsing and response shapes of instruments/ and cases/{id}/assessments/.

Assessments carry ratings, evidence and the assessor's own summary judgement. No field is a score: the
per-domain `descriptive_counts` say how many items got each rating and are labelled as such.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.assessments import display
from utvei.assessments.models import (
    ASSESSMENT_CLASSIFICATIONS,
    Assessment,
    AssessmentSkip,
    Confidence,
    Instrument,
    InstrumentVersion,
    ItemType,
    Licence,
    SkipReason,
    SummaryLevel,
    localised,
)
from utvei.assessments.services import EVIDENCE_MAX, TEXT_MAX
from utvei.core.vocabulary import Classification

from .fields import Date, DateTime, Slug, Text, UserField, Version

DESCRIPTIVE_NOTE = _("Descriptive counts of items per rating, not a score. Nothing is added up or ranked.")
CLASSIFICATIONS = [(c.value, c.label) for c in Classification if c in ASSESSMENT_CLASSIFICATIONS]


# ---- Instruments ---------------------------------------------------------------------------------------


class InstrumentSerializer(serializers.Serializer):
    key = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True, help_text=_("In the language of Accept-Language."))
    name_nb = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    licence = serializers.ChoiceField(choices=Licence.choices, read_only=True)
    publisher = serializers.CharField(read_only=True)
    versions = serializers.SerializerMethodField(help_text=_("The loaded versions, newest first."))

    def get_versions(self, obj: Instrument) -> list[int]:
        return [v.version for v in obj.versions.all()]


class ScaleOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    label_nb = serializers.CharField()
    label_en = serializers.CharField()


class InstrumentItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    type = serializers.ChoiceField(choices=ItemType.choices)
    text = serializers.CharField(help_text=_("Empty for a licensed instrument loaded without item texts."))
    text_nb = serializers.CharField()
    text_en = serializers.CharField()
    guidance = serializers.CharField()


class InstrumentDomainSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = InstrumentItemSerializer(many=True)


class InstrumentVersionSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    licence = serializers.ChoiceField(choices=Licence.choices)
    publisher = serializers.CharField()
    description = serializers.CharField()
    licence_note = serializers.CharField()
    source = serializers.CharField(  # type: ignore[assignment]  # a declared field, not Field.source
        help_text=_("data-file (built in) or local-file (loaded by an operator).")
    )
    scale = ScaleOptionSerializer(many=True, help_text=_("Every scale includes «unknown»."))
    domains = InstrumentDomainSerializer(many=True)


def render_instrument_version(v: InstrumentVersion) -> dict[str, Any]:
    d = v.definition
    return {
        "key": v.instrument.key,
        "version": v.version,
        "name": localised(d, "name"),
        "licence": d["licence"],
        "publisher": d.get("publisher", ""),
        "description": localised(d, "description"),
        "licence_note": d.get("licence_note", ""),
        "source": v.source,
        "scale": [{**s, "label": localised(s, "label")} for s in v.scale],
        "domains": [
            {
                "code": dom["code"],
                "name": localised(dom, "name"),
                "description": localised(dom, "description"),
                "items": [
                    {
                        "code": i["code"],
                        "type": i["type"],
                        "text": localised(i, "text"),
                        "text_nb": i.get("text_nb", ""),
                        "text_en": i.get("text_en", ""),
                        "guidance": localised(i, "guidance"),
                    }
                    for i in dom["items"]
                ],
            }
            for dom in v.domains
        ],
    }


# ---- Assessments ---------------------------------------------------------------------------------------


class AssessmentItemSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    domain = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=ItemType.choices, read_only=True)
    rating = serializers.CharField(read_only=True, help_text=_("A code of the instrument's scale; empty: not rated."))
    confidence = serializers.CharField(read_only=True, help_text=_("low, medium, high; empty: not given."))
    evidence = serializers.CharField(read_only=True)


class CountSerializer(serializers.Serializer):
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    rating = serializers.CharField(help_text=_("A scale code; empty: not rated."))
    items = serializers.IntegerField(help_text=_("How many items of this type got this rating."))


class DomainCountsSerializer(serializers.Serializer):
    domain = serializers.CharField()
    counts = CountSerializer(many=True)


class DescriptiveCountsSerializer(serializers.Serializer):
    note = serializers.CharField()
    domains = DomainCountsSerializer(many=True)


class AssessmentSerializer(serializers.Serializer):
    """An assessment the caller may read, in full."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    case = serializers.SerializerMethodField()
    instrument = serializers.SerializerMethodField()
    instrument_version = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)
    classification = serializers.ChoiceField(choices=CLASSIFICATIONS, read_only=True)
    author = serializers.SerializerMethodField()
    author_organisation = serializers.SerializerMethodField()
    assessors = serializers.SerializerMethodField()
    summary_level = serializers.CharField(
        read_only=True, help_text=_("The level of concern the assessor entered (never computed); empty in a draft.")
    )
    summary_judgement = serializers.CharField(read_only=True)
    formulation = serializers.CharField(read_only=True)
    scenarios = serializers.CharField(read_only=True)
    management = serializers.CharField(read_only=True)
    changes_since_last = serializers.CharField(read_only=True)
    reassessment_due = serializers.DateField(read_only=True, allow_null=True)
    previous = serializers.SerializerMethodField(help_text=_("The previous final assessment it is compared with."))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    finalised_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finalised_by = serializers.SerializerMethodField()
    version = serializers.IntegerField(read_only=True)
    items = serializers.SerializerMethodField()
    descriptive_counts = serializers.SerializerMethodField()
    restricted = serializers.SerializerMethodField()

    def get_case(self, obj: Assessment) -> str:
        return str(obj.case.public_id)

    def get_instrument(self, obj: Assessment) -> str:
        return obj.instrument_version.instrument.key

    def get_instrument_version(self, obj: Assessment) -> int:
        return obj.instrument_version.version

    def get_author(self, obj: Assessment) -> str:
        return obj.author.username

    def get_author_organisation(self, obj: Assessment) -> str:
        return obj.author_org.slug

    def get_assessors(self, obj: Assessment) -> list[str]:
        return sorted(u.username for u in obj.assessors.all())

    @extend_schema_field(OpenApiTypes.UUID)
    def get_previous(self, obj: Assessment) -> str | None:
        return str(obj.previous.public_id) if obj.previous_id and obj.previous else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_finalised_by(self, obj: Assessment) -> str | None:
        return obj.finalised_by.username if obj.finalised_by else None

    @extend_schema_field(AssessmentItemSerializer(many=True))
    def get_items(self, obj: Assessment) -> list[dict[str, Any]]:
        return [
            {
                "code": line.code,
                "domain": line.domain,
                "type": line.type,
                "rating": line.rating,
                "confidence": line.confidence,
                "evidence": line.evidence,
            }
            for block in self._blocks(obj)
            for line in block.items
        ]

    @extend_schema_field(DescriptiveCountsSerializer)
    def get_descriptive_counts(self, obj: Assessment) -> dict[str, Any]:
        domains = []
        for block in self._blocks(obj):
            counts = []
            for item_type in dict.fromkeys(line.type for line in block.items):
                ratings = [line.rating for line in block.items if line.type == item_type]
                for code in dict.fromkeys(ratings):
                    counts.append({"item_type": item_type, "rating": code, "items": ratings.count(code)})
            domains.append({"domain": block.code, "counts": counts})
        return {"note": str(DESCRIPTIVE_NOTE), "domains": domains}

    def get_restricted(self, obj: Any) -> bool:
        return False

    def _blocks(self, obj: Assessment) -> list[display.DomainBlock]:
        blocks = self.context.get("blocks")
        if blocks is None:
            blocks = display.domain_blocks(obj.instrument_version, list(obj.items.order_by("position")))
            self.context["blocks"] = blocks
        return list(blocks)


class AssessmentSummarySerializer(serializers.Serializer):
    """An assessment in a list: no items, no texts."""

    id = serializers.UUIDField(source="public_id")
    instrument = serializers.SerializerMethodField()
    instrument_version = serializers.SerializerMethodField()
    status = serializers.CharField()
    classification = serializers.CharField()
    summary_level = serializers.CharField(help_text=_("Entered by the assessor; empty in a draft."))
    author = serializers.SerializerMethodField()
    author_organisation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finalised_at = serializers.DateTimeField(allow_null=True)
    reassessment_due = serializers.DateField(allow_null=True)
    restricted = serializers.SerializerMethodField()

    def get_instrument(self, obj: Assessment) -> str:
        return obj.instrument_version.instrument.key

    def get_instrument_version(self, obj: Assessment) -> int:
        return obj.instrument_version.version

    def get_author(self, obj: Assessment) -> str:
        return obj.author.username

    def get_author_organisation(self, obj: Assessment) -> str:
        return obj.author_org.slug

    def get_restricted(self, obj: Any) -> bool:
        return False


class AssessmentMarkerSerializer(serializers.Serializer):
    """An assessment the caller may not read (another organisation's draft, or outside their compartment)."""

    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    author_organisation = serializers.SerializerMethodField()
    restricted = serializers.SerializerMethodField()

    def get_author_organisation(self, obj: Assessment) -> str:
        return obj.author_org.slug

    def get_restricted(self, obj: Any) -> bool:
        return True


class AssessmentCreateSerializer(serializers.Serializer):
    instrument = Slug(max_length=60, help_text=_("The instrument's key, e.g. utvei-open."))
    classification = serializers.ChoiceField(choices=CLASSIFICATIONS, default=Classification.TEAM)
    assessors = serializers.ListField(
        child=UserField(), required=False, default=list, max_length=50, help_text=_("Co-assessors on the team.")
    )


class ItemPatchSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    rating = Text(max_length=20, required=False, allow_blank=True, help_text=_("A scale code; empty clears it."))
    confidence = serializers.ChoiceField(choices=Confidence.choices, required=False, allow_blank=True)
    evidence = Text(max_length=EVIDENCE_MAX, required=False, allow_blank=True)


class AssessmentPatchSerializer(serializers.Serializer):
    version = Version()
    classification = serializers.ChoiceField(choices=CLASSIFICATIONS, required=False)
    summary_level = serializers.ChoiceField(choices=SummaryLevel.choices, required=False, allow_blank=True)
    summary_judgement = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    formulation = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    scenarios = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    management = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    changes_since_last = Text(max_length=TEXT_MAX, required=False, allow_blank=True)
    reassessment_due = Date(required=False)
    assessors = serializers.ListField(child=UserField(), required=False, max_length=50)
    items = ItemPatchSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]


class FinaliseSerializer(serializers.Serializer):
    version = Version()


class CompareSideSerializer(serializers.Serializer):
    rating = serializers.CharField()
    confidence = serializers.CharField()
    evidence = serializers.CharField()


class CompareItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    domain = serializers.CharField()
    changed = serializers.BooleanField(help_text=_("The rating or the confidence differs, or the item came or went."))
    before = CompareSideSerializer(allow_null=True)
    after = CompareSideSerializer(allow_null=True)


class CompareSerializer(serializers.Serializer):
    assessment = serializers.UUIDField()
    previous = serializers.UUIDField(allow_null=True)
    previous_readable = serializers.BooleanField()
    changed_items = serializers.IntegerField(help_text=_("How many items changed: a count, not a score."))
    changes_since_last = serializers.CharField(help_text=_("What the assessor says has changed."))
    items = CompareItemSerializer(many=True)


class SkipSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    reason = serializers.ChoiceField(choices=SkipReason.choices)
    explanation = Text(max_length=5000)
    recorded_by = serializers.SerializerMethodField()
    recorded_by_organisation = serializers.SerializerMethodField()
    recorded_at = DateTime(read_only=True)

    def get_recorded_by(self, obj: AssessmentSkip) -> str:
        return obj.recorded_by.username

    def get_recorded_by_organisation(self, obj: AssessmentSkip) -> str:
        return obj.recorded_by_org.slug
