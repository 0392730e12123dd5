"""`utvei bench`: run the benchmarks in bench/ against a scratch database and write bench/results/<name>.json.

Benchmarks are measurements, not tests: nothing here asserts a timing. Each script bench/bench_<name>.py has
a `run(ctx)` that builds its own data (through the services or the bulk writer of `utvei synth`) and returns a
dict of results. The command gives every script a fresh, migrated scratch database (a temporary SQLite file,
or `<name>_bench` on PostgreSQL) and a throwaway keyring, so the real database and keys are never touched.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import NoReverseMatch, reverse

from utvei.accounts.middleware import SESSION_KEY
from utvei.accounts.models import Membership
from utvei.core import crypto

SIZES = ("small", "full")


@dataclass
class BenchContext:
    """What a bench script gets: the size to run at and helpers to time, count queries and log in."""

    size: str
    log: Callable[[str], None]

    def pick(self, choices: dict[str, Any]) -> Any:
        return choices[self.size]

    def measure(self, fn: Callable[[], Any], *, repeat: int = 10, warmup: int = 1) -> dict[str, float]:
        """Wall-clock milliseconds over `repeat` runs after `warmup` unmeasured ones."""
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return {
            "runs": repeat,
            "min_ms": round(times[0], 3),
            "median_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 3),
            "max_ms": round(times[-1], 3),
        }

    def queries(self, fn: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def client(self, membership: Membership) -> Client:
        """A logged-in browser for this membership (demo mode: no MFA step)."""
        c = Client()
        c.force_login(membership.user)
        session = c.session
        session[SESSION_KEY] = membership.pk
        session.save()
        return c

    def page(self, membership: Membership, name: str, *args: Any, repeat: int = 10) -> dict[str, Any]:
        """GET the named page as this membership: status, size, time and queries (or a note while it is missing)."""
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            return {"page": None, "note": f"no page named {name!r} yet"}
        client = self.client(membership)
        response = client.get(url)
        return {
            "page_status": response.status_code,
            "page_bytes": len(response.content),
            "page": self.measure(lambda: client.get(url), repeat=repeat),
            "page_queries": self.queries(lambda: client.get(url)),
        }


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory": _proc_field("/proc/meminfo", "MemTotal"),
        "database": connection.vendor,
    }
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        info["database_version"] = cur.fetchone()[0]
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
            cwd=settings.PROJECT_DIR,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["git_commit"] = ""
    return info


def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@contextmanager
def scratch_environment(tmp: Path) -> Iterator[None]:
    """A migrated scratch database and a throwaway keyring, removed afterwards."""
    db = connection.settings_dict
    saved_test = dict(db.get("TEST") or {})
    name = str(tmp / "bench.sqlite3") if connection.vendor == "sqlite" else f"{db['NAME']}_bench"
    db["TEST"] = {**saved_test, "NAME": name}
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    keyring = tmp / "keyring.json"
    crypto.generate_keyring(keyring)
    try:
        with override_settings(
            UTVEI_KEYRING=str(keyring),
            DEMO=True,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ):
            crypto.reset_keyring_cache()
            yield
    finally:
        crypto.reset_keyring_cache()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        db["TEST"] = saved_test


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"utvei_bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Command(BaseCommand):
    help = "Run the benchmarks in bench/ on a scratch database; write bench/results/<name>.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=SIZES, default="small", help="small (quick) or full (the README's sizes)")
        parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
        parser.add_argument("--dir", default=None, help="the bench folder (default: bench/ in the project)")
        parser.add_argument("--no-write", action="store_true", help="print the results, write no files")

    def handle(self, *args: Any, **opts: Any) -> None:
        bench_dir = Path(opts["dir"] or Path(settings.PROJECT_DIR) / "bench")
        scripts = sorted(bench_dir.glob("bench_*.py"))
        if opts["only"]:
            scripts = [s for s in scripts if s.stem.removeprefix("bench_") in opts["only"]]
        if not scripts:
            raise CommandError(f"no benchmarks to run in {bench_dir}")
        out_dir = bench_dir / "results"
        ctx = BenchContext(size=opts["size"], log=lambda msg: self.stdout.write(f"    {msg}"))
        with tempfile.TemporaryDirectory(prefix="utvei-bench-") as tmp, scratch_environment(Path(tmp)):
            machine = machine_info()
            for script in scripts:
                name = script.stem.removeprefix("bench_")
                module = load_script(script)
                self.stdout.write(f"{name}: {(module.__doc__ or '').strip().splitlines()[0]}")
                call_command("flush", interactive=False, verbosity=0)
                started = time.perf_counter()
                results = module.run(ctx)
                report = {
                    "benchmark": name,
                    "description": (module.__doc__ or "").strip(),
                    "size": ctx.size,
                    "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "duration_s": round(time.perf_counter() - started, 1),
                    "machine": machine,
                    "results": results,
                }
                text = json.dumps(report, indent=2, ensure_ascii=False)
                if opts["no_write"]:
                    self.stdout.write(text)
                else:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    (out_dir / f"{name}.json").write_text(text + "\n", encoding="utf-8")
                    self.stdout.write(f"    -> {out_dir / f'{name}.json'} ({report['duration_s']} s)")
