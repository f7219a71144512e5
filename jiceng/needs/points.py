"""The points ledger (积分, domain.md §7.2): credits, the member's explained ledger, yearly totals and
rankings per branch and community.

Points are local practice with no national standard [U], so every entry names the `PointRule` that
produced it and the record it came from; the member's page shows both ("why each point"). Rankings
only inform people: PIPL art. 24 (domain.md §9.1) asks automated assessments to be transparent, so the
pages explain each factor and no evaluation is decided from a rank.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jiceng.accounts.access import allowed_paths
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.needs import access
from jiceng.needs.models_service import PointEntry, PointRule, RulePer, ServiceReport
from jiceng.orgs.models import Member, Organization

# Rule codes seeded by migration 0003; a district overrides one by adding a rule of the same code.
SERVICE_HOURS = "service_hour"
NEED_DONE = "need_done"
WISH_DONE = "wish_done"
REPORT = "report"
REPORT_LATE = "report_late"
MICRO_PROJECT = "micro_project"

# Where an entry's source record is shown: app_label.model → URL name taking the source id.
SOURCE_URLS = {
    "needs.servicereport": "needs:report_detail",
    "needs.microproject": "needs:project_detail",
    "needs.need": "needs:detail",
    "needs.claim": "needs:claim_detail",
}


def rule_for(code: str, org: Organization) -> PointRule:
    """The rule of this code in force for an organization: its district's own, else the default."""
    prefixes = [org.path[:i] for i in range(Organization.steplen, len(org.path) + 1, Organization.steplen)]
    rules = list(PointRule.objects.filter(code=code, active=True).select_related("district"))
    own = [r for r in rules if r.district is not None and r.district.path in prefixes]
    if own:
        return max(own, key=lambda r: len(r.district.path) if r.district else 0)
    default = next((r for r in rules if r.district is None), None)
    if default is None:
        raise ValidationError({"rule_code": f"积分规则“{code}”不存在或已停用。"})
    return default


def _open_community(member: Member) -> Organization | None:
    report = ServiceReport.objects.filter(member=member, ended_on__isnull=True).select_related("community").first()
    return report.community if report else None


def credit(
    *,
    member: Member,
    rule_code: str,
    points: Decimal | int | None = None,
    hours: Decimal | int | float = 0,
    source: Model | None = None,
    note: str = "",
    on: date | None = None,
    auto_confirmed: bool = False,
    actor: User | None = None,
    community: Organization | None = None,
) -> PointEntry:
    """Credit a member by a rule. Without `points`, the rule computes them (per hour × hours, or per item).

    Callers have already checked that the service was confirmed (by the resident, or by silence with
    `auto_confirmed=True`). Crediting the same source under the same rule twice returns the first entry.
    Joins the caller's transaction when there is one; writes its audit event in it.
    """
    hours_d = Decimal(str(hours)).quantize(Decimal("0.1"))
    if hours_d < 0:
        raise ValidationError({"hours": "服务时长不能为负数。"})
    rule = rule_for(rule_code, member.branch)
    if points is None:
        if rule.per == RulePer.HOUR and hours_d == 0:
            raise ValidationError({"hours": f"“{rule.name}”按小时计分，请填写服务时长。"})
        amount = rule.points * hours_d if rule.per == RulePer.HOUR else rule.points
    else:
        amount = Decimal(points)
        if amount < 0:
            raise ValidationError({"points": "积分不能为负数。"})
    day = on or timezone.localdate()
    source_type = source._meta.label_lower if source is not None else ""
    source_id = str(source.pk) if source is not None else ""
    if source is not None:
        existing = PointEntry.objects.filter(member=member, rule=rule, source_type=source_type, source_id=source_id).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            entry = PointEntry.objects.create(
                member=member,
                rule=rule,
                community=community or _open_community(member),
                points=amount.quantize(Decimal("0.1")),
                hours=hours_d,
                on=day,
                year=day.year,
                source_type=source_type,
                source_id=source_id,
                source_label=str(source)[:200] if source is not None else "",
                note=note[:200],
                auto_confirmed=auto_confirmed,
                created_by=actor if actor is not None and actor.pk else None,
            )
            audit.record(
                actor=actor,
                action="points.credit",
                obj=entry,
                org=member.branch,
                changes={
                    "member": member.pk,
                    "rule": rule.code,
                    "points": entry.points,
                    "hours": hours_d,
                    "source": f"{source_type}:{source_id}" if source_id else "",
                    "auto_confirmed": auto_confirmed,
                },
            )
    except IntegrityError:
        # Another confirmation of the same source won the race: its entry stands.
        found = PointEntry.objects.filter(member=member, rule=rule, source_type=source_type, source_id=source_id).first()
        if found is None or not source_id:
            raise
        return found
    return entry


def source_url(entry: PointEntry) -> str:
    name = SOURCE_URLS.get(entry.source_type)
    if not name or not entry.source_id:
        return ""
    try:
        return reverse(name, args=[entry.source_id])
    except NoReverseMatch:
        return ""


# ---- reads ----------------------------------------------------------------------------------


@dataclass
class Explained:
    entry: PointEntry
    url: str


def ledger(member: Member, year: int) -> list[Explained]:
    """The member's entries of a year with their rule and source: the "why each point" list."""
    entries = PointEntry.objects.filter(member=member, year=year).select_related("rule", "community").order_by("-on", "-pk")
    return [Explained(entry=e, url=source_url(e)) for e in entries]


def total(member: Member, year: int) -> Decimal:
    return PointEntry.objects.filter(member=member, year=year).aggregate(s=Sum("points"))["s"] or Decimal("0")


@dataclass
class Ranked:
    rank: int
    member_id: int
    name: str
    branch: str
    total: Decimal
    hours: Decimal
    entries: int


def _ranked(rows: list[dict[str, Any]]) -> list[Ranked]:
    """Standard competition ranking (1, 1, 3): equal totals share a rank."""
    out: list[Ranked] = []
    for i, row in enumerate(rows):
        rank = out[-1].rank if out and out[-1].total == row["total"] else i + 1
        out.append(
            Ranked(
                rank=rank,
                member_id=row["member"],
                name=row["member__person__name"],
                branch=row["member__branch__name"],
                total=row["total"],
                hours=row["hours"],
                entries=row["entries"],
            )
        )
    return out


def ranking(entries: QuerySet[PointEntry], year: int) -> list[Ranked]:
    """One grouped query: each member's total of the year, highest first, ties by name."""
    rows = (
        entries.filter(year=year)
        .values("member", "member__person__name", "member__branch__name")
        .annotate(total=Sum("points"), hours=Sum("hours"), entries=Count("pk"))
        .order_by("-total", "member__person__name", "member")
    )
    return _ranked(list(rows))


def branch_ranking(branch: Organization, year: int) -> list[Ranked]:
    return ranking(PointEntry.objects.filter(member__branch=branch), year)


def community_ranking(community: Organization, year: int) -> list[Ranked]:
    return ranking(PointEntry.objects.filter(community=community), year)


def entries_for_user(user: User) -> QuerySet[PointEntry]:
    """Entries a staff user may see: of members of branches in scope, or served in communities in scope."""
    paths = allowed_paths(user, access.roles("points.view"))
    if not paths:
        return PointEntry.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(member__branch__path__startswith=path) | Q(community__path__startswith=path)
    return PointEntry.objects.filter(condition)
