"""The indicators of a district, town or village dashboard (issue #6, "Dashboards"), computed live.

Every figure is counted by the database from the records at request time; nothing is typed in and
nothing is stored. Where an app already computes a figure (四议两公开 in decisions/stats.py, needs
in needs/stats.py and needs/stats_service.py, cases in grid/stats.py, 一肩挑 in orgs/rules.py) it is
reused as is. Each part is a fixed number of grouped queries, so the page costs the same number of
queries whatever the size of the data (pinned in tests). Definitions: docs/indicators.md.

A dashboard is made for one organization `within` (a district, a town/subdistrict or a village/
community) that the caller has checked is in the user's scope. Its "units" are the rows of the
per-unit tables: the towns of a district, the villages of a town, the village itself.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.decisions import stats as decision_stats
from jiceng.grid import stats as grid_stats
from jiceng.needs import stats as need_stats
from jiceng.needs import stats_service
from jiceng.orgs.models import (
    GRASSROOTS_KINDS,
    PARTY_COMMITTEE_ROLES,
    PARTY_ORG_KINDS,
    STAGE_ORDER,
    TWO_NEW_KINDS,
    Education,
    Formation,
    Member,
    Organization,
    OrgKind,
    Post,
    PostRole,
    ReserveCadre,
    Stage,
)
from jiceng.orgs.rules import yijiantiao

# Who may open a dashboard: the staff of the three levels (issue #6); each sees their own subtree.
ROLES = frozenset({Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF})
TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})
LEVEL_KINDS = frozenset({OrgKind.DISTRICT}) | TOWN_KINDS | GRASSROOTS_KINDS

# The villagers' (residents') committee posts; the party committee posts are PARTY_COMMITTEE_ROLES
# held in the village's own party organization. Together: the two committees (两委), domain.md §10.
VILLAGE_COMMITTEE_ROLES = frozenset({PostRole.CHAIR, PostRole.VICE_CHAIR, PostRole.COMMITTEE_MEMBER_VC})
# The last nationwide 换届 was held in 2021 (domain.md §10.3): "before" is the team in office at the
# end of 2020, "after" the team in office at the end of 2021.
ELECTION_YEAR = 2021
BEFORE_ELECTION = date(ELECTION_YEAR - 1, 12, 31)
AFTER_ELECTION = date(ELECTION_YEAR, 12, 31)
AGE_BANDS: list[tuple[str, int, int]] = [("35岁及以下", 0, 35), ("36–45岁", 36, 45), ("46–55岁", 46, 55), ("56岁及以上", 56, 200)]
COLLEGE_UP = frozenset({Education.COLLEGE, Education.BACHELOR, Education.POSTGRADUATE})
# [U] Local practice (domain.md §10.2): at least 2 reserve cadres per village; not a legal rule.
RESERVE_TARGET = 2
EMPTY = "—"


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal; None (shown "—") when the denominator is zero."""
    return None if whole == 0 else (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


def level_of(org: Organization) -> str:
    if org.kind == OrgKind.DISTRICT:
        return "district"
    return "town" if org.kind in TOWN_KINDS else "village"


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[int | None] = field(default_factory=list)  # organization to drill into, per row
    note: str = ""
    chart: dict[str, Any] | None = None  # an ECharts option drawn beside the table

    @property
    def lines(self) -> list[tuple[int | None, list[Any]]]:
        return list(zip(self.links, self.rows, strict=True))

    def add(self, cells: list[Any], link: int | None = None) -> None:
        self.rows.append(cells)
        self.links.append(link)


@dataclass
class Dashboard:
    within: Organization
    level: str
    year: int
    as_of: datetime
    units: list[Organization]
    tables: list[Table]
    kpis: list[tuple[str, Any, str]]  # label, value, unit

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _bar(names: list[str], series: list[tuple[str, list[Any]]], unit: str = "") -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 30, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 6 else 0}},
        "yAxis": {"type": "value", "name": unit},
        "series": [{"name": n, "type": "bar", "data": [None if v is None else float(v) for v in data]} for n, data in series],
    }


def _pie(pairs: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "item"},
        "series": [{"type": "pie", "radius": ["35%", "65%"], "data": [{"name": n, "value": v} for n, v in pairs if v]}],
    }


class _Units:
    """Maps a tree path to the unit row it counts in."""

    def __init__(self, within: Organization):
        self.within = within
        if within.kind in GRASSROOTS_KINDS:
            self.orgs = [within]
            self.width = len(within.path)
        else:
            kinds = TOWN_KINDS if within.kind == OrgKind.DISTRICT else GRASSROOTS_KINDS
            self.orgs = list(
                Organization.objects.filter(path__startswith=within.path, depth=within.depth + 1, kind__in=kinds).order_by("path")
            )
            self.width = len(within.path) + Organization.steplen
        self.by_path = {o.path: o for o in self.orgs}

    def of(self, path: str) -> Organization | None:
        return self.by_path.get(path[: self.width])

    def link(self, org: Organization) -> int | None:
        return org.pk if org.pk != self.within.pk else None


# ---- organizations and members ------------------------------------------------------------------


def _orgs_and_members(within: Organization) -> tuple[Table, Table, int, int]:
    kinds = dict(
        Organization.objects.filter(path__startswith=within.path)
        .exclude(pk=within.pk)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kind", "n")
    )
    orgs = Table("orgs", "组织数量（按类型）", ["类型", "数量"])
    for kind in OrgKind:
        if kinds.get(kind.value):
            orgs.add([str(kind.label), kinds[kind.value]])
    party_orgs = sum(n for k, n in kinds.items() if k in PARTY_ORG_KINDS)
    orgs.add(["其中：党组织合计", party_orgs])
    orgs.chart = _bar([str(OrgKind(k).label) for k in kinds if kinds[k]], [("数量", [n for n in kinds.values() if n])])

    stages = dict(
        Member.objects.filter(branch__path__startswith=within.path)
        .values("stage")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("stage", "n")
    )
    members = Table("members", "党员与发展对象（按阶段）", ["阶段", "人数"])
    for stage in STAGE_ORDER:
        members.add([str(Stage(stage).label), stages.get(stage, 0)])
    party_members = stages.get(Stage.FULL, 0) + stages.get(Stage.PROBATIONARY, 0)
    members.add(["党员合计（正式+预备）", party_members])
    members.chart = _pie([(str(Stage(s).label), stages.get(s, 0)) for s in STAGE_ORDER])
    return orgs, members, party_orgs, party_members


# ---- two-new formation (domain.md §3.5) ---------------------------------------------------------


def _formation(within: Organization, units: _Units) -> tuple[Table, Table, Decimal | None, Decimal | None]:
    """单建率 = single / operating units; 单建+联建组建率 = (single + joint) / operating units.

    The denominator is the 实体运营 non-public enterprises and social organizations in scope: the
    registry's active ones (is_active); shells closed after an on-site check are made inactive.
    """
    counted = (
        Organization.objects.filter(path__startswith=within.path, kind__in=TWO_NEW_KINDS, is_active=True)
        .annotate(unit=Substr("path", 1, units.width))
        .values("unit", "kind")
        .annotate(
            n=Count("pk"),
            single=Count("pk", filter=Q(formation=Formation.SINGLE)),
            joint=Count("pk", filter=Q(formation=Formation.JOINT)),
        )
        .order_by()
    )
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in counted:
        unit = units.of(row["unit"])
        key = unit.path if unit is not None else ""  # "" = units directly under `within` (直属)
        for bucket in (per_unit[key], per_kind[row["kind"]]):
            bucket[0] += row["n"]
            bucket[1] += row["single"]
            bucket[2] += row["joint"]
    headers = ["单位", "实体运营两新组织数", "单独组建", "联合组建", "单建率（%）", "单建+联建组建率（%）"]

    def cells(name: str, n: int, single: int, joint: int) -> list[Any]:
        return [name, n, single, joint, percent(single, n), percent(single + joint, n)]

    by_unit = Table("formation", "两新组织党组织组建率（按单位）", headers)
    for org in units.orgs:
        n, single, joint = per_unit.get(org.path, [0, 0, 0])
        by_unit.add(cells(org.name, n, single, joint), units.link(org))
    if "" in per_unit:
        by_unit.add(cells("直属单位", *per_unit[""]))
    total = [sum(v[i] for v in per_unit.values()) for i in range(3)]
    by_unit.add(cells("合计", *total))
    by_unit.note = "分母为范围内实体运营（有效）的非公有制企业和社会组织；分母为 0 时比率显示为“—”。"
    by_unit.chart = _bar(
        [o.name for o in units.orgs],
        [
            ("单建率", [percent(per_unit.get(o.path, [0, 0, 0])[1], per_unit.get(o.path, [0, 0, 0])[0]) for o in units.orgs]),
            (
                "单建+联建组建率",
                [percent(sum(per_unit.get(o.path, [0, 0, 0])[1:]), per_unit.get(o.path, [0, 0, 0])[0]) for o in units.orgs],
            ),
        ],
        "%",
    )
    by_kind = Table("formation_kinds", "两新组织党组织组建率（按类型）", ["类型", *headers[1:]])
    for kind in (OrgKind.ENTERPRISE, OrgKind.SOCIAL_ORG):
        by_kind.add(cells(str(kind.label), *per_kind.get(kind, [0, 0, 0])))
    by_kind.add(cells("合计", *total))
    return by_unit, by_kind, percent(total[1], total[0]), percent(total[1] + total[2], total[0])


# ---- villages: 一肩挑, reserve cadres, two-committee cadres -------------------------------------


def _villages(within: Organization) -> list[Organization]:
    return list(Organization.objects.filter(path__startswith=within.path, kind__in=GRASSROOTS_KINDS).order_by("path"))


def _yijiantiao(villages: list[Organization], units: _Units, today: date) -> tuple[Table, Decimal | None]:
    """一肩挑率 = villages/communities whose party secretary is also chair (and, in a village, 经联社社长) / all of them."""
    held = yijiantiao(villages, today)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in villages:
        unit = units.of(v.path)
        if unit is not None:
            counts[unit.path][0] += 1
            counts[unit.path][1] += held.get(v.pk, False)
    table = Table("yijiantiao", "村（社区）书记、主任“一肩挑”", ["单位", "村（社区）数", "一肩挑", "一肩挑率（%）"])
    for org in units.orgs:
        n, yes = counts.get(org.path, [0, 0])
        table.add([org.name, n, yes, percent(yes, n)], units.link(org))
    n, yes = len(villages), sum(held.values())
    table.add(["合计", n, yes, percent(yes, n)])
    table.note = "由现任职务推导：村（社区）党组织书记同时任村（居）委会主任，村还须兼任经联社社长（domain.md §10.1）。"
    return table, percent(yes, n)


def _reserves(villages: list[Organization]) -> Table:
    counts = dict(
        ReserveCadre.objects.filter(organization__in=villages)
        .values("organization")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("organization", "n")
    )
    table = Table("reserves", "后备干部（按村、社区）", ["村（社区）", "后备干部数", f"达到{RESERVE_TARGET}名"])
    for v in villages:
        n = counts.get(v.pk, 0)
        table.add([v.name, n, "是" if n >= RESERVE_TARGET else "否"], v.pk)
    table.add(["合计", sum(counts.values()), f"{sum(1 for v in villages if counts.get(v.pk, 0) >= RESERVE_TARGET)}/{len(villages)}"])
    table.note = f"每村（社区）不少于{RESERVE_TARGET}名为各地通行做法，非法定要求。"
    return table


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _cadres(within: Organization, villages: list[Organization], today: date) -> tuple[Table, Table]:
    """Two-committee cadres in office on three days: the end of 2020 (before the 2021 换届), the end of
    2021 (after it) and today. One query: the posts in force on any of the three days."""
    village_paths = {v.path for v in villages}
    width = len(villages[0].path) if villages else 0
    posts = (
        Post.objects.filter(organization__path__startswith=within.path, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=BEFORE_ELECTION))
        .filter(
            Q(organization__kind__in=GRASSROOTS_KINDS, role__in=VILLAGE_COMMITTEE_ROLES)
            | Q(organization__kind__in=PARTY_ORG_KINDS, role__in=PARTY_COMMITTEE_ROLES)
        )
        .values_list(
            "organization__path", "organization__depth", "person_id", "person__birth_date", "person__education", "start_date", "end_date"
        )
    )
    days = [BEFORE_ELECTION, AFTER_ELECTION, today]
    people: list[dict[int, tuple[date | None, str]]] = [{}, {}, {}]
    for path, depth, person_id, birth, education, start, end in posts:
        # a party organization counts when it is the village's own (its child), not a unit's branch deeper down
        if path[:width] not in village_paths or (path not in village_paths and depth != villages[0].depth + 1):
            continue
        for i, day in enumerate(days):
            if start <= day and (end is None or end >= day):
                people[i][person_id] = (birth, education)
    has_before = bool(people[0])
    cols = ["2020年底（换届前）", "2021年底（换届后）", "现任"] if has_before else ["现任"]
    idx = [0, 1, 2] if has_before else [2]
    ages = Table("cadre_ages", "村（社区）“两委”干部年龄结构", ["年龄段", *[f"{c}（人）" for c in cols]])
    for label, lo, hi in AGE_BANDS:
        ages.add([label, *[sum(1 for b, _e in people[i].values() if (a := _age(b, days[i])) is not None and lo <= a <= hi) for i in idx]])
    ages.add(["未登记出生日期", *[sum(1 for b, _e in people[i].values() if b is None) for i in idx]])
    averages = []
    for i in idx:
        known = [a for b, _e in people[i].values() if (a := _age(b, days[i])) is not None]
        averages.append(Decimal(sum(known) / len(known)).quantize(Decimal("0.1")) if known else None)
    ages.add(["平均年龄（岁）", *averages])
    ages.add(["合计（人）", *[len(people[i]) for i in idx]])
    edus = Table("cadre_education", "村（社区）“两委”干部学历结构", ["学历", *[f"{c}（人）" for c in cols]])
    for edu in Education:
        edus.add([str(edu.label), *[sum(1 for _b, e in people[i].values() if e == edu.value) for i in idx]])
    edus.add(["未登记", *[sum(1 for _b, e in people[i].values() if not e) for i in idx]])
    edus.add(["大专及以上占比（%）", *[percent(sum(1 for _b, e in people[i].values() if e in COLLEGE_UP), len(people[i])) for i in idx]])
    note = (
        "按任职起止日期统计当日在任人员；换届前后对比反映“一升一降”（学历升、年龄降）。"
        if has_before
        else "记录中没有2021年换届前（2020年底）在任的任职记录，仅显示现任。"
    )
    ages.note = edus.note = note
    ages.chart = _bar([b[0] for b in AGE_BANDS], [(c, [r[1 + j] for r in ages.rows[: len(AGE_BANDS)]]) for j, c in enumerate(cols)], "人")
    return ages, edus


# ---- 四议两公开, needs, grid cases (reused from the apps) ------------------------------------------


def _decisions(user: User, within: Organization, units: _Units, year: int) -> tuple[Table, int]:
    report = decision_stats.report(user, year, within=within)
    rows = {r.org.pk: r.figures for r in (*report.villages, *report.towns, *report.districts)}
    table = Table(
        "decisions",
        f"{year}年“四议两公开”",
        ["单位", "运用次数", "决策事项数", "涉及金额（万元）", "已完成", "决议公告按时率（%）", "异议", "未达法定人数会议"],
    )

    def cells(name: str, f: decision_stats.Figures) -> list[Any]:
        return [name, f.decisions, f.matters, f.amount_wan, f.completed, f.on_time_share, f.objections_raised, f.failed_meetings]

    for org in units.orgs:
        table.add(cells(org.name, rows.get(org.pk, decision_stats.Figures())), units.link(org))
    total = rows.get(within.pk, decision_stats.Figures())
    if within.kind not in GRASSROOTS_KINDS:
        table.add(cells("合计", total))
    table.note = "来源：四议两公开统计（decisions/stats.py）；按决议会议召开年份计。"
    return table, total.decisions


def _needs(user: User, within: Organization, units: _Units, year: int) -> tuple[Table, int]:
    level = "town" if within.kind == OrgKind.DISTRICT else "community"
    need_rows, _total = need_stats.figures(user, level, year)
    needs = {r.path: r for r in need_rows if r.path.startswith(within.path)}
    service = stats_service.report(user, year)
    projects = {r.org.pk: r.figures for r in (*service.communities, *service.towns) if r.org.path.startswith(within.path)}
    table = Table(
        "needs",
        f"{year}年群众需求与民生微实事",
        ["单位", "收到需求", "已认领", "已履约", "已确认", "微实事已完成", "微实事在建", "双报到党员", "已服务党员"],
    )
    sums = [0] * 8
    for org in units.orgs:
        n = needs.get(org.path)
        p = projects.get(org.pk, stats_service.Figures())
        figures = [
            n.received if n else 0,
            n.claimed if n else 0,
            n.fulfilled if n else 0,
            n.confirmed if n else 0,
            p.projects_done,
            p.projects_running,
            p.reporting,
            p.served,
        ]
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        table.add([org.name, *figures], units.link(org))
    if within.kind not in GRASSROOTS_KINDS:
        table.add(["合计", *sums])
    table.note = "来源：需求统计（needs/stats.py）与双报到、微实事统计（needs/stats_service.py）；按提交年份、评价年份计。"
    return table, sums[4]


def _grid(user: User, within: Organization, units: _Units) -> tuple[Table, float | None]:
    report = grid_stats.report(user, within)
    unit_pks = {o.pk for o in units.orgs}
    table = Table(
        "grid", "网格事件办理", ["网格" if report.per == "grid" else "单位", "事件", "在办", "超时", "办结", "按时办结", "按时办结率（%）"]
    )

    def cells(name: str, f: grid_stats.Figures) -> list[Any]:
        return [name, f.total, f.open, f.overdue, f.closed, f.on_time, f.on_time_rate]

    shown = [r for r in report.rows if report.per == "grid" or r.key in unit_pks]
    for r in shown:
        table.add(cells(r.name, r.figures), r.key if report.per != "grid" else None)
    table.add(cells("合计", report.total))
    table.note = "按时办结 = 在总时限内办结；按时办结率 = 按时办结 / 办结（grid/stats.py）。"
    table.chart = _bar([r.name for r in shown], [("按时办结率", [r.figures.on_time_rate for r in shown])], "%")
    return table, report.total.on_time_rate


def compute(user: User, within: Organization, year: int | None = None, now: datetime | None = None) -> Dashboard:
    """All indicators for `within`, which the caller has checked is in the user's scope."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year = year or today.year
    units = _Units(within)
    villages = _villages(within)
    orgs, members, party_orgs, party_members = _orgs_and_members(within)
    formation, formation_kinds, single_rate, covered_rate = _formation(within, units)
    yjt, yjt_rate = _yijiantiao(villages, units, today)
    ages, edus = _cadres(within, villages, today)
    decisions, uses = _decisions(user, within, units, year)
    needs, projects_done = _needs(user, within, units, year)
    grid, on_time = _grid(user, within, units)
    kpis: list[tuple[str, Any, str]] = [
        ("党组织", party_orgs, "个"),
        ("党员", party_members, "名"),
        ("单建率", single_rate, "%"),
        ("单建+联建组建率", covered_rate, "%"),
        ("一肩挑率", yjt_rate, "%"),
        (f"{year}年四议两公开运用", uses, "次"),
        (f"{year}年微实事完成", projects_done, "项"),
        ("网格事件按时办结率", on_time, "%"),
    ]
    tables = [orgs, members, formation, formation_kinds, yjt, ages, edus, _reserves(villages), decisions, needs, grid]
    return Dashboard(within, level_of(within), year, now, units.orgs, tables, kpis)
