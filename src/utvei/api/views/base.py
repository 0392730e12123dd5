"""What every API view shares: JSON parsing, the acting membership, pages and conflict answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
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

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        if method in self.http_method_names and hasattr(self, method):  # else 405 for the method, not its query
            strict_query(request, declared_query(self, method))

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

    def page(
        self,
        rows: Iterable[Any] | Merged[Any],
        render: Callable[[Any], Any],
        prepare: Callable[[list[Any]], Any] | None = None,
    ) -> Response:
        """One page of `rows`, each rendered; `prepare` sees the page's rows first (to load what they show at once)."""
        paginator = Page()
        request: Request = self.request
        items: list[Any] = paginator.paginate_queryset(rows, request, view=self) or []  # type: ignore[arg-type]
        if prepare is not None:
            prepare(items)
        return paginator.get_paginated_response([render(r) for r in items])


def declared_query(view: APIView, method: str) -> frozenset[str]:
    """The query parameters the schema declares for this view and method (its extend_schema `parameters`)."""
    key = (type(view), method)
    if key not in _DECLARED:
        _DECLARED[key] = _declared(view, method)
    return _DECLARED[key]


_DECLARED: dict[tuple[type[APIView], str], frozenset[str]] = {}


def _declared(view: APIView, method: str) -> frozenset[str]:
    handler = getattr(view, method.lower(), None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    if schema_class is None:
        return frozenset()
    schema = schema_class()
    schema.view = view
    schema.method = method.upper()
    names: set[str] = set()
    for parameter in schema.get_override_parameters():
        if isinstance(parameter, OpenApiParameter):
            if parameter.location == OpenApiParameter.QUERY and not parameter.exclude:
                names.add(parameter.name)
        elif isinstance(parameter, serializers.BaseSerializer) or (
            isinstance(parameter, type) and issubclass(parameter, serializers.BaseSerializer)
        ):
            serializer = parameter() if isinstance(parameter, type) else parameter
            names.update(serializer.fields)  # type: ignore[attr-defined]
    return frozenset(names)


def strict_query(request: Request, declared: frozenset[str]) -> None:
    """Only the declared query parameters, each once and with a value: anything else is a 400 naming it, never
    silently ignored (a misspelt filter would otherwise return everything)."""
    errors: dict[str, list[Any]] = {}
    for name, values in request.query_params.lists():
        if name not in declared:
            errors[name or "?"] = [serializers.ErrorDetail(_("There is no such parameter here."), code="unknown_field")]
        elif len(values) > 1:
            errors[name] = [serializers.ErrorDetail(_("Give this parameter once."), code="repeated")]
        elif values[0] == "":
            errors[name] = [serializers.ErrorDetail(_("Leave out a parameter you do not use."), code="min_length")]
    if errors:
        raise serializers.ValidationError(errors)


def conflict(exc: Conflict, current: dict[str, Any] | None) -> Response:
    """409 with the saved version when the caller may read it, so a client can merge and send again."""
    data = body(exc.code, exc.message)
    data["current"] = current
    return Response(data, status=409)
