"""cases/{id}/history/ (the header's and the person's earlier versions) and cases/{id}/person/ (editing the
person's identity details); docs/people.md «History»."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access.header import person_read_decision
from utvei.access.policy import require
from utvei.cases import history, selectors, services
from utvei.core.errors import Conflict

from ..schema import errors
from ..serializers_history import HistorySerializer, PersonEditSerializer, PersonSerializer
from .base import ApiView, conflict

PERSON_FIELDS = ("full_name", "national_id", "birth_date", "gender", "municipality", "guardian_name")


class CaseHistoryView(ApiView):
    @extend_schema(
        operation_id="cases_history",
        summary="The earlier versions of the case header and of the person's identity details",
        description=(
            "Newest first: who (display name and organisation), when, which fields changed and each field's "
            "earlier value where you may read that field now (as in the case header); «earlier» is null where you "
            "may not. The identity number is never shown. Coordinators and caseworkers; audited as case.history."
        ),
        responses={200: HistorySerializer, **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        _ca, versions = history.case_history(actor=self.actor, case_id=case_id)
        return Response(HistorySerializer({"results": versions}).data)


class CasePersonView(ApiView):
    @extend_schema(
        operation_id="cases_person_retrieve",
        summary="The identity details of the case's person",
        description=(
            "Where the case header shows who the person is (docs/access.md). Never the identity number: only "
            "whether one is recorded. `version` is what PATCH sends."
        ),
        responses={200: PersonSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = selectors.case_get(actor=self.actor, case_id=case_id)
        require(person_read_decision(ca))
        return Response(PersonSerializer(ca.case.person).data)

    @extend_schema(
        operation_id="cases_person_partial_update",
        summary="Edit the identity details of the case's person",
        description=(
            "Coordinators who manage the case and may read who it is. Send `version` (from GET "
            "cases/{id}/person/) with the fields to change. The earlier details are kept (GET cases/{id}/history/). "
            "A stale version gives 409 with the saved person in «current»."
        ),
        request=PersonEditSerializer,
        responses={200: PersonSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(PersonEditSerializer)
        changes = {k: v[k] for k in PERSON_FIELDS if k in v}
        try:
            person = services.person_edit(actor=actor, case=ca.case, expected_version=v["version"], **changes)
        except Conflict as exc:
            return conflict(exc, PersonSerializer(exc.current).data)
        return Response(PersonSerializer(person).data)
