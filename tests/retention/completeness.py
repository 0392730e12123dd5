"""Search every table for rows about a person, and hold them to a subject-access export (the acceptance of
issue 15, deliverable 4; docs/subject-access.md).

A row is about the person when
  - it is the person, or the user account they log in with (their participant account's user);
  - one of its foreign keys points at a row about the person (followed to a fixed point: the person's cases, their
    entries, an entry's revisions, a contact's observations, ... however deep);
  - one of its text or UUID columns holds an id of a row about the person (a public id, a reference: the audit
    log's `case_id` and `object_id`, anything that keeps an id without a foreign key); or
  - it is an audit event by the person's own account (`AuditEvent.actor_id`, an id column without a key).
Workers and organisations are not about the person (nothing about the person is reached from them), and neither
are catalogues (measures, instruments, legal bases), which rows about the person point at but which do not point
back.

Each row found must be given or withheld in the export's ledger, or be of a kind `export.NOT_IN_EXPORT` declares
with a reason; a row of an auto-created many-to-many table is accounted for with the row that owns it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.db import models

from utvei.cases.models import ParticipantAccount
from utvei.core.crypto import EncryptedTextField
from utvei.evaluation import subject_access as evaluation_part
from utvei.people.models import Person
from utvei.retention.subject_access import export as export_module

# Integer columns that hold a row's id without a foreign key: (model label, column) -> the label of what it names.
ID_COLUMNS = {("audit.AuditEvent", "actor_id"): "accounts.User"}


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _all_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def rows_about(person: Person) -> dict[str, set[Any]]:
    """Every row about the person in every table: model label -> primary keys."""
    found: dict[str, set[Any]] = defaultdict(set)
    found[_label(Person)].add(person.pk)
    users = ParticipantAccount.objects.filter(case__person=person, user__isnull=False).values_list("user_id", flat=True)
    found["accounts.User"].update(users)
    models_ = _all_models()
    for model in models_:
        found[_label(model)] |= _identity_pks(model, person)
    changed = True
    while changed:
        changed = False
        ids = _ids_of(found)
        for model in models_:
            label = _label(model)
            q = models.Q(pk__in=[])
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model is not None:
                    target = _label(f.related_model)
                    if found.get(target):
                        q |= models.Q(**{f"{f.attname}__in": list(found[target])})
                elif (label, f.attname) in ID_COLUMNS and found.get(ID_COLUMNS[(label, f.attname)]):
                    q |= models.Q(**{f"{f.attname}__in": list(found[ID_COLUMNS[(label, f.attname)]])})
            pks = set(model._default_manager.filter(q).values_list("pk", flat=True))
            pks |= _text_pks(model, ids)
            pks -= found[label]
            if pks:
                found[label] |= pks
                changed = True
    return {k: v for k, v in found.items() if v}


def _identity_pks(model: type[models.Model], person: Person) -> set[Any]:
    """Rows that hold the person's identity in an encrypted column, decrypted and compared: their identity number
    anywhere, their name in a column for a name (a concern's subject, a guardian). Free text in another person's
    record that mentions them is not searched: a name there cannot be told from a namesake's."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
    if not fields or model is Person:
        return set()
    nin, name = person.national_id or "", (person.full_name or "").strip()
    pks: set[Any] = set()
    for row in model._default_manager.only("pk", *[f.attname for f in fields]).iterator():
        for f in fields:
            value = getattr(row, f.attname) or ""
            if (nin and nin in value) or (name and "name" in f.name and value.strip() == name):
                pks.add(row.pk)
    return pks


def _ids_of(found: dict[str, set[Any]]) -> set[str]:
    """The public ids and references of the rows found so far (what other tables may keep as text)."""
    ids: set[str] = set()
    for label, pks in found.items():
        model = apps.get_model(label)
        names = {f.name for f in model._meta.concrete_fields}
        for attr in ("public_id", "reference"):
            if attr in names:
                ids.update(str(v) for v in model._default_manager.filter(pk__in=pks).values_list(attr, flat=True))
    return ids


def _text_pks(model: type[models.Model], ids: set[str]) -> set[Any]:
    """Rows of the model with one of the ids in a text or UUID column (searched in chunks: one OR per id)."""
    pks: set[Any] = set()
    if not ids:
        return pks
    manager = model._default_manager
    values = sorted(ids)
    for f in model._meta.concrete_fields:
        if isinstance(f, EncryptedTextField) or f.is_relation:
            continue  # ciphertext holds no id in clear; keys are followed above
        if isinstance(f, models.UUIDField):
            uuids = _uuids(ids)
            if uuids:
                pks |= set(manager.filter(**{f"{f.attname}__in": uuids}).values_list("pk", flat=True))
        elif isinstance(f, models.CharField) and (f.max_length or 0) <= 64:
            # A short column holds an id whole (the audit log's case_id and object_id): an exact match.
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                pks |= set(manager.filter(**{f"{f.attname}__in": chunk}).values_list("pk", flat=True))
        elif isinstance(f, models.CharField | models.TextField):
            for start in range(0, len(values), 200):
                q = models.Q(pk__in=[])
                for value in values[start : start + 200]:
                    q |= models.Q(**{f"{f.attname}__contains": value})
                pks |= set(manager.filter(q).values_list("pk", flat=True))
    return pks


def _uuids(ids: set[str]) -> list[str]:
    return [i for i in ids if len(i) == 36 and i.count("-") == 4]


def _owner(model: type[models.Model]) -> str | None:
    """For an auto-created many-to-many table: the label of the model that declares the relation."""
    if not model._meta.auto_created:
        return None
    for f in model._meta.concrete_fields:
        if (
            f.is_relation
            and f.related_model is not None
            and model._meta.model_name.startswith(f.related_model._meta.model_name + "_")
        ):
            return _label(f.related_model)
    return None


def unaccounted(person: Person, export: Any) -> dict[str, set[Any]]:
    """The rows about the person that the export neither gives nor withholds nor declares: should be empty."""
    ledger = export.ledger
    missing: dict[str, set[Any]] = defaultdict(set)
    for label, pks in rows_about(person).items():
        if label in export_module.NOT_IN_EXPORT:
            continue
        model = apps.get_model(label)
        owner = _owner(model)
        if owner is not None:
            if owner in export_module.NOT_IN_EXPORT:
                continue
            fk = next(f for f in model._meta.concrete_fields if f.is_relation and _label(f.related_model) == owner)
            owners = model._default_manager.filter(pk__in=pks).values_list(fk.attname, "pk")
            missing[label] |= {pk for owner_pk, pk in owners if not ledger.accounts_for(owner, owner_pk)}
            continue
        missing[label] |= {pk for pk in pks if not ledger.accounts_for(label, pk)}
    return {k: v for k, v in missing.items() if v}


def placed_models() -> set[str]:
    """The models the export answers for: those its sections give or withhold, and those declared not in it."""
    return set(export_module.GIVEN_MODELS) | set(evaluation_part.MODELS) | set(export_module.NOT_IN_EXPORT)


def unplaced_models() -> list[str]:
    """Models that can hold rows about a person (a chain of foreign keys leads from them to `people.Person`) and
    that the export does not place: a new table fails here until it is given, withheld or declared."""
    reachable = {_label(Person)}
    models_ = _all_models()
    changed = True
    while changed:
        changed = False
        for model in models_:
            label = _label(model)
            if label in reachable:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model is not None and _label(f.related_model) in reachable:
                    reachable.add(label)
                    changed = True
                    break
    placed = placed_models()
    out = []
    for label in sorted(reachable):
        model = apps.get_model(label)
        owner = _owner(model)
        if label in placed or (owner is not None and owner in placed):
            continue
        out.append(label)
    return out
