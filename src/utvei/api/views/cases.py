"""cases/: the list, one case's header, header edits, phase transitions, closing and reopening."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import policy
from utvei.access.policy import CaseAccess
from utvei.cases import selectors, services
from utvei.cases.models import Case
from utvei.cases.selectors import CaseFilters
from utvei.core.errors import Conflict

from .. import services as api_services
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import (
    CaseFilterSerializer,
    CaseRowSerializer,
    CaseSearchSerializer,
    CaseSerializer,
    CloseSerializer,
    ReopenSerializer,
    TransitionSerializer,
)
from .base import ApiView, conflict

HEADER_FIELDS = (
    "lead",
    "ideologies",
    "motivation_stage",
    "threat_clarified_at",
    "safety_plan",
    "safety_plan_review_on",
    "track",
)


def render_case(ca: CaseAccess, case: Case | None = None, *, scope: frozenset[str] | None = None) -> dict[str, Any]:
    """The case header as far as `policy.header_scope` lets this caller see it (or `scope`: an export's copy)."""
    if case is not None:
        ca = dataclasses.replace(ca, case=case)
    scope = policy.header_scope(ca) if scope is None else scope
    context = {"scope": scope, "phase_history": selectors.phase_history(ca), "protected": policy.is_protected(ca.case)}
    return CaseSerializer(ca.case, context=context).data


def case_filters(f: dict[str, Any], *, reference: str = "", query: str = "") -> CaseFilters:
    """The list's filters from a validated query (cases/) or body (cases/search/)."""
    return CaseFilters(
        track=f.get("track", ""),
        phase=f.get("phase", ""),
        mine=f["mine"],
        overdue=f["overdue"],
        include_closed=f["closed"],
        reference=reference,
        query=query,
    )


class CaseListView(ApiView):
    @extend_schema(
        operation_id="cases_list",
        summary="Cases you have a relation to",
        description=(
            "Team membership or, for coordinators, ownership by your organisation. Open cases unless "
            "?closed=1 or ?phase= is given. ?ref= looks up a case or person reference (audited as a lookup). "
            "Rows carry only the header fields every role may see, and the person's name where you may read "
            "who the case is about; read one case for more. To search by name or birth date: POST cases/search/."
        ),
        parameters=[CaseFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("CasePage", CaseRowSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(CaseFilterSerializer)
        rows = selectors.case_rows(actor=self.actor, filters=case_filters(f, reference=f.get("ref", "")), audit=True)
        return self.page(
            rows, lambda c: CaseRowSerializer(c).data, prepare=lambda cs: selectors.label_people(self.actor, cs)
        )


class CaseSearchView(ApiView):
    @extend_schema(
        operation_id="cases_search",
        summary="Find cases by the person's name, birth date, identity number or a reference",
        description=(
            "Among the cases you may see (as cases/). A name or a date of birth finds only cases whose identity "
            "you may read, and never by what you may not: a case you know by its reference alone is found by its "
            f"reference. At most {selectors.SEARCH_LIMIT} matches, newest first. Audited as a lookup, without "
            "what was searched for."
        ),
        request=CaseSearchSerializer,
        responses={
            200: inline_serializer("CaseSearchResult", {"results": CaseRowSerializer(many=True)}),
            **errors(400, 401),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.parse(CaseSearchSerializer)
        filters = case_filters(f, query=f["q"])
        found = selectors.case_page(actor=self.actor, filters=filters, size=selectors.SEARCH_LIMIT, count=False)
        rows = list(found.page.rows)
        selectors.label_people(self.actor, rows)
        return Response({"results": [CaseRowSerializer(c).data for c in rows]})


class CaseDetailView(ApiView):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case's header",
        description=(
            "Fields are limited by your role: mentors see the basic header only. The person appears as "
            "reference and name, never with the identity number."
        ),
        responses={200: CaseSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = selectors.case_get(actor=self.actor, case_id=case_id)
        return Response(render_case(ca))

    @extend_schema(
        operation_id="cases_partial_update",
        summary="Edit the case header",
        description=(
            "Coordinators. Send `version` (required) with the fields to change: lead, ideologies, "
            "motivation_stage, threat_clarified_at, safety_plan, safety_plan_review_on (null clears it), track. "
            "A stale version gives 409 with the saved header in «current». The earlier values are kept: "
            "GET cases/{id}/history/."
        ),
        request=CaseSerializer,
        responses={200: CaseSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(CaseSerializer)
        changes = {k: v[k] for k in HEADER_FIELDS if k in v}
        try:
            case = api_services.case_patch(actor=actor, case=ca.case, expected_version=v["version"], **changes)
        except Conflict as exc:
            return conflict(exc, render_case(ca))
        return Response(render_case(ca, case))


class CaseTransitionView(ApiView):
    @extend_schema(
        operation_id="cases_transition",
        summary="Move the case to another phase",
        description=(
            "Coordinators. The state machine decides which phases follow which, and their preconditions "
            "(e.g. planning -> active needs a lead, a team and a plan decision). Close with cases/{id}/close/."
        ),
        request=TransitionSerializer,
        responses={200: CaseSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(TransitionSerializer)
        try:
            case = services.case_transition(
                actor=actor,
                case=ca.case,
                to_phase=v["to_phase"],
                expected_version=v["version"],
                note=v["note"],
                measures_ended_on=v["measures_ended_on"],
            )
        except Conflict as exc:
            return conflict(exc, render_case(ca))
        return Response(render_case(ca, case))


class CaseCloseView(ApiView):
    @extend_schema(
        operation_id="cases_close",
        summary="Close the case",
        description="Coordinators. A closure reason and a closing summary are required.",
        request=CloseSerializer,
        responses={200: CaseSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(CloseSerializer)
        try:
            case = services.case_close(
                actor=actor, case=ca.case, reason=v["reason"], summary=v["summary"], expected_version=v["version"]
            )
        except Conflict as exc:
            return conflict(exc, render_case(ca))
        return Response(render_case(ca, case))


class CaseReopenView(ApiView):
    @extend_schema(
        operation_id="cases_reopen",
        summary="Reopen a closed case",
        description="Coordinators. Opens a new case for the same person, linked to the closed one; returns it.",
        request=ReopenSerializer,
        responses={201: CaseSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(ReopenSerializer)
        new = services.case_reopen(actor=actor, case=ca.case, track=v.get("track"))
        new_ca = policy.case_access(actor, new)
        if new_ca is None:  # the new case is owned by the caller's organisation; this cannot happen
            raise NotFound()
        return Response(render_case(new_ca), status=201)
