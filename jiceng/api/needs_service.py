"""/api/v1/service-reports, /points, /micro-projects, /service-stats: 双报到, points and 民生微实事
(domain.md §7.1, §7.2, §7.5).

Writes go through jiceng.needs.reporting and jiceng.needs.microprojects, which check role, scope and
state; reads are scoped like the pages. The /me endpoints act on the member linked to the login.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from jiceng.accounts.access import can, get_for_user, scope
from jiceng.accounts.models import User
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, paginate
from jiceng.api.schemas import Input, PageQuery
from jiceng.lib import fieldcrypto
from jiceng.lib.listing import label
from jiceng.needs import access, microprojects, points, reporting, stats_service
from jiceng.needs.models_service import REPORT_STATE_LABELS, MicroProject, ProjectStatus, ServiceReport
from jiceng.orgs.models import BRANCH_KINDS, GRASSROOTS_KINDS, Member, Organization
from jiceng.orgs.selectors import district_path

router = Router(tags=["双报到与积分"])


# ---- schemas ---------------------------------------------------------------------------------


class ReportOut(Schema):
    id: int
    member: int
    member_name: str
    community: int
    community_name: str
    unit_name: str | None
    reported_on: date
    expires_on: date = Field(..., description="有效期至（含当日）")
    channel: str
    ended_on: date | None
    end_reason: str
    state: str = Field(..., description="active 有效 / due 即将到期 / lapsed 已过期 / ended 已终止")
    state_label: str

    @staticmethod
    def resolve_member(obj: ServiceReport) -> int:
        return obj.member_id

    @staticmethod
    def resolve_member_name(obj: ServiceReport) -> str:
        return obj.member.person.name

    @staticmethod
    def resolve_community(obj: ServiceReport) -> int:
        return obj.community_id

    @staticmethod
    def resolve_community_name(obj: ServiceReport) -> str:
        return obj.community.name

    @staticmethod
    def resolve_unit_name(obj: ServiceReport) -> str | None:
        return obj.unit.name if obj.unit_id and obj.unit else None

    @staticmethod
    def resolve_state(obj: ServiceReport) -> str:
        return obj.state(timezone.localdate())

    @staticmethod
    def resolve_state_label(obj: ServiceReport) -> str:
        return str(REPORT_STATE_LABELS[obj.state(timezone.localdate())])


class ReportPage(Schema):
    items: list[ReportOut]
    count: int
    page: int
    page_size: int


class ReportQuery(PageQuery):
    state: str = Field("", description="active / due / lapsed / ended；空为当前报到")
    community: int | None = None


class ReportIn(Input):
    community: int
    id_number: str = Field(..., description="党员身份证号（现场报到由社区代为登记）")
    reported_on: date


class SelfReportIn(Input):
    community: int = Field(..., description="居住地社区（村）id")


class EntryOut(Schema):
    id: int
    on: date
    rule: str
    rule_name: str
    rule_basis: str = Field(..., description="规则依据：为什么得这一分")
    points: Decimal
    hours: Decimal
    source_label: str
    source_url: str
    auto_confirmed: bool = Field(..., description="群众逾期未评价、系统自动确认")
    note: str


class MyPointsOut(Schema):
    year: int
    total: Decimal
    entries: list[EntryOut]


class RankedOut(Schema):
    rank: int
    member_id: int
    name: str
    branch: str
    total: Decimal
    hours: Decimal
    entries: int


class RankingQuery(Schema):
    year: int | None = None
    branch: int | None = None
    community: int | None = None


class ProjectOut(Schema):
    id: int
    community: int
    community_name: str
    title: str
    description: str
    budget: Decimal
    proposer: str
    status: ProjectStatus
    status_label: str
    proposed_on: date
    council_held_on: date | None
    council_members: int | None
    council_present: int | None
    votes_for: int | None
    votes_against: int | None
    council_passed: bool | None
    council_basis: str
    notice_from: date | None
    notice_days: int | None
    started_on: date | None
    evaluated_on: date | None
    evaluation_score: int | None
    evaluation_text: str

    @staticmethod
    def resolve_community(obj: MicroProject) -> int:
        return obj.community_id

    @staticmethod
    def resolve_community_name(obj: MicroProject) -> str:
        return obj.community.name

    @staticmethod
    def resolve_status_label(obj: MicroProject) -> str:
        return label(ProjectStatus, obj.status)


class ProjectPage(Schema):
    items: list[ProjectOut]
    count: int
    page: int
    page_size: int


class ProjectQuery(PageQuery):
    status: str = ""
    community: int | None = None


class ProjectIn(Input):
    community: int
    title: str
    budget: Decimal = Field(..., ge=0)
    proposer: str
    proposed_on: date
    description: str = ""


class SubmitIn(Input):
    reason: str = ""


class VoteIn(Input):
    held_on: date
    members: int = Field(..., ge=0)
    present: int = Field(..., ge=0)
    votes_for: int = Field(..., ge=0)
    votes_against: int = Field(0, ge=0)
    notice_from: date | None = None


class StartIn(Input):
    started_on: date


class ProgressIn(Input):
    month: date = Field(..., description="该月任一日期，按月记录")
    percent: int
    text: str
    spent: Decimal = Decimal("0")


class EvaluateIn(Input):
    evaluated_on: date
    score: int
    text: str


class StatsRowOut(Schema):
    org: int
    name: str
    level: str
    reporting: int
    served: int
    served_share: Decimal | None = Field(None, description="参与服务的报到党员比例（%）")
    projects_done: int
    projects_running: int


# ---- helpers ---------------------------------------------------------------------------------


def _community(user: User, action: str, pk: int) -> Organization:
    return get_for_user(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, access.roles(action), "path", pk=pk)


def _reports(user: User) -> QuerySet[ServiceReport]:
    return scope(ServiceReport.objects.all(), user, access.roles("report.view"), "community__path").select_related(
        "member__person", "community", "unit"
    )


def _me(user: User) -> Member:
    member = reporting.member_of(user)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息。")
    return member


def _project(user: User, pk: int) -> MicroProject:
    return microprojects.project_for_user(user, pk)


# ---- reports ---------------------------------------------------------------------------------


@router.get("/service-reports", response={200: ReportPage, **LIST_ERRORS}, summary="报到党员列表", description="本人管辖社区的党员报到。")
def list_reports(request: HttpRequest, filters: Query[ReportQuery]) -> dict[str, object]:
    user = current_user(request)
    params = {"state": filters.state, "community": str(filters.community or "")}
    return paginate(reporting.reports_for_user(user, params, timezone.localdate()), filters)


@router.post(
    "/service-reports", response={201: ReportOut, **WRITE_ERRORS}, summary="登记党员报到", description="社区代为登记；迁居的，原报到终止。"
)
def record_report(request: HttpRequest, payload: ReportIn) -> Status[ServiceReport]:
    user = current_user(request)
    community = _community(user, "report.record", payload.community)
    hashes = fieldcrypto.lookup_hashes(payload.id_number.strip().upper())
    member = Member.objects.filter(person__id_number_hash__in=hashes).first()
    if member is None:
        raise ValidationError({"id_number": "未找到该身份证号对应的党员。"})
    report = reporting.report_record(actor=user, member=member, community=community, reported_on=payload.reported_on)
    return Status(201, _reports(user).get(pk=report.pk))


@router.get("/service-reports/me", response={200: ReportOut | None, 401: DETAIL_ERRORS[401], 403: WRITE_ERRORS[403]}, summary="我的报到")
def my_report(request: HttpRequest) -> ServiceReport | None:
    member = _me(current_user(request))
    return (
        ServiceReport.objects.filter(member=member)
        .select_related("member__person", "community", "unit")
        .order_by("-reported_on", "-pk")
        .first()
    )


@router.post("/service-reports/me", response={201: ReportOut, **WRITE_ERRORS}, summary="党员线上报到")
def report_me(request: HttpRequest, payload: SelfReportIn) -> Status[ServiceReport]:
    user = current_user(request)
    member = _me(user)
    district = district_path(member.branch.path)
    places = Organization.objects.filter(kind__in=GRASSROOTS_KINDS, path__startswith=district) if district else Organization.objects.none()
    community = places.filter(pk=payload.community).first()
    if community is None:
        raise ValidationError({"community": "请选择本区的社区（村）。"})
    report = reporting.report_self(user=user, community=community)
    return Status(201, ServiceReport.objects.select_related("member__person", "community", "unit").get(pk=report.pk))


# ---- points ----------------------------------------------------------------------------------


@router.get("/points/me", response={200: MyPointsOut, 401: DETAIL_ERRORS[401], 403: WRITE_ERRORS[403]}, summary="我的积分及来历")
def my_points(request: HttpRequest, year: int | None = None) -> dict[str, object]:
    member = _me(current_user(request))
    year = year or timezone.localdate().year
    ledger = points.ledger(member, year)
    entries = [
        {
            "id": e.entry.pk,
            "on": e.entry.on,
            "rule": e.entry.rule.code,
            "rule_name": e.entry.rule.name,
            "rule_basis": e.entry.rule.basis,
            "points": e.entry.points,
            "hours": e.entry.hours,
            "source_label": e.entry.source_label,
            "source_url": e.url,
            "auto_confirmed": e.entry.auto_confirmed,
            "note": e.entry.note,
        }
        for e in ledger
    ]
    return {"year": year, "total": sum((e.entry.points for e in ledger), Decimal("0")), "entries": entries}


@router.get("/points/ranking", response={200: list[RankedOut], **WRITE_ERRORS}, summary="积分排名（按党支部或报到社区）")
def ranking(request: HttpRequest, filters: Query[RankingQuery]) -> list[points.Ranked]:
    user = current_user(request)
    if not can(user, access.roles("points.view"), None):
        raise PermissionDenied
    year = filters.year or timezone.localdate().year
    if filters.branch is not None:
        branch = get_for_user(
            Organization.objects.filter(kind__in=BRANCH_KINDS), user, access.roles("points.view"), "path", pk=filters.branch
        )
        return points.branch_ranking(branch, year)
    if filters.community is not None:
        return points.community_ranking(_community(user, "points.view", filters.community), year)
    raise ValidationError({"branch": "请指定党支部（branch）或社区（community）。"})


# ---- micro-projects --------------------------------------------------------------------------


@router.get("/micro-projects", response={200: ProjectPage, **LIST_ERRORS}, summary="民生微实事列表")
def list_projects(request: HttpRequest, filters: Query[ProjectQuery]) -> dict[str, object]:
    params = {"status": filters.status, "community": str(filters.community or "")}
    return paginate(microprojects.projects_for_user(current_user(request), params), filters)


@router.post("/micro-projects", response={201: ProjectOut, **WRITE_ERRORS}, summary="登记民生微实事提议")
def create_project(request: HttpRequest, payload: ProjectIn) -> Status[MicroProject]:
    user = current_user(request)
    community = _community(user, "project.manage", payload.community)
    project = microprojects.project_propose(
        actor=user,
        community=community,
        title=payload.title,
        budget=payload.budget,
        proposer=payload.proposer,
        proposed_on=payload.proposed_on,
        description=payload.description,
    )
    return Status(201, project)


@router.get("/micro-projects/{project_id}", response={200: ProjectOut, **DETAIL_ERRORS}, summary="民生微实事详情")
def get_project(request: HttpRequest, project_id: int) -> MicroProject:
    return _project(current_user(request), project_id)


@router.post("/micro-projects/{project_id}/submit", response={200: ProjectOut, **WRITE_ERRORS}, summary="初审通过，提交居民议事会")
def submit_project(request: HttpRequest, project_id: int, payload: SubmitIn) -> MicroProject:
    user = current_user(request)
    return microprojects.project_submit(actor=user, project=_project(user, project_id), reason=payload.reason)


@router.post("/micro-projects/{project_id}/vote", response={200: ProjectOut, **WRITE_ERRORS}, summary="记录居民议事会表决")
def vote_project(request: HttpRequest, project_id: int, payload: VoteIn) -> MicroProject:
    user = current_user(request)
    return microprojects.project_vote(actor=user, project=_project(user, project_id), **payload.model_dump())


@router.post("/micro-projects/{project_id}/start", response={200: ProjectOut, **WRITE_ERRORS}, summary="公示期满，开始实施")
def start_project(request: HttpRequest, project_id: int, payload: StartIn) -> MicroProject:
    user = current_user(request)
    return microprojects.project_start(actor=user, project=_project(user, project_id), started_on=payload.started_on)


@router.post("/micro-projects/{project_id}/progress", response={201: ProjectOut, **WRITE_ERRORS}, summary="填报月度进展")
def add_progress(request: HttpRequest, project_id: int, payload: ProgressIn) -> Status[MicroProject]:
    user = current_user(request)
    project = _project(user, project_id)
    microprojects.progress_add(actor=user, project=project, **payload.model_dump())
    return Status(201, _project(user, project_id))


@router.post("/micro-projects/{project_id}/evaluate", response={200: ProjectOut, **WRITE_ERRORS}, summary="总结评价")
def evaluate_project(request: HttpRequest, project_id: int, payload: EvaluateIn) -> MicroProject:
    user = current_user(request)
    return microprojects.project_evaluate(actor=user, project=_project(user, project_id), **payload.model_dump())


# ---- statistics ------------------------------------------------------------------------------


@router.get("/service-stats", response={200: list[StatsRowOut], **WRITE_ERRORS}, summary="双报到与微实事统计")
def service_stats(request: HttpRequest, year: int | None = None) -> list[dict[str, object]]:
    user = current_user(request)
    if not can(user, access.roles("report.view"), None):
        raise PermissionDenied
    figures = stats_service.report(user, year or timezone.localdate().year)
    out: list[dict[str, object]] = []
    for level, rows in (("district", figures.districts), ("town", figures.towns), ("community", figures.communities)):
        for row in rows:
            f = row.figures
            out.append(
                {
                    "org": row.org.pk,
                    "name": row.org.name,
                    "level": level,
                    "reporting": f.reporting,
                    "served": f.served,
                    "served_share": f.served_share,
                    "projects_done": f.projects_done,
                    "projects_running": f.projects_running,
                }
            )
    return out
