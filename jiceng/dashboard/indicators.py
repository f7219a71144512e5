"""The indicators of the district, town and village dashboards (issue #6, "Dashboards").

Every figure is counted by the database from the records; nothing is typed in. `compute_all(root)`
computes the dashboards of `root` and of every town and village under it at once: one grouped query
per indicator family over the whole subtree, rolled up to each level in Python, so the cost grows
with the number of groups (villages × kinds), never with one query per organization. The result is
stored by rollups.py as one `Snapshot` per organization; the pages read that row.

Where an app already computes a figure (四议两公开 in decisions/stats.py, needs in needs/stats.py
and needs/stats_service.py, 一肩挑 in orgs/rules.py, overdue cases in grid/sla.py) it is reused.
Case counts are grouped here: grid/stats.py reads one row per closed case (for its median), which
the dashboard does not show. Definitions: docs/indicators.md.

A dashboard's "units" are the rows of its per-unit tables: the towns of a district, the villages of
a town, the village itself.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.decisions import stats as decision_stats
from jiceng.grid import sla
from jiceng.grid.models import DONE_STATUSES, OPEN_STATUSES, Case, Grid
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
# The headline counts kept in the history (HistoryPoint fields), numerators and denominators.
COUNT_KEYS = ("party_orgs", "party_members", "two_new", "single", "joint", "villages", "yijiantiao", "cases_closed", "cases_on_time")


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal; None (shown "—") when the denominator is zero."""
    return None if whole == 0 else (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


def level_of(org: Organization) -> str:
    if org.kind in (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.DISTRICT):
        return str(org.kind)
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
    # The key of the shorter table this one details (per village under a district): not drawn on
    # the page, whose drill-down and export link lead to it; exported and printed in full.
    detail_of: str = ""

    def add(self, cells: list[Any], link: int | None = None) -> None:
        self.rows.append(cells)
        self.links.append(link)


class UnitRef(NamedTuple):
    pk: int
    name: str


@dataclass
class Dashboard:
    within: Organization
    level: str
    year: int
    as_of: datetime
    units: list[UnitRef]
    tables: list[Table]
    kpis: list[tuple[str, Any, str]]  # label, value, unit
    counts: dict[str, int] = field(default_factory=dict)  # COUNT_KEYS, for the history

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


class _Tree:
    """The district/town/village nodes of `root`'s subtree, and which level rows a tree path counts in."""

    def __init__(self, root: Organization):
        self.root = root
        self.orgs = list(Organization.objects.filter(path__startswith=root.path, kind__in=LEVEL_KINDS).order_by("path"))
        self.by_path = {o.path: o for o in self.orgs}
        self.by_pk = {o.pk: o for o in self.orgs}
        self.villages = [o for o in self.orgs if o.kind in GRASSROOTS_KINDS]
        # group keys are paths cut at the deepest level (villages): beyond it nothing is a row of its own
        self.width = max(len(o.path) for o in self.orgs)
        self.units: dict[int, list[Organization]] = {o.pk: self._units_of(o) for o in self.orgs}
        self._unit_paths = {pk: {u.path: u for u in units} for pk, units in self.units.items()}
        self.villages_under: dict[int, list[Organization]] = defaultdict(list)
        for v in self.villages:
            for org in self.levels(v.path):
                self.villages_under[org.pk].append(v)

    def _units_of(self, org: Organization) -> list[Organization]:
        if org.kind in GRASSROOTS_KINDS:
            return [org]
        kinds = TOWN_KINDS if org.kind == OrgKind.DISTRICT else GRASSROOTS_KINDS
        return [o for o in self.orgs if o.depth == org.depth + 1 and o.kind in kinds and o.path.startswith(org.path)]

    def levels(self, path: str) -> list[Organization]:
        """The dashboards a record at `path` counts in: its level ancestors (and itself) under root."""
        step = Organization.steplen
        return [org for i in range(step, len(path) + 1, step) if (org := self.by_path.get(path[:i])) is not None]

    def unit_of(self, org: Organization, path: str) -> Organization | None:
        """The unit row of `org`'s tables that a record at `path` counts in; None = directly under `org`."""
        if org.kind in GRASSROOTS_KINDS:
            return org
        return self._unit_paths[org.pk].get(path[: len(org.path) + Organization.steplen])

    def link(self, org: Organization, unit: Organization) -> int | None:
        return unit.pk if unit.pk != org.pk else None

    def count_by(self, qs: QuerySet[Any], path_field: str, group: str) -> dict[int, Counter[str]]:
        """One grouped query: per level organization, the rows of `qs` in its subtree counted by `group`."""
        counted: dict[int, Counter[str]] = defaultdict(Counter)
        rows = qs.annotate(key=Substr(path_field, 1, self.width)).values("key", group).annotate(n=Count("pk")).order_by()
        for row in rows:
            for org in self.levels(row["key"]):
                counted[org.pk][row[group]] += row["n"]
        return counted


def _viewer(root: Organization) -> User:
    """The app statistics scope by the caller's grants: the snapshot counts what a district admin
    of `root` would see, which is the whole subtree (an unsaved user, never logged in)."""
    viewer = User(username="indicators", is_active=True)
    viewer._grants_cache = [RoleGrant(role=Role.DISTRICT_ADMIN, organization=root)]  # type: ignore[attr-defined]
    return viewer


# ---- the data: one pass per indicator family over root's subtree ----------------------------------


@dataclass
class _Data:
    kinds: dict[int, Counter[str]]
    stages: dict[int, Counter[str]]
    formation: dict[int, dict[str, list[int]]]  # per org: unit path ("" = 直属) -> [n, single, joint]
    formation_kinds: dict[int, dict[str, list[int]]]
    yijiantiao: dict[int, bool]
    cadres: dict[int, list[dict[int, tuple[date | None, str]]]]  # per village: people on the three days
    reserves: dict[int, int]
    decisions: dict[int, decision_stats.Figures]  # per village
    needs: dict[str, need_stats.Row]  # per village path
    service: dict[int, stats_service.Figures]  # per village
    cases: dict[tuple[int, int], list[int]]  # per (grid, village): total, open, overdue, closed, on time
    grids: list[tuple[int, str, int]]  # pk, name, village


def _formation_counts(tree: _Tree) -> tuple[dict[int, dict[str, list[int]]], dict[int, dict[str, list[int]]]]:
    """The 实体运营 (active) two-new organizations, counted once (domain.md §3.5)."""
    rows = (
        Organization.objects.filter(path__startswith=tree.root.path, kind__in=TWO_NEW_KINDS, is_active=True)
        .annotate(key=Substr("path", 1, tree.width))
        .values("key", "kind")
        .annotate(
            n=Count("pk"),
            single=Count("pk", filter=Q(formation=Formation.SINGLE)),
            joint=Count("pk", filter=Q(formation=Formation.JOINT)),
        )
        .order_by()
    )
    per_unit: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    per_kind: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for row in rows:
        for org in tree.levels(row["key"]):
            unit = tree.unit_of(org, row["key"])
            for bucket in (per_unit[org.pk][unit.path if unit is not None else ""], per_kind[org.pk][row["kind"]]):
                bucket[0] += row["n"]
                bucket[1] += row["single"]
                bucket[2] += row["joint"]
    return per_unit, per_kind


def _cadre_people(tree: _Tree, today: date) -> dict[int, list[dict[int, tuple[date | None, str]]]]:
    """Two-committee cadres per village in office on three days: the end of 2020 (before the 2021
    换届), the end of 2021 (after it) and today. One query: the posts in force on any of them."""
    if not tree.villages:
        return {}
    village_by_path = {v.path: v for v in tree.villages}
    width, depth = len(tree.villages[0].path), tree.villages[0].depth
    posts = (
        Post.objects.filter(organization__path__startswith=tree.root.path, start_date__lte=today)
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
    people: dict[int, list[dict[int, tuple[date | None, str]]]] = {}
    for path, org_depth, person_id, birth, education, start, end in posts:
        village = village_by_path.get(path[:width])
        # a party organization counts when it is the village's own (its child), not a unit's branch deeper down
        if village is None or (path != village.path and org_depth != depth + 1):
            continue
        for i, day in enumerate(days):
            if start <= day and (end is None or end >= day):
                people.setdefault(village.pk, [{}, {}, {}])[i][person_id] = (birth, education)
    return people


def _case_counts(tree: _Tree, now: datetime) -> tuple[dict[tuple[int, int], list[int]], list[tuple[int, str, int]]]:
    cases = Case.objects.filter(village__path__startswith=tree.root.path)
    done = Q(status__in=DONE_STATUSES)
    counted: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in (
        cases.values("grid_id", "village_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            closed=Count("pk", filter=done),
            in_time=Count("pk", filter=done & Q(closed_at__lte=F("due_at"))),
        )
        .order_by()
    ):
        c = counted[row["grid_id"], row["village_id"]]
        c[0], c[1], c[3], c[4] = row["total"], row["open"], row["closed"], row["in_time"]
    for row in sla.overdue(cases, now).values("grid_id", "village_id").annotate(n=Count("pk")).order_by():
        counted[row["grid_id"], row["village_id"]][2] = row["n"]
    grids = list(Grid.objects.filter(village__path__startswith=tree.root.path).order_by("code").values_list("pk", "name", "village_id"))
    return counted, grids


def _load(tree: _Tree, year: int, now: datetime) -> _Data:
    root, today = tree.root, timezone.localdate(now)
    viewer = _viewer(root)
    kinds = tree.count_by(Organization.objects.filter(path__startswith=root.path), "path", "kind")
    for org in tree.orgs:
        kinds[org.pk][org.kind] -= 1  # a dashboard counts what is under its organization, not itself
    formation, formation_kinds = _formation_counts(tree)
    need_rows, _total = need_stats.figures(viewer, "community", year)
    service = stats_service.report(viewer, year)
    cases, grids = _case_counts(tree, now)
    return _Data(
        kinds=kinds,
        stages=tree.count_by(Member.objects.filter(branch__path__startswith=root.path), "branch__path", "stage"),
        formation=formation,
        formation_kinds=formation_kinds,
        yijiantiao=yijiantiao(tree.villages, today),
        cadres=_cadre_people(tree, today),
        reserves=dict(
            ReserveCadre.objects.filter(organization__path__startswith=root.path, organization__kind__in=GRASSROOTS_KINDS)
            .values("organization")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("organization", "n")
        ),
        decisions=decision_stats.village_figures(viewer, year, today, within=root),
        needs={r.path: r for r in need_rows},
        service={r.org.pk: r.figures for r in service.communities},
        cases=cases,
        grids=grids,
    )


# ---- the tables of one dashboard ---------------------------------------------------------------


def _orgs_and_members(data: _Data, org: Organization) -> tuple[Table, Table, int, int]:
    kinds = {k: n for k, n in data.kinds[org.pk].items() if n}
    orgs = Table("orgs", "组织数量（按类型）", ["类型", "数量"])
    for kind in OrgKind:
        if kinds.get(kind.value):
            orgs.add([str(kind.label), kinds[kind.value]])
    party_orgs = sum(n for k, n in kinds.items() if k in PARTY_ORG_KINDS)
    orgs.add(["其中：党组织合计", party_orgs])
    shown = [k for k in OrgKind.values if kinds.get(k)]
    orgs.chart = _bar([str(OrgKind(k).label) for k in shown], [("数量", [kinds[k] for k in shown])])

    stages = data.stages[org.pk]
    members = Table("members", "党员与发展对象（按阶段）", ["阶段", "人数"])
    for stage in STAGE_ORDER:
        members.add([str(Stage(stage).label), stages.get(stage, 0)])
    party_members = stages.get(Stage.FULL, 0) + stages.get(Stage.PROBATIONARY, 0)
    members.add(["党员合计（正式+预备）", party_members])
    members.chart = _pie([(str(Stage(s).label), stages.get(s, 0)) for s in STAGE_ORDER])
    return orgs, members, party_orgs, party_members


def _formation(data: _Data, tree: _Tree, org: Organization) -> tuple[Table, Table, list[int]]:
    """单建率 = single / operating units; 单建+联建组建率 = (single + joint) / operating units (domain.md §3.5).

    The denominator is the 实体运营 non-public enterprises and social organizations in scope: the
    registry's active ones (is_active); shells closed after an on-site check are made inactive.
    """
    per_unit = data.formation.get(org.pk, {})
    per_kind = data.formation_kinds.get(org.pk, {})
    units = tree.units[org.pk]
    headers = ["单位", "实体运营两新组织数", "单独组建", "联合组建", "单建率（%）", "单建+联建组建率（%）"]

    def cells(name: str, n: int, single: int, joint: int) -> list[Any]:
        return [name, n, single, joint, percent(single, n), percent(single + joint, n)]

    def of(unit: Organization) -> list[int]:
        return per_unit.get(unit.path, [0, 0, 0])

    by_unit = Table("formation", "两新组织党组织组建率（按单位）", headers)
    for unit in units:
        by_unit.add(cells(unit.name, *of(unit)), tree.link(org, unit))
    if "" in per_unit:
        by_unit.add(cells("直属单位", *per_unit[""]))
    total = [sum(v[i] for v in per_unit.values()) for i in range(3)]
    by_unit.add(cells("合计", *total))
    by_unit.note = "分母为范围内实体运营（有效）的非公有制企业和社会组织；分母为 0 时比率显示为“—”。"
    by_unit.chart = _bar(
        [u.name for u in units],
        [
            ("单建率", [percent(of(u)[1], of(u)[0]) for u in units]),
            ("单建+联建组建率", [percent(of(u)[1] + of(u)[2], of(u)[0]) for u in units]),
        ],
        "%",
    )
    by_kind = Table("formation_kinds", "两新组织党组织组建率（按类型）", ["类型", *headers[1:]])
    for kind in (OrgKind.ENTERPRISE, OrgKind.SOCIAL_ORG):
        by_kind.add(cells(str(kind.label), *per_kind.get(kind, [0, 0, 0])))
    by_kind.add(cells("合计", *total))
    return by_unit, by_kind, total


def _yijiantiao(data: _Data, tree: _Tree, org: Organization) -> tuple[Table, int, int]:
    """一肩挑率 = villages/communities whose party secretary is also chair (and, in a village, 经联社社长) / all of them."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    villages = tree.villages_under[org.pk]
    for v in villages:
        unit = tree.unit_of(org, v.path)
        if unit is not None:
            counts[unit.path][0] += 1
            counts[unit.path][1] += data.yijiantiao.get(v.pk, False)
    table = Table("yijiantiao", "村（社区）书记、主任“一肩挑”", ["单位", "村（社区）数", "一肩挑", "一肩挑率（%）"])
    for unit in tree.units[org.pk]:
        n, yes = counts.get(unit.path, [0, 0])
        table.add([unit.name, n, yes, percent(yes, n)], tree.link(org, unit))
    n, yes = len(villages), sum(data.yijiantiao.get(v.pk, False) for v in villages)
    table.add(["合计", n, yes, percent(yes, n)])
    table.note = "由现任职务推导：村（社区）党组织书记同时任村（居）委会主任，村还须兼任经联社社长（domain.md §10.1）。"
    return table, n, yes


def _reserves(data: _Data, tree: _Tree, org: Organization) -> list[Table]:
    """Per village; on a district page per town (the per-village table is its export, see Table.detail_of)."""
    villages = tree.villages_under[org.pk]

    def count(vs: list[Organization]) -> tuple[int, int]:
        n = [data.reserves.get(v.pk, 0) for v in vs]
        return sum(n), sum(1 for x in n if x >= RESERVE_TARGET)

    note = f"每村（社区）不少于{RESERVE_TARGET}名为各地通行做法，非法定要求。"
    per_village = Table("reserves", "后备干部（按村、社区）", ["村（社区）", "后备干部数", f"达到{RESERVE_TARGET}名"], note=note)
    for v in villages:
        n = data.reserves.get(v.pk, 0)
        per_village.add([v.name, n, "是" if n >= RESERVE_TARGET else "否"], v.pk)
    total, reached = count(villages)
    per_village.add(["合计", total, f"{reached}/{len(villages)}"])
    if level_of(org) != "district":
        return [per_village]
    per_village.detail_of = "reserves_units"
    per_unit = Table(
        "reserves_units",
        "后备干部（按镇街）",
        ["单位", "村（社区）数", "后备干部数", f"达到{RESERVE_TARGET}名的村（社区）"],
        note=f"{note}逐村数字见镇街看板或“逐村明细”导出。",
    )
    for unit in tree.units[org.pk]:
        under = tree.villages_under[unit.pk]
        per_unit.add([unit.name, len(under), *count(under)], tree.link(org, unit))
    per_unit.add(["合计", len(villages), total, reached])
    return [per_unit, per_village]


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _cadres(data: _Data, villages: list[Organization], today: date) -> tuple[Table, Table, dict[str, int]]:
    days = [BEFORE_ELECTION, AFTER_ELECTION, today]
    people: list[dict[int, tuple[date | None, str]]] = [{}, {}, {}]
    for v in villages:
        for i, found in enumerate(data.cadres.get(v.pk, [{}, {}, {}])):
            people[i].update(found)
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
    # the sums behind the average ages, so a city or province can average its districts exactly (regions.py)
    sums: dict[str, int] = {}
    for i in idx:
        known = [a for b, _e in people[i].values() if (a := _age(b, days[i])) is not None]
        sums[f"cadre_age_sum_{i}"], sums[f"cadre_age_known_{i}"] = sum(known), len(known)
    return ages, edus, sums


def _sum_figures(per_village: dict[int, Any], villages: Iterable[Organization], empty: Any) -> Any:
    return sum((per_village.get(v.pk, empty) for v in villages), empty)


def _decisions(data: _Data, tree: _Tree, org: Organization, year: int) -> tuple[Table, decision_stats.Figures]:
    table = Table(
        "decisions",
        f"{year}年“四议两公开”",
        ["单位", "运用次数", "决策事项数", "涉及金额（万元）", "已完成", "决议公告按时率（%）", "异议", "未达法定人数会议"],
    )

    def cells(name: str, f: decision_stats.Figures) -> list[Any]:
        return [name, f.decisions, f.matters, f.amount_wan, f.completed, f.on_time_share, f.objections_raised, f.failed_meetings]

    for unit in tree.units[org.pk]:
        table.add(
            cells(unit.name, _sum_figures(data.decisions, tree.villages_under[unit.pk], decision_stats.Figures())), tree.link(org, unit)
        )
    total = _sum_figures(data.decisions, tree.villages_under[org.pk], decision_stats.Figures())
    if org.kind not in GRASSROOTS_KINDS:
        table.add(cells("合计", total))
    table.note = "来源：四议两公开统计（decisions/stats.py）；按决议会议召开年份计。"
    return table, total


def _needs(data: _Data, tree: _Tree, org: Organization, year: int) -> tuple[Table, int]:
    table = Table(
        "needs",
        f"{year}年群众需求与民生微实事",
        ["单位", "收到需求", "已认领", "已履约", "已确认", "微实事已完成", "微实事在建", "双报到党员", "已服务党员"],
    )
    sums = [0] * 8
    for unit in tree.units[org.pk]:
        figures = [0] * 8
        for v in tree.villages_under[unit.pk]:
            n = data.needs.get(v.path)
            p = data.service.get(v.pk, stats_service.Figures())
            row = [n.received, n.claimed, n.fulfilled, n.confirmed] if n else [0, 0, 0, 0]
            row += [p.projects_done, p.projects_running, p.reporting, p.served]
            figures = [a + b for a, b in zip(figures, row, strict=True)]
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        table.add([unit.name, *figures], tree.link(org, unit))
    if org.kind not in GRASSROOTS_KINDS:
        table.add(["合计", *sums])
    table.note = "来源：需求统计（needs/stats.py）与双报到、微实事统计（needs/stats_service.py）；按提交年份、评价年份计。"
    return table, sums[4]


def _on_time_rate(c: list[int]) -> float | None:
    return round(100 * c[4] / c[3], 1) if c[3] else None


def _grid(data: _Data, tree: _Tree, org: Organization) -> tuple[Table, list[int]]:
    """On a village page one row per grid of the village; above it one row per unit."""
    rows: list[tuple[str, list[int], int | None]] = []
    if org.kind in GRASSROOTS_KINDS:
        for pk, name, village_id in data.grids:
            if village_id == org.pk:
                rows.append((name, data.cases.get((pk, org.pk), [0] * 5), None))
    else:
        per_unit: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
        for (_grid_id, village_id), c in data.cases.items():
            village = tree.by_pk.get(village_id)
            unit = tree.unit_of(org, village.path) if village is not None else None
            if unit is not None:
                per_unit[unit.pk] = [a + b for a, b in zip(per_unit[unit.pk], c, strict=True)]
        rows = [(u.name, per_unit[u.pk], u.pk) for u in tree.units[org.pk]]
    total = [sum(r[1][i] for r in rows) for i in range(5)]
    header = "网格" if org.kind in GRASSROOTS_KINDS else "单位"
    table = Table("grid", "网格事件办理", [header, "事件", "在办", "超时", "办结", "按时办结", "按时办结率（%）"])
    for name, c, link in rows:
        table.add([name, *c, _on_time_rate(c)], link)
    table.add(["合计", *total, _on_time_rate(total)])
    table.note = "按时办结 = 在总时限内办结；按时办结率 = 按时办结 / 办结（与 grid/stats.py 同一定义）。"
    table.chart = _bar([r[0] for r in rows], [("按时办结率", [_on_time_rate(r[1]) for r in rows])], "%")
    return table, total


def _board(data: _Data, tree: _Tree, org: Organization, year: int, now: datetime) -> Dashboard:
    villages = tree.villages_under[org.pk]
    orgs, members, party_orgs, party_members = _orgs_and_members(data, org)
    formation, formation_kinds, two_new = _formation(data, tree, org)
    yjt, n_villages, n_yjt = _yijiantiao(data, tree, org)
    ages, edus, age_sums = _cadres(data, villages, timezone.localdate(now))
    decisions, decided = _decisions(data, tree, org, year)
    needs, projects_done = _needs(data, tree, org, year)
    grid, cases = _grid(data, tree, org)
    counts = dict(zip(COUNT_KEYS, [party_orgs, party_members, *two_new, n_villages, n_yjt, cases[3], cases[4]], strict=True))
    # Not history: what a city or province needs to add its districts up exactly (regions.py).
    counts.update(
        decision_uses=decided.decisions,
        notices=decided.resolution_notices,
        notices_on_time=decided.notices_on_time,
        projects_done=projects_done,
        **age_sums,
    )
    tables = [orgs, members, formation, formation_kinds, yjt, ages, edus, *_reserves(data, tree, org), decisions, needs, grid]
    units = [UnitRef(u.pk, u.name) for u in tree.units[org.pk]]
    return Dashboard(org, level_of(org), year, now, units, tables, headline(counts, year), counts)


def headline(counts: dict[str, int], year: int) -> list[tuple[str, Any, str]]:
    """The headline figures of a dashboard, from its counts (a district's own, or a region's sums)."""

    def n(key: str) -> int:
        return counts.get(key) or 0

    return [
        ("党组织", n("party_orgs"), "个"),
        ("党员", n("party_members"), "名"),
        ("单建率", percent(n("single"), n("two_new")), "%"),
        ("单建+联建组建率", percent(n("single") + n("joint"), n("two_new")), "%"),
        ("一肩挑率", percent(n("yijiantiao"), n("villages")), "%"),
        (f"{year}年四议两公开运用", n("decision_uses"), "次"),
        (f"{year}年微实事完成", n("projects_done"), "项"),
        ("网格事件按时办结率", _on_time_rate([0, 0, 0, n("cases_closed"), n("cases_on_time")]), "%"),
    ]


def compute_all(root: Organization, year: int | None = None, now: datetime | None = None) -> dict[int, Dashboard]:
    """The dashboards of `root` (a district, town or village) and of every town and village under it."""
    now = now or timezone.now()
    year = year or timezone.localdate(now).year
    tree = _Tree(root)
    data = _load(tree, year, now)
    return {org.pk: _board(data, tree, org, year, now) for org in tree.orgs}


def compute(within: Organization, year: int | None = None, now: datetime | None = None) -> Dashboard:
    """All indicators of `within`, computed live (the caller has checked it is in the user's scope)."""
    return compute_all(within, year, now)[within.pk]
