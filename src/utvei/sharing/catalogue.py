"""The data file of legal bases, and syncing it into the database.

Works with the real models and with a migration's historical ones: `sync_entries` takes the two model classes.
The rule: a new key is created; an entry that differs from what the file said at the last sync gets a new
version and a revision with source "data-file"; an unchanged entry is left alone, so an administrator's edit
survives until the file itself changes that entry. Keys that disappear from the file are kept (disclosures
will refer to them); deactivate them in the file with `active: false`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

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
DATA_FILE_SOURCE = "data-file"


class CatalogueError(ValueError):
    """The data file is not valid; the message names the entry and the field."""


def _kinds_and_types() -> tuple[set[str], set[str]]:
    from utvei.accounts.models import OrgKind

    from .models import BasisType

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
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise CatalogueError(f"{path.name}: expected a list of entries")
    entries = [clean_entry(raw, f"{path.name} entry {i + 1}") for i, raw in enumerate(data)]
    keys = [e["key"] for e in entries]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CatalogueError(f"{path.name}: duplicate keys {duplicates}")
    return entries


def snapshot(basis: Any) -> dict[str, Any]:
    """All fields of a basis, as stored in a revision."""
    return {name: getattr(basis, name) for name in FIELDS}


@dataclass
class SyncSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    admin_edits_replaced: list[str] = field(default_factory=list)  # updated keys whose admin edit the file replaced
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        out = [
            f"created: {len(self.created)}" + (f" ({', '.join(self.created)})" if self.created else ""),
            f"updated: {len(self.updated)}" + (f" ({', '.join(self.updated)})" if self.updated else ""),
            f"unchanged: {len(self.unchanged)}",
        ]
        if self.admin_edits_replaced:
            out.append("the data file replaced administrators' edits of: " + ", ".join(self.admin_edits_replaced))
        if self.not_in_file:
            out.append("kept, not in the data file: " + ", ".join(self.not_in_file))
        return out


def sync_entries(
    entries: list[dict[str, Any]],
    *,
    basis_model: Any,
    revision_model: Any,
    on_change: Callable[[Any, str], None] | None = None,
) -> SyncSummary:
    """Bring the catalogue in line with the file's entries (see the module docstring). One transaction."""
    summary = SyncSummary()
    now = timezone.now()
    with transaction.atomic():
        existing = {b.key: b for b in basis_model.objects.select_for_update().order_by("pk")}
        for position, entry in enumerate(entries, start=1):
            basis = existing.get(entry["key"])
            if basis is None:
                basis = basis_model.objects.create(position=position, version=1, updated_at=now, **entry)
                revision_model.objects.create(
                    basis=basis, version=1, snapshot=entry, saved_at=now, source=DATA_FILE_SOURCE
                )
                summary.created.append(basis.key)
                if on_change:
                    on_change(basis, "created")
                continue
            last_from_file = (
                revision_model.objects.filter(basis=basis, source=DATA_FILE_SOURCE).order_by("-version").first()
            )
            current = snapshot(basis)
            said_before = last_from_file.snapshot if last_from_file is not None else current
            if said_before == entry:
                if basis.position != position:  # order only: not a change of content, no new version
                    basis_model.objects.filter(pk=basis.pk).update(position=position)
                summary.unchanged.append(basis.key)
                continue
            if current != said_before:
                summary.admin_edits_replaced.append(basis.key)
            for name, value in entry.items():
                setattr(basis, name, value)
            basis.position = position
            basis.version += 1
            basis.updated_at = now
            basis.updated_by = None
            basis.save()
            revision_model.objects.create(
                basis=basis, version=basis.version, snapshot=entry, saved_at=now, source=DATA_FILE_SOURCE
            )
            summary.updated.append(basis.key)
            if on_change:
                on_change(basis, "updated")
        in_file = {e["key"] for e in entries}
        summary.not_in_file = sorted(k for k in existing if k not in in_file)
    return summary
