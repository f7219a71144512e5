from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts.models import RoleGrant
from jiceng.lib.http import AuthedRequest


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachability and whether every migration is applied."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the probe must answer, whatever broke
        return JsonResponse({"status": "error", "database": "unavailable", "detail": exc.__class__.__name__}, status=503)
    status = "ok" if not pending else "migrations_pending"
    return JsonResponse(
        {"status": status, "database": connection.vendor, "migrations": {"pending": len(pending)}},
        status=200 if not pending else 503,
    )


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/home.html")


@login_required
@require_POST
def switch_grant(request: AuthedRequest) -> HttpResponse:
    grant_id = request.POST.get("grant_id", "")
    if grant_id and RoleGrant.objects.filter(pk=grant_id, user=request.user).exists():
        request.session["grant_id"] = int(grant_id)
    else:
        request.session.pop("grant_id", None)
    return redirect(request.POST.get("next") or "home")
