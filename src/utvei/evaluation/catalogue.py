"""The data file of outcome indicators, and syncing it into the database (the same rule as the measures, see
core/catalogue.py). Works with the real models and with a migration's historical ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from utvei.cases.models import Track
from utvei.core.catalogue import CatalogueError, SyncSummary, load_list, sync_versioned
from utvei.core.vocabulary import DataCategory

__all__ = ["DATA_FILE", "FIELDS", "CatalogueError", "SyncSummary", "clean_entry", "load_entries", "sync_entries"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "indicators.yaml"
FIELDS = (
    "key",
    "name_nb",
    "name_en",
    "description_nb",
    "description_en",
    "scale",
    "min_value",
    "max_value",
    "levels",
    "direction",
    "category",
    "sources",
    "tracks",
    "active",
)
FILE_FIELDS = {"key", "name_nb", "name_en", "description_nb", "description_en", "scale", "min", "max", "levels"} | {
    "direction",
    "category",
    "sources",
    "tracks",
    "active",
}
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SCALES = {"ordinal", "count", "binary", "percent"}
DIRECTIONS = {"higher", "lower"}
SOURCES = {"worker", "self_report", "derived"}


def _choices() -> tuple[set[str], set[str]]:
    return set(DataCategory.values), set(Track.values)


def _text(raw: dict[str, Any], name: str, where: str, limit: int) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {name} is required")
    value = " ".join(value.split())
    if len(value) > limit:
        raise CatalogueError(f"{where}: {name} is longer than {limit} characters")
    return value


def _values(raw: Any, allowed: set[str], name: str, where: str) -> list[str]:
    if not isinstance(raw, list) or not raw or any(v not in allowed for v in raw) or len(set(raw)) != len(raw):
        raise CatalogueError(f"{where}: {name} must be distinct values from {sorted(allowed)}")
    return list(raw)


def clean_entry(raw: Any, where: str = "entry") -> dict[str, Any]:
    """One indicator, checked and normalised to exactly FIELDS."""
    categories, tracks = _choices()
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: not a mapping")
    unknown = set(raw) - FILE_FIELDS
    if unknown:
        raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}")
    where = f"{where} ({raw.get('key', '?')})"
    entry: dict[str, Any] = {"key": _text(raw, "key", where, 60)}
    if not KEY.fullmatch(entry["key"]):
        raise CatalogueError(f"{where}: key must be lower-case letters, digits and single hyphens")
    for name in ("name_nb", "name_en"):
        entry[name] = _text(raw, name, where, 200)
    for name in ("description_nb", "description_en"):
        entry[name] = _text(raw, name, where, 2000)
    entry["scale"] = raw.get("scale")
    if entry["scale"] not in SCALES:
        raise CatalogueError(f"{where}: scale must be one of {sorted(SCALES)}")
    low, high = raw.get("min"), raw.get("max")
    if not isinstance(low, int) or not isinstance(high, int) or isinstance(low, bool) or low >= high:
        raise CatalogueError(f"{where}: min and max must be whole numbers with min < max")
    if entry["scale"] == "binary" and (low, high) != (0, 1):
        raise CatalogueError(f"{where}: a binary scale is 0 to 1")
    entry["min_value"], entry["max_value"] = low, high
    levels = raw.get("levels") or []
    if not isinstance(levels, list):
        raise CatalogueError(f"{where}: levels must be a list")
    cleaned_levels = []
    for level in levels:
        if (
            not isinstance(level, dict)
            or set(level) != {"value", "nb", "en"}
            or not isinstance(level["value"], int)
            or not low <= level["value"] <= high
            or not all(isinstance(level[k], str) and level[k].strip() for k in ("nb", "en"))
        ):
            raise CatalogueError(f"{where}: each level needs a value within min..max and nb and en labels")
        cleaned_levels.append({"value": level["value"], "nb": level["nb"].strip(), "en": level["en"].strip()})
    if entry["scale"] == "ordinal" and [lv["value"] for lv in cleaned_levels] != list(range(low, high + 1)):
        raise CatalogueError(f"{where}: an ordinal scale labels every level from min to max, in order")
    entry["levels"] = cleaned_levels
    entry["direction"] = raw.get("direction")
    if entry["direction"] not in DIRECTIONS:
        raise CatalogueError(f"{where}: direction must be one of {sorted(DIRECTIONS)}")
    entry["category"] = raw.get("category")
    if entry["category"] not in categories:
        raise CatalogueError(f"{where}: category must be one of {sorted(categories)}")
    entry["sources"] = _values(raw.get("sources"), SOURCES, "sources", where)
    entry["tracks"] = _values(raw.get("tracks"), tracks, "tracks", where)
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise CatalogueError(f"{where}: active must be true or false")
    entry["active"] = active
    return {name: entry[name] for name in FIELDS}


def load_entries(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    return load_list(path, clean_entry, "indicators")


def sync_entries(entries: list[dict[str, Any]], *, indicator_model: Any, revision_model: Any) -> SyncSummary:
    return sync_versioned(
        entries, model=indicator_model, revision_model=revision_model, parent="indicator", fields=FIELDS
    )
