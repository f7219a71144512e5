"""Writing to and verifying the audit ledger."""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from jiceng.audit.chain import GENESIS, canonical, digest_function
from jiceng.audit.models import Event, LedgerHead

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.orgs.models import Organization


def _plain(value: Any) -> Any:
    """Dates, decimals and UUIDs become strings, so the stored JSON hashes the same after a round trip."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


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


@dataclass
class Verification:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _events(batch: int) -> Iterator[Event]:
    """Pages by key so memory stays flat at tens of millions of events."""
    last = 0
    while True:
        page = list(Event.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not page:
            return
        yield from page
        last = page[-1].seq


def recompute_hash(event: Event, digest: Callable[[bytes], str] | None = None) -> str:
    """The hash an event should carry, from its content and the previous hash."""
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


def verify(batch: int = 20_000) -> Verification:
    """Recompute the chain from the first event and name the first one that does not match."""
    digest = digest_function()
    prev, expected_seq, checked = GENESIS, 1, 0
    for event in _events(batch):
        if event.seq != expected_seq:
            return Verification(checked, event.seq, f"序号不连续：应为 {expected_seq}")
        if event.prev_hash != prev:
            return Verification(checked, event.seq, "前序哈希与上一事件不符")
        if recompute_hash(event, digest) != event.hash:
            return Verification(checked, event.seq, "内容与哈希不符（记录被改动）")
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = LedgerHead.objects.filter(id=1).first()
    if head is not None and head.seq != checked:
        return Verification(checked, checked + 1, f"账本尾部缺失：应有 {head.seq} 条，实有 {checked} 条")
    return Verification(checked)
