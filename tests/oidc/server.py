"""Starts the test OpenID Connect provider (provider.mjs: panva's certified `oidc-provider`, installed from
package-lock.json by `make oidc`) on a free port of 127.0.0.1, for the single sign-on tests, and stops it after."""

from __future__ import annotations

import json
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START_SECONDS = 20


@contextmanager
def oidc_provider(*, clients: list[dict[str, Any]], accounts: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Run the provider with these clients and accounts; yields its issuer URL."""
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the test OpenID provider is not installed: run `make oidc` (npm ci in tests/oidc)")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"clients": clients, "accounts": accounts}))
        log = (Path(tmp) / "provider.log").open("w")
        proc = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(config)], stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            issuer = _wait_ready(proc, Path(tmp) / "provider.log")
            yield issuer
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _wait_ready(proc: subprocess.Popen[str], log: Path) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("READY "):
                return line.split()[1]
        if proc.poll() is not None:
            break
    raise RuntimeError(f"the test OpenID provider did not start: {log.read_text()[-2000:]}")
