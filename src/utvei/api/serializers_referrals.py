"""Request parsing and response shapes of referrals and transfers (cases/{id}/referrals/, referrals/)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from utvei.access.sharing import ReferralView
from utvei.cases.models import Phase, Track
from utvei.core.vocabulary import DataCategory
from utvei.sharing.models import ReferralBasis, ReferralKind, ReferralStatus

from .fields import DateTime, Text

NOTE_MAX = 5000


class ReferralCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ReferralKind.choices,
        default=ReferralKind.REFERRAL,
        help_text=_("`referral` (the recipient joins the team in a limited role) or `transfer` (of ownership)."),
    )
    to_organisation = Text(max_length=60, help_text=_("Slug of the receiving organisation."))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        max_length=len(DataCategory.values),
        help_text=_("Data categories that go with it."),
    )
    basis = serializers.ChoiceField(
        choices=ReferralBasis.choices,
        help_text=_("`consent` (an active consent must cover the recipient for every category) or `legal_basis`."),
    )
    legal_basis = Text(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Key of the legal basis in the catalogue, when the basis is `legal_basis`."),
    )
    justification = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    message = Text(
        max_length=NOTE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("To the recipient, who reads it before accepting."),
    )
    keep_team_members = serializers.ListField(
        child=Text(max_length=150),
        required=False,
        default=list,
        max_length=200,
        help_text=_("Transfer only: usernames of the owning organisation's team members who stay on the team."),
    )


class ReferralAcceptSerializer(serializers.Serializer):
    member = Text(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Username in your organisation. Referral: who joins the team (limited role). Transfer: the new case "
            "lead. Default: you."
        ),
    )
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ReferralDeclineSerializer(serializers.Serializer):
    note = Text(max_length=NOTE_MAX, help_text=_("Why it is declined; the sender reads it. Required."))


class ReferralFilterSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=[("incoming", "incoming"), ("outgoing", "outgoing")], required=False, default=""
    )
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False, default="")


class ReferralSerializer(serializers.Serializer):
    """A referral as the caller may see it. No person and no case content, for anyone: the case is read through
    cases/{id}/ once a relation allows it."""

    optional_fields = ("keep_team_members",)

    id = serializers.UUIDField(source="referral.public_id", read_only=True)
    direction = serializers.ChoiceField(
        choices=[("incoming", "incoming"), ("outgoing", "outgoing")],
        read_only=True,
        help_text=_("`incoming` when your organisation received it (you may answer it), else `outgoing`."),
    )
    kind = serializers.ChoiceField(source="referral.kind", choices=ReferralKind.choices, read_only=True)
    status = serializers.ChoiceField(source="referral.status", choices=ReferralStatus.choices, read_only=True)
    case = serializers.UUIDField(source="referral.case.public_id", read_only=True)
    case_reference = serializers.CharField(source="referral.case.reference", read_only=True)
    track = serializers.ChoiceField(source="referral.case.track", choices=Track.choices, read_only=True)
    phase = serializers.ChoiceField(source="referral.case.phase", choices=Phase.choices, read_only=True)
    from_organisation = serializers.SlugField(source="referral.from_org.slug", read_only=True)
    to_organisation = serializers.SlugField(source="referral.to_org.slug", read_only=True)
    categories = serializers.ListField(
        source="referral.categories", child=serializers.ChoiceField(choices=DataCategory.choices), read_only=True
    )
    basis = serializers.ChoiceField(source="referral.basis", choices=ReferralBasis.choices, read_only=True)
    legal_basis = serializers.SerializerMethodField()
    basis_version = serializers.IntegerField(source="referral.basis_version", read_only=True, allow_null=True)
    justification = serializers.CharField(source="referral.justification", read_only=True)
    message = serializers.CharField(source="referral.message", read_only=True)
    sent_by = serializers.CharField(source="referral.sent_by.username", read_only=True)
    sent_at = DateTime(source="referral.sent_at", read_only=True)
    decided_by = serializers.SerializerMethodField()
    decided_at = DateTime(source="referral.decided_at", read_only=True, allow_null=True)
    decision_note = serializers.CharField(source="referral.decision_note", read_only=True)
    team_member = serializers.SerializerMethodField(
        help_text=_("Username of the person who joined the team through an accepted referral.")
    )
    disclosure = serializers.SerializerMethodField(help_text=_("The disclosure recorded on acceptance, if any."))
    keep_team_members = serializers.SerializerMethodField(
        help_text=_("Transfer: usernames who stay on the team. Shown to the sending side and the case team only.")
    )
    may_accept = serializers.BooleanField(source="may_decide", read_only=True)
    may_decline = serializers.BooleanField(source="may_decide", read_only=True)
    may_withdraw = serializers.BooleanField(read_only=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_legal_basis(self, obj: ReferralView) -> str | None:
        basis = obj.referral.legal_basis
        return basis.key if basis is not None else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_decided_by(self, obj: ReferralView) -> str | None:
        user = obj.referral.decided_by
        return user.username if user is not None else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_team_member(self, obj: ReferralView) -> str | None:
        tm = obj.referral.team_member
        return tm.user.username if tm is not None else None

    @extend_schema_field(OpenApiTypes.UUID)
    def get_disclosure(self, obj: ReferralView) -> str | None:
        d = obj.referral.disclosure
        return str(d.public_id) if d is not None else None

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_keep_team_members(self, obj: ReferralView) -> list[str]:
        return list(self.context.get("keep", {}).get(obj.referral.pk, []))


def render_referral(view: ReferralView, keep: dict[int, list[str]] | None = None) -> dict[str, Any]:
    """The response for one referral; `keep_team_members` only for the sending side and the case team, and only
    where the caller loaded the names (`keep`)."""
    data = dict(ReferralSerializer(view, context={"keep": keep or {}}).data)
    if keep is None or not view.shows_team:
        data.pop("keep_team_members", None)
    return data
