"""The auditor's read-only view of the ledger, scoped to the auditor's part of the tree, and its checks."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.accounts.access import can, scope
from jiceng.audit import services
from jiceng.audit.access import is_root, may_verify, roles
from jiceng.audit.models import Event
from jiceng.lib.http import AuthedRequest
from jiceng.lib.paging import paginate


def _require_auditor(request: AuthedRequest) -> None:
    if not can(request.user, roles("audit.view"), None):
        raise PermissionDenied


def _checks(request: AuthedRequest) -> dict[str, object]:
    if not may_verify(request.user):
        return {"may_verify": False}
    return {"may_verify": True, "last_check": services.last_check(), "pending_check": services.pending_check()}


@login_required
@require_GET
def ledger(request: AuthedRequest) -> HttpResponse:
    _require_auditor(request)
    events: QuerySet[Event] = Event.objects.all()
    if not is_root(request.user, "audit.view"):
        events = scope(events, request.user, roles("audit.view"), "org_path")
    if action := request.GET.get("action", "").strip():
        events = events.filter(action__startswith=action)
    # a capped count: the whole ledger is 10 M events at province scale
    page = paginate(events.order_by("-seq"), request.GET.get("page"), settings.PAGE_SIZE)
    return render(request, "audit/ledger.html", {"page": page, "action": action, **_checks(request)})


@login_required
@require_http_methods(["GET", "POST"])
def verify_view(request: AuthedRequest) -> HttpResponse:
    """GET: the last check's result (polled while one runs). POST: start a check in the background."""
    if not may_verify(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.check_request(actor=request.user, mode=request.POST.get("mode", ""))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        if not request.htmx:
            return redirect("audit:ledger")
    return render(request, "audit/_partials/verification.html", _checks(request))
