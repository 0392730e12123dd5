"""The data file of legal bases, and syncing it into the database.

Works with the real models and with a migration's historical ones: `sync_entries` takes the two model classes.
The rule: a new key is created; an entry that differs from what the file said at the last sync gets a new
version and a revision with source "data-file"; an unchanged entry is left alone, so an administrator's edit
survives until the file itself changes that entry. Keys that disappear from the file are kept (disclosures
will refer to them); deactivate them in the file with `active: false`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from utvei.accounts.models import OrgKind
from utvei.core.catalogue import DATA_FILE_SOURCE, CatalogueError, SyncSummary, load_list, sync_versioned

from .models import BasisType

__all__ = ["DATA_FILE", "DATA_FILE_SOURCE", "FIELDS", "CatalogueError", "SyncSummary", "load_entries", "sync_entries"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "legal_bases.yaml"

# The fields an entry carries, in the file, in the snapshot of every revision and in admin edits (minus key).
FIELDS = (
    "key",
    "statute",
    "statute_en",
    "provision",
    "title_nb",
    "title_en",
    "type",
    "sender_kinds",
    "conditions_nb",
    "conditions_en",
    "justification_required",
    "max_duration_days",
    "gdpr_frame",
    "active",
)
REQUIRED = ("key", "statute", "provision", "title_nb", "title_en", "type")
TEXT_LIMITS = {
    "key": 60,
    "statute": 120,
    "statute_en": 160,
    "provision": 120,
    "title_nb": 300,
    "title_en": 300,
    "type": 20,
    "gdpr_frame": 300,
    "conditions_nb": 5000,
    "conditions_en": 5000,
}


def _kinds_and_types() -> tuple[set[str], set[str]]:
    return set(OrgKind.values), set(BasisType.values)


def clean_entry(raw: Any, where: str = "entry") -> dict[str, Any]:
    """One entry of the file, checked and normalised to exactly FIELDS."""
    kinds, types = _kinds_and_types()
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: not a mapping")
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}")
    where = f"{where} ({raw.get('key', '?')})"
    for name in REQUIRED:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise CatalogueError(f"{where}: {name} is required")
    entry: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name) or ""
        if not isinstance(value, str):
            raise CatalogueError(f"{where}: {name} must be text")
        value = " ".join(value.split()) if name not in {"conditions_nb", "conditions_en"} else value.strip()
        if len(value) > limit:
            raise CatalogueError(f"{where}: {name} is longer than {limit} characters")
        entry[name] = value
    if entry["type"] not in types:
        raise CatalogueError(f"{where}: type must be one of {sorted(types)}")
    senders = raw.get("sender_kinds") or []
    if not isinstance(senders, list) or any(k not in kinds for k in senders) or len(set(senders)) != len(senders):
        raise CatalogueError(f"{where}: sender_kinds must be distinct organisation kinds from {sorted(kinds)}")
    entry["sender_kinds"] = list(senders)
    for name in ("justification_required", "active"):
        value = raw.get(name, name == "active")
        if not isinstance(value, bool):
            raise CatalogueError(f"{where}: {name} must be true or false")
        entry[name] = value
    days = raw.get("max_duration_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36500):
        raise CatalogueError(f"{where}: max_duration_days must be a whole number of days (1–36500) or null")
    entry["max_duration_days"] = days
    return {name: entry[name] for name in FIELDS}


def load_entries(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    """Every entry of the data file, in file order, checked; keys unique."""
    return load_list(path, clean_entry)


def snapshot(basis: Any) -> dict[str, Any]:
    """All fields of a basis, as stored in a revision."""
    return {name: getattr(basis, name) for name in FIELDS}


def sync_entries(
    entries: list[dict[str, Any]],
    *,
    basis_model: Any,
    revision_model: Any,
    on_change: Callable[[Any, str], None] | None = None,
) -> SyncSummary:
    """Bring the catalogue in line with the file's entries (see utvei.core.catalogue). One transaction."""
    return sync_versioned(
        entries, model=basis_model, revision_model=revision_model, parent="basis", fields=FIELDS, on_change=on_change
    )
