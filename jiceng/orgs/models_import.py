"""Work on a large import file run in the background (more than settings.IMPORT_BACKGROUND_ROWS rows).

Two kinds: the preview (check every row, write nothing, keep the result for the preview page) and
the import itself (after the user confirmed).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PREVIEW = "preview", _("检查")
    IMPORT = "import", _("导入")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


# The allowed moves; a job is finished once done or failed.
IMPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ImportStatus.QUEUED: frozenset({ImportStatus.RUNNING, ImportStatus.FAILED}),
    ImportStatus.RUNNING: frozenset({ImportStatus.DONE, ImportStatus.FAILED}),
    ImportStatus.DONE: frozenset(),
    ImportStatus.FAILED: frozenset(),
}


class ImportJob(models.Model):
    """Who imported which file how, and how it went. The file itself waits encrypted under VAR_DIR/imports."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs")
    token = models.CharField(max_length=64)
    kind = models.CharField(_("类型"), max_length=10, choices=ImportKind.choices, default=ImportKind.IMPORT)
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    only_valid = models.BooleanField(_("仅导入有效行"), default=False)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    imported = models.PositiveIntegerField(_("已导入行数"), default=0)
    skipped = models.PositiveIntegerField(_("跳过行数"), default=0)
    valid = models.PositiveIntegerField(_("有效行数"), default=0)  # a preview's rows without errors
    counts = models.JSONField(default=dict, blank=True)
    # A preview's bad rows, every one: [row, column, message] in row order (a message quotes at most a bad date or role cell).
    errors = models.JSONField(default=list, blank=True)
    reason = models.TextField(_("失败原因"), blank=True)
    event_seq = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="importjob_user_created"),
            models.Index(fields=["token", "kind"], name="importjob_token_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_preview(self) -> bool:
        return self.kind == ImportKind.PREVIEW

    @property
    def invalid(self) -> int:
        return self.skipped

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
