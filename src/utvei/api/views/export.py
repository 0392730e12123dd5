"""cases/{id}/export/: the case record as the caller may read it, in one JSON document (see cases/exports.py)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.cases import exports

from ..schema import errors
from ..serializers import CaseSerializer, TeamMemberSerializer, render_item
from .base import ApiView
from .cases import render_case
from .entries import _entry_or_marker

CaseExportSchema = inline_serializer(
    name="CaseExport",
    fields={
        "case": CaseSerializer(),
        "team": TeamMemberSerializer(many=True),
        "entries": _entry_or_marker(many=True),
        "exported_at": serializers.DateTimeField(),
    },
)


class CaseExportView(ApiView):
    @extend_schema(
        operation_id="cases_export",
        summary="Export the case record",
        description=(
            "Everything of the case you may read, in one document: the header as far as your role lets you see "
            "it, the team, and the whole timeline, newest first — entries you may not read as restricted markers "
            "(id, kind, occurred_at, author_organisation), and for mentors only what they may read. Audited as "
            "case.export. Not paginated."
        ),
        responses={200: CaseExportSchema, **errors(401, 403, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        record = exports.case_record(actor=self.actor, case_id=case_id, fmt="json")
        data = {
            "case": render_case(record.ca, scope=record.scope),  # `policy.copy_scope`: no protected identity
            "team": [TeamMemberSerializer(t).data for t in record.team],
            "entries": [render_item(i) for i in record.items],
            "exported_at": record.exported_at.isoformat(),
        }
        response = Response(data)
        return response
