"""Writing to and verifying the audit ledger."""

import json
import os
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Min
from django.utils import timezone

from jiceng.audit.access import may_verify
from jiceng.audit.chain import GENESIS, canonical, digest_function
from jiceng.audit.models import Checkpoint, Event, LedgerHead
from jiceng.audit.verification import BATCH, Verification, verify_from, verify_full

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.orgs.models import Organization


def _jsonb_number(value: Any) -> Any:
    """A float as PostgreSQL's jsonb gives it back: 1e+16 as the integer it spells, -0.0 as 0.0."""
    if isinstance(value, float):
        if value == 0:
            return 0.0
        text = repr(value)
        return int(Decimal(text)) if "e+" in text else value
    if isinstance(value, list):
        return [_jsonb_number(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonb_number(item) for key, item in value.items()}
    return value


def _plain(value: Any) -> Any:
    """Dates, decimals and UUIDs become strings, and floats take jsonb's spelling, so the stored JSON
    hashes the same after a round trip through the database."""
    return _jsonb_number(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [old, new]}."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def record(
    *,
    actor: "User | None",
    action: str,
    obj: models.Model | None = None,
    org: "Organization | None" = None,
    changes: dict[str, Any] | None = None,
) -> Event:
    """Append one event. Must run inside the transaction that makes the change it records."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit.record must run inside transaction.atomic()")
    head, _ = LedgerHead.objects.select_for_update().get_or_create(id=1)
    seq = head.seq + 1
    fields = {
        "seq": seq,
        "at": timezone.now(),
        "actor_id": actor.pk if actor is not None and actor.pk else None,
        "actor_label": actor.get_username() if actor is not None and actor.pk else "system",
        "org_path": org.path if org is not None else "",
        "action": action,
        "object_type": obj._meta.label_lower if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "changes": _plain(changes or {}),
        "prev_hash": head.hash,
    }
    event_hash = digest_function()(canonical(**fields))
    event = Event(**fields, hash=event_hash, org_name=org.name if org is not None else "")
    event.save()
    head.seq, head.hash = seq, event_hash
    head.save(update_fields=["seq", "hash"])
    return event


def recompute_hash(event: Event, digest: Callable[[bytes], str] | None = None) -> str:
    """The hash one event should carry, from its content and the previous hash (a single-event check)."""
    body = canonical(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        org_path=event.org_path,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
        prev_hash=event.prev_hash,
    )
    return (digest or digest_function())(body)


def verify(batch: int = BATCH, *, workers: int = 1) -> Verification:
    """Recompute the chain from the first event and name the first one that does not match."""
    return verify_full(workers=workers, batch=batch)


# A queued or running check older than this is taken for dead (its worker stopped) and no longer blocks a new one.
STALE_AFTER = timedelta(hours=1)
# The auditor's full check runs in the background, so it may use the machine's cores.
FULL_CHECK_WORKERS = min(os.cpu_count() or 1, 4)


def routine_base() -> tuple[int, str]:
    """(seq, hash) of the last good checkpoint, below every break any check has found; (0, GENESIS) if none."""
    lowest_break = Checkpoint.objects.filter(status=Checkpoint.Status.BROKEN).aggregate(low=Min("broken_seq"))["low"]
    good = Checkpoint.objects.filter(status=Checkpoint.Status.OK, seq__gt=0)
    if lowest_break is not None:
        good = good.filter(seq__lt=lowest_break)
    return good.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)


def pending_check() -> Checkpoint | None:
    since = timezone.now() - STALE_AFTER
    return (
        Checkpoint.objects.filter(status__in=[Checkpoint.Status.QUEUED, Checkpoint.Status.RUNNING], requested_at__gte=since)
        .order_by("-pk")
        .first()
    )


def last_check() -> Checkpoint | None:
    finished = Checkpoint.objects.exclude(status__in=[Checkpoint.Status.QUEUED, Checkpoint.Status.RUNNING])
    return finished.select_related("verified_by").order_by("-pk").first()


def check_request(*, actor: "User", mode: str) -> Checkpoint:
    """The auditor asks for a check; it runs as a background task once this transaction commits."""
    from jiceng.audit.tasks import verify_ledger

    if not may_verify(actor):
        raise PermissionDenied
    if mode not in Checkpoint.Mode.values:
        raise ValidationError("未知的校验方式。")
    workers = FULL_CHECK_WORKERS if mode == Checkpoint.Mode.FULL else 1
    with transaction.atomic():
        # Lock the head row so two auditors clicking at once do not both start a check.
        LedgerHead.objects.select_for_update().get_or_create(id=1)
        if pending_check() is not None:
            raise ValidationError("已有一次校验在进行中，请等它结束后再发起。")
        checkpoint = Checkpoint.objects.create(mode=mode, verified_by=actor, requested_at=timezone.now(), workers=workers)
        record(actor=actor, action="audit.verify", obj=checkpoint, changes={"mode": mode, "workers": workers})
        transaction.on_commit(lambda: verify_ledger.enqueue(checkpoint.pk))
    return checkpoint


def check_run(checkpoint: Checkpoint) -> Checkpoint:
    """Run a requested check and store its result; a passed check becomes the next routine checks' start."""
    checkpoint.status, checkpoint.started_at = Checkpoint.Status.RUNNING, timezone.now()
    checkpoint.save(update_fields=["status", "started_at"])
    started = time.perf_counter()
    try:
        full = checkpoint.mode == Checkpoint.Mode.FULL
        result = verify_full(workers=checkpoint.workers) if full else verify_from(*routine_base())
    except Exception as exc:
        _finish(checkpoint, started, status=Checkpoint.Status.FAILED, reason=f"{type(exc).__name__}: {exc}"[:300])
        raise
    status = Checkpoint.Status.OK if result.ok else Checkpoint.Status.BROKEN
    return _finish(
        checkpoint,
        started,
        status=status,
        reason=result.reason,
        from_seq=result.first_seq,
        seq=result.last_seq,
        hash=result.last_hash if result.ok else "",
        checked=result.checked,
        broken_seq=result.broken_seq,
    )


def _finish(checkpoint: Checkpoint, started: float, **fields: Any) -> Checkpoint:
    fields |= {"verified_at": timezone.now(), "seconds": time.perf_counter() - started}
    for name, value in fields.items():
        setattr(checkpoint, name, value)
    checkpoint.save(update_fields=list(fields))
    return checkpoint
