"""Input and output of the 四议两公开 endpoints (/api/v1/decisions, /objections, /meetings).

As in schemas.py, a reference to another object is its id under the model's field name, and
request bodies refuse unknown fields. Amounts are decimal strings in yuan, so no cent is lost.
"""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from jiceng.api.schemas import Input, PageQuery
from jiceng.decisions.models import Classification, Decision, Level, Meeting, Notice, NoticeKind, Objection, Status
from jiceng.lib.listing import label
from jiceng.rules.models import Body

# ---- decisions -----------------------------------------------------------------------------


class DecisionOut(Schema):
    id: int
    village: int
    village_name: str
    level: Level
    group_name: str
    title: str
    description: str
    amount: Decimal | None = Field(None, description="涉及金额（元）")
    category: int | None = Field(None, description="本村事项清单中的事项 id；一般事项可为空")
    category_name: str | None
    classification: Classification
    classification_label: str
    classification_reason: str = Field(..., description="按事项清单归类的理由")
    status: Status
    status_label: str
    needs_town_review: bool = Field(..., description="须经镇（街道）预审后方可表决")
    town_reviewed_on: date | None
    town_review_note: str
    filed_on: date | None = Field(None, description="镇（街道）备案日期")
    created_on: date

    @staticmethod
    def resolve_village(obj: Decision) -> int:
        return obj.village_id

    @staticmethod
    def resolve_village_name(obj: Decision) -> str:
        return obj.village.name

    @staticmethod
    def resolve_category(obj: Decision) -> int | None:
        return obj.category_id

    @staticmethod
    def resolve_category_name(obj: Decision) -> str | None:
        return obj.category.name if obj.category_id and obj.category else None

    @staticmethod
    def resolve_classification_label(obj: Decision) -> str:
        return label(Classification, obj.classification)

    @staticmethod
    def resolve_status_label(obj: Decision) -> str:
        return label(Status, obj.status)


class DecisionPage(Schema):
    items: list[DecisionOut]
    count: int
    page: int
    page_size: int


class DecisionQuery(PageQuery):
    status: Status | None = Field(None, description="状态")
    village: int | None = Field(None, description="村（社区）id")
    year: int | None = Field(None, ge=2000, le=2100, description="登记年度")
    classification: Classification | None = Field(None, description="procedure 须经四议两公开；general 一般事项")


class DecisionIn(Input):
    village: int = Field(..., description="村（社区）id")
    title: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="涉及金额（元）")
    category: int | None = Field(None, description="本村现行事项清单中的事项 id；不填为清单外的一般事项")
    level: Level = Level.VILLAGE
    group_name: str = Field("", max_length=50, description="村民小组事项（村组联议五步法）须填写")


# ---- meetings ------------------------------------------------------------------------------


class FindingOut(Schema):
    rule_id: int
    check: str = Field(..., description="quorum 到会人数 / majority 表决通过")
    met: bool
    value: int = Field(..., description="计入的人数或票数")
    base_value: int = Field(..., description="基数")
    threshold: str = Field(..., description="如 ≥ 2/3 × 30")
    article: str = Field(..., description="依据条款")
    text: str


class RosterEntry(Schema):
    id: int
    name: str


class MeetingOut(Schema):
    id: int
    decision: int
    decision_status: Status = Field(..., description="记录本次会议后事项的状态")
    step: str
    body: Body
    body_label: str
    held_on: date
    place: str
    quorum_basis: str
    entitled: int
    present: int
    households: int
    households_present: int
    roster: list[RosterEntry] = Field(..., description="应到名单（登记信息快照）；村民会议、代表会议等按人数计，名单为空")
    attendees: list[int]
    votes_for: int
    votes_against: int
    votes_abstain: int
    minutes: str
    town_staff_present: str
    rule_set: int
    rule_set_name: str = Field(..., description="判定所用规则集（会议日期施行的版本）")
    quorum_met: bool
    passed: bool
    advances: bool = Field(..., description="本次会议是否使事项进入下一步（含镇街认定）")
    findings: list[FindingOut]
    overridden: bool = Field(..., description="镇（街道）已认定有效")
    override_reason: str

    @staticmethod
    def resolve_decision(obj: Meeting) -> int:
        return obj.decision_id

    @staticmethod
    def resolve_decision_status(obj: Meeting) -> str:
        return obj.decision.status

    @staticmethod
    def resolve_body_label(obj: Meeting) -> str:
        return label(Body, obj.body)

    @staticmethod
    def resolve_rule_set(obj: Meeting) -> int:
        return obj.rule_set_id

    @staticmethod
    def resolve_rule_set_name(obj: Meeting) -> str:
        return str(obj.rule_set)

    @staticmethod
    def resolve_overridden(obj: Meeting) -> bool:
        return obj.overridden_by_id is not None


class MeetingIn(Input):
    step: str = Field(..., description="步骤，如 propose、deliberate、party_review、resolve（见事项详情的 open_steps）")
    body: Body
    held_on: date
    place: str = Field(..., min_length=1, max_length=100)
    entitled: int = Field(0, ge=0, description="应到人数；党组织会议、“两委”会议、党员大会按登记信息自动计算")
    present: int = Field(0, ge=0, description="实到人数；填写 attendees 时按名单计算")
    attendees: list[int] = Field([], description="实到人员 id（须在应到名单内）")
    households: int = Field(0, ge=0, description="总户数（村民会议、村民小组会议）")
    households_present: int = Field(0, ge=0, description="到会户代表数")
    votes_for: int = Field(..., ge=0)
    votes_against: int = Field(0, ge=0)
    votes_abstain: int = Field(0, ge=0)
    minutes: str = Field(..., min_length=1)
    town_staff_present: str = Field("", max_length=200, description="列席镇街干部（姓名、职务）")
    quorum_basis: str = Field("", max_length=12)


class OverrideIn(Input):
    reason: str = Field(..., max_length=300, description="认定理由（不少于10个字）")


# ---- notices, objections, progress ---------------------------------------------------------


class NoticeOut(Schema):
    id: int
    kind: NoticeKind
    kind_label: str
    code: str = Field(..., description="核验码，公众可凭码核验公告")
    title: str
    body: str
    published_on: date
    notice_days: int
    ends_on: date = Field(..., description="公开期届满日（不含）")
    on_notice: bool = Field(..., description="今天是否仍在公开期内（按日期计算）")
    content_hash: str = Field(..., description="公告内容哈希，已记入审计账本")

    @staticmethod
    def resolve_kind_label(obj: Notice) -> str:
        return label(NoticeKind, obj.kind)

    @staticmethod
    def resolve_on_notice(obj: Notice) -> bool:
        return obj.on_notice(timezone.localdate())


class NoticeIn(Input):
    kind: NoticeKind
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1)
    published_on: date
    notice_days: int = Field(..., ge=1, le=365, description="公开天数，不得少于本地区规定的最短天数（默认7天）")


class ObjectionOut(Schema):
    id: int
    decision: int
    notice: int | None
    text: str
    raised_on: date
    due_on: date = Field(..., description="答复期限")
    answer: str
    answered_on: date | None
    is_open: bool
    overdue: bool

    @staticmethod
    def resolve_decision(obj: Objection) -> int:
        return obj.decision_id

    @staticmethod
    def resolve_notice(obj: Objection) -> int | None:
        return obj.notice_id

    @staticmethod
    def resolve_overdue(obj: Objection) -> bool:
        return obj.overdue(timezone.localdate())


class ObjectionIn(Input):
    text: str = Field(..., min_length=1)
    notice: int | None = Field(None, description="针对的公告 id")


class AnswerIn(Input):
    answer: str = Field(..., min_length=1)


class ProgressOut(Schema):
    id: int
    on: date
    percent: int
    text: str


class ProgressIn(Input):
    on: date
    percent: int = Field(..., ge=0, le=100)
    text: str = Field(..., min_length=1)


class ReviewIn(Input):
    note: str = Field("", max_length=300, description="预审意见")


# ---- the decision page ---------------------------------------------------------------------


class StepOut(Schema):
    action: str
    label: str
    bodies: list[Body]


class MoveOut(Schema):
    action: str
    label: str


class DecisionDetailOut(DecisionOut):
    meetings: list[MeetingOut]
    notices: list[NoticeOut]
    objections: list[ObjectionOut]
    progress: list[ProgressOut]
    open_steps: list[StepOut] = Field(..., description="现在可以记录会议的步骤")
    open_moves: list[MoveOut] = Field(..., description="现在可以进行的操作（公开、实施、归档等）")

    @staticmethod
    def resolve_meetings(obj: Decision) -> list[Any]:
        return list(obj.meetings.all())

    @staticmethod
    def resolve_notices(obj: Decision) -> list[Any]:
        return list(obj.notices.all())

    @staticmethod
    def resolve_objections(obj: Decision) -> list[Any]:
        return list(obj.objections.all())

    @staticmethod
    def resolve_progress(obj: Decision) -> list[Any]:
        return list(obj.progress.all())

    @staticmethod
    def resolve_open_steps(obj: Decision) -> list[Any]:
        return getattr(obj, "api_open_steps", [])

    @staticmethod
    def resolve_open_moves(obj: Decision) -> list[Any]:
        return getattr(obj, "api_open_moves", [])


# ---- statistics ----------------------------------------------------------------------------


class StatsQuery(Schema):
    level: Literal["village", "town", "district"] = Field("village", description="村（社区）、镇（街道）或区")
    org: int | None = Field(None, description="只统计该组织及其下级")
    year: int | None = Field(None, ge=2000, le=2100, description="年度，默认今年")


class StatsRowOut(Schema):
    org: int
    name: str
    code: str
    decisions: int = Field(..., description="运用“四议两公开”次数：当年形成决议的须经程序事项")
    matters: int = Field(..., description="当年形成决议的事项，含一般事项")
    amount: Decimal = Field(..., description="涉及金额（元）")
    completed: int = Field(..., description="已公开实施结果或已归档")
    completed_share: Decimal | None = Field(None, description="完成率（%）")
    resolution_notices: int
    notices_on_time: int = Field(..., description="表决后规定日数内发布的决议公告")
    objections_raised: int
    objections_answered: int
    objections_overdue: int = Field(..., description="逾期未答复")
    failed_meetings: int = Field(..., description="未达法定人数的会议")


class StatsOut(Schema):
    year: int
    level: str
    notice_on_time_days: int
    rows: list[StatsRowOut]
