"""The quarterly feedback sheet to a member's own unit (双重管理: the unit manages, the community records
and feeds back; 中江 "一单一表一卡" feeds the service card back each quarter, domain.md §7.1-§7.2).

One row per member of the unit who should report: where they reported, whether the report was valid
at the quarter's end, and their service in the quarter (entries, hours, points), counted by the
database in one query. Viewing and exporting are scoped to the unit and both are audited: the sheet
carries personal data to another organization.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop as N_

from jiceng.accounts.access import get_for_user, scope
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.needs import access
from jiceng.needs.models_service import ServiceReport
from jiceng.needs.reporting import REPORTING_STAGES
from jiceng.orgs.exporting import Export, _workbook
from jiceng.orgs.models import UNIT_KINDS, Member, Organization


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def units_for_user(user: User) -> QuerySet[Organization]:
    return scope(Organization.objects.filter(kind__in=UNIT_KINDS), user, access.roles("feedback.view"), "path").order_by("path")


def unit_for_user(user: User, pk: int) -> Organization:
    return get_for_user(Organization.objects.filter(kind__in=UNIT_KINDS), user, access.roles("feedback.view"), "path", pk=pk)


@dataclass
class Row:
    member: Member
    community: str
    reported_on: date | None
    expires_on: date | None
    services: int
    hours: Decimal
    points: Decimal

    @property
    def report_state(self) -> str:
        if self.reported_on is None:
            return "未报到"
        return "有效" if self.expires_on is not None and self.expires_on >= self._end else "已过期"

    _end: date = date.max


def rows(unit: Organization, year: int, quarter: int) -> list[Row]:
    start, end = quarter_bounds(year, quarter)
    in_quarter = Q(point_entries__on__gte=start, point_entries__on__lte=end)
    service = in_quarter & Q(point_entries__rule__counts_as_service=True)
    # The report in force at the quarter's end: reported by then and not ended before it.
    report = (
        ServiceReport.objects.filter(member=OuterRef("pk"), reported_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=end))
        .order_by("-reported_on", "-pk")
    )
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=1))
    qs = (
        Member.objects.filter(work_unit=unit, stage__in=REPORTING_STAGES)
        .select_related("person", "branch")
        .annotate(
            services=Count("point_entries", filter=service),
            hours_q=Coalesce(Sum("point_entries__hours", filter=service), zero),
            points_q=Coalesce(Sum("point_entries__points", filter=in_quarter), zero),
            community_name=Subquery(report.values("community__name")[:1]),
            reported=Subquery(report.values("reported_on")[:1]),
            expires=Subquery(report.values("expires_on")[:1]),
        )
        .order_by("person__name_initials", "pk")
    )
    out = []
    for m in qs:
        row = Row(
            member=m,
            community=m.community_name or "",  # type: ignore[attr-defined]
            reported_on=m.reported,  # type: ignore[attr-defined]
            expires_on=m.expires,  # type: ignore[attr-defined]
            services=m.services,  # type: ignore[attr-defined]
            hours=m.hours_q,  # type: ignore[attr-defined]
            points=m.points_q,  # type: ignore[attr-defined]
        )
        row._end = end
        out.append(row)
    return out


def record_view(*, actor: User, unit: Organization, year: int, quarter: int, count: int, export: bool = False) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="feedback.export" if export else "feedback.view",
            obj=unit,
            org=unit,
            changes={"year": year, "quarter": quarter, "rows": count},
        )


HEADERS = [
    (N_("姓名"), 10),
    (N_("所在党组织"), 22),
    (N_("报到社区"), 18),
    (N_("报到日期"), 12),
    (N_("有效期至"), 12),
    (N_("季末报到状态"), 12),
    (N_("本季度服务次数"), 14),
    (N_("服务时长（小时）"), 14),
    (N_("本季度积分"), 12),
]


def _values(sheet: list[Row]) -> Iterable[list[Any]]:
    for row in sheet:
        yield [
            row.member.person.name,
            row.member.branch.name,
            row.community,
            row.reported_on,
            row.expires_on,
            row.report_state,
            row.services,
            float(row.hours),
            float(row.points),
        ]


def export(*, actor: User, unit: Organization, year: int, quarter: int) -> Export:
    """The sheet as Excel; the caller fetched `unit` with unit_for_user (in scope)."""
    sheet = rows(unit, year, quarter)
    file, count = _workbook("在职党员社区服务反馈表", HEADERS, _values(sheet))
    record_view(actor=actor, unit=unit, year=year, quarter=quarter, count=count, export=True)
    return Export(file=file, filename=f"在职党员社区服务反馈表-{unit.name}-{year}Q{quarter}.xlsx", rows=count)
