"""The data file of measures (the toolbox), and syncing it into the database.

The same rule as the legal-basis catalogue (sharing/catalogue.py): a new key is created; an entry that differs
from what the file said at the last sync gets a new version and a revision with source "data-file"; an unchanged
entry is left alone. Keys that disappear from the file are kept (plan items refer to them); retire a measure with
`active: false`. Works with the real models and with a migration's historical ones. Only national measures (no
owning organisation) are synced; local measures belong to the coordinators who added them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone

from utvei.accounts.models import OrgKind
from utvei.cases.models import Track
from utvei.core.catalogue import CatalogueError, SyncSummary, load_list, sync_versioned

from .models import EvidenceBasis, Sector

__all__ = ["DATA_FILE", "FIELDS", "CatalogueError", "SyncSummary", "clean_entry", "load_entries", "sync_entries"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "measures.yaml"
LOCAL_PREFIX = "local-"

# The fields a measure carries, in the file, in every revision's snapshot and in a local measure (minus key).
FIELDS = (
    "key",
    "name_nb",
    "name_en",
    "description_nb",
    "description_en",
    "sector",
    "tracks",
    "provider_kinds",
    "duration_nb",
    "duration_en",
    "evidence_basis",
    "evidence_nb",
    "evidence_en",
    "active",
)
TEXT_LIMITS = {
    "key": 80,
    "name_nb": 200,
    "name_en": 200,
    "description_nb": 5000,
    "description_en": 5000,
    "sector": 30,
    "duration_nb": 200,
    "duration_en": 200,
    "evidence_basis": 20,
    "evidence_nb": 5000,
    "evidence_en": 5000,
}
LONG_TEXT = {"description_nb", "description_en", "evidence_nb", "evidence_en"}
# The national catalogue is bilingual throughout; a local measure needs the bokmål texts only.
REQUIRED_NATIONAL: tuple[str, ...] = (
    "key",
    "name_nb",
    "name_en",
    "description_nb",
    "description_en",
    "sector",
    "evidence_basis",
    "evidence_nb",
    "evidence_en",
)
REQUIRED_LOCAL = ("key", "name_nb", "sector", "evidence_basis", "evidence_nb")
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _choices() -> tuple[set[str], set[str], set[str], set[str]]:
    return set(Sector.values), set(Track.values), set(OrgKind.values), set(EvidenceBasis.values)


def _distinct(raw: Any, allowed: set[str], name: str, where: str) -> list[str]:
    values = raw if raw is not None else []
    if not isinstance(values, list) or any(v not in allowed for v in values) or len(set(values)) != len(values):
        raise CatalogueError(f"{where}: {name} must be distinct values from {sorted(allowed)}")
    return list(values)


def clean_entry(raw: Any, where: str = "entry", *, local: bool = False) -> dict[str, Any]:
    """One measure, checked and normalised to exactly FIELDS."""
    sectors, tracks, kinds, bases = _choices()
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: not a mapping")
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}")
    where = f"{where} ({raw.get('key', '?')})"
    for name in REQUIRED_LOCAL if local else REQUIRED_NATIONAL:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise CatalogueError(f"{where}: {name} is required")
    entry: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name) or ""
        if not isinstance(value, str):
            raise CatalogueError(f"{where}: {name} must be text")
        value = value.strip() if name in LONG_TEXT else " ".join(value.split())
        if len(value) > limit:
            raise CatalogueError(f"{where}: {name} is longer than {limit} characters")
        entry[name] = value
    if not KEY.fullmatch(entry["key"]):
        raise CatalogueError(f"{where}: key must be lower-case letters, digits and single hyphens")
    if entry["key"].startswith(LOCAL_PREFIX) != local:
        raise CatalogueError(f"{where}: keys starting with '{LOCAL_PREFIX}' are for local measures only")
    if entry["sector"] not in sectors:
        raise CatalogueError(f"{where}: sector must be one of {sorted(sectors)}")
    if entry["evidence_basis"] not in bases:
        raise CatalogueError(f"{where}: evidence_basis must be one of {sorted(bases)}")
    entry["tracks"] = _distinct(raw.get("tracks"), tracks, "tracks", where)
    if not entry["tracks"]:
        raise CatalogueError(f"{where}: tracks needs at least one track")
    entry["provider_kinds"] = _distinct(raw.get("provider_kinds"), kinds, "provider_kinds", where)
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise CatalogueError(f"{where}: active must be true or false")
    entry["active"] = active
    return {name: entry[name] for name in FIELDS}


def load_entries(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    """Every measure of the data file, in file order, checked; keys unique."""
    return load_list(path, clean_entry, "measures")


def snapshot(measure: Any) -> dict[str, Any]:
    """All catalogue fields of a measure, as stored in a revision."""
    return {name: getattr(measure, name) for name in FIELDS}


def sync_entries(
    entries: list[dict[str, Any]],
    *,
    measure_model: Any,
    revision_model: Any,
    on_change: Callable[[Any, str], None] | None = None,
) -> SyncSummary:
    """Bring the national catalogue in line with the file's entries (see the module docstring). One transaction."""
    return sync_versioned(
        entries,
        model=measure_model,
        revision_model=revision_model,
        parent="measure",
        fields=FIELDS,
        filters={"owner_org__isnull": True},
        create_extra={"created_at": timezone.now()},
        on_change=on_change,
    )
