"""The benchmark runner: gunicorn with production settings, a bounded load from threads, the numbers.

Each page is loaded `--requests` times by `--clients` concurrent clients (http.client, one connection
per request as gunicorn's sync workers close them), right after its bare baseline (jiceng.bench.baselines)
doing the same indexed query, so a ratio shows what is ours and not the machine's. Queries per request
come from a separate in-process test client under CaptureQueriesContext.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"


@dataclass
class Load:
    median_ms: float
    p95_ms: float
    per_second: float
    statuses: set[int]


@dataclass
class Row:
    name: str
    url: str
    page: Load
    baseline: Load | None
    queries: int


def _get(port: int, url: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def load(port: int, url: str, cookie: str, requests: int, clients: int) -> Load:
    for _ in range(min(5, requests)):
        _get(port, url, cookie)
    times: list[float] = []
    statuses: set[int] = set()
    lock = threading.Lock()
    left = [requests]

    def client() -> None:
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            status, ms = _get(port, url, cookie)
            with lock:
                times.append(ms)
                statuses.add(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    times.sort()
    return Load(statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(times) / wall, statuses)


def _peak_rss_mb(master: int) -> float:
    """Largest VmHWM (peak resident set) among the gunicorn workers, from /proc."""
    peak = 0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def _wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        try:
            _get(port, "/healthz", "")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer on /healthz")


def markdown(title: str, rows: list[Row], extra: dict[str, str]) -> str:
    out = [
        f"### {title}",
        "",
        "| endpoint | queries | median ms | p95 ms | req/s | baseline median ms | baseline p95 ms | baseline req/s | throughput vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        bad = "" if r.page.statuses == {200} else f" (HTTP {sorted(r.page.statuses)})"
        b = r.baseline
        base = f"{b.median_ms:.1f} | {b.p95_ms:.1f} | {b.per_second:.1f} | {r.page.per_second / b.per_second:.0%}" if b else "– | – | – | –"
        out.append(
            f"| {r.name} `{r.url}`{bad} | {r.queries} | {r.page.median_ms:.1f} | {r.page.p95_ms:.1f} | {r.page.per_second:.1f} | {base} |"
        )
    out.append("")
    out += [f"- {k}: {v}" for k, v in extra.items()]
    return "\n".join(out) + "\n"


def write_doc(label: str, text: str) -> None:
    """Replace this label's block in docs/performance.md, or append it."""
    start, end = f"<!-- bench:{label} -->", f"<!-- /bench:{label} -->"
    block = f"{start}\n{text}{end}"
    doc = DOC.read_text() if DOC.exists() else "# Performance\n"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiceng.bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--label", default="", help="block name in docs/performance.md (default: the database name)")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.bench.settings"
    os.environ["JICENG_BENCH"] = "1"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jiceng.accounts.models import User
    from jiceng.audit.services import verify
    from jiceng.bench.generate import BENCH_USERNAME
    from jiceng.bench.ledger import verify_rows
    from jiceng.orgs.models import Organization

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL to a database filled by generate_scale.", file=sys.stderr)
        return 2
    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        print("No benchmark user: run `manage.py generate_scale` on this database first.", file=sys.stderr)
        return 2
    label = args.label or str(settings.DATABASES["default"]["NAME"])
    root = Organization.objects.filter(depth=1).order_by("path").first()
    town = Organization.objects.filter(depth=2).order_by("path").first()
    assert root is not None and town is not None
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    p = f"?path={root.path}"
    endpoints: list[tuple[str, str, str | None]] = [
        ("organization tree", "/orgs/", "/_bench/tree/"),
        ("member list", "/orgs/members/", f"/_bench/members/{p}"),
        ("member search", "/orgs/members/?q=%E9%99%88", f"/_bench/members/{p}&q=%E9%99%88"),
        ("decision list", "/decisions/", f"/_bench/decisions/{p}"),
        ("needs board", "/needs/queue/", f"/_bench/needs/{p}"),
        ("case list", "/grid/cases/", f"/_bench/cases/{p}"),
        # The map takes a town or village, not the district: the first town's grids.
        ("grid map data (one town)", f"/grid/map/grids.geojson?org={town.pk}", f"/_bench/grids/?path={town.path}"),
    ]

    counter = Client()
    counter.force_login(user)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            counter.get(url)
        return len(ctx.captured_queries)

    env = {**os.environ, "WHITENOISE_USE_FINDERS": "1"}
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "jiceng.wsgi", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)]
    proc = subprocess.Popen([*cmd, "--timeout", "300", "--log-level", "warning"], env=env, cwd=ROOT)
    rows: list[Row] = []
    try:
        _wait_up(args.port, proc)
        for name, url, base in endpoints:
            baseline = load(args.port, base, "", args.requests, args.clients) if base else None
            page = load(args.port, url, cookie, args.requests, args.clients)
            rows.append(Row(name, url, page, baseline, queries(url)))
            print(f"{name}: p95 {page.p95_ms:.1f} ms, {page.per_second:.1f} req/s", file=sys.stderr)
        rss = _peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    started = time.perf_counter()
    result = verify()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    raw_checked, raw_ok = verify_rows()
    raw_seconds = time.perf_counter() - started
    extra: dict[str, str] = {
        "audit-ledger verification": f"{result.checked:,} events in {seconds:.2f} s = {result.checked / seconds:,.0f} events/s (ok: {result.ok})",
        "same checks over raw rows, no ORM (jiceng/bench/ledger.py)": f"{raw_checked / raw_seconds:,.0f} events/s (ok: {raw_ok})",
        "peak RSS of a gunicorn worker (VmHWM)": f"{rss:.0f} MB",
        "load": f"{args.requests} requests per endpoint, {args.clients} concurrent clients, {args.workers} gunicorn sync workers",
    }
    text = markdown(label, rows, extra)
    print(text)
    if not args.no_doc:
        write_doc(label, text)
    return 0
