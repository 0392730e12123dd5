"""Field encryption: AES-256-GCM with a key id in every ciphertext, and keyed blind indexes (docs/encryption.md).

The keyring is a JSON file named by settings.UTVEI_KEYRING:
    {"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."}, "retired": ["k1"],
     "index_key": "<base64 32 bytes>"}
Old keys stay in the file so old ciphertexts still open; new writes use the active key. A value about a person
is written under that person's data key (core/keystore.py), which a master key of the keyring wraps; `utvei keys
rotate` (core/rotation.py) moves values between keys.
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
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext

from utvei.core import keystore

PREFIX = "enc1"  # under a master key of the keyring
SUBJECT_PREFIX = "enc2"  # under a person's data key (core/keystore.py), which a master key wraps


class KeyringError(RuntimeError):
    """The keyring is missing, malformed or lacks a key a ciphertext names."""


class KeyErased(KeyringError):
    """The data key this ciphertext was written under has been destroyed (crypto-shredding): it can never open."""


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]
    index_key: bytes
    retired: frozenset[str] = frozenset()
    # A rotation under way (`utvei keys rotate`, core/rotation.py): {"to": kid, "from": [kids], "done": [columns]}.
    rotation: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: str | Path) -> Keyring:
        try:
            raw = json.loads(Path(path).read_text())
            keys = {kid: base64.b64decode(v) for kid, v in raw["keys"].items()}
            ring = cls(
                active=raw["active"],
                keys=keys,
                index_key=base64.b64decode(raw["index_key"]),
                retired=frozenset(raw.get("retired", [])),
                rotation=raw.get("rotation"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"cannot read keyring {path}: {exc.__class__.__name__}") from exc
        if ring.active not in ring.keys or any(len(k) != 32 for k in ring.keys.values()):
            raise KeyringError("keyring must name an active key and hold 32-byte keys")
        if ring.active in ring.retired:
            raise KeyringError("the active key cannot be retired")
        return ring

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "active": self.active,
            "keys": {kid: base64.b64encode(k).decode() for kid, k in self.keys.items()},
            "index_key": base64.b64encode(self.index_key).decode(),
        }
        if self.retired:
            data["retired"] = sorted(self.retired)
        if self.rotation:
            data["rotation"] = self.rotation
        return data


def write_keyring(path: str | Path, ring: Keyring) -> None:
    """Replace the keyring file atomically (a new file, 0600, fsynced, renamed over the old one), so a crash leaves
    either the old keyring or the new one, never half of one. Other processes see the change by the file's mtime
    (`keyring()`)."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(ring.as_json(), fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - a file system without directory fsync
        pass
    reset_keyring_cache()


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
_ring_stamp: tuple[str, int, int, int] | None = None


def keyring() -> Keyring:
    """The keyring, read again whenever its file changes (path, inode, size or mtime): `utvei keys rotate` in
    another process makes a new key active, and every running process writes under it from its next value on."""
    global _ring, _ring_stamp
    path = str(settings.UTVEI_KEYRING)
    with _lock:
        try:
            st = os.stat(path)
            stamp: tuple[str, int, int, int] | None = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        if _ring is not None and stamp is not None and stamp == _ring_stamp:
            return _ring
        if stamp is None and (settings.DEMO or settings.DEBUG or _is_default_path(path)):
            generate_keyring(path)
            st = os.stat(path)
            stamp = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        _ring = Keyring.load(path)
        _ring_stamp = stamp
        return _ring


def _is_default_path(path: str) -> bool:
    return Path(path).resolve() == (Path(settings.VAR_DIR) / "keyring.json").resolve()


def reset_keyring_cache() -> None:
    global _ring, _ring_stamp
    with _lock:
        _ring = None
        _ring_stamp = None


def _seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def _open(key: bytes, raw: bytes, context: str) -> bytes:
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag as exc:
        raise KeyringError("ciphertext failed authentication") from exc


def encrypt(plaintext: str, *, context: str, subject: str | None = None) -> str:
    """Encrypt text; `context` (e.g. "cases.Entry.body") is bound as associated data. With a `subject` (a person's
    public id) the value goes under that person's data key (`enc2:<data key id>:…`), else under the keyring's
    active master key (`enc1:<key id>:…`)."""
    if subject is not None:
        kid, key = _data_key_for(subject)
        blob = _seal(key, plaintext.encode(), context)
        return f"{SUBJECT_PREFIX}:{kid}:{base64.urlsafe_b64encode(blob).decode()}"
    ring = keyring()
    blob = _seal(ring.keys[ring.active], plaintext.encode(), context)
    return f"{PREFIX}:{ring.active}:{base64.urlsafe_b64encode(blob).decode()}"


def key_of(token: str | bytes) -> tuple[str, str] | None:
    """(version, key id) a ciphertext names: ("enc1", master key id) or ("enc2", data key id); None if it is none."""
    if isinstance(token, (bytes, bytearray, memoryview)):
        raw = bytes(token[:80])
        for version, prefix in (("enc1", BYTES_PREFIX), ("enc2", BYTES_SUBJECT_PREFIX)):
            if raw.startswith(prefix):
                kid_raw, sep_raw, _ = raw[len(prefix) :].partition(b":")
                return (version, kid_raw.decode(errors="replace")) if sep_raw else None
        return None
    head, sep, rest = token.partition(":")
    kid, sep2, _ = rest.partition(":")
    if not (sep and sep2) or head not in (PREFIX, SUBJECT_PREFIX):
        return None
    return head, kid


def decrypt(token: str, *, context: str) -> str:
    """Open a ciphertext. Raises KeyErased when it was written under a person's data key that has been destroyed."""
    try:
        prefix, kid, blob = token.split(":", 2)
    except ValueError as exc:
        raise KeyringError("not a ciphertext") from exc
    if prefix == SUBJECT_PREFIX:
        key = _data_key(kid)
        if key is None:
            raise KeyErased("the data key of this value has been destroyed")
    elif prefix == PREFIX:
        key = keyring().keys.get(kid)
        if key is None:
            raise KeyringError(f"key {kid} is not in the keyring")
    else:
        raise KeyringError("unknown ciphertext version")
    try:
        raw = base64.urlsafe_b64decode(blob)
    except ValueError as exc:
        raise KeyringError("not a ciphertext") from exc
    return _open(key, raw, context).decode()


def blind_index(value: str, *, context: str) -> str:
    """A keyed HMAC of a normalised value, for exact lookup without storing the value."""
    normalised = "".join(value.split()).upper()
    mac = hmac.new(keyring().index_key, f"{context}\x00{normalised}".encode(), hashlib.sha256)
    return mac.hexdigest()


def purpose_key(purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. signing audit checkpoints), derived from the keyring's index key."""
    return hmac.new(keyring().index_key, f"utvei-subkey\x00{purpose}".encode(), hashlib.sha256).digest()


class Erased(str):
    """What a value reads as once the data key it was written under is destroyed (crypto-shredding): a string that
    pages, exports and the API show as «Slettet» / "Erased" (translated when read), never a server error. It keeps
    the unreadable ciphertext, so saving the row again writes that ciphertext back unchanged, never the marker."""

    erased = True
    token: str | bytes = ""

    def __new__(cls, token: str | bytes = "") -> Erased:
        obj = super().__new__(cls, gettext("Erased"))
        obj.token = token
        return obj

    def __reduce__(self) -> Any:  # a pickled copy (a cache) keeps the ciphertext, not the marker
        return (Erased, (self.token,))


def is_erased(value: object) -> bool:
    return isinstance(value, Erased)


class Sealed(str):
    """A ciphertext made by `EncryptedTextField.pre_save` (under the row's data subject's key): get_prep_value
    passes it through as it is."""


def _public_id_along(instance: Any, path: str) -> Any:
    """The public id at the end of `path` ("self", or related fields joined by "__") from `instance`: through the
    related objects already loaded on it, then one query for the rest of the path. None where the path breaks."""
    if path == "self":
        return instance.public_id
    obj = instance
    parts = path.split("__")
    for i, part in enumerate(parts):
        field = obj._meta.get_field(part)
        if field.is_cached(obj):
            obj = getattr(obj, part)
            if obj is None:
                return None
            continue
        fk = getattr(obj, field.attname)
        if fk is None:
            return None
        lookup = "__".join([*parts[i + 1 :], "public_id"])
        return field.related_model._base_manager.filter(pk=fk).values_list(lookup, flat=True).first()
    return obj.public_id


def model_along(model: Any, path: str) -> Any:
    """The model at the end of `path` from `model`."""
    if path == "self":
        return model
    for part in path.split("__"):
        model = model._meta.get_field(part).related_model
    return model


def subject_of(instance: Any) -> str | None:
    """Whose data key encrypts this row's values, by what its model declares:

    - `data_subject`: the path to the person the row is about ("self" for a Person; "case__person",
      "entry__case__person", …) — the subject is the person's public id; None for a model whose rows are about
      nobody (they stay under the keyring's master key);
    - `data_subject_until_linked` (optional): for rows that are about a person before they are linked to one (a
      concern names its subject before a case exists), the path to the row that stands for the person until then
      ("self", "concern"): the subject is then "<app.Model>:<its public id>", a data key of its own that
      `person_shred` destroys with the person's once the row is linked (`subjects_of_person`).
    """
    path = getattr(type(instance), "data_subject", None)
    if not path:
        return None
    found = _public_id_along(instance, path)
    if found is not None:
        return str(found)
    until = getattr(type(instance), "data_subject_until_linked", None)
    if not until:
        return None
    own = _public_id_along(instance, until)
    return f"{model_along(type(instance), until)._meta.label}:{own}" if own is not None else None


def subjects_of_person(public_id: str) -> list[str]:
    """Every subject whose data key holds something about this person: their own, and the keys of the rows that
    were about them before they were linked to them (`data_subject_until_linked`)."""
    subjects = {str(public_id)}
    for model in apps.get_models():
        until = getattr(model, "data_subject_until_linked", None)
        path = getattr(model, "data_subject", None)
        if not until or not path:
            continue
        lookup = "public_id" if path == "self" else f"{path}__public_id"
        own = "public_id" if until == "self" else f"{until}__public_id"
        label = model_along(model, until)._meta.label
        for value in model._base_manager.filter(**{lookup: public_id}).values_list(own, flat=True):
            if value is not None:
                subjects.add(f"{label}:{value}")
    return sorted(subjects)


class EncryptedTextField(models.TextField):
    """A text column stored as AES-GCM ciphertext; Python code sees plain text.

    A value about a person (the model names its path to them in `data_subject`) is encrypted under that person's
    data key, on every save and bulk_create (`pre_save`); a value about nobody under the keyring's active key.
    A value whose data key has been destroyed reads as `Erased`."""

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self._context = f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        try:
            return decrypt(value, context=self._context)
        except KeyErased:
            return Erased(value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        if isinstance(value, Erased):
            return Sealed(value.token)
        return Sealed(encrypt(str(value), context=self._context, subject=subject_of(model_instance)))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return str(value)
        if isinstance(value, Erased):
            return value.token
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), context=self._context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull", "exact"}:
            return None  # no searching inside ciphertext
        return super().get_lookup(lookup_name)


class EncryptedBinaryField(models.BinaryField):
    """A column of bytes encrypted by `encrypt_bytes` (an attachment's content). The field does not encrypt by
    itself (the service does, with the associated data it binds); it names, for `utvei keys rotate`, the path to
    the value bound as associated data: `context_from` ("attachment__public_id") after `context_prefix`
    ("cases.Attachment:")."""

    def __init__(self, *args: Any, context_prefix: str = "", context_from: str = "", **kwargs: Any) -> None:
        self.context_prefix = context_prefix
        self.context_from = context_from
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["context_prefix"] = self.context_prefix
        kwargs["context_from"] = self.context_from
        return name, path, args, kwargs


BYTES_PREFIX = b"encb1:"
BYTES_SUBJECT_PREFIX = b"encb2:"


def encrypt_bytes(plaintext: bytes, *, context: str, subject: str | None = None) -> bytes:
    """Encrypt bytes (an attachment's content); `context` (e.g. "cases.Attachment:<public id>") is bound as associated
    data, so a ciphertext moved to another attachment's row does not open. Format: `encb1:<key id>:` (or, under
    the data key of the person `subject` names, `encb2:<data key id>:`) then nonce ‖ ciphertext ‖ tag, raw (no
    base64: files are large)."""
    if subject is not None:
        kid, key = _data_key_for(subject)
        return BYTES_SUBJECT_PREFIX + kid.encode() + b":" + _seal(key, plaintext, context)
    ring = keyring()
    return BYTES_PREFIX + ring.active.encode() + b":" + _seal(ring.keys[ring.active], plaintext, context)


def decrypt_bytes(token: bytes, *, context: str) -> bytes:
    """Open `encrypt_bytes`' ciphertext; raises KeyErased (a KeyringError) when its data key has been destroyed."""
    token = bytes(token)
    subject = token.startswith(BYTES_SUBJECT_PREFIX)
    if not (subject or token.startswith(BYTES_PREFIX)):
        raise KeyringError("not a byte ciphertext")
    kid_raw, sep, raw = token[len(BYTES_PREFIX) :].partition(b":")
    if not sep:
        raise KeyringError("not a byte ciphertext")
    kid = kid_raw.decode(errors="replace")
    if subject:
        key = _data_key(kid)
        if key is None:
            raise KeyErased("the data key of this content has been destroyed")
    else:
        key = keyring().keys.get(kid)
        if key is None:
            raise KeyringError("the key of this ciphertext is not in the keyring")
    return _open(key, raw, context)


# ---- Per-person data keys (core/keystore.py holds them, wrapped by the keyring's master keys) ----------------


def _data_key_for(subject: str) -> tuple[str, bytes]:
    try:
        return keystore.data_key_for(subject, keyring())
    except keystore.KeyStoreError as exc:
        raise KeyringError(str(exc)) from exc


def _data_key(kid: str) -> bytes | None:
    try:
        return keystore.data_key(kid, keyring())
    except keystore.KeyStoreError as exc:
        raise KeyringError(str(exc)) from exc


# ---- Discovery: every encrypted column of every model (what `utvei keys rotate` and `status` walk) -----------


@dataclass(frozen=True)
class EncryptedColumn:
    model: Any
    field: Any

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"

    @property
    def is_bytes(self) -> bool:
        return isinstance(self.field, EncryptedBinaryField)

    @property
    def data_subject(self) -> str | None:
        return getattr(self.model, "data_subject", None) or None


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField and EncryptedBinaryField of every installed, concrete model, found by
    introspection: a new model's encrypted field is rotated without anyone listing it."""
    found = []
    for model in apps.get_models():
        if model._meta.abstract or model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (EncryptedTextField, EncryptedBinaryField)):
                found.append(EncryptedColumn(model, field))
    return sorted(found, key=lambda c: c.label)
