"""An assessment laid out for reading: domains with their items, descriptive counts, and the comparison with
the previous assessment. Pure functions over loaded rows: no queries, no scores.

The counts say how many items got each rating, per item type, within one domain. They are labelled
"descriptive, not a score" wherever they are shown; nothing adds them up, weighs them or compares them with a
threshold (docs/decisions/0004-no-risk-scores.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import AssessmentItem, Confidence, InstrumentVersion, ItemType, localised

CONFIDENCE_LABELS = dict(Confidence.choices)
TYPE_LABELS = dict(ItemType.choices)
NOT_RATED = _("Not rated")


@dataclass(frozen=True)
class ItemLine:
    code: str
    domain: str
    type: str
    type_label: Any
    text: str
    guidance: str
    rating: str
    rating_label: Any
    confidence: str
    confidence_label: Any
    evidence: str


@dataclass(frozen=True)
class Tally:
    """Descriptive: how many items of one type got each rating in one domain."""

    type: str
    type_label: Any
    counts: list[tuple[Any, int]]  # (rating label, number of items), in scale order, only ratings that occur


@dataclass
class DomainBlock:
    code: str
    name: str
    description: str
    items: list[ItemLine] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)

    @property
    def rated(self) -> int:
        return sum(1 for i in self.items if i.rating)


def _rating_labels(version: InstrumentVersion) -> dict[str, Any]:
    return dict(version.scale_choices())


def _text(item: dict[str, Any]) -> str:
    return localised(item, "text") or str(_("Item %(code)s (see the instrument's manual)") % {"code": item["code"]})


def _line(item: dict[str, Any], row: AssessmentItem | None, ratings: dict[str, Any]) -> ItemLine:
    rating = row.rating if row else ""
    confidence = row.confidence if row else ""
    return ItemLine(
        code=item["code"],
        domain=item.get("domain", ""),
        type=item["type"],
        type_label=TYPE_LABELS.get(item["type"], item["type"]),
        text=_text(item),
        guidance=localised(item, "guidance"),
        rating=rating,
        rating_label=ratings.get(rating, rating) if rating else NOT_RATED,
        confidence=confidence,
        confidence_label=CONFIDENCE_LABELS.get(confidence, "") if confidence else "",
        evidence=row.evidence if row else "",
    )


def tallies(version: InstrumentVersion, lines: Sequence[ItemLine]) -> list[Tally]:
    """Per item type: the number of items with each rating (scale order), and those not rated yet."""
    order = [*version.scale_codes(), ""]
    ratings = _rating_labels(version)
    out = []
    for item_type in dict.fromkeys(line.type for line in lines):
        of_type = [line.rating for line in lines if line.type == item_type]
        counts = [(ratings.get(code, NOT_RATED), of_type.count(code)) for code in order if code in of_type]
        out.append(Tally(item_type, TYPE_LABELS.get(item_type, item_type), counts))
    return out


def domain_blocks(version: InstrumentVersion, rows: Sequence[AssessmentItem]) -> list[DomainBlock]:
    """The instrument's domains in order, each with its items as rated, and its descriptive counts."""
    by_code = {r.code: r for r in rows}
    ratings = _rating_labels(version)
    blocks = []
    for d in version.domains:
        block = DomainBlock(d["code"], localised(d, "name"), localised(d, "description"))
        block.items = [_line({**item, "domain": d["code"]}, by_code.get(item["code"]), ratings) for item in d["items"]]
        block.tallies = tallies(version, block.items)
        blocks.append(block)
    return blocks


# ---- Comparison ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    code: str
    domain_name: str
    text: str
    before: ItemLine | None  # None: the item was not in the previous assessment's instrument version
    after: ItemLine | None  # None: the item is no longer in this version
    changed: bool  # the rating or the confidence differs, or the item came or went


def compare(
    version: InstrumentVersion,
    rows: Sequence[AssessmentItem],
    previous_version: InstrumentVersion,
    previous_rows: Sequence[AssessmentItem],
) -> list[ItemChange]:
    """Every item of either assessment, matched by code, with a flag where the rating or confidence changed."""
    now = {line.code: (line, block.name) for block in domain_blocks(version, rows) for line in block.items}
    then = {
        line.code: (line, block.name)
        for block in domain_blocks(previous_version, previous_rows)
        for line in block.items
    }
    out = []
    for code in [*now, *(c for c in then if c not in now)]:
        after, name = now.get(code, (None, ""))
        before, before_name = then.get(code, (None, ""))
        changed = (
            before is None or after is None or (before.rating, before.confidence) != (after.rating, after.confidence)
        )
        shown = after or before
        assert shown is not None
        out.append(ItemChange(code, name or before_name, shown.text, before, after, changed))
    return out
