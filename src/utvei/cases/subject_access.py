"""The pieces of a subject-access export (GDPR art. 15) that every app builds its part with: items, sections, the
ledger of what was given and what was withheld, and the hook through which apps on a higher floor than the export
add their part (docs/subject-access.md).

The export itself is assembled in `retention/subject_access/export.py`. An app it may not import (evaluation, and
any later app above `cases`) connects a handler to `SECTIONS` in its `AppConfig.ready`; the handler gets the person,
their cases and the ledger, and returns its `Section`. Whether an item is given or withheld is decided by
`access.subject_access.withhold_rule`, in `Section.add`, for every app alike.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from utvei.access.subject_access import THIRD_PARTY, withheld_fields, withhold_rule
from utvei.accounts.models import Organisation
from utvei.core.hooks import Hook

# Sent with person, cases (a list) and ledger; each handler returns one `Section` (or None).
SECTIONS = Hook("subject_access.sections")

# Fields never given: technical keys and counters that say nothing about the person (the blind index is a keyed
# hash of the identity number given beside it; `version` counts edits; token hashes are secrets).
TECHNICAL_FIELDS = frozenset({"id", "public_id", "national_id_index", "version", "token_hash", "sha256"})


@dataclass
class Field:
    name: str
    label: Any  # the field's verbose name (lazy: rendered in the document's language)
    value: Any  # JSON-ready: str, int, float, bool, list, dict or None
    display: Any = None  # the value in words, when it differs (a choice's label, an organisation's name)


@dataclass
class Item:
    kind: str  # the model's label, e.g. "cases.Entry"
    id: str  # its public id, or its primary key
    fields: list[Field]

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "fields": {f.name: f.value for f in self.fields}}


@dataclass
class Section:
    key: str
    title: Any
    ledger: Ledger
    items: list[Item] = field(default_factory=list)

    def add(self, obj: models.Model, *, rule: str | None = None, drop: frozenset[str] = frozenset()) -> str:
        """Give the row, or withhold it by rule (`rule` forces a parent's rule onto a child: a revision of a
        withheld entry is withheld too). The rule it was withheld under, or ""."""
        rule = rule if rule else withhold_rule(obj)
        if rule:
            self.ledger.withhold(obj, rule)
            return rule
        hidden = withheld_fields(obj)
        for name in hidden:
            self.ledger.fields[(obj._meta.label, name, THIRD_PARTY)] += 1
        self.items.append(row_item(obj, drop=drop | hidden, orgs=self.ledger.org_names()))
        self.ledger.include(obj)
        return ""

    def add_all(self, rows: Any, *, rule: str | None = None) -> None:
        for obj in rows:
            self.add(obj, rule=rule)


@dataclass
class Ledger:
    """Every row the export drew on: given (kind -> primary keys), or withheld (kind, rule -> primary keys). The
    completeness test (tests/retention/test_subject_access_complete.py) holds every row about the person to it."""

    included: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    withheld: dict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    fields: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))  # (kind, field, rule)
    orgs: dict[int, str] = field(default_factory=dict)

    def org_names(self) -> dict[int, str]:
        """Organisations are few and their names public: read once per export."""
        if not self.orgs:
            self.orgs.update(Organisation.objects.values_list("pk", "name"))
        return self.orgs

    def include(self, obj: models.Model) -> None:
        self.included[obj._meta.label].add(obj.pk)

    def include_pk(self, label: str, pk: Any) -> None:
        self.included[label].add(pk)

    def withhold(self, obj: models.Model, rule: str) -> None:
        self.withheld[(obj._meta.label, rule)].add(obj.pk)

    def accounts_for(self, label: str, pk: Any) -> bool:
        return pk in self.included.get(label, ()) or any(
            pk in pks for (kind, _rule), pks in self.withheld.items() if kind == label
        )


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float | int | bool | str | list | dict) or value is None:
        return value
    return str(value)


def _related_value(obj: models.Model, f: Any, orgs: dict[int, str]) -> tuple[Any, Any]:
    """A foreign key as the export names it: an organisation by its name, a case or a person by its reference, other
    rows by their public id (or key, or primary key). A user is never named (see `row_item`)."""
    raw = getattr(obj, f.attname)
    if raw is None:
        return None, None
    target = f.related_model
    if target is Organisation:
        name = orgs.get(raw) or Organisation.objects.filter(pk=raw).values_list("name", flat=True).first() or ""
        return name, name
    related = getattr(obj, f.name)
    for attr in ("reference", "public_id", "key"):
        if hasattr(related, attr):
            value = _json(getattr(related, attr))
            return value, value
    return raw, None


def row_item(obj: models.Model, *, drop: frozenset[str] = frozenset(), orgs: dict[int, str] | None = None) -> Item:
    """One row as an item of the export: every column, in words where it has them, except technical ones and the
    workers who wrote it (a worker is named by their organisation: the recipients of the person's data are the
    organisations, GDPR art. 15(1)(c); who inside them did what is the organisation's own record)."""
    out: list[Field] = []
    for f in obj._meta.concrete_fields:
        if f.name in TECHNICAL_FIELDS or f.name in drop or isinstance(f, models.BinaryField):
            continue
        label = getattr(f, "verbose_name", f.name)
        if f.is_relation:
            target = f.related_model
            if isinstance(target, type) and target._meta.label == settings.AUTH_USER_MODEL:
                continue
            value, display = _related_value(obj, f, orgs if orgs is not None else {})
            out.append(Field(f.name, label, value, display))
            continue
        raw = getattr(obj, f.attname)
        display = None
        if f.choices and raw not in (None, ""):
            display = dict(f.flatchoices).get(raw, raw)
        out.append(Field(f.name, label, _json(raw), display))
    ident = getattr(obj, "public_id", None) or obj.pk
    return Item(obj._meta.label, str(ident), out)


def field_item(kind: str, ident: str, fields: list[tuple[str, Any, Any]]) -> Item:
    """An item built by hand (name, label, value) — for what is not one row (an account, a file's content)."""
    return Item(kind, ident, [Field(n, lbl, _json(v)) for n, lbl, v in fields])


YES, NO = _("yes"), _("no")
