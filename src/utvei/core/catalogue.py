"""Versioned catalogues kept as data files in the repository (legal bases, measures), synced into the database.

One rule for all of them: a new key is created; an entry that differs from what the file said at the last sync
gets a new version and a revision with source "data-file"; an unchanged entry is left alone, so an
administrator's edit survives until the file itself changes that entry. Keys that disappear from the file are
kept (records refer to them); retire an entry in the file with `active: false`. `sync_versioned` works with the
real models and with a migration's historical ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

DATA_FILE_SOURCE = "data-file"


class CatalogueError(ValueError):
    """The data file is not valid; the message names the entry and the field."""


def load_list(path: Path, clean: Callable[[Any, str], dict[str, Any]], noun: str = "entries") -> list[dict[str, Any]]:
    """Every entry of a YAML list file, in file order, each checked by `clean(raw, where)`; keys unique."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise CatalogueError(f"{path.name}: expected a list of {noun}")
    entries = [clean(raw, f"{path.name} entry {i + 1}") for i, raw in enumerate(data)]
    keys = [e["key"] for e in entries]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CatalogueError(f"{path.name}: duplicate keys {duplicates}")
    return entries


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


def sync_versioned(
    entries: list[dict[str, Any]],
    *,
    model: Any,
    revision_model: Any,
    parent: str,
    fields: Sequence[str],
    filters: dict[str, Any] | None = None,
    create_extra: dict[str, Any] | None = None,
    on_change: Callable[[Any, str], None] | None = None,
) -> SyncSummary:
    """Bring the rows of `model` (limited by `filters`) in line with the file's entries. One transaction.

    `parent` names the revision's foreign key to the row; `fields` are the catalogue fields a snapshot holds.
    """
    summary = SyncSummary()
    now = timezone.now()
    with transaction.atomic():
        existing = {row.key: row for row in model.objects.select_for_update().filter(**(filters or {})).order_by("pk")}
        for position, entry in enumerate(entries, start=1):
            row = existing.get(entry["key"])
            if row is None:
                row = model.objects.create(
                    position=position, version=1, updated_at=now, **(create_extra or {}), **entry
                )
                revision_model.objects.create(
                    **{parent: row}, version=1, snapshot=entry, saved_at=now, source=DATA_FILE_SOURCE
                )
                summary.created.append(row.key)
                if on_change:
                    on_change(row, "created")
                continue
            last = revision_model.objects.filter(**{parent: row}, source=DATA_FILE_SOURCE).order_by("-version").first()
            current = {name: getattr(row, name) for name in fields}
            said_before = last.snapshot if last is not None else current
            if said_before == entry:
                if row.position != position:  # order only: not a change of content, no new version
                    model.objects.filter(pk=row.pk).update(position=position)
                summary.unchanged.append(row.key)
                continue
            if current != said_before:
                summary.admin_edits_replaced.append(row.key)
            for name, value in entry.items():
                setattr(row, name, value)
            row.position = position
            row.version += 1
            row.updated_at = now
            row.updated_by = None
            row.save()
            revision_model.objects.create(
                **{parent: row}, version=row.version, snapshot=entry, saved_at=now, source=DATA_FILE_SOURCE
            )
            summary.updated.append(row.key)
            if on_change:
                on_change(row, "updated")
        in_file = {e["key"] for e in entries}
        summary.not_in_file = sorted(k for k in existing if k not in in_file)
    return summary


def save_edit(
    row: Any,
    cleaned: dict[str, Any],
    *,
    fields: Sequence[str],
    editable: Sequence[str],
    user: Any,
    revision_model: Any,
    parent: str,
    source: str,
) -> bool:
    """A person's edit of a catalogue row (locked by the caller): a new version and revision, if anything changed."""
    if cleaned == {name: getattr(row, name) for name in fields}:
        return False
    for name in editable:
        setattr(row, name, cleaned[name])
    row.version += 1
    row.updated_at = timezone.now()
    row.updated_by = user
    row.save()
    revision_model.objects.create(
        **{parent: row},
        version=row.version,
        snapshot={name: getattr(row, name) for name in fields},
        saved_by=user,
        saved_at=row.updated_at,
        source=source,
    )
    return True
