"""Writes of grid governance: grids and their people and forces, and the case lifecycle.

Each write is one transaction that checks the role on the organization (`require`), locks the row
it changes, and writes its audit event. Cases move only through `case_transition`, which applies
the one table in workflow.py.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jiceng.accounts.access import can, roles_of, scope
from jiceng.accounts.models import Role, User
from jiceng.audit import services as audit
from jiceng.grid import access, geometry
from jiceng.grid.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseLevel,
    CasePhoto,
    CaseSource,
    CaseStatus,
    DispatchTarget,
    ForceKind,
    Grid,
    GridForce,
    GridKind,
    GridMember,
    MemberRole,
)
from jiceng.grid.workflow import HANDLER, MOVES, STAGE_HOURS, VERIFIER, Move
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_phone
from jiceng.orgs.models import GRASSROOTS_KINDS, PARTY_ORG_KINDS, Organization, OrgKind, Person

# ---- rules (domain.md §6.1, §6.3; [S] secondary source, [U] our own choice) -------------------

URBAN_HOUSEHOLDS = (300, 500)  # [S] urban community comprehensive grid: 300-500 households
RURAL_HOUSEHOLDS_MAX = 300  # [S] rural grid: a natural village or about 300 households
POPULATION_MAX = 2500  # [S] actual population ≤ 2,000-2,500
OVERLAP_TOLERANCE = 0.001  # [U] overlaps below 0.1 % of the smaller grid are drawing noise
REOPEN_DAYS = 7  # [U] a closed case may be reopened within this many days
DUPLICATE_RADIUS_M = 100  # [U] duplicate hints: same category within this distance …
DUPLICATE_DAYS = 7  # [U] … reported within this many days
TOWN_KINDS = (OrgKind.TOWN, OrgKind.SUBDISTRICT)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PHOTO_TYPES = {".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff", ".png": b"\x89PNG\r\n\x1a\n"}


def require(actor: User | None, action: str, org: Organization) -> None:
    if actor is None or not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权对该村（社区）进行此操作。")


# ---- grids -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridWarning:
    text: str
    basis: str


def _town_path(village: Organization) -> str:
    return village.path[: len(village.path) - Organization.steplen]


def grid_warnings(grid: Grid) -> list[GridWarning]:
    """Size norms and overlaps with neighbours in the same town; warnings, never refusals."""
    warnings: list[GridWarning] = []
    village = grid.village
    if grid.kind == GridKind.COMPREHENSIVE:
        low, high = URBAN_HOUSEHOLDS
        if village.kind == OrgKind.COMMUNITY and not low <= grid.households <= high:
            warnings.append(
                GridWarning(f"城市社区综合网格一般为 {low}—{high} 户，本网格 {grid.households} 户。", "网格划分规范（domain.md §6.1）")
            )
        if village.kind == OrgKind.VILLAGE and grid.households > RURAL_HOUSEHOLDS_MAX:
            warnings.append(
                GridWarning(
                    f"农村综合网格一般以自然村或约 {RURAL_HOUSEHOLDS_MAX} 户划分，本网格 {grid.households} 户。",
                    "网格划分规范（domain.md §6.1）",
                )
            )
        if grid.population > POPULATION_MAX:
            warnings.append(GridWarning(f"网格实有人口一般不超过 {POPULATION_MAX} 人，本网格 {grid.population} 人。", "domain.md §6.1"))
    if grid.boundary:
        geom = geometry.parse_boundary(grid.boundary)
        for name, m2 in _overlaps(grid, geom):
            warnings.append(GridWarning(f"边界与相邻网格“{name}”重叠约 {m2:,.0f} 平方米，请核对。", "网格全覆盖、不交叉"))
    else:
        warnings.append(GridWarning("尚未绘制网格边界，地图上无法显示，群众上报的位置也无法归入本网格。", "domain.md §6.1"))
    if grid.party_org_id is None:
        warnings.append(GridWarning("本网格尚未建立党组织（党支部或党小组）。", "“支部建在网格上”（domain.md §6.4）"))
    return warnings


def _overlaps(grid: Grid, geom: Any) -> list[tuple[str, float]]:
    min_lng, min_lat, max_lng, max_lat = geometry.bbox(geom)
    neighbours = (
        Grid.objects.filter(village__path__startswith=_town_path(grid.village), is_active=True, boundary__isnull=False)
        .exclude(pk=grid.pk)
        .filter(min_lng__lte=max_lng, max_lng__gte=min_lng, min_lat__lte=max_lat, max_lat__gte=min_lat)
        .values_list("name", "boundary")
    )
    return geometry.overlaps(geom, [(name, b) for name, b in neighbours if b], OVERLAP_TOLERANCE)


def _check_grid_fields(village: Organization, name: str, households: int, population: int, party_org: Organization | None) -> None:
    if village.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"village": "网格须划在村或社区之下。"})
    if not name.strip():
        raise ValidationError({"name": "请填写网格名称。"})
    if households < 0 or population < 0:
        raise ValidationError({"households": "户数和人口不能为负数。"})
    if households and population and population < households:
        raise ValidationError({"population": "人口数不应少于户数。"})
    if party_org is not None and (party_org.kind not in PARTY_ORG_KINDS or not party_org.path.startswith(village.path)):
        raise ValidationError({"party_org": "网格党组织须是本村（社区）的党支部或党小组。"})


def _apply_boundary(grid: Grid, boundary: Any) -> None:
    if boundary in (None, "", {}):
        grid.boundary = None
        grid.min_lng = grid.min_lat = grid.max_lng = grid.max_lat = None
        return
    geom = geometry.parse_boundary(boundary)
    grid.boundary = _as_json(geom.__geo_interface__)
    grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = geometry.bbox(geom)


def _as_json(geom: dict[str, Any]) -> dict[str, Any]:
    """shapely's __geo_interface__ gives tuples; the stored JSON uses lists."""

    def lists(x: Any) -> Any:
        return [lists(i) for i in x] if isinstance(x, list | tuple) else x

    return {"type": geom["type"], "coordinates": lists(geom["coordinates"])}


GRID_FIELDS = ("code", "name", "kind", "households", "population", "party_org_id", "min_lng", "min_lat", "max_lng", "max_lat")


def grid_create(
    *,
    actor: User,
    village: Organization,
    number: str,
    name: str,
    kind: str = GridKind.COMPREHENSIVE,
    boundary: Any = None,
    households: int = 0,
    population: int = 0,
    party_org: Organization | None = None,
) -> tuple[Grid, list[GridWarning]]:
    """A grid coded village code + 3 digits (CJ/T 349-2010 style, domain.md §6.1)."""
    require(actor, "grid.change", village)
    _check_grid_fields(village, name, households, population, party_org)
    if not (len(number) == 3 and number.isdigit() and number != "000"):
        raise ValidationError({"number": "网格序号须为 001—999 的三位数字。"})
    code = f"{village.code}{number}"
    if Grid.objects.filter(code=code).exists():
        raise ValidationError({"number": f"网格编码 {code} 已被使用。"})
    grid = Grid(village=village, code=code, name=name.strip(), kind=kind, households=households, population=population, party_org=party_org)
    _apply_boundary(grid, boundary)
    with transaction.atomic():
        grid.save()
        audit.record(actor=actor, action="grid.create", obj=grid, org=village, changes=audit.snapshot(grid, GRID_FIELDS))
    return grid, grid_warnings(grid)


def grid_update(*, actor: User, grid: Grid, **changes: Any) -> tuple[Grid, list[GridWarning]]:
    """Change name, kind, counts, party organization or boundary (`boundary=` GeoJSON; None clears it)."""
    require(actor, "grid.change", grid.village)
    allowed = {"name", "kind", "households", "population", "party_org", "boundary", "is_active"}
    if unknown := set(changes) - allowed:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}。")
    with transaction.atomic():
        grid = Grid.objects.select_for_update().select_related("village").get(pk=grid.pk)
        before = audit.snapshot(grid, GRID_FIELDS)
        for key in ("name", "kind", "households", "population", "party_org", "is_active"):
            if key in changes:
                setattr(grid, key, changes[key])
        _check_grid_fields(grid.village, grid.name, grid.households, grid.population, grid.party_org)
        if "boundary" in changes:
            _apply_boundary(grid, changes["boundary"])
        grid.save(update_fields=["name", "kind", "households", "population", "party_org", "is_active", "boundary", *GRID_FIELDS[6:]])
        delta = audit.diff(before, audit.snapshot(grid, GRID_FIELDS))
        if "boundary" in changes:
            delta["boundary"] = ["…", "已更新" if grid.boundary else "已清除"]
        audit.record(actor=actor, action="grid.update", obj=grid, org=grid.village, changes=delta)
    return grid, grid_warnings(grid)


def member_add(*, actor: User, grid: Grid, person: Person, role: str, start_date: date, user: User | None = None) -> GridMember:
    require(actor, "grid.change", grid.village)
    if role not in MemberRole.values:
        raise ValidationError({"role": "请选择网格长、专职或兼职网格员。"})
    if not person.organization.path.startswith(_town_path(grid.village)):
        raise ValidationError({"person": "网格人员须是本镇（街道）登记的人员。"})
    if start_date > timezone.localdate():
        raise ValidationError({"start_date": "开始日期不能晚于今天。"})
    with transaction.atomic():
        Grid.objects.select_for_update().get(pk=grid.pk)  # one chief at a time, even with two clicks
        active = GridMember.objects.filter(grid=grid, end_date__isnull=True)
        if role == MemberRole.CHIEF and active.filter(role=MemberRole.CHIEF).exists():
            raise ValidationError({"role": "本网格已有在任网格长，请先结束其任职。"})
        if active.filter(person=person).exists():
            raise ValidationError({"person": f"{person.name} 已在本网格任职。"})
        member = GridMember.objects.create(grid=grid, person=person, role=role, start_date=start_date, user=user)
        audit.record(
            actor=actor,
            action="grid.member_add",
            obj=member,
            org=grid.village,
            changes={"grid": grid.code, "person": person.name, "role": role, "start_date": start_date, "user": user and user.username},
        )
    return member


def member_end(*, actor: User, member: GridMember, end_date: date) -> GridMember:
    require(actor, "grid.change", member.grid.village)
    with transaction.atomic():
        member = GridMember.objects.select_for_update().select_related("grid__village", "person").get(pk=member.pk)
        if member.end_date is not None:
            raise ValidationError("该任职已结束。")
        if end_date < member.start_date:
            raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
        member.end_date = end_date
        member.save(update_fields=["end_date"])
        audit.record(actor=actor, action="grid.member_end", obj=member, org=member.grid.village, changes={"end_date": end_date})
    return member


def force_add(*, actor: User, grid: Grid, kind: str, name: str, contact_name: str = "", phone: str = "") -> GridForce:
    require(actor, "grid.change", grid.village)
    if kind not in ForceKind.values:
        raise ValidationError({"kind": "请选择专业力量类别。"})
    if not name.strip():
        raise ValidationError({"name": "请填写名称。"})
    phone = normalize_phone(phone) if phone.strip() else ""
    force = GridForce(grid=grid, kind=kind, name=name.strip(), contact_name=contact_name.strip())
    if phone:
        force.phone_encrypted, force.phone_masked = fieldcrypto.encrypt(phone), fieldcrypto.mask_phone(phone)
    with transaction.atomic():
        force.save()
        audit.record(
            actor=actor,
            action="grid.force_add",
            obj=force,
            org=grid.village,
            changes={"grid": grid.code, "kind": kind, "name": force.name, "phone": force.phone_masked},
        )
    return force


# ---- locating a point ------------------------------------------------------------------------

OUTSIDE = "所选位置不在任何网格范围内，请在地图上的网格边界内选点。"


def locate(lng: float, lat: float, grids: QuerySet[Grid]) -> Grid:
    """The grid containing the point, among `grids`: a bounding-box filter in the database, then
    the exact point-in-polygon test. A point in no grid is refused."""
    if not geometry.valid_point(lng, lat):
        raise ValidationError({"location": "坐标无效：经度须在 -180 至 180、纬度须在 -90 至 90 之间。"})
    candidates = grids.filter(
        is_active=True, boundary__isnull=False, min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
    ).select_related("village")
    for grid in sorted(candidates, key=lambda g: g.code):
        if grid.boundary and geometry.contains(grid.boundary, lng, lat):
            return grid
    raise ValidationError({"location": OUTSIDE})


def reportable_grids(actor: User | None) -> QuerySet[Grid]:
    """Where this actor may report: the grids in scope of case.report; everywhere for residents."""
    qs = Grid.objects.all()
    return qs if actor is None else scope(qs, actor, access.roles("case.report"), "village__path")


# ---- cases -----------------------------------------------------------------------------------


def _new_code() -> str:
    return "SJ" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _hours(category: CaseCategory, status: str) -> int | None:
    field = STAGE_HOURS.get(status)
    return getattr(category, field) if field else None


def _stage_due(category: CaseCategory, status: str, start: datetime) -> datetime | None:
    hours = _hours(category, status)
    return start + timedelta(hours=hours) if hours is not None else None


def duplicates(*, category: CaseCategory, lng: float, lat: float, now: datetime | None = None, exclude: int | None = None) -> list[Case]:
    """Open cases of the same category within the radius and time window: shown before saving."""
    now = now or timezone.now()
    min_lng, min_lat, max_lng, max_lat = geometry.degree_box(lng, lat, DUPLICATE_RADIUS_M)
    qs = Case.objects.filter(
        category=category,
        status__in=OPEN_STATUSES,
        reported_at__gte=now - timedelta(days=DUPLICATE_DAYS),
        lng__range=(min_lng, max_lng),
        lat__range=(min_lat, max_lat),
    ).select_related("grid", "category")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return [c for c in qs if geometry.haversine_m(lng, lat, c.lng, c.lat) <= DUPLICATE_RADIUS_M]


def check_photo(upload: UploadedFile) -> None:
    """Images only (JPEG, PNG), checked by their first bytes, within MAX_UPLOAD_MB."""
    name = upload.name or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in PHOTO_TYPES:
        raise ValidationError({"photos": f"“{name}”不是图片：只能上传 JPG 或 PNG 照片。"})
    limit = settings.MAX_UPLOAD_MB
    if (upload.size or 0) > limit * 1024 * 1024:
        raise ValidationError({"photos": f"“{name}”超过 {limit} MB，请压缩后再上传。"})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(PHOTO_TYPES[suffix]):
        raise ValidationError({"photos": f"“{name}”的内容不是 JPG 或 PNG 图片。"})


def _save_photo(case: Case, upload: UploadedFile, actor: User | None) -> CasePhoto:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CasePhoto.objects.create(case=case, file=upload, name=(upload.name or "")[:200], sha256=digest.hexdigest(), uploaded_by=actor)


def case_report(
    *,
    actor: User | None,
    category: CaseCategory,
    description: str,
    lng: float,
    lat: float,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable[UploadedFile] = (),
    now: datetime | None = None,
) -> Case:
    """Report a case at a point; the point decides the grid. `actor` None is a resident (public form)."""
    now = now or timezone.now()
    if actor is not None and not can(actor, access.roles("case.report"), None):
        raise PermissionDenied("您无权上报事件。")
    if not category.is_active:
        raise ValidationError({"category": "该事件类别已停用。"})
    if len(description.strip()) < 5:
        raise ValidationError({"description": "请描述事件（至少 5 个字）。"})
    if actor is None:
        if not reporter_name.strip():
            raise ValidationError({"reporter_name": "请填写您的姓名。"})
        if not reporter_phone.strip():
            raise ValidationError({"reporter_phone": "请填写手机号，便于回访。"})
    phone = normalize_phone(reporter_phone) if reporter_phone.strip() else ""
    photos = list(photos)
    for upload in photos:
        check_photo(upload)
    grid = locate(lng, lat, reportable_grids(actor))
    if actor is not None:
        is_worker = Role.GRID_WORKER in roles_of(actor) and can(actor, {Role.GRID_WORKER}, grid.village)
        source = CaseSource.GRID_WORKER if is_worker else CaseSource.STAFF
    else:
        source = CaseSource.RESIDENT
    case = Case(
        code=_new_code(),
        village=grid.village,
        grid=grid,
        category=category,
        description=description.strip(),
        address=address.strip(),
        lng=lng,
        lat=lat,
        source=source,
        reported_by=actor,
        reporter_name=reporter_name.strip() or (str(actor) if actor else ""),
        reported_at=now,
        stage_started_at=now,
        stage_due_at=_stage_due(category, CaseStatus.REPORTED, now),
        due_at=now + timedelta(hours=category.total_hours),
    )
    if phone:
        case.reporter_phone_encrypted, case.reporter_phone_masked = fieldcrypto.encrypt(phone), fieldcrypto.mask_phone(phone)
    with transaction.atomic():
        while Case.objects.filter(code=case.code).exists():
            case.code = _new_code()
        case.save()
        for upload in photos:
            _save_photo(case, upload, actor)
        CaseEvent.objects.create(
            case=case, action="report", to_status=case.status, actor=actor, actor_label=_label(actor, case), note=case.description, at=now
        )
        audit.record(
            actor=actor,
            action="case.report",
            obj=case,
            org=grid.village,
            changes={
                "code": case.code,
                "grid": grid.code,
                "category": category.code,
                "source": source,
                "location": [lng, lat],
                "phone": case.reporter_phone_masked,
                "photos": len(photos),
            },
        )
    return case


def _label(actor: User | None, case: Case) -> str:
    if actor is not None:
        return str(actor)
    return f"反映人 {case.reporter_name}" if case.reporter_name else "系统"


def holder_org(case: Case) -> Organization:
    """The organization holding the case now: the village, or the town or district above it."""
    if case.level == CaseLevel.VILLAGE:
        return case.village
    path = case.village.path
    prefixes = [path[:i] for i in range(Organization.steplen, len(path), Organization.steplen)]
    kinds = TOWN_KINDS if case.level == CaseLevel.TOWN else (OrgKind.DISTRICT,)
    found = Organization.objects.filter(path__in=prefixes, kind__in=kinds).order_by("-depth").first()
    if found is None:
        raise ValidationError("找不到承办该事件的上级组织。")
    return found


LEVEL_ABOVE = {CaseLevel.VILLAGE: CaseLevel.TOWN, CaseLevel.TOWN: CaseLevel.DISTRICT}


def may(actor: User | None, move: Move, case: Case, *, reporter: bool = False) -> bool:
    """May this actor make this move on this case? `reporter` is a resident proven by the tracking code."""
    if HANDLER in move.who and actor is not None and can(actor, access.roles("case.handle"), holder_org(case)):
        return True
    if VERIFIER in move.who:
        if reporter and case.source == CaseSource.RESIDENT:
            return True
        if actor is not None and (case.reported_by_id == actor.pk or can(actor, {Role.GRID_WORKER}, case.village)):
            return True
    return False


def case_transition(
    *,
    actor: User | None,
    case: Case,
    action: str,
    reason: str = "",
    result: str = "",
    target: str = "",
    dispatched_to: str = "",
    force: GridForce | None = None,
    satisfaction: int | None = None,
    reporter: bool = False,
    now: datetime | None = None,
) -> Case:
    """The one way a case moves: the table in workflow.MOVES, under a row lock, audited."""
    now = now or timezone.now()
    move = MOVES.get(action)
    if move is None:
        raise ValidationError({"action": "没有这个操作。"})
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("village", "category", "grid").get(pk=case.pk)
        if case.status not in move.sources:
            raise ValidationError(f"事件当前为“{case.get_status_display()}”，不能“{move.label}”。")
        if not may(actor, move, case, reporter=reporter):
            raise PermissionDenied(f"您无权对该事件进行“{move.label}”。")
        old = case.status
        changes: dict[str, Any] = {"status": [old, move.target]}
        note = _apply(
            case,
            move,
            now,
            reason=reason,
            result=result,
            target=target,
            dispatched_to=dispatched_to,
            force=force,
            satisfaction=satisfaction,
        )
        changes.update(note[1])
        case.status = move.target
        case.stage_started_at = now
        case.stage_due_at = _stage_due(case.category, move.target, now)
        case.save(
            update_fields=[
                "status",
                "level",
                "stage_started_at",
                "stage_due_at",
                "due_at",
                "closed_at",
                "reopen_count",
                "refuse_reason",
                "dispatch_target",
                "dispatched_to",
                "force",
                "result",
                "satisfaction",
                "evaluation",
            ]
        )
        CaseEvent.objects.create(
            case=case,
            action=action,
            from_status=old,
            to_status=case.status,
            actor=actor,
            actor_label=_label(actor, case),
            note=note[0],
            at=now,
        )
        audit.record(actor=actor, action=f"case.{action}", obj=case, org=case.village, changes=changes)
    return case


def _apply(
    case: Case,
    move: Move,
    now: datetime,
    *,
    reason: str,
    result: str,
    target: str,
    dispatched_to: str,
    force: GridForce | None,
    satisfaction: int | None,
) -> tuple[str, dict[str, Any]]:
    """Check what the move needs and set the fields it changes; returns (timeline note, audit changes)."""
    reason, result = reason.strip(), result.strip()
    if move.needs == "reason" and not reason:
        raise ValidationError({"reason": f"“{move.label}”须说明理由。"})
    if move.needs == "result" and not result:
        raise ValidationError({"result": "请填写处置结果。"})
    action = move.action
    if action == "refuse":
        case.refuse_reason = reason
        return reason, {"reason": reason}
    if action == "dispatch":
        return _dispatch(case, target, dispatched_to.strip(), force)
    if action in ("self_resolve", "feedback"):
        case.result = result
        return result, {"result": result}
    if action == "send_back":
        return reason, {"reason": reason}
    if action == "close":
        case.closed_at = now
        return "", {"on_time": now <= case.due_at}
    if action == "evaluate":
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise ValidationError({"satisfaction": "请选择满意度（1—5）。"})
        case.satisfaction, case.evaluation = satisfaction, reason
        return f"满意度 {satisfaction}/5" + (f"：{reason}" if reason else ""), {"satisfaction": satisfaction}
    if action == "reopen":
        assert case.closed_at is not None
        if now > case.closed_at + timedelta(days=REOPEN_DAYS):
            raise ValidationError(f"结案已超过 {REOPEN_DAYS} 天，不能重新办理；请作为新事件上报。")
        case.closed_at = None
        case.satisfaction = None
        case.reopen_count += 1
        case.due_at = now + timedelta(hours=case.category.total_hours)
        return reason, {"reason": reason}
    return "", {}


def _dispatch(case: Case, target: str, dispatched_to: str, force: GridForce | None) -> tuple[str, dict[str, Any]]:
    if target == DispatchTarget.DEPARTMENT:
        if not dispatched_to:
            raise ValidationError({"dispatched_to": "请填写承办部门。"})
        case.dispatch_target, case.dispatched_to, case.force = target, dispatched_to, None
    elif target == DispatchTarget.FORCE:
        if force is None or force.grid_id != case.grid_id or not force.is_active:
            raise ValidationError({"force": "请选择本网格的专业力量。"})
        case.dispatch_target, case.dispatched_to, case.force = target, force.name, force
    elif target == DispatchTarget.UP:
        above = LEVEL_ABOVE.get(CaseLevel(case.level))
        if above is None:
            raise ValidationError({"target": "事件已在区级办理，没有更上一级。"})
        case.level = above
        case.dispatch_target, case.dispatched_to, case.force = target, str(holder_org(case)), None
    else:
        raise ValidationError({"target": "请选择分派去向：职能部门、专业力量或提交上级。"})
    label = DispatchTarget(target).label
    return f"{label}：{case.dispatched_to}", {"target": target, "dispatched_to": case.dispatched_to, "level": case.level}


def photo_add(*, actor: User, case: Case, upload: UploadedFile) -> CasePhoto:
    if not (can(actor, access.roles("case.handle"), case.village) or can(actor, access.roles("case.report"), case.village)):
        raise PermissionDenied("您无权为该事件上传照片。")
    check_photo(upload)
    with transaction.atomic():
        photo = _save_photo(case, upload, actor)
        audit.record(actor=actor, action="case.photo", obj=case, org=case.village, changes={"name": photo.name, "sha256": photo.sha256})
    return photo


def reveal_phone(*, actor: User, case: Case) -> str:
    """The reporter's full phone, for the level handling the case only; every look is audited."""
    if not can(actor, access.roles("case.handle"), case.village):
        raise PermissionDenied("您无权查看反映人的完整联系电话。")
    if not case.reporter_phone_encrypted:
        return ""
    with transaction.atomic():
        audit.record(actor=actor, action="case.reveal_phone", obj=case, org=case.village, changes={"phone": case.reporter_phone_masked})
    return fieldcrypto.decrypt(case.reporter_phone_encrypted)


def open_cases_q() -> Q:
    return Q(status__in=OPEN_STATUSES)
