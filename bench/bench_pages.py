"""Issue 11's pages over HTTP through the production server: p50/p95 per page, case-page throughput against a bare
logged-in view, the audit write's cost, audit verify speed and peak memory per worker, at 1,000 (small) and 10,000
and 100,000 (full) persons.

Data comes from the bulk writer of `utvei synth` (every case owned by Syntetisk kommune). For each size the bench
starts the production server, `utvei serve --workers <cores> --no-worker` (gunicorn, gthread), as a process of its
own on the scratch database with the throwaway keyring, outside demo mode (MFA is required, so every bench user has
TOTP set up), with the bench URLconf (utvei.tools.benchsite), which adds only `/bench/bare/`: a view that needs a
logged-in session and does nothing else. Sessions are made in the database and sent as the cookie; the API gets a
bearer token.

Latencies: one request at a time, each page followed by the bare view (interleaved, so drift hits both), after a
warm-up that reaches every worker; p50 and p95 over the runs. Throughput: N clients at once (N = 2 × workers) for a
few seconds, bare view and case pages (random cases) alternating three times; case pages per second as a share of
bare views per second. The audit write: a second server with UTVEI_BENCH_AUDIT_WRITE=0 (utvei/tools/benchsite/apps.py
turns the write into a no-op there) measures the case page and the case list again, and the throughput. Verify:
`audit_verify()` over the whole chain, in the bench process. Memory: peak RSS (VmHWM) of each worker when the
server has served everything. Targets (issue 11): p95 ≤ 50 ms at 100,000 persons, case-page throughput ≥ 40 % of
the bare view's, audit write ≤ 10 % of the case page, ≤ 250 MB peak RSS per worker. The client runs on the same
machine as the server and takes CPU from it: figures are for the whole machine, as a user of it would see them.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import math
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from utvei.accounts.models import Membership
from utvei.accounts.services import user_create
from utvei.api.models import ApiToken
from utvei.audit.models import Action, AuditEvent
from utvei.audit.services import audit_by, audit_verify
from utvei.cases import services as case_services
from utvei.cases.models import Case, Phase, TeamRole
from utvei.tools.management.commands import serve
from utvei.tools.synthetic import synth_bulk, synth_world

SIZES = {"small": [1000], "full": [10_000, 100_000]}
ROUNDS = {"small": 20, "full": 30}  # latency runs per page (fewer when a page's time budget runs out)
PAGE_BUDGET_S = {"small": 20, "full": 45}  # at most this long on one page's runs (the PDF), at least MIN_RUNS
MIN_RUNS = 5
LOAD_S = {"small": 3, "full": 5}  # seconds per throughput phase; three phases each of bare view and case pages
CASE_SAMPLE = 200  # the case page rotates over this many random cases

TARGET_P95_MS = 50
TARGET_PDF_P95_MS = 2000  # the PDF report: issue 10's target, 2 s at 100,000 persons
TARGET_CASE_PCT_OF_BARE = 40
TARGET_AUDIT_COST_PCT = 10
TARGET_PEAK_RSS_MB = 250
HOST = "127.0.0.1"
BARE = "/bench/bare/"


# ---- Users, sessions, tokens -----------------------------------------------------------------------------


def _member(username: str, org_slug: str, role: str) -> Membership:
    existing = Membership.objects.filter(user__username=username, organisation__slug=org_slug).first()
    m = existing or user_create(username=username, password="x" * 24, org_slug=org_slug, role=role, validate=False)
    if not Authenticator.objects.filter(user=m.user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(m.user, generate_totp_secret())  # outside demo mode these roles must have MFA
    return Membership.objects.select_related("user", "organisation").get(pk=m.pk)


def _cookie(ctx: Any, m: Membership) -> dict[str, str]:
    """A session in the database for this membership, as the browser's cookie header."""
    key = ctx.client(m).cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={key}"}


def _bearer(m: Membership) -> dict[str, str]:
    _, raw = ApiToken.issue(membership=m, expires_at=timezone.now() + dt.timedelta(hours=12))
    return {"Authorization": f"Bearer {raw}"}


# ---- HTTP ------------------------------------------------------------------------------------------------


def fetch(port: int, path: str, headers: dict[str, str], timeout: float = 300) -> tuple[int, float, bytes]:
    """One GET on a connection of its own (so requests spread over the workers, as a browser's would): status,
    milliseconds from sending to the last byte, body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        return response.status, (time.perf_counter() - start) * 1000, body
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(len(ordered) * q) - 1))] if ordered else float("nan")


def summary(times: list[float]) -> dict[str, Any]:
    return {
        "runs": len(times),
        "p50_ms": round(statistics.median(times), 2) if times else None,
        "p95_ms": round(percentile(times, 0.95), 2) if times else None,
        "max_ms": round(max(times), 2) if times else None,
    }


@dataclass
class Page:
    key: str
    label: str
    headers: dict[str, str]
    paths: list[str]  # one, or several to rotate over (the case page)
    target_ms: int | None = TARGET_P95_MS
    times: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    size: int = 0
    spent: float = 0.0

    def path(self, i: int) -> str:
        return self.paths[i % len(self.paths)]

    def hit(self, port: int, i: int) -> float:
        status, ms, body = fetch(port, self.path(i), self.headers)
        self.statuses.add(status)
        self.size = len(body)
        self.spent += ms / 1000
        if status == 200:
            self.times.append(ms)
        return ms

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "path": self.paths[0], **summary(self.times)}
        out["status"] = sorted(self.statuses)
        out["bytes"] = self.size
        if self.target_ms is not None:
            out["target_p95_ms"] = self.target_ms
            out["meets_target"] = out["p95_ms"] is not None and out["p95_ms"] <= self.target_ms
        return out


def warm(port: int, pages: list[Page], workers: int) -> None:
    """Every page a few times at once, so each worker has its templates, caches and kept figures."""
    for page in pages:
        threads = [threading.Thread(target=fetch, args=(port, page.path(i), page.headers)) for i in range(2 * workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def latencies(port: int, pages: list[Page], bare: Page, *, rounds: int, budget_s: float) -> None:
    """One request at a time: each page, then the bare view, round after round."""
    for i in range(rounds):
        for page in pages:
            if i >= MIN_RUNS and page.spent > budget_s:
                continue
            page.hit(port, i)
            bare.hit(port, i)


def load(port: int, page: Page, *, seconds: float, clients: int) -> dict[str, Any]:
    """`clients` threads GET the page (rotating over its paths) for `seconds`: completed 200s and their times."""
    counter = itertools.count()
    lock = threading.Lock()
    times: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter)
            try:
                status, ms, _ = fetch(port, page.path(i), page.headers, timeout=60)
            except OSError:
                bad += 1
                continue
            if status == 200:
                mine.append(ms)
            else:
                bad += 1
        with lock:
            times.extend(mine)
            errors.append(bad)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"requests": len(times), "errors": sum(errors), "seconds": elapsed, "times": times}


def throughput(port: int, bare: Page, case: Page, *, seconds: float, clients: int) -> dict[str, Any]:
    """Bare view and case pages under the same concurrent load, alternating three times."""
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "case_page": []}
    for _ in range(3):
        runs["bare"].append(load(port, bare, seconds=seconds, clients=clients))
        runs["case_page"].append(load(port, case, seconds=seconds, clients=clients))
    out: dict[str, Any] = {"clients": clients, "seconds_per_phase": seconds, "phases": 3}
    for key, parts in runs.items():
        n = sum(p["requests"] for p in parts)
        secs = sum(p["seconds"] for p in parts)
        times = [t for p in parts for t in p["times"]]
        out[key] = {
            "requests": n,
            "errors": sum(p["errors"] for p in parts),
            "per_s": round(n / secs, 1) if secs else 0.0,
            **{k: v for k, v in summary(times).items() if k != "runs"},
        }
    bare_rate = out["bare"]["per_s"]
    out["case_pct_of_bare"] = round(100 * out["case_page"]["per_s"] / bare_rate, 1) if bare_rate else None
    out["target_pct"] = TARGET_CASE_PCT_OF_BARE
    out["meets_target"] = out["case_pct_of_bare"] is not None and out["case_pct_of_bare"] >= TARGET_CASE_PCT_OF_BARE
    return out


# ---- The server --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the gunicorn master's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> dict[str, Any]:
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmHWM", "VmRSS"}:
                fields[name] = round(int(value.split()[0]) / 1024, 1)  # kB
    except OSError:
        pass
    return {"pid": pid, "peak_rss_mb": fields.get("VmHWM"), "rss_mb": fields.get("VmRSS")}


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def memory(self) -> list[dict[str, Any]]:
        return [memory_mb(pid) for pid in self.workers()]


@contextmanager
def serving(ctx: Any, *, workers: int, audit_write: bool = True) -> Iterator[Server]:
    """`utvei serve` on the scratch database, as production runs it, with the bench URLconf."""
    port = _free_port()
    assert ctx.tmp is not None
    log = Path(ctx.tmp) / f"serve-{port}.log"
    env = ctx.server_env(
        DJANGO_SETTINGS_MODULE="utvei.tools.benchsite.settings", UTVEI_BENCH_AUDIT_WRITE="1" if audit_write else "0"
    )
    command = [sys.executable, "-m", "utvei", "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--no-worker"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"utvei serve stopped (exit {process.returncode}):\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"utvei serve did not answer in 120 s:\n{log.read_text()[-3000:]}")
            try:
                ready = fetch(port, "/healthz", {}, timeout=10)[0] == 200 and len(server.workers()) >= workers
            except OSError:
                ready = False
            if ready:
                break
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---- The run -----------------------------------------------------------------------------------------------


def last_page_path(port: int, headers: dict[str, str]) -> str:
    """The case list's last page as its own pager links to it: «Oldest» (`?at=oldest`, keyset pages) or the last
    page number («Page 1 of N», numbered pages)."""
    status, _, body = fetch(port, "/cases/", headers)
    if status == 200 and re.search(rb"[?&;]at=oldest", body):
        return "/cases/?at=oldest"
    match = re.search(rb'aria-current="page">[^<]*?(\d+)\s*</span>', body) if status == 200 else None
    return f"/cases/?page={int(match.group(1)) if match else 1}"


def _pct(more: float | None, less: float | None) -> float | None:
    """How much of `more` is the difference to `less`, in per cent."""
    return round(100 * (more - less) / more, 1) if more and less is not None else None


def audit_events_of(port: int, page: Page) -> int:
    """How many audit events one GET of the page appends."""
    before = AuditEvent.objects.count()
    fetch(port, page.path(0), page.headers)
    return AuditEvent.objects.count() - before


def audit_cost(
    port_a: int,
    port_b: int,
    headers: dict[str, str],
    case_paths: list[str],
    *,
    rounds: int,
    seconds: float,
    clients: int,
) -> dict[str, Any]:
    """The case page and the case list on A (audit write) and B (none), request by request in pairs, which of the
    two goes first drawn at random; then the case-page throughput on A and B, phase by phase, likewise. The machine
    is shared: pairing and shuffling spread whatever else runs on it over both."""
    pairs = {
        key: (Page(key, key, headers, paths), Page(key, key, headers, paths))
        for key, paths in (("case_page", case_paths), ("case_list", ["/cases/"]))
    }
    warm(port_b, [pb for _, pb in pairs.values()], clients // 2)  # A is warm already
    order = random.Random(5)
    for i in range(rounds):
        for pa, pb in pairs.values():
            for page, port in order.sample([(pa, port_a), (pb, port_b)], 2):
                page.hit(port, i)
    out: dict[str, Any] = {}
    for key, (pa, pb) in pairs.items():
        with_, without = pa.result()["p50_ms"], pb.result()["p50_ms"]
        out[f"{key}_p50_ms"] = {"with": with_, "without": without}
        out[f"{key}_p50_cost_pct"] = _pct(with_, without)
    case_a, case_b = pairs["case_page"]
    rates: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
    for _ in range(3):
        for key, port, page in order.sample([("with", port_a, case_a), ("without", port_b, case_b)], 2):
            rates[key].append(load(port, page, seconds=seconds, clients=clients))
    per_s = {k: round(sum(r["requests"] for r in v) / sum(r["seconds"] for r in v), 1) for k, v in rates.items()}
    out["case_page_per_s"] = per_s
    out["case_page_throughput_cost_pct"] = _pct(per_s["without"], per_s["with"])
    out["target_pct"] = TARGET_AUDIT_COST_PCT
    costs = [out["case_page_p50_cost_pct"], out["case_page_throughput_cost_pct"]]
    out["meets_target"] = all(c is not None and c <= TARGET_AUDIT_COST_PCT for c in costs)
    out["summary"] = f"costs the case page {costs[0]} % of its p50 and {costs[1]} % of its throughput"
    return out


def run(ctx: Any) -> dict[str, Any]:
    world = synth_world()
    coord = _member(world.coordinator.user.username, world.coordinator.organisation.slug, "coordinator")
    org = coord.organisation
    analyst = _member("synth-analytiker", org.slug, "analyst")
    caseworker = _member("bench-saksbehandler", org.slug, "caseworker")
    workers = serve.default_workers()
    rng = random.Random(11)
    rows = []
    have = 0
    for n in ctx.pick(SIZES):
        start = time.perf_counter()
        synth_bulk(world=world, persons=n - have, rng=rng)
        have = n
        generated = time.perf_counter() - start
        cases = Case.objects.filter(owning_org=org)
        if not caseworker.user.case_teams.exists():  # the caseworker's two cases, once
            for case in cases.exclude(phase=Phase.CLOSED).order_by("pk")[:2]:
                case_services.team_add(
                    actor=coord, case=case, user=caseworker.user, organisation=org, role=TeamRole.CASEWORKER
                )
        ctx.log(f"{n} persons ({generated:.0f} s to generate)")

        started = time.perf_counter()
        verified = audit_verify()
        verify_s = time.perf_counter() - started
        verify = {
            "events": verified.checked,
            "ok": verified.ok,
            "seconds": round(verify_s, 2),
            "events_per_s": round(verified.checked / verify_s) if verify_s else None,
        }
        ctx.log(f"audit verify: {verified.checked} events in {verify_s:.1f} s")
        # The write itself, in this process, for comparison with what it costs a page over HTTP.
        record_cost = ctx.measure(
            lambda: audit_by(coord, Action.CASE_LIST, object_type="case", reason="bench"), repeat=50
        )

        ids = list(cases.values_list("public_id", flat=True))
        sample = rng.sample(ids, min(CASE_SAMPLE, len(ids)))
        reference = Case.objects.get(public_id=sample[0]).reference
        as_coord, as_analyst = _cookie(ctx, coord), _cookie(ctx, analyst)
        bare = Page("bare", "bare logged-in view", as_coord, [BARE], target_ms=None)
        case_paths = [reverse("case_detail", args=[pid]) for pid in sample]

        row: dict[str, Any] = {
            "persons": n,
            "cases": len(ids),
            "audit_events": AuditEvent.objects.count(),
            "generate_s": round(generated, 1),
            "workers": workers,
            "threads_per_worker": serve.THREADS,
            "verify": verify,
        }
        # Two servers side by side: A as production, B with the audit write turned off. Only one is ever asked
        # at a time; B waits idle while A is measured, and the audit comparison alternates between them, so
        # whatever else the machine is doing falls on both alike.
        with serving(ctx, workers=workers) as a, serving(ctx, workers=workers, audit_write=False) as b:
            boot = {"a": a.memory(), "b": b.memory()}
            pages = [
                Page("case_list", "case list", as_coord, ["/cases/"]),
                Page("case_list_last", "case list, last page", as_coord, [last_page_path(a.port, as_coord)]),
                Page("case_lookup", "lookup by reference", as_coord, [f"/cases/?ref={reference}"]),
                Page("case_list_caseworker", "case list, caseworker on 2 cases", _cookie(ctx, caseworker), ["/cases/"]),
                Page("dashboard", "dashboard (start page)", as_coord, [reverse("dashboard")]),
                Page("case_page", "case page", as_coord, case_paths),
                Page("api_case_list", "API case list", _bearer(coord), ["/api/v1/cases/"]),
                Page("analytics", "analytics (analyst)", as_analyst, [reverse("analytics")]),
                Page(
                    "analytics_report", "evaluation report, HTML (analyst)", as_analyst, [reverse("analytics_report")]
                ),
                Page(
                    "analytics_report_pdf",
                    "evaluation report, PDF (analyst)",
                    as_analyst,
                    [reverse("analytics_report_pdf")],
                    target_ms=TARGET_PDF_P95_MS,
                ),
                Page("api_analytics", "API analytics (analyst)", _bearer(analyst), ["/api/v1/analytics/"]),
            ]
            by_key = {p.key: p for p in pages}
            row["audit_events_per_request"] = {
                key: audit_events_of(a.port, by_key[key]) for key in ("case_page", "case_list", "dashboard")
            }
            warm(a.port, [bare, *pages], workers)
            latencies(a.port, pages, bare, rounds=ctx.pick(ROUNDS), budget_s=ctx.pick(PAGE_BUDGET_S))
            row["pages"] = {p.key: p.result() for p in [bare, *pages]}
            failing = [key for key, r in row["pages"].items() if r["status"] != [200]]
            if failing:  # keep what the server said about it (the scratch folder, and its log, goes)
                row["failing_pages"] = failing
                row["server_log_tail"] = a.log.read_text(errors="replace")[-6000:]
                ctx.log("NOT 200: " + ", ".join(f"{k} {row['pages'][k]['status']}" for k in failing))
            for key, r in row["pages"].items():
                ctx.log(f"{key}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms")
            load_s, clients = ctx.pick(LOAD_S), 2 * workers
            row["throughput"] = throughput(a.port, bare, by_key["case_page"], seconds=load_s, clients=clients)
            t = row["throughput"]
            ctx.log(f"throughput: bare {t['bare']['per_s']}/s, case page {t['case_page']['per_s']}/s")

            row["audit_write"] = audit_cost(
                a.port, b.port, as_coord, case_paths, rounds=2 * ctx.pick(ROUNDS), seconds=load_s, clients=clients
            )
            row["audit_write"]["audit_by_in_process"] = record_cost
            ctx.log(f"audit write: {row['audit_write']['summary']}; in process {record_cost['median_ms']} ms")
            workers_a, workers_b = a.memory(), b.memory()

        peaks = [m["peak_rss_mb"] for m in workers_a + workers_b if m["peak_rss_mb"] is not None]
        row["memory"] = {
            "workers": workers_a,  # the server that served every page
            "workers_without_audit": workers_b,
            "after_boot": boot["a"],
            "peak_rss_mb_max": max(peaks) if peaks else None,
            "target_mb": TARGET_PEAK_RSS_MB,
            "meets_target": bool(peaks) and max(peaks) <= TARGET_PEAK_RSS_MB,
        }
        ctx.log(f"peak RSS per worker: {[m['peak_rss_mb'] for m in workers_a]} MB (after boot {boot['a']})")
        rows.append(row)
    return {
        "server": f"utvei serve --workers {workers} --no-worker (gunicorn gthread, {serve.THREADS} threads each)",
        "viewers": "coordinator synth-koordinator (owns every case), caseworker bench-saksbehandler (on 2 cases), "
        "analyst synth-analytiker; MFA set up, not demo mode",
        "sizes": rows,
    }


# ---- The Markdown table ---------------------------------------------------------------------------------


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if isinstance(value, int) or (isinstance(value, float) and value >= 100) else f"{value:.1f}"
    return f"{text}{unit}"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def markdown(report: dict[str, Any]) -> str:
    """pages.md: page × (database, size) with p50 / p95, then throughput, audit, verify and memory lines."""
    columns: list[tuple[str, dict[str, Any]]] = []
    for db in report["databases"]:
        for row in db["results"]["sizes"]:
            columns.append((f"{db['database']} {row['persons']:,}", row))
    m = report["machine"]
    lines = [
        "# Pages over HTTP through the production server (issue 11)",
        "",
        f"`make bench` ({report['size']} size), measured {report['measured_at']} at commit {m.get('git_commit') or '?'}"
        f" in {report['duration_s']:.0f} s. Machine: {m.get('cpu_model') or '?'}, {m.get('cpu_count')} cores, "
        f"{m.get('memory')} memory; {m.get('platform')}; Python {m.get('python')}, Django {m.get('django')}; "
        + ", ".join(f"{db['database']} {db['database_version']}" for db in report["databases"])
        + ".",
        "",
        f"Server: {report['databases'][0]['results']['server']}. Client: Python http.client on the "
        "same machine, one request at a time for the latencies (each page followed by the bare view), "
        "2 × workers at once for the throughput. The audit write: a second server with the write turned off "
        "(UTVEI_BENCH_AUDIT_WRITE=0), asked in turn with the first. Times in ms, p50 / p95; ✓ / ✗ against the target.",
        "",
        'Each ✗: its profile and what would close it are in docs/scale.md, "Where the targets are still missed".',
        "",
        "| page | target p95 | " + " | ".join(name for name, _ in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    keys = list(columns[0][1]["pages"])
    for key in keys:
        first = columns[0][1]["pages"][key]
        target = first.get("target_p95_ms")
        cells = []
        for _, row in columns:
            p = row["pages"].get(key)
            if not p or p["p50_ms"] is None:
                cells.append(f"failed (HTTP {', '.join(map(str, p['status']))})" if p else "–")
                continue
            cells.append(f"{_num(p['p50_ms'])} / {_num(p['p95_ms'])}{_mark(p.get('meets_target'))}")
        label = f"{first['label']} `{first['path'] if key != 'case_page' else '/cases/<id>/'}`"
        lines.append(f"| {label} | {'–' if target is None else f'≤ {target:,}'} | " + " | ".join(cells) + " |")
    lines += ["", "| | target | " + " | ".join(name for name, _ in columns) + " |", "|---|---|" + "---|" * len(columns)]

    def line(label: str, target: str, cell: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {label} | {target} | " + " | ".join(cell(row) for _, row in columns) + " |")

    line(
        "case-page throughput, % of the bare view's",
        f"≥ {TARGET_CASE_PCT_OF_BARE} %",
        lambda r: (
            f"{_num(r['throughput']['case_pct_of_bare'], ' %')}{_mark(r['throughput']['meets_target'])} "
            f"({_num(r['throughput']['case_page']['per_s'])} / {_num(r['throughput']['bare']['per_s'])} req/s)"
        ),
    )

    def audit(cost: str, pair: str, unit: str, mark: bool = False) -> Callable[[dict[str, Any]], str]:
        def cell(r: dict[str, Any]) -> str:
            a = r["audit_write"]
            ok = _mark(a[cost] is not None and a[cost] <= TARGET_AUDIT_COST_PCT) if mark else ""
            return f"{_num(a[cost], ' %')}{ok} ({_num(a[pair]['with'])} / {_num(a[pair]['without'])} {unit})"

        return cell

    target = f"≤ {TARGET_AUDIT_COST_PCT} %"
    line(
        "audit write: case page p50 with / without",
        target,
        audit("case_page_p50_cost_pct", "case_page_p50_ms", "ms", mark=True),
    )
    line(
        "audit write: case-page throughput with / without",
        target,
        audit("case_page_throughput_cost_pct", "case_page_per_s", "req/s", mark=True),
    )
    line("audit write: case list p50 with / without", "", audit("case_list_p50_cost_pct", "case_list_p50_ms", "ms"))
    line(
        "audit write alone (one `audit_by` in the bench process), median / p95",
        "",
        lambda r: (
            f"{_num(r['audit_write']['audit_by_in_process']['median_ms'])} / "
            f"{_num(r['audit_write']['audit_by_in_process']['p95_ms'])} ms"
        ),
    )
    line(
        "audit verify (whole chain)",
        "",
        lambda r: (
            f"{_num(r['verify']['events_per_s'])} events/s ({r['verify']['events']:,} events, "
            f"{_num(r['verify']['seconds'])} s{'' if r['verify']['ok'] else ', BROKEN'})"
        ),
    )

    def rss(r: dict[str, Any]) -> str:
        mem = r["memory"]
        served = ", ".join(_num(w["peak_rss_mb"]) for w in mem["workers"])
        booted = ", ".join(_num(w["rss_mb"]) for w in mem["after_boot"])
        return (
            f"{_num(mem['peak_rss_mb_max'], ' MB')}{_mark(mem['meets_target'])} (each: {served}; after boot: {booted})"
        )

    line("peak RSS per worker after the benchmark", f"≤ {TARGET_PEAK_RSS_MB} MB", rss)
    line(
        "audit events per request: case page / case list / dashboard",
        "",
        lambda r: " / ".join(str(v) for v in r["audit_events_per_request"].values()),
    )
    line("persons / cases / audit events", "", lambda r: f"{r['persons']:,} / {r['cases']:,} / {r['audit_events']:,}")
    failed = [
        f"{name}: "
        + ", ".join(
            f"{k} (HTTP {', '.join(map(str, p['status']))})" for k, p in row["pages"].items() if p["status"] != [200]
        )
        for name, row in columns
        if any(p["status"] != [200] for p in row["pages"].values())
    ]
    if failed:
        lines += [
            "",
            "Pages that did not answer 200 (their figures are missing above; the server's log, where the run kept "
            "it, is in pages.json as `server_log_tail`): " + "; ".join(failed) + ".",
        ]
    return "\n".join(lines) + "\n"
