"""Dashboard pages: one per province, city, district, town and village, the big screen, exports and the annual report.

Every page reads the stored snapshot of its organization (rollups.py): one row, whatever the size of
the data, and the same "as of" time on the page, its exports, its PDF and the big screen. When a
district's, city's or province's snapshot is not stored yet, a task computes it (rollups.snapshot_for):
the page says it is being generated and reloads itself, an export goes back to the page, and the big
screen's JSON carries a pending flag.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts.access import allowed_paths, can, get_for_user
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.dashboard import exporting, indicators, rollups, tasks
from jiceng.grid import selectors as grid_selectors
from jiceng.grid.views import map_tile_url
from jiceng.lib.http import AuthedRequest
from jiceng.lib.listing import pk_url
from jiceng.orgs.models import REGION_KINDS, Organization

ROLES = indicators.ROLES
# The organizations with a dashboard: a province or city adds up its children (regions.py).
DASHBOARD_KINDS = indicators.LEVEL_KINDS | REGION_KINDS
REFRESH_ACTION = "dashboard.refresh"


def _org(user: User, pk: int) -> Organization:
    """A province, city, district, town or village in the user's scope; "not yours" and "does not exist" are one 404."""
    return get_for_user(Organization.objects.filter(kind__in=DASHBOARD_KINDS), user, ROLES, "path", pk=pk)


def _top(user: User) -> Organization:
    """The highest organization the user's dashboard grants cover."""
    paths = allowed_paths(user, ROLES)
    org = Organization.objects.filter(path__in=paths, kind__in=DASHBOARD_KINDS).order_by("depth", "path").first()
    if org is None:
        raise PermissionDenied
    return org


def _year(request: AuthedRequest) -> int:
    raw = request.GET.get("year", "") or request.POST.get("year", "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year else this_year


def _breadcrumb(user: User, org: Organization) -> list[Organization]:
    return [a for a in Organization.objects.get_ancestors(org) if can(user, ROLES, a)]


def _board(org: Organization, year: int) -> indicators.Dashboard:
    """The stored dashboard of `org` for `year`, with its history table; raises rollups.SnapshotPending
    while a task computes a missing one."""
    board = rollups.decode(rollups.snapshot_for(org, year), org)
    board.tables.append(rollups.history_table(org))
    return board


def _page_url(org: Organization, year: int) -> str:
    return f"{reverse('dashboard:org', args=[org.pk])}?year={year}"


def _years() -> list[int]:
    return list(range(timezone.localdate().year, timezone.localdate().year - 6, -1))


# The pending page (and the big screen) reloads this often until the task has stored the snapshot.
PENDING_RELOAD_SECONDS = 15


def _pending_page(request: AuthedRequest, pending: rollups.SnapshotPending) -> HttpResponse:
    context = {
        "org": pending.org,
        "year": pending.year,
        "requested_at": exporting.as_of(pending.requested_at),
        "breadcrumb": _breadcrumb(request.user, pending.org),
        "years": _years(),
        "reload_seconds": PENDING_RELOAD_SECONDS,
    }
    return render(request, "dashboard/pending.html", context)


def _back_to_pending_page(request: AuthedRequest, pending: rollups.SnapshotPending) -> HttpResponse:
    """An export or report of a snapshot that is still being generated: back to the page, which says so."""
    messages.info(request, _("看板数据正在生成，生成后才能导出 Excel 或年度报告，请稍候再试。"))
    return redirect(_page_url(pending.org, pending.year))


# ---- the page's tables, prepared once in Python ----------------------------------------------------
#
# A `{% url %}` per drill-down link and a filter and a branch per cell were most of a page's time
# (≈1,400 cells and ≈200 links on a district page of a city). The view reverses each URL pattern once,
# formats ids into it, and hands the template plain strings (docs/indicators.md "Speed"; lib.listing.pk_url).


@dataclass
class PageTable:
    table: indicators.Table
    export_url: str
    body: list[tuple[str, str, list[str]]]  # drill-down href ("" = none), row heading, cells
    details: list[tuple[str, str]] = field(default_factory=list)  # title, export URL of the per-village table


def _cell(value: Any) -> str:
    """A cell as the template showed it with `default_if_none:"—"`; ints and strings skip localize()."""
    if value is None:
        return indicators.EMPTY
    if isinstance(value, str | int):
        return str(value)
    return str(formats.localize(value))


def _month_ends_only(table: indicators.Table) -> indicators.Table:
    """The history on the page: the last point of each month (the export keeps every day)."""
    last: dict[str, int] = {str(row[0])[:7]: i for i, row in enumerate(table.rows)}
    keep = sorted(last.values())
    shown = indicators.Table(table.key, table.title, table.headers, [table.rows[i] for i in keep], [table.links[i] for i in keep])
    shown.note, shown.chart = f"{table.note}页面每月显示最后一次记录，逐日数据请导出 Excel。", table.chart
    return shown


def page_tables(board: indicators.Dashboard) -> list[PageTable]:
    query = f"?year={board.year}"
    org_url = pk_url("dashboard:org")
    export_pattern = reverse("dashboard:export", args=[board.within.pk, "KEY"]) + query

    def export_url(key: str) -> str:
        return export_pattern.replace("KEY", key)

    pages: list[PageTable] = []
    for t in board.tables:
        if t.detail_of:
            continue
        shown = _month_ends_only(t) if t.key == "history" else t
        body = [
            (org_url(link) + query if link else "", str(row[0]), [_cell(v) for v in row[1:]])
            for link, row in zip(shown.links, shown.rows, strict=True)
        ]
        details = [(d.title, export_url(d.key)) for d in board.tables if d.detail_of == t.key]
        pages.append(PageTable(shown, export_url(t.key), body, details))
    return pages


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    return redirect("dashboard:org", pk=_top(request.user).pk)


@login_required
@require_GET
def org_dashboard(request: AuthedRequest, pk: int) -> HttpResponse:
    org = _org(request.user, pk)
    try:
        board = _board(org, _year(request))
    except rollups.SnapshotPending as pending:
        return _pending_page(request, pending)
    context = {
        "board": board,
        "tables": page_tables(board),
        "breadcrumb": _breadcrumb(request.user, org),
        "years": _years(),
        "as_of": exporting.as_of(board.as_of),
    }
    return render(request, "dashboard/org.html", context)


@login_required
@require_GET
def export(request: AuthedRequest, pk: int, key: str) -> HttpResponse | FileResponse:
    org = _org(request.user, pk)
    try:
        board = _board(org, _year(request))
    except rollups.SnapshotPending as pending:
        return _back_to_pending_page(request, pending)
    table = board.table(key)
    if table is None:
        raise Http404
    file, filename = exporting.export_table(actor=request.user, board=board, table=table)
    return FileResponse(file, as_attachment=True, filename=filename)


@login_required
@require_GET
def annual_report(request: AuthedRequest, pk: int) -> HttpResponse:
    org = _org(request.user, pk)
    try:
        board = _board(org, _year(request))
    except rollups.SnapshotPending as pending:
        return _back_to_pending_page(request, pending)
    pdf = exporting.annual_report(actor=request.user, board=board)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=report-{org.code}-{board.year}.pdf"
    return response


@login_required
@require_POST
def refresh(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask for a fresh snapshot of this organization's subtree: any staff who may open the page may
    ask, at most once per rollups.REFRESH_COOLDOWN; each accepted request is an audit event. With no
    snapshot yet, the page's own request for one (rollups.snapshot_for) stands for it."""
    org = _org(request.user, pk)
    year = _year(request)
    try:
        snapshot = rollups.snapshot_for(org, year)
    except rollups.SnapshotPending:
        return redirect(_page_url(org, year))  # the page says it is being generated
    if rollups.claim_refresh(snapshot):
        with transaction.atomic():
            audit.record(actor=request.user, action=REFRESH_ACTION, org=org, changes={"year": year})
        tasks.refresh_indicators.enqueue(org.pk, year)
        messages.success(request, _("已提交刷新；完成后“数据截至”时间会更新。"))
    else:
        minutes = int(rollups.REFRESH_COOLDOWN.total_seconds() // 60)
        messages.warning(request, _("该看板数据刚刚更新或已在刷新中，请%(n)d分钟后再试。") % {"n": minutes})
    return redirect(_page_url(org, year))


# ---- the big screen (大屏) -------------------------------------------------------------------------


@login_required
@require_GET
def screen(request: AuthedRequest) -> HttpResponse:
    org = _top(request.user)
    context = {
        "org": org,
        "data_url": reverse("dashboard:screen_data"),
        "tile_url": map_tile_url(),
        "pending_ms": PENDING_RELOAD_SECONDS * 1000,
    }
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
    """What the big screen redraws every 60 seconds: the figures, the charts and the grid map; while a
    task generates the snapshot, only `pending` and the time it was asked for."""
    user = request.user
    org = _top(user)
    try:
        board = rollups.decode(rollups.snapshot_for(org, timezone.localdate().year), org)
    except rollups.SnapshotPending as pending:
        requested_at = exporting.as_of(pending.requested_at)
        waiting = {
            "org": org.name,
            "pending": True,
            "requested_at": requested_at,
            "title": _("看板数据正在生成，请稍候"),
            "message": _("已于 %(time)s 提交后台生成，生成后自动显示。") % {"time": requested_at},
        }
        return JsonResponse(waiting, json_dumps_params={"ensure_ascii": False})
    # A city's or province's map would carry thousands of grid outlines: their screen shows the figures only.
    grids = (
        []
        if org.kind in REGION_KINDS
        else list(grid_selectors.grids_for_user(user).filter(is_active=True, village__path__startswith=org.path))
    )
    charts = {t.key: {"title": t.title, "option": t.chart} for t in board.tables if t.chart is not None}
    data = {
        "org": org.name,
        "pending": False,
        "as_of": exporting.as_of(board.as_of),
        "kpis": [{"label": label, "value": _plain(value), "unit": unit} for label, value, unit in board.kpis],
        "charts": charts,
        "grids": grid_selectors.map_features(grids, grid_selectors.open_counts_by_grid(grids)),
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
