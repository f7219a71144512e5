"""Demo data of 双报到, points and 民生微实事 (called by needs/demo.py after the needs loop).

Deterministic: one seeded generator, dates laid out backwards from the day of loading (so "due soon"
and "lapsed" are current), bulk inserts in one transaction and one ledger event. Loads once: skipped
when its ledger event exists. The in-service members orgs.demo gave a residence community report
there: most are valid, some due within 30 days, some lapsed, some never reported; a few moved house
(an ended report in the old community). Point entries cover 2025 and 2026; a few dozen micro-projects
stand at every stage. The demo login `sanbao_member` is linked to its registry member and has a
report and points with their reasons.
"""

import logging
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.needs import points
from jiceng.needs.models import MemberAccount
from jiceng.needs.models_service import (
    EndReason,
    MicroProject,
    PointEntry,
    PointRule,
    ProjectProgress,
    ProjectStatus,
    ProjectTransition,
    ReportChannel,
    ServiceReport,
    UnitBasis,
    UnitReport,
    add_months,
)
from jiceng.needs.reporting import REPORTING_STAGES, remind_reports
from jiceng.orgs.models import Member, Organization, OrgKind, Pairing, Stage

SEED = 440703_74
ACTION = "demo.service"
IMPORT_USERNAME = "ledger_import"
MAX_MEMBERS = 400
PROJECT_TITLES = (
    "小区楼道照明改造",
    "长者饭堂餐桌椅更新",
    "社区儿童游乐设施维修",
    "老旧小区雨污分流疏通",
    "健身路径器材更换",
    "社区图书角添置图书",
    "独居老人应急呼叫器安装",
    "垃圾分类投放点改造",
    "社区文艺队演出服装",
    "无障碍坡道修建",
    "电动车集中充电棚",
    "社区法律讲座系列",
)
S = ProjectStatus
# Days since the proposal, so that each stage is current today (a notice still running, work under way).
AGE = {
    S.PROPOSAL: (1, 20),
    S.COUNCIL_VOTE: (8, 19),
    S.PUBLIC_NOTICE: (21, 23),
    S.IMPLEMENTING: (60, 150),
    S.EVALUATED: (200, 600),
    S.REJECTED: (30, 200),
}
STAGES = (S.PROPOSAL, S.COUNCIL_VOTE, S.PUBLIC_NOTICE, S.IMPLEMENTING, S.EVALUATED, S.EVALUATED, S.EVALUATED, S.REJECTED)


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _clerk() -> User:
    user, _ = User.objects.get_or_create(
        username=IMPORT_USERNAME, defaults={"display_name": "台账导入", "password": make_password(None), "is_active": False}
    )
    return user


def _link_sanbao() -> Member | None:
    user = User.objects.filter(username="sanbao_member").first()
    if user is None:
        return None
    account = MemberAccount.objects.filter(user=user).select_related("member").first()
    if account is not None:
        return account.member
    branch = Organization.objects.filter(name="三堡村党支部").first()
    member = Member.objects.filter(branch=branch, stage=Stage.FULL, person__posts__isnull=True).order_by("person__pk").first()
    if member is None:
        return None
    MemberAccount.objects.create(user=user, member=member)
    return member


class Loader:
    def __init__(self, today: date, clerk: User) -> None:
        self.rng = random.Random(SEED)
        self.today = today
        self.clerk = clerk
        self.rules = {r.code: r for r in PointRule.objects.filter(district__isnull=True)}
        self.reports: list[ServiceReport] = []
        self.entries: list[PointEntry] = []

    def entry(self, member: Member, code: str, on: date, community: Organization, hours: Decimal = Decimal("0"), label: str = "") -> None:
        rule = self.rules[code]
        amount = rule.points * hours if rule.per == "hour" else rule.points
        self.entries.append(
            PointEntry(
                member=member,
                rule=rule,
                community=community,
                points=amount,
                hours=hours,
                on=on,
                year=on.year,
                source_label=label,
                note="演示数据（台账导入）",
                auto_confirmed=self.rng.random() < 0.08,
            )
        )

    def report(self, member: Member, community: Organization, on: date, ended: date | None = None, reason: str = "") -> ServiceReport:
        report = ServiceReport(
            member=member,
            community=community,
            unit=member.work_unit,
            reported_on=on,
            expires_on=add_months(on, 6),
            channel=ReportChannel.STAFF,
            ended_on=ended,
            end_reason=reason,
            recorded_by=self.clerk,
        )
        self.reports.append(report)
        self.entry(member, points.REPORT, on, community, label=f"向{community.name}报到")
        return report

    def member(self, member: Member, community: Organization, others: list[Organization]) -> None:
        r = self.rng.random()
        if r < 0.1:
            return  # never reported: the evaluation cap applies
        if r < 0.6:
            last = self.today - timedelta(days=self.rng.randint(5, 140))  # valid
        elif r < 0.78:
            last = add_months(self.today, -6) + timedelta(days=self.rng.randint(1, 28))  # lapses within 30 days
        else:
            last = add_months(self.today, -6) - timedelta(days=self.rng.randint(3, 120))  # lapsed
        first = add_months(last, -6)
        moved = self.rng.random() < 0.08 and others
        if moved:
            old = self.rng.choice(others)
            self.report(member, old, first, ended=last, reason=EndReason.MOVED)
        elif self.rng.random() < 0.7:
            self.report(member, community, first, ended=last, reason=EndReason.RENEWED)
        self.report(member, community, last)
        start = max(first, date(2025, 1, 1))
        days = (self.today - start).days
        for _ in range(self.rng.choice((0, 1, 2, 3, 4, 6, 8))):
            on = start + timedelta(days=self.rng.randint(0, max(days, 1)))
            self.entry(member, points.SERVICE_HOURS, on, community, Decimal(self.rng.choice((1, 1.5, 2, 3, 4))), "社区志愿服务")
        if self.rng.random() < 0.25:
            on = start + timedelta(days=self.rng.randint(0, max(days, 1)))
            self.entry(member, points.WISH_DONE, on, community, label="完成微心愿")


def _projects(rng: random.Random, today: date, clerk: User, communities: list[Organization]) -> int:
    made = 0
    for community in communities:
        for i, status in enumerate(rng.sample(STAGES, 4)):
            proposed = today - timedelta(days=rng.randint(*AGE[status]))
            project = MicroProject(
                community=community,
                title=PROJECT_TITLES[(community.pk + i) % len(PROJECT_TITLES)],
                description="居民议事会收集的意见汇总后提出。",
                budget=Decimal(rng.choice((8000, 15000, 30000, 50000, 80000, 120000))),
                proposer=rng.choice(("居民代表", "社区党委", "楼长", "业委会")),
                status=status,
                proposed_on=proposed,
                created_by=clerk,
            )
            moves: list[tuple[str, str, date]] = []
            day = proposed
            if status != S.PROPOSAL:
                moves.append((S.PROPOSAL, S.COUNCIL_VOTE, day + timedelta(days=7)))
            if status not in (S.PROPOSAL, S.COUNCIL_VOTE):
                day = proposed + timedelta(days=20)
                members = rng.randint(15, 25)
                present = rng.randint(members // 2 + 1, members) if status != S.REJECTED else members // 2
                votes_for = rng.randint(present // 2 + 1, present)
                passed = status != S.REJECTED
                project.council_held_on, project.council_members, project.council_present = day, members, present
                project.votes_for, project.votes_against = votes_for, present - votes_for
                project.council_passed = passed
                project.council_basis = "到会超过议事会成员的 1/2，赞成超过到会人数的 1/2（地方做法，可配置）"
                if passed:
                    project.notice_from, project.notice_days = day + timedelta(days=1), 5
                moves.append((S.COUNCIL_VOTE, S.PUBLIC_NOTICE if passed else S.REJECTED, day))
            if status in (S.IMPLEMENTING, S.EVALUATED):
                project.started_on = day + timedelta(days=10)
                moves.append((S.PUBLIC_NOTICE, S.IMPLEMENTING, project.started_on))
            if status == S.EVALUATED:
                project.evaluated_on = project.started_on + timedelta(days=rng.randint(60, 150)) if project.started_on else None
                project.evaluation_score = rng.randint(82, 98)
                project.evaluation_text = "按期完成，居民满意度调查良好。"
                moves.append((S.IMPLEMENTING, S.EVALUATED, project.evaluated_on or today))
            project.save()
            ProjectTransition.objects.bulk_create(
                ProjectTransition(project=project, old=o, new=n, actor=clerk, reason="演示数据") for o, n, _ in moves
            )
            if project.started_on:
                end = project.evaluated_on or today
                month = project.started_on.replace(day=1)
                percent = 0
                progress = []
                while month <= end:
                    percent = min(100, percent + rng.randint(20, 45)) if status == S.EVALUATED else min(90, percent + rng.randint(10, 30))
                    progress.append(
                        ProjectProgress(
                            project=project,
                            month=month,
                            percent=percent,
                            spent=project.budget * percent / 100,
                            text="按计划推进。",
                            recorded_by=clerk,
                        )
                    )
                    month = add_months(month, 1)
                if status == S.EVALUATED and progress:
                    progress[-1].percent = 100
                ProjectProgress.objects.bulk_create(progress)
            made += 1
    return made


def load(stdout: IO[str] | Any = None) -> dict[str, int]:
    district = Organization.objects.filter(code="440703").first()
    if district is None:
        return {}
    if Event.objects.filter(action=ACTION).exists():
        _say(stdout, "双报到与积分演示数据已存在，未重复载入。\n")
        return {}
    today = timezone.localdate()
    with transaction.atomic():
        clerk = _clerk()
        loader = Loader(today, clerk)
        communities = list(Organization.objects.filter(path__startswith=district.path, kind=OrgKind.COMMUNITY).order_by("path"))
        in_service = list(
            Member.objects.filter(
                branch__path__startswith=district.path,
                work_unit__isnull=False,
                residence_community__isnull=False,
                stage__in=REPORTING_STAGES,
            )
            .select_related("residence_community", "work_unit")
            .order_by("pk")[:MAX_MEMBERS]
        )
        for member in in_service:
            assert member.residence_community is not None
            others = [c for c in communities[:30] if c.pk != member.residence_community_id]
            loader.member(member, member.residence_community, others)
        sanbao = _link_sanbao()
        village = Organization.objects.filter(name="三堡村", path__startswith=district.path).first()
        if sanbao is not None and village is not None and not any(r.member_id == sanbao.pk for r in loader.reports):
            report = loader.report(sanbao, village, today - timedelta(days=40))
            report.channel = ReportChannel.ONLINE
            for days, hours in ((35, Decimal("2")), (21, Decimal("3")), (9, Decimal("1.5"))):
                loader.entry(sanbao, points.SERVICE_HOURS, today - timedelta(days=days), village, hours, "三堡村环境整治志愿服务")
            loader.entry(sanbao, points.WISH_DONE, today - timedelta(days=15), village, label="为独居老人送米油（微心愿）")
        # Reports first (ended ones before the open one of each member: one open report per member).
        ServiceReport.objects.bulk_create(sorted(loader.reports, key=lambda r: r.ended_on is None), batch_size=500)
        for entry in loader.entries:
            if entry.rule.code == points.REPORT:
                match = next((r for r in loader.reports if r.member_id == entry.member_id and r.reported_on == entry.on), None)
                if match is not None:
                    entry.source_type, entry.source_id = "needs.servicereport", str(match.pk)
        PointEntry.objects.bulk_create(loader.entries, batch_size=1000)
        pairings = Pairing.objects.filter(unit__path__startswith=district.path, end_date__isnull=True).order_by("pk")[:60]
        UnitReport.objects.bulk_create(
            UnitReport(unit=p.unit, community=p.community, basis=UnitBasis.PAIRED, reported_on=p.agreement_date, recorded_by=clerk)
            for p in pairings
        )
        projects = _projects(random.Random(SEED), today, clerk, communities[:10])
        counts = {
            "reports": len(loader.reports),
            "point_entries": len(loader.entries),
            "unit_reports": len(pairings),
            "micro_projects": projects,
        }
        audit.record(actor=None, action=ACTION, org=district, changes=counts)
    notify = logging.getLogger("jiceng.needs.notify")
    level, notify.level = notify.level, logging.ERROR  # the demo's reminders need not flood the console
    try:
        reminders = remind_reports()
    finally:
        notify.setLevel(level)
    _say(
        stdout,
        f"双报到演示：报到 {counts['reports']} 条，积分记录 {counts['point_entries']} 条，单位报到 {counts['unit_reports']} 个，"
        f"民生微实事 {counts['micro_projects']} 个，到期提醒 {len(reminders)} 条。\n",
    )
    return counts
