"""/api/v1/grids, /cases, /case-categories: grid governance (domain.md §6, issue #5).

Writes go through jiceng.grid.services (role, scope, the lifecycle table, the geometry checks);
reads are scoped like the pages. An object outside the caller's scope is a 404; a role that may see
it but not do this is a 403. Reporters' phones are only ever given masked.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from jiceng.accounts.access import get_for_user
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, org_for, paginate
from jiceng.api.schemas import Input, PageQuery
from jiceng.grid import access, selectors, services, stats
from jiceng.grid.models import Case, CaseCategory, CaseStatus, DispatchTarget, Grid, GridForce, GridKind
from jiceng.grid.workflow import MOVES, moves_from
from jiceng.lib.listing import label
from jiceng.orgs.models import Organization

router = Router(tags=["网格"])
VIEW = access.roles("grid.view")


# ---- schemas ---------------------------------------------------------------------------------


class WarningOut(Schema):
    text: str
    basis: str


class GridOut(Schema):
    id: int
    code: str = Field(..., description="村（社区）编码加三位网格序号")
    name: str
    kind: GridKind
    village: int
    village_name: str
    households: int
    population: int
    party_org: int | None = Field(None, description="网格党组织（党支部或党小组）id")
    bbox: list[float] | None = Field(None, description="[最小经度, 最小纬度, 最大经度, 最大纬度]")
    is_active: bool

    @staticmethod
    def resolve_village(obj: Grid) -> int:
        return obj.village_id

    @staticmethod
    def resolve_village_name(obj: Grid) -> str:
        return obj.village.name

    @staticmethod
    def resolve_party_org(obj: Grid) -> int | None:
        return obj.party_org_id

    @staticmethod
    def resolve_bbox(obj: Grid) -> list[float] | None:
        box = (obj.min_lng, obj.min_lat, obj.max_lng, obj.max_lat)
        return [float(x) for x in box if x is not None] if obj.min_lng is not None else None


class MemberOut(Schema):
    person: int
    name: str
    role: str
    start_date: Any
    end_date: Any = None


class ForceOut(Schema):
    id: int
    kind: str
    name: str
    contact_name: str
    phone_masked: str


class GridDetailOut(GridOut):
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon / MultiPolygon（WGS 84 经纬度）")
    members: list[MemberOut]
    forces: list[ForceOut]
    warnings: list[WarningOut]

    @staticmethod
    def resolve_members(obj: Grid) -> list[dict[str, Any]]:
        return [
            {"person": m.person_id, "name": m.person.name, "role": m.role, "start_date": m.start_date, "end_date": m.end_date}
            for m in obj.members.all()
        ]

    @staticmethod
    def resolve_forces(obj: Grid) -> list[GridForce]:
        return list(obj.forces.all())

    @staticmethod
    def resolve_warnings(obj: Grid) -> list[dict[str, str]]:
        return [{"text": w.text, "basis": w.basis} for w in services.grid_warnings(obj)]


class GridPage(Schema):
    items: list[GridOut]
    count: int
    page: int
    page_size: int


class GridQuery(PageQuery):
    village: int | None = Field(None, description="村（社区）id")


class GridIn(Input):
    village: int = Field(..., description="村（社区）id")
    number: str = Field(..., description="三位网格序号，如 001")
    name: str
    kind: GridKind = GridKind.COMPREHENSIVE
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon 或 MultiPolygon")
    households: int = Field(0, ge=0)
    population: int = Field(0, ge=0)


class GridCreatedOut(Schema):
    grid: GridDetailOut
    warnings: list[WarningOut] = Field(..., description="规模、重叠等提示；不影响保存")


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    sla_class: str
    accept_hours: int
    dispatch_hours: int
    respond_hours: int
    handle_hours: int
    verify_hours: int
    close_hours: int
    total_hours: int


class CaseOut(Schema):
    id: int
    code: str = Field(..., description="查询码")
    grid: int
    grid_name: str
    village: int
    category: int
    category_name: str
    description: str
    address: str
    lng: float
    lat: float
    source: str
    reporter_name: str
    reporter_phone_masked: str
    status: CaseStatus
    status_label: str
    level: str
    dispatch_target: str
    dispatched_to: str
    reported_at: datetime
    stage_due_at: datetime | None
    due_at: datetime
    closed_at: datetime | None
    overdue: bool = Field(..., description="此刻是否超过本环节或总时限（按日期计算）")

    @staticmethod
    def resolve_grid(obj: Case) -> int:
        return obj.grid_id

    @staticmethod
    def resolve_grid_name(obj: Case) -> str:
        return obj.grid.name

    @staticmethod
    def resolve_village(obj: Case) -> int:
        return obj.village_id

    @staticmethod
    def resolve_category(obj: Case) -> int:
        return obj.category_id

    @staticmethod
    def resolve_category_name(obj: Case) -> str:
        return obj.category.name

    @staticmethod
    def resolve_status_label(obj: Case) -> str:
        return label(CaseStatus, obj.status)

    @staticmethod
    def resolve_overdue(obj: Case) -> bool:
        return obj.overdue_at(timezone.now())


class TimelineOut(Schema):
    at: datetime
    kind: str = Field(..., description="event 办理动作；escalation 超时督办")
    action: str
    label: str
    actor: str
    note: str
    due_at: datetime | None = None


class MoveOut(Schema):
    action: str
    label: str
    needs: str


class CaseDetailOut(CaseOut):
    result: str
    refuse_reason: str
    satisfaction: int | None
    timeline: list[TimelineOut]
    moves: list[MoveOut] = Field(..., description="本人此刻可做的操作")

    @staticmethod
    def resolve_timeline(obj: Case) -> list[dict[str, Any]]:
        return [{k: e.get(k) for k in ("at", "kind", "action", "label", "actor", "note", "due_at")} for e in selectors.timeline(obj)]

    @staticmethod
    def resolve_moves(obj: Case) -> list[dict[str, str]]:
        return getattr(obj, "api_moves", [])


class CasePage(Schema):
    items: list[CaseOut]
    count: int
    page: int
    page_size: int


class CaseQuery(PageQuery):
    status: str | None = Field(None, description="状态；open 为全部在办")
    category: int | None = None
    village: int | None = None
    grid: int | None = None
    overdue: bool | None = Field(None, description="true 仅超时事件")


class CaseIn(Input):
    category: int
    description: str
    lng: float = Field(..., description="经度（WGS 84）")
    lat: float = Field(..., description="纬度（WGS 84）")
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""


class TransitionIn(Input):
    reason: str = ""
    result: str = ""
    target: DispatchTarget | None = Field(None, description="分派去向：department / force / up")
    dispatched_to: str = ""
    force: int | None = Field(None, description="本网格专业力量 id")
    satisfaction: int | None = Field(None, ge=1, le=5)


class StatsRowOut(Schema):
    id: int
    name: str
    code: str
    total: int
    open: int
    overdue: int
    closed: int
    on_time_rate: float | None = Field(None, description="按时办结率（%）")
    median_hours: float | None = Field(None, description="办结时长中位数（小时）")
    escalations: int
    by_status: dict[str, int]


class StatsOut(Schema):
    org: int
    name: str
    per: str = Field(..., description="分组：grid 按网格、village 按村（社区）、town 按镇（街道）")
    total: StatsRowOut
    rows: list[StatsRowOut]
    by_category: list[dict[str, Any]]


class StatsQuery(Schema):
    org: int | None = Field(None, description="组织 id（区、镇街或村社区）；默认为本人授权范围")


# ---- grids -----------------------------------------------------------------------------------


@router.get("/grids", response={200: GridPage, **LIST_ERRORS}, summary="网格列表", description="本人管辖范围内的网格，可按村（社区）筛选。")
def list_grids(request: HttpRequest, filters: Query[GridQuery]) -> dict[str, object]:
    qs = selectors.grids_for_user(current_user(request)).order_by("code")
    if filters.village is not None:
        qs = qs.filter(village_id=filters.village)
    return paginate(qs, filters)


@router.get(
    "/grids/{grid_id}", response={200: GridDetailOut, **DETAIL_ERRORS}, summary="网格详情", description="含边界、人员、专业力量与提示。"
)
def get_grid(request: HttpRequest, grid_id: Path[int]) -> Grid:
    return selectors.get_grid_for_user(current_user(request), grid_id)


@router.post(
    "/grids",
    response={201: GridCreatedOut, **WRITE_ERRORS},
    summary="新建网格",
    description="边界须为有效的 GeoJSON 多边形；规模超出规范或与相邻网格重叠时照常保存并返回提示。",
)
def create_grid(request: HttpRequest, payload: GridIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    grid, warnings = services.grid_create(
        actor=user,
        village=org_for(user, payload.village),
        number=payload.number,
        name=payload.name,
        kind=payload.kind,
        boundary=payload.boundary,
        households=payload.households,
        population=payload.population,
    )
    detail = selectors.get_grid_for_user(user, grid.pk)
    return Status(201, {"grid": detail, "warnings": [{"text": w.text, "basis": w.basis} for w in warnings]})


# ---- cases -----------------------------------------------------------------------------------


@router.get("/case-categories", response={200: list[CategoryOut], **LIST_ERRORS}, summary="事件类别与时限")
def list_categories(request: HttpRequest) -> QuerySet[CaseCategory]:
    current_user(request)
    return CaseCategory.objects.filter(is_active=True)


@router.get("/cases", response={200: CasePage, **LIST_ERRORS}, summary="事件列表", description="本人管辖范围内的事件；超时按此刻计算。")
def list_cases(request: HttpRequest, filters: Query[CaseQuery]) -> dict[str, object]:
    params = {k: str(v) for k, v in filters.dict().items() if v not in (None, False, "") and k not in ("page", "page_size")}
    qs = selectors.cases_for_user(current_user(request), params)
    return paginate(qs, filters, keys_qs=qs)


def _case_detail(user: Any, case: Case) -> Case:
    case.api_moves = [  # type: ignore[attr-defined]
        {"action": m.action, "label": m.label, "needs": m.needs} for m in moves_from(case.status) if services.may(user, m, case)
    ]
    return case


@router.get("/cases/stats", response={200: StatsOut, **LIST_ERRORS, **DETAIL_ERRORS}, summary="事件统计")
def case_stats(request: HttpRequest, filters: Query[StatsQuery]) -> dict[str, Any]:
    user = current_user(request)
    if filters.org is not None:
        within = get_for_user(Organization.objects.all(), user, VIEW, "path", pk=filters.org)
    else:
        found = stats.default_org(user)
        if found is None:
            raise PermissionDenied
        within = found
    rep = stats.report(user, within)

    def row(key: int, name: str, code: str, f: stats.Figures) -> dict[str, Any]:
        return {
            "id": key,
            "name": name,
            "code": code,
            "total": f.total,
            "open": f.open,
            "overdue": f.overdue,
            "closed": f.closed,
            "on_time_rate": f.on_time_rate,
            "median_hours": f.median_hours,
            "escalations": f.escalations,
            "by_status": f.by_status,
        }

    return {
        "org": within.pk,
        "name": within.name,
        "per": rep.per,
        "total": row(within.pk, within.name, within.code, rep.total),
        "rows": [row(r.key, r.name, r.code, r.figures) for r in rep.rows],
        "by_category": [{"name": n, "total": t, "open": o} for n, t, o in rep.by_category],
    }


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetailOut, **DETAIL_ERRORS},
    summary="事件详情",
    description="含办理过程（含督办）与本人可做的操作。",
)
def get_case(request: HttpRequest, case_id: Path[int]) -> Case:
    user = current_user(request)
    return _case_detail(user, selectors.get_case_for_user(user, case_id))


@router.post(
    "/cases",
    response={201: CaseDetailOut, **WRITE_ERRORS},
    summary="上报事件",
    description="按经纬度自动归入所在网格（点在多边形内）；不在本人可上报的任何网格内的点被拒绝。",
)
def report_case(request: HttpRequest, payload: CaseIn) -> Status[Case]:
    user = current_user(request)
    category = CaseCategory.objects.filter(pk=payload.category).first()
    if category is None:
        raise ValidationError({"category": "没有这个事件类别。"})
    case = services.case_report(
        actor=user,
        category=category,
        description=payload.description,
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
    )
    return Status(201, _case_detail(user, selectors.get_case_for_user(user, case.pk)))


@router.post(
    "/cases/{case_id}/transitions/{action}",
    response={200: CaseDetailOut, **WRITE_ERRORS},
    summary="办理事件",
    description="按事件流程表办理：" + "、".join(f"{m.action}（{m.label}）" for m in MOVES.values()) + "。跳过环节、角色不符均被拒绝。",
)
def transition_case(request: HttpRequest, case_id: Path[int], action: Path[str], payload: TransitionIn) -> Case:
    user = current_user(request)
    case = selectors.get_case_for_user(user, case_id)
    force = GridForce.objects.filter(pk=payload.force, grid=case.grid).first() if payload.force else None
    services.case_transition(
        actor=user,
        case=case,
        action=action,
        reason=payload.reason,
        result=payload.result,
        target=payload.target or "",
        dispatched_to=payload.dispatched_to,
        force=force,
        satisfaction=payload.satisfaction,
    )
    return _case_detail(user, selectors.get_case_for_user(user, case_id))
