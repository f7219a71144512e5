"""Dashboard pages: one per district, town and village, the big screen, exports and the annual report."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiceng.accounts.access import allowed_paths, can, get_for_user
from jiceng.accounts.models import User
from jiceng.dashboard import exporting, indicators
from jiceng.grid import selectors as grid_selectors
from jiceng.grid.views import map_tile_url
from jiceng.lib.http import AuthedRequest
from jiceng.orgs.models import Organization

ROLES = indicators.ROLES


def _org(user: User, pk: int) -> Organization:
    """A district, town or village in the user's scope; "not yours" and "does not exist" are one 404."""
    return get_for_user(Organization.objects.filter(kind__in=indicators.LEVEL_KINDS), user, ROLES, "path", pk=pk)


def _top(user: User) -> Organization:
    """The highest organization the user's dashboard grants cover."""
    paths = allowed_paths(user, ROLES)
    org = Organization.objects.filter(path__in=paths, kind__in=indicators.LEVEL_KINDS).order_by("depth", "path").first()
    if org is None:
        raise PermissionDenied
    return org


def _year(request: AuthedRequest) -> int:
    raw = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year else this_year


def _breadcrumb(user: User, org: Organization) -> list[Organization]:
    return [a for a in Organization.objects.get_ancestors(org) if can(user, ROLES, a)]


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    return redirect("dashboard:org", pk=_top(request.user).pk)


@login_required
@require_GET
def org_dashboard(request: AuthedRequest, pk: int) -> HttpResponse:
    org = _org(request.user, pk)
    board = indicators.compute(request.user, org, _year(request))
    context = {
        "board": board,
        "breadcrumb": _breadcrumb(request.user, org),
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
        "as_of": exporting.as_of(board.as_of),
    }
    return render(request, "dashboard/org.html", context)


@login_required
@require_GET
def export(request: AuthedRequest, pk: int, key: str) -> FileResponse:
    org = _org(request.user, pk)
    board = indicators.compute(request.user, org, _year(request))
    table = board.table(key)
    if table is None:
        raise Http404
    file, filename = exporting.export_table(actor=request.user, board=board, table=table)
    return FileResponse(file, as_attachment=True, filename=filename)


@login_required
@require_GET
def annual_report(request: AuthedRequest, pk: int) -> HttpResponse:
    org = _org(request.user, pk)
    board = indicators.compute(request.user, org, _year(request))
    pdf = exporting.annual_report(actor=request.user, board=board)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=report-{org.code}-{board.year}.pdf"
    return response


# ---- the big screen (大屏) -------------------------------------------------------------------------


@login_required
@require_GET
def screen(request: AuthedRequest) -> HttpResponse:
    org = _top(request.user)
    context = {"org": org, "data_url": reverse("dashboard:screen_data"), "tile_url": map_tile_url()}
    return render(request, "dashboard/screen.html", context)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@login_required
@require_GET
def screen_data(request: AuthedRequest) -> JsonResponse:
    """What the big screen redraws every 60 seconds: the figures, the charts and the grid map."""
    user = request.user
    org = _top(user)
    board = indicators.compute(user, org)
    grids = list(grid_selectors.grids_for_user(user).filter(is_active=True, village__path__startswith=org.path))
    charts = {t.key: {"title": t.title, "option": t.chart} for t in board.tables if t.chart is not None}
    data = {
        "org": org.name,
        "as_of": exporting.as_of(board.as_of),
        "kpis": [{"label": label, "value": _plain(value), "unit": unit} for label, value, unit in board.kpis],
        "charts": charts,
        "grids": grid_selectors.map_features(grids, grid_selectors.open_counts_by_grid(grids)),
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
