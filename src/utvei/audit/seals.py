"""Seals: the chain's signed checkpoints, also held outside the database.

A checkpoint says "the chain had this link at this sequence number", signed with Ed25519. The signing key is derived
from the keyring (core.crypto.purpose_key), which the database does not hold; its public half is all a verifier
needs (`utvei audit pubkey`), so the seals can be checked on another machine. Each checkpoint is written three
times: as a row (AuditCheckpoint), as a line appended to the seal file (settings.UTVEI_AUDIT_SEAL_DIR/seals.jsonl,
owner-only, fsynced) and as a log line ("audit seal {...}", the same JSON) for whatever ships the logs away. Someone
who can rewrite the database cannot reach the seals kept elsewhere: `utvei audit verify --seals PATH` compares the
chain with them (docs/audit.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from utvei.core.crypto import purpose_key

logger = logging.getLogger("utvei.audit.seal")

SEAL_FILE = "seals.jsonl"
LOG_PREFIX = "audit seal "


class SealError(ValueError):
    """A seal file or public key that cannot be read."""


def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(purpose_key("audit-seal"))


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise SealError(f"cannot read the public key {path}: {exc.__class__.__name__}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SealError(f"{path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def message(seq: int, link: str, created_at: str) -> bytes:
    return f"utvei-audit-checkpoint\x00v1\x00{seq}\x00{link}\x00{created_at}".encode()


@dataclass(frozen=True)
class Seal:
    seq: int
    hash: str
    created_at: str  # ISO 8601 in UTC, as signed
    key_id: str
    signature: str  # hex

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def genuine(self, key: Ed25519PublicKey) -> bool:
        return signature_ok(key, self.seq, self.hash, self.created_at, self.signature)


def sign(seq: int, link: str, created_at: str) -> Seal:
    private = signing_key()
    signature = private.sign(message(seq, link, created_at)).hex()
    return Seal(seq, link, created_at, key_id(private.public_key()), signature)


def signature_ok(key: Ed25519PublicKey, seq: int, link: str, created_at: str, signature: str) -> bool:
    try:
        key.verify(bytes.fromhex(signature), message(seq, link, created_at))
    except (InvalidSignature, ValueError):
        return False
    return True


# ---- The seal file ---------------------------------------------------------------------------------------


def seal_path() -> Path:
    return Path(settings.UTVEI_AUDIT_SEAL_DIR) / SEAL_FILE


def append(seal: Seal, path: Path | None = None) -> None:
    """Append the seal to the seal file (created owner-only, opened for appending only, on the disk before this
    returns) and to the log."""
    path = path or seal_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (seal.line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    logger.info("%s%s", LOG_PREFIX, seal.line())


def last_sealed(path: Path | None = None) -> int:
    """The highest sequence number in the seal file (0 when there is none)."""
    path = path or seal_path()
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 4096))
            tail = fh.read().decode(errors="replace").splitlines()
    except FileNotFoundError:
        return 0
    for text in reversed(tail):
        try:
            return _parse(text).seq
        except SealError:
            continue
    return 0


def read(path: str | Path) -> list[Seal]:
    """The seals in a seal file, in a log that holds "audit seal" lines, or in every file of a directory.

    Lines that are neither are skipped (a log holds other lines); a line that claims to be a seal and cannot be read
    is an error, naming the file and line."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    seals: list[Seal] = []
    for f in files:
        try:
            lines = f.read_text(errors="replace").splitlines()
        except OSError as exc:
            raise SealError(f"cannot read {f}: {exc.__class__.__name__}") from exc
        for number, text in enumerate(lines, start=1):
            if not (text.startswith("{") or LOG_PREFIX in text):
                continue
            try:
                seals.append(_parse(text))
            except SealError as exc:
                raise SealError(f"{f}, line {number}: {exc}") from exc
    return seals


def _parse(text: str) -> Seal:
    start = text.find("{")
    try:
        raw = json.loads(text[start:]) if start >= 0 else {}
        seal = Seal(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            created_at=str(raw["created_at"]),
            key_id=str(raw["key_id"]),
            signature=str(raw["signature"]),
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SealError("not a seal") from exc
    return seal
