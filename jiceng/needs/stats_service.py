"""Figures of 双报到 and 民生微实事 per community, town and district for a year (issue #4, "Statistics").

Two grouped queries per report, one row per community whatever the number of records; towns and the
district are the sums of their communities. What counts in a year:
- reporting members: members whose report was in force on some day of the year;
- of them, served: they have a service point entry (a rule that counts as service) dated that year;
  entries exist only once a service was confirmed (or confirmed by silence, marked so);
- micro-projects done: evaluated that year; under way: on public notice or implementing now.
A member who moved house in the year counts in both communities, so a town's sum may count them twice.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q

from jiceng.accounts.access import can, scope
from jiceng.accounts.models import User
from jiceng.needs import access
from jiceng.needs.models_service import MicroProject, ProjectStatus, ServiceReport
from jiceng.orgs.models import Organization, OrgKind

TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})


@dataclass
class Figures:
    reporting: int = 0
    served: int = 0
    projects_done: int = 0
    projects_running: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def served_share(self) -> Decimal | None:
        if not self.reporting:
            return None
        return (Decimal(100 * self.served) / Decimal(self.reporting)).quantize(Decimal("0.1"))


@dataclass
class Row:
    org: Organization
    figures: Figures = field(default_factory=Figures)


@dataclass
class Report:
    communities: list[Row]
    towns: list[Row]
    districts: list[Row]


def report(user: User, year: int) -> Report:
    """A level above the communities is shown only to users whose grant covers it."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    roles = access.roles("report.view")
    reports = scope(ServiceReport.objects.all(), user, roles, "community__path")
    in_year = Q(reported_on__lte=end, expires_on__gte=start) & (Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    served = Q(member__point_entries__year=year, member__point_entries__rule__counts_as_service=True)
    by_community: dict[int, Figures] = defaultdict(Figures)
    for counted in (
        reports.filter(in_year)
        .values("community")
        .annotate(reporting=Count("member", distinct=True), served=Count("member", distinct=True, filter=served))
    ):
        f = by_community[counted["community"]]
        f.reporting, f.served = counted["reporting"], counted["served"]
    projects = scope(MicroProject.objects.all(), user, roles, "community__path")
    for counted in projects.values("community").annotate(
        done=Count("pk", filter=Q(status=ProjectStatus.EVALUATED, evaluated_on__year=year)),
        running=Count("pk", filter=Q(status__in=(ProjectStatus.PUBLIC_NOTICE, ProjectStatus.IMPLEMENTING))),
    ):
        f = by_community[counted["community"]]
        f.projects_done, f.projects_running = counted["done"], counted["running"]
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=list(by_community))}
    communities = sorted((Row(orgs[pk], f) for pk, f in by_community.items() if pk in orgs and f != Figures()), key=lambda r: r.org.path)
    step = Organization.steplen
    parents = {r.org.path[:-step] for r in communities} | {r.org.path[: -2 * step] for r in communities}
    above = {o.path: o for o in Organization.objects.filter(path__in=parents)}
    towns: dict[str, Row] = {}
    districts: dict[str, Row] = {}
    for row in communities:
        town = above.get(row.org.path[:-step])
        if town is not None and town.kind in TOWN_KINDS and can(user, roles, town):
            towns.setdefault(town.path, Row(town)).figures += row.figures
        district = above.get(row.org.path[: -2 * step])  # the community's district, wherever the district sits
        if district is not None and district.kind == OrgKind.DISTRICT and can(user, roles, district):
            districts.setdefault(district.path, Row(district)).figures += row.figures
    return Report(communities=communities, towns=sorted(towns.values(), key=lambda r: r.org.path), districts=list(districts.values()))
