"""The refresh of the indicator snapshots as a task (django-tasks): inline with the immediate backend,
queued for `manage.py db_worker` with the database backend (settings.TASKS)."""

from django_tasks import task

from jiceng.dashboard import rollups
from jiceng.orgs.models import Organization


@task()
def refresh_indicators(org_id: int, year: int | None = None, missing_only: bool = False) -> int:
    """Recompute the snapshots of one organization's subtree; returns how many were written.

    With `missing_only` (a page that found no snapshot, rollups.snapshot_for) only what is missing is
    computed, and nothing when the snapshot is there by the time the task runs."""
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        return 0
    return rollups.fill(org, year) if missing_only else rollups.refresh(org, year)
