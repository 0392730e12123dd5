"""subject-access/: the data protection officer's register of subject-access requests (GDPR art. 15) and the export
that answers one (docs/subject-access.md). The rule: `access.subject_access`; the work: retention's services."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.retention.subject_access import services
from utvei.retention.subject_access.export import as_json

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers_subject_access import (
    SubjectAccessExportQuery,
    SubjectAccessFilterSerializer,
    SubjectAccessReasonSerializer,
    SubjectAccessRegisterSerializer,
    SubjectAccessRequestSerializer,
    render_request,
)
from .base import ApiView

REQUEST_PAGE = page_of("SubjectAccessPage", SubjectAccessRequestSerializer(many=True))
WHO = "Data protection officers only (others: 403); another organisation's request is 404. "


class SubjectAccessListView(ApiView):
    @extend_schema(
        operation_id="subject_access_list",
        summary="The organisation's subject-access requests",
        description=WHO + "Open requests first, the most urgent (overdue) first; then the closed. `?open=true`: "
        "only the open ones. One `subject_access.view` audit event.",
        parameters=[SubjectAccessFilterSerializer, *PAGE_PARAMETERS],
        responses={
            200: page_of("SubjectAccessPage", SubjectAccessRequestSerializer(many=True)),
            **errors(400, 401, 403),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        f = self.query(SubjectAccessFilterSerializer)
        return self.page(services.request_list(actor=self.actor, open_only=f["open"]), render_request)

    @extend_schema(
        operation_id="subject_access_register",
        summary="Register a subject-access request",
        description=WHO + "Find the person by `national_id`, or by `full_name` and `birth_date`, among the persons "
        "your organisation is a controller of data about (else 404, the same as no such person; several matches "
        "by name: 400 `ambiguous`). The answer is due one month after `received_on`.",
        request=SubjectAccessRegisterSerializer,
        responses={201: SubjectAccessRequestSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        services.request_list(actor=actor, audit=False)  # 403 before the body is read, for any other role
        v = self.parse(SubjectAccessRegisterSerializer)
        person = services.person_find(
            actor=actor, national_id=v["national_id"], full_name=v["full_name"], birth_date=v["birth_date"]
        )
        made = services.request_register(
            actor=actor, person=person, received_via=v["received_via"], received_on=v["received_on"]
        )
        return Response(render_request(made), status=201)


class SubjectAccessDetailView(ApiView):
    @extend_schema(
        operation_id="subject_access_detail",
        summary="One subject-access request",
        description=WHO,
        responses={200: SubjectAccessRequestSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, request_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return Response(render_request(services.request_get(actor=self.actor, request_id=request_id)))


class SubjectAccessExtendView(ApiView):
    @extend_schema(
        operation_id="subject_access_extend",
        summary="Extend the deadline by two months",
        description=WHO + "Once, for a pending request, with the `reason` the person is told (art. 12(3)). A "
        "second extension is 409.",
        request=SubjectAccessReasonSerializer,
        responses={200: SubjectAccessRequestSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, request_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        req = services.request_get(actor=self.actor, request_id=request_id)
        v = self.parse(SubjectAccessReasonSerializer)
        return Response(render_request(services.request_extend(actor=self.actor, request=req, reason=v["reason"])))


class SubjectAccessRefuseView(ApiView):
    @extend_schema(
        operation_id="subject_access_refuse",
        summary="Refuse a manifestly unfounded or excessive request",
        description=WHO + "With the `reason` the person is told (art. 12(5)). A closed request is 409.",
        request=SubjectAccessReasonSerializer,
        responses={200: SubjectAccessRequestSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, request_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        req = services.request_get(actor=self.actor, request_id=request_id)
        v = self.parse(SubjectAccessReasonSerializer)
        return Response(render_request(services.request_refuse(actor=self.actor, request=req, reason=v["reason"])))


class SubjectAccessAnswerView(ApiView):
    @extend_schema(
        operation_id="subject_access_answer",
        summary="Record the request as answered",
        description=WHO + "After the export was made (else 409); a closed request is 409.",
        request=None,
        responses={200: SubjectAccessRequestSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, request_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        req = services.request_get(actor=self.actor, request_id=request_id)
        return Response(render_request(services.request_answer(actor=self.actor, request=req)))


class SubjectAccessExportView(ApiView):
    @extend_schema(
        operation_id="subject_access_export",
        summary="The export that answers the request, as JSON",
        description=WHO + "Everything Utvei holds about the person (`format` utvei-subject-access, `version` 1; "
        "its shape is in docs/subject-access.md): `sections` of items, each `{kind, id, fields}`; the "
        "`access_log`; what is `withheld` (kind, field, rule, statute, count) and what is `not_included`, with "
        "why. Words in `?lang=` nb (default) or en. Audited as `subject_access.export`. A refused request is 409.",
        parameters=[SubjectAccessExportQuery],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The export."),
            **errors(400, 401, 403, 404, 409),
        },
    )
    def get(self, request: Request, request_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        lang = self.query(SubjectAccessExportQuery)["lang"]
        req = services.request_get(actor=self.actor, request_id=request_id)
        export = services.request_export(actor=self.actor, request=req, fmt="json")
        with translation.override(lang):
            data = as_json(export, language=lang)
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response
