"""The audit ledger (审计账本): append-only, hash-chained events (domain.md §9.3, GB/T 22239-2019 安全审计)."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class LedgerError(Exception):
    pass


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerError("审计事件只能追加，不能修改")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise LedgerError("审计事件只能追加，不能删除")


class Event(models.Model):
    """One change, written in the same transaction as the change itself."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    org_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerError("审计事件只能追加，不能修改")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerError("审计事件只能追加，不能删除")


class LedgerHead(models.Model):
    """Single row holding the chain's tail; locking it serializes appends so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"ledger head #{self.seq}"


class Checkpoint(models.Model):
    """One verification run of the ledger and, when it passed, a checkpoint routine checks start from.

    A routine check re-hashes only the checkpoint's own event and the events after it; only a full
    check from genesis can notice a change to an event before the checkpoint (docs/operations.md).
    """

    class Mode(models.TextChoices):
        ROUTINE = "routine", "例行校验（自上一检查点）"
        FULL = "full", "全量校验（自第一条事件）"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "校验中"
        OK = "ok", "哈希链完整"
        BROKEN = "broken", "哈希链断裂"
        FAILED = "failed", "校验出错"

    mode = models.CharField(max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    from_seq = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    checked = models.BigIntegerField(default=0)
    broken_seq = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    workers = models.PositiveSmallIntegerField(default=1)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "seq"], name="audit_checkpoint_status_seq")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} #{self.pk}: {self.get_status_display()}"

    @property
    def pending(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
