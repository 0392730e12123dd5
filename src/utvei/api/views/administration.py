"""organisations/{slug}/members/: organisation administration (docs/administration.md). For the organisation's
administrators only; anyone else, and an administrator of another organisation, is told it does not exist (404).
Staff data only: no case content is ever returned here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import administration as rules
from utvei.accounts.models import Membership
from utvei.accounts.roles import Role
from utvei.administration import selectors, services
from utvei.administration.models import MfaResetReason
from utvei.core.errors import Conflict, NotFound

from ..fields import Date, Flag, Text, Version
from ..schema import PAGE_PARAMETERS, errors, page_of
from .base import ApiView, conflict


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text=_("The membership's id in the URLs of this API."))
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    email = serializers.CharField(source="user.email")
    role = serializers.ChoiceField(choices=Role.choices)
    valid_from = serializers.SerializerMethodField(help_text=_("The membership's first day."))
    last_day = serializers.SerializerMethodField(help_text=_("Its last day; null while it has no end."))
    active = serializers.BooleanField(source="is_active", help_text=_("False: deactivated by an administrator."))
    current = serializers.BooleanField(source="is_current", help_text=_("Active and within its period now."))
    mfa = serializers.SerializerMethodField(help_text=_("A second factor is set up."))
    invitation = serializers.SerializerMethodField(
        help_text=_("The state of the latest invitation: pending, accepted, expired, revoked; null if never invited.")
    )
    version = serializers.IntegerField(help_text=_("Send it back with PATCH; a stale one is 409."))

    @extend_schema_field(OpenApiTypes.DATE)
    def get_valid_from(self, m: Membership) -> str:
        return selectors.first_day(m).isoformat()

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_last_day(self, m: Membership) -> str | None:
        day = selectors.last_day(m)
        return day.isoformat() if day is not None else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_mfa(self, m: Membership) -> bool:
        return bool(getattr(m, "mfa", False))

    @extend_schema_field({"type": "string", "enum": ["pending", "accepted", "expired", "revoked"], "nullable": True})
    def get_invitation(self, m: Membership) -> str | None:
        return selectors.invitation_state(m) or None


class InviteSerializer(serializers.Serializer):
    username = Text(max_length=150)
    first_name = Text(max_length=150, required=False, allow_blank=True)
    last_name = Text(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    valid_from = Date(required=False, allow_null=True, help_text=_("The first day; today when left out."))
    last_day = Date(required=False, allow_null=True, help_text=_("The last day; none when left out."))


class InvitedSerializer(serializers.Serializer):
    member = MemberSerializer()
    emailed = serializers.BooleanField(help_text=_("The link went out by e-mail."))
    invitation_url = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The one-time link, only when it did not go out by e-mail: pass it on to the person. It is never "
            "shown again."
        ),
    )
    expires_at = serializers.DateTimeField(allow_null=True)


class MemberPatchSerializer(serializers.Serializer):
    version = Version()
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    valid_from = Date(required=False, help_text=_("The first day."))
    last_day = Date(required=False, allow_null=True, help_text=_("The last day; null: no end."))
    active = Flag(required=False, help_text=_("false deactivates: the member's sessions and tokens for it end."))


class MfaResetSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=MfaResetReason.choices)
    explanation = Text(max_length=2000, help_text=_("Why: kept encrypted for the data protection officer."))


class MfaResetDoneSerializer(serializers.Serializer):
    removed = serializers.IntegerField(help_text=_("How many second factors were removed."))
    member = MemberSerializer()


class HandoverSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, max_value=2**62, help_text=_("The colleague's membership id."))


class HandoverDoneSerializer(serializers.Serializer):
    cases = serializers.IntegerField(help_text=_("Cases where the colleague is now the lead."))
    tasks = serializers.IntegerField()
    follow_ups = serializers.IntegerField()
    decisions = serializers.IntegerField(help_text=_("Meeting decisions the colleague now owns."))


class InvitationActionSerializer(serializers.Serializer):
    revoke = Flag(required=False, help_text=_("true withdraws the open invitation instead of sending a new one."))


class _MembersView(ApiView):
    def _admin(self, org: str) -> Membership:
        """The acting administrator, when `org` is their own organisation; otherwise it does not exist."""
        actor = self.actor
        if not rules.admin_decision(actor) or actor.organisation.slug != org:
            raise NotFound(_("Not found."))
        return actor

    def _member(self, org: str, member_id: int) -> tuple[Membership, Membership]:
        actor = self._admin(org)
        return actor, selectors.member_get(actor, member_id)


class MemberListView(_MembersView):
    @extend_schema(
        operation_id="member_list",
        summary="The organisation's members",
        description=(
            "Organisation administrators, for their own organisation: every membership with its role, period, "
            "whether it is active, whether a second factor is set up and the latest invitation's state."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("MemberPage", MemberSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, org: str, *args: Any, **kwargs: Any) -> Response:
        actor = self._admin(org)
        return self.page(selectors.members(actor), lambda m: MemberSerializer(m).data)

    @extend_schema(
        operation_id="member_invite",
        summary="Invite a user",
        description=(
            "Creates the user (without a usable password), their membership and a one-time invitation link, "
            "valid for UTVEI_INVITATION_DAYS days. The link goes out by e-mail when an address is given and the "
            "mail server takes it; otherwise it is in `invitation_url`, this once."
        ),
        request=InviteSerializer,
        responses={201: InvitedSerializer, **errors(400, 401, 404, 409, 422)},
    )
    def post(self, request: Request, org: str, *args: Any, **kwargs: Any) -> Response:
        actor = self._admin(org)
        v = self.parse(InviteSerializer)
        invited = services.member_invite(
            actor=actor,
            username=v["username"],
            role=v["role"],
            email=v.get("email") or "",
            first_name=v.get("first_name") or "",
            last_name=v.get("last_name") or "",
            valid_from=v.get("valid_from"),
            last_day=v.get("last_day"),
        )
        return Response(invited_body(actor, invited), status=201)


def invited_body(actor: Membership, invited: services.Invited) -> dict[str, Any]:
    member = selectors.member_get(actor, invited.membership.pk)
    return InvitedSerializer(
        {
            "member": member,
            "emailed": invited.emailed,
            "invitation_url": None if invited.emailed else invited.link,
            "expires_at": invited.invitation.expires_at,
        }
    ).data


class MemberDetailView(_MembersView):
    @extend_schema(
        operation_id="member_get",
        summary="A member",
        responses={200: MemberSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, org: str, member_id: int, *args: Any, **kwargs: Any) -> Response:
        _actor, member = self._member(org, member_id)
        return Response(MemberSerializer(member).data)

    @extend_schema(
        operation_id="member_update",
        summary="Change a member's role, period or active state",
        description=(
            "Send the version you read. A role change ends the member's sessions and API tokens (they sign in "
            "again in the new role). Deactivating, or a period that ends now, ends what the membership gave at "
            "once: the member's sessions and tokens end altogether when it was their last current membership. "
            "You cannot change your own membership."
        ),
        request=MemberPatchSerializer,
        responses={200: MemberSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    def patch(self, request: Request, org: str, member_id: int, *args: Any, **kwargs: Any) -> Response:
        actor, member = self._member(org, member_id)
        v = self.parse(MemberPatchSerializer)
        kw: dict[str, Any] = {}
        if "valid_from" in v:
            kw["valid_from"] = v["valid_from"]
        if "last_day" in v:
            kw["last_day"] = v["last_day"]
        try:
            services.member_update(
                actor=actor,
                membership=member,
                expected_version=v["version"],
                role=v.get("role"),
                active=v.get("active"),
                **kw,
            )
        except Conflict as exc:
            if getattr(exc, "current", None) is None:
                raise
            return conflict(exc, MemberSerializer(selectors.member_get(actor, member.pk)).data)
        return Response(MemberSerializer(selectors.member_get(actor, member.pk)).data)


class MemberMfaResetView(_MembersView):
    @extend_schema(
        operation_id="member_mfa_reset",
        summary="Reset a member's second factor",
        description=(
            "Removes every second factor of the member's user and ends all their sessions and API tokens; they "
            "set up a new one at their next sign-in. The reason's code is audited; the explanation (required) is "
            "kept encrypted."
        ),
        request=MfaResetSerializer,
        responses={200: MfaResetDoneSerializer, **errors(400, 401, 403, 404, 422)},
    )
    def post(self, request: Request, org: str, member_id: int, *args: Any, **kwargs: Any) -> Response:
        actor, member = self._member(org, member_id)
        v = self.parse(MfaResetSerializer)
        record = services.member_mfa_reset(
            actor=actor, membership=member, reason=v["reason"], explanation=v["explanation"]
        )
        data = {"removed": record.removed, "member": selectors.member_get(actor, member.pk)}
        return Response(MfaResetDoneSerializer(data).data)


class MemberHandoverView(_MembersView):
    @extend_schema(
        operation_id="member_handover",
        summary="Hand a member's work over to a colleague",
        description=(
            "In one step: the cases the member leads, their open tasks, pending follow-ups and the meeting "
            "decisions they own go to `to`, a current member of the same organisation in a role that can lead "
            "cases. 422 when the colleague cannot take it or there is nothing to hand over."
        ),
        request=HandoverSerializer,
        responses={200: HandoverDoneSerializer, **errors(400, 401, 404, 422)},
    )
    def post(self, request: Request, org: str, member_id: int, *args: Any, **kwargs: Any) -> Response:
        actor, member = self._member(org, member_id)
        v = self.parse(HandoverSerializer)
        to = selectors.members(actor).filter(pk=v["to"]).first()
        if to is None:
            raise serializers.ValidationError({"to": [_("No such member of your organisation.")]}, code="unknown")
        done = services.member_handover(actor=actor, membership=member, to=to)
        body = {
            "cases": len(done.cases),
            "tasks": done.tasks,
            "follow_ups": done.follow_ups,
            "decisions": done.decisions,
        }
        return Response(HandoverDoneSerializer(body).data)


class MemberInvitationView(_MembersView):
    @extend_schema(
        operation_id="member_invitation",
        summary="Send the invitation again, or withdraw it",
        description=(
            "A new one-time link for a member who has not taken up their account (every earlier link stops "
            "working), sent or returned as when inviting; with `revoke: true` the open invitation is withdrawn "
            "instead. 409 when the account is taken up already, or there is nothing to withdraw."
        ),
        request=InvitationActionSerializer,
        responses={200: InvitedSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, org: str, member_id: int, *args: Any, **kwargs: Any) -> Response:
        actor, member = self._member(org, member_id)
        v = self.parse(InvitationActionSerializer)
        if v.get("revoke"):
            services.invitation_revoke(actor=actor, membership=member)
            fresh = selectors.member_get(actor, member.pk)
            return Response(
                InvitedSerializer({"member": fresh, "emailed": False, "invitation_url": None, "expires_at": None}).data
            )
        invited = services.invitation_resend(actor=actor, membership=member)
        return Response(invited_body(actor, invited))
