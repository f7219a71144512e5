"""The refresh of the indicator snapshots as a task (django-tasks): inline with the immediate backend,
queued for `manage.py db_worker` with the database backend (settings.TASKS)."""

from django_tasks import task

from jiceng.dashboard import rollups
from jiceng.orgs.models import Organization


@task()
def refresh_indicators(org_id: int, year: int | None = None) -> int:
    """Recompute the snapshots of one organization's subtree; returns how many were written."""
    org = Organization.objects.filter(pk=org_id).first()
    return 0 if org is None else rollups.refresh(org, year)
