"""Request parsing and response shapes of the legal basis catalogue (legal-bases/)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.accounts.models import OrgKind
from utvei.sharing.models import COUNSEL_NOTE, BasisType, LegalBasis

from .fields import DateTime, Text, Version


class LegalBasisSerializer(serializers.Serializer):
    key = serializers.SlugField(read_only=True, help_text=_("The stable name of the basis, e.g. fvl-13b-5."))
    statute = serializers.CharField(read_only=True, help_text=_("The Norwegian short name of the act."))
    statute_en = serializers.CharField(read_only=True)
    provision = serializers.CharField(read_only=True)
    title = serializers.SerializerMethodField(help_text=_("The title in the language of Accept-Language."))
    title_nb = serializers.CharField(read_only=True)
    title_en = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=BasisType.choices, read_only=True)
    sender_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrgKind.choices),
        read_only=True,
        help_text=_("Organisation kinds that may use this basis; empty means any."),
    )
    conditions_nb = serializers.CharField(read_only=True)
    conditions_en = serializers.CharField(read_only=True)
    justification_required = serializers.BooleanField(read_only=True)
    max_duration_days = serializers.IntegerField(read_only=True, allow_null=True)
    gdpr_frame = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    updated_at = DateTime(read_only=True)
    updated_by = serializers.SerializerMethodField(help_text=_("Username of the last editor; null for the data file."))
    revisions = serializers.SerializerMethodField(help_text=_("How many saved versions the basis has."))
    counsel_note = serializers.SerializerMethodField(
        help_text=_("The texts are summaries and must be checked by legal counsel before use.")
    )

    def get_title(self, obj: LegalBasis) -> str:
        return obj.display_title

    @extend_schema_field(OpenApiTypes.STR)
    def get_updated_by(self, obj: LegalBasis) -> str | None:
        return obj.updated_by.username if obj.updated_by is not None else None

    def get_revisions(self, obj: LegalBasis) -> int:
        count = getattr(obj, "revision_count", None)
        return count if count is not None else obj.revisions.count()

    def get_counsel_note(self, obj: Any) -> str:
        return str(COUNSEL_NOTE)


class LegalBasisPatchSerializer(serializers.Serializer):
    version = Version()
    statute = Text(max_length=120, required=False)
    statute_en = Text(max_length=160, required=False, allow_blank=True)
    provision = Text(max_length=120, required=False)
    title_nb = Text(max_length=300, required=False)
    title_en = Text(max_length=300, required=False)
    type = serializers.ChoiceField(choices=BasisType.choices, required=False)
    sender_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrgKind.choices),
        required=False,
        max_length=len(OrgKind.values),
        help_text=_("Organisation kinds that may use this basis; empty means any."),
    )
    conditions_nb = Text(max_length=5000, required=False, allow_blank=True)
    conditions_en = Text(max_length=5000, required=False, allow_blank=True)
    justification_required = serializers.BooleanField(required=False)
    max_duration_days = serializers.IntegerField(min_value=1, max_value=36500, required=False, allow_null=True)
    gdpr_frame = Text(max_length=300, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class LegalBasisFilterSerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False, help_text=_("1 to include inactive bases."))
