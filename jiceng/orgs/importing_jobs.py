"""Large imports in the background: the confirm step queues a job, a task worker runs it.

settings.IMPORT_BACKGROUND_ROWS (default 2,000) is the line: a file with more data rows is not
written inside the request. The job row records queued → running → done / failed; the move is
a compare-and-swap on the status, so a task delivered twice imports once.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.accounts.models import User
from jiceng.orgs import importing_uploads as uploads
from jiceng.orgs.importing import ImportRefused, ImportResult, import_file
from jiceng.orgs.importing_files import ImportFileError
from jiceng.orgs.models_import import IMPORT_TRANSITIONS, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

DEFAULT_BACKGROUND_ROWS = 2000


def background_rows() -> int:
    return int(getattr(settings, "IMPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


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
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or not transition(job, ImportStatus.RUNNING):
        return "skipped"
    upload = uploads.load_upload(user=job.user, token=job.token)
    if upload is None:
        transition(job, ImportStatus.FAILED, reason=_("上传的文件已过期或已被删除，请重新上传。"))
        return ImportStatus.FAILED
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
