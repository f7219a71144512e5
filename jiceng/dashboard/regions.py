"""City (市) and province (省) dashboards (issue #7): the sum of their children's stored snapshots.

A city holds districts and a province holds cities (orgs.models.ALLOWED_PARENTS). Their dashboard has
the tables of a district's, with one row per child (drilling down to the child's own dashboard) and a
合计 row, built from the children's snapshots (each child's 合计 row and counts) rather than from the
records: a province reads its 21 cities' rows, a city its districts', whatever the size of the data.
Rates are recomputed from the summed numerators and denominators, never averaged (docs/indicators.md
"Cities and provinces"). The as-of time is the oldest child's: the figures are no fresher than that.
"""

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from jiceng.dashboard.indicators import (
    AGE_BANDS,
    COLLEGE_UP,
    Dashboard,
    Table,
    UnitRef,
    _bar,
    _on_time_rate,
    _pie,
    headline,
    level_of,
    percent,
)
from jiceng.orgs.models import Education, Organization, OrgKind

TOTAL = "合计"
PARTY_TOTAL = "其中：党组织合计"
AVERAGE_AGE = "平均年龄（岁）"
COLLEGE_SHARE = "大专及以上占比（%）"
# The per-unit tables: one row per child (its 合计 row) and a 合计 row. The per-village reserves table
# of a district (its export) is not repeated above the district: it would list every village.
PER_UNIT = ("formation", "yijiantiao", "reserves_units", "decisions", "needs", "grid")
BY_LABEL = ("orgs", "members", "formation_kinds", "cadre_ages", "cadre_education")


def _add(a: Any, b: Any) -> Any:
    if isinstance(b, bool) or not isinstance(b, int | Decimal):
        return a
    return b if a is None else a + b


def _sum_rows(rows: list[list[Any]]) -> list[Any]:
    """Cell-wise sums of rows of equal width (name column excluded); non-numbers are left out."""
    width = max((len(r) for r in rows), default=1)
    out: list[Any] = [None] * (width - 1)
    for row in rows:
        for i, v in enumerate(row[1:]):
            out[i] = _add(out[i], v)
    return [0 if v is None else v for v in out]


def _formation_rates(c: list[Any], _counts: dict[str, int]) -> None:
    c[3], c[4] = percent(c[1], c[0]), percent(c[1] + c[2], c[0])


def _yijiantiao_rates(c: list[Any], _counts: dict[str, int]) -> None:
    c[2] = percent(c[1], c[0])


def _decision_rates(c: list[Any], counts: dict[str, int]) -> None:
    # 决议公告按时率: notices on time / notices published (decisions/stats.py Figures.on_time_share)
    notices = counts.get("notices")
    c[4] = None if notices is None else percent(counts.get("notices_on_time") or 0, notices)


def _grid_rates(c: list[Any], _counts: dict[str, int]) -> None:
    c[5] = _on_time_rate(c)


RATES: dict[str, Callable[[list[Any], dict[str, int]], None]] = {
    "formation": _formation_rates,
    "formation_kinds": _formation_rates,
    "yijiantiao": _yijiantiao_rates,
    "decisions": _decision_rates,
    "grid": _grid_rates,
}


def _sum_counts(boards: list[Dashboard]) -> dict[str, int]:
    """The children's counts added up; a key some child lacks (a snapshot stored before the key
    existed) is left out, so its rate shows "—" rather than a wrong figure."""
    keys = set().union(*(b.counts for b in boards)) if boards else set()
    summed: dict[str, int] = {}
    for key in sorted(keys):
        values = [b.counts.get(key) for b in boards]
        if all(v is not None for v in values):
            summed[key] = sum(v for v in values if v is not None)
    return summed


def _first(children: list[tuple[Organization, Dashboard]], key: str) -> Table | None:
    return next((t for _, b in children if (t := b.table(key)) is not None), None)


def _per_unit(key: str, children: list[tuple[Organization, Dashboard]], counts: dict[str, int]) -> Table | None:
    model = _first(children, key)
    if model is None:
        return None
    table = Table(key, model.title, model.headers, note=model.note)
    totals: list[list[Any]] = []
    for child, board in children:
        t = board.table(key)
        row = next((r for r in reversed(t.rows) if r[0] == TOTAL), None) if t is not None else None
        cells = list(row[1:]) if row is not None else [None] * (len(model.headers) - 1)
        table.add([child.name, *cells], child.pk)
        totals.append([child.name, *cells])
    total = _sum_rows(totals) if totals else [0] * (len(model.headers) - 1)
    if key in RATES:
        RATES[key](total, counts)
    table.add([TOTAL, *total])
    names = [c.name for c, _ in children]
    rows = table.rows[:-1]
    if key == "formation":
        table.chart = _bar(names, [("单建率", [r[4] for r in rows]), ("单建+联建组建率", [r[5] for r in rows])], "%")
    elif key == "grid":
        table.chart = _bar(names, [("按时办结率", [r[6] for r in rows])], "%")
    return table


def _labelled(tables: list[Table]) -> tuple[list[str], dict[str, list[list[Any]]]]:
    order: list[str] = []
    rows: dict[str, list[list[Any]]] = {}
    for t in tables:
        for row in t.rows:
            if row[0] not in rows:
                order.append(row[0])
                rows[row[0]] = []
            rows[row[0]].append(row)
    return order, rows


def _orgs(children: list[tuple[Organization, Dashboard]]) -> Table:
    """Organizations by kind under the region: the children's counts plus the children themselves."""
    counts: Counter[str] = Counter(str(OrgKind(c.kind).label) for c, _ in children)
    for _, board in children:
        t = board.table("orgs")
        for label, n in t.rows if t is not None else []:
            if label != PARTY_TOTAL and isinstance(n, int):
                counts[label] += n
    table = Table("orgs", "组织数量（按类型）", ["类型", "数量"])
    shown = [str(k.label) for k in OrgKind if counts.get(str(k.label))]
    for label in shown:
        table.add([label, counts[label]])
    party = sum(n for _, b in children if (t := b.table("orgs")) is not None for label, n in t.rows if label == PARTY_TOTAL)
    table.add([PARTY_TOTAL, party])
    table.chart = _bar(shown, [("数量", [counts[label] for label in shown])])
    return table


def _by_label(key: str, children: list[tuple[Organization, Dashboard]], counts: dict[str, int]) -> Table | None:
    tables = [t for _, b in children if (t := b.table(key)) is not None]
    if not tables:
        return None
    model = tables[0]
    # The cadre tables of a district without records from before the 2021 election show only the
    # current column: if the children differ, the region shows the column they all have (现任).
    keep_all = all(t.headers == model.headers for t in tables)
    headers = model.headers if keep_all else [model.headers[0], model.headers[-1]]
    trimmed = [t.rows if keep_all else [[r[0], r[-1]] for r in t.rows] for t in tables]
    order, rows = _labelled([Table(key, "", headers, r) for r in trimmed])
    note = model.note if keep_all else next(t.note for t in tables if len(t.headers) == 2)
    table = Table(key, model.title, headers, note=note)
    days = [0, 1, 2] if len(headers) == 4 else [2]
    for label in order:
        cells = _sum_rows(rows[label])
        if label == AVERAGE_AGE:
            cells = [_average(counts, i) for i in days]
        if key in RATES:
            RATES[key](cells, counts)
        table.add([label, *cells])
    if key == "cadre_education":
        _college_share(table)
    if key == "members":
        table.chart = _pie([(r[0], r[1]) for r in table.rows if r[0] != "党员合计（正式+预备）"])
    if key == "cadre_ages":
        names = [b[0] for b in AGE_BANDS]
        bands = [r for r in table.rows if r[0] in names]
        table.chart = _bar(
            [r[0] for r in bands], [(h.removesuffix("（人）"), [r[1 + j] for r in bands]) for j, h in enumerate(headers[1:])], "人"
        )
    return table


def _average(counts: dict[str, int], day: int) -> Decimal | None:
    total, known = counts.get(f"cadre_age_sum_{day}"), counts.get(f"cadre_age_known_{day}")
    if total is None or not known:
        return None
    return Decimal(total / known).quantize(Decimal("0.1"))


def _college_share(table: Table) -> None:
    college = {str(Education(e).label) for e in COLLEGE_UP}
    people = [r for r in table.rows if r[0] != COLLEGE_SHARE]
    for row in table.rows:
        if row[0] == COLLEGE_SHARE:
            for j in range(1, len(row)):
                whole = sum(r[j] for r in people if isinstance(r[j], int))
                row[j] = percent(sum(r[j] for r in people if r[0] in college and isinstance(r[j], int)), whole)


def combine(region: Organization, year: int, children: list[tuple[Organization, Dashboard]], now: datetime) -> Dashboard:
    """The dashboard of a city or province from its children's dashboards (decoded snapshots)."""
    boards = [b for _, b in children]
    counts = _sum_counts(boards)
    as_of = min((b.as_of for b in boards), default=now)
    tables: list[Table] = []
    model = boards[0].tables if boards else []
    for key in [t.key for t in model if not t.detail_of]:
        table: Table | None
        if key == "orgs":
            table = _orgs(children)
        elif key in PER_UNIT:
            table = _per_unit(key, children, counts)
        elif key in BY_LABEL:
            table = _by_label(key, children, counts)
        else:
            continue
        if table is not None:
            tables.append(table)
    units = [UnitRef(c.pk, c.name) for c, _ in children]
    return Dashboard(region, level_of(region), year, as_of, units, tables, headline(counts, year), counts)
