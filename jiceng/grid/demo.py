"""Grids and cases for the demo district (`manage.py load_demo`, after the organizations and decisions).

Pengjiang's shape (domain.md §6.1): 410 comprehensive grids over the 132 villages and communities,
389 of them with a grid party organization. Boundaries are plain rectangles around Jiangmen
(113.0E 22.6N): the six towns tile a 3 × 2 block, each town's villages tile the town's rectangle and
each village's grids tile the village's. Every grid gets a chief and a full-time worker from its
village's people and two or three of the N specialist forces; `sanbao_grid` is the full-time worker
of 三堡村's first grid. A few hundred cases in every state follow the case table with dates laid out
backwards from the time of loading, some of them late and escalated as `check_sla` would.

One seeded generator, bulk inserts, one transaction, one summary audit event.
"""

import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.grid import demo_sweeps
from jiceng.grid.geometry import rectangle
from jiceng.grid.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseLevel,
    CaseSource,
    CaseStatus,
    DispatchTarget,
    Escalation,
    ForceKind,
    Grid,
    GridForce,
    GridMember,
    MemberRole,
)
from jiceng.grid.workflow import MOVES, STAGE_HOURS, STAGE_LABELS
from jiceng.lib import fieldcrypto
from jiceng.orgs.demo import DISTRICT_CODE
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind, Person

SEED = 440703_05
ACTION = "demo.grid"
TOTAL_GRIDS = 410
PARTY_GRIDS = 389
CASES = 360
ORIGIN = (112.98, 22.56)  # south-west corner of the district block
TOWN_SIZE = (0.07, 0.05)  # degrees of longitude and latitude per town
S = CaseStatus
PATHS: dict[str, tuple[str, ...]] = {
    # the moves from REPORTED to each final state, read against workflow.MOVES
    S.REPORTED: (),
    S.ACCEPTED: ("accept",),
    S.REFUSED: ("refuse",),
    S.DISPATCHED: ("accept", "dispatch"),
    S.IN_PROGRESS: ("accept", "dispatch", "start"),
    S.FEEDBACK: ("accept", "dispatch", "start", "feedback"),
    S.VERIFIED: ("accept", "dispatch", "start", "feedback", "verify"),
    S.CLOSED: ("accept", "dispatch", "start", "feedback", "verify", "close"),
    S.EVALUATED: ("accept", "dispatch", "start", "feedback", "verify", "close", "evaluate"),
}
STATE_MIX = {
    S.EVALUATED: 34,
    S.CLOSED: 26,
    S.VERIFIED: 3,
    S.FEEDBACK: 6,
    S.IN_PROGRESS: 10,
    S.DISPATCHED: 6,
    S.ACCEPTED: 4,
    S.REPORTED: 6,
    S.REFUSED: 5,
}
DESCRIPTIONS = {
    "dispute": ("邻里因排水沟堵塞发生争执", "租户与房东因押金退还产生纠纷", "两户因宅基地界址发生争议"),
    "safety": ("楼道堆放杂物占用消防通道", "电动车在楼道内充电", "路边电线杆倾斜存在倒塌隐患"),
    "public_order": ("夜间有人聚集喧哗扰民", "出租屋人员频繁变动需核查", "路口有人摆摊占道经营"),
    "sanitation": ("垃圾收集点满溢未及时清运", "河涌水面漂浮垃圾", "公厕卫生差无人打扫"),
    "facilities": ("路灯不亮", "井盖缺失存在安全隐患", "村道路面破损积水"),
    "illegal_building": ("天台疑似违章加建", "农田边新搭建铁皮棚", "商铺擅自外扩雨棚"),
    "livelihood": ("独居老人反映无人帮忙买药", "低保家庭咨询临时救助", "居民反映自来水水压低"),
    "on_spot": ("小广告张贴在宣传栏", "共享单车乱停放堵塞通道", "绿化带枯枝需修剪"),
    "other": ("居民咨询疫苗接种安排", "反映流浪犬出没", "咨询垃圾分类投放时间"),
}
DEPARTMENTS = ("镇城管办", "镇综治中心", "镇农业办", "镇规划建设办", "区住房和城乡建设局", "镇社会事务办", "供水公司", "镇市场监管所")
FORCES = (
    (ForceKind.POLICE, "派出所社区民警"),
    (ForceKind.JUSTICE, "司法所调解员"),
    (ForceKind.HEALTH, "家庭医生团队"),
    (ForceKind.URBAN_MGMT, "城管队员"),
    (ForceKind.MARKET, "市场监管所联络员"),
)
NUMERALS = "一二三四五六七八九十"


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if n <= 10 else f"{n}"


# ---- grids -----------------------------------------------------------------------------------


def _cells(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n * 1.4))
    return cols, math.ceil(n / cols)


def _layout(district: Organization) -> list[tuple[Organization, tuple[float, float, float, float]]]:
    """Each village's rectangle: towns in a 3 × 2 block, villages in rows inside their town."""
    towns = list(
        Organization.objects.filter(
            path__startswith=district.path, depth=district.depth + 1, kind__in=(OrgKind.TOWN, OrgKind.SUBDISTRICT)
        ).order_by("code")
    )
    villages = list(Organization.objects.filter(path__startswith=district.path, kind__in=GRASSROOTS_KINDS).order_by("path"))
    by_town: dict[str, list[Organization]] = defaultdict(list)
    for v in villages:
        by_town[v.path[: len(district.path) + Organization.steplen]].append(v)
    boxes = []
    for t, town in enumerate(towns):
        x0, y0 = ORIGIN[0] + (t % 3) * TOWN_SIZE[0], ORIGIN[1] + (t // 3) * TOWN_SIZE[1]
        members = by_town[town.path]
        if not members:
            continue
        cols, rows = _cells(len(members))
        w, h = TOWN_SIZE[0] / cols, TOWN_SIZE[1] / rows
        for i, v in enumerate(members):
            c, r = i % cols, i // cols
            boxes.append((v, (x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h)))
    return boxes


def _grid_counts(rng: random.Random, villages: list[Organization]) -> dict[int, int]:
    """Communities 4 grids, villages 2, and one more each in 三堡村 and villages picked at random: 410 in all."""
    counts = {v.pk: 4 if v.kind == OrgKind.COMMUNITY else 2 for v in villages}
    first = [v.pk for v in villages if v.name == "三堡村"]  # the demo village has three grids (the sweeps use them)
    rural = [v.pk for v in villages if v.kind == OrgKind.VILLAGE and v.pk not in first]
    spare = TOTAL_GRIDS - sum(counts.values()) - len(first)
    for pk in first + rng.sample(rural, min(max(spare, 0), len(rural))):
        counts[pk] += 1
    return counts


def _build_grids(rng: random.Random, district: Organization) -> list[Grid]:
    boxes = _layout(district)
    counts = _grid_counts(rng, [v for v, _ in boxes])
    grids = []
    for village, (x0, y0, x1, y1) in boxes:
        k = counts[village.pk]
        step = (x1 - x0) / k
        for i in range(k):
            box = (round(x0 + i * step, 6), round(y0, 6), round(x0 + (i + 1) * step, 6), round(y1, 6))
            urban = village.kind == OrgKind.COMMUNITY
            households = rng.randint(300, 500) if urban else rng.randint(160, 300)
            if rng.random() < 0.06:  # a few outside the norms, so the warnings show
                households = rng.randint(520, 640) if urban else rng.randint(320, 380)
            grids.append(
                Grid(
                    village=village,
                    code=f"{village.code}{i + 1:03d}",
                    name=f"{village.name}第{_numeral(i + 1)}网格",
                    boundary=rectangle(*box),
                    min_lng=box[0],
                    min_lat=box[1],
                    max_lng=box[2],
                    max_lat=box[3],
                    households=households,
                    population=round(households * rng.uniform(2.6, 3.4)),
                )
            )
    Grid.objects.bulk_create(grids, batch_size=500)
    return list(Grid.objects.filter(village__path__startswith=district.path).select_related("village").order_by("code"))


def _party_orgs(rng: random.Random, district: Organization, grids: list[Grid]) -> None:
    """支部建在网格上: a village's existing sub-branches take its first grids, the rest get a 党小组."""
    with_party = set(g.pk for g in rng.sample(grids, PARTY_GRIDS))
    parties = Organization.objects.filter(
        path__startswith=district.path, kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.PARTY_COMMITTEE)
    ).order_by("path")
    branches: dict[str, list[Organization]] = defaultdict(list)  # village path → branches to host grid groups
    tops: dict[str, Organization] = {}
    steplen = Organization.steplen
    for org in parties:
        village_path = org.path[:-steplen]
        if org.depth == district.depth + 3:  # the village's own top party organization
            tops[village_path] = org
        elif org.kind == OrgKind.BRANCH and org.depth == district.depth + 4:
            branches[org.path[: -2 * steplen]].append(org)
    groups: list[Organization] = []
    touched: dict[int, Organization] = {}
    used: dict[str, int] = defaultdict(int)
    for grid in grids:
        if grid.pk not in with_party:
            continue
        vpath = grid.village.path
        subs = branches.get(vpath, [])
        n = used[vpath]
        used[vpath] += 1
        if n < len(subs):
            grid.party_org = subs[n]
            continue
        host = subs[n % len(subs)] if subs else tops.get(vpath)
        if host is None or host.kind != OrgKind.BRANCH:
            continue
        host = touched.setdefault(host.pk, host)
        host.numchild += 1
        group = Organization(
            name=f"{grid.name}党小组",
            code=f"{host.code}W{grid.code[-3:]}",
            kind=OrgKind.PARTY_GROUP,
            depth=host.depth + 1,
            path=Organization._get_path(host.path, host.depth + 1, host.numchild),
        )
        groups.append(group)
        grid.party_org = group
    Organization.objects.bulk_create(groups, batch_size=500)
    Organization.objects.bulk_update(list(touched.values()), ["numchild"], batch_size=500)
    Grid.objects.bulk_update(grids, ["party_org"], batch_size=500)


def _people(rng: random.Random, district: Organization, grids: list[Grid], today: date) -> None:
    people: dict[str, list[int]] = defaultdict(list)
    for pk, path in (
        Person.objects.filter(organization__path__startswith=district.path).values_list("pk", "organization__path").order_by("pk")
    ):
        people[path[: len(district.path) + 2 * Organization.steplen]].append(pk)
    sanbao = User.objects.filter(username="sanbao_grid").first()
    sanbao_person = None
    if sanbao is not None:
        sanbao_person = (
            Person.objects.filter(
                organization__path__startswith=district.path, organization__name__startswith="三堡村", name=sanbao.display_name
            )
            .order_by("pk")
            .first()
        )
    sanbao_grid = next((g for g in grids if g.village.name == "三堡村"), None)
    members, forces = [], []
    phone = fieldcrypto.encrypt("13800000000")  # one demo number for every force: not a real person's
    for grid in grids:
        pool = [pk for pk in people.get(grid.village.path, []) if sanbao_person is None or pk != sanbao_person.pk]
        picked = rng.sample(pool, min(3, len(pool)))
        start = today - timedelta(days=rng.randint(200, 1500))
        for pk, role in zip(picked, (MemberRole.CHIEF, MemberRole.FULL_TIME, MemberRole.PART_TIME), strict=False):
            if grid is sanbao_grid and role == MemberRole.FULL_TIME and sanbao_person is not None:
                members.append(GridMember(grid=grid, person=sanbao_person, user=sanbao, role=role, start_date=start))
                continue
            members.append(GridMember(grid=grid, person_id=pk, role=role, start_date=start))
        for kind, name in rng.sample(FORCES, rng.randint(2, 3)):
            forces.append(
                GridForce(
                    grid=grid,
                    kind=kind,
                    name=f"{grid.village.name}{name}",
                    contact_name=rng.choice("陈李黄梁张吴林何") + "同志",
                    phone_encrypted=phone,
                    phone_masked="138****0000",
                )
            )
    GridMember.objects.bulk_create(members, batch_size=1000)
    GridForce.objects.bulk_create(forces, batch_size=1000)


# ---- cases -----------------------------------------------------------------------------------


def _code(rng: random.Random, used: set[str]) -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    while True:
        code = "SJ" + "".join(rng.choice(alphabet) for _ in range(8))
        if code not in used:
            used.add(code)
            return code


def _town_of(grid: Grid, towns: dict[str, Organization]) -> Organization:
    return towns[grid.village.path[: -Organization.steplen]]


def _cases(rng: random.Random, district: Organization, grids: list[Grid], now: datetime) -> None:
    categories = list(CaseCategory.objects.filter(is_active=True))
    towns = {o.path: o for o in Organization.objects.filter(path__startswith=district.path, kind__in=(OrgKind.TOWN, OrgKind.SUBDISTRICT))}
    staff = User.objects.filter(username="sanbao_sec").first()
    worker = User.objects.filter(username="sanbao_grid").first()
    sanbao = [g for g in grids if g.village.name == "三堡村"]
    states = list(STATE_MIX)
    weights = list(STATE_MIX.values())
    used: set[str] = set()
    cases: list[Case] = []
    events: list[list[CaseEvent]] = []
    escalations: list[list[Escalation]] = []
    for i in range(CASES):
        grid = sanbao[i % len(sanbao)] if i < 24 and sanbao else rng.choice(grids)
        category = rng.choice(categories)
        final = rng.choices(states, weights)[0]
        if i < 24 and sanbao:  # 三堡村: a case at every stage for the demo logins
            final = states[i % len(states)]
        done = final in (S.CLOSED, S.EVALUATED, S.REFUSED)
        age_hours = rng.uniform(category.total_hours * 1.2, 24 * 120) if done else _open_age(rng, category, final)
        reported = now - timedelta(hours=age_hours)
        case, evs, escs = _one(
            rng,
            grid,
            category,
            final,
            reported,
            now,
            _town_of(grid, towns),
            district,
            used,
            staff if grid in sanbao else None,
            worker if grid in sanbao else None,
        )
        cases.append(case)
        events.append(evs)
        escalations.append(escs)
    Case.objects.bulk_create(cases, batch_size=500)
    for case, evs, escs in zip(cases, events, escalations, strict=True):
        for ev in evs:
            ev.case = case
        for esc in escs:
            esc.case = case
    CaseEvent.objects.bulk_create([e for evs in events for e in evs], batch_size=1000)
    Escalation.objects.bulk_create([e for escs in escalations for e in escs], batch_size=500)


def _open_age(rng: random.Random, category: CaseCategory, final: str) -> float:
    """Hours since reporting for a case still open at `final`: the usual time of the stages before it,
    then part of the current stage's limit — or past it for one case in five (the overdue ones)."""
    stages = [S.REPORTED, *(MOVES[a].target for a in PATHS[final][:-1])] if PATHS[final] else []
    before = sum(getattr(category, STAGE_HOURS[s]) * 0.45 for s in stages if s in STAGE_HOURS)
    current = getattr(category, STAGE_HOURS[final])
    return before + current * (rng.uniform(1.3, 2.5) if rng.random() < 0.2 else rng.uniform(0.05, 0.5))


def _one(
    rng: random.Random,
    grid: Grid,
    category: CaseCategory,
    final: str,
    reported: datetime,
    now: datetime,
    town: Organization,
    district: Organization,
    used: set[str],
    staff: User | None,
    worker: User | None,
) -> tuple[Case, list[CaseEvent], list[Escalation]]:
    by_worker = rng.random() < 0.6
    lng = rng.uniform(grid.min_lng or 0, grid.max_lng or 0)
    lat = rng.uniform(grid.min_lat or 0, grid.max_lat or 0)
    case = Case(
        code=_code(rng, used),
        village=grid.village,
        grid=grid,
        category=category,
        description=rng.choice(DESCRIPTIONS.get(category.code, DESCRIPTIONS["other"])),
        lng=round(lng, 6),
        lat=round(lat, 6),
        source=CaseSource.GRID_WORKER if by_worker else CaseSource.RESIDENT,
        reported_by=worker if by_worker else None,
        reporter_name=(str(worker) if worker else "网格员") if by_worker else rng.choice("陈李黄梁张吴") + "先生",
        reported_at=reported,
        stage_started_at=reported,
        stage_due_at=reported + timedelta(hours=category.accept_hours),
        due_at=reported + timedelta(hours=category.total_hours),
    )
    if not by_worker:
        case.reporter_phone_encrypted, case.reporter_phone_masked = fieldcrypto.encrypt("13900000000"), "139****0000"
    events = [
        CaseEvent(
            action="report",
            to_status=S.REPORTED,
            actor=case.reported_by,
            actor_label=case.reporter_name,
            note=case.description,
            at=reported,
        )
    ]
    escalations: list[Escalation] = []
    at = reported
    late_case = rng.random() < 0.15
    for action in PATHS[final]:
        move = MOVES[action]
        hours = getattr(category, STAGE_HOURS[case.status]) if case.status in STAGE_HOURS else 48
        spent = hours * (rng.uniform(1.2, 2.0) if late_case and action in ("start", "feedback") else rng.uniform(0.1, 0.8))
        nxt = at + timedelta(hours=spent)
        if nxt >= now:
            break
        if case.stage_due_at is not None and nxt > case.stage_due_at and case.level != CaseLevel.DISTRICT:
            escalations.append(_escalation(case, case.stage_due_at + timedelta(hours=1), town, district))
        note = ""
        if action == "refuse":
            case.refuse_reason = note = "不属于网格受理范围，已告知向相关部门反映"
        elif action == "dispatch":
            case.dispatch_target, case.dispatched_to = DispatchTarget.DEPARTMENT, rng.choice(DEPARTMENTS)
            note = f"职能部门：{case.dispatched_to}"
        elif action == "feedback":
            case.result = note = "已到现场处置完毕，并向反映人说明情况"
        elif action == "close":
            case.closed_at = nxt
        elif action == "evaluate":
            case.satisfaction = rng.choices((5, 4, 3, 2), (60, 28, 9, 3))[0]
            note = f"满意度 {case.satisfaction}/5"
        label = (str(staff) if staff else "村（社区）工作人员") if "handler" in move.who else case.reporter_name
        events.append(CaseEvent(action=action, from_status=case.status, to_status=move.target, actor_label=label, note=note, at=nxt))
        case.status, case.stage_started_at = move.target, nxt
        field = STAGE_HOURS.get(case.status)
        case.stage_due_at = nxt + timedelta(hours=getattr(category, field)) if field else None
        at = nxt
    # as sla.check_sla would have done by now: a late stage once, a late total only if nothing was escalated
    stage_late = case.is_open and case.stage_due_at is not None and now > case.stage_due_at
    total_late = case.is_open and now > case.due_at and not escalations
    if (stage_late or total_late) and case.level != CaseLevel.DISTRICT:
        due = case.stage_due_at if stage_late and case.stage_due_at is not None else case.due_at
        when = min(max(due, case.stage_started_at) + timedelta(hours=1), now)
        if not any(e.stage == case.status and e.stage_started_at == case.stage_started_at for e in escalations):
            escalations.append(_escalation(case, when, town, district))
    return case, events, escalations


def _escalation(case: Case, at: datetime, town: Organization, district: Organization) -> Escalation:
    """What sla.escalate records: the level above takes the case, with a supervision notice."""
    above = CaseLevel.TOWN if case.level == CaseLevel.VILLAGE else CaseLevel.DISTRICT
    escalation = Escalation(
        stage=case.status,
        stage_started_at=case.stage_started_at,
        from_level=case.level,
        to_level=above,
        to_org=town if above == CaseLevel.TOWN else district,
        reason=f"“{STAGE_LABELS.get(case.status, case.status)}”环节超时。",
        due_at=at + timedelta(hours=24),
        at=at,
    )
    case.level = above
    return escalation


# ---- load ------------------------------------------------------------------------------------


def demo_counts(district: Organization) -> dict[str, Any]:
    grids = Grid.objects.filter(village__path__startswith=district.path)
    cases = Case.objects.filter(village__path__startswith=district.path)
    return {
        "grids": grids.count(),
        "grid_party_orgs": grids.exclude(party_org=None).count(),
        "villages": grids.values("village").distinct().count(),
        "members": GridMember.objects.filter(grid__in=grids).count(),
        "forces": GridForce.objects.filter(grid__in=grids).count(),
        "cases": cases.count(),
        "escalations": Escalation.objects.filter(case__in=cases).count(),
        "statuses": dict(cases.values_list("status").annotate(n=Count("pk")).order_by("status")),
    }


LABELS = {
    "grids": "网格",
    "grid_party_orgs": "建有党组织的网格",
    "villages": "覆盖村（社区）",
    "members": "网格长与网格员",
    "forces": "专业力量",
    "cases": "事件",
    "escalations": "超时督办",
}


def load(district: Organization | None = None, *, now: datetime | None = None, stdout: IO[str] | Any = None) -> dict[str, Any]:
    """Load the grid demo once for the demo district; later runs only report it."""
    district = district or Organization.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        return {}
    created = not Event.objects.filter(action=ACTION, org_path=district.path).exists()
    if created:
        now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
        with transaction.atomic():
            rng = random.Random(SEED)
            grids = _build_grids(rng, district)
            _party_orgs(rng, district, grids)
            _people(rng, district, grids, timezone.localdate(now))
            _cases(rng, district, grids, now)
            counts = demo_counts(district)
            audit.record(actor=None, action=ACTION, org=district, changes=counts)
    else:
        counts = demo_counts(district)
    if stdout is not None:
        stdout.write("\n已载入网格与事件演示数据：\n" if created else "\n网格与事件演示数据已存在，未重复载入：\n")
        for key, label in LABELS.items():
            stdout.write(f"  {label}：{counts[key]:,}\n")
        stdout.write("  各状态：" + "，".join(f"{CaseStatus(k).label} {v}" for k, v in counts["statuses"].items()) + "\n")
    demo_sweeps.load(district, stdout=stdout)
    return counts
