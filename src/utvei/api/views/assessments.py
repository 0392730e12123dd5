"""instruments/ and cases/{id}/assessments/: structured professional judgement.

Ratings are stored and shown, never added up: no endpoint returns a score or a rank. Mentors see no assessments;
another organisation's draft, or one outside the caller's compartment, appears only as a restricted marker.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import assessments as access
from utvei.assessments import selectors, services
from utvei.assessments.models import Assessment
from utvei.assessments.selectors import AssessmentRow
from utvei.audit.models import Action
from utvei.cases import selectors as case_selectors
from utvei.core.errors import Conflict

from ..errors import body
from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_assessments import (
    AssessmentCreateSerializer,
    AssessmentMarkerSerializer,
    AssessmentPatchSerializer,
    AssessmentSerializer,
    AssessmentSummarySerializer,
    CompareSerializer,
    FinaliseSerializer,
    InstrumentSerializer,
    InstrumentVersionSerializer,
    SkipSerializer,
    render_instrument_version,
)
from .base import ApiView, conflict

NO_SCORE = " Nothing is computed from the ratings: the level of concern is the one the assessor entered."


class VersionQuery(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=100000)


class InstrumentListView(ApiView):
    @extend_schema(
        operation_id="instruments_list",
        summary="Assessment instruments",
        description="Active instruments and their loaded versions. Any membership; not case data, not audited.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("InstrumentPage", InstrumentSerializer(many=True)), **errors(401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.page(selectors.instrument_list(actor=self.actor), lambda i: InstrumentSerializer(i).data)


class InstrumentDetailView(ApiView):
    @extend_schema(
        operation_id="instruments_retrieve",
        summary="One instrument: scale, domains and items",
        description="The newest version, or `?version=N`. A licensed instrument may name its items by code only.",
        parameters=[
            OpenApiParameter(
                "version",
                {"type": "integer", "minimum": 1, "maximum": 100000},
                description="A loaded version; default newest.",
            )
        ],
        responses={200: InstrumentVersionSerializer, **errors(400, 401, 404)},
    )
    def get(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        q = self.query(VersionQuery)
        version = selectors.instrument_get(actor=self.actor, key=key, version=q.get("version"))
        return Response(render_instrument_version(version))


def _assessment_or_marker(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="AssessmentOrMarker",
        serializers=[AssessmentSerializer, AssessmentMarkerSerializer],
        resource_type_field_name=None,
        many=many,
    )


def render_row(row: AssessmentRow) -> dict[str, Any]:
    if row.readable:
        return dict(AssessmentSummarySerializer(row.assessment).data)
    return dict(AssessmentMarkerSerializer(row.assessment).data)


def render_full(assessment: Assessment) -> dict[str, Any]:
    return dict(AssessmentSerializer(assessment).data)


class AssessmentListView(ApiView):
    @extend_schema(
        operation_id="assessments_list",
        summary="The assessments of a case",
        description=(
            "Newest first, without items or texts. Another organisation's draft, or an assessment outside your "
            "compartment, appears as {id, status, created_at, author_organisation, restricted: true}. Mentors "
            "get 403. One `assessment.list` audit event." + NO_SCORE
        ),
        parameters=PAGE_PARAMETERS,
        responses={
            200: page_of(
                "AssessmentPage",
                PolymorphicProxySerializer(
                    component_name="AssessmentSummaryOrMarker",
                    serializers=[AssessmentSummarySerializer, AssessmentMarkerSerializer],
                    resource_type_field_name=None,
                    many=True,
                ),
            ),
            **errors(401, 403, 404),
        },
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _ca, rows = selectors.assessment_list(actor=self.actor, case_id=case_id)
        return self.page(rows, render_row)

    @extend_schema(
        operation_id="assessments_create",
        summary="Start an assessment",
        description=(
            "A draft with every item of the instrument's newest version, unrated; reassessment due in three "
            "months. Coordinators and caseworkers with a relation to the case (not under emergency access). "
            "The classification must be one your organisation may read: team, own_org, police or health."
        ),
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(AssessmentCreateSerializer)
        assessment = services.assessment_create(
            actor=actor,
            case=ca.case,
            instrument_key=v["instrument"],
            classification=v["classification"],
            assessors=v["assessors"],
        )
        return Response(render_full(assessment), status=201)


def _readable(actor: Any, case_id: uuid.UUID, assessment_id: uuid.UUID, **kw: Any) -> AssessmentRow:
    row = selectors.assessment_get(actor=actor, case_id=case_id, assessment_id=assessment_id, **kw)
    if not row.readable:
        raise NotFound()
    return row


class AssessmentDetailView(ApiView):
    @extend_schema(
        operation_id="assessments_retrieve",
        summary="One assessment",
        description=(
            "In full when you may read it (items with rating, confidence and evidence; the assessor's summary; "
            "`descriptive_counts` per domain, which are not a score), else its restricted marker." + NO_SCORE
        ),
        responses={200: _assessment_or_marker(), **errors(401, 404)},
    )
    def get(
        self, request: Request, case_id: uuid.UUID, assessment_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        row = selectors.assessment_get(actor=self.actor, case_id=case_id, assessment_id=assessment_id)
        if not row.readable:
            return Response(AssessmentMarkerSerializer(row.assessment).data)
        return Response(render_full(row.assessment))

    @extend_schema(
        operation_id="assessments_partial_update",
        summary="Save a draft",
        description=(
            "The author organisation, while it is a draft. Send `version` (required) and what to change: header "
            "fields and/or `items` [{code, rating?, confidence?, evidence?}]. Every save keeps a revision. A "
            "stale version gives 409 with the saved assessment in «current». A final assessment cannot be "
            "changed (403): a correction is a new assessment."
        ),
        request=AssessmentPatchSerializer,
        responses={200: AssessmentSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(
        self, request: Request, case_id: uuid.UUID, assessment_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        actor = self.actor
        row = _readable(actor, case_id, assessment_id, audit=False)
        v = dict(self.parse(AssessmentPatchSerializer))
        items = [services.ItemInput(**i) for i in v.pop("items", [])]
        try:
            saved = services.assessment_update(
                actor=actor, assessment=row.assessment, expected_version=v.pop("version"), items=items, **v
            )
        except Conflict as exc:
            current = exc.current
            readable = current is not None and access.assessment_decision(row.ca, current)
            return conflict(exc, render_full(current) if readable else None)
        return Response(render_full(saved))


class AssessmentFinaliseView(ApiView):
    @extend_schema(
        operation_id="assessments_finalise",
        summary="Finalise a draft",
        description=(
            "Send `version`. Every item must be rated («unknown» counts) with evidence, and a confidence unless "
            "unknown; the level of concern, summary judgement, formulation, management recommendations and a "
            "future reassessment date are required, and a reassessment needs `changes_since_last`. 400 "
            "`incomplete` lists what is missing in `problems`. Final means fixed."
        ),
        request=FinaliseSerializer,
        responses={200: AssessmentSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(
        self, request: Request, case_id: uuid.UUID, assessment_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        actor = self.actor
        row = _readable(actor, case_id, assessment_id, audit=False)
        v = self.parse(FinaliseSerializer)
        try:
            saved = services.assessment_finalise(actor=actor, assessment=row.assessment, expected_version=v["version"])
        except services.Incomplete as exc:
            return Response(body(exc.code, exc.message, problems=exc.problems), status=422)
        except Conflict as exc:  # someone saved the draft since: the draft as saved, to compare before finalising
            current = exc.current or _readable(actor, case_id, assessment_id, audit=False).assessment
            readable = current is not None and access.assessment_decision(row.ca, current)
            return conflict(exc, render_full(current) if readable else None)
        return Response(render_full(saved))


class AssessmentCompareView(ApiView):
    @extend_schema(
        operation_id="assessments_compare",
        summary="What has changed since last time",
        description=(
            "Every item of this assessment and the previous final one with the same instrument (matched by code), "
            "each with `changed` when the rating or confidence differs. `previous_readable` is false when there "
            "is none or you may not read it; then `items` is empty."
        ),
        responses={200: CompareSerializer, **errors(401, 404)},
    )
    def get(
        self, request: Request, case_id: uuid.UUID, assessment_id: uuid.UUID, *args: Any, **kwargs: Any
    ) -> Response:
        row = _readable(self.actor, case_id, assessment_id, audit_action=Action.ASSESSMENT_COMPARE)
        comp = selectors.comparison(row)

        def side(line: Any) -> dict[str, str] | None:
            if line is None:
                return None
            return {"rating": line.rating, "confidence": line.confidence, "evidence": line.evidence}

        data = {
            "assessment": str(row.assessment.public_id),
            "previous": str(comp.previous.public_id) if comp.previous is not None and comp.previous_readable else None,
            "previous_readable": comp.previous_readable,
            "changed_items": len(comp.changed),
            "changes_since_last": row.assessment.changes_since_last,
            "items": [
                {
                    "code": c.code,
                    "domain": _domain_of(c),
                    "changed": c.changed,
                    "before": side(c.before),
                    "after": side(c.after),
                }
                for c in comp.changes
            ],
        }
        return Response(data)


def _domain_of(change: Any) -> str:
    line = change.after or change.before
    return line.domain if line is not None else ""


class AssessmentSkipView(ApiView):
    @extend_schema(
        operation_id="assessments_skip",
        summary="Record why planning starts without an assessment",
        description=(
            "Coordinators, in the assessment phase, when the case has no final assessment. Moving to planning "
            "needs a final assessment or this record. 409 in another phase or when a final assessment exists."
        ),
        request=SkipSerializer,
        responses={201: SkipSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = case_selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(SkipSerializer)
        skip = services.assessment_skip_record(
            actor=actor, case=ca.case, reason=v["reason"], explanation=v["explanation"]
        )
        return Response(SkipSerializer(skip).data, status=201)
