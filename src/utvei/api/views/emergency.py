"""emergency-access/: break-the-glass access to a case (docs/emergency-access.md).

POST opens one; GET lists your own, or for a data protection officer the review queue; {id}/end/ closes yours
early; {id}/review/ is the DPO's approval or flag.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.policy import Act, can
from utvei.core.errors import Forbidden, NotFound
from utvei.sharing.emergency import services as emergency

from ..errors import body
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import ErrorSerializer
from ..serializers_emergency import (
    EmergencyAccessSerializer,
    EmergencyFilterSerializer,
    EmergencyOpenSerializer,
    EmergencyReviewSerializer,
    render_access,
)
from .base import ApiView


class EmergencyAccessListView(ApiView):
    @extend_schema(
        operation_id="emergency_access_list",
        summary="Your emergency accesses, or the DPO's review queue",
        description=(
            "Coordinators and caseworkers: your own emergency accesses in this organisation, newest first. "
            "Data protection officers: the review queue — every emergency access to a case your organisation owns "
            "and every one made by its staff, pending first; `?status=pending` narrows it (one `emergency.view` "
            "audit event). Other roles: 403."
        ),
        parameters=[EmergencyFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("EmergencyAccessPage", EmergencyAccessSerializer(many=True)), **errors(400, 401, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        f = self.query(EmergencyFilterSerializer)  # checked for every caller: a wrong filter is a 400, not ignored
        if can(actor, Act.EMERGENCY_REVIEW):
            qs = emergency.review_queue(actor=actor, status=f["status"])
            return self.page(qs, lambda a: render_access(a, reviewer=True))
        if not can(actor, Act.EMERGENCY_OPEN):
            raise Forbidden(can(actor, Act.EMERGENCY_OPEN).reason)
        return self.page(emergency.my_emergency_accesses(actor=actor), lambda a: render_access(a, reviewer=False))

    @extend_schema(
        operation_id="emergency_access_create",
        summary="Open a case with emergency access",
        description=(
            "Coordinators and caseworkers only. Give `case_reference` or `national_id` (the person's most recent "
            "open case), a `reason_code`, `reason_text` and optionally `hours` (1 up to UTVEI_EMERGENCY_HOURS, the "
            "default). 201: a new access — read-only until `expires_at`; the case lead and the data protection "
            "officers are notified. 200: you already have an active emergency access to the case (returned). "
            "409 `already_visible` with `case`: you can see the case already. 400 `no_match`: no case matches "
            "(audited without what you typed)."
        ),
        request=EmergencyOpenSerializer,
        responses={
            201: EmergencyAccessSerializer,
            200: EmergencyAccessSerializer,
            409: OpenApiResponse(ErrorSerializer, description="You can already see the case: `case` is its id."),
            **errors(400, 401, 403),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        # A role without emergency access gets 403 whatever it sends (the service audits the refusal).
        v = self.parse(EmergencyOpenSerializer) if can(actor, Act.EMERGENCY_OPEN) else {}
        opened = emergency.emergency_open(
            actor=actor,
            case_reference=v.get("case_reference", ""),
            national_id=v.get("national_id", ""),
            reason_code=v.get("reason_code", ""),
            reason_text=v.get("reason_text", ""),
            hours=v.get("hours"),
        )
        if opened.access is None:
            detail = _("You can already see this case; no emergency access was opened.")
            return Response(body("already_visible", detail, case=str(opened.case.public_id)), status=409)
        access = emergency.emergency_get(actor=actor, access_id=opened.access.public_id)
        return Response(render_access(access, reviewer=False), status=201 if opened.created else 200)


class EmergencyAccessEndView(ApiView):
    @extend_schema(
        operation_id="emergency_access_end",
        summary="End your emergency access early",
        description="Only the user who opened it. 409 when it has already ended or expired.",
        request=None,
        responses={200: EmergencyAccessSerializer, **errors(401, 404, 409)},
    )
    def post(self, request: Request, access_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        access = emergency.emergency_get(actor=actor, access_id=access_id)
        access = emergency.emergency_end(actor=actor, access=access)
        access = emergency.emergency_get(actor=actor, access_id=access_id)
        return Response(render_access(access, reviewer=can(actor, Act.EMERGENCY_REVIEW).allowed))


class EmergencyAccessReviewView(ApiView):
    @extend_schema(
        operation_id="emergency_access_review",
        summary="Approve or flag a use of emergency access",
        description=(
            "Data protection officers of the owning organisation or of the user's organisation. `decision`: "
            "approved or flagged; a `note` is required when flagging, and flagging a running access ends it. "
            "Reviewing twice is 409."
        ),
        request=EmergencyReviewSerializer,
        responses={200: EmergencyAccessSerializer, **errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, access_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        if not can(actor, Act.EMERGENCY_REVIEW):
            raise NotFound(_("The emergency access was not found."))
        access = emergency.emergency_get(actor=actor, access_id=access_id)
        v = self.parse(EmergencyReviewSerializer)
        emergency.emergency_review(actor=actor, access=access, decision=v["decision"], note=v["note"])
        access = emergency.emergency_get(actor=actor, access_id=access_id)
        return Response(render_access(access, reviewer=True))
