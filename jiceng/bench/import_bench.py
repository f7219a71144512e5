"""Import and export at 100k rows: `python -m jiceng.bench.import_bench [rows]` with DATABASE_URL set.

Works on a database filled by `manage.py generate_scale` (the `bench` user, its villages and their
branches). It writes a member file as .xlsx and CSV, then measures each against its bare read in
the same run: calamine over every cell (the reader the import uses; openpyxl read-only too, for
comparison), csv.reader over every row. The full import (validate and write, and on PostgreSQL the
deferred foreign-key checks a commit would run) happens inside a transaction that is rolled back,
so the database is unchanged and the run can be repeated (the dead rows it leaves are vacuumed
before the next import). Each phase runs in a forked child, so its peak RSS is its own.
"""

import csv
import functools
import io
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

CSV_ENCODING = "utf-8-sig"
STAGES = ("入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员")
ID_OFFSET = 90_000_000  # far above the generated people's sequence numbers


def _years(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def _bare(kind: str, data: bytes) -> dict[str, Any]:
    readers = {"xlsx": bare_xlsx, "xlsx (openpyxl)": bare_xlsx_openpyxl, "csv": bare_csv}
    return {"cells": readers[kind](data)}


def _rows(rows: int, within: str = "") -> tuple[list[str], list[list[Any]]]:
    """`rows` member rows spread over the villages under the path `within` (the importer's scope)."""
    from jiceng.bench.generate import GIVEN, SURNAMES, id_number, phone
    from jiceng.lib.validators import birth_date_from_id
    from jiceng.orgs.importing_files import COLUMNS
    from jiceng.orgs.models import Organization, OrgKind

    branches = {b.path[: -Organization.steplen]: b.code for b in Organization.objects.filter(kind=OrgKind.BRANCH).only("path", "code")}
    villages = Organization.objects.filter(kind=OrgKind.VILLAGE, path__startswith=within).order_by("path")
    places = [(v.code, branches[v.path]) for v in villages if v.path in branches]
    if not places:
        raise SystemExit("No villages with a branch: run `manage.py generate_scale --scale district` on this database first.")
    headers = [c.header for c in COLUMNS]
    out = []
    for i in range(rows):
        id_no = id_number(ID_OFFSET + i)
        born = birth_date_from_id(id_no)
        stage = i % len(STAGES)
        dates = [_years(born, 20 + step).isoformat() if step <= stage else "" for step in range(len(STAGES))]
        village, branch = places[i % len(places)]
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i // 7) % len(GIVEN)]
        gender = "男" if int(id_no[16]) % 2 else "女"
        values = [name, gender, id_no, phone(ID_OFFSET + i), "", "汉族", "本科", f"第{i % 50 + 1}巷{i % 97 + 1}号"]
        out.append([*values, village, branch, STAGES[stage], *dates, "", "", ""])
    return headers, out


def _xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人员导入")
    ws.append(headers)
    for row in rows:
        ws.append([v if v != "" else None for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(CSV_ENCODING)


def bare_xlsx(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = 0
    for row in workbook.get_sheet_by_index(0).iter_rows():
        cells += sum(1 for value in row if value != "")
    workbook.close()
    return cells


def bare_xlsx_openpyxl(data: bytes) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        cells += sum(1 for value in row if value is not None)
    wb.close()
    return cells


def bare_csv(data: bytes) -> int:
    return sum(len(row) for row in csv.reader(io.StringIO(data.decode(CSV_ENCODING), newline="")))


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> int:
    """Start a new peak-RSS window (Linux: clear_refs 5 resets VmHWM); returns the RSS now in kB."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass
    return _status_kb("VmRSS")


def _window(start_kb: int, started: float, cpu: float) -> dict[str, float]:
    """Wall and CPU seconds (this process only; the machine may be shared) and peak RSS growth since the start."""
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "peak_mb": (_status_kb("VmHWM") - start_kb) / 1024,
    }


def _in_child(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run work in a forked child; returns its result with seconds and the child's own peak RSS growth (MB)."""
    from django.db import connections

    connections.close_all()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            start_kb, started, cpu = _reset_peak(), time.perf_counter(), time.process_time()
            result = work()
            outcome = _window(start_kb, started, cpu) | result  # work may measure its own window
        except BaseException as exc:  # report, never fall back into the parent's code
            outcome = {"error": repr(exc)}
        with os.fdopen(write_end, "w") as handle:
            json.dump(outcome, handle)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        payload = handle.read()
    os.waitpid(pid, 0)
    measured: dict[str, Any] = json.loads(payload)
    if "error" in measured:
        raise RuntimeError(measured["error"])
    return measured


def _import(user_id: int, data: bytes, file_name: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from jiceng.accounts.models import User
    from jiceng.bench.ledger import backend_cpu_seconds
    from jiceng.orgs.importing import import_file

    actor = User.objects.get(pk=user_id)
    backend = backend_cpu_seconds()
    with transaction.atomic():
        result = import_file(actor=actor, data=data, file_name=file_name, only_valid=False)
        if connection.vendor == "postgresql":
            # The foreign keys are deferred: a real import pays their checks at COMMIT. Run them now,
            # so the time a commit would take is measured although the run is rolled back.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        backend_after = backend_cpu_seconds()
        transaction.set_rollback(True)  # leave the database as it was, so the run can be repeated
    pg_cpu = backend_after - backend if backend is not None and backend_after is not None else None
    return {"rows": result.imported, "created": result.counts["people_created"], "errors": result.skipped, "pg_cpu": pg_cpu}


def cpu_bound(kind: str, rows: int, ours: float, pg: float) -> str:
    """What the import's CPU allows on this machine's two cores, whatever the overlap: PostgreSQL's
    backend is one process on one core, and both together share two."""
    best = rows / max(pg, (ours + pg) / 2)
    return (
        f"- import .{kind}, CPU per row: ours {ours / rows * 1e6:.0f} µs, PostgreSQL's backend {pg / rows * 1e6:.0f} µs;"
        f" with both fully overlapped on 2 cores at most ≈ {best:,.0f} rows/s"
    )


def _export(user_id: int, data: bytes) -> dict[str, Any]:
    """Import the file (rolled back at the end), then export every member in scope and measure only that."""
    from django.db import transaction

    from jiceng.accounts.models import User
    from jiceng.orgs.exporting import export_members
    from jiceng.orgs.importing import import_file

    actor = User.objects.get(pk=user_id)
    with transaction.atomic():
        import_file(actor=actor, data=data, file_name="members.csv", only_valid=False)
        start_kb, started, cpu = _reset_peak(), time.perf_counter(), time.process_time()
        export = export_members(actor=actor, params={})
        window = _window(start_kb, started, cpu)
        export.file.seek(0, os.SEEK_END)
        size = export.file.tell()
        export.file.close()
        transaction.set_rollback(True)
    return window | {"rows": export.rows, "bytes": size}


def _vacuum() -> None:
    """Clear what the previous (rolled back) import left: its 100k dead people and members carry the
    same ID-number hashes, and every unique check of the next run would visit them (measured: the
    same 100k-row import slowed by a third over five runs without it, a few percent with it)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("orgs_person", "orgs_member", "orgs_post"):
                cursor.execute(f"VACUUM {table}")


def run(rows: int = 100_000) -> str:
    """Generate the files, measure, and return the Markdown table."""
    from django.db import connection

    from jiceng.accounts.models import User
    from jiceng.bench.generate import BENCH_DISTRICT_USERNAME, BENCH_USERNAME

    # A district's admin imports and exports (the export covers their scope: one district, not a province's 4 M members).
    user = User.objects.filter(username=BENCH_DISTRICT_USERNAME).first() or User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        raise SystemExit("No benchmark user: run `manage.py generate_scale` on this database first.")
    grant = user.grants.select_related("organization").order_by("organization__path").first()
    headers, table = _rows(rows, grant.organization.path if grant else "")
    files = {"xlsx": _xlsx(headers, table), "csv": _csv(headers, table)}
    del table
    lines = [
        f"Import and export, {rows:,} rows, {connection.vendor}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        "",
        "| step | rows | wall s | rows/s (wall) | CPU s | peak RSS growth (MB) | ratio to bare read (wall / CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def line(step: str, n: int, m: dict[str, Any], ratio: str) -> str:
        return f"| {step} | {n:,} | {m['seconds']:.2f} | {n / m['seconds']:,.0f} | {m['cpu']:.2f} | {m['peak_mb']:.0f} | {ratio} |"

    bounds: list[str] = []
    for kind, data in files.items():
        name = f"members.{kind}"
        if kind == "xlsx":
            slow = _in_child(functools.partial(_bare, "xlsx (openpyxl)", data))
            lines.append(line(f"bare read .xlsx with openpyxl read-only, for comparison ({len(data) / 1e6:.1f} MB)", rows, slow, ""))
        read = _in_child(functools.partial(_bare, kind, data))
        _vacuum()
        full = _in_child(functools.partial(_import, user.pk, data, name))
        ratio = f"{full['seconds'] / read['seconds']:.2f} / {full['cpu'] / read['cpu']:.2f}"
        reader = " with calamine" if kind == "xlsx" else ""
        lines.append(line(f"bare read .{kind}{reader} ({len(data) / 1e6:.1f} MB)", rows, read, "1.00"))
        lines.append(line(f"import .{kind} (read + validate + write)", full["rows"], full, ratio))
        if full.get("pg_cpu") is not None:
            bounds.append(cpu_bound(kind, full["rows"], full["cpu"], full["pg_cpu"]))
    export = _in_child(functools.partial(_export, user.pk, files["csv"]))
    lines.append(line(f"export members .xlsx ({export['bytes'] / 1e6:.1f} MB)", export["rows"], export, ""))
    return "\n".join([*lines, "", *bounds]) + "\n"


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()
    print(run(int(argv[0]) if argv else 100_000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
