"""`utvei bench`: run the benchmarks in bench/ against a scratch database and write bench/results/<name>.json.

Benchmarks are measurements, not tests: nothing here asserts a timing. Each script bench/bench_<name>.py has
a `run(ctx)` that builds its own data (through the services or the bulk writer of `utvei synth`) and returns a
dict of results. The command gives every script a fresh, migrated scratch database (a temporary SQLite file,
or `<name>_bench_<pid>` on PostgreSQL) and a throwaway keyring, so the real database and keys are never touched.
A script that starts a server of its own (bench_pages.py) hands it the same through `ctx.server_env()`.

`--databases sqlite,postgres://…` runs the whole selection once per database, each in a child `utvei bench`, and
writes one result per benchmark with every database in it (and, for a script with a `markdown(report)`, a
Markdown table beside the JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

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
    tmp: Path | None = None  # the scratch folder (the keyring is in it; a script may keep files there)

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

    def server_env(self, **extra: str) -> dict[str, str]:
        """The environment for a process of its own (a `utvei serve`) on the scratch database with the throwaway
        keyring and this process's secret key, so sessions made here are valid there. Not demo mode."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("UTVEI_")}
        env.update(
            DATABASE_URL=scratch_database_url(),
            UTVEI_KEYRING=str(settings.UTVEI_KEYRING),
            UTVEI_KEYSTORE=str(settings.UTVEI_KEYSTORE),
            UTVEI_SECRET_KEY=str(settings.SECRET_KEY),
            UTVEI_VAR=str(self.tmp) if self.tmp else str(settings.VAR_DIR),
            UTVEI_DEMO="0",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra)
        return env


def scratch_database_url() -> str:
    """The scratch database as a DATABASE_URL (the connection must already point at it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    base = os.environ.get("DATABASE_URL", "")
    if base:  # keep user, password, host, port and options; only the database name changes
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(str(db["NAME"])), parts.query, parts.fragment))
    user = quote(str(db.get("USER") or ""))
    password = f":{quote(str(db['PASSWORD']))}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or ''}:{db['PORT']}" if db.get("PORT") else str(db.get("HOST") or "")
    return f"postgres://{user}{password}@{host}/{quote(str(db['NAME']))}"


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
    # A name of this run's own on PostgreSQL: two benches on one server (two engineers) never drop each other's.
    name = str(tmp / "bench.sqlite3") if connection.vendor == "sqlite" else f"{db['NAME']}_bench_{os.getpid()}"
    db["TEST"] = {**saved_test, "NAME": name}
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    keyring = tmp / "keyring.json"
    crypto.generate_keyring(keyring)
    try:
        with override_settings(
            UTVEI_KEYRING=str(keyring),
            UTVEI_KEYSTORE=str(tmp / "keystore.sqlite3"),  # the throwaway keyring's data keys (docs/encryption.md)
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
    sys.modules[spec.name] = module  # dataclasses (and pickling) look a script's module up by name
    spec.loader.exec_module(module)
    return module


def combine(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One benchmark's reports from one or more databases as one: the machine once, then each database's results."""
    first = reports[0]
    per_db = ("database", "database_version")
    return {
        "benchmark": first["benchmark"],
        "description": first["description"],
        "size": first["size"],
        "measured_at": first["measured_at"],
        "duration_s": round(sum(r["duration_s"] for r in reports), 1),
        "machine": {k: v for k, v in first["machine"].items() if k not in per_db},
        "databases": [
            {
                **{k: r["machine"].get(k, "") for k in per_db},
                "measured_at": r["measured_at"],
                "duration_s": r["duration_s"],
                "results": r["results"],
            }
            for r in reports
        ],
    }


def database_url(name: str, tmp: Path) -> str:
    """`sqlite`, `postgresql` (UTVEI_BENCH_PG_URL, or the local cluster) or a DATABASE_URL as it is."""
    if name == "sqlite":
        return f"sqlite:///{tmp / 'unused.sqlite3'}"  # only its scratch copy (a temporary file) is ever used
    if name in {"postgresql", "postgres", "pg"}:
        return os.environ.get("UTVEI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/utvei")
    return name


class Command(BaseCommand):
    help = "Run the benchmarks in bench/ on a scratch database; write bench/results/<name>.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=SIZES, default="small", help="small (quick) or full (the README's sizes)")
        parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
        parser.add_argument("--dir", default=None, help="the bench folder (default: bench/ in the project)")
        parser.add_argument("--no-write", action="store_true", help="print the results, write no files")
        parser.add_argument(
            "--databases",
            default="",
            help="run everything once per database, comma-separated: sqlite, postgresql (UTVEI_BENCH_PG_URL or "
            "postgres://postgres@127.0.0.1:5432/utvei) or a DATABASE_URL; one result file per benchmark",
        )
        parser.add_argument("--json-out", default=None, help=argparse.SUPPRESS)  # a child of --databases

    def handle(self, *args: Any, **opts: Any) -> None:
        bench_dir = Path(opts["dir"] or Path(settings.PROJECT_DIR) / "bench")
        scripts = sorted(bench_dir.glob("bench_*.py"))
        if opts["only"]:
            scripts = [s for s in scripts if s.stem.removeprefix("bench_") in opts["only"]]
        if not scripts:
            raise CommandError(f"no benchmarks to run in {bench_dir}")
        if opts["databases"]:
            self.run_per_database(bench_dir, scripts, opts)
            return
        reports: list[dict[str, Any]] = []

        def done(script: Path, report: dict[str, Any]) -> None:
            reports.append(report)
            if opts["json_out"]:  # a child of --databases: hand the reports to the parent, each as it is done
                Path(opts["json_out"]).write_text(json.dumps(reports, ensure_ascii=False), encoding="utf-8")
                return
            module = load_script(script)
            self.write(bench_dir, module, combine([report]) if hasattr(module, "markdown") else report, opts)

        self.run_scripts(scripts, opts["size"], done)

    def run_scripts(self, scripts: list[Path], size: str, done: Callable[[Path, dict[str, Any]], None]) -> None:
        ctx = BenchContext(size=size, log=lambda msg: self.stdout.write(f"    {msg}"))
        with tempfile.TemporaryDirectory(prefix="utvei-bench-") as tmp, scratch_environment(Path(tmp)):
            ctx.tmp = Path(tmp)
            machine = machine_info()
            for script in scripts:
                name = script.stem.removeprefix("bench_")
                module = load_script(script)
                self.stdout.write(f"{name}: {(module.__doc__ or '').strip().splitlines()[0]} [{machine['database']}]")
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
                self.stdout.write(f"    done ({report['duration_s']} s)")
                done(script, report)

    def run_per_database(self, bench_dir: Path, scripts: list[Path], opts: dict[str, Any]) -> None:
        """Each database in a child `utvei bench` (Django has one default database per process); then one result
        per benchmark with every database that finished in it."""
        collected: dict[str, list[dict[str, Any]]] = {}
        failed = []
        with tempfile.TemporaryDirectory(prefix="utvei-bench-") as tmp:
            for i, name in enumerate(d.strip() for d in opts["databases"].split(",") if d.strip()):
                out = Path(tmp) / f"reports-{i}.json"
                command = [sys.executable, "-m", "utvei", "bench", "--size", opts["size"], "--dir", str(bench_dir)]
                for script in scripts:
                    command += ["--only", script.stem.removeprefix("bench_")]
                command += ["--json-out", str(out)]
                env = {**os.environ, "DATABASE_URL": database_url(name, Path(tmp))}
                label = name if "://" not in name else urlsplit(name).scheme
                self.stdout.write(f"== {label} ==")
                self.stdout.flush()
                if subprocess.run(command, env=env, check=False).returncode != 0:
                    failed.append(label)
                if out.exists():  # what finished, also when a later benchmark failed
                    for report in json.loads(out.read_text(encoding="utf-8")):
                        collected.setdefault(report["benchmark"], []).append(report)
        for script in scripts:
            reports = collected.get(script.stem.removeprefix("bench_"))
            if reports:
                self.write(bench_dir, load_script(script), combine(reports), opts)
        if failed:
            raise CommandError(f"the benchmarks failed on: {', '.join(failed)} (the others' results are written)")

    def write(self, bench_dir: Path, module: ModuleType, report: dict[str, Any], opts: dict[str, Any]) -> None:
        text = json.dumps(report, indent=2, ensure_ascii=False)
        table = module.markdown(report) if hasattr(module, "markdown") else None
        if opts["no_write"]:
            self.stdout.write(text)
            if table:
                self.stdout.write(table)
            return
        out_dir = bench_dir / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{report['benchmark']}.json"
        path.write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"    -> {path}")
        if table:
            (out_dir / f"{report['benchmark']}.md").write_text(table, encoding="utf-8")
            self.stdout.write(f"    -> {out_dir / (report['benchmark'] + '.md')}")
