"""Field encryption: AES-256-GCM with a key id in every ciphertext, and keyed blind indexes.

The keyring is a JSON file named by settings.UTVEI_KEYRING:
    {"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."}, "index_key": "<base64 32 bytes>"}
Old keys stay in the file so old ciphertexts still open; new writes use the active key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

PREFIX = "enc1"


class KeyringError(RuntimeError):
    """The keyring is missing, malformed or lacks a key a ciphertext names."""


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]
    index_key: bytes

    @classmethod
    def load(cls, path: str | Path) -> Keyring:
        try:
            raw = json.loads(Path(path).read_text())
            keys = {kid: base64.b64decode(v) for kid, v in raw["keys"].items()}
            ring = cls(active=raw["active"], keys=keys, index_key=base64.b64decode(raw["index_key"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"cannot read keyring {path}: {exc.__class__.__name__}") from exc
        if ring.active not in ring.keys or any(len(k) != 32 for k in ring.keys.values()):
            raise KeyringError("keyring must name an active key and hold 32-byte keys")
        return ring


def generate_keyring(path: str | Path) -> None:
    """Write a fresh keyring (demo and development). Refuses to overwrite an existing one."""
    p = Path(path)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "active": "k1",
        "keys": {"k1": base64.b64encode(secrets.token_bytes(32)).decode()},
        "index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)


_lock = threading.Lock()
_ring: Keyring | None = None


def keyring() -> Keyring:
    global _ring
    with _lock:
        if _ring is None:
            path = settings.UTVEI_KEYRING
            if not Path(path).exists() and (settings.DEMO or settings.DEBUG or _is_default_path(path)):
                generate_keyring(path)
            _ring = Keyring.load(path)
        return _ring


def _is_default_path(path: str) -> bool:
    return Path(path).resolve() == (Path(settings.VAR_DIR) / "keyring.json").resolve()


def reset_keyring_cache() -> None:
    global _ring
    with _lock:
        _ring = None


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt text; `context` (e.g. "cases.Entry.body") is bound as associated data."""
    ring = keyring()
    nonce = secrets.token_bytes(12)
    ct = AESGCM(ring.keys[ring.active]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{ring.active}:{base64.urlsafe_b64encode(nonce + ct).decode()}"


def decrypt(token: str, *, context: str) -> str:
    try:
        prefix, kid, blob = token.split(":", 2)
    except ValueError as exc:
        raise KeyringError("not a ciphertext") from exc
    if prefix != PREFIX:
        raise KeyringError("unknown ciphertext version")
    ring = keyring()
    key = ring.keys.get(kid)
    if key is None:
        raise KeyringError(f"key {kid} is not in the keyring")
    raw = base64.urlsafe_b64decode(blob)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except InvalidTag as exc:
        raise KeyringError("ciphertext failed authentication") from exc


def blind_index(value: str, *, context: str) -> str:
    """A keyed HMAC of a normalised value, for exact lookup without storing the value."""
    normalised = "".join(value.split()).upper()
    mac = hmac.new(keyring().index_key, f"{context}\x00{normalised}".encode(), hashlib.sha256)
    return mac.hexdigest()


def purpose_key(purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. signing audit checkpoints), derived from the keyring's index key."""
    return hmac.new(keyring().index_key, f"utvei-subkey\x00{purpose}".encode(), hashlib.sha256).digest()


class EncryptedTextField(models.TextField):
    """A text column stored as AES-GCM ciphertext; Python code sees plain text."""

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self._context = f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, context=self._context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), context=self._context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull", "exact"}:
            return None  # no searching inside ciphertext
        return super().get_lookup(lookup_name)


BYTES_PREFIX = b"encb1:"


def encrypt_bytes(plaintext: bytes, *, context: str) -> bytes:
    """Encrypt bytes (an attachment's content); `context` (e.g. "cases.Attachment:<public id>") is bound as associated
    data, so a ciphertext moved to another attachment's row does not open. Format: `encb1:<key id>:` then nonce ‖
    ciphertext ‖ tag, raw (no base64: files are large)."""
    ring = keyring()
    nonce = secrets.token_bytes(12)
    ct = AESGCM(ring.keys[ring.active]).encrypt(nonce, plaintext, context.encode())
    return BYTES_PREFIX + ring.active.encode() + b":" + nonce + ct


def decrypt_bytes(token: bytes, *, context: str) -> bytes:
    token = bytes(token)
    if not token.startswith(BYTES_PREFIX):
        raise KeyringError("not a byte ciphertext")
    kid_raw, sep, raw = token[len(BYTES_PREFIX) :].partition(b":")
    if not sep:
        raise KeyringError("not a byte ciphertext")
    key = keyring().keys.get(kid_raw.decode(errors="replace"))
    if key is None:
        raise KeyringError("the key of this ciphertext is not in the keyring")
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag as exc:
        raise KeyringError("ciphertext failed authentication") from exc
