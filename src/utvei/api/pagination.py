"""Limit/offset pages for every list endpoint: {count, next, previous, results}."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from .fields import MAX_INT


class Page(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500

    def get_limit(self, request: Request) -> int:
        value = _number(request, self.limit_query_param, minimum=1)
        return self.default_limit if value is None else min(value, self.max_limit)

    def get_offset(self, request: Request) -> int:
        # An offset past what the database's integer holds would crash the query instead of returning nothing.
        value = _number(request, self.offset_query_param, minimum=0)
        return 0 if value is None else min(value, MAX_INT)


def _number(request: Request, name: str, *, minimum: int) -> int | None:
    """A whole number from the query, or a 400 naming the parameter: never a silent default for a wrong value. Any
    number of digits is a number (the schema sets no maximum); past what the database holds it is clamped."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    match = re.fullmatch(r"\s*(\+|-)?0*(\d+)\s*", raw)
    if match is None or (match.group(1) == "-" and match.group(2) != "0"):
        value = None
    else:
        digits = match.group(2)
        value = int(digits) if len(digits) <= 18 else MAX_INT
    if value is None or value < minimum:
        message = _("Give a whole number from %(min)d.") % {"min": minimum}
        raise serializers.ValidationError({name: [message]}, code="invalid")
    return value
