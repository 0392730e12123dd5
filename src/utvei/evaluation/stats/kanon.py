"""k-anonymity for pseudonymised research extracts.

A research extract has no names, but a combination of ordinary attributes (age band, region, quarter, track) can
still point at one person: if only one 15-17 year old in a small region entered the exit track in a given quarter,
anyone who knows that youth finds their row. These attributes are the *quasi-identifiers*. An extract is
*k-anonymous* when every combination of quasi-identifier values that occurs, occurs at least ``k`` times (``K = 5``),
so each row hides among at least ``k - 1`` others.

**Generalisation.** Each quasi-identifier comes with a hierarchy: an ordered list of functions from the raw value to
a published value. Level 0 is the identity, each next level is coarser, and the last maps everything to ``"*"``.
For example ``"15-17" -> "under 18" -> "*"`` or ``"2026Q1" -> "2026" -> "*"``. A choice of one level per
quasi-identifier is a point in the generalisation *lattice*. The lattice is small (a handful of attributes with two
to four levels each), so ``generalise`` searches it exhaustively, breadth-first by the sum of the levels: it tries
every point with level sum 0, then 1, and so on, and within a sum in lexicographic order of the level tuple (in the
hierarchy's key order, so later keys are coarsened first). The first point where the extract is k-anonymous is
returned. Because every point with a smaller sum was tried and failed, no single quasi-identifier of the result can
be lowered by one level and stay k-anonymous.

**Outlier suppression.** Optionally up to a fraction ``max_suppressed`` of the records may be dropped: at each
lattice point the records in classes smaller than ``k`` are counted, and the point is accepted when that number fits
the budget; those records are then left out. The default is to drop none.

If there are fewer than ``k`` records in all, nothing can be released and ``generalise`` returns ``None``; with at
least ``k`` records full generalisation (every quasi-identifier ``"*"``) always succeeds.

**Pseudonyms.** ``pseudonym`` maps a person id to a keyed HMAC-SHA256 digest. A fresh random key per extract makes
pseudonyms stable inside one extract but unlinkable across extracts, and without the key nobody can test a guessed
id against them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

K = 5
STAR = "*"

Level = Callable[[str], str]
Hierarchy = Mapping[str, Sequence[Callable[[str], str]]]


def _identity(value: str) -> str:
    return value


def _star(value: str) -> str:
    return STAR


_AGE_GROUPS = {
    "under 15": "under 18",
    "15-17": "under 18",
    "18-24": "18-34",
    "25-34": "18-34",
    "35-49": "35+",
    "50+": "35+",
}


def _age_group(value: str) -> str:
    """The project's age bands merged into three groups; an unknown band goes straight to ``"*"``."""
    return _AGE_GROUPS.get(value, STAR)


_QUARTER = re.compile(r"(\d{4})Q[1-4]")


def _year(value: str) -> str:
    """``"2026Q1" -> "2026"``; anything that is not a quarter goes straight to ``"*"``."""
    match = _QUARTER.fullmatch(value)
    return match.group(1) if match else STAR


AGE_LEVELS: tuple[Level, ...] = (_identity, _age_group, _star)
QUARTER_LEVELS: tuple[Level, ...] = (_identity, _year, _star)
REGION_LEVELS: tuple[Level, ...] = (_identity, _star)
TRACK_LEVELS: tuple[Level, ...] = (_identity, _star)


def region_levels(county_of: Mapping[str, str]) -> tuple[Level, ...]:
    """Region hierarchy with a middle level from a caller-supplied mapping (e.g. municipality -> county).

    A region missing from the mapping goes straight to ``"*"`` at the middle level.
    """
    mapping = dict(county_of)

    def county(value: str) -> str:
        return mapping.get(value, STAR)

    return (_identity, county, _star)


DEFAULT_HIERARCHY: Mapping[str, Sequence[Level]] = {
    "age_band": AGE_LEVELS,
    "region": REGION_LEVELS,
    "quarter": QUARTER_LEVELS,
    "track": TRACK_LEVELS,
}


@dataclass(frozen=True)
class Generalised:
    """A k-anonymous extract: the generalised records, the level chosen per quasi-identifier, records dropped."""

    records: tuple[dict[str, str], ...]
    levels: dict[str, int]
    suppressed: int


def _class_sizes(records: Sequence[Mapping[str, str]], keys: Sequence[str]) -> Counter[tuple[str, ...]]:
    return Counter(tuple(record[key] for key in keys) for record in records)


def smallest_class(records: Sequence[Mapping[str, str]], keys: Sequence[str]) -> int:
    """Size of the smallest equivalence class over ``keys`` (0 for no records)."""
    sizes = _class_sizes(records, keys)
    return min(sizes.values(), default=0)


def is_k_anonymous(records: Sequence[Mapping[str, str]], keys: Sequence[str], k: int = K) -> bool:
    """Whether every combination of ``keys`` values that occurs, occurs at least ``k`` times (true for no records)."""
    return not records or smallest_class(records, keys) >= k


def _lattice(heights: Sequence[int]) -> list[tuple[int, ...]]:
    """All level vectors, ordered by level sum, then lexicographically."""
    points = itertools.product(*(range(height) for height in heights))
    return sorted(points, key=lambda point: (sum(point), point))


def generalise(
    records: Sequence[Mapping[str, str]],
    hierarchy: Hierarchy,
    *,
    k: int = K,
    max_suppressed: float = 0.0,
) -> Generalised | None:
    """The least generalisation of ``records`` that is k-anonymous over the hierarchy's keys, or ``None``.

    ``None`` means there are fewer than ``k`` records, so no generalisation can help. Fields that are not
    quasi-identifiers are carried through unchanged. Up to ``floor(max_suppressed * len(records))`` records in
    classes smaller than ``k`` may be dropped instead of generalising further.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0.0 <= max_suppressed <= 1.0:
        raise ValueError("max_suppressed is a fraction between 0 and 1")
    keys = list(hierarchy)
    for key in keys:
        if not hierarchy[key]:
            raise ValueError(f"hierarchy for {key!r} has no levels")
    for record in records:
        missing = [key for key in keys if key not in record]
        if missing:
            raise ValueError(f"record lacks quasi-identifiers {missing}")
    if len(records) < k:
        return None
    for key in keys:
        top = hierarchy[key][-1]
        if len({top(record[key]) for record in records}) > 1:
            raise ValueError(f"the last level for {key!r} must map every value to one value")

    budget = math.floor(max_suppressed * len(records))
    # Each level function is applied once per distinct raw value.
    distinct = {key: sorted({record[key] for record in records}) for key in keys}
    cache = {key: [{value: level(value) for value in distinct[key]} for level in hierarchy[key]] for key in keys}
    for point in _lattice([len(hierarchy[key]) for key in keys]):
        maps = [cache[key][level] for key, level in zip(keys, point, strict=True)]
        signatures = [tuple(m[record[key]] for key, m in zip(keys, maps, strict=True)) for record in records]
        sizes = Counter(signatures)
        small = sum(size for size in sizes.values() if size < k)
        if small > budget:
            continue
        kept: list[dict[str, str]] = []
        for record, signature in zip(records, signatures, strict=True):
            if sizes[signature] >= k:
                out = dict(record)
                out.update(zip(keys, signature, strict=True))
                kept.append(out)
        return Generalised(records=tuple(kept), levels=dict(zip(keys, point, strict=True)), suppressed=small)
    return None  # unreachable: the top of the lattice puts all records, at least k, in one class


def pseudonym(key: bytes, person_id: str) -> str:
    """Keyed pseudonym: the first 16 hex characters of HMAC-SHA256(key, person_id)."""
    if not key:
        raise ValueError("a pseudonym key must not be empty")
    return hmac.new(key, person_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
