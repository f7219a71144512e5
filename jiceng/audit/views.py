"""The auditor's read-only view of the ledger, scoped to the auditor's part of the tree."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jiceng.accounts.access import allowed_paths, can, scope
from jiceng.audit.access import roles
from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.lib.http import AuthedRequest
from jiceng.orgs.models import Organization


def _is_root_auditor(request: AuthedRequest) -> bool:
    """An auditor granted at a root of the tree sees every event, including system-wide ones."""
    return any(len(p) == Organization.steplen for p in allowed_paths(request.user, roles("audit.view")))


def _require_auditor(request: AuthedRequest) -> None:
    if not can(request.user, roles("audit.view"), None):
        raise PermissionDenied


@login_required
@require_GET
def ledger(request: AuthedRequest) -> HttpResponse:
    _require_auditor(request)
    events: QuerySet[Event] = Event.objects.all()
    if not _is_root_auditor(request):
        events = scope(events, request.user, roles("audit.view"), "org_path")
    if action := request.GET.get("action", "").strip():
        events = events.filter(action__startswith=action)
    page = Paginator(events.order_by("-seq"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/ledger.html", {"page": page, "action": action})


@login_required
@require_GET
def verify_view(request: AuthedRequest) -> HttpResponse:
    # Verifying reads the whole chain, so only a district-level auditor may start it.
    if not _is_root_auditor(request):
        raise PermissionDenied
    return render(request, "audit/_partials/verification.html", {"result": verify()})
