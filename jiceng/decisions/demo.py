"""Village decisions for the demo district (`manage.py load_demo`, after the organizations).

Three years of 四议两公开 records in every village and community: a matter catalogue approved and
filed in each, and decisions at every stage, with rosters snapshotted from the registry, verdicts
computed by the rules engine, notices hashed like `services.notice_publish` does and their publish
events in the ledger, so the public verification page can check them. The figures come out of the
kind Pengjiang reports (302 uses, 519 matters, 1.823 billion yuan in 63 villages, issue #3).

Everything is drawn from one seeded generator and saved with bulk inserts in one transaction. The
dates are laid out backwards from the day of loading (the "current" cases must be current), so a
load on the same day gives the same records. 三堡村 gets a hand-picked case at every stage.
"""

import bisect
import math
import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.decisions import roster, services
from jiceng.decisions.models import (
    Classification,
    Decision,
    DecisionPolicy,
    Level,
    MatterCatalogue,
    MatterCategory,
    MatterGroup,
    Meeting,
    Notice,
    NoticeKind,
    Objection,
    Progress,
    Status,
)
from jiceng.decisions.workflow import GENERAL_STEPS, GROUP_STEPS, MERGED_STEP, VILLAGE_STEPS, Step
from jiceng.orgs.demo import DISTRICT_CODE
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind, Post
from jiceng.orgs.rules import yijiantiao
from jiceng.rules.engine import Counts, Verdict, evaluate
from jiceng.rules.models import Body, RuleSet

SEED = 440703_24
ACTION = "demo.decisions"
IMPORT_USERNAME = "ledger_import"  # records without a demo login of their own were "entered from the paper ledger"
S = Status
G = MatterGroup
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as services._new_code: no 0/O, 1/I/L


class Output(Protocol):
    def write(self, text: str, /) -> object: ...


# ---- the matter catalogue ------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    key: str
    name: str
    group: str
    threshold: int | None  # yuan, 以上
    town_review: bool
    basis: str
    amounts: tuple[int, int] | None  # range of a procedure matter's amount, yuan (log-uniform)
    titles: tuple[str, ...]
    weight: int  # how often the matter comes up
    villages_only: bool = False
    group_level: bool = False  # may be decided at villager-group level (村组联议五步法)


ART24 = "《村民委员会组织法》第二十四条"
# fmt: off
CATEGORIES = (
    CategorySpec("land", "集体土地发包与租赁", G.ART24, None, True, f"{ART24}第一款第（四）项、第（八）项", (800_000, 40_000_000),
                 ("{parcel}{mu}亩农用地公开发包", "{parcel}{mu}亩鱼塘承包经营权公开招租", "{parcel}集体建设用地{mu}亩出租"), 14, group_level=True),
    CategorySpec("homestead", "宅基地使用方案", G.ART24, None, True, f"{ART24}第一款第（六）项", None,
                 ("{year}年度宅基地安排使用方案", "{parcel}新村宅基地分配方案"), 3, villages_only=True),
    CategorySpec("compensation", "征地补偿费使用分配", G.ART24, None, True, f"{ART24}第一款第（七）项", (2_000_000, 60_000_000),
                 ("{road}征地补偿款分配方案", "{parcel}地块征收补偿款使用方案"), 5, group_level=True),
    CategorySpec("income", "集体经济所得收益使用与分配", G.ART24, None, False, f"{ART24}第一款第（二）项", (300_000, 8_000_000),
                 ("{year}年度股份分红方案", "{year}年度集体收益使用计划"), 10, group_level=True),
    CategorySpec("subsidy", "村干部误工补贴人员及标准", G.ART24, None, False, f"{ART24}第一款第（一）项", (100_000, 600_000),
                 ("{year}年度村干部误工补贴发放方案",), 5),
    CategorySpec("plan", "村庄建设规划", G.PLANS, None, False, "“三划一规”", None,
                 ("村庄规划（{year}—{year5}年）编制", "{year}年度经济社会发展计划"), 3),
    CategorySpec("compact", "村规民约、自治章程修订", G.PLANS, None, False, "《村民委员会组织法》第二十七条；“三划一规”", None,
                 ("修订村规民约", "修订村民自治章程"), 3),
    CategorySpec("rental", "集体物业出租", G.FUNDS, 100_000, False, f"{ART24}第一款第（八）项；“三资一酬”", (100_000, 20_000_000),
                 ("村集体{building}公开招租", "{building}续租方案"), 16, group_level=True),
    CategorySpec("works", "公益事业建设项目及承包", G.FUNDS, 50_000, False, f"{ART24}第一款第（三）项；“三资一酬”", (50_000, 6_000_000),
                 ("{project}工程", "{project}工程施工承包"), 16),
    CategorySpec("assets", "集体资产购置与处置", G.FUNDS, 50_000, True, "“三资一酬”", (50_000, 5_000_000),
                 ("购置{asset}", "处置{asset}"), 7),
    CategorySpec("venture", "集体经济项目立项与承包", G.FUNDS, 200_000, False, f"{ART24}第一款第（五）项；“三资一酬”", (200_000, 30_000_000),
                 ("{venture}项目立项", "{venture}项目承包经营"), 6),
    CategorySpec("borrowing", "集体举债", G.FUNDS, None, True, "“三资一酬”", (500_000, 10_000_000),
                 ("向银行贷款建设{venture}",), 2),
    CategorySpec("relief", "重大救灾救济款物发放", G.RELIEF, 20_000, False, "“三救一保”", (20_000, 500_000),
                 ("台风受灾农户救助金发放", "{year}年春节困难群众慰问金发放"), 4),
    CategorySpec("dibao", "农村低保对象民主评议", G.RELIEF, None, False, "“三救一保”", None,
                 ("{year}年度低保对象民主评议",), 3),
)
PARCELS = ("东片", "西片", "南片", "北片", "新围", "河边", "沙尾", "岗头", "大塘", "石坑")
BUILDINGS = ("综合楼首层商铺", "一号厂房", "二号仓库", "农贸市场摊位", "沿街铺面", "旧村委办公楼")
PROJECTS = ("村道硬底化", "文化广场升级改造", "排涝泵站改造", "公厕改造", "雨污分流管网", "篮球场翻新", "路灯亮化", "河涌整治")
ASSETS = ("村级保洁车辆", "闲置旧厂房", "村委会办公设备", "旧校舍", "消防车辆及器材")
VENTURES = ("标准厂房", "农贸市场", "乡村民宿", "冷链仓储", "光伏发电")
ROADS = ("江门大道扩建", "杜阮北路改造", "潮连大桥连接线", "棠下产业园道路")
GENERAL_TITLES = (
    ("村道路灯维修", (3_000, 20_000)), ("村委会办公用品采购", (2_000, 15_000)), ("公共厕所保洁外包", (10_000, 40_000)),
    ("重阳节敬老活动", (5_000, 30_000)), ("宣传栏更新", (3_000, 12_000)), ("文体活动经费使用", (5_000, 35_000)),
    ("卫生死角清理", (2_000, 18_000)), ("视频监控设备维护", (4_000, 25_000)),
)
OBJECTIONS = (
    ("发包底价偏低，请说明评估依据。", "底价经第三方评估机构评估，评估报告已在公开栏补充公开。"),
    ("受益户名单未公示到组，请补充。", "已在各村民小组公开栏补充公示受益户名单。"),
    ("工程预算明细不清，请公开分项预算。", "已补充公开分项预算及造价咨询意见。"),
    ("租赁期限过长，请说明理由。", "租期按镇集体资产交易规则确定，已附说明。"),
    ("补偿标准与上一批次不一致，请说明。", "补偿标准按区征收补偿新规执行，已附文件依据。"),
    ("结算金额与合同不符，请核实。", "经核对，差额为设计变更增加项目，变更签证已公开。"),
)
# fmt: on
NOTICE_DAYS = (7, 7, 7, 7, 10, 15)
# A scenario's "voted down at" names the village step; the group variant's step in the same place.
REJECTING_STEPS = {"party_review": ("party_review", "group_review"), "resolve": ("resolve", "group_resolve")}
TOWN_TITLES = ("组织办干事", "农业农村办副主任", "党建办主任", "驻村干部")


# ---- what happens to one decision ----------------------------------------------------------


@dataclass
class Scenario:
    reject_at: str = ""  # "party_review" / "resolve": voted down there
    after_reject: str = ""  # "revise" (and go again) / "close"
    fail_first_resolution: bool = False
    late_notice: bool = False
    objection: str = ""  # "" / "answered" / "late" (answered after the deadline)
    result_objection: bool = False
    merge: bool = False  # 一肩挑: first two steps in one meeting
    stop: str = ""  # stop right after this event (三堡村's hand-picked cases)


@dataclass
class NoticeSpec:
    kind: str
    title: str
    body: str
    published_on: date
    days: int
    code: str
    notice: Notice | None = None


@dataclass
class Plan:
    decision: Decision
    place: "Place"
    meetings: list[Meeting] = field(default_factory=list)
    notices: list[NoticeSpec] = field(default_factory=list)
    objections: list[tuple[Objection, NoticeSpec | None]] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)
    day: date = date.min  # of the last event


@dataclass
class Place:
    org: Organization
    town: Organization
    catalogue: MatterCatalogue
    categories: dict[str, MatterCategory]
    yijiantiao: bool
    representatives: int
    adults: int
    households: int
    staff: User
    supervisor: User
    town_staff: User
    post_changes: list[date]  # days on which a post in the place began or ended (the rosters change then)


class _Late(Exception):
    """The next event would fall after today: the decision stays where it is."""


class Builder:
    def __init__(self, rng: random.Random, today: date, review_amount: Decimal) -> None:
        self.rng = rng
        self.today = today
        self.limit = today  # no event after it; lifted while 三堡村's cases are measured
        self.review_amount = review_amount
        # Codes come from their own stream: re-walking a timeline (三堡村's cases) must draw the same dates.
        self.code_rng = random.Random(rng.random())
        self.rosters: dict[tuple[str, int, int], list[dict[str, object]] | None] = {}
        self.verdicts: dict[tuple[str, frozenset[str], int, Counts], Verdict] = {}
        rule_sets = list(RuleSet.objects.values_list("region_code", "effective_from", "effective_to"))
        self.regions = {region for region, _, _ in rule_sets}
        self.rule_set_changes = sorted({start for _, start, _ in rule_sets} | {end + timedelta(days=1) for _, _, end in rule_sets if end})
        self.codes: set[str] = set(Notice.objects.values_list("code", flat=True))

    # -- small helpers

    def days(self, lo: int, hi: int) -> timedelta:
        return timedelta(days=self.rng.randint(lo, hi))

    def _at(self, plan: Plan, day: date) -> date:
        if day > self.limit:
            raise _Late
        plan.day = day
        return day

    def amount(self, lo: int, hi: int) -> Decimal:
        value = math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        return Decimal(max(lo, int(value / 100) * 100))

    def title(self, spec: CategorySpec, year: int) -> str:
        r = self.rng
        return r.choice(spec.titles).format(
            parcel=r.choice(PARCELS),
            mu=r.randint(20, 300),
            building=r.choice(BUILDINGS),
            project=r.choice(PROJECTS),
            asset=r.choice(ASSETS),
            venture=r.choice(VENTURES),
            road=r.choice(ROADS),
            year=year,
            year5=year + 5,
        )

    def code(self) -> str:
        while True:
            code = "".join(self.code_rng.choice(CODE_ALPHABET) for _ in range(8))
            if code not in self.codes:
                self.codes.add(code)
                return code

    # -- meetings: counts chosen for an intended outcome, verdict from the rules engine

    def _roster(self, body: str, place: Place, on: date) -> list[dict[str, object]] | None:
        """roster.snapshot, taken once per stretch of days in which no post of the place began or ended."""
        key = (body, place.org.pk, bisect.bisect_right(place.post_changes, on))
        if key not in self.rosters:
            self.rosters[key] = roster.snapshot(body, place.org, on)
        return self.rosters[key]

    def _counts(self, body: str, place: Place, size: int, intent: str) -> tuple[Counts, int, int]:
        """(counts, against, abstain) for the intent: "pass", "no_quorum" or "voted_down"."""
        r = self.rng
        half, two_thirds = size // 2 + 1, math.ceil(2 * size / 3)  # > 1/2 and ≥ 2/3 of the body
        households = households_present = 0
        if body in (Body.VILLAGERS_ASSEMBLY, Body.GROUP_MEETING):
            households = place.households if body == Body.VILLAGERS_ASSEMBLY else r.randint(20, 80)
            if intent == "no_quorum":
                households_present = r.randint(households // 3, math.ceil(2 * households / 3) - 1)
                present = min(size // 2, households_present + r.randint(0, 20))
            else:
                households_present = r.randint(math.ceil(2 * households / 3), households)
                present = min(size, households_present + r.randint(0, 40))
        elif body in (Body.PARTY_COMMITTEE, Body.TWO_COMMITTEES, Body.GROUP_COMMITTEE):
            present = r.randint(max(half, size - 1), size) if intent != "no_quorum" else max(1, size // 2)
        elif intent == "no_quorum":
            present = r.randint(max(1, size // 2), two_thirds - 1)
        else:
            present = r.randint(two_thirds, size)
        # Party assemblies and committees pass with more than half of those due; the others of those present.
        base = size if body in (Body.PARTY_ASSEMBLY, Body.PARTY_COMMITTEE) else present
        votes_for = r.randint(base // 4, base // 2) if intent == "voted_down" else r.randint(min(present, base // 2 + 1), present)
        rest = present - votes_for
        against = r.randint(0, rest)
        abstain = r.randint(0, rest - against)
        counts = Counts(entitled=size, present=present, votes_for=votes_for, households=households, households_present=households_present)
        return counts, against, abstain

    def _verdict(self, body: str, place: Place, on: date, counts: Counts) -> Verdict:
        """evaluate(), asked once per verdict it can give: it depends on the place only through the
        rule-set regions its code falls in, and on the date only through the rule sets in force."""
        regions = frozenset(r for r in self.regions if place.org.code.startswith(r))
        key = (body, regions, bisect.bisect_right(self.rule_set_changes, on), counts)
        if key not in self.verdicts:
            verdict = evaluate(body, place.org.code, on, counts)
            if verdict is None:
                raise RuntimeError(f"没有适用于 {body} {on} 的规则集")
            self.verdicts[key] = verdict
        return self.verdicts[key]

    def meeting(self, plan: Plan, step: Step, body: str, day: date, intent: str = "pass") -> Meeting:
        day = self._at(plan, day)
        place, r = plan.place, self.rng
        snap = self._roster(body, place, day)
        if snap is not None:
            size = len(snap)
        elif body == Body.REPRESENTATIVES:
            size = place.representatives
        elif body == Body.VILLAGERS_ASSEMBLY:
            size = place.adults
        elif body == Body.GROUP_MEETING:
            size = r.randint(60, 260)
        else:
            size = r.randint(5, 7)
        counts, against, abstain = self._counts(body, place, size, intent)
        verdict = self._verdict(body, place, day, counts)
        expected = {"pass": verdict.advances, "no_quorum": not verdict.quorum_met, "voted_down": verdict.quorum_met and not verdict.passed}
        if not expected[intent]:
            raise RuntimeError(f"演示数据的表决结果与预期不符：{body} {counts} {intent}")
        attendees = sorted(int(str(e["id"])) for e in r.sample(snap, counts.present)) if snap is not None else []
        basis = ""
        if body in (Body.VILLAGERS_ASSEMBLY, Body.GROUP_MEETING):
            basis = "households" if 3 * counts.households_present >= 2 * counts.households else "entitled"
        town_staff = ""
        if body in (Body.PARTY_ASSEMBLY, Body.REPRESENTATIVES, Body.VILLAGERS_ASSEMBLY):
            town_staff = f"{place.town_staff.display_name or place.town_staff.username}（{place.town.name}{r.choice(TOWN_TITLES)}）"
        decision = plan.decision
        meeting = Meeting(
            decision=decision,
            step=step.action,
            body=body,
            held_on=day,
            place=r.choice(("村委会议室", "党群服务中心会议室", "村文化室", "祠堂议事厅")),
            quorum_basis=basis,
            entitled=counts.entitled,
            present=counts.present,
            households=counts.households,
            households_present=counts.households_present,
            roster=snap or [],
            attendees=attendees,
            votes_for=counts.votes_for,
            votes_against=against,
            votes_abstain=abstain,
            minutes=f"{step.label}。会议讨论了“{decision.title}”方案，应到{counts.entitled}人，实到{counts.present}人，"
            f"表决结果：赞成{counts.votes_for}票，反对{against}票，弃权{abstain}票。",
            town_staff_present=town_staff,
            rule_set_id=verdict.rule_set_id,
            quorum_met=verdict.quorum_met,
            passed=verdict.passed,
            findings=[f.__dict__ for f in verdict.findings],
            recorded_by=place.staff,
        )
        plan.meetings.append(meeting)
        # The move a meeting makes, exactly as services.meeting_record makes it.
        if verdict.advances:
            decision.status = step.target
        elif verdict.quorum_met and step.refusable:
            decision.status = S.REJECTED
        return meeting

    # -- the timeline of one decision

    def timeline(self, plan: Plan, scenario: Scenario) -> Iterator[str]:
        """Walk the procedure, yielding the name of each event; stops early when one would be after today."""
        decision, place = plan.decision, plan.place
        day = self._at(plan, decision.created_on)
        yield "create"
        if decision.classification == Classification.GENERAL:
            steps: tuple[Step, ...] = GENERAL_STEPS
        elif decision.level == Level.GROUP:
            steps = GROUP_STEPS
        else:
            steps = (MERGED_STEP, *VILLAGE_STEPS[2:]) if scenario.merge else VILLAGE_STEPS
        rejecting = scenario.reject_at
        while True:
            for step in steps:
                day += self.days(2, 10)
                resolving = step.target == S.RESOLVED and decision.classification == Classification.PROCEDURE
                if resolving and decision.needs_town_review and decision.town_reviewed_on is None:
                    decision.town_reviewed_on = self._at(plan, day)
                    decision.town_reviewed_by = place.town_staff
                    decision.town_review_note = "经审核，方案符合政策规定，同意提交表决。"
                    yield "town_review"
                    day += self.days(2, 8)
                body = step.bodies[0]
                if len(step.bodies) > 1:  # the resolution: mostly by the representatives, sometimes the whole assembly
                    body = Body.VILLAGERS_ASSEMBLY if self.rng.random() < 0.15 else Body.REPRESENTATIVES
                if resolving and scenario.fail_first_resolution:
                    scenario.fail_first_resolution = False
                    self.meeting(plan, step, body, day, "no_quorum")
                    yield "resolve_failed"
                    day += self.days(7, 20)
                if rejecting and step.action in REJECTING_STEPS[rejecting]:
                    rejecting = ""
                    self.meeting(plan, step, body, day, "voted_down")
                    yield "rejected"
                    day += self.days(5, 30)
                    if scenario.after_reject == "close":
                        self._at(plan, day)
                        decision.status = S.CLOSED
                        yield "close"
                        return
                    self._at(plan, day)
                    decision.status = S.DRAFT
                    yield "revise"
                    break
                self.meeting(plan, step, body, day)
                yield step.action
            else:
                break
        resolved_on = day
        yield from self._disclosure(plan, scenario, resolved_on)

    def _disclosure(self, plan: Plan, scenario: Scenario, resolved_on: date) -> Iterator[str]:
        decision, place, r = plan.decision, plan.place, self.rng
        filed = resolved_on + self.days(3, 20)  # drawn whatever the limit, so a re-run draws the same
        if decision.needs_town_review and filed <= self.limit:
            decision.filed_on = filed
        day = resolved_on + (self.days(8, 20) if scenario.late_notice else self.days(0, 5))
        days = r.choice(NOTICE_DAYS)
        if scenario.objection:
            days = max(days, 10)  # long enough for the objection to fall inside it
        resolution = self._notice(plan, NoticeKind.RESOLUTION, day, days)
        yield "publish_resolution"
        ready = resolution.published_on + timedelta(days=days)
        if scenario.objection:
            raised = self._objection(plan, resolution, resolution.published_on + self.days(1, 4))
            yield "objection_open"
            answered = self._answer(plan, raised, late=scenario.objection == "late")
            yield "objection_answered"
            ready = max(ready, answered)
        day = self._at(plan, ready + self.days(0, 7))
        decision.status = S.IMPLEMENTING
        yield "start"
        duration = r.randint(20, 240) if r.random() < 0.8 else r.randint(240, 600)  # big works run for a year or more
        shares = [*sorted(r.sample(range(10, 96), r.randint(1, 3))), 100]
        for i, percent in enumerate(shares, start=1):
            on = self._at(plan, day + timedelta(days=duration * i // len(shares)))
            plan.progress.append(
                Progress(
                    decision=decision,
                    on=on,
                    percent=percent,
                    text="已全部完成并通过验收。" if percent == 100 else f"按计划推进，已完成约{percent}%。",
                    recorded_by=place.staff,
                )
            )
            yield "progress"
        day = plan.day + self.days(1, 10)
        if scenario.result_objection:
            raised = self._objection(plan, None, day)
            yield "objection_open"
            day = self._answer(plan, raised, late=False) + self.days(1, 5)
        result = self._notice(plan, NoticeKind.RESULT, day, 7)
        yield "publish_result"
        self._at(plan, result.published_on + timedelta(days=result.days) + self.days(0, 20))
        decision.status = S.ARCHIVED
        yield "archive"

    def _notice(self, plan: Plan, kind: str, day: date, days: int) -> NoticeSpec:
        day = self._at(plan, day)
        decision, place = plan.decision, plan.place
        resolution = next(m for m in reversed(plan.meetings) if m.quorum_met and m.passed)
        amount = f"，涉及金额{decision.amount:,.2f}元" if decision.amount else ""
        if kind == NoticeKind.RESOLUTION:
            title = f"{place.org.name}关于{decision.title}的决议公开"
            body = (
                f"{resolution.held_on:%Y年%m月%d日}，{resolution.get_body_display()}对“{decision.title}”进行表决："
                f"应到{resolution.entitled}人，实到{resolution.present}人，赞成{resolution.votes_for}票，决议通过{amount}。\n"
                f"公开期{days}天。如有异议，请向本村（社区）村务监督委员会反映。"
            )
            decision.status = S.RESOLUTION_PUBLISHED
        else:
            title = f"{place.org.name}关于{decision.title}的实施结果公开"
            body = f"“{decision.title}”已按决议实施完成{amount}。现将实施结果公开，公开期{days}天，欢迎监督。"
            decision.status = S.RESULT_PUBLISHED
        spec = NoticeSpec(kind=kind, title=title, body=body, published_on=day, days=days, code=self.code())
        plan.notices.append(spec)
        return spec

    def _objection(self, plan: Plan, notice: NoticeSpec | None, day: date) -> Objection:
        day = self._at(plan, day)
        text, _ = self.rng.choice(OBJECTIONS)
        objection = Objection(
            decision=plan.decision, text=text, raised_by=plan.place.supervisor, raised_on=day, due_on=day + timedelta(days=10)
        )
        plan.objections.append((objection, notice))
        return objection

    def _answer(self, plan: Plan, objection: Objection, late: bool) -> date:
        day = self._at(plan, objection.raised_on + (self.days(11, 16) if late else self.days(2, 9)))
        answer = next(a for t, a in OBJECTIONS if t == objection.text)
        objection.answer, objection.answered_by, objection.answered_on = answer, plan.place.staff, day
        return day


# ---- villages, catalogues and decisions ----------------------------------------------------


def _users(district: Organization) -> tuple[User, dict[tuple[str, str], User]]:
    """The import account, and the demo users by (role, organization path)."""
    importer, _ = User.objects.get_or_create(
        username=IMPORT_USERNAME, defaults={"display_name": "台账导入", "password": make_password(None), "is_active": False}
    )
    grants = RoleGrant.objects.filter(organization__path__startswith=district.path).select_related("user", "organization")
    return importer, {(g.role, g.organization.path): g.user for g in grants.order_by("pk")}


def _places(district: Organization, rng: random.Random, today: date, first_year: int) -> list[Place]:
    importer, by_grant = _users(district)
    orgs = list(Organization.objects.filter(path__startswith=district.path, kind__in=GRASSROOTS_KINDS).order_by("path"))
    towns = {o.path: o for o in Organization.objects.filter(path__startswith=district.path, kind__in=[OrgKind.TOWN, OrgKind.SUBDISTRICT])}
    held = yijiantiao(orgs, today)
    changes: dict[str, set[date]] = defaultdict(set)
    depth_chars = {len(o.path) for o in orgs}
    posts = Post.objects.filter(organization__path__startswith=district.path).values_list("organization__path", "start_date", "end_date")
    for path, start, end in posts:
        for chars in depth_chars:
            changes[path[:chars]].add(start)
            if end is not None:
                changes[path[:chars]].add(end + timedelta(days=1))
    catalogues: list[MatterCatalogue] = []
    categories: list[MatterCategory] = []
    places: list[Place] = []
    for org in orgs:
        town = towns[org.path[: len(org.path) - Organization.steplen]]
        town_staff = by_grant.get((Role.TOWN_STAFF, town.path), importer)
        approved = date(first_year - 1, rng.randint(9, 11), rng.randint(1, 28))
        catalogue = MatterCatalogue(
            village=org,
            version=1,
            approved_on=approved,
            approved_by=rng.choice(("村民代表会议", "村民代表会议", "村民会议")),
            filed_on=approved + timedelta(days=rng.randint(5, 25)),
            filed_by=town_staff,
        )
        catalogues.append(catalogue)
        mine = {}
        for spec in CATEGORIES:
            if spec.villages_only and org.kind != OrgKind.VILLAGE:
                continue
            mine[spec.key] = MatterCategory(
                catalogue=catalogue,
                name=spec.name,
                group=spec.group,
                amount_threshold=Decimal(spec.threshold) if spec.threshold is not None else None,
                needs_town_review=spec.town_review,
                basis=spec.basis,
            )
        categories += mine.values()
        households = rng.randint(300, 1100)
        places.append(
            Place(
                org=org,
                town=town,
                catalogue=catalogue,
                categories=mine,
                yijiantiao=held.get(org.pk, False),
                representatives=rng.randint(25, 45),
                adults=households * 2 + rng.randint(100, 900),
                households=households,
                staff=by_grant.get((Role.VILLAGE_STAFF, org.path), importer),
                supervisor=by_grant.get((Role.SUPERVISION, org.path), importer),
                town_staff=town_staff,
                post_changes=sorted(changes[org.path]),
            )
        )
    MatterCatalogue.objects.bulk_create(catalogues)
    MatterCategory.objects.bulk_create(categories, batch_size=500)
    return places


def _decision(
    b: Builder, place: Place, title: str, amount: Decimal | None, spec: CategorySpec | None, created_on: date, group: bool = False
) -> Decision:
    category = place.categories[spec.key] if spec is not None else None
    classification, reason = services.classify(place.org, category, amount)
    # As decision_create: 以上, an amount equal to the district's review amount needs review too.
    review = bool(category and category.needs_town_review) or (amount is not None and amount >= b.review_amount)
    return Decision(
        village=place.org,
        level=Level.GROUP if group else Level.VILLAGE,
        group_name=f"第{b.rng.randint(1, 12)}村民小组" if group else "",
        title=title,
        description=f"{place.org.name}{title}。",
        amount=amount,
        category=category,
        classification=classification,
        classification_reason=reason,
        needs_town_review=review and classification == Classification.PROCEDURE,
        created_by=place.staff,
        created_on=created_on,
    )


def _scenario(b: Builder, place: Place) -> Scenario:
    r = b.rng
    roll = r.random()
    reject_at = "party_review" if roll < 0.03 else "resolve" if roll < 0.06 else ""
    objection_roll = r.random()
    return Scenario(
        reject_at=reject_at,
        after_reject=r.choice(("revise", "close")) if reject_at else "",
        fail_first_resolution=r.random() < 0.07,
        late_notice=r.random() < 0.12,
        objection="late" if objection_roll < 0.02 else "answered" if objection_roll < 0.10 else "",
        result_objection=r.random() < 0.03,
        merge=place.yijiantiao and r.random() < 0.4,
    )


def _run(b: Builder, plan: Plan, scenario: Scenario) -> None:
    try:
        for event in b.timeline(plan, scenario):
            if event == scenario.stop:
                return
    except _Late:
        return


def _random_year(b: Builder, place: Place, year: int) -> list[Plan]:
    r = b.rng
    plans = []
    last = min(date(year, 12, 20), b.today - timedelta(days=1))
    first = date(year, 1, 3)
    if last < first:
        return []
    specs = [s for s in CATEGORIES if s.key in place.categories]
    weights = [s.weight for s in specs]
    for _ in range(r.choices((0, 1, 2, 3), (30, 40, 22, 8))[0]):
        spec = r.choices(specs, weights)[0]
        amount = b.amount(*spec.amounts) if spec.amounts else None
        group = spec.group_level and place.org.kind == OrgKind.VILLAGE and r.random() < 0.12
        created = first + timedelta(days=r.randint(0, (last - first).days))
        plan = Plan(_decision(b, place, b.title(spec, year), amount, spec, created, group), place)
        _run(b, plan, _scenario(b, place))
        plans.append(plan)
    for _ in range(r.choices((0, 1, 2), (45, 40, 15))[0]):
        created = first + timedelta(days=r.randint(0, (last - first).days))
        below = [s for s in specs if s.threshold is not None]
        if r.random() < 0.4:
            spec = r.choice(below)
            assert spec.threshold is not None
            plan = Plan(_decision(b, place, b.title(spec, year), b.amount(spec.threshold // 5, spec.threshold - 1), spec, created), place)
        else:
            title, amounts = r.choice(GENERAL_TITLES)
            plan = Plan(_decision(b, place, title, b.amount(*amounts), None, created), place)
        _run(b, plan, Scenario(late_notice=r.random() < 0.1))
        plans.append(plan)
    return plans


@dataclass(frozen=True)
class Case:
    """A hand-picked decision: it stops right after `stop`, which happened `age` days ago."""

    category: str  # key in CATEGORIES; "" for a general matter outside the catalogue
    title: str
    amount: int
    stop: str
    scenario: Scenario = field(default_factory=Scenario)
    age: int = 1


# fmt: off
HAND_PICKED = {
    # 三堡村: one decision at every stage, the failed quorum and the open objection (issue #3).
    "三堡村": (
        Case("works", "三堡村文化广场升级改造", 380_000, "create"),
        Case("rental", "村集体综合楼首层商铺公开招租", 1_260_000, "propose"),
        Case("assets", "购置村级保洁车辆", 150_000, "deliberate"),
        Case("land", "东片120亩农用地公开发包", 4_800_000, "resolve_failed", Scenario(fail_first_resolution=True)),
        Case("income", "年度股份分红方案", 2_350_000, "resolve"),
        Case("compensation", "江门大道扩建征地补偿款分配方案", 18_600_000, "objection_open", Scenario(objection="answered")),
        Case("works", "村道硬底化及排水改造工程", 960_000, "progress", age=3),
        Case("relief", "台风受灾农户救助金发放", 86_000, "publish_result", age=2),
        Case("venture", "三堡村标准厂房建设项目承包", 12_800_000, "archive", Scenario(objection="answered"), age=5),
        Case("borrowing", "向银行贷款建设农贸市场", 3_000_000, "rejected", Scenario(reject_at="party_review"), age=4),
        Case("rental", "旧祠堂出租经营", 240_000, "close", Scenario(reject_at="resolve", after_reject="close"), age=6),
        Case("", "村委会办公设备更新", 18_000, "archive", age=8),
    ),
    # 松岭村: an objection left unanswered past its deadline, so the overdue count is not always zero.
    "松岭村": (Case("rental", "村集体二号仓库公开招租", 680_000, "objection_open", Scenario(objection="answered"), age=14),),
}
# fmt: on


def _hand_picked(b: Builder, place: Place, cases: tuple[Case, ...]) -> list[Plan]:
    """Each case laid out so that its last event was `age` days ago: walked once from a day long past
    to learn its length, then again with the same draws, shifted to end then."""
    by_key = {s.key: s for s in CATEGORIES}
    plans = []
    for case in cases:
        spec = by_key[case.category] if case.category else None
        state, probe_start = b.rng.getstate(), b.today - timedelta(days=730)
        b.limit = date.max
        probe = Plan(_decision(b, place, case.title, Decimal(case.amount), spec, probe_start), place)
        _run(b, probe, replace(case.scenario, stop=case.stop))
        b.limit = b.today
        b.rng.setstate(state)
        start = b.today - timedelta(days=(probe.day - probe_start).days + case.age)
        plan = Plan(_decision(b, place, case.title, Decimal(case.amount), spec, start), place)
        _run(b, plan, replace(case.scenario, stop=case.stop))
        if plan.day != b.today - timedelta(days=case.age):
            raise RuntimeError(f"演示事项“{case.title}”未能按预定日期展开")
        plans.append(plan)
    return plans


def _save(plans: list[Plan]) -> None:
    Decision.objects.bulk_create([p.decision for p in plans], batch_size=500)
    Meeting.objects.bulk_create([m for p in plans for m in p.meetings], batch_size=500)
    notices: list[tuple[NoticeSpec, Plan]] = []
    for plan in plans:
        for spec in plan.notices:
            decision = plan.decision
            digest = services.notice_hash(
                village_code=plan.place.org.code,
                decision_id=decision.pk,
                kind=spec.kind,
                title=spec.title,
                body=spec.body,
                published_on=spec.published_on,
                notice_days=spec.days,
            )
            spec.notice = Notice(
                decision=decision,
                kind=spec.kind,
                code=spec.code,
                title=spec.title,
                body=spec.body,
                published_on=spec.published_on,
                notice_days=spec.days,
                content_hash=digest,
                published_by=plan.place.staff,
            )
            notices.append((spec, plan))
    Notice.objects.bulk_create([spec.notice for spec, _ in notices if spec.notice is not None], batch_size=500)
    objections = []
    for plan in plans:
        for objection, about in plan.objections:
            objection.notice = about.notice if about is not None else None
            objections.append(objection)
    Objection.objects.bulk_create(objections, batch_size=500)
    Progress.objects.bulk_create([e for p in plans for e in p.progress], batch_size=500)
    # The ledger holds each notice's publish event, as notice_publish writes it: the public
    # verification page checks the notice's code and content hash against it.
    for spec, plan in sorted(notices, key=lambda item: (item[0].published_on, item[0].notice.pk if item[0].notice else 0)):
        assert spec.notice is not None
        audit.record(
            actor=None,
            action=f"decision.publish_{spec.kind}",
            obj=plan.decision,
            org=plan.place.org,
            changes={"notice": spec.notice.code, "content_hash": spec.notice.content_hash},
        )


def demo_counts(district: Organization) -> dict[str, object]:
    decisions = Decision.objects.filter(village__path__startswith=district.path)
    procedure = decisions.filter(classification=Classification.PROCEDURE)
    amount = procedure.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    by_status = dict(decisions.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "catalogues": MatterCatalogue.objects.filter(village__path__startswith=district.path).count(),
        "categories": MatterCategory.objects.filter(catalogue__village__path__startswith=district.path).count(),
        "decisions": decisions.count(),
        "procedure": procedure.count(),
        "general": decisions.filter(classification=Classification.GENERAL).count(),
        "amount_yi": str((amount / Decimal(100_000_000)).quantize(Decimal("0.001"))),
        "meetings": Meeting.objects.filter(decision__village__path__startswith=district.path).count(),
        "failed_meetings": Meeting.objects.filter(decision__village__path__startswith=district.path, quorum_met=False).count(),
        "notices": Notice.objects.filter(decision__village__path__startswith=district.path).count(),
        "objections": Objection.objects.filter(decision__village__path__startswith=district.path).count(),
        "progress": Progress.objects.filter(decision__village__path__startswith=district.path).count(),
        "statuses": {status: by_status[status] for status in Status.values if status in by_status},
    }


COUNT_LABELS = {
    "catalogues": "事项清单",
    "categories": "清单事项",
    "decisions": "四议两公开事项",
    "procedure": "其中须经程序",
    "general": "其中一般事项",
    "amount_yi": "须经程序事项金额（亿元）",
    "meetings": "会议记录",
    "failed_meetings": "其中未达法定人数",
    "notices": "公开公告",
    "objections": "监委会异议",
    "progress": "实施进展",
}


def _cell(text: str, width: int) -> str:
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - shown, 0)


def report(out: Output, counts: dict[str, object], created: bool) -> None:
    out.write("\n已载入“四议两公开”演示数据：\n" if created else "\n“四议两公开”演示数据已存在，未重复载入：\n")
    for key, label in COUNT_LABELS.items():
        value = counts[key]
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        out.write(f"  {_cell(label, 26)}{shown:>8}\n")
    statuses = counts["statuses"]
    assert isinstance(statuses, dict)
    out.write("  各状态：" + "，".join(f"{Status(k).label} {v}" for k, v in statuses.items()) + "\n")


def load(district: Organization | None = None, *, today: date | None = None, stdout: Output | None = None) -> dict[str, object]:
    """Load the demo decisions once for the demo district; later runs only report them."""
    district = district or Organization.objects.get(code=DISTRICT_CODE)
    created = not Event.objects.filter(action=ACTION, org_path=district.path).exists()
    if created:
        today = today or timezone.localdate()
        with transaction.atomic():
            _build(district, today)
            counts = demo_counts(district)
            audit.record(actor=None, action=ACTION, org=district, changes=counts)
    else:
        counts = demo_counts(district)
    if stdout is not None:
        report(stdout, counts, created)
    return counts


def _build(district: Organization, today: date) -> None:
    rng = random.Random(SEED)
    years = (today.year - 2, today.year - 1, today.year)
    policy, _ = DecisionPolicy.objects.get_or_create(organization=district)  # the defaults: 7 days, 10 days, 100,000 yuan
    places = _places(district, rng, today, years[0])
    builder = Builder(rng, today, policy.town_review_amount)
    plans: list[Plan] = []
    by_name: dict[str, list[Place]] = defaultdict(list)
    for place in places:
        by_name[place.org.name].append(place)
        for year in years:
            plans += _random_year(builder, place, year)
    for name, cases in HAND_PICKED.items():
        for place in by_name.get(name, []):
            plans += _hand_picked(builder, place, cases)
    _save(plans)
