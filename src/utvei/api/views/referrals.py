"""cases/{id}/referrals/ and referrals/: referrals and transfers between organisations (docs/referrals.md)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.sharing import ReferralView
from utvei.cases import selectors as case_selectors
from utvei.core.errors import Conflict
from utvei.sharing.models import Referral
from utvei.sharing.referrals import services as referrals

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_referrals import (
    ReferralAcceptSerializer,
    ReferralCreateSerializer,
    ReferralDeclineSerializer,
    ReferralFilterSerializer,
    ReferralSerializer,
    render_referral,
)
from .base import ApiView, conflict

METADATA = (
    " Before acceptance the recipient sees the referral itself (kind, organisations, categories, basis, message, "
    "case reference, track and phase), never the person or the case content."
)


def _render(view: ReferralView) -> dict[str, Any]:
    return render_referral(view, referrals.kept_names([view.referral]) if view.shows_team else None)


def _fresh(actor: Any, referral: Referral) -> dict[str, Any]:
    """The referral as saved now, for the caller (not audited: the service wrote the request's event)."""
    return _render(referrals.referral_get(actor=actor, referral_id=referral.public_id, audit=False))


class CaseReferralListView(ApiView):
    @extend_schema(
        operation_id="case_referrals_list",
        summary="The referrals and transfers of a case",
        description="Open ones first. Team members and the owner's coordinators with full read; a referral "
        "recipient or a mentor gets 403. One `referral.view` audit event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("CaseReferralPage", ReferralSerializer(many=True)), **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _ca, rows = referrals.referrals_of_case(actor=self.actor, case_id=case_id)
        keep = referrals.kept_names([v.referral for v in rows])
        return self.page(rows, lambda v: render_referral(v, keep))

    @extend_schema(
        operation_id="case_referrals_create",
        summary="Refer the case, or transfer its ownership",
        description=(
            "Referral: coordinators and caseworkers with a full relation to the case. Transfer: coordinators of "
            "the owning organisation. Under `consent` an active consent must cover the recipient for every "
            "category (purpose coordination): 400 `consent_missing` names the others. Under `legal_basis` the "
            "checks of a disclosure apply (400 `justification_required`, `basis_not_allowed`, …). 409 when an "
            "open referral of the same kind to the same organisation exists, or another open transfer. The "
            "recipient's coordinators are notified." + METADATA
        ),
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(ReferralCreateSerializer)
        keep: list[Any] = list(v["keep_team_members"])  # outside a transfer the service refuses any
        if v["kind"] == "transfer":
            keep = referrals.keep_ids_for(ca.case, keep)
        referral = referrals.referral_send(
            actor=actor,
            case=ca.case,
            to_org_slug=v["to_organisation"],
            kind=v["kind"],
            categories=v["categories"],
            basis=v["basis"],
            legal_basis_key=v["legal_basis"],
            justification=v["justification"],
            message=v["message"],
            keep_team_member_ids=keep,
        )
        return Response(_fresh(actor, referral), status=201)


class ReferralListView(ApiView):
    @extend_schema(
        operation_id="referrals_list",
        summary="Referrals received by and sent from your organisation",
        description=(
            "Rows leave out `keep_team_members`; read one referral for it. "
            "Incoming: to your organisation, for its coordinators (and the person a referral named). Outgoing: "
            "sent by your organisation (coordinators: all; caseworkers: their own). Open ones first. One "
            "`referral.view` audit event." + METADATA
        ),
        parameters=[
            OpenApiParameter("direction", str, enum=["incoming", "outgoing"], description="Only one direction."),
            OpenApiParameter("status", str, enum=["sent", "accepted", "declined", "withdrawn", "completed"]),
            *PAGE_PARAMETERS,
        ],
        responses={200: page_of("ReferralPage", ReferralSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        f = self.query(ReferralFilterSerializer)
        qs = referrals.referrals_all(actor=actor, direction=f["direction"], status=f["status"])
        return self.page(qs, lambda r: render_referral(referrals.view_of(actor, r)))


class ReferralDetailView(ApiView):
    @extend_schema(
        operation_id="referrals_get",
        summary="One referral or transfer",
        description="The recipient's coordinators, the sending side, the person it named and the case team. "
        "Anyone else: 404. One `referral.view` audit event." + METADATA,
        responses={200: ReferralSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, referral_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return Response(_render(referrals.referral_get(actor=self.actor, referral_id=referral_id)))


class ReferralAcceptView(ApiView):
    @extend_schema(
        operation_id="referrals_accept",
        summary="Accept a referral or a transfer",
        description=(
            "Coordinators of the receiving organisation. The basis is checked again (a consent withdrawn since: "
            "400 `consent_missing`). Referral: `member` joins the team in the limited role `referral`. "
            "Transfer: your organisation owns the case, `member` leads it, the old owner's team memberships "
            "end except the kept ones. Answered already (e.g. accepted twice): 409 with the saved referral in "
            "`current`."
        ),
        request=ReferralAcceptSerializer,
        responses={200: ReferralSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, referral_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        view = referrals.referral_get(actor=actor, referral_id=referral_id, audit=False)
        v = self.parse(ReferralAcceptSerializer)
        try:
            done = referrals.referral_accept(
                actor=actor, referral=view.referral, member_username=v["member"], note=v["note"]
            )
        except Conflict as exc:
            return conflict(exc, _fresh(actor, view.referral))
        return Response(_fresh(actor, done))


class ReferralDeclineView(ApiView):
    @extend_schema(
        operation_id="referrals_decline",
        summary="Decline a referral or a transfer",
        description="Coordinators of the receiving organisation, with a `note` the sender reads. Answered "
        "already: 409.",
        request=ReferralDeclineSerializer,
        responses={200: ReferralSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, referral_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        view = referrals.referral_get(actor=actor, referral_id=referral_id, audit=False)
        v = self.parse(ReferralDeclineSerializer)
        try:
            done = referrals.referral_decline(actor=actor, referral=view.referral, note=v["note"])
        except Conflict as exc:
            return conflict(exc, _fresh(actor, view.referral))
        return Response(_fresh(actor, done))


class ReferralWithdrawView(ApiView):
    @extend_schema(
        operation_id="referrals_withdraw",
        summary="Withdraw a referral or a transfer",
        description="The sending organisation (the sender or a coordinator there) while it waits for an answer. "
        "Answered already: 409.",
        request=None,
        responses={200: ReferralSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, referral_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        view = referrals.referral_get(actor=actor, referral_id=referral_id, audit=False)
        try:
            done = referrals.referral_withdraw(actor=actor, referral=view.referral)
        except Conflict as exc:
            return conflict(exc, _fresh(actor, view.referral))
        return Response(_fresh(actor, done))
