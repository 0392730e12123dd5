"""Attachments of timeline entries in the API (docs/attachments.md): the list, the upload and the download. The
same service and the same two access gates as the pages (access/attachments.py); the bytes leave only through
`attachments/{id}/`, always as a download."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import policy
from utvei.cases import selectors, services
from utvei.cases.selectors import AttachmentItem
from utvei.cases.views.attachments import content_disposition
from utvei.core.vocabulary import Classification, DataCategory

from ..schema import errors
from .base import ApiView
from .entries import _item_in_case


class AttachmentSerializer(serializers.Serializer):
    """A file you may open."""

    id = serializers.UUIDField(source="attachment.public_id")
    filename = serializers.CharField(source="attachment.filename")
    content_type = serializers.CharField(source="attachment.content_type", help_text=_("As detected from the content."))
    size = serializers.IntegerField(source="attachment.size")
    sha256 = serializers.CharField(source="attachment.sha256")
    classification = serializers.CharField(source="attachment.classification")
    category = serializers.CharField(source="attachment.category")
    uploaded_at = serializers.DateTimeField(source="attachment.uploaded_at")
    author_organisation = serializers.CharField(source="attachment.author_org.slug")
    restricted = serializers.BooleanField(default=False, help_text=_("false: you may open it (attachments/{id}/)."))


class AttachmentMarkerSerializer(serializers.Serializer):
    """A file you may not open: that it is there, when, and by which organisation where that is not itself
    restricted."""

    uploaded_at = serializers.DateTimeField(source="attachment.uploaded_at")
    author_organisation = serializers.SerializerMethodField()
    restricted = serializers.BooleanField(default=True)

    def get_author_organisation(self, item: AttachmentItem) -> str | None:
        return item.attachment.author_org.slug if item.author_shown else None


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=_("The file (multipart/form-data)."))
    classification = serializers.ChoiceField(choices=Classification.choices)
    category = serializers.ChoiceField(choices=DataCategory.choices, default=DataCategory.PLAN)


def _render(item: AttachmentItem) -> dict[str, Any]:
    if item.readable:
        return {**AttachmentSerializer(item).data, "restricted": False}
    return {**AttachmentMarkerSerializer(item).data, "restricted": True}


ATTACHMENT_OR_MARKER = PolymorphicProxySerializer(
    component_name="AttachmentOrMarker",
    serializers=[AttachmentSerializer, AttachmentMarkerSerializer],
    resource_type_field_name=None,
    many=True,
)


class EntryAttachmentsView(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="entry_attachments_list",
        summary="The files attached to an entry",
        description=(
            "Files you may open in full; the others as markers {uploaded_at, author_organisation, restricted: true} "
            "where the entry rule gives a marker. Nothing for an entry you may not read."
        ),
        responses={
            200: inline_serializer("AttachmentList", {"results": ATTACHMENT_OR_MARKER}),
            **errors(401, 404),
        },
    )
    def get(self, request: Request, case_id: uuid.UUID, entry_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        item = _item_in_case(self.actor, case_id, entry_id)
        ca = policy.case_access(self.actor, item.entry.case)
        if ca is None or not item.readable:
            raise NotFound()
        rows = selectors.attachments_for(ca, [item.entry])[item.entry.pk]
        return Response({"results": [_render(r) for r in rows]})

    @extend_schema(
        operation_id="entry_attachments_create",
        summary="Attach a file to an entry",
        description=(
            "multipart/form-data: file, classification, category. The entry's author organisation, on an open "
            "case. The type is judged by the content (PDF, PNG, JPEG, TIFF, Word, Excel, OpenDocument, plain text), "
            "never the name; an empty file, another type or a file the scanner refuses is a 422, one over the limit "
            "a 413. Stored encrypted; audited."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **errors(400, 401, 403, 404, 413, 422)},
    )
    def post(self, request: Request, case_id: uuid.UUID, entry_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        item = _item_in_case(self.actor, case_id, entry_id, audit=False)
        if not item.readable:
            raise NotFound()
        v = self.parse(AttachmentUploadSerializer)
        upload = v["file"]
        attachment = services.attachment_add(
            actor=self.actor,
            owner=item.entry,
            filename=upload.name or "",
            data=upload.read(),
            oversize=bool(getattr(upload, "too_large", False)),
            classification=v["classification"],
            category=v["category"],
        )
        ca = policy.case_access(self.actor, item.entry.case)
        assert ca is not None
        made = next(r for r in selectors.attachments_for(ca, [item.entry])[item.entry.pk] if r.attachment == attachment)
        return Response(AttachmentSerializer(made).data, status=201)


class AttachmentDownloadView(ApiView):
    @extend_schema(
        operation_id="attachments_download",
        summary="Download a file",
        description=(
            "The file's bytes, as a download (Content-Disposition: attachment), when you may open both what it is "
            "attached to and the file itself; 404 otherwise, as for a missing one. Audited."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **errors(401, 404),
        },
    )
    def get(self, request: Request, attachment_id: uuid.UUID, *args: Any, **kwargs: Any) -> HttpResponse:
        item, data = selectors.attachment_get(actor=self.actor, attachment_id=attachment_id)
        att = item.attachment
        response = HttpResponse(data, content_type=att.content_type)  # the bytes as they are, not rendered
        response["Content-Disposition"] = content_disposition(att.filename)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store, private"
        return response
