"""retention/: the retention of cases (docs/retention.md) — the overview, one case's retention, legal holds, opening
a restricted case for a stated reason, restriction on the person's request (GDPR art. 18) and rectification
(art. 16). Who may do what: access/retention.py. The lead reads a restricted case they opened through cases/{id}/
as usual (read-only); the DPO reads its content on the web page only."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.retention import selectors, services

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_retention import (
    CaseRetentionSerializer,
    OpenSerializer,
    OptionalReasonSerializer,
    OverviewRowSerializer,
    ReasonSerializer,
    RectificationAnswerSerializer,
    RectificationCreateSerializer,
    render_case_retention,
)
from .base import ApiView

WHO = (
    "The data protection officer and the coordinators of the owning organisation, and the case lead; anyone else "
    "gets 404, as for a case that does not exist."
)


def _info(view: ApiView, case_id: uuid.UUID, *, audit: bool = True) -> Any:
    case = selectors.retention_case_get(actor=view.actor, case_id=case_id, audit=audit)
    return case


def _answer(view: ApiView, case: Any, status: int = 200) -> Response:
    return Response(render_case_retention(selectors.case_retention(view.actor, case)), status=status)


class RetentionOverviewView(ApiView):
    @extend_schema(
        operation_id="retention_overview",
        summary="Cases whose retention needs attention",
        description=(
            "The cases you answer for (a DPO's or coordinator's: those your organisation owns; otherwise those you "
            "lead) that are restricted, under a legal hold, with a rectification request waiting, or with a step due "
            "within 90 days, oldest closed first, a page at a time. No content."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("RetentionOverviewPage", OverviewRowSerializer(many=True)), **errors(401, 400)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.page(selectors.retention_overview(actor=self.actor), lambda r: OverviewRowSerializer(r).data)


class CaseRetentionView(ApiView):
    @extend_schema(
        operation_id="retention_case",
        summary="One case's retention",
        description=(
            "State, the rule that applies with its statute (bokmål and English) and the rules' version, the dates it "
            "is restricted and ended on, legal holds, rectification requests and the steps taken. " + WHO
        ),
        responses={200: CaseRetentionSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return _answer(self, _info(self, retention_case_id))


class HoldListView(ApiView):
    @extend_schema(
        operation_id="retention_hold_create",
        summary="Set a legal hold",
        description=(
            "The DPO or a coordinator of the owning organisation. While a hold is in force the retention run takes "
            "no step on the case. Audited (`hold.set`)."
        ),
        request=ReasonSerializer,
        responses={201: CaseRetentionSerializer, **errors(400, 401, 404)},
    )
    def post(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        case = _info(self, retention_case_id, audit=False)
        v = self.parse(ReasonSerializer)
        services.hold_set(actor=self.actor, case=case, reason=v["reason"])
        return _answer(self, case, status=201)


class HoldLiftView(ApiView):
    @extend_schema(
        operation_id="retention_hold_lift",
        summary="Lift a legal hold",
        description="As setting one. Lifting it twice is 409. Audited (`hold.lift`).",
        request=OptionalReasonSerializer,
        responses={200: CaseRetentionSerializer, **errors(400, 401, 404, 409)},
    )
    def post(
        self, request: Request, retention_case_id: uuid.UUID, hold_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        case = _info(self, retention_case_id, audit=False)
        hold = selectors.hold_get(actor=self.actor, case=case, hold_id=hold_id)
        v = self.parse(OptionalReasonSerializer)
        services.hold_lift(actor=self.actor, hold=hold, reason=v["reason"])
        return _answer(self, case)


class RestrictedOpenView(ApiView):
    @extend_schema(
        operation_id="retention_open",
        summary="Open a restricted case for a stated reason",
        description=(
            "The DPO of the owning organisation and the case lead, on a restricted case only (else 404). For "
            "UTVEI_RESTRICTED_READ_MINUTES (30) the lead reads the case through cases/{id}/ (read-only), every read "
            "audited with `restricted;<reason_code>`. Audited (`restricted.open`)."
        ),
        request=OpenSerializer,
        responses={201: CaseRetentionSerializer, **errors(400, 401, 404)},
    )
    def post(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        case = _info(self, retention_case_id, audit=False)
        v = self.parse(OpenSerializer)
        services.restricted_open(actor=self.actor, case=case, reason_code=v["reason_code"], reason=v["reason"])
        return _answer(self, case, status=201)


class RestrictView(ApiView):
    @extend_schema(
        operation_id="retention_restrict",
        summary="Restrict the case on the person's request (GDPR art. 18)",
        description=(
            "The case lead or the DPO. The case leaves every list and is read only by the DPO and the lead for a "
            "stated reason, until lifted; no retention end step is taken meanwhile. A restricted case: 409."
        ),
        request=ReasonSerializer,
        responses={200: CaseRetentionSerializer, **errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        case = _info(self, retention_case_id, audit=False)
        v = self.parse(ReasonSerializer)
        case = services.restriction_request(actor=self.actor, case=case, reason=v["reason"])
        return _answer(self, case)


class UnrestrictView(ApiView):
    @extend_schema(
        operation_id="retention_unrestrict",
        summary="Lift a restriction made on the person's request",
        description="The case lead or the DPO, with a reason. Not restricted on request: 409.",
        request=ReasonSerializer,
        responses={200: CaseRetentionSerializer, **errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        case = _info(self, retention_case_id, audit=False)
        v = self.parse(ReasonSerializer)
        case = services.restriction_lift(actor=self.actor, case=case, reason=v["reason"])
        return _answer(self, case)


class RectificationListView(ApiView):
    @extend_schema(
        operation_id="retention_rectification_create",
        summary="Register a request for rectification (GDPR art. 16)",
        description="The case lead or the DPO. `claim`: what the person says is wrong (stored encrypted).",
        request=RectificationCreateSerializer,
        responses={201: CaseRetentionSerializer, **errors(400, 401, 404)},
    )
    def post(self, request: Request, retention_case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        case = _info(self, retention_case_id, audit=False)
        v = self.parse(RectificationCreateSerializer)
        services.rectification_register(actor=self.actor, case=case, claim=v["claim"], received_on=v["received_on"])
        return _answer(self, case, status=201)


class RectificationAnswerView(ApiView):
    @extend_schema(
        operation_id="retention_rectification_answer",
        summary="Answer a request for rectification",
        description=(
            "`done` (optionally with `corrections` of the identity details and the `person_version` you saw: the "
            "earlier values are kept; stale is 409) or `refused` with the reason. Answering twice is 409."
        ),
        request=RectificationAnswerSerializer,
        responses={200: CaseRetentionSerializer, **errors(400, 401, 404, 409)},
    )
    def post(
        self, request: Request, retention_case_id: uuid.UUID, rectification_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        case = _info(self, retention_case_id, audit=False)
        found = selectors.request_get(actor=self.actor, case=case, request_id=rectification_id)
        v = self.parse(RectificationAnswerSerializer)
        services.rectification_answer(
            actor=self.actor,
            request=found,
            status=v["status"],
            answer=v["answer"],
            corrections=dict(v["corrections"] or {}),
            expected_version=v["person_version"],
        )
        return _answer(self, case)
