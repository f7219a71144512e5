"""Temporary mobilization (临时动员): party members sent to grids for a period and a purpose, as in
the 2020 epidemic screening that sent about 1,000 Pengjiang members to grids (issue #5).

A member is in at most one mobilization at a time: a period that overlaps another of the same
member is refused with the other grid and dates named. The check runs after locking the members'
rows, so two mobilizations saved at once cannot both take the same member.

Statistics count distinct members whose mobilization period overlaps the period asked, per grid,
village, town and in total, with one grouped query per level.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.access import can, scope
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.grid import access
from jiceng.grid.models import Grid
from jiceng.grid.models_sweeps import Mobilization, MobilizationAssignment
from jiceng.orgs.models import GRASSROOTS_KINDS, Member, Organization, OrgKind, Stage

TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})
# Applicants and activists are not party members yet; the party sends members (正式 and 预备).
MOBILIZABLE_STAGES = (Stage.FULL, Stage.PROBATIONARY)
MAX_DAYS = 366


def require(actor: User, org: Organization) -> None:
    if not can(actor, access.roles("mobilize"), org):
        raise PermissionDenied("您无权在该组织范围内动员党员。")


# ---- reads ------------------------------------------------------------------------------------


def mobilizations_for_user(user: User) -> QuerySet[Mobilization]:
    """Mobilizations started in the user's part of the tree, or sending members to its grids."""
    roles = access.roles("grid.view")
    own = scope(Mobilization.objects.all(), user, roles, "organization__path").values("pk")
    to_grids = scope(MobilizationAssignment.objects.all(), user, roles, "grid__village__path").values("mobilization_id")
    return Mobilization.objects.filter(Q(pk__in=own) | Q(pk__in=to_grids)).select_related("organization")


def get_mobilization_for_user(user: User, pk: int) -> Mobilization:
    found = mobilizations_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def assignments_for_user(user: User, mobilization: Mobilization) -> QuerySet[MobilizationAssignment]:
    qs = mobilization.assignments.select_related("member__person", "member__branch", "grid__village")
    return scope(qs, user, access.roles("grid.view"), "grid__village__path").order_by("grid__code", "member__person__name_initials", "pk")


def members_for_user(user: User, branch: Organization) -> QuerySet[Member]:
    """Party members of a branch (and its groups) the user may mobilize."""
    qs = Member.objects.filter(branch__path__startswith=branch.path, stage__in=MOBILIZABLE_STAGES)
    return scope(qs, user, access.roles("mobilize"), "branch__path").select_related("person").order_by("person__name_initials", "pk")


def for_grid(grid: Grid, today: date | None = None) -> list[MobilizationAssignment]:
    """Members mobilized to a grid now and later (ended ones are left out), for the grid page."""
    today = today or timezone.localdate()
    qs = MobilizationAssignment.objects.filter(grid=grid, mobilization__end_date__gte=today)
    return list(qs.select_related("mobilization", "member__person", "member__branch").order_by("mobilization__start_date", "pk"))


def busy(members: Sequence[Member], start: date, end: date, exclude: Mobilization | None = None) -> dict[int, MobilizationAssignment]:
    """Assignments of these members whose mobilization overlaps [start, end], by member id."""
    qs = MobilizationAssignment.objects.filter(
        member__in=[m.pk for m in members], mobilization__start_date__lte=end, mobilization__end_date__gte=start
    ).select_related("mobilization", "grid", "member__person")
    if exclude is not None:
        qs = qs.exclude(mobilization=exclude)
    return {a.member_id: a for a in qs.order_by("mobilization__start_date")}


def _overlap_error(clashes: Sequence[MobilizationAssignment]) -> ValidationError:
    shown = "；".join(
        f"{a.member.person.name}已于 {a.mobilization.start_date:%Y-%m-%d} 至 {a.mobilization.end_date:%Y-%m-%d} 动员到“{a.grid.name}”"
        for a in clashes[:5]
    )
    more = f"等 {len(clashes)} 人" if len(clashes) > 5 else ""
    return ValidationError({"members": f"动员时间与已有动员重叠：{shown}{more}。同一党员同一时间只能动员到一个网格。"})


# ---- writes -----------------------------------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"end_date": f"临时动员最长 {MAX_DAYS} 天。"})


def _check_assignments(actor: User, organization: Organization, pairs: Sequence[tuple[Member, Grid]]) -> None:
    seen: set[int] = set()
    for member, grid in pairs:
        if not grid.village.path.startswith(organization.path) or not can(actor, access.roles("mobilize"), grid.village):
            raise PermissionDenied(f"网格“{grid.name}”不在您的管辖范围内。")
        if not can(actor, access.roles("mobilize"), member.branch):
            raise PermissionDenied(f"党员{member.person.name}不在您的管辖范围内。")
        if member.stage not in MOBILIZABLE_STAGES:
            raise ValidationError({"members": f"{member.person.name}尚未入党（{member.get_stage_display()}），不能作为党员动员。"})
        if member.pk in seen:
            raise ValidationError({"members": f"{member.person.name}在本次动员中重复出现。"})
        seen.add(member.pk)


def _lock_and_check_overlap(members: Sequence[Member], start: date, end: date, exclude: Mobilization | None = None) -> None:
    # Lock the members' rows first: a second mobilization of the same member waits here and then sees ours.
    list(Member.objects.select_for_update().filter(pk__in=[m.pk for m in members]).order_by("pk").values_list("pk", flat=True))
    clashes = list(busy(members, start, end, exclude).values())
    if clashes:
        raise _overlap_error(clashes)


def mobilization_create(
    *,
    actor: User,
    organization: Organization,
    purpose: str,
    start_date: date,
    end_date: date,
    assignments: Sequence[tuple[Member, Grid]],
) -> Mobilization:
    """Send members to grids for a period: either all are assigned, or (an overlap, a member or grid
    out of scope) none is."""
    require(actor, organization)
    purpose = purpose.strip()
    if not purpose or len(purpose) > 200:
        raise ValidationError({"purpose": "请填写动员任务（最多 200 字）。"})
    _check_period(start_date, end_date)
    if not assignments:
        raise ValidationError({"members": "请至少选择一名党员。"})
    _check_assignments(actor, organization, assignments)
    with transaction.atomic():
        _lock_and_check_overlap([m for m, _g in assignments], start_date, end_date)
        mobilization = Mobilization.objects.create(
            purpose=purpose, organization=organization, start_date=start_date, end_date=end_date, created_by=actor
        )
        MobilizationAssignment.objects.bulk_create(
            MobilizationAssignment(mobilization=mobilization, member=m, grid=g) for m, g in assignments
        )
        grids: dict[str, int] = {}
        for _m, g in assignments:
            grids[g.code] = grids.get(g.code, 0) + 1
        audit.record(
            actor=actor,
            action="mobilization.create",
            obj=mobilization,
            org=organization,
            changes={"purpose": purpose, "start_date": start_date, "end_date": end_date, "members": len(assignments), "grids": grids},
        )
    return mobilization


# ---- statistics -------------------------------------------------------------------------------


@dataclass
class Tally:
    org: Organization | Grid
    members: int
    level: str


@dataclass
class MobilizedReport:
    start: date
    end: date
    total: int
    towns: list[Tally]
    villages: list[Tally]
    grids: list[Tally]


def mobilized_report(user: User, start: date, end: date) -> MobilizedReport:
    """Distinct members mobilized at some time in [start, end] to grids the user can see, per grid,
    village, town and in total: five grouped queries and one for the names, whatever the data size.
    A member sent to two grids of a village at different times counts once for the village."""
    if end < start:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    qs = scope(
        MobilizationAssignment.objects.filter(mobilization__start_date__lte=end, mobilization__end_date__gte=start),
        user,
        access.roles("grid.view"),
        "grid__village__path",
    )
    distinct = Count("member", distinct=True)
    per_grid = {r["grid_id"]: r["n"] for r in qs.values("grid_id").annotate(n=distinct).order_by()}
    per_village = {r["grid__village_id"]: r["n"] for r in qs.values("grid__village_id").annotate(n=distinct).order_by()}
    # the village's parent is its town, whatever sits above the district (a city, a province)
    town_path = Substr("grid__village__path", 1, Length("grid__village__path") - Organization.steplen)
    per_town = {r["town"]: r["n"] for r in qs.annotate(town=town_path).values("town").annotate(n=distinct).order_by()}
    total = qs.aggregate(n=distinct)["n"] or 0
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=per_grid).select_related("village")}
    orgs = Organization.objects.filter(pk__in=per_village) | Organization.objects.filter(path__in=per_town, kind__in=TOWN_KINDS)
    by_pk = {o.pk: o for o in orgs}
    by_path = {o.path: o for o in by_pk.values()}
    return MobilizedReport(
        start=start,
        end=end,
        total=total,
        towns=[Tally(by_path[p], n, "town") for p, n in sorted(per_town.items()) if p in by_path],
        villages=sorted(
            (Tally(by_pk[pk], n, "village") for pk, n in per_village.items() if by_pk[pk].kind in GRASSROOTS_KINDS),
            key=lambda c: c.org.path,  # type: ignore[union-attr]
        ),
        grids=sorted((Tally(grids[pk], n, "grid") for pk, n in per_grid.items()), key=lambda c: c.org.code),
    )
