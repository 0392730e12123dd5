"""What every API view shares: JSON parsing, the acting membership, pages and conflict answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from utvei.accounts.models import Membership
from utvei.core.errors import Conflict
from utvei.core.pagination import Merged

from ..auth import actor_of
from ..errors import body
from ..pagination import Page
from ..parsers import SafeJSONParser
from ..schema import UtveiAutoSchema


class ApiView(APIView):
    parser_classes = [SafeJSONParser]
    schema = UtveiAutoSchema()

    @property
    def actor(self) -> Membership:
        return actor_of(self.request)

    def parse(self, serializer_class: type[serializers.Serializer], data: Any = None, **kw: Any) -> Any:
        """Validated data of the request body (or `data`), or a 400."""
        s = serializer_class(data=self.request.data if data is None else data, **kw)
        s.is_valid(raise_exception=True)
        return s.validated_data

    def query(self, serializer_class: type[serializers.Serializer]) -> Any:
        return self.parse(serializer_class, data=self.request.query_params)

    def page(self, rows: Iterable[Any] | Merged[Any], render: Callable[[Any], Any]) -> Response:
        paginator = Page()
        request: Request = self.request
        items: list[Any] = paginator.paginate_queryset(rows, request, view=self) or []  # type: ignore[arg-type]
        return paginator.get_paginated_response([render(r) for r in items])


def conflict(exc: Conflict, current: dict[str, Any] | None) -> Response:
    """409 with the saved version when the caller may read it, so a client can merge and send again."""
    data = body(exc.code, exc.message)
    data["current"] = current
    return Response(data, status=409)
