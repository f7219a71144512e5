"""/api/v1/sweeps and /api/v1/mobilizations: door-to-door sweeps (大排查) and temporary mobilization.

Reads are scoped like the pages (a grid worker sees the grids they serve); the visit goes through
jiceng.grid.sweeps.visit_record, so a second submit for the same household and round updates the
first. An object outside the caller's scope is a 404.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS
from jiceng.api.schemas import Input
from jiceng.grid import mobilization, sweeps
from jiceng.grid.models_sweeps import SweepVisit

router = Router(tags=["大排查与临时动员"])


class CampaignOut(Schema):
    id: int
    title: str
    organization: int
    organization_name: str
    start_date: date
    end_date: date
    rounds: int
    status: str = Field(..., description="planned 未开始 / running 进行中 / finished 已结束")


class CoverageOut(Schema):
    id: int
    name: str
    level: str = Field(..., description="grid / village / town / total")
    households: int
    covered: int = Field(..., description="本轮走访结果为已走访、拒绝、转办或空置/注销的户数")
    share: Decimal | None = Field(..., description="覆盖率（%），一位小数；无住户时为 null")
    by_outcome: dict[str, int]
    findings: int


class ProgressOut(Schema):
    round: int
    rows: list[CoverageOut]


class ProgressQuery(Schema):
    round: int = Field(1, ge=1, description="轮次")


class VisitIn(Input):
    household: int
    round: int = Field(1, ge=1)
    outcome: str = Field(..., description="visited 已走访 / not_home 不在家 / refused 拒绝 / referred 转办 / closed 空置/注销")
    answers: dict[str, str] = Field(default_factory=dict, description="问题 id → 回答（是/否题为 yes 或 no）")
    note: str = ""
    finding: str = ""


class VisitOut(Schema):
    id: int
    household: int = Field(..., alias="household_id")
    round: int
    outcome: str
    answers: dict[str, Any]
    finding: str
    finding_state: str
    case: int | None = Field(..., alias="case_id")
    visited_at: datetime


class PeriodQuery(Schema):
    start: date
    end: date


class MobilizedRowOut(Schema):
    id: int
    name: str
    level: str
    members: int


class MobilizedOut(Schema):
    start: date
    end: date
    total: int
    rows: list[MobilizedRowOut]


@router.get(
    "/sweeps", response={200: list[CampaignOut], **LIST_ERRORS}, summary="大排查列表", description="含本人管辖范围内任一网格的排查。"
)
def list_sweeps(request: HttpRequest) -> list[dict[str, Any]]:
    today = timezone.localdate()
    found = sweeps.campaigns_for_user(current_user(request))[:200]
    return [
        {
            "id": c.pk,
            "title": c.title,
            "organization": c.organization_id,
            "organization_name": c.organization.name,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "rounds": c.rounds,
            "status": c.status_on(today),
        }
        for c in found
    ]


@router.get(
    "/sweeps/{campaign_id}/progress",
    response={200: ProgressOut, **DETAIL_ERRORS},
    summary="排查进度",
    description="某一轮次按网格、村（社区）、镇（街道）和合计的覆盖情况，只含本人管辖范围内的网格。",
)
def sweep_progress(request: HttpRequest, campaign_id: int, query: Query[ProgressQuery]) -> dict[str, Any]:
    user = current_user(request)
    campaign = sweeps.get_campaign_for_user(user, campaign_id)
    report = sweeps.progress(user, campaign, min(query.round, campaign.rounds))

    def row(org: Any, level: str, c: sweeps.Coverage) -> dict[str, Any]:
        return {
            "id": org.pk if org else 0,
            "name": org.name if org else "合计",
            "level": level,
            "households": c.households,
            "covered": c.covered,
            "share": c.share,
            "by_outcome": c.by_outcome,
            "findings": c.findings,
        }

    rows = [row(r.org, r.level, r.coverage) for r in (*report.towns, *report.villages, *report.grids)]
    return {"round": report.round, "rows": [*rows, row(None, "total", report.total)]}


@router.post(
    "/sweeps/{campaign_id}/visits",
    response={200: VisitOut, 201: VisitOut, **WRITE_ERRORS},
    summary="登记走访",
    description="同一住户同一轮次只有一条走访记录：首次提交返回 201，再次提交更新该记录并返回 200。",
)
def record_visit(request: HttpRequest, campaign_id: int, payload: VisitIn) -> Status[SweepVisit]:
    user = current_user(request)
    campaign = sweeps.get_campaign_for_user(user, campaign_id)
    household = sweeps.get_household_for_user(user, payload.household, "sweep.visit")
    visit, created = sweeps.visit_record(
        actor=user,
        campaign=campaign,
        household=household,
        round=payload.round,
        outcome=payload.outcome,
        answers=payload.answers,
        note=payload.note,
        finding=payload.finding,
    )
    return Status(201 if created else 200, visit)


@router.get(
    "/mobilizations/stats",
    response={200: MobilizedOut, **LIST_ERRORS},
    summary="临时动员党员统计",
    description="期间内任一天处于动员期的党员人数（去重），按镇（街道）、村（社区）、网格，只含本人管辖范围内的网格。",
)
def mobilized_stats(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    report = mobilization.mobilized_report(current_user(request), query.start, query.end)
    rows = [
        {"id": t.org.pk, "name": t.org.name, "level": t.level, "members": t.members}
        for t in (*report.towns, *report.villages, *report.grids)
    ]
    return {"start": report.start, "end": report.end, "total": report.total, "rows": rows}
