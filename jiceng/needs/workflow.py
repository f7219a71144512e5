"""The moves of a need (domain.md §7.3): one table of which action takes a need from which
statuses to which, checked by one function that records the move in the audit ledger.

SUBMITTED → (REJECTED | MERGED | LISTED | CLAIMED by dispatch | CLOSED)
LISTED ⇄ CLAIMED (places taken / freed) → DELIVERED (every claimer has fulfilled)
DELIVERED → CONFIRMED (resident, or silence) | DISPUTED → back to the community (list, dispatch, close)
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.needs.models import Need, NeedStatus

S = NeedStatus


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str


MOVES = {
    m.action: m
    for m in (
        Move("reject", "不予受理", (S.SUBMITTED, S.DISPUTED), S.REJECTED),
        Move("merge", "合并重复需求", (S.SUBMITTED,), S.MERGED),
        Move("list", "发布到需求清单", (S.SUBMITTED, S.DISPUTED), S.LISTED),
        Move("dispatch", "派单", (S.SUBMITTED, S.DISPUTED), S.CLAIMED),
        Move("close", "关闭", (S.SUBMITTED, S.LISTED, S.DISPUTED), S.CLOSED),
        Move("confirm", "群众确认", (S.DELIVERED,), S.CONFIRMED),
        Move("confirm_silent", "逾期未评价，系统确认", (S.DELIVERED,), S.CONFIRMED),
        Move("dispute", "群众提出异议", (S.DELIVERED,), S.DISPUTED),
    )
}

# Statuses a listed need moves between as claims come and go (computed by services.settle).
CLAIM_PHASE = (S.LISTED, S.CLAIMED, S.DELIVERED)
# What the community still has to act on.
QUEUE = (S.SUBMITTED, S.DISPUTED)


def allowed(need: Need, action: str) -> bool:
    return need.status in MOVES[action].sources


def transition(need: Need, action: str, *, actor: User | None, fields: tuple[str, ...] = (), **extra: Any) -> None:
    """Move a locked need by the table, saving `fields` with the status, and record the move."""
    move = MOVES[action]
    if need.status not in move.sources:
        raise ValidationError(f"该需求当前为“{need.get_status_display()}”，不能{move.label}。")
    old = need.status
    need.status = move.target
    need.save(update_fields=["status", *fields])
    record(need, f"need.{action}", actor=actor, status=[old, move.target], **extra)


def record(need: Need, action: str, *, actor: User | None, **changes: Any) -> None:
    audit.record(actor=actor, action=action, obj=need, org=need.community, changes=changes)
