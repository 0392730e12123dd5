"""`utvei keys rotate` and `utvei keys status` (docs/encryption.md): what each key protects, and moving every
encrypted value under a new master key (or, for a value about a person, under that person's data key).

Rotation, step by step:
1. A new master key is added to the keyring and made active, and the rotation is written into the keyring file as
   under way (`"rotation": {"to", "from", "done"}`), atomically (core.crypto.write_keyring). Every running process
   reads the keyring again when the file changes, so from its next value on it writes under the new key.
2. Every person's data key is wrapped again under the new master key (core.keystore.rewrap).
3. Every encrypted column of every model (core.crypto.encrypted_columns: found by introspection) is walked by
   primary key in short batches. A value under an old master key is opened and written again, under the person's
   data key when the row is about a person (the model's `data_subject`), else under the new master key, by
   compare-and-swap: `UPDATE … SET col = new WHERE pk = … AND col = old`. A value the application rewrote in the
   meantime is left as the application wrote it. After each column the keyring records it as done.
4. A last pass counts what the old keys still protect (a process that had not yet seen the new key may have
   written under an old one) and walks those columns again, until nothing is left under an old key.
5. The old keys are marked retired in the keyring (kept, so a database restored from an older backup still
   opens and can be rotated again), or, with `drop=True`, removed from the file.

A crash anywhere leaves the rotation recorded in the keyring; running `utvei keys rotate` again continues it (no
new key is added) and skips the columns already done. Values already moved are skipped anyway: each ciphertext
names its key.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from utvei.core import keystore
from utvei.core.crypto import (
    EncryptedColumn,
    KeyErased,
    Keyring,
    KeyringError,
    decrypt,
    decrypt_bytes,
    encrypt,
    encrypt_bytes,
    encrypted_columns,
    key_of,
    keyring,
    model_along,
    write_keyring,
)

Progress = Callable[[int, int], None]
TEXT_BATCH = 200
BYTES_BATCH = 10


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# ---- status ---------------------------------------------------------------------------------------------------


@dataclass
class Status:
    active: str
    retired: list[str]
    rotation: dict[str, Any] | None
    # column label -> Counter of ("enc1", master key id) / ("enc2", "") / ("other", "")
    columns: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    data_keys_by_master: dict[str, int] = field(default_factory=dict)
    data_keys_destroyed: int = 0

    def values_under(self, kid: str) -> int:
        return sum(c[("enc1", kid)] for c in self.columns.values())

    @property
    def values_under_data_keys(self) -> int:
        return sum(c[("enc2", "")] for c in self.columns.values())


def _prefixes(col: EncryptedColumn) -> list[Any]:
    table, column = _q(col.model._meta.db_table), _q(col.field.column)
    with connection.cursor() as cur:
        cur.execute(f"SELECT substr({column}, 1, 48) FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        return [r[0] for r in cur.fetchall()]


def status() -> Status:
    """How many values each master key still protects, per column; how many values sit under person data keys;
    how many person data keys exist, under which master key each is wrapped, and how many are destroyed."""
    ring = keyring()
    out = Status(active=ring.active, retired=sorted(ring.retired), rotation=ring.rotation)
    for col in encrypted_columns():
        counts: Counter[tuple[str, str]] = Counter()
        for prefix in _prefixes(col):
            if prefix is None or prefix == "" or prefix == b"":
                continue
            if isinstance(prefix, memoryview):
                prefix = bytes(prefix)
            found = key_of(prefix)
            if found is None:
                counts[("other", "")] += 1
            elif found[0] == "enc2":
                counts[("enc2", "")] += 1
            else:
                counts[found] += 1
        out.columns[col.label] = counts
    store = keystore.status()
    out.data_keys_by_master = store.live_by_master
    out.data_keys_destroyed = store.destroyed
    return out


# ---- rotate ---------------------------------------------------------------------------------------------------


@dataclass
class RotateResult:
    new_key: str
    retired: list[str]
    dropped: list[str]
    rewritten: int = 0
    skipped_changed: int = 0  # the application wrote the value meanwhile: left as it was
    unreadable: int = 0  # could not be opened (its key is not in the keyring, or it is tampered): left as it was
    data_keys_rewrapped: int = 0
    resumed: bool = False


def _next_kid(ring: Keyring) -> str:
    n = len(ring.keys) + 1
    while f"k{n}" in ring.keys:
        n += 1
    return f"k{n}"


def _subjects(col: EncryptedColumn, pks: list[Any]) -> dict[Any, str]:
    """pk -> subject (core.crypto.subject_of, for a batch of rows at once)."""
    path = col.data_subject
    if not path or not pks:
        return {}
    lookup = "public_id" if path == "self" else f"{path}__public_id"
    until = getattr(col.model, "data_subject_until_linked", None)
    fields = [lookup] + (["public_id" if until == "self" else f"{until}__public_id"] if until else [])
    label = model_along(col.model, until)._meta.label if until else ""
    out = {}
    for pk, subject, *own in col.model._base_manager.filter(pk__in=pks).values_list("pk", *fields):
        if subject is not None:
            out[pk] = str(subject)
        elif own and own[0] is not None:
            out[pk] = f"{label}:{own[0]}"
    return out


def _contexts(col: EncryptedColumn, pks: list[Any]) -> dict[Any, str]:
    f = col.field
    rows = col.model._base_manager.filter(pk__in=pks).values_list("pk", f.context_from)
    return {pk: f"{f.context_prefix}{value}" for pk, value in rows}


def _count(col: EncryptedColumn) -> int:
    table, column = _q(col.model._meta.db_table), _q(col.field.column)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        return int(cur.fetchone()[0])


class _Walk:
    def __init__(self, to: str, result: RotateResult, tick: Callable[[], None]) -> None:
        self.to = to
        self.result = result
        self.tick = tick

    def column(self, col: EncryptedColumn, only: list[Any] | None = None) -> None:
        """Walk the column by primary key in short batches (only the rows `only` names, when given)."""
        table, column = _q(col.model._meta.db_table), _q(col.field.column)
        pk = _q(col.model._meta.pk.column)
        batch = BYTES_BATCH if col.is_bytes else TEXT_BATCH
        last: Any = None
        while True:
            where = f"{column} IS NOT NULL" + (f" AND {pk} > %s" if last is not None else "")
            params = [last] if last is not None else []
            if only is not None:
                chunk = sorted(p for p in only if last is None or p > last)[:batch]
                if not chunk:
                    return
                where += f" AND {pk} IN ({', '.join(['%s'] * len(chunk))})"
                params += chunk
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT {batch}",  # noqa: S608
                    params,
                )
                rows = [(r[0], bytes(r[1]) if isinstance(r[1], memoryview) else r[1]) for r in cur.fetchall()]
            if not rows:
                return
            last = rows[-1][0]
            todo = [(p, v) for p, v in rows if v not in ("", b"") and (key_of(v) or ("", ""))[0] == "enc1"]
            subjects = _subjects(col, [p for p, _ in todo])
            contexts = _contexts(col, [p for p, _ in todo]) if col.is_bytes else {}
            with transaction.atomic():
                for row_pk, value in todo:
                    self.row(col, table, column, pk, row_pk, value, subjects.get(row_pk), contexts.get(row_pk))
            for _ in rows:
                self.tick()

    def row(
        self,
        col: EncryptedColumn,
        table: str,
        column: str,
        pk: str,
        row_pk: Any,
        value: Any,
        subject: str | None,
        context: str | None,
    ) -> None:
        found = key_of(value)
        if found is None or (subject is None and found[1] == self.to):
            return
        try:
            if col.is_bytes:
                assert context is not None
                new: Any = encrypt_bytes(decrypt_bytes(value, context=context), context=context, subject=subject)
            else:
                ctx = col.field._context
                new = encrypt(decrypt(value, context=ctx), context=ctx, subject=subject)
        except KeyErased:
            return
        except KeyringError:
            self.result.unreadable += 1
            return
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                [new, row_pk, value],
            )
            if cur.rowcount == 1:
                self.result.rewritten += 1
            else:
                self.result.skipped_changed += 1


def seal_subject(subject: str) -> int:
    """Move every value about one person (by the `data_subject` of each model) that is still under a master key
    under that person's data key; returns how many. `people.services.person_shred` runs it before destroying the
    key, so that nothing about the person stays readable under a master key."""
    result = RotateResult(new_key=keyring().active, retired=[], dropped=[])
    walk = _Walk(keyring().active, result, lambda: None)
    for col in encrypted_columns():
        path = col.data_subject
        if not path:
            continue
        lookup = "public_id" if path == "self" else f"{path}__public_id"
        pks = list(col.model._base_manager.filter(**{lookup: subject}).values_list("pk", flat=True))
        if pks:
            walk.column(col, only=pks)
    return result.rewritten


def _save(ring: Keyring) -> Keyring:
    write_keyring(settings.UTVEI_KEYRING, ring)
    return keyring()


def rotate(*, drop: bool = False, progress: Progress | None = None) -> RotateResult:
    """Add a master key, move every value under it (or under its person's data key), retire the old keys; or,
    when a rotation is recorded in the keyring as under way, continue it. See the module's docstring."""
    ring = keyring()
    resumed = ring.rotation is not None
    if ring.rotation is None:
        to = _next_kid(ring)
        keys = {**ring.keys, to: secrets.token_bytes(32)}
        rotation = {"to": to, "from": sorted(k for k in ring.keys), "done": []}
        ring = _save(replace(ring, keys=keys, active=to, rotation=rotation))
    assert ring.rotation is not None
    to, old = ring.rotation["to"], list(ring.rotation["from"])
    result = RotateResult(new_key=to, retired=[], dropped=[], resumed=resumed)
    result.data_keys_rewrapped = keystore.rewrap(ring, to)

    columns = encrypted_columns()
    pending = [c for c in columns if c.label not in set(ring.rotation["done"])]
    total = sum(_count(c) for c in pending)
    done_rows = 0

    def tick() -> None:
        nonlocal done_rows
        done_rows += 1
        if progress is not None:
            progress(done_rows, total)

    walk = _Walk(to, result, tick)
    for col in pending:
        walk.column(col)
        ring = keyring()
        assert ring.rotation is not None
        ring = _save(replace(ring, rotation={**ring.rotation, "done": [*ring.rotation["done"], col.label]}))

    # The last pass: anything a process wrote under an old key before it saw the new one.
    for _ in range(5):
        left = [c for c in columns if any(_under(c, kid) for kid in old)]
        result.data_keys_rewrapped += keystore.rewrap(keyring(), to)
        if not left:
            break
        for col in left:
            walk.column(col)
    else:
        raise KeyringError("values are still being written under an old key: run `utvei keys rotate` again")
    if result.unreadable:
        raise KeyringError(
            f"{result.unreadable} values could not be opened and were left as they were; the old keys stay active "
            "for reading and the rotation stays under way (`utvei keys status`)"
        )

    ring = keyring()
    retired = set(ring.retired) | set(old)
    keys = dict(ring.keys)
    dropped = []
    if drop:
        for kid in old:
            keys.pop(kid, None)
            dropped.append(kid)
        retired -= set(old)
    _save(replace(ring, keys=keys, retired=frozenset(retired), rotation=None))
    result.retired = sorted(set(old) - set(dropped))
    result.dropped = dropped
    return result


def _under(col: EncryptedColumn, kid: str) -> bool:
    for prefix in _prefixes(col):
        if prefix in (None, "", b""):
            continue
        found = key_of(bytes(prefix) if isinstance(prefix, memoryview) else prefix)
        if found == ("enc1", kid):
            return True
    return False


def summary(st: Status) -> list[str]:
    """The lines `utvei keys status` prints: counts and key ids only, never a value."""
    ring_keys = sorted(keyring().keys)
    lines = [f"keyring {settings.UTVEI_KEYRING}", f"key store {keystore.path()}", ""]
    if st.rotation:
        lines.append(
            f"ROTATION UNDER WAY to {st.rotation['to']} ({len(st.rotation['done'])} columns done): "
            "run `utvei keys rotate` to finish it"
        )
    lines.append("master keys:")
    for kid in ring_keys:
        state = "active" if kid == st.active else "retired" if kid in st.retired else "old, not retired"
        lines.append(
            f"  {kid} ({state}): {st.values_under(kid)} values; "
            f"{st.data_keys_by_master.get(kid, 0)} person data keys wrapped"
        )
    unknown = sorted(
        {kid for c in st.columns.values() for (v, kid) in c if v == "enc1" and kid not in ring_keys}
        | {m for m in st.data_keys_by_master if m not in ring_keys}
    )
    for kid in unknown:
        lines.append(f"  {kid} (NOT IN THE KEYRING): {st.values_under(kid)} values cannot be read")
    live = sum(st.data_keys_by_master.values())
    lines.append(f"person data keys: {live} live, {st.data_keys_destroyed} destroyed")
    lines.append(f"values under person data keys: {st.values_under_data_keys}")
    lines.append("")
    lines.append("per column (master key id: values; person: values under person data keys):")
    for label, counts in st.columns.items():
        if not counts:
            continue
        parts = []
        per: defaultdict[str, int] = defaultdict(int)
        for (version, kid), n in counts.items():
            per["person" if version == "enc2" else "?" if version == "other" else kid] += n
        parts = [f"{k}: {n}" for k, n in sorted(per.items())]
        lines.append(f"  {label}: " + ", ".join(parts))
    return lines
