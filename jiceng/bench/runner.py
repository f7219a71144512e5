"""The benchmark runner: gunicorn with production settings, a bounded load from threads, the numbers.

Each page is loaded `--requests` times by `--clients` concurrent clients (http.client, one connection
per request as gunicorn's sync workers close them), right after its bare baseline (jiceng.bench.baselines)
doing the same indexed query, so a ratio shows what is ours and not the machine's. Queries per request
come from a separate in-process test client under CaptureQueriesContext.

It reads whatever database DATABASE_URL names (filled once by `manage.py generate_scale`), never
regenerates it, and writes only one session row for each user it loads pages as (`bench`, and the
generated auditor for the ledger page). `--only` picks endpoints (and
the `ledger` and `import` sections) by key; `--out FILE` writes the Markdown block there instead of
docs/performance.md.
"""

import argparse
import hashlib
import http.client
import importlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    cpu_ms: float = 0.0  # our CPU per request in one process (cpu_ms()), the page's
    baseline_cpu_ms: float | None = None  # and its baseline's


def _get(port: int, url: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def _concurrently(port: int, url: str, cookie: str, requests: int, clients: int) -> tuple[list[float], set[int], float]:
    """`requests` requests from `clients` threads: their times (ms), statuses and the wall time (s)."""
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
    return times, statuses, time.perf_counter() - started


def load(port: int, url: str, cookie: str, requests: int, clients: int) -> Load:
    # Warm-up from every client at once, so that each worker has served the URL before it is timed:
    # one after another, the requests went to one worker, and the other's first request (its imports,
    # URL resolver and templates: about a second) landed in the first baseline measured.
    _concurrently(port, url, cookie, min(max(5, 2 * clients), requests), clients)
    times, statuses, wall = _concurrently(port, url, cookie, requests, clients)
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


def machine_reference() -> str:
    """CPU seconds of two fixed workloads, so runs on different machines can be compared.

    Each session's machine is a new one of the same size, and they are not equally fast: a page's
    p95 only means something beside the same machine's reference (and its baseline).
    """
    # Allocation-heavy, as the pages and the import are: a tight arithmetic loop ran 2.7x faster
    # within an hour on one machine while its allocation-heavy work did not.
    started = time.process_time()
    table = {str(i): (i, str(i)) for i in range(2_000_000)}
    python_s = time.process_time() - started
    del table
    started = time.process_time()
    hashlib.sha256(bytes(256 * 2**20)).digest()
    sha_s = time.process_time() - started
    return f"2 M Python dict entries {python_s:.2f} s CPU, SHA-256 of 256 MB {sha_s:.2f} s CPU"


@dataclass
class CpuClock:
    """A reading of the machine's CPU time accounts (/proc/stat, in clock ticks) and the wall clock."""

    wall_s: float
    accounted: int  # ticks the kernel booked to any state, steal included
    steal: int  # ticks the hypervisor ran something else while this machine wanted to run


def cpu_clock(stat: str | None = None) -> CpuClock:
    fields = [int(v) for v in (stat or Path("/proc/stat").read_text()).splitlines()[0].split()[1:9]]
    return CpuClock(time.monotonic(), sum(fields), fields[7])


def withheld_cpu(before: CpuClock, after: CpuClock, cpus: int | None = None, hz: int | None = None) -> str:
    """How much of the machine's CPU the host did not give it between two readings.

    On a shared virtual machine, time the hypervisor gives to others shows as steal, or not at all:
    on the seventh session's machine two thirds of the ticks two CPUs should count in ten seconds were
    never booked to any state. Both slow every figure of a run without showing in its own numbers.
    """
    elapsed_s = after.wall_s - before.wall_s
    if elapsed_s < 1:  # ticks come 100 a second: a shorter span would give a share of nothing
        return "not measured"
    expected = elapsed_s * (cpus or os.cpu_count() or 1) * (hz or os.sysconf("SC_CLK_TCK"))
    steal = (after.steal - before.steal) / expected
    unbooked = max(0.0, 1 - (after.accounted - before.accounted) / expected)
    return f"steal {steal:.0%}, never booked {unbooked:.0%} of {expected:,.0f} CPU ticks"


def cpu_ms(client: Any, url: str, requests: int) -> float:
    """Our CPU per request, in this process through the test client (no HTTP, no other process).

    Steadier than wall time on a shared machine, and without PostgreSQL's share: what a page costs
    in Python against what its baseline costs, whatever the load.
    """
    client.get(url)
    started = time.process_time()
    for _ in range(requests):
        client.get(url)
    return (time.process_time() - started) / requests * 1000


def markdown(title: str, rows: list[Row], extra: dict[str, str]) -> str:
    out = [f"### {title}", ""]
    if rows:  # none when only the ledger or the import was asked for
        out += [
            "| endpoint | queries | median ms | p95 ms | req/s | baseline median ms | baseline p95 ms | baseline req/s"
            " | throughput vs baseline | CPU ms, page / baseline |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(_table_row(r) for r in rows),
            "",
        ]
    out += [f"- {k}: {v}" for k, v in extra.items()]
    return "\n".join(out) + "\n"


def _table_row(r: Row) -> str:
    bad = "" if r.page.statuses == {200} else f" (HTTP {sorted(r.page.statuses)})"
    b = r.baseline
    base = f"{b.median_ms:.1f} | {b.p95_ms:.1f} | {b.per_second:.1f} | {r.page.per_second / b.per_second:.0%}" if b else "– | – | – | –"
    cpu = f"{r.cpu_ms:.1f} / {r.baseline_cpu_ms:.1f}" if r.baseline_cpu_ms is not None else f"{r.cpu_ms:.1f} / –"
    return f"| {r.name} `{r.url}`{bad} | {r.queries} | {r.page.median_ms:.1f} | {r.page.p95_ms:.1f} | {r.page.per_second:.1f} | {base} | {cpu} |"


def write_doc(label: str, text: str, doc_path: Path = DOC) -> None:
    """Replace this label's block in the document (docs/performance.md by default), or append it."""
    start, end = f"<!-- bench:{label} -->", f"<!-- /bench:{label} -->"
    block = f"{start}\n{text}{end}"
    doc = doc_path.read_text() if doc_path.exists() else "# Performance\n"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    doc_path.write_text(doc)


@dataclass(frozen=True)
class Endpoint:
    key: str  # what --only names
    name: str
    url: str
    baseline: str | None
    user: str = ""  # who loads the page, when not the run's user


@dataclass(frozen=True)
class Targets:
    """Concrete objects in the bench user's scope that the detail pages and dashboards need."""

    root: Any
    town: Any
    village: Any | None
    decision_pk: int | None
    top: Any | None = None  # the city or province above the districts, when there is one
    town_bbox: str = ""  # west,south,east,north of the town's grids: one view of the public map
    auditor: str = ""  # the generated audit administrator's username, when the database has one


def endpoints(t: Targets) -> list[Endpoint]:
    p = f"?path={t.root.path}"
    out = [
        # The fixed cost of any logged-in page: session, user and grants, the middleware and the layout
        # around a few words of content (the page after a password change), against an empty response.
        Endpoint("floor", "floor: logged-in layout, no content", "/password/done/", "/_bench/empty/"),
        Endpoint("tree", "organization tree", "/orgs/", "/_bench/tree/"),
        Endpoint("members", "member list", "/orgs/members/", f"/_bench/members/{p}"),
        Endpoint("search", "member search", "/orgs/members/?q=%E9%99%88", f"/_bench/members/{p}&q=%E9%99%88"),
        # Pinyin initials: c finds the same members as 陈 (no other generated surname reads c), through
        # the (branch, name_initials) index instead of (branch, name).
        Endpoint("search-latin", "member search (initials)", "/orgs/members/?q=c", f"/_bench/members/{p}&q=c"),
        Endpoint("people", "people list", "/orgs/people/", f"/_bench/people/{p}"),
        Endpoint("decisions", "decision list", "/decisions/", f"/_bench/decisions/{p}"),
        Endpoint("needs", "needs board", "/needs/queue/", f"/_bench/needs/{p}"),
        Endpoint("cases", "case list", "/grid/cases/", f"/_bench/cases/{p}"),
        # The map takes a town or village, not the district: the first town's grids.
        Endpoint("map", "grid map data (one town)", f"/grid/map/grids.geojson?org={t.town.pk}", f"/_bench/grids/?path={t.town.path}"),
        Endpoint("grids", "grid list", "/grid/", f"/_bench/grid-list/{p}"),
    ]
    if t.auditor:
        # Only an audit administrator reads the ledger (三权分立), and `bench` keeps its one grant: the
        # generated auditor on the top node loads it, whoever the run's user is.
        out.append(Endpoint("ledger-page", "audit ledger (root auditor)", "/audit/", "/_bench/ledger/", t.auditor))
    if t.decision_pk is not None:
        out.append(Endpoint("decision", "decision detail", f"/decisions/{t.decision_pk}/", f"/_bench/decisions/{t.decision_pk}/"))
    if t.town_bbox:
        # The resident's map at one town's view: no session, no baseline (no bare equivalent that is not the same query).
        out.append(Endpoint("public-map", "public map (one town's view)", f"/p/cases/grids.geojson?bbox={t.town_bbox}", None))
    # Dashboards: the baseline is only the four scoped counts a board starts from.
    levels = [(t.top.kind, t.top) if t.top is not None else ("", None), ("district", t.root), ("town", t.town), ("village", t.village)]
    for level, org in levels:
        if org is not None:
            url = f"/dashboard/org/{org.pk}/"
            out.append(Endpoint(f"dashboard-{level}", f"dashboard ({level})", url, f"/_bench/counts/?path={org.path}"))
    # The JSON API with the same session (GET needs no CSRF token): the list baselines apply as they are.
    for key, base in (("members", "members"), ("cases", "cases"), ("needs", "needs"), ("decisions", "decisions")):
        out.append(Endpoint(f"api-{key}", f"API {key} list", f"/api/v1/{key}", f"/_bench/{base}/{p}"))
    return out


def targets() -> Targets:
    """The first district, its first town and village, and the first decision under that district."""
    from django.db.models import Max, Min

    from jiceng.accounts.models import User
    from jiceng.bench.generate import BENCH_AUDITOR_USERNAME
    from jiceng.decisions.models import Decision
    from jiceng.grid.models import Grid
    from jiceng.orgs.models import Organization, OrgKind

    # by kind, not depth: at city and province scale the districts sit under a city (generate.py)
    root = Organization.objects.filter(kind=OrgKind.DISTRICT).order_by("path").first()
    assert root is not None
    town = Organization.objects.filter(depth=root.depth + 1, path__startswith=root.path).order_by("path").first()
    assert town is not None
    village = Organization.objects.filter(kind=OrgKind.VILLAGE, path__startswith=town.path).order_by("path").first()
    decision = Decision.objects.filter(village__path__startswith=root.path).order_by("pk").values_list("pk", flat=True).first()
    top = Organization.objects.filter(kind__in=(OrgKind.PROVINCE, OrgKind.CITY), depth=1).order_by("path").first()
    box = Grid.objects.filter(village__path__startswith=town.path).aggregate(
        w=Min("min_lng"), s=Min("min_lat"), e=Max("max_lng"), n=Max("max_lat")
    )
    bbox = ",".join(str(box[k]) for k in "wsen") if None not in box.values() else ""
    auditor = BENCH_AUDITOR_USERNAME if User.objects.filter(username=BENCH_AUDITOR_USERNAME).exists() else ""
    return Targets(root, town, village, decision, top, bbox, auditor)


def pick(all_endpoints: list[Endpoint], only: str) -> tuple[list[Endpoint], set[str]]:
    """The endpoints and sections named by --only (comma-separated keys; empty = everything)."""
    sections = {"ledger", "import"}
    if not only:
        return all_endpoints, sections
    keys = {k.strip() for k in only.split(",") if k.strip()}
    known = {e.key for e in all_endpoints} | sections
    if unknown := keys - known:
        raise SystemExit(f"--only: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    return [e for e in all_endpoints if e.key in keys], keys & sections


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function of a bench module another change may add, rename or drop: None if it is not there."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def ledger_lines() -> dict[str, str]:
    from jiceng.bench.ledger import measure

    return measure(workers=2)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiceng.bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--cpu-requests", type=int, default=50, help="requests per endpoint for the in-process CPU column")
    parser.add_argument("--label", default="", help="block name in the document (default: the database name)")
    parser.add_argument("--only", default="", help="comma-separated endpoint keys, and/or the sections ledger, import (default: all)")
    parser.add_argument("--out", type=Path, default=DOC, help="Markdown file whose block is rewritten (default: docs/performance.md)")
    parser.add_argument("--no-doc", action="store_true", help="print the block only")
    parser.add_argument("--user", default="", help="who loads the pages (default: the generated `bench` user, one grant on the top node)")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "jiceng.bench.settings"
    os.environ["JICENG_BENCH"] = "1"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from jiceng.accounts.models import User
    from jiceng.bench.generate import BENCH_USERNAME

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL to a database filled by generate_scale.", file=sys.stderr)
        return 2
    user = User.objects.filter(username=args.user or BENCH_USERNAME).first()
    if user is None:
        print("No benchmark user: run `manage.py generate_scale` on this database first.", file=sys.stderr)
        return 2
    label = args.label or str(settings.DATABASES["default"]["NAME"])
    found = targets()
    chosen, sections = pick(endpoints(found), args.only)
    if found.top is not None and not user.grants.filter(organization=found.top).exists():
        # A district's admin cannot open the city's or province's dashboard: a 404 is not a measurement.
        chosen = [e for e in chosen if e.key != f"dashboard-{found.top.kind}"]

    rows: list[Row] = []
    clock = cpu_clock()
    extra: dict[str, str] = {"machine reference, before": machine_reference()}
    if chosen:
        rows, rss = measure(chosen, user, args)
        extra["peak RSS of a gunicorn worker (VmHWM)"] = f"{rss:.0f} MB"
        extra["load"] = f"{args.requests} requests per endpoint, {args.clients} concurrent clients, {args.workers} gunicorn sync workers"
    if "ledger" in sections:
        extra = {**ledger_lines(), **extra}
    imported = ""
    if "import" in sections and (run_import := _optional("jiceng.bench.import_bench", "run")) is not None:
        imported = "\n" + str(run_import())
        # The import is rolled back: its dead rows and cleared visibility map would slow the next run's
        # counts (the member baseline went 11 -> 125 ms), so clean up as autovacuum would, only sooner.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) orgs_person, orgs_member")
    # The machine's speed can change during a run: measured again at the end.
    extra["machine reference, after"] = machine_reference()
    # A run the host withheld CPU from measures the host, not us (docs/performance.md, Method).
    extra["CPU withheld by the host during the run"] = withheld_cpu(clock, cpu_clock())
    text = markdown(label, rows, extra) + imported
    print(text)
    if not args.no_doc:
        write_doc(label, text, args.out)
    return 0


def _session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def measure(chosen: list[Endpoint], user: Any, args: argparse.Namespace) -> tuple[list[Row], float]:
    """Load each endpoint (baseline first) on a gunicorn started here; queries from an in-process client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jiceng.accounts.models import User

    sessions: dict[str, tuple[str, Client]] = {}
    anonymous = Client()

    def session(e: Endpoint) -> tuple[str, Client]:
        """The cookie for the load and the in-process client for the count, one of each per user."""
        who = User.objects.get(username=e.user) if e.user else user
        if who.username not in sessions:
            # A page that fails still gets its row (with its HTTP status) rather than ending the run.
            counter = Client(raise_request_exception=False)
            counter.force_login(who)
            sessions[who.username] = (_session_cookie(who), counter)
        return sessions[who.username]

    def queries(counter: Client, url: str) -> int:
        # Warm first: the session row is renewed once a minute (jiceng/web/sessions.py), and minutes of
        # load separate one count from the next; the steady request is what is counted.
        counter.get(url)
        with CaptureQueriesContext(connection) as ctx:
            counter.get(url)
        return len(ctx.captured_queries)

    env = {**os.environ, "WHITENOISE_USE_FINDERS": "1"}
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "jiceng.wsgi", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)]
    proc = subprocess.Popen([*cmd, "--timeout", "300", "--log-level", "warning"], env=env, cwd=ROOT)
    rows: list[Row] = []
    try:
        _wait_up(args.port, proc)
        for e in chosen:
            cookie, counter = session(e)
            baseline = load(args.port, e.baseline, "", args.requests, args.clients) if e.baseline else None
            page = load(args.port, e.url, cookie, args.requests, args.clients)
            row = Row(e.name, e.url, page, baseline, queries(counter, e.url), cpu_ms(counter, e.url, args.cpu_requests))
            if e.baseline:
                row.baseline_cpu_ms = cpu_ms(anonymous, e.baseline, args.cpu_requests)
            rows.append(row)
            print(f"{e.name}: p95 {page.p95_ms:.1f} ms, {page.per_second:.1f} req/s, HTTP {sorted(page.statuses)}", file=sys.stderr)
        rss = _peak_rss_mb(proc.pid)
    finally:
        stop_server(proc)
    return rows, rss


def stop_server(proc: subprocess.Popen[bytes], grace_s: float = 30) -> None:
    """Stop gunicorn; on a starved machine its workers can take longer than the grace to finish."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
