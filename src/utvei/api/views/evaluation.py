"""indicators/, cases/{id}/measurements/, cases/{id}/outcome-events/, cases/{id}/follow-ups/, analytics/….

Measurements and outcome events are read through the entry rule (access.evaluation): without a relation to the
case, 404; records outside the caller's compartments or basis are left out. Writes: coordinators and caseworkers
with a full relation on an open case (follow-up occasions are recorded on the follow-up, in the web pages).
`analytics/` answers analysts only (404 for every other role) and returns protected aggregates only: counts below
5 are null, with secondary suppression; curves stop where fewer than 5 remain at risk.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.evaluation import analytics_cases, analytics_decision, analytics_org_ids, joined_evaluations
from utvei.audit.models import Action
from utvei.audit.services import audit_by
from utvei.core.errors import NotFound
from utvei.evaluation import analytics, selectors, services
from utvei.evaluation.models import Indicator, Measurement

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_evaluation import (
    FollowUpSerializer,
    IndicatorSerializer,
    MeasurementSerializer,
    OutcomeEventSerializer,
)
from .base import ApiView


class IndicatorListView(ApiView):
    @extend_schema(
        operation_id="indicators_list",
        summary="The outcome indicators",
        description="The catalogue of outcome indicators with their scales, levels, direction and data category.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("IndicatorPage", IndicatorSerializer(many=True)), **errors(401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.page(Indicator.objects.order_by("position", "key"), lambda i: IndicatorSerializer(i).data)


class MeasurementListView(ApiView):
    @extend_schema(
        operation_id="measurements_list",
        summary="The case's measurements you may read",
        description="Oldest first. One `measurement.list` event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("MeasurementPage", MeasurementSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        outcomes = selectors.outcomes_get(actor=self.actor, case_id=case_id)
        rows = sorted((x for h in outcomes.histories for x in h.measurements), key=lambda x: (x.measured_on, x.pk))
        return self.page(rows, lambda x: MeasurementSerializer(x).data)

    @extend_schema(
        operation_id="measurements_create",
        summary="Record a measurement",
        description=(
            "One value of one indicator at an occasion (intake, review, closure). Append-only: to correct one, send "
            "a new value with `corrects` naming the old measurement. 403 on a closed case: follow-up values are "
            "recorded on the follow-up."
        ),
        request=MeasurementSerializer,
        responses={201: MeasurementSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        outcomes = selectors.outcomes_get(actor=self.actor, case_id=case_id, audit_action=None)
        v = self.parse(MeasurementSerializer)
        corrects = None
        if v.get("corrects"):
            corrects = Measurement.objects.filter(case=outcomes.case, public_id=v["corrects"]).first()
            readable = {x.pk for h in outcomes.histories for x in h.measurements}
            if corrects is None or corrects.pk not in readable:
                raise NotFound("The measurement to correct was not found.")
        row = services.measurement_record(
            actor=self.actor,
            case=outcomes.case,
            indicator=v["indicator"],
            value=v["value"],
            occasion=v["occasion"],
            measured_on=v["measured_on"],
            source=v["source"],
            classification=v["classification"],
            note=v.get("note", ""),
            corrects=corrects,
        )
        return Response(MeasurementSerializer(row).data, status=201)


class OutcomeEventListView(ApiView):
    @extend_schema(
        operation_id="outcome_events_list",
        summary="The case's outcome events you may read",
        description="Oldest first. One `outcome.list` event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("OutcomeEventPage", OutcomeEventSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        outcomes = selectors.outcomes_get(actor=self.actor, case_id=case_id, audit_action=Action.OUTCOME_LIST)
        return self.page(outcomes.events, lambda e: OutcomeEventSerializer(e).data)

    @extend_schema(
        operation_id="outcome_events_create",
        summary="Record an outcome event",
        request=OutcomeEventSerializer,
        responses={201: OutcomeEventSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        outcomes = selectors.outcomes_get(actor=self.actor, case_id=case_id, audit_action=None)
        v = self.parse(OutcomeEventSerializer)
        row = services.outcome_event_record(
            actor=self.actor,
            case=outcomes.case,
            kind=v["kind"],
            occurred_on=v["occurred_on"],
            source=v["source"],
            classification=v["classification"],
            note=v.get("note", ""),
        )
        return Response(OutcomeEventSerializer(row).data, status=201)


class FollowUpListView(ApiView):
    @extend_schema(
        operation_id="follow_ups_list",
        summary="The case's follow-ups after the measures ended",
        description="For coordinators and caseworkers on the case. One `measurement.list` event.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("FollowUpPage", FollowUpSerializer(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        outcomes = selectors.outcomes_get(actor=self.actor, case_id=case_id)
        return self.page(outcomes.follow_ups, lambda f: FollowUpSerializer(f).data)


def _plain(value: Any) -> Any:
    """Dataclasses of protected figures as JSON: lazy texts as strings, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class AnalyticsView(ApiView):
    @extend_schema(
        operation_id="analytics_retrieve",
        summary="Protected aggregates for evaluators",
        description=(
            "Analysts only (404 for every other role). The same figures as the dashboard: overview, change from "
            "baseline, time to re-engagement, outcomes by measure, process measures. Counts below 5 are null with "
            "secondary suppression; nothing is per person. One `analytics.view` event."
        ),
        parameters=[
            OpenApiParameter("evaluation", OpenApiTypes.UUID, description="Pool over an evaluation you joined."),
            OpenApiParameter("track", OpenApiTypes.STR),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(401, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        m = self.actor
        if not analytics_decision(m):
            raise NotFound("Not found.")
        evaluation = None
        wanted = request.query_params.get("evaluation")
        if wanted:
            evaluation = next((e for e in joined_evaluations(m) if str(e.public_id) == wanted), None)
            if evaluation is None:
                raise NotFound("Not found.")
        track = request.query_params.get("track", "")
        cohort = analytics.Cohort(track=track[:20])
        cases = analytics.cohort_cases(analytics_cases(m, evaluation), cohort)
        figures = analytics.figures(cases, key=(tuple(analytics_org_ids(m, evaluation)), cohort))
        audit_by(m, Action.ANALYTICS_VIEW, object_type="analytics", object_id="api")
        return Response(_plain(figures))
