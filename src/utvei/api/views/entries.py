"""cases/{id}/entries/: the timeline. Entries the caller may not read appear only as restricted markers."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from utvei.access import policy
from utvei.access.policy import Act
from utvei.audit.models import Action
from utvei.cases import selectors, services
from utvei.cases.selectors import TimelineItem
from utvei.core.errors import Conflict

from ..schema import PAGE_PARAMETERS, errors, page_of
from ..serializers import EntryMarkerSerializer, EntrySerializer, render_item
from .base import ApiView, conflict


def _entry_or_marker(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="EntryOrMarker",
        serializers=[EntrySerializer, EntryMarkerSerializer],
        resource_type_field_name=None,
        many=many,
    )


def _item_in_case(actor: Any, case_id: uuid.UUID, entry_id: uuid.UUID, *, audit: bool = True) -> TimelineItem:
    item = selectors.entry_get(actor=actor, entry_id=entry_id, audit=audit)
    if item.entry.case.public_id != case_id:
        raise NotFound()
    return item


class EntryListView(ApiView):
    @extend_schema(
        operation_id="entries_list",
        summary="The case timeline",
        description=(
            "Newest first. Entries you may not read appear as {id, kind, occurred_at, author_organisation, "
            "restricted: true}, never with title, body or category. Mentors get only what they may read."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: page_of("EntryPage", _entry_or_marker(many=True)), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        ca = selectors.case_get(actor=self.actor, case_id=case_id, audit_action=Action.ENTRY_LIST)
        return self.page(selectors.timeline(ca), render_item)

    @extend_schema(
        operation_id="entries_create",
        summary="Write an entry",
        description=(
            "The author and author organisation come from your token. You can only give a classification "
            "your own organisation may read."
        ),
        request=EntrySerializer,
        responses={201: EntrySerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, case_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        ca = selectors.case_get(actor=actor, case_id=case_id, audit=False)
        v = self.parse(EntrySerializer)
        entry = services.entry_create(
            actor=actor,
            case=ca.case,
            kind=v["kind"],
            classification=v["classification"],
            body=v["body"],
            title=v["title"],
            category=v["category"],
            occurred_at=v.get("occurred_at"),
        )
        return Response(EntrySerializer(entry).data, status=201)


class EntryDetailView(ApiView):
    @extend_schema(
        operation_id="entries_retrieve",
        summary="One entry",
        description="The entry in full when you may read it, else its restricted marker.",
        responses={200: _entry_or_marker(), **errors(401, 404)},
    )
    def get(self, request: Request, case_id: uuid.UUID, entry_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        return Response(render_item(_item_in_case(self.actor, case_id, entry_id)))

    @extend_schema(
        operation_id="entries_partial_update",
        summary="Edit an entry",
        description=(
            "Only the author organisation, while the case is open. Send `version` (required) and the fields "
            "to change: body, title, classification, kind, category. Every save keeps a revision. A stale "
            "version gives 409 with the saved entry in «current», so you can merge and send again."
        ),
        request=EntrySerializer,
        responses={200: EntrySerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, case_id: uuid.UUID, entry_id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor
        item = _item_in_case(actor, case_id, entry_id, audit=False)
        if not item.readable:
            raise NotFound()
        v = self.parse(EntrySerializer, partial=True)
        try:
            entry = services.entry_update(
                actor=actor,
                entry=item.entry,
                expected_version=v["version"],
                body=v.get("body", item.entry.body),
                title=v.get("title"),
                classification=v.get("classification"),
                kind=v.get("kind"),
                category=v.get("category"),
            )
        except Conflict as exc:
            current = exc.current
            readable = current is not None and policy.can(actor, Act.ENTRY_READ, current)
            return conflict(exc, EntrySerializer(current).data if readable else None)
        return Response(EntrySerializer(entry).data)
