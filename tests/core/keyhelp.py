"""Helpers for the key tests: a keyring and key store of the test's own, and every encrypted value read raw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection

from tests.cases import attachment_files as f
from utvei.administration.models import MfaReset
from utvei.cases import services as case_services
from utvei.cases.models import Entry, TriageOutcome
from utvei.core import crypto, keystore
from utvei.core.rotation import _contexts


def use_fresh_keys(tmp_path: Path, settings: Any) -> Path:
    settings.UTVEI_KEYRING = str(tmp_path / "ring.json")
    settings.UTVEI_KEYSTORE = str(tmp_path / "keystore.sqlite3")
    crypto.generate_keyring(settings.UTVEI_KEYRING)
    crypto.reset_keyring_cache()
    keystore.reset()
    return Path(settings.UTVEI_KEYRING)


def raw_values() -> dict[tuple[str, Any], Any]:
    """(column label, pk) -> the ciphertext as stored, for every non-empty encrypted value in the database."""
    out: dict[tuple[str, Any], Any] = {}
    for col in crypto.encrypted_columns():
        table = connection.ops.quote_name(col.model._meta.db_table)
        column = connection.ops.quote_name(col.field.column)
        pk = connection.ops.quote_name(col.model._meta.pk.column)
        with connection.cursor() as cur:
            cur.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
            for row_pk, value in cur.fetchall():
                value = bytes(value) if isinstance(value, memoryview) else value
                if value not in ("", b""):
                    out[(col.label, row_pk)] = value
    return out


def plaintexts() -> dict[tuple[str, Any], Any]:
    """(column label, pk) -> what the value opens to (Erased for a destroyed data key)."""
    cols = {c.label: c for c in crypto.encrypted_columns()}
    out: dict[tuple[str, Any], Any] = {}
    for (label, pk), token in raw_values().items():
        col = cols[label]
        try:
            if col.is_bytes:
                out[(label, pk)] = crypto.decrypt_bytes(token, context=_contexts(col, [pk])[pk])
            else:
                out[(label, pk)] = crypto.decrypt(token, context=col.field._context)
        except crypto.KeyErased:
            out[(label, pk)] = crypto.Erased(token)
    return out


def legacy(model: Any, field: str, pk: Any) -> None:
    """Write a value as it was before per-person keys: under the keyring's active master key."""
    col = model._meta.get_field(field)
    value = model._base_manager.get(pk=pk).__dict__[col.attname]
    token = crypto.encrypt(str(value), context=col._context)
    model._base_manager.filter(pk=pk).update(**{field: crypto.Sealed(token)})


def fill(world: Any, name: str = "Rota Rotasen", entries: int = 6, via_concern: bool = False) -> Any:
    """A case with entries, an attachment, and an administrator's note about nobody; `via_concern`: the case opened
    from a concern that named the person before any case existed."""
    if via_concern:
        concern = case_services.concern_submit(
            actor=world.m["rolf"],
            receiving_org=world.orgs["kommune"],
            description=f"Bekymring for {name}",
            subject_name=name,
        )
        case = case_services.concern_triage(
            actor=world.m["kari"], concern=concern, outcome=TriageOutcome.OPEN_CASE, rationale=f"Om {name}"
        ).case
        world.consent(case, "kommune")
    else:
        case = world.open_case(name=name)
    world.add(case, "ola")
    made = [world.entry(case, "ola", body=f"Notat {i} om {name}") for i in range(entries)]
    case_services.attachment_add(
        actor=world.m["ola"], owner=made[0], filename=f"Vedtak {name}.pdf", data=f.PDF, classification="team"
    )
    MfaReset.objects.create(
        user=world.m["ola"].user,
        organisation=world.m["ola"].organisation,
        reset_by=world.m["adam"].user,
        reason="other",
        explanation="Ny telefon",
    )
    return case


__all__ = ["Entry", "fill", "legacy", "plaintexts", "raw_values", "use_fresh_keys"]
