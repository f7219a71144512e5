"""Case figures per grid, village, town and district (issue #5, "Statistics").

A report is made for one organization the user may see (`within`): one row per child (towns of a
district, villages of a town, grids of a village) and a total. The database counts; a fixed number
of grouped queries per report, whatever the number of cases. Only the median handling time reads
one value per closed case (no portable SQL median), still in one query.

- on time: closed (or evaluated) no later than the case's total limit (due_at);
- overdue: open and past the stage's or the total limit at `now` (computed, see sla.py);
- handling time: reported → closed, in hours.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from jiceng.accounts.access import allowed_paths, scope
from jiceng.accounts.models import User
from jiceng.grid import access, sla
from jiceng.grid.models import DONE_STATUSES, OPEN_STATUSES, Case, CaseStatus, Escalation, Grid
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization

VIEW = access.roles("grid.view")


@dataclass
class Figures:
    total: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    on_time: int = 0
    escalations: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    hours: list[float] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.closed, 1) if self.closed else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    def add(self, other: "Figures") -> None:
        for name in ("total", "open", "overdue", "closed", "on_time", "escalations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, n in other.by_status.items():
            self.by_status[key] = self.by_status.get(key, 0) + n
        self.hours += other.hours


@dataclass
class Row:
    key: int
    name: str
    code: str
    figures: Figures


@dataclass
class Report:
    within: Organization
    rows: list[Row]
    total: Figures
    by_category: list[tuple[str, int, int]]  # name, total, open
    per: str  # "grid", "village", "town"


def default_org(user: User) -> Organization | None:
    paths = allowed_paths(user, VIEW)
    return Organization.objects.filter(path=paths[0]).first() if paths else None


def report(user: User, within: Organization, now: datetime | None = None) -> Report:
    """Figures for `within` (which the caller has checked is in scope), one row per child."""
    now = now or timezone.now()
    cases = scope(Case.objects.all(), user, VIEW, "village__path").filter(village__path__startswith=within.path)
    if within.kind in GRASSROOTS_KINDS:
        per, rows = "grid", [Row(g.pk, g.name, g.code, Figures()) for g in Grid.objects.filter(village=within).order_by("code")]
        keyed = {r.key: r for r in rows}

        def row_of(grid_id: int, village_path: str) -> Row | None:
            return keyed.get(grid_id)
    else:
        children = list(Organization.objects.filter(path__startswith=within.path, depth=within.depth + 1).order_by("path"))
        per = "village" if all(c.kind in GRASSROOTS_KINDS for c in children) else "town"
        rows = [Row(c.pk, c.name, c.code, Figures()) for c in children]
        by_path = {c.path: r for c, r in zip(children, rows, strict=True)}
        step = len(within.path) + Organization.steplen

        def row_of(grid_id: int, village_path: str) -> Row | None:
            return by_path.get(village_path[:step])

    def each(qs: QuerySet[Case], *extra: str) -> list[dict[str, Any]]:
        return list(qs.values("grid_id", "village__path", *extra).annotate(n=Count("pk")).order_by())

    for r in each(cases, "status"):
        row = row_of(r["grid_id"], r["village__path"])
        if row is None:
            continue
        n, status = int(r["n"]), str(r["status"])
        f = row.figures
        f.total += n
        f.by_status[status] = f.by_status.get(status, 0) + n
        if status in OPEN_STATUSES:
            f.open += n
        if status in DONE_STATUSES:
            f.closed += n
    for r in each(sla.overdue(cases, now)):
        if (row := row_of(r["grid_id"], r["village__path"])) is not None:
            row.figures.overdue += int(r["n"])
    for r in each(cases.filter(status__in=DONE_STATUSES, closed_at__lte=F("due_at"))):
        if (row := row_of(r["grid_id"], r["village__path"])) is not None:
            row.figures.on_time += int(r["n"])
    done = cases.filter(status__in=DONE_STATUSES, closed_at__isnull=False)
    for grid_id, path, reported, closed in done.values_list("grid_id", "village__path", "reported_at", "closed_at"):
        if (row := row_of(grid_id, path)) is not None and closed is not None:
            row.figures.hours.append((closed - reported).total_seconds() / 3600)
    escalations: list[dict[str, Any]] = list(
        Escalation.objects.filter(case__in=cases).values("case__grid_id", "case__village__path").annotate(n=Count("pk")).order_by()
    )
    for r in escalations:
        if (row := row_of(r["case__grid_id"], r["case__village__path"])) is not None:
            row.figures.escalations += int(r["n"])
    total = Figures()
    for row in rows:
        total.add(row.figures)
    categories = cases.values("category__name", "category__sort").annotate(
        n=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES))
    )
    by_category = [(c["category__name"], c["n"], c["open"]) for c in categories.order_by("category__sort")]
    return Report(within, rows, total, by_category, per)


STATUS_COLUMNS = [(s.value, str(s.label)) for s in CaseStatus]
