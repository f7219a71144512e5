"""/api/v1/decisions, /objections, /meetings: the 四议两公开 procedure (domain.md §2).

Every write goes through jiceng.decisions.services, which checks the role, the status against the
step tables and the counts against the rules; reads are scoped like the pages. An object outside
the caller's scope is a 404; a role that may see it but not do this is a 403.
"""

from dataclasses import asdict
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from jiceng.accounts.access import get_for_user, scope_by_village
from jiceng.accounts.models import User
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, org_for, paginate
from jiceng.api.decision_schemas import (
    AnswerIn,
    DecisionDetailOut,
    DecisionIn,
    DecisionOut,
    DecisionPage,
    DecisionQuery,
    MeetingIn,
    MeetingOut,
    NoticeIn,
    NoticeOut,
    ObjectionIn,
    ObjectionOut,
    OverrideIn,
    ProgressIn,
    ProgressOut,
    ReviewIn,
    StatsOut,
    StatsQuery,
)
from jiceng.decisions import access, services
from jiceng.decisions import stats as figures
from jiceng.decisions.models import Decision, MatterCategory, Meeting, Notice, Objection, Progress
from jiceng.decisions.workflow import open_moves, open_steps

router = Router(tags=["四议两公开"])
VIEW = access.roles("decision.view")


# ---- look-ups: in scope or 404 ---------------------------------------------------------------


def _decisions() -> QuerySet[Decision]:
    return Decision.objects.select_related("village", "category")


def _decision_for(user: User, decision_id: int) -> Decision:
    return get_for_user(_decisions(), user, VIEW, "village__path", pk=decision_id)


def _detail_for(user: User, decision_id: int) -> Decision:
    qs = _decisions().prefetch_related(
        Prefetch("meetings", queryset=Meeting.objects.select_related("rule_set").order_by("held_on", "pk")),
        "notices",
        "objections",
        "progress",
    )
    decision = get_for_user(qs, user, VIEW, "village__path", pk=decision_id)
    merge = services.merge_allowed(decision, timezone.localdate())
    decision.api_open_steps = [  # type: ignore[attr-defined]
        {"action": s.action, "label": s.label, "bodies": list(s.bodies)} for s in open_steps(decision, merge)
    ]
    decision.api_open_moves = [{"action": m.action, "label": m.label} for m in open_moves(decision)]  # type: ignore[attr-defined]
    return decision


def _category_for(user: User, category_id: int | None) -> MatterCategory | None:
    if category_id is None:
        return None
    return get_for_user(MatterCategory.objects.all(), user, VIEW, "catalogue__village__path", pk=category_id)


def _meeting(meeting: Meeting) -> Meeting:
    """The meeting as the output shows it: with its rule set and its decision's current status."""
    return Meeting.objects.select_related("decision", "rule_set").get(pk=meeting.pk)


# ---- decisions -------------------------------------------------------------------------------


@router.get(
    "/decisions",
    response={200: DecisionPage, **LIST_ERRORS},
    summary="四议两公开事项列表",
    description="按状态、村（社区）、登记年度、事项性质筛选；只含本人管辖范围内的事项。",
)
def list_decisions(request: HttpRequest, filters: Query[DecisionQuery]) -> dict[str, object]:
    qs = scope_by_village(_decisions(), current_user(request), VIEW, "village").order_by("-created_on", "-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.village is not None:
        qs = qs.filter(village_id=filters.village)
    if filters.year is not None:
        qs = qs.filter(created_on__year=filters.year)
    if filters.classification:
        qs = qs.filter(classification=filters.classification)
    return paginate(qs, filters, keys_qs=qs)


@router.post(
    "/decisions",
    response={201: DecisionOut, **WRITE_ERRORS},
    summary="登记事项",
    description="按本村现行事项清单归类（须经四议两公开或一般事项）并说明理由；达到金额或属规定类别的须镇街预审。",
)
def create_decision(request: HttpRequest, payload: DecisionIn) -> Status[Decision]:
    user = current_user(request)
    decision = services.decision_create(
        actor=user,
        village=org_for(user, payload.village),
        title=payload.title,
        description=payload.description,
        amount=payload.amount,
        category=_category_for(user, payload.category),
        level=payload.level,
        group_name=payload.group_name,
    )
    return Status(201, _decision_for(user, decision.pk))


@router.get(
    "/decisions/stats",
    response={200: StatsOut, **LIST_ERRORS, **DETAIL_ERRORS},
    summary="四议两公开统计",
    description="按村（社区）、镇（街道）或全区统计某年度的运用次数、事项、金额、完成率、按时公开、异议和未达法定人数的会议。"
    "只列出整体在本人管辖范围内的组织。",
)
def decision_stats(request: HttpRequest, filters: Query[StatsQuery]) -> dict[str, object]:
    user = current_user(request)
    today = timezone.localdate()
    within = org_for(user, filters.org) if filters.org is not None else None
    year = filters.year or today.year
    report = figures.report(user, year, today, within)
    rows = [
        {
            "org": row.org.pk,
            "name": row.org.name,
            "code": row.org.code,
            "completed_share": row.figures.completed_share,
            **asdict(row.figures),
        }
        for row in report.level(filters.level)
    ]
    return {"year": year, "level": filters.level, "notice_on_time_days": figures.NOTICE_ON_TIME_DAYS, "rows": rows}


@router.get(
    "/decisions/{int:decision_id}",
    response={200: DecisionDetailOut, **DETAIL_ERRORS},
    summary="事项详情",
    description="含各次会议（应到名单、表决情况、判定依据及条款）、公告、监委会异议、实施进展，以及现在可进行的步骤。",
)
def get_decision(request: HttpRequest, decision_id: int) -> Decision:
    return _detail_for(current_user(request), decision_id)


@router.post(
    "/decisions/{int:decision_id}/meetings",
    response={201: MeetingOut, **WRITE_ERRORS},
    summary="记录会议",
    description="记录某一步骤的会议并按会议日期施行的规则判定是否达到法定人数、是否通过；只有达到法定人数并通过的会议使事项进入下一步。"
    "不能跳步；实到人数不能超过应到人数，票数之和不能超过实到人数。",
)
def record_meeting(request: HttpRequest, decision_id: int, payload: MeetingIn) -> Status[Meeting]:
    user = current_user(request)
    meeting = services.meeting_record(actor=user, decision=_decision_for(user, decision_id), **payload.model_dump())
    return Status(201, _meeting(meeting))


MoveAction = Literal["start", "archive", "revise", "close"]


@router.post(
    "/decisions/{int:decision_id}/moves/{action}",
    response={200: DecisionOut, **WRITE_ERRORS},
    summary="事项流转",
    description="start 开始实施（决议公开期届满、异议均已答复后）；archive 归档（结果公开期届满后）；"
    "revise 未获通过的事项修改后重新提议；close 终止。",
)
def move_decision(request: HttpRequest, decision_id: int, action: Path[MoveAction]) -> Decision:
    user = current_user(request)
    services.decision_move(actor=user, decision=_decision_for(user, decision_id), action=action)
    return _decision_for(user, decision_id)


@router.post(
    "/decisions/{int:decision_id}/notices",
    response={201: NoticeOut, **WRITE_ERRORS},
    summary="发布公告",
    description="resolution 决议公开；result 实施结果公开（进度达100%且监委会异议均已答复后）。公开期不得少于规定天数；内容哈希记入审计账本。",
)
def publish_notice(request: HttpRequest, decision_id: int, payload: NoticeIn) -> Status[Notice]:
    user = current_user(request)
    notice = services.notice_publish(actor=user, decision=_decision_for(user, decision_id), **payload.model_dump())
    return Status(201, notice)


@router.post(
    "/decisions/{int:decision_id}/objections",
    response={201: ObjectionOut, **WRITE_ERRORS},
    summary="监委会提出异议",
    description="村务监督委员会在公开期内外均可提出；未答复的异议阻止实施和结果公开，答复期限默认10天。",
)
def raise_objection(request: HttpRequest, decision_id: int, payload: ObjectionIn) -> Status[Objection]:
    user = current_user(request)
    decision = _decision_for(user, decision_id)
    notice = None
    if payload.notice is not None:
        notice = decision.notices.filter(pk=payload.notice).first()
        if notice is None:
            raise ValidationError({"notice": ["公告不属于该事项。"]})
    return Status(201, services.objection_raise(actor=user, decision=decision, text=payload.text, notice=notice))


@router.post(
    "/decisions/{int:decision_id}/progress",
    response={201: ProgressOut, **WRITE_ERRORS},
    summary="登记实施进展",
    description="实施中的事项按日期登记完成进度；进度只能前进。",
)
def add_progress(request: HttpRequest, decision_id: int, payload: ProgressIn) -> Status[Progress]:
    user = current_user(request)
    entry = services.progress_add(actor=user, decision=_decision_for(user, decision_id), **payload.model_dump())
    return Status(201, entry)


@router.post(
    "/decisions/{int:decision_id}/town-review",
    response={200: DecisionOut, **WRITE_ERRORS},
    summary="镇街预审",
    description="须预审的事项经镇（街道）预审通过后，方可提交村民会议或村民代表会议表决。仅镇（街道）工作人员可操作。",
)
def review_decision(request: HttpRequest, decision_id: int, payload: ReviewIn) -> Decision:
    user = current_user(request)
    services.town_review(actor=user, decision=_decision_for(user, decision_id), note=payload.note)
    return _decision_for(user, decision_id)


@router.post(
    "/decisions/{int:decision_id}/file",
    response={200: DecisionOut, **WRITE_ERRORS},
    summary="镇街备案",
    description="形成决议后由镇（街道）备案。仅镇（街道）工作人员可操作。",
)
def file_decision(request: HttpRequest, decision_id: int) -> Decision:
    user = current_user(request)
    services.town_file(actor=user, decision=_decision_for(user, decision_id))
    return _decision_for(user, decision_id)


# ---- objections and meetings by id -----------------------------------------------------------


@router.post(
    "/objections/{int:objection_id}/answer",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="答复异议",
    description="村（社区）答复监委会异议；已答复的不能再次答复。",
)
def answer_objection(request: HttpRequest, objection_id: int, payload: AnswerIn) -> Objection:
    user = current_user(request)
    objection = get_for_user(Objection.objects.select_related("decision__village"), user, VIEW, "decision__village__path", pk=objection_id)
    return services.objection_answer(actor=user, objection=objection, answer=payload.answer)


@router.post(
    "/meetings/{int:meeting_id}/override",
    response={200: MeetingOut, **WRITE_ERRORS},
    summary="镇街认定会议有效",
    description="未达法定人数或未通过的会议，经镇（街道）核实后可认定有效并写明理由；记入审计账本。仅限事项最近一次会议。",
)
def override_meeting(request: HttpRequest, meeting_id: int, payload: OverrideIn) -> Meeting:
    user = current_user(request)
    meeting = get_for_user(Meeting.objects.select_related("decision__village"), user, VIEW, "decision__village__path", pk=meeting_id)
    return _meeting(services.meeting_override(actor=user, meeting=meeting, reason=payload.reason))
