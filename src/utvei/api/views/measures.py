"""measures/: the toolbox. Read by every membership (not case data, not audited); coordinators add local ones."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.core.errors import Conflict
from utvei.plans import selectors, services
from utvei.plans.models import Measure

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_plans import (
    LocalMeasurePatchSerializer,
    LocalMeasureSerializer,
    MeasureFilterSerializer,
    MeasureSerializer,
)
from .base import ApiView, conflict

HONEST = (
    " Every row carries `evidence_caveat`: nobody knows which exit measures work. `in_use` counts approved plans in "
    "force on open cases across Utvei; 1 and 2 are suppressed (count null) so that no case can be singled out."
)


def render_measure(measure: Measure) -> dict[str, Any]:
    return dict(MeasureSerializer(measure).data)


def _get(actor: Any, key: str) -> Measure:
    return selectors.measure_get(actor=actor, key=key)


class MeasureListView(ApiView):
    @extend_schema(
        operation_id="measures_list",
        summary="The measure catalogue (toolbox)",
        description="National measures from the data file, then local ones; active ones unless ?all=1." + HONEST,
        parameters=[MeasureFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of("MeasurePage", MeasureSerializer(many=True)), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(MeasureFilterSerializer)
        filters = selectors.MeasureFilters(
            sector=f.get("sector", ""), track=f.get("track", ""), scope=f.get("scope", ""), include_inactive=f["all"]
        )
        return self.page(selectors.measure_list(actor=self.actor, filters=filters), render_measure)

    @extend_schema(
        operation_id="measures_create",
        summary="Add a local measure",
        description=(
            "Coordinators. The measure belongs to your organisation and gets a key `local-<organisation>-<name>`. "
            "Write an honest evidence note: local measures are rarely evaluated."
        ),
        request=LocalMeasureSerializer,
        responses={201: MeasureSerializer, **errors(400, 401, 403)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        measure = services.measure_create_local(actor=actor, **self.parse(LocalMeasureSerializer))
        return Response(render_measure(_get(actor, measure.key)), status=201)


class MeasureDetailView(ApiView):
    @extend_schema(
        operation_id="measures_retrieve",
        summary="One measure",
        description="Active or not, with how many saved versions it has." + HONEST,
        responses={200: MeasureSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        return Response(render_measure(_get(self.actor, key)))

    @extend_schema(
        operation_id="measures_partial_update",
        summary="Change a local measure",
        description=(
            "Coordinators of the organisation that added it. Send `version` and the fields to change; `active: "
            "false` retires it (plans that use it keep it). The national catalogue changes only through its data "
            "file. A stale version gives 409 with the saved measure in «current»."
        ),
        request=LocalMeasurePatchSerializer,
        responses={200: MeasureSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, key: str, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        measure = _get(actor, key)
        v = dict(self.parse(LocalMeasurePatchSerializer, partial=True))
        expected = v.pop("version")
        try:
            services.measure_update_local(actor=actor, measure=measure, expected_version=expected, **v)
        except Conflict as exc:
            return conflict(exc, render_measure(_get(actor, key)))
        return Response(render_measure(_get(actor, key)))
