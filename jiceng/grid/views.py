"""Staff and grid-worker pages: grids, the map, cases with their timeline and actions, statistics.

Every view fetches its object in the actor's scope (404 for another village), writes only through
services (PermissionDenied → 403), and shows a service's ValidationError as a message or on the form.
"""

import json
import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user, roles_of
from jiceng.accounts.models import Role
from jiceng.grid import access, forms, selectors, services, stats
from jiceng.grid.models import (
    OPEN_STATUSES,
    CaseCategory,
    CaseLevel,
    CasePhoto,
    CaseStatus,
    DispatchTarget,
    Grid,
    GridForce,
    GridKind,
    GridMember,
    case_overdue,
)
from jiceng.grid.workflow import HANDLER, VERIFIER, moves_from
from jiceng.lib import throttle
from jiceng.lib.http import AuthedRequest
from jiceng.lib.listing import choice_labels, pk_url
from jiceng.lib.paging import paginate
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization

GET_POST = require_http_methods(["GET", "POST"])
VIEW = access.roles("grid.view")


def map_tile_url() -> str:
    """An optional tile server (e.g. an intranet 粤政图 mirror); without it the map is boundaries on a plain background."""
    return getattr(settings, "MAP_TILE_URL", "")


def _need(user: Any, action: str, org: Organization | None = None) -> None:
    if not can(user, access.roles(action), org):
        raise PermissionDenied


def _messages(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _warn(request: AuthedRequest, warnings: list[services.GridWarning]) -> None:
    for w in warnings:
        messages.warning(request, f"{w.text}（{w.basis}）")


# ---- grids -----------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "grid.view")
    if Role.GRID_WORKER in roles_of(user) and not can(user, access.roles("case.handle"), None):
        return redirect("grid:mine")
    # the area filter, not a drop-down of every village in scope (25k at province)
    area = org_selectors.area_filter(user, params=request.GET, **AREA)
    # the boundary (GeoJSON, often kilobytes) is for the map and the grid's page, not for this list
    qs = area.apply(selectors.grids_for_user(user), "village").defer("boundary")
    page = paginate(qs.order_by("code"), request.GET.get("page"), settings.PAGE_SIZE)  # capped count: 150k grids at province
    context = {
        "page": page,
        "rows": _grid_rows(list(page)),
        "area": area,
        "area_url": reverse("grid:area_filter"),
        "can_change": can(user, access.roles("grid.change"), None),
    }
    return render(request, "grid/home.html", context)


def _grid_rows(grids: list[Grid]) -> list[dict[str, Any]]:
    """The list's rows with their links and kind labels prepared once (lib.listing), as the case and
    decision lists have them: {% url %} and get_kind_display per row were a fifth of the page's CPU."""
    counts = selectors.open_counts_by_grid(grids)
    grid_url, kinds = pk_url("grid:detail"), choice_labels(GridKind)
    return [{"grid": g, "open": counts.get(g.pk, 0), "url": grid_url(g.pk), "kind": kinds.get(g.kind, g.kind)} for g in grids]


@login_required
@require_GET
def grid_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    grid = selectors.get_grid_for_user(user, pk)
    members = list(grid.members.all())
    now = timezone.now()
    cases = selectors.cases_in_scope(user).filter(grid=grid, status__in=OPEN_STATUSES).order_by("-reported_at")[:20]
    context = {
        "grid": grid,
        "members": [m for m in members if m.end_date is None],
        "past_members": [m for m in members if m.end_date is not None],
        "forces": list(grid.forces.all()),
        "warnings": services.grid_warnings(grid),
        "cases": [(c, c.overdue_at(now)) for c in cases],
        "can_change": can(user, access.roles("grid.change"), grid.village),
        "member_form": forms.MemberForm(grid=grid),
        "force_form": forms.ForceForm(),
        "features": selectors.map_features(Grid.objects.filter(pk=grid.pk).select_related("village")),
        "tile_url": map_tile_url(),
    }
    return render(request, "grid/detail.html", context)


@login_required
@GET_POST
def grid_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "grid.change")
    form = forms.GridForm(request.POST or None, user=user, initial={"village": request.GET.get("village")})
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            grid, warnings = services.grid_create(
                actor=user,
                village=d["village"],
                number=d["number"],
                name=d["name"],
                kind=d["kind"],
                boundary=d["boundary"] or None,
                households=d["households"],
                population=d["population"],
                party_org=d["party_org"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已建立网格“%(name)s”（%(code)s）。") % {"name": grid.name, "code": grid.code})
            _warn(request, warnings)
            return redirect("grid:detail", pk=grid.pk)
    return render(request, "grid/form.html", {"form": form, "title": _("新建网格")})


@login_required
@GET_POST
def grid_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    grid = selectors.get_grid_for_user(user, pk)
    _need(user, "grid.change", grid.village)
    initial = {
        "name": grid.name,
        "kind": grid.kind,
        "households": grid.households,
        "population": grid.population,
        "party_org": grid.party_org_id,
        "boundary": json.dumps(grid.boundary, ensure_ascii=False) if grid.boundary else "",
    }
    form = forms.GridForm(request.POST or None, user=user, grid=grid, initial=initial)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            grid, warnings = services.grid_update(
                actor=user,
                grid=grid,
                name=d["name"],
                kind=d["kind"],
                households=d["households"],
                population=d["population"],
                party_org=d["party_org"],
                boundary=d["boundary"] or None,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已保存。"))
            _warn(request, warnings)
            return redirect("grid:detail", pk=grid.pk)
    return render(request, "grid/form.html", {"form": form, "title": _("编辑网格：%(name)s") % {"name": grid.name}, "grid": grid})


@login_required
@require_POST
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    grid = selectors.get_grid_for_user(request.user, pk)
    form = forms.MemberForm(request.POST, grid=grid)
    if form.is_valid():
        try:
            services.member_add(actor=request.user, grid=grid, **form.cleaned_data)
            messages.success(request, _("已添加网格人员。"))
        except ValidationError as exc:
            _messages(request, exc)
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    return redirect("grid:detail", pk=grid.pk)


@login_required
@require_POST
def member_end(request: AuthedRequest, pk: int) -> HttpResponse:
    member = get_for_user(GridMember.objects.select_related("grid__village"), request.user, VIEW, "grid__village__path", pk=pk)
    try:
        services.member_end(actor=request.user, member=member, end_date=timezone.localdate())
        messages.success(request, _("已结束任职。"))
    except ValidationError as exc:
        _messages(request, exc)
    return redirect("grid:detail", pk=member.grid_id)


@login_required
@require_POST
def force_add(request: AuthedRequest, pk: int) -> HttpResponse:
    grid = selectors.get_grid_for_user(request.user, pk)
    form = forms.ForceForm(request.POST)
    if form.is_valid():
        try:
            services.force_add(actor=request.user, grid=grid, **form.cleaned_data)
            messages.success(request, _("已添加专业力量。"))
        except ValidationError as exc:
            _messages(request, exc)
    return redirect("grid:detail", pk=grid.pk)


# ---- the map ---------------------------------------------------------------------------------


def _map_org(request: AuthedRequest, orgs: list[Organization]) -> Organization | None:
    """The town or village asked for among those the user may map (404 if not one), else the first village."""
    wanted = request.GET.get("org", "")
    if wanted.isdigit():
        return next((o for o in orgs if o.pk == int(wanted)), None) or get_object_or_404(Organization, pk=-1)
    return next((o for o in orgs if o.kind in GRASSROOTS_KINDS), orgs[0] if orgs else None)


@login_required
@require_GET
def map_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "grid.view")
    orgs = selectors.map_orgs_for_user(user)
    org = _map_org(request, orgs)
    context = {
        "org": org,
        "orgs": orgs,
        "geojson_url": f"{reverse('grid:map_geojson')}?org={org.pk}" if org else "",
        "tile_url": map_tile_url(),
        "can_report": can(user, access.roles("case.report"), org),
    }
    return render(request, "grid/map.html", context)


@login_required
@require_GET
def map_geojson(request: AuthedRequest) -> JsonResponse:
    _need(request.user, "grid.view")
    wanted = request.GET.get("org", "")
    org = selectors.map_org_for_user(request.user, int(wanted) if wanted.isdigit() else None)
    if org is None and wanted.isdigit():
        raise Http404
    return JsonResponse(selectors.map_data(request.user, org) if org else selectors.map_features([]))


# ---- cases -----------------------------------------------------------------------------------


# The case list's area filter; the same arguments route grid:area_filter (urls.py).
AREA: dict[str, Any] = {"action_roles": VIEW}


def _truncated(text: str, length: int) -> str:
    """|truncatechars: the text, or its first length - 1 characters and an ellipsis."""
    return text if len(text) <= length else f"{text[: length - 1]}…"


def _case_rows(cases: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The list's cells prepared once in Python (labels from one dict, one reversed link pattern),
    as on the decision list: get_FOO_display and {% url %} per row were most of the page's time."""
    case_url = pk_url("grid:case")
    statuses, levels = choice_labels(CaseStatus), choice_labels(CaseLevel)
    return [
        {
            **c,
            "url": case_url(c["pk"]),
            "summary": _truncated(c["description_start"], 24),
            "status_label": statuses.get(c["status"], c["status"]),
            "level_label": levels.get(c["level"], c["level"]),
            "overdue": case_overdue(c["status"], c["stage_due_at"], c["due_at"], now),
            # as |date:"Y-m-d H:i" and |date:"m-d H:i" showed them, in the local time zone
            "reported": f"{timezone.localtime(c['reported_at']):%Y-%m-%d %H:%M}",
            "stage_due": f"{timezone.localtime(c['stage_due_at']):%m-%d %H:%M}" if c["stage_due_at"] else "",
        }
        for c in cases
    ]


@login_required
@require_GET
def case_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "grid.view")
    now = timezone.now()
    area = org_selectors.area_filter(user, params=request.GET, **AREA)
    params = {k: v for k, v in request.GET.items() if k != "village"}  # the area filter reads the village
    rows = area.apply(selectors.cases_for_user(user, params, now), "village")
    # counted on the rows alone: the joins of the shown columns would be counted too
    page = paginate(selectors.case_list_values(rows), request.GET.get("page"), settings.PAGE_SIZE, count_qs=rows, keys_qs=rows)
    context = {
        "page": page,
        "rows": _case_rows(page.object_list, now),
        "filters": selectors.used_filters(request.GET),
        "statuses": CaseStatus.choices,
        "categories": list(CaseCategory.objects.values_list("pk", "name")),
        "area": area,
        "area_url": reverse("grid:area_filter"),
        "can_report": can(user, access.roles("case.report"), None),
    }
    template = "grid/_partials/case_rows.html" if request.htmx else "grid/cases.html"
    return render(request, template, context)


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    """The grid worker's phone page: my grids, their open cases (overdue first), a report button."""
    user = request.user
    _need(user, "grid.view")
    now = timezone.now()
    grids = list(selectors.my_grids(user))
    qs = selectors.cases_in_scope(user).filter(status__in=OPEN_STATUSES)
    qs = qs.filter(grid__in=grids) if grids else qs
    cases = sorted(qs.order_by("-reported_at")[:100], key=lambda c: (not c.overdue_at(now), c.stage_due_at or now))
    verifiable = [c for c in cases if c.status == CaseStatus.FEEDBACK]
    context = {"grids": grids, "rows": [(c, c.overdue_at(now)) for c in cases], "verifiable": verifiable}
    return render(request, "grid/mine.html", context)


@login_required
@GET_POST
def case_report(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "case.report")
    form = forms.CaseForm(request.POST or None, initial={"lng": request.GET.get("lng"), "lat": request.GET.get("lat")})
    if form.is_bound and form.is_valid():
        try:
            case = services.case_report(actor=user, photos=request.FILES.getlist("photos"), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已上报，事件编号 %(code)s。") % {"code": case.code})
            return redirect("grid:case", pk=case.pk)
    org = selectors.villages_for_user(user)
    context = {
        "form": form,
        "geojson_url": reverse("grid:map_geojson") + (f"?org={org[0].pk}" if len(org) == 1 else ""),
        "check_url": reverse("grid:case_check"),
        "tile_url": map_tile_url(),
        "accept": ",".join(services.PHOTO_TYPES),
    }
    return render(request, "grid/report.html", context)


def check_point(request: Any, grids: Any, public: bool = False) -> HttpResponse:
    """htmx: which grid the clicked point is in, and open cases nearby of the same category."""
    try:
        lng, lat = float(request.GET.get("lng", "")), float(request.GET.get("lat", ""))
    except ValueError:
        return render(request, "grid/_partials/check.html", {"error": _("请在地图上点选事件位置。")})
    try:
        grid = services.locate(lng, lat, grids)
    except ValidationError as exc:
        return render(request, "grid/_partials/check.html", {"error": exc.messages[0]})
    wanted = request.GET.get("category", "")
    category = CaseCategory.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    dupes = services.duplicates(category=category, lng=lng, lat=lat) if category else []
    return render(request, "grid/_partials/check.html", {"grid": grid, "duplicates": dupes, "public": public})


@login_required
@require_GET
def case_check(request: AuthedRequest) -> HttpResponse:
    _need(request.user, "case.report")
    return check_point(request, services.reportable_grids(request.user))


def _case_actions(user: Any, case: Any) -> list[Any]:
    moves = []
    for m in moves_from(case.status):
        if services.may(user, m, case):
            moves.append(m)
    return moves


@login_required
@require_GET
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    case = selectors.get_case_for_user(user, pk)
    now = timezone.now()
    context = {
        "case": case,
        "overdue": case.overdue_at(now),
        "timeline": selectors.timeline(case),
        "moves": _case_actions(user, case),
        "forces": list(GridForce.objects.filter(grid=case.grid, is_active=True)),
        "photos": list(case.photos.all()),
        "may_reveal": bool(case.reporter_phone_encrypted) and can(user, access.roles("case.handle"), case.village),
        "targets": DispatchTarget.choices,
        "holder": services.holder_org(case),
        "HANDLER": HANDLER,
        "VERIFIER": VERIFIER,
        "reopen_days": services.REOPEN_DAYS,
        "duplicates": services.duplicates(category=case.category, lng=case.lng, lat=case.lat, now=case.reported_at, exclude=case.pk)
        if case.is_open
        else [],
    }
    return render(request, "grid/case.html", context)


@login_required
@require_POST
def case_move(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    case = selectors.get_case_for_user(user, pk)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        return redirect("grid:case", pk=case.pk)
    d = form.cleaned_data
    force = GridForce.objects.filter(pk=d["force"], grid=case.grid).first() if d["force"] else None
    try:
        services.case_transition(
            actor=user,
            case=case,
            action=action,
            reason=d["reason"],
            result=d["result"],
            target=d["target"],
            dispatched_to=d["dispatched_to"],
            force=force,
            satisfaction=d["satisfaction"],
        )
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(request, _("已办理。"))
    return redirect("grid:case", pk=case.pk)


@login_required
@require_POST
def case_phone(request: AuthedRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk)
    phone = services.reveal_phone(actor=request.user, case=case)
    return HttpResponse(f'<span id="reporter-phone">{phone}</span>')


@login_required
@require_GET
def photo(request: AuthedRequest, pk: int) -> FileResponse:
    stored = get_for_user(CasePhoto.objects.select_related("case__village"), request.user, VIEW, "case__village__path", pk=pk)
    return FileResponse(stored.file.open("rb"), filename=stored.name)


# ---- statistics ------------------------------------------------------------------------------


@login_required
@require_GET
def stats_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "grid.view")
    wanted = request.GET.get("org", "")
    if wanted.isdigit():
        within = get_for_user(Organization.objects.all(), user, VIEW, "path", pk=int(wanted))
    else:
        found = stats.default_org(user)
        if found is None:
            raise PermissionDenied
        within = found
    parent = Organization.objects.filter(path=within.path[: -Organization.steplen]).first() if within.depth > 1 else None
    context = {
        "report": stats.report(user, within),
        "columns": stats.STATUS_COLUMNS,
        "parent": parent if parent is not None and can(user, VIEW, parent) else None,
    }
    return render(request, "grid/stats.html", context)


# ---- residents: the public form and the tracking page (no account) ----------------------------

# [U] At most this many reports per phone and per address in a rolling hour (Django cache).
PUBLIC_PER_PHONE = 3
PUBLIC_PER_IP = 10
PUBLIC_WINDOW_S = 3600


def _throttled(request: Any, phone: str) -> bool:
    """Count this attempt against the address and the phone; True when either is over its limit."""
    within_ip = throttle.allow(request, "grid-report", PUBLIC_PER_IP, PUBLIC_WINDOW_S)
    within_phone = not phone or throttle.hit(f"grid-report:phone:{fieldcrypto_hash(phone)}", PUBLIC_PER_PHONE, PUBLIC_WINDOW_S)
    return not (within_ip and within_phone)


def fieldcrypto_hash(phone: str) -> str:
    from jiceng.lib import fieldcrypto

    return fieldcrypto.lookup_hash(phone.strip())


@GET_POST
def public_report(request: Any) -> HttpResponse:
    form = forms.PublicCaseForm(request.POST or None)
    if form.is_bound and form.is_valid():
        if _throttled(request, form.cleaned_data["reporter_phone"]):
            form.add_error(None, _("提交过于频繁，请一小时后再试；紧急情况请拨打 110 或 12345。"))
        else:
            try:
                case = services.case_report(actor=None, photos=request.FILES.getlist("photos"), **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                return redirect("grid_public:track", code=case.code)
    context = {
        "form": form,
        "geojson_url": reverse("grid_public:geojson"),
        "bounded": True,  # the map asks for the grids of its view only (selectors.public_map_data)
        "extent": selectors.grid_extent(),
        "check_url": reverse("grid_public:check"),
        "tile_url": map_tile_url(),
        "accept": ",".join(services.PHOTO_TYPES),
    }
    return render(request, "grid/public_report.html", context)


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    """west,south,east,north as Leaflet's toBBoxString() writes it; ValueError when malformed."""
    if not raw:
        return None
    parts = [float(x) for x in raw.split(",")]
    if len(parts) != 4 or not all(math.isfinite(x) for x in parts) or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ValueError(raw)
    return parts[0], parts[1], parts[2], parts[3]


@require_GET
def public_geojson(request: Any) -> JsonResponse:
    try:
        bbox = _bbox(request.GET.get("bbox", ""))
    except ValueError:
        return JsonResponse({"detail": "地图范围（bbox）格式应为：西经,南纬,东经,北纬。"}, status=400)
    return JsonResponse(selectors.public_map_data(bbox))


@require_GET
def public_check(request: Any) -> HttpResponse:
    return check_point(request, Grid.objects.all(), public=True)


@require_GET
def track_lookup(request: Any) -> HttpResponse:
    code = request.GET.get("code", "").strip().upper()
    if code:
        return redirect("grid_public:track", code=code)
    return render(request, "grid/public_track_lookup.html")


@require_GET
def track(request: Any, code: str) -> HttpResponse:
    case = selectors.get_case_by_code(code)
    events = [e for e in selectors.timeline(case) if e["kind"] == "event"]
    return render(request, "grid/public_track.html", {"case": case, "events": events, "reopen_days": services.REOPEN_DAYS})


@require_POST
def track_move(request: Any, code: str, action: str) -> HttpResponse:
    """The resident confirms the result (verify) or rates it (evaluate), holding the tracking code."""
    case = selectors.get_case_by_code(code)
    if action not in ("verify", "send_back", "evaluate"):
        raise PermissionDenied
    form = forms.MoveForm(request.POST)
    satisfaction = form.cleaned_data["satisfaction"] if form.is_valid() else None
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.case_transition(actor=None, case=case, action=action, reason=reason, satisfaction=satisfaction, reporter=True)
    except ValidationError as exc:
        return render(request, "grid/public_track.html", {"case": case, "events": [], "errors": exc.messages}, status=400)
    return redirect("grid_public:track", code=case.code)
