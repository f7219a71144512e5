"""Door-to-door sweeps (大排查): campaigns, the household roster, visits, live progress and export.

Writes are keyword-only functions that check the role and the scope (PermissionDenied), validate
with Chinese messages (ValidationError) and write their audit event in the same transaction. Reads
go through the scoping function of jiceng.accounts.access; single objects come from the
*_for_user helpers, which give the same 404 for "not yours" and "does not exist".

Coverage of a round = households of the campaign's grids with a visit of a final outcome in that
round (FINAL_OUTCOMES: everything but "not at home") / households of those grids. It is counted by
the database on every request, with a fixed number of grouped queries whatever the data size.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.access import can, get_for_user, scope
from jiceng.accounts.models import Role, User
from jiceng.audit import services as audit
from jiceng.grid import access, geometry, services
from jiceng.grid.models import CaseCategory, Grid
from jiceng.grid.models_sweeps import (
    FINAL_OUTCOMES,
    FindingState,
    Household,
    QuestionKind,
    SweepCampaign,
    SweepQuestion,
    SweepVisit,
    VisitOutcome,
)
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind

MAX_ROUNDS = 12
YES, NO = "yes", "no"
TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})


def require(actor: User, action: str, org: Organization) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权对该村（社区）进行此操作。")


# ---- reads in scope ---------------------------------------------------------------------------


def grids_for_user(user: User, action: str = "grid.view", today: date | None = None) -> QuerySet[Grid]:
    """Active grids where the user may do the action. Staff see their villages' grids; a grid worker
    (granted on the village) sees only the grids they currently serve as a GridMember."""
    today = today or timezone.localdate()
    roles = access.roles(action)
    grids = Grid.objects.filter(is_active=True)
    staff = scope(grids, user, roles - {Role.GRID_WORKER}, "village__path").values("pk")
    condition = Q(pk__in=staff)
    if Role.GRID_WORKER in roles:
        serving = Q(members__user=user, members__start_date__lte=today) & (
            Q(members__end_date__isnull=True) | Q(members__end_date__gte=today)
        )
        condition |= Q(pk__in=scope(grids, user, {Role.GRID_WORKER}, "village__path").filter(serving).values("pk"))
    return grids.filter(condition).select_related("village")


def may_on_grid(user: User, action: str, grid: Grid) -> bool:
    return grids_for_user(user, action).filter(pk=grid.pk).exists()


def require_grid(actor: User, action: str, grid: Grid) -> None:
    if not may_on_grid(actor, action, grid):
        raise PermissionDenied("您无权对该网格进行此操作。")


def campaigns_for_user(user: User) -> QuerySet[SweepCampaign]:
    """Campaigns with at least one grid the user can see: a village sees a town campaign over its grids."""
    visible = grids_for_user(user).values("pk")
    return SweepCampaign.objects.filter(grids__in=visible).distinct().select_related("organization")


def get_campaign_for_user(user: User, pk: int) -> SweepCampaign:
    campaign = campaigns_for_user(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def get_grid_for_user(user: User, pk: int, action: str = "grid.view") -> Grid:
    grid = grids_for_user(user, action).filter(pk=pk).first()
    if grid is None:
        raise Http404
    return grid


def get_household_for_user(user: User, pk: int, action: str = "sweep.visit") -> Household:
    household = Household.objects.select_related("grid__village").filter(pk=pk, grid__in=grids_for_user(user, action).values("pk")).first()
    if household is None:
        raise Http404
    return household


def get_visit_for_user(user: User, pk: int) -> SweepVisit:
    qs = SweepVisit.objects.select_related("household__grid__village", "campaign")
    visit = qs.filter(pk=pk, household__grid__in=grids_for_user(user).values("pk")).first()
    if visit is None:
        raise Http404
    return visit


def get_village_for_user(user: User, pk: int, action: str = "grid.view") -> Organization:
    qs = Organization.objects.filter(kind__in=GRASSROOTS_KINDS)
    return get_for_user(qs, user, access.roles(action), "path", pk=pk)


def campaign_grids_for_user(user: User, campaign: SweepCampaign, action: str = "grid.view") -> QuerySet[Grid]:
    return grids_for_user(user, action).filter(sweeps=campaign).order_by("code")


def owner_for(actor: User, grids: Sequence[Grid], action: str = "sweep.run") -> Organization:
    """The organization a new campaign (or mobilization) belongs to: the lowest village, town or
    district above all its grids where the actor may do the action."""
    if not grids:
        raise ValidationError({"grids": "请至少选择一个网格。"})
    paths = [g.village.path for g in grids]
    common = paths[0]
    for path in paths[1:]:
        while not path.startswith(common):
            common = common[: -Organization.steplen]
    candidates = [common[:i] for i in range(len(common), 0, -Organization.steplen)]
    orgs = {
        o.path: o for o in Organization.objects.filter(path__in=candidates, kind__in=GRASSROOTS_KINDS | TOWN_KINDS | {OrgKind.DISTRICT})
    }
    for path in candidates:
        org = orgs.get(path)
        if org is not None and can(actor, access.roles(action), org):
            return org
    raise PermissionDenied("所选网格不在您的管辖范围内。")


# ---- campaigns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    kind: str = QuestionKind.YES_NO
    options: tuple[str, ...] = ()


def parse_questions(text: str) -> list[QuestionSpec]:
    """The checklist as typed on the form, one question a line:
    `有无独居老人` (是/否), `房屋用途：自住/出租/空置` (单选, options after a colon, split by /),
    `文字：其他情况` (文字)."""
    specs: list[QuestionSpec] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        head, sep, rest = line.replace(":", "：").partition("：")
        if sep and head.strip() == "文字":
            specs.append(QuestionSpec(rest.strip(), QuestionKind.TEXT))
        elif sep:
            options = tuple(o.strip() for o in rest.replace("／", "/").split("/") if o.strip())
            specs.append(QuestionSpec(head.strip(), QuestionKind.CHOICE, options))
        else:
            specs.append(QuestionSpec(line))
    return specs


def _check_questions(questions: Sequence[QuestionSpec]) -> None:
    if len(questions) > 30:
        raise ValidationError({"questions": "排查问题最多 30 个。"})
    for q in questions:
        if not q.text or len(q.text) > 200:
            raise ValidationError({"questions": "每个问题须为 1 至 200 个字。"})
        if q.kind not in QuestionKind.values:
            raise ValidationError({"questions": f"问题“{q.text}”的类型无效。"})
        if q.kind == QuestionKind.CHOICE and len(set(q.options)) < 2:
            raise ValidationError({"questions": f"单选题“{q.text}”须至少有两个不同的选项。"})


def campaign_create(
    *,
    actor: User,
    organization: Organization,
    title: str,
    start_date: date,
    end_date: date,
    rounds: int,
    grids: Sequence[Grid],
    questions: Sequence[QuestionSpec] = (),
) -> SweepCampaign:
    require(actor, "sweep.run", organization)
    if organization.kind not in GRASSROOTS_KINDS | TOWN_KINDS:
        raise ValidationError({"organization": "大排查须由镇（街道）或村（社区）发起。"})
    title = title.strip()
    if not title:
        raise ValidationError({"title": "请填写排查名称。"})
    if end_date < start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValidationError({"rounds": f"轮次须在 1 至 {MAX_ROUNDS} 之间。"})
    if not grids:
        raise ValidationError({"grids": "请至少选择一个网格。"})
    for grid in grids:
        # a grid of another village is refused before anything is written, whatever the form sent
        if not grid.village.path.startswith(organization.path) or not can(actor, access.roles("sweep.run"), grid.village):
            raise PermissionDenied(f"网格“{grid.name}”不在您可发起排查的范围内。")
        if not grid.is_active:
            raise ValidationError({"grids": f"网格“{grid.name}”已撤销。"})
    _check_questions(questions)
    with transaction.atomic():
        campaign = SweepCampaign.objects.create(
            title=title, organization=organization, start_date=start_date, end_date=end_date, rounds=rounds, created_by=actor
        )
        campaign.grids.set(grids)
        SweepQuestion.objects.bulk_create(
            SweepQuestion(campaign=campaign, position=i, text=q.text, kind=q.kind, options=list(q.options)) for i, q in enumerate(questions)
        )
        audit.record(
            actor=actor,
            action="sweep.create",
            obj=campaign,
            org=organization,
            changes={
                "title": title,
                "start_date": start_date,
                "end_date": end_date,
                "rounds": rounds,
                "grids": sorted(g.code for g in grids),
                "questions": [q.text for q in questions],
            },
        )
    return campaign


# ---- the household roster ----------------------------------------------------------------------


def _check_household(address: str, head_name: str, members_count: int) -> dict[str, str]:
    errors = {}
    if not address or len(address) > 200:
        errors["address"] = "请填写门牌地址（最多 200 字）。"
    if not head_name or len(head_name) > 50:
        errors["head_name"] = "请填写户主姓名（最多 50 字）。"
    if not 0 <= members_count <= 99:
        errors["members_count"] = "家庭人数须在 0 至 99 之间。"
    return errors


def household_create(*, actor: User, grid: Grid, address: str, head_name: str, members_count: int = 1) -> Household:
    require_grid(actor, "sweep.run", grid)
    address, head_name = address.strip(), head_name.strip()
    if errors := _check_household(address, head_name, members_count):
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            household = Household.objects.create(grid=grid, address=address, head_name=head_name, members_count=members_count)
            audit.record(
                actor=actor,
                action="household.create",
                obj=household,
                org=grid.village,
                changes={"grid": grid.code, "address": address, "members_count": members_count},
            )
    except IntegrityError:
        raise ValidationError({"address": f"网格“{grid.name}”已登记门牌“{address}”。"}) from None
    return household


# ---- visits -------------------------------------------------------------------------------------


def _clean_answers(questions: Iterable[SweepQuestion], answers: Mapping[str, Any]) -> dict[str, str]:
    by_id = {str(q.pk): q for q in questions}
    clean: dict[str, str] = {}
    for key, raw in answers.items():
        q = by_id.get(str(key))
        if q is None:
            raise ValidationError({"answers": "回答了不属于本次排查的问题。"})
        value = str(raw or "").strip()
        if not value:
            continue
        if q.kind == QuestionKind.YES_NO and value not in (YES, NO):
            raise ValidationError({"answers": f"“{q.text}”只能回答“是”或“否”。"})
        if q.kind == QuestionKind.CHOICE and value not in q.options:
            raise ValidationError({"answers": f"“{q.text}”的回答须为所列选项之一。"})
        if len(value) > 200:
            raise ValidationError({"answers": f"“{q.text}”的回答最多 200 字。"})
        clean[str(q.pk)] = value
    return clean


def visit_record(
    *,
    actor: User,
    campaign: SweepCampaign,
    household: Household,
    round: int,
    outcome: str,
    answers: Mapping[str, Any] | None = None,
    note: str = "",
    finding: str = "",
    today: date | None = None,
) -> tuple[SweepVisit, bool]:
    """Record the visit of a household in a round; a second submit for the same round updates the
    first. Returns (visit, created)."""
    require_grid(actor, "sweep.visit", household.grid)
    today = today or timezone.localdate()
    if not campaign.grids.filter(pk=household.grid_id).exists():
        raise ValidationError("该住户所在网格不在本次排查范围内。")
    if campaign.status_on(today) == "planned":
        raise ValidationError(f"本次排查自 {campaign.start_date:%Y-%m-%d} 开始，尚不能登记走访。")
    if campaign.status_on(today) == "finished":
        raise ValidationError(f"本次排查已于 {campaign.end_date:%Y-%m-%d} 结束，不能再登记走访。")
    if not 1 <= round <= campaign.rounds:
        raise ValidationError({"round": f"本次排查共 {campaign.rounds} 轮。"})
    if outcome not in VisitOutcome.values:
        raise ValidationError({"outcome": "请选择走访结果。"})
    note, finding = note.strip(), finding.strip()
    if len(note) > 300 or len(finding) > 500:
        raise ValidationError({"finding": "备注最多 300 字，发现问题最多 500 字。"})
    if outcome == VisitOutcome.REFERRED and not finding:
        raise ValidationError({"finding": "转办须写明发现的问题。"})
    clean = _clean_answers(campaign.questions.all(), answers or {}) if outcome in (VisitOutcome.VISITED, VisitOutcome.REFERRED) else {}
    values = {"outcome": outcome, "answers": clean, "note": note, "finding": finding, "visited_by": actor, "visited_at": timezone.now()}
    key = {"campaign": campaign, "household": household, "round": round}
    with transaction.atomic():
        visit = SweepVisit.objects.select_for_update().filter(**key).first()
        created = visit is None
        if visit is None:
            try:
                # two submits racing: the unique constraint lets one insert win; the other updates it
                with transaction.atomic():
                    visit = SweepVisit.objects.create(**key, **values, finding_state=FindingState.PENDING if finding else FindingState.NONE)
            except IntegrityError:
                visit = SweepVisit.objects.select_for_update().get(**key)
                created = False
        if not created:
            before = audit.snapshot(visit, ["outcome", "answers", "note", "finding"])
            for name, value in values.items():
                setattr(visit, name, value)
            if visit.finding_state != FindingState.REPORTED:
                visit.finding_state = FindingState.PENDING if finding else FindingState.NONE
            visit.save(update_fields=[*values, "finding_state", "updated_at"])
            changes: dict[str, Any] = audit.diff(before, audit.snapshot(visit, ["outcome", "answers", "note", "finding"]))
        else:
            changes = {"outcome": outcome, "answers": clean, "finding": finding}
        audit.record(
            actor=actor,
            action="sweep.visit" if created else "sweep.visit_update",
            obj=visit,
            org=household.grid.village,
            changes={"campaign": campaign.pk, "household": household.address, "round": round, **changes},
        )
    return visit, created


def finding_open_case(*, actor: User, visit: SweepVisit, category: CaseCategory) -> SweepVisit:
    """Open a case from a visit's finding in one step, through the cases' own report service. The
    case is placed at a point inside the household's grid, so it lands in that grid."""
    grid = visit.household.grid
    require_grid(actor, "case.report", grid)
    if not grid.boundary:
        raise ValidationError(f"网格“{grid.name}”尚未绘制边界，无法定位事件；该问题仍为“待转事件”。")
    point = geometry.parse_boundary(grid.boundary).representative_point()
    with transaction.atomic():
        locked = SweepVisit.objects.select_for_update().select_related("household__grid__village", "campaign").get(pk=visit.pk)
        if locked.finding_state != FindingState.PENDING or not locked.finding:
            raise ValidationError("该走访没有待转事件的问题。")
        household = locked.household
        case = services.case_report(
            actor=actor,
            category=category,
            description=f"【{locked.campaign.title}·第{locked.round}轮】{household.head_name}户：{locked.finding}",
            address=household.address,
            lng=point.x,
            lat=point.y,
        )
        locked.finding_state, locked.case_id = FindingState.REPORTED, case.pk
        locked.save(update_fields=["finding_state", "case_id", "updated_at"])
        audit.record(actor=actor, action="sweep.finding_case", obj=locked, org=grid.village, changes={"case": case.code})
    return locked


# ---- progress -----------------------------------------------------------------------------------


@dataclass
class Coverage:
    households: int = 0
    covered: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    findings: int = 0

    def __add__(self, other: "Coverage") -> "Coverage":
        outcomes = defaultdict(int, self.by_outcome)
        for k, v in other.by_outcome.items():
            outcomes[k] += v
        return Coverage(self.households + other.households, self.covered + other.covered, dict(outcomes), self.findings + other.findings)

    @property
    def share(self) -> Decimal | None:
        if self.households == 0:
            return None
        return (Decimal(100 * self.covered) / self.households).quantize(Decimal("0.1"))

    @property
    def counts(self) -> list[int]:
        """Visits per outcome, in the order of VisitOutcome."""
        return [self.by_outcome.get(value, 0) for value in VisitOutcome.values]

    @property
    def not_home(self) -> int:
        return self.by_outcome.get(VisitOutcome.NOT_HOME, 0)

    @property
    def remaining(self) -> int:
        return self.households - self.covered


@dataclass
class ProgressRow:
    org: Organization | Grid
    coverage: Coverage
    level: str


@dataclass
class Progress:
    round: int
    grids: list[ProgressRow]
    villages: list[ProgressRow]
    towns: list[ProgressRow]
    total: Coverage


def progress(user: User, campaign: SweepCampaign, round: int) -> Progress:
    """Coverage of a round per grid, village, town and in total, over the campaign's grids the user
    can see: four queries (grids, households, visits, towns) whatever the number of households."""
    grids = list(campaign_grids_for_user(user, campaign))
    ids = [g.pk for g in grids]
    households = dict(Household.objects.filter(grid_id__in=ids).values_list("grid_id").annotate(n=Count("pk")).order_by())
    per_grid: dict[int, Coverage] = {g.pk: Coverage(households=households.get(g.pk, 0)) for g in grids}
    visits = (
        SweepVisit.objects.filter(campaign=campaign, round=round, household__grid_id__in=ids)
        .values("household__grid_id", "outcome")
        .annotate(n=Count("pk"), findings=Count("pk", filter=~Q(finding="")))
        .order_by()
    )
    for row in visits:
        c = per_grid[row["household__grid_id"]]
        c.by_outcome[row["outcome"]] = row["n"]
        c.findings += row["findings"]
        if row["outcome"] in FINAL_OUTCOMES:
            c.covered += row["n"]
    village_rows: dict[int, ProgressRow] = {}
    for g in grids:
        vrow = village_rows.setdefault(g.village_id, ProgressRow(g.village, Coverage(), "village"))
        vrow.coverage = vrow.coverage + per_grid[g.pk]
    town_paths = {r.org.path[: -Organization.steplen] for r in village_rows.values()}  # type: ignore[union-attr]
    towns = list(Organization.objects.filter(path__in=town_paths, kind__in=TOWN_KINDS).order_by("path")) if len(village_rows) > 1 else []
    town_rows = [
        ProgressRow(t, sum((r.coverage for r in village_rows.values() if r.org.path.startswith(t.path)), Coverage()), "town")  # type: ignore[union-attr]
        for t in towns
    ]
    return Progress(
        round=round,
        grids=[ProgressRow(g, per_grid[g.pk], "grid") for g in grids],
        villages=sorted(village_rows.values(), key=lambda r: r.org.path),  # type: ignore[union-attr]
        towns=town_rows,
        total=sum(per_grid.values(), Coverage()),
    )


def grid_round_households(campaign: SweepCampaign, grid: Grid, round: int) -> list[tuple[Household, SweepVisit | None]]:
    """The grid's households with their visit of the round (or None): two queries."""
    visits = {v.household_id: v for v in SweepVisit.objects.filter(campaign=campaign, round=round, household__grid=grid)}
    return [(h, visits.get(h.pk)) for h in Household.objects.filter(grid=grid).order_by("address", "pk")]
