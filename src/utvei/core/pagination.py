"""Keyset pages: a list ordered newest first, read a page at a time by where the last page ended, never by offset.

An offset page costs the rows before it (the last of 2,000 pages reads 100,000 rows); a keyset page costs its own
rows, on an index that ends with the ordering columns. The position travels in the query string as an opaque
cursor (`?after=…` for older rows, `?before=…` for newer, `?at=oldest` for the last page); it holds a time
and a row number, nothing about a person. A cursor that does not parse shows the first page.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)


def encode(at: dt.datetime, pk: int) -> str:
    raw = f"{at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[dt.datetime, int] | None:
    """The (time, row) of a cursor, or None when it is not one of ours."""
    if not cursor or len(cursor) > 120:
        return None
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
        at, pk = raw.split("|")
        when = dt.datetime.fromisoformat(at)
        row = int(pk)
    except (ValueError, UnicodeDecodeError):
        return None
    if when.tzinfo is None or not 0 < row < 2**63:
        return None
    return when, row


@dataclass
class KeysetPage(Generic[T]):
    """One page of rows, newest first, with the cursors of its neighbours (None: there is none)."""

    rows: Sequence[T]
    older: str | None  # the next page (older rows)
    newer: str | None  # the previous page (newer rows)
    is_first: bool
    is_last: bool

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def paginated(self) -> bool:
        return not (self.is_first and self.is_last)


def keyset_page(
    parts: Sequence[QuerySet[T]],
    params: Mapping[str, str],
    *,
    size: int,
    load: Callable[[list[Any]], QuerySet[T]],
    field: str = "opened_at",
) -> KeysetPage[T]:
    """The page the query string asks for of the union of `parts` (filtered querysets that may overlap), ordered
    by `field` then pk, newest first.

    Each part gives its first size + 1 keys past the cursor, on its own index; the keys are merged, and `load`
    reads the rows of the page by pk. Never a count, never an offset: a deep page costs what the first one does.
    """
    after = decode(params.get("after", ""))
    before = decode(params.get("before", ""))
    oldest = params.get("at") == "oldest"
    ascending = oldest or (before is not None and after is None)
    cursor = None if oldest else (after if after is not None else before)
    keys: set[tuple[Any, Any]] = set()
    for part in parts:
        qs = part.order_by(field, "pk") if ascending else part.order_by(f"-{field}", "-pk")
        if cursor is not None:
            when, pk = cursor
            op = "gt" if ascending else "lt"
            qs = qs.filter(Q(**{f"{field}__{op}": when}) | Q(**{field: when, f"pk__{op}": pk}))
        keys.update(qs.values_list(field, "pk")[: size + 1])
    ordered = sorted(keys, reverse=not ascending)
    more = len(ordered) > size
    wanted = [pk for _at, pk in ordered[:size]]
    rows_by_pk = {row.pk: row for row in load(wanted)} if wanted else {}
    rows = [rows_by_pk[pk] for pk in wanted if pk in rows_by_pk]
    if ascending:
        rows.reverse()
    if oldest:
        return _page(rows, field, older=False, newer=more, first=not more, last=True)
    if ascending:  # ?before=: the page of newer rows
        return _page(rows, field, older=True, newer=more, first=not more, last=False)
    if after is not None:
        return _page(rows, field, older=more, newer=True, first=False, last=not more)
    return _page(rows, field, older=more, newer=False, first=True, last=not more)


def _page(rows: list[T], field: str, *, older: bool, newer: bool, first: bool, last: bool) -> KeysetPage[T]:
    if not rows:
        return KeysetPage(rows, None, None, is_first=True, is_last=True)
    head, tail = rows[0], rows[-1]
    return KeysetPage(
        rows,
        older=encode(getattr(tail, field), tail.pk) if older else None,
        newer=encode(getattr(head, field), head.pk) if newer else None,
        is_first=first and not newer,
        is_last=last and not older,
    )


COUNT_CAP = 1000


@dataclass(frozen=True)
class Counted:
    """How many rows a list has, counted up to a cap: "1,000 or more" costs what a thousand rows cost."""

    n: int
    more: bool  # there are more than `n`


def counted(parts: Sequence[QuerySet[Any]], cap: int = COUNT_CAP) -> Counted:
    """The rows of the union of `parts`, counted up to `cap`: each part reads at most cap + 1 keys."""
    keys: set[Any] = set()
    for part in parts:
        keys.update(part.order_by().values_list("pk", flat=True)[: cap + 1])
    return Counted(min(len(keys), cap), len(keys) > cap)


class Merged(Generic[T]):
    """The union of disjoint `parts` as a sliceable, countable sequence, newest first — what an offset page (the
    API's limit/offset) reads: a slice costs its end in index keys per part, a count one COUNT per part."""

    def __init__(self, parts: Sequence[QuerySet[T]], load: Callable[[list[Any]], QuerySet[T]], field: str) -> None:
        self.parts, self.load, self.field = list(parts), load, field

    def count(self) -> int:
        return sum(part.order_by().count() for part in self.parts)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[T]:
        start, stop = window.start or 0, window.stop
        if stop is None or window.step not in (None, 1) or stop <= start:
            raise ValueError("a window with an end")
        keys: set[tuple[Any, Any]] = set()
        for part in self.parts:
            keys.update(part.order_by(f"-{self.field}", "-pk").values_list(self.field, "pk")[:stop])
        wanted = [pk for _at, pk in sorted(keys, reverse=True)[start:stop]]
        rows = {row.pk: row for row in self.load(wanted)} if wanted else {}
        return [rows[pk] for pk in wanted if pk in rows]
