"""concerns/: submit a concern, see your receipts or your organisation's intake queue, triage."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import policy
from utvei.access.policy import Act
from utvei.cases import selectors, services

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import (
    AnswerSerializer,
    ConcernDetailSerializer,
    ConcernFilterSerializer,
    ConcernIntakeSerializer,
    ConcernSerializer,
    TakeSerializer,
    TriageSerializer,
)
from .base import ApiView


class ConcernListView(ApiView):
    @extend_schema(
        operation_id="concerns_list",
        summary="Your receipts, or your organisation's intake queue",
        description=(
            "Coordinators get the intake queue of their organisation (most urgent first; no content, no "
            "identity: read one concern for that). Everyone else, or anyone with ?mine=1, gets the receipts "
            "of the concerns they submitted. A receipt has no content and no triage outcome."
        ),
        parameters=[ConcernFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("ConcernPage", ConcernIntakeSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(ConcernFilterSerializer)
        actor = self.actor
        if not f["mine"] and policy.can(actor, Act.CONCERN_TRIAGE):
            qs = selectors.intake_queue(actor=actor, include_triaged=f["triaged"], audit=True)
            return self.page(qs, lambda c: ConcernIntakeSerializer(c).data)
        return self.page(selectors.my_receipts(actor=actor), lambda c: ConcernSerializer(c).data)

    @extend_schema(
        operation_id="concerns_submit",
        summary="Submit a concern",
        description="The reporter and the reporter's organisation come from your token; you get a receipt.",
        request=ConcernSerializer,
        responses={201: ConcernSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        v = self.parse(ConcernSerializer)
        concern = services.concern_submit(
            actor=self.actor,
            receiving_org=v["receiving_org"],
            description=v["description"],
            urgency=v["urgency"],
            kind=v["kind"],
            anonymous=v["anonymous"],
            subject_name=v["subject_name"],
            subject_national_id=v["subject_national_id"],
            subject_birth_date=v["subject_birth_date"],
        )
        return Response(ConcernSerializer(concern).data, status=201)


def _render(actor: Any, concern: Any) -> dict[str, Any]:
    if policy.can(actor, Act.CONCERN_TRIAGE, concern):
        return _detail(actor, concern)
    return ConcernSerializer(concern).data


def _detail(actor: Any, concern: Any) -> Any:
    """The concern for its triager: without who it is about once its case's identity is protected from them."""
    hidden = not policy.concern_identity_visible(actor, concern)
    return ConcernDetailSerializer(concern, context={"identity_hidden": hidden}).data


class ConcernDetailView(ApiView):
    @extend_schema(
        operation_id="concerns_retrieve",
        summary="One concern",
        description=(
            "Coordinators of the receiving organisation get the content and the person's name (never the "
            "identity number: only whether one was given). The reporter gets the receipt."
        ),
        responses={200: ConcernDetailSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, concern_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        concern = selectors.concern_get(actor=self.actor, concern_id=concern_id)
        return Response(_render(self.actor, concern))


class ConcernTriageView(ApiView):
    @extend_schema(
        operation_id="concerns_triage",
        summary="Triage a concern",
        description=(
            "Record the outcome and rationale. «open_case» registers or links the person (by identity number "
            "when one is known) and opens a case owned by your organisation; the concern then names the case."
        ),
        request=TriageSerializer,
        responses={200: ConcernDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, concern_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        concern = selectors.concern_get(actor=actor, concern_id=concern_id, for_triage=True, audit=False)
        v = self.parse(TriageSerializer)
        h = v.pop("handoff")
        handoff = None
        if h is not None:
            handoff = services.Handoff(
                to_kind=h["to"],
                basis_key=h["basis"],
                to_org=h["organisation"],
                to_name=h["name"],
                handed_at=h["handed_at"],
            )
        triaged = services.concern_triage(actor=actor, concern=concern, handoff=handoff, **v)
        return Response(_detail(actor, triaged))


class ConcernTakeView(ApiView):
    @extend_schema(
        operation_id="concerns_take",
        summary="Take an acute concern",
        description=(
            "Until a coordinator of the receiving organisation takes it, an acute concern is shown as unanswered "
            "(and every coordinator was alerted). Taking it twice is harmless; someone else's is a 409."
        ),
        request=TakeSerializer,
        responses={200: ConcernDetailSerializer, **errors(401, 404, 409)},
    )
    def post(self, request: Request, concern_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        concern = selectors.concern_get(actor=self.actor, concern_id=concern_id, for_triage=True, audit=False)
        taken = services.concern_take(actor=self.actor, concern=concern)
        return Response(_detail(self.actor, taken))


class ConcernAnswerView(ApiView):
    @extend_schema(
        operation_id="concerns_answer",
        summary="Answer the question about your concern",
        description=(
            "The reporter answers «more information needed»: the concern goes back to the receiving "
            "organisation's intake queue and whoever asked is told. 409 when no question is open."
        ),
        request=AnswerSerializer,
        responses={200: ConcernSerializer, **errors(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request: Request, concern_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        concern = selectors.concern_get(actor=self.actor, concern_id=concern_id, audit=False)
        v = self.parse(AnswerSerializer)
        answered = services.concern_answer(actor=self.actor, concern=concern, answer=v["answer"])
        return Response(ConcernSerializer(answered).data)
