"""Per-person data keys (envelope encryption), kept outside the main database (docs/encryption.md).

Each person gets a random 256-bit data key; every encrypted value about them is written under it
(core/crypto.py, `enc2:<data key id>:…`). The data key is stored here wrapped (AES-256-GCM) by one of the
keyring's master keys, in a SQLite file of its own (settings.UTVEI_KEYSTORE), never in the main database: a
backup of the database holds ciphertexts that name a data key, not the key. Destroying a person's data key
(`destroy`, called by `people.services.person_shred`) makes everything about them unreadable everywhere, in every
backup of the database too, for as long as no backup of this file from before the destruction is kept (the key
store has its own short-lived backup regime).

The file is opened through the standard library's sqlite3 (not Django's connection: looking a key up is no query
of the application's database), mode 0600, with `secure_delete` on so a destroyed key's bytes are overwritten in
the file. Unwrapped keys are cached per process; every look-up first asks SQLite whether another connection has
changed the file since (`PRAGMA data_version`, answered from the file's header) and empties the cache if so, so a
destruction in another process is seen at the next value read.

This module is below core.crypto: it gets the keyring passed in (anything with `.active` and `.keys`).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS data_key (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    master TEXT,
    wrapped BLOB,
    created_at TEXT NOT NULL,
    destroyed_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS data_key_live_subject ON data_key(subject) WHERE destroyed_at IS NULL;
"""


class KeyStoreError(RuntimeError):
    """The key store cannot be opened, or a data key's master key is not in the keyring."""


class Ring(Protocol):
    @property
    def active(self) -> str: ...

    @property
    def keys(self) -> dict[str, bytes]: ...


def path() -> str:
    return str(getattr(settings, "UTVEI_KEYSTORE", "") or Path(settings.VAR_DIR) / "keystore.sqlite3")


_local = threading.local()
_lock = threading.Lock()
_keys: dict[str, bytes] = {}  # data key id -> unwrapped key
_subjects: dict[str, str] = {}  # subject -> live data key id
_cache_path: str | None = None


def _connect() -> sqlite3.Connection:
    """This thread's connection to the key store (opened on first use, again after a fork or a change of path)."""
    where = path()
    held = getattr(_local, "conn", None)
    if held is not None and held[0] == where and held[1] == os.getpid():
        conn: sqlite3.Connection = held[2]
        return conn
    p = Path(where)
    try:
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o600))
        if p.stat().st_mode & 0o077:
            p.chmod(0o600)
        conn = sqlite3.connect(where, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA secure_delete = ON")
        conn.executescript(SCHEMA)
    except (OSError, sqlite3.Error) as exc:
        raise KeyStoreError(f"cannot open the key store: {exc.__class__.__name__}") from exc
    _local.conn = (where, os.getpid(), conn, None)
    return conn


def _fresh(conn: sqlite3.Connection) -> None:
    """Empty the cache if the key store was changed by another connection since this thread last looked, or if the
    key store is another file than the one the cache was filled from."""
    global _cache_path
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    where, pid, _, seen = _local.conn
    with _lock:
        if seen is None or seen != version or _cache_path != where:  # a new connection knows nothing yet
            _keys.clear()
            _subjects.clear()
            _cache_path = where
    _local.conn = (where, pid, conn, version)


def reset() -> None:
    """Forget every cached key and this thread's connection (tests that change settings.UTVEI_KEYSTORE)."""
    with _lock:
        _keys.clear()
        _subjects.clear()
    held = getattr(_local, "conn", None)
    if held is not None:
        held[2].close()
        _local.conn = None


def _aad(kid: str, subject: str) -> bytes:
    return f"utvei-data-key\x00{kid}\x00{subject}".encode()


def _wrap(ring: Ring, master: str, kid: str, subject: str, key: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(ring.keys[master]).encrypt(nonce, key, _aad(kid, subject))


def _unwrap(ring: Ring, master: str, kid: str, subject: str, wrapped: bytes) -> bytes:
    master_key = ring.keys.get(master)
    if master_key is None:
        raise KeyStoreError(f"data key {kid} is wrapped by master key {master}, which is not in the keyring")
    try:
        return AESGCM(master_key).decrypt(wrapped[:12], wrapped[12:], _aad(kid, subject))
    except InvalidTag as exc:
        raise KeyStoreError(f"data key {kid} does not open with master key {master}") from exc


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def data_key_for(subject: str, ring: Ring) -> tuple[str, bytes]:
    """The live data key of `subject` (a person's public id), made and wrapped by the active master key on first
    use. After a destruction the subject gets a new key: what is written from then on is readable, what was
    written before stays erased."""
    conn = _connect()
    _fresh(conn)
    kid = _subjects.get(subject)
    if kid is not None and kid in _keys:
        return kid, _keys[kid]
    try:
        row = conn.execute(
            "SELECT id, master, wrapped FROM data_key WHERE subject = ? AND destroyed_at IS NULL", (subject,)
        ).fetchone()
        if row is None:
            kid, key = secrets.token_urlsafe(12), secrets.token_bytes(32)
            conn.execute(
                "INSERT OR IGNORE INTO data_key (id, subject, master, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
                (kid, subject, ring.active, _wrap(ring, ring.active, kid, subject, key), _now()),
            )
            row = conn.execute(
                "SELECT id, master, wrapped FROM data_key WHERE subject = ? AND destroyed_at IS NULL", (subject,)
            ).fetchone()
    except sqlite3.Error as exc:
        raise KeyStoreError(f"the key store failed: {exc.__class__.__name__}") from exc
    kid, master, wrapped = row
    key = _unwrap(ring, master, kid, subject, wrapped)
    with _lock:
        _keys[kid] = key
        _subjects[subject] = kid
    return kid, key


def data_key(kid: str, ring: Ring) -> bytes | None:
    """The data key with this id, or None when it has been destroyed (its tombstone is here). A key this store has
    never held raises KeyStoreError: UTVEI_KEYSTORE names the wrong file, or it was restored from a backup older
    than the key; that is an operator's error to see, not an erasure to show."""
    conn = _connect()
    _fresh(conn)
    key = _keys.get(kid)
    if key is not None:
        return key
    try:
        row = conn.execute(
            "SELECT subject, master, wrapped, destroyed_at FROM data_key WHERE id = ?", (kid,)
        ).fetchone()
    except sqlite3.Error as exc:
        raise KeyStoreError(f"the key store failed: {exc.__class__.__name__}") from exc
    if row is None:
        raise KeyStoreError(f"data key {kid} is not in the key store {path()}")
    if row[3] is not None:
        return None
    subject, master, wrapped, _ = row
    key = _unwrap(ring, master, kid, subject, wrapped)
    with _lock:
        _keys[kid] = key
    return key


def destroy(subject: str) -> int:
    """Destroy every data key of `subject`: the wrapped key is overwritten (secure_delete) and only a tombstone
    (id, subject, when) stays. Returns how many keys were destroyed."""
    conn = _connect()
    try:
        cur = conn.execute(
            "UPDATE data_key SET wrapped = NULL, master = NULL, destroyed_at = ? "
            "WHERE subject = ? AND destroyed_at IS NULL",
            (_now(), subject),
        )
        count = cur.rowcount
    except sqlite3.Error as exc:
        raise KeyStoreError(f"the key store failed: {exc.__class__.__name__}") from exc
    with _lock:
        _keys.clear()
        _subjects.clear()
    return count


def key_ids_of(subject: str) -> list[str]:
    """Every data key id the subject has had, live or destroyed."""
    rows = _connect().execute("SELECT id FROM data_key WHERE subject = ? ORDER BY created_at", (subject,))
    return [r[0] for r in rows]


def rewrap(ring: Ring, to: str) -> int:
    """Wrap every live data key that another master key wraps under master key `to` (the keys themselves, and so
    every value under them, stay as they are). Compare-and-swap per key: safe beside running processes."""
    conn = _connect()
    moved = 0
    rows = conn.execute(
        "SELECT id, subject, master, wrapped FROM data_key WHERE destroyed_at IS NULL AND master <> ?", (to,)
    ).fetchall()
    for kid, subject, master, wrapped in rows:
        key = _unwrap(ring, master, kid, subject, wrapped)
        cur = conn.execute(
            "UPDATE data_key SET master = ?, wrapped = ? WHERE id = ? AND master = ? AND destroyed_at IS NULL",
            (to, _wrap(ring, to, kid, subject, key), kid, master),
        )
        moved += cur.rowcount
    return moved


@dataclass(frozen=True)
class StoreStatus:
    live_by_master: dict[str, int]
    destroyed: int


def status() -> StoreStatus:
    conn = _connect()
    live = dict(
        conn.execute("SELECT master, count(*) FROM data_key WHERE destroyed_at IS NULL GROUP BY master").fetchall()
    )
    destroyed = conn.execute("SELECT count(*) FROM data_key WHERE destroyed_at IS NOT NULL").fetchone()[0]
    return StoreStatus(live_by_master=live, destroyed=destroyed)
