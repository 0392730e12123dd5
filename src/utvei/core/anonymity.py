"""What anonymisation does to each model that holds data about a case or a person: a registry every app fills.

Anonymising a case (`retention.anonymise.case_anonymise`) walks this registry, not a list of its own, so that apps on
its floor or above (evaluation) take part without being imported by it: each app registers a `Policy` for each of
its models in its `AppConfig.ready` (apps below retention are placed by retention itself). A model that reaches a
case or a person by foreign keys and has no policy here fails the placement test (tests/retention/test_anonymise.py)
until someone decides, in code, what happens to it.

A policy either **drops** the rows (free text, third parties, histories: nothing in them is evidence) or **keeps**
them. Kept rows lose, by construction, every text, JSON, binary and file field that is not on the policy's `kept`
allowlist: each kept field names why it may stay (a code from a fixed list that a figure reads, a data category, a
replaced reference). A field added to a kept model later is blanked until someone puts it on the list with a
reason. Every date and moment of a kept row is moved back by the case's shift (docs/anonymisation.md), except those
named in `unshifted`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models

# The kinds of field that can hold words, names, numbers written as text, or files.
TEXT_FIELDS: tuple[type[models.Field[Any, Any]], ...] = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.BinaryField,
    models.FileField,
)

# Reasons used by many policies (a policy may give its own).
CODED = "a code from a fixed list: says what kind, never who"
FIGURE = "a code the evaluation figures read"
CATEGORY = "the data category or classification: a code that decides who may read the row"
REPLACED = "replaced by a new random reference that links to nothing outside Utvei"


Scope = Literal["case", "person"]


@dataclass(frozen=True)
class Policy:
    """What anonymisation does to one model.

    ``path`` is the lookup from the model to the case (``"case"``, ``"plan__case"``; ``"pk"`` for the case itself),
    or to the person when ``scope`` is ``"person"`` (then only applied once none of the person's cases is left
    un-anonymised). ``action`` is ``"drop"`` (delete the rows) or ``"keep"``. ``kept`` maps each text-like field that
    stays to why; ``blank`` names the text-like fields that are emptied (every other one is emptied too: the list is
    there so that the placement test sees each field decided); ``replace`` maps a kept field to a function from
    the row's old values (of the replaced fields and the dates) to the new value; ``unshifted``
    names date fields that are not the person's (the moment of anonymisation itself). ``reason`` says why the rows
    are kept or dropped."""

    model: type[models.Model]
    path: str
    action: Literal["keep", "drop"]
    reason: str
    kept: Mapping[str, str] = field(default_factory=dict)
    blank: frozenset[str] = frozenset()
    replace: Mapping[str, Callable[[Mapping[str, Any]], Any]] = field(default_factory=dict)
    unshifted: frozenset[str] = frozenset()
    scope: Scope = "case"

    def __post_init__(self) -> None:
        names = {f.name for f in self.model._meta.concrete_fields}
        unknown = (set(self.kept) | set(self.blank) | set(self.replace) | set(self.unshifted)) - names
        if unknown:
            raise ValueError(f"{self.model._meta.label}: no such fields {sorted(unknown)}")
        if set(self.kept) & set(self.blank):
            raise ValueError(f"{self.model._meta.label}: a field is either kept or blanked")
        if self.action == "drop" and (self.kept or self.replace or self.blank):
            raise ValueError(f"{self.model._meta.label}: a dropped model keeps nothing")
        if set(self.replace) - set(self.kept):
            raise ValueError(f"{self.model._meta.label}: a replaced field must be on the kept list with its reason")

    @property
    def label(self) -> str:
        return self.model._meta.label

    def text_fields(self) -> list[models.Field[Any, Any]]:
        return [f for f in self.model._meta.concrete_fields if is_text(f)]

    def blanked(self) -> list[models.Field[Any, Any]]:
        """The text-like fields this policy empties on a kept row: all but the allowlist."""
        return [f for f in self.text_fields() if f.name not in self.kept]

    def dated(self) -> list[models.Field[Any, Any]]:
        return [
            f
            for f in self.model._meta.concrete_fields
            if isinstance(f, models.DateField) and f.name not in self.unshifted
        ]


def is_text(f: models.Field[Any, Any]) -> bool:
    """A field that can hold words (a foreign key's column is a number; a UUID is an opaque id)."""
    return isinstance(f, TEXT_FIELDS) and not f.is_relation


def empty(f: models.Field[Any, Any]) -> Any:
    """The empty value of a text-like field: NULL where it may be NULL, else its empty form."""
    if f.null:
        return None
    if isinstance(f, models.JSONField):
        default = f.get_default()
        return default if default in ([], {}) else []
    if isinstance(f, models.BinaryField):
        return b""
    return ""


def shifted(value: Any, days: int) -> Any:
    """A date or moment moved back ``days`` whole days (a moment by exactly days x 24 hours, so every interval
    between two moments of the case stays exact to the second)."""
    if value is None or not days:
        return value
    return value - dt.timedelta(days=days)


_registry: dict[str, Policy] = {}


def register(*policies: Policy) -> None:
    """Place models (once per model; registering the same model again replaces its policy, so `ready` may run
    twice)."""
    for policy in policies:
        _registry[policy.label] = policy


def policies() -> list[Policy]:
    """Every registered policy, in the order registered (drops of children before their parents where the
    registering app put them so)."""
    return list(_registry.values())


def policy_for(model: type[models.Model]) -> Policy | None:
    return _registry.get(model._meta.label)


def apply_keep(policy: Policy, rows: models.QuerySet[Any], days: int) -> int:
    """Blank the policy's text fields, replace the replaced ones and move the dates of ``rows`` back ``days``. The
    number of rows."""
    dated = policy.dated()
    wanted = ["pk", *(f.attname for f in dated), *policy.replace]
    current = list(rows.values(*wanted))
    if not current:
        return 0
    blank = {f.name: empty(f) for f in policy.blanked()}
    if blank:
        policy.model._default_manager.filter(pk__in=[r["pk"] for r in current]).update(**blank)
    changed: list[models.Model] = []
    names = [f.attname for f in dated] + list(policy.replace)
    for row in current:
        values = {f.attname: shifted(row[f.attname], days) for f in dated}
        values.update({name: fn(row) for name, fn in policy.replace.items()})
        if any(values[name] != row[name] for name in names):
            changed.append(policy.model(pk=row["pk"], **values))
    if changed and names:
        policy.model._default_manager.bulk_update(changed, names, batch_size=500)
    return len(current)


def models_reaching(targets: Iterable[type[models.Model]], candidates: Iterable[type[models.Model]]) -> set[str]:
    """The labels of the candidate models that reach one of ``targets`` by a chain of foreign keys (many-to-many
    and one-to-one included), the targets themselves included."""
    reach = {m._meta.label for m in targets}
    candidates = list(candidates)
    grown = True
    while grown:
        grown = False
        for model in candidates:
            label = model._meta.label
            if label in reach:
                continue
            for f in model._meta.get_fields():
                related = getattr(f, "related_model", None)
                if f.concrete and f.is_relation and related is not None and related._meta.label in reach:
                    reach.add(label)
                    grown = True
                    break
    return reach


__all__ = [
    "CATEGORY",
    "CODED",
    "FIGURE",
    "REPLACED",
    "Policy",
    "apply_keep",
    "empty",
    "is_text",
    "models_reaching",
    "policies",
    "policy_for",
    "register",
    "shifted",
]
