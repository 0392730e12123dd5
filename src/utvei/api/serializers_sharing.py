"""Request parsing and response shapes of sharing: the legal basis catalogue (legal-bases/), consents
(cases/{id}/consents/) and disclosures (cases/{id}/disclosures/)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.accounts.models import OrgKind
from utvei.core.vocabulary import DataCategory
from utvei.sharing.consent.selectors import own_note
from utvei.sharing.models import (
    CONSENT_TEXT_VERSION,
    COUNSEL_NOTE,
    BasisType,
    Consent,
    Disclosure,
    Evidence,
    GivenBy,
    LegalBasis,
    Purpose,
)

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
    local_note = serializers.SerializerMethodField(help_text=_("Your organisation's own note on this basis."))
    local_note_version = serializers.SerializerMethodField(help_text=_("Its version; 0 when there is none."))

    def get_local_note(self, obj: LegalBasis) -> str:
        note = own_note(obj)
        return note.text if note is not None else ""

    def get_local_note_version(self, obj: LegalBasis) -> int:
        note = own_note(obj)
        return note.version if note is not None else 0

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
    """An organisation's own note on a basis. The national catalogue itself changes only through its data file."""

    version = Version(min_value=0, help_text=_("The version of your organisation's note you read (0: none yet)."))
    local_note = Text(max_length=2000, allow_blank=True, help_text=_("Your organisation's note; empty clears it."))


class LegalBasisFilterSerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False, help_text=_("1 to include inactive bases."))


# ---- Consents ------------------------------------------------------------------------------------------


def _categories(**kw: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        max_length=len(DataCategory.values),
        help_text=_("Data categories."),
        **kw,
    )


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


class ConsentCreateSerializer(serializers.Serializer):
    given_by = serializers.ChoiceField(choices=GivenBy.choices, help_text=_("The person, or a guardian for a minor."))
    guardian_name = Text(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Required when given by a guardian.")
    )
    scope_organisations = serializers.ListField(
        child=Text(max_length=60),
        required=False,
        default=list,
        max_length=200,
        help_text=_("Slugs of the organisations the consent covers."),
    )
    scope_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrgKind.choices),
        required=False,
        default=list,
        max_length=len(OrgKind.values),
        help_text=_("Organisation kinds the consent covers."),
    )
    categories = _categories()
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=Purpose.choices), max_length=len(Purpose.values)
    )
    valid_until = DateTime(required=False, allow_null=True, default=None)
    evidence = serializers.ChoiceField(choices=Evidence.choices)
    evidence_note = Text(max_length=5000, required=False, allow_blank=True, default="")
    text_version = Text(max_length=40, required=False, default=CONSENT_TEXT_VERSION)


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    given_by = serializers.ChoiceField(choices=GivenBy.choices, read_only=True)
    guardian_name = serializers.CharField(read_only=True)
    scope_organisations = serializers.SerializerMethodField()
    scope_kinds = serializers.ListField(child=serializers.ChoiceField(choices=OrgKind.choices), read_only=True)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=DataCategory.choices), read_only=True)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=Purpose.choices), read_only=True)
    valid_from = DateTime(read_only=True)
    valid_until = DateTime(read_only=True, allow_null=True)
    withdrawn_at = DateTime(read_only=True, allow_null=True)
    withdrawn_by = serializers.SerializerMethodField()
    withdrawal_note = serializers.CharField(read_only=True)
    evidence = serializers.ChoiceField(choices=Evidence.choices, read_only=True)
    evidence_note = serializers.CharField(read_only=True)
    text_version = serializers.CharField(read_only=True)
    recorded_by = serializers.SerializerMethodField()
    recorded_by_organisation = serializers.SerializerMethodField()
    created_at = DateTime(read_only=True)
    active = serializers.SerializerMethodField(help_text=_("In force now: valid and not withdrawn."))

    def get_scope_organisations(self, obj: Consent) -> list[str]:
        return sorted(o.slug for o in obj.scope_orgs.all())

    @extend_schema_field(OpenApiTypes.STR)
    def get_withdrawn_by(self, obj: Consent) -> str | None:
        return _username(obj.withdrawn_by)

    def get_recorded_by(self, obj: Consent) -> str:
        return obj.recorded_by.username

    def get_recorded_by_organisation(self, obj: Consent) -> str:
        return obj.recorded_by_org.slug

    def get_active(self, obj: Consent) -> bool:
        return obj.is_active()


class WithdrawSerializer(serializers.Serializer):
    note = Text(max_length=5000, required=False, allow_blank=True, default="")


# ---- Disclosures ---------------------------------------------------------------------------------------


class DisclosureCreateSerializer(serializers.Serializer):
    to_organisation = Text(max_length=60, help_text=_("Slug of the receiving organisation."))
    categories = _categories()
    legal_basis = Text(max_length=60, help_text=_("Key of the legal basis in the catalogue, e.g. fvl-13b-5."))
    justification = Text(max_length=5000, required=False, allow_blank=True, default="")
    expires_at = DateTime(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Default: the maximum duration of the basis from now."),
    )


class DisclosureSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    from_organisation = serializers.SlugField(source="from_org.slug", read_only=True)
    to_organisation = serializers.SlugField(source="to_org.slug", read_only=True)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=DataCategory.choices), read_only=True)
    legal_basis = serializers.SlugField(source="legal_basis.key", read_only=True)
    basis_version = serializers.IntegerField(read_only=True)
    justification = serializers.CharField(read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)
    decided_at = DateTime(read_only=True)
    expires_at = DateTime(read_only=True, allow_null=True)
    revoked_at = DateTime(read_only=True)
    revoked_by = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(help_text=_("In force now: not expired and not revoked."))

    @extend_schema_field(OpenApiTypes.STR)
    def get_revoked_by(self, obj: Disclosure) -> str | None:
        return _username(obj.revoked_by)

    def get_active(self, obj: Disclosure) -> bool:
        return obj.is_active()
