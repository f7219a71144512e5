"""Demo sweeps and mobilization: household rosters for the grids of 三堡村 and 松岭村, a running
campaign of 棠下镇 with partial progress, a finished one of 三堡村, and about 50 party members of
棠下镇 mobilized to those grids (the 2020 epidemic screening sent about 1,000 members district-wide;
the demo scales it down).

Deterministic (a seeded random generator, dates relative to `today`) and fast (bulk inserts).
Loaded once: later runs see the ledger event and only report. If the grid demo has not made grids
for a village, three are made here with codes village code + 001..003, the same scheme.
"""

import random
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.grid.models import Grid, GridMember, MemberRole
from jiceng.grid.models_sweeps import (
    FINAL_OUTCOMES,
    FindingState,
    Household,
    Mobilization,
    MobilizationAssignment,
    QuestionKind,
    SweepCampaign,
    SweepQuestion,
    SweepVisit,
    VisitOutcome,
)
from jiceng.orgs.demo import DISTRICT_CODE
from jiceng.orgs.models import Member, Organization, Person, Stage

ACTION = "demo.sweeps"
SEED = 20200201
VILLAGES = (("三堡村", 3), ("松岭村", 2))  # village, grids used
HOUSEHOLDS_PER_GRID = 40
MOBILIZED = 50
SURNAMES = "陈李黄梁张林吴何谭区冯余关钟"
GIVEN = ("志强", "丽华", "国荣", "美玲", "建华", "淑仪", "家明", "秀英", "伟文", "少芬", "锦添", "润娣")
LANES = ("东华里", "西安里", "新村", "大巷", "南便街", "北约", "上围", "下围")
FINDINGS = ("楼道堆放杂物，存在消防隐患", "独居老人行动不便，需要上门帮扶", "电动车在室内充电", "屋顶漏水，雨季有坍塌风险", "邻里排水纠纷")
QUESTIONS = (
    ("家中有无独居、空巢老人", QuestionKind.YES_NO, ()),
    ("有无电动车室内充电", QuestionKind.YES_NO, ()),
    ("房屋用途", QuestionKind.CHOICE, ("自住", "出租", "空置", "经营")),
    ("其他需要反映的情况", QuestionKind.TEXT, ()),
)


def _grids(village: Organization, wanted: int) -> list[Grid]:
    found = list(Grid.objects.filter(village=village, is_active=True).order_by("code")[:wanted])
    for i in range(len(found), wanted):
        grid, _ = Grid.objects.get_or_create(
            code=f"{village.code}{i + 1:03d}",
            defaults={"village": village, "name": f"{village.name}第{'一二三'[i]}网格", "households": HOUSEHOLDS_PER_GRID},
        )
        found.append(grid)
    return found


def _roster(rng: random.Random, grids: list[Grid]) -> dict[int, list[Household]]:
    made: list[Household] = []
    for grid in grids:
        if grid.household_roster.exists():
            continue
        lanes = rng.sample(LANES, 2)
        made += [
            Household(
                grid=grid,
                address=f"{grid.village.name}{lanes[i % 2]}{i // 2 + 1}号",
                head_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                members_count=rng.randint(1, 6),
            )
            for i in range(HOUSEHOLDS_PER_GRID)
        ]
    Household.objects.bulk_create(made)
    return {g.pk: list(Household.objects.filter(grid=g).order_by("address", "pk")) for g in grids}


def _worker(village: Organization, grid: Grid, today: date) -> User | None:
    """The demo grid worker of 三堡村 serves its first grid (the login sanbao_grid)."""
    user = User.objects.filter(username="sanbao_grid").first()
    if user is None:
        return None
    if not GridMember.objects.filter(user=user).exists():
        person = Person.objects.filter(organization=village).order_by("pk").first()
        if person is not None:
            GridMember.objects.create(
                grid=grid, person=person, user=user, role=MemberRole.FULL_TIME, start_date=today - timedelta(days=400)
            )
    return user


def _campaign(org: Organization, title: str, start: date, end: date, rounds: int, grids: list[Grid], by: User) -> SweepCampaign:
    campaign = SweepCampaign.objects.create(title=title, organization=org, start_date=start, end_date=end, rounds=rounds, created_by=by)
    campaign.grids.set(grids)
    SweepQuestion.objects.bulk_create(
        SweepQuestion(campaign=campaign, position=i, text=text, kind=kind, options=list(options))
        for i, (text, kind, options) in enumerate(QUESTIONS)
    )
    return campaign


def _visits(
    rng: random.Random,
    campaign: SweepCampaign,
    households: list[Household],
    round: int,
    share: float,
    by: User,
    day: date,
    revisited: bool = False,
) -> None:
    """Visits of a share of the households; `revisited`: most "not at home" were found on a later call."""
    questions = list(campaign.questions.all())
    outcomes = (
        [VisitOutcome.VISITED] * 14 + [VisitOutcome.NOT_HOME] * 3 + [VisitOutcome.REFUSED, VisitOutcome.REFERRED, VisitOutcome.CLOSED]
    )
    at = timezone.make_aware(datetime(day.year, day.month, day.day, 10))
    visits = []
    for h in households:
        if rng.random() >= share:
            continue
        outcome = rng.choice(outcomes)
        if revisited and outcome == VisitOutcome.NOT_HOME and rng.random() < 0.8:
            outcome = VisitOutcome.VISITED
        answers: dict[str, str] = {}
        if outcome in (VisitOutcome.VISITED, VisitOutcome.REFERRED):
            for q in questions:
                if q.kind == QuestionKind.YES_NO:
                    answers[str(q.pk)] = "yes" if rng.random() < 0.2 else "no"
                elif q.kind == QuestionKind.CHOICE:
                    answers[str(q.pk)] = rng.choice(q.options)
        finding = (
            rng.choice(FINDINGS) if outcome == VisitOutcome.REFERRED or (outcome == VisitOutcome.VISITED and rng.random() < 0.06) else ""
        )
        visits.append(
            SweepVisit(
                campaign=campaign,
                household=h,
                round=round,
                outcome=outcome,
                answers=answers,
                finding=finding,
                finding_state=FindingState.PENDING if finding else FindingState.NONE,
                visited_by=by,
                visited_at=at + timedelta(minutes=rng.randint(0, 60 * 24 * 5)),
            )
        )
    SweepVisit.objects.bulk_create(visits)


def _mobilize(rng: random.Random, town: Organization, grids: list[Grid], by: User, today: date) -> None:
    members = list(
        Member.objects.filter(branch__path__startswith=town.path, stage__in=(Stage.FULL, Stage.PROBATIONARY))
        .exclude(mobilizations__mobilization__end_date__gte=today - timedelta(days=3))
        .order_by("pk")[: MOBILIZED * 3]
    )
    chosen = sorted(rng.sample(members, min(MOBILIZED, len(members))), key=lambda m: m.pk)
    if not chosen:
        return
    m = Mobilization.objects.create(
        purpose="疫情防控入户排查（临时动员）",
        organization=town,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=11),
        created_by=by,
    )
    MobilizationAssignment.objects.bulk_create(
        MobilizationAssignment(mobilization=m, member=member, grid=grids[i % len(grids)]) for i, member in enumerate(chosen)
    )


def demo_counts(district: Organization) -> dict[str, int]:
    in_district = {"grid__village__path__startswith": district.path}
    return {
        "households": Household.objects.filter(**in_district).count(),
        "campaigns": SweepCampaign.objects.filter(organization__path__startswith=district.path).count(),
        "visits": SweepVisit.objects.filter(household__grid__village__path__startswith=district.path).count(),
        "covered": SweepVisit.objects.filter(household__grid__village__path__startswith=district.path, outcome__in=FINAL_OUTCOMES).count(),
        "mobilized": MobilizationAssignment.objects.filter(**in_district).count(),
    }


LABELS = {"households": "住户名册（户）", "campaigns": "大排查", "visits": "走访记录", "covered": "其中已完成", "mobilized": "临时动员党员"}


def load(district: Organization | None = None, *, today: date | None = None, stdout: IO[str] | Any = None) -> dict[str, int]:
    district = district or Organization.objects.get(code=DISTRICT_CODE)
    created = not Event.objects.filter(action=ACTION, org_path=district.path).exists()
    if created:
        with transaction.atomic():
            _build(district, today or timezone.localdate())
            counts = demo_counts(district)
            audit.record(actor=None, action=ACTION, org=district, changes=counts)
    else:
        counts = demo_counts(district)
    if stdout is not None:
        stdout.write("\n已载入大排查与临时动员演示数据：\n" if created else "\n大排查与临时动员演示数据已存在，未重复载入：\n")
        for key, label in LABELS.items():
            stdout.write(f"  {label}：{counts[key]:,}\n")
    return counts


def _build(district: Organization, today: date) -> None:
    rng = random.Random(SEED)
    staff = User.objects.filter(username="tangxia_staff").first() or User.objects.filter(is_active=True).order_by("pk").first()
    if staff is None:
        return
    villages = {o.name: o for o in Organization.objects.filter(path__startswith=district.path, name__in=[n for n, _ in VILLAGES])}
    if len(villages) < len(VILLAGES):
        return
    grids = {name: _grids(villages[name], n) for name, n in VILLAGES}
    all_grids = [g for gs in grids.values() for g in gs]
    roster = _roster(rng, all_grids)
    sanbao = villages["三堡村"]
    town = Organization.objects.get(path=sanbao.path[: -Organization.steplen])
    worker = _worker(sanbao, grids["三堡村"][0], today) or staff
    sanbao_staff = User.objects.filter(username="sanbao_sec").first() or staff

    finished = _campaign(
        sanbao, "春节前安全隐患入户排查", today - timedelta(days=300), today - timedelta(days=280), 1, grids["三堡村"], sanbao_staff
    )
    for g in grids["三堡村"]:
        _visits(rng, finished, roster[g.pk], 1, 0.98, worker, finished.start_date, revisited=True)
    running = _campaign(town, "“百千万工程”入户大排查", today - timedelta(days=7), today + timedelta(days=21), 2, all_grids, staff)
    for i, g in enumerate(all_grids):
        _visits(rng, running, roster[g.pk], 1, (0.85, 0.6, 0.4, 0.7, 0.3)[i % 5], worker, running.start_date)
    _mobilize(rng, town, all_grids, staff, today)
