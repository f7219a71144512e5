"""Background tasks of the ledger: the auditor's check runs here, off the request (docs/operations.md)."""

from django_tasks import task

from jiceng.audit.models import Checkpoint
from jiceng.audit.services import check_run


@task()
def verify_ledger(checkpoint_id: int) -> str:
    return check_run(Checkpoint.objects.get(pk=checkpoint_id)).status
