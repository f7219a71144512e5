"""How fast is the audit ledger verified? The old and new paths side by side, in events per second.

- the old path: model instances through the ORM, one `canonical()` per event (what `verify()` did
  before the fast verifier; kept here only as the yardstick), timed on the first events only;
- `audit.services.verify()`: raw rows, the timestamp formatted by the database, one process;
- the same split into spans checked by 2 worker processes (`verify_ledger --full --workers 2`);
- a routine check from a checkpoint a day's worth of events before the head (`verify_ledger`).

Nothing is written: the routine check starts from an in-memory checkpoint, not a stored one.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection

from jiceng.audit.chain import GENESIS, digest_function
from jiceng.audit.models import Event
from jiceng.audit.services import recompute_hash
from jiceng.audit.verification import Verification, bounds, verify_from, verify_full

ORM_SAMPLE = 200_000
ROUTINE_EVENTS = 10_000

_COLUMNS = "seq, at, actor_id, actor_label, org_path, action, object_type, object_id, changes, prev_hash, hash"


def _instances(last: int, batch: int) -> Iterator[Event]:
    seq = 0
    while seq < last:
        page = list(Event.objects.filter(seq__gt=seq, seq__lte=last).order_by("seq")[:batch])
        if not page:
            return
        yield from page
        seq = page[-1].seq


def verify_orm(last: int, batch: int = 20_000) -> tuple[int, bool]:
    """(events checked, chain intact) for events 1..last, the old way: one model instance per event."""
    digest = digest_function()
    prev, expected, checked = GENESIS, 1, 0
    for event in _instances(last, batch):
        if event.seq != expected or event.prev_hash != prev or recompute_hash(event, digest) != event.hash:
            return checked, False
        prev, expected, checked = event.hash, expected + 1, checked + 1
    return checked, checked == last


def _timed(run: Callable[[], tuple[int, bool]]) -> str:
    started = time.perf_counter()
    checked, ok = run()
    seconds = time.perf_counter() - started
    return f"{checked:,} events in {seconds:.2f} s = {checked / seconds:,.0f} events/s (ok: {ok})"


def _result(run: Callable[[], Verification]) -> Callable[[], tuple[int, bool]]:
    def call() -> tuple[int, bool]:
        result = run()
        return result.checked, result.ok

    return call


def backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_event() -> str:
    """Python and PostgreSQL CPU per event of the single-process check: unlike wall time, barely moved by other load."""
    backend, python = backend_cpu_seconds(), time.process_time()
    result = verify_full()
    python = time.process_time() - python
    backend_after = backend_cpu_seconds()
    if backend is None or backend_after is None or not result.checked:
        return f"Python {python / max(result.checked, 1) * 1e6:.1f} µs/event (PostgreSQL not on this machine)"
    pg = backend_after - backend
    per_event = (python + pg) / result.checked
    return (
        f"Python {python / result.checked * 1e6:.1f} µs + PostgreSQL {pg / result.checked * 1e6:.1f} µs per event; "
        f"on 2 idle cores at most ≈ {2 / per_event:,.0f} events/s"
    )


def measure(workers: int = 2, orm_sample: int = ORM_SAMPLE, routine_events: int = ROUTINE_EVENTS) -> dict[str, str]:
    """One line per way of verifying, for the benchmark report (jiceng/bench/runner.py)."""
    head, _ = bounds()
    start = max(head - routine_events, 1)
    start_hash = Event.objects.filter(seq=start).values_list("hash", flat=True).first() or GENESIS
    sample = min(orm_sample, head)
    return {
        f"ledger, old ORM path (model instances; first {sample:,} events)": _timed(lambda: verify_orm(sample)),
        "ledger, verify() full, 1 process (raw rows)": _timed(_result(verify_full)),
        f"ledger, verify_ledger --full --workers {workers}": _timed(_result(lambda: verify_full(workers=workers))),
        f"ledger, routine check from a checkpoint {head - start:,} events before the head": _timed(
            _result(lambda: verify_from(start, start_hash))
        ),
        "ledger, CPU per event (verify(), 1 process)": cpu_per_event(),
    }
