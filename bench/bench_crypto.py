"""Field encryption throughput: AES-256-GCM encrypt and decrypt at 64 B, 1 KiB and 16 KiB, and blind indexes.

These are the per-value costs every EncryptedTextField pays when a row is written (encrypt) or read
(decrypt), and that an identity-number lookup pays (blind index, a keyed HMAC-SHA-256).
"""

from __future__ import annotations

import time
from typing import Any

from utvei.core.crypto import blind_index, decrypt, encrypt

ITERATIONS = {"small": 2_000, "full": 20_000}
SIZES = (64, 1024, 16 * 1024)


def _rate(fn: Any, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - started)


def run(ctx: Any) -> dict[str, Any]:
    n = ctx.pick(ITERATIONS)
    rows = []
    for size in SIZES:
        text = ("Samtale gjennomført. " * (size // 20 + 1))[:size]
        token = encrypt(text, context="cases.Entry.body")
        enc = _rate(lambda t=text: encrypt(t, context="cases.Entry.body"), n)
        dec = _rate(lambda t=token: decrypt(t, context="cases.Entry.body"), n)
        rows.append(
            {
                "plaintext_bytes": size,
                "ciphertext_bytes": len(token),
                "encrypt_per_s": round(enc),
                "decrypt_per_s": round(dec),
                "encrypt_mib_per_s": round(enc * size / 2**20, 1),
                "decrypt_mib_per_s": round(dec * size / 2**20, 1),
            }
        )
        ctx.log(f"{size} B")
    index = _rate(lambda: blind_index("01890112345", context="people.Person.national_id"), n)
    return {"iterations": n, "sizes": rows, "blind_index_per_s": round(index)}
