"""Rollups of the indicators: snapshots the pages read, and the history of the headline rates.

- `refresh(root, year)` computes the dashboards of `root` and every town and village under it in one
  pass (indicators.compute_all), replaces their `Snapshot` rows and writes today's `HistoryPoint`s.
  It runs from the task queue (tasks.py) and from `manage.py refresh_indicators` (cron / systemd timer).
- `snapshot_for(org, year)` is what every page reads. When no snapshot is stored yet, a town or village
  computes its small subtree in the request; a district, city or province is handed to the task
  queue once (`claim_fill`, then the task runs `fill`) and the page says it is being generated.
- `backfill(root, days)` computes history points for past days from the records' own dates, for the
  indicators whose records carry dates (一肩挑 from posts, case on-time rate from case times). The
  others (formation, organizations, members) have no dated source: their history starts at the
  first refresh (docs/indicators.md "History").
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.utils import timezone

from jiceng.dashboard import indicators, regions
from jiceng.dashboard.models import HistoryPoint, PendingSnapshot, Snapshot, Source
from jiceng.grid.models import DONE_STATUSES, Case
from jiceng.orgs.models import GRASSROOTS_KINDS, REGION_KINDS, Organization, OrgKind
from jiceng.orgs.rules import yijiantiao

# A page may ask for a refresh of the same organization and year at most this often; a missing
# snapshot is handed to the task queue again at most this often too (claim_fill).
REFRESH_COOLDOWN = timedelta(minutes=5)

# Computed inside the request when a page finds no snapshot: a town's or village's subtree is small.
# A district takes seconds (≈ 3 s at province scale) and a province minutes (122 districts), far
# past gunicorn's timeout, so those are left to the task queue.
INLINE_KINDS = indicators.TOWN_KINDS | GRASSROOTS_KINDS


# ---- encoding: a Dashboard to JSON and back (Decimal kept exact) ----------------------------------


def _enc(value: Any) -> Any:
    return {"$d": str(value)} if isinstance(value, Decimal) else value


def _dec(value: Any) -> Any:
    return Decimal(value["$d"]) if isinstance(value, dict) and "$d" in value else value


def encode(board: indicators.Dashboard) -> dict[str, Any]:
    return {
        "level": board.level,
        "units": [list(u) for u in board.units],
        "kpis": [[label, _enc(value), unit] for label, value, unit in board.kpis],
        "counts": board.counts,
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "headers": t.headers,
                "rows": [[_enc(v) for v in row] for row in t.rows],
                "links": t.links,
                "note": t.note,
                "chart": t.chart,
                "detail_of": t.detail_of,
            }
            for t in board.tables
        ],
    }


def decode(snapshot: Snapshot, within: Organization) -> indicators.Dashboard:
    data = snapshot.data
    tables = [
        indicators.Table(
            t["key"],
            t["title"],
            t["headers"],
            [[_dec(v) for v in row] for row in t["rows"]],
            t["links"],
            t["note"],
            t["chart"],
            t.get("detail_of", ""),  # snapshots stored before the field existed
        )
        for t in data["tables"]
    ]
    return indicators.Dashboard(
        within=within,
        level=data["level"],
        year=snapshot.year,
        as_of=snapshot.as_of,
        units=[indicators.UnitRef(pk, name) for pk, name in data["units"]],
        tables=tables,
        kpis=[(label, _dec(value), unit) for label, value, unit in data["kpis"]],
        counts=data["counts"],
    )


# ---- refresh ----------------------------------------------------------------------------------


def refresh(root: Organization, year: int | None = None, now: datetime | None = None) -> int:
    """Recompute and store the snapshots of `root`'s subtree; returns how many were written.

    A city or province recomputes every district under it, then adds them up (regions.py). Any city
    or province above `root` that already has a snapshot for the year is added up again from its
    children's, so the levels above stay consistent with what was just recomputed."""
    now = now or timezone.now()
    year = year or timezone.localdate(now).year
    written = _rollup(root, year, now, recompute=True) if root.kind in REGION_KINDS else _refresh_tree(root, year, now)
    rolls_up = root.depth > 1 and root.kind in REGION_KINDS | {OrgKind.DISTRICT}  # a town's refresh leaves its district as it was
    above = Organization.objects.get_ancestors(root).filter(kind__in=REGION_KINDS).order_by("-depth") if rolls_up else []
    for region in above:
        if Snapshot.objects.filter(organization=region, year=year).exists():
            written += _rollup(region, year, now, recompute=False)
    return written


def _refresh_tree(root: Organization, year: int, now: datetime) -> int:
    """A district, town or village: its subtree computed from the records in one pass."""
    boards = indicators.compute_all(root, year, now)
    _store(boards, year, now)
    return len(boards)


def _store(boards: Mapping[int, indicators.Dashboard], year: int, now: datetime) -> None:
    today = timezone.localdate(now)
    with transaction.atomic():
        Snapshot.objects.filter(organization_id__in=list(boards), year=year).delete()
        PendingSnapshot.objects.filter(organization_id__in=list(boards), year=year).delete()  # asked for and now there
        Snapshot.objects.bulk_create(Snapshot(organization_id=pk, year=year, as_of=b.as_of, data=encode(b)) for pk, b in boards.items())
        if year == today.year:  # the history holds today's figures, not a past year's tables
            _store_points(today, now, Source.REFRESH, {pk: b.counts for pk, b in boards.items()})


def region_children(region: Organization) -> list[Organization]:
    """The cities of a province, the districts of a city: the rows of its dashboard."""
    return list(
        Organization.objects.filter(
            path__startswith=region.path, depth=region.depth + 1, kind__in=REGION_KINDS | {OrgKind.DISTRICT}
        ).order_by("path")
    )


def _rollup(region: Organization, year: int, now: datetime, recompute: bool) -> int:
    """Store a city's or province's snapshot, the sum of its children's. With `recompute` every child
    is recomputed first; without, the stored ones are used and only a missing one is computed."""
    children = region_children(region)
    written = 0
    if recompute:
        for child in children:
            written += _rollup(child, year, now, True) if child.kind in REGION_KINDS else _refresh_tree(child, year, now)
    found = {s.organization_id: s for s in Snapshot.objects.filter(organization__in=children, year=year)}
    for child in children:
        if child.pk not in found:
            written += _rollup(child, year, now, False) if child.kind in REGION_KINDS else _refresh_tree(child, year, now)
            found[child.pk] = Snapshot.objects.get(organization=child, year=year)
    board = regions.combine(region, year, [(c, decode(found[c.pk], c)) for c in children], now)
    _store({region.pk: board}, year, now)
    return written + 1


def _store_points(day: date, as_of: datetime, source: str, counts: Mapping[int, Mapping[str, int | None]]) -> None:
    HistoryPoint.objects.filter(organization_id__in=list(counts), day=day).delete()
    HistoryPoint.objects.bulk_create(
        HistoryPoint(organization_id=pk, day=day, as_of=as_of, source=source, **{k: c.get(k) for k in indicators.COUNT_KEYS})
        for pk, c in counts.items()
    )


def roots() -> list[Organization]:
    """What a scheduled refresh walks: the roots of the tree (a province, a city or a district);
    a province or city recomputes its districts and adds them up."""
    return list(Organization.objects.filter(depth=1, kind__in=indicators.LEVEL_KINDS | REGION_KINDS).order_by("path"))


class SnapshotPending(Exception):
    """No snapshot yet: the task queue was asked for it at `requested_at`, the page says so."""

    def __init__(self, org: Organization, year: int, requested_at: datetime) -> None:
        super().__init__(f"snapshot of {org.pk}/{year} pending since {requested_at:%Y-%m-%d %H:%M}")
        self.org, self.year, self.requested_at = org, year, requested_at


def snapshot_for(org: Organization, year: int) -> Snapshot:
    """The stored snapshot of `org` for `year`. Without one, a town or village computes its own
    subtree here and stores it; a district, city or province is handed to the task queue (at most once
    per REFRESH_COOLDOWN, claim_fill) and SnapshotPending is raised, unless the task ran inline
    (the immediate backend) and stored it."""
    found = Snapshot.objects.filter(organization=org, year=year).first()
    if found is not None:
        return found
    if org.kind in INLINE_KINDS:
        _refresh_tree(org, year, timezone.now())
        return Snapshot.objects.get(organization=org, year=year)
    from jiceng.dashboard.tasks import refresh_indicators  # tasks.py imports this module

    pending, claimed = claim_fill(org, year)
    if claimed:
        refresh_indicators.enqueue(org.pk, year, missing_only=True)
        found = Snapshot.objects.filter(organization=org, year=year).first()
        if found is not None:
            return found
    raise SnapshotPending(org, year, pending.requested_at)


def claim_fill(org: Organization, year: int, now: datetime | None = None) -> tuple[PendingSnapshot, bool]:
    """Record that `org`'s missing snapshot for `year` was asked for; True when this caller should
    enqueue the task: the first to ask, or the first after REFRESH_COOLDOWN (a task that failed or was
    lost is asked for again). Race-safe: of two INSERTs of the unique (organization, year) row one
    fails and get_or_create reads the winner's row; a later claim is one conditional UPDATE, as in
    claim_refresh, so of two stale claims at once only one changes the row."""
    now = now or timezone.now()
    pending, created = PendingSnapshot.objects.get_or_create(organization=org, year=year, defaults={"requested_at": now})
    if created:
        return pending, True
    if pending.requested_at >= now - REFRESH_COOLDOWN:
        return pending, False
    claimed = PendingSnapshot.objects.filter(pk=pending.pk, requested_at__lt=now - REFRESH_COOLDOWN).update(requested_at=now)
    if claimed:
        pending.requested_at = now
    return pending, bool(claimed)


def fill(org: Organization, year: int | None = None, now: datetime | None = None) -> int:
    """Store `org`'s missing snapshot for `year` (what a page asked for); returns how many were written.
    A city or province is added up from its children's stored snapshots, computing only the children
    that have none. Nothing is recomputed when the snapshot is there already (a task enqueued again
    after the cooldown, or a scheduled refresh that came first)."""
    now = now or timezone.now()
    year = year or timezone.localdate(now).year
    if Snapshot.objects.filter(organization=org, year=year).exists():
        PendingSnapshot.objects.filter(organization=org, year=year).delete()
        return 0
    return _rollup(org, year, now, recompute=False) if org.kind in REGION_KINDS else _refresh_tree(org, year, now)


def claim_refresh(snapshot: Snapshot, now: datetime | None = None) -> bool:
    """Mark a page's refresh request; False when one was made within REFRESH_COOLDOWN (one UPDATE,
    so two clicks at once cannot both pass)."""
    now = now or timezone.now()
    recent = Q(requested_at__gte=now - REFRESH_COOLDOWN) | Q(as_of__gte=now - REFRESH_COOLDOWN)
    return bool(Snapshot.objects.filter(pk=snapshot.pk).exclude(recent).update(requested_at=now))


# ---- history from dated records ------------------------------------------------------------------


def month_ends(months: int, today: date) -> list[date]:
    """The last day of each of the `months` months before today's month, oldest first."""
    days: list[date] = []
    first = today.replace(day=1)
    for _ in range(months):
        last = first - timedelta(days=1)
        days.append(last)
        first = last.replace(day=1)
    return days[::-1]


def backfill(root: Organization, days: list[date]) -> int:
    """History points of `root`'s subtree on past `days`, from dated records only; returns the count.

    Known on a past day: 一肩挑 (posts have start and end dates; the villages are today's) and the
    cases closed by then and closed on time (reported, closed and due times). The rest stays empty.
    Days that already have a point from a real refresh are left alone. A city's or province's
    points are its children's added up (a field stays empty when any child's is)."""
    if root.kind in REGION_KINDS:
        return _backfill_region(root, days)
    tree = indicators._Tree(root)
    kept = set(HistoryPoint.objects.filter(organization__path__startswith=root.path, source=Source.REFRESH).values_list("day", flat=True))
    written = 0
    for day in days:
        if day in kept:
            continue
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
        counts: dict[int, dict[str, int | None]] = {o.pk: {"villages": len(tree.villages_under[o.pk])} for o in tree.orgs}
        held = yijiantiao(tree.villages, day)
        for v in tree.villages:
            for org in tree.levels(v.path):
                counts[org.pk]["yijiantiao"] = (counts[org.pk].get("yijiantiao") or 0) + held.get(v.pk, False)
        for org_pk, closed, on_time in _cases_closed_by(tree, end):
            counts[org_pk]["cases_closed"], counts[org_pk]["cases_on_time"] = closed, on_time
        for c in counts.values():
            c.setdefault("yijiantiao", 0)
            c.setdefault("cases_closed", 0)
            c.setdefault("cases_on_time", 0)
        with transaction.atomic():
            _store_points(day, end, Source.RECORDS, counts)
        written += len(counts)
    return written


def _backfill_region(region: Organization, days: list[date]) -> int:
    children = region_children(region)
    written = sum(backfill(child, days) for child in children)
    kept = set(HistoryPoint.objects.filter(organization=region, source=Source.REFRESH).values_list("day", flat=True))
    wanted = [day for day in days if day not in kept]
    points: dict[date, list[HistoryPoint]] = defaultdict(list)
    for point in HistoryPoint.objects.filter(organization__in=children, day__in=wanted):
        points[point.day].append(point)
    for day in wanted:
        found = points[day]
        complete = len(found) == len(children)
        counts: dict[str, int | None] = {}
        for key in indicators.COUNT_KEYS:
            values = [getattr(p, key) for p in found]
            counts[key] = sum(v for v in values if v is not None) if complete and None not in values else None
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
        with transaction.atomic():
            _store_points(day, end, Source.RECORDS, {region.pk: counts})
        written += 1
    return written


def _cases_closed_by(tree: indicators._Tree, end: datetime) -> list[tuple[int, int, int]]:
    """Per level organization: cases closed before `end` and, of them, closed within their limit."""
    rows = (
        Case.objects.filter(village__path__startswith=tree.root.path, status__in=DONE_STATUSES, closed_at__lt=end)
        .annotate(key=Substr("village__path", 1, tree.width))
        .values("key")
        .annotate(closed=Count("pk"), in_time=Count("pk", filter=Q(closed_at__lte=F("due_at"))))
        .order_by()
    )
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for org in tree.levels(row["key"]):
            per[org.pk][0] += row["closed"]
            per[org.pk][1] += row["in_time"]
    return [(pk, c[0], c[1]) for pk, c in per.items()]


# ---- the history table ---------------------------------------------------------------------------

HISTORY_HEADERS = [
    "日期",
    "来源",
    "实体运营两新组织数",
    "单独组建",
    "联合组建",
    "单建率（%）",
    "单建+联建组建率（%）",
    "村（社区）数",
    "一肩挑",
    "一肩挑率（%）",
    "已办结事件",
    "按时办结",
    "按时办结率（%）",
    "党组织",
    "党员",
]


def _rate(part: int | None, whole: int | None) -> Decimal | None:
    return None if part is None or whole is None else indicators.percent(part, whole)


def history_table(org: Organization) -> indicators.Table:
    """The organization's history points (oldest first) as a dashboard table with its line chart."""
    points = list(HistoryPoint.objects.filter(organization=org).order_by("day"))
    table = indicators.Table("history", "主要指标历史（月末及每次刷新）", HISTORY_HEADERS)
    for p in points:
        covered = None if p.single is None or p.joint is None else p.single + p.joint
        table.add(
            [
                p.day.isoformat(),
                str(Source(p.source).label),
                p.two_new,
                p.single,
                p.joint,
                _rate(p.single, p.two_new),
                _rate(covered, p.two_new),
                p.villages,
                p.yijiantiao,
                _rate(p.yijiantiao, p.villages),
                p.cases_closed,
                p.cases_on_time,
                _rate(p.cases_on_time, p.cases_closed),
                p.party_orgs,
                p.party_members,
            ]
        )
    table.note = (
        "按记录日期回溯的月末数据只含有日期来源的指标（一肩挑按任职起止日期，事件按结案与时限时间）；"
        "两新组建率、党组织和党员数没有历史日期来源，自首次刷新起逐日记录，之前显示为“—”。"
    )
    series = [("单建率", 5), ("单建+联建组建率", 6), ("一肩挑率", 9), ("按时办结率", 12)]
    table.chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 30, "containLabel": True},
        "xAxis": {"type": "category", "data": [r[0] for r in table.rows]},
        "yAxis": {"type": "value", "name": "%"},
        "series": [
            {"name": name, "type": "line", "connectNulls": False, "data": [None if r[i] is None else float(r[i]) for r in table.rows]}
            for name, i in series
        ],
    }
    return table
