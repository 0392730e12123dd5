"""Limit/offset pages for every list endpoint: {count, next, previous, results}."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from .fields import MAX_INT


class Page(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500

    def get_offset(self, request: Request) -> int:
        # An offset past what the database's integer holds would crash the query instead of returning nothing.
        return min(super().get_offset(request), MAX_INT)
