"""Large imports in the background: both the preview and the confirm step queue a job, a task worker runs it.

settings.IMPORT_BACKGROUND_ROWS (default 2,000) is the line: a file with more data rows is neither
checked nor written inside a request. The preview job checks every row and keeps the result (the
counts and every bad row) on its job row for the status page; the import job writes after the
user confirmed. The job row records queued → running → done / failed; the move is a
compare-and-swap on the status, so a task delivered twice runs once.
"""

import logging
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.accounts.models import User
from jiceng.orgs import importing_uploads as uploads
from jiceng.orgs.importing import ImportRefused, ImportResult, import_file, validate
from jiceng.orgs.importing_files import ImportFileError, read_rows
from jiceng.orgs.models_import import IMPORT_TRANSITIONS, ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

DEFAULT_BACKGROUND_ROWS = 2000


def background_rows() -> int:
    return int(getattr(settings, "IMPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def is_large(upload: uploads.Upload) -> bool:
    """More data rows than background_rows()? Reads at most that many rows plus one, checks none of them.

    Raises ImportFileError for a file that cannot be read at all (the preview shows it at once).
    """
    limit = background_rows()
    if upload.rows is not None:
        return upload.rows > limit
    rows = read_rows(upload.data, upload.file_name)
    try:
        return sum(1 for _row in islice(rows, limit + 1)) > limit
    finally:
        rows.close()


def transition(job: ImportJob, new: str, **fields: object) -> bool:
    """Move the job from its current status to `new` if allowed and nobody moved it first."""
    if new not in IMPORT_TRANSITIONS[job.status]:
        return False
    now = timezone.now()
    stamp = {"started_at": now} if new == ImportStatus.RUNNING else {"finished_at": now}
    moved = ImportJob.objects.filter(pk=job.pk, status=job.status).update(status=new, **stamp, **fields)
    if moved:
        job.refresh_from_db()
    return bool(moved)


def enqueue_import(*, user: User, upload: uploads.Upload, only_valid: bool, rows: int) -> ImportJob:
    """Record the job and queue it once the record is committed (the caller has claimed the upload)."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user, token=upload.token, file_name=upload.file_name, sha256=upload.sha256, only_valid=only_valid, rows=rows
        )
        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    job.refresh_from_db()
    return job


def preview_job(*, user: User, upload: uploads.Upload) -> ImportJob:
    """The upload's preview job: the one already queued or run, else (none yet, or it failed) a new one, queued once committed."""
    job = ImportJob.objects.filter(user=user, token=upload.token, kind=ImportKind.PREVIEW).order_by("-pk").first()
    if job is not None and job.status != ImportStatus.FAILED:
        return job
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user, token=upload.token, kind=ImportKind.PREVIEW, file_name=upload.file_name, sha256=upload.sha256
        )
        transaction.on_commit(lambda: run_preview_job.enqueue(job.pk))
    job.refresh_from_db()
    return job


def _claim(job_id: int, kind: str) -> tuple[ImportJob, uploads.Upload] | str:
    """The queued job of this kind, now running, with its upload; else the status the task returns
    (another worker took it, or the upload expired: the job then fails with the reason)."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id, kind=kind).first()
    if job is None or not transition(job, ImportStatus.RUNNING):
        return "skipped"
    upload = uploads.load_upload(user=job.user, token=job.token)
    if upload is None:
        transition(job, ImportStatus.FAILED, reason=_("上传的文件已过期或已被删除，请重新上传。"))
        return ImportStatus.FAILED
    return job, upload


@task()
def run_preview_job(job_id: int) -> str:
    """Check every row of one upload, write nothing; the counts and every bad row go on the job row."""
    claimed = _claim(job_id, ImportKind.PREVIEW)
    if isinstance(claimed, str):
        return claimed
    job, upload = claimed
    try:
        report = validate(actor=job.user, data=upload.data, file_name=job.file_name)
    except ImportFileError as exc:
        transition(job, ImportStatus.FAILED, reason=exc.message)
        return ImportStatus.FAILED
    except Exception:
        logger.exception("preview job %s failed", job.pk)
        transition(job, ImportStatus.FAILED, reason=_("检查文件时发生内部错误。请稍后重试或联系管理员。"))
        raise
    # The confirm step then knows the file's size without reading it again.
    uploads.remember_rows(upload, report.total)
    transition(
        job,
        ImportStatus.DONE,
        rows=report.total,
        valid=report.valid,
        skipped=report.invalid,
        counts=dict(sorted(report.counts.items())),
        errors=[[e.row, e.column, e.message] for e in report.errors],
    )
    return ImportStatus.DONE


def _finish(job: ImportJob, result: ImportResult) -> None:
    counts = dict(sorted(result.counts.items()))
    transition(
        job,
        ImportStatus.DONE,
        rows=result.total,
        imported=result.imported,
        skipped=result.skipped,
        counts=counts,
        event_seq=result.event.seq,
    )


@task()
def run_import_job(job_id: int) -> str:
    """Run one queued import; the outcome is on the job row, the upload is deleted once done."""
    claimed = _claim(job_id, ImportKind.IMPORT)
    if isinstance(claimed, str):
        return claimed
    job, upload = claimed
    try:
        result = import_file(actor=job.user, data=upload.data, file_name=job.file_name, only_valid=job.only_valid)
    except (ImportFileError, ImportRefused) as exc:
        transition(job, ImportStatus.FAILED, reason=exc.message)
        uploads.release_upload(job.token)
        return ImportStatus.FAILED
    except Exception:
        logger.exception("import job %s failed", job.pk)
        transition(job, ImportStatus.FAILED, reason=_("导入时发生内部错误，未导入任何数据。请稍后重试或联系管理员。"))
        uploads.release_upload(job.token)
        raise
    uploads.delete_upload(job.token)
    _finish(job, result)
    return ImportStatus.DONE
