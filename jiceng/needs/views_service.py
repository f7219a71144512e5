"""Pages of 双报到, points, feedback sheets and 民生微实事.

Staff pages fetch every object in the actor's scope (404 for another community) and write only through
the services (PermissionDenied → 403). Member pages (my report, my points) are mobile-first and act on
the member linked to the login (MemberAccount), never on a member named in the request.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user, scope
from jiceng.lib import fieldcrypto
from jiceng.lib.http import AuthedRequest
from jiceng.needs import access, feedback, microprojects, points, reporting, stats_service
from jiceng.needs.models_service import (
    REPORT_STATE_LABELS,
    PointEntry,
    PointRule,
    ProjectStatus,
    ServiceReport,
    UnitBasis,
    UnitReport,
)
from jiceng.orgs.models import BRANCH_KINDS, GRASSROOTS_KINDS, UNIT_KINDS, Member, Organization
from jiceng.orgs.selectors import district_path, district_paths

GET_POST = require_http_methods(["GET", "POST"])
YEARS_SHOWN = 4


def _may(user: Any, action: str, org: Organization | None = None) -> bool:
    return can(user, access.roles(action), org)


def _need(user: Any, action: str) -> None:
    if not _may(user, action):
        raise PermissionDenied


def _errors(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _date(raw: str | None, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return None


def _int(raw: str | None, default: int = 0) -> int:
    try:
        return int(raw or default)
    except ValueError:
        return default


def _decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw or "0")
    except InvalidOperation:
        return None


def _year(raw: str | None, current: int) -> int:
    year = _int(raw, current)
    return year if current - 50 <= year <= current else current


def _communities(user: Any, action: str) -> list[Organization]:
    qs = scope(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, access.roles(action), "path")
    return list(qs.order_by("path"))


def _community_for(user: Any, action: str, pk: str | int | None) -> Organization:
    if not str(pk or "").isdigit():
        raise Http404
    return get_for_user(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, access.roles(action), "path", pk=int(pk or 0))


# ---- member pages (mobile) ------------------------------------------------------------------


@login_required
@GET_POST
def my_report(request: AuthedRequest) -> HttpResponse:
    member = reporting.member_of(request.user)
    if member is None:
        raise PermissionDenied
    today = timezone.localdate()
    district = district_path(member.branch.path)
    in_district = Q(path__startswith=district) if district else Q(pk__in=[])
    places = Organization.objects.filter(in_district, kind__in=GRASSROOTS_KINDS, is_active=True).order_by("path")
    if request.method == "POST":
        try:
            community = places.get(pk=_int(request.POST.get("community")))
        except Organization.DoesNotExist:
            messages.error(request, "请选择报到的社区（村）。")
        else:
            try:
                report = reporting.report_self(user=request.user, community=community)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"已向{community.name}报到，有效期至{report.expires_on:%Y年%m月%d日}。")
                return redirect("needs:my_report")
    standing = reporting.standing(member, today)
    history = ServiceReport.objects.filter(member=member).select_related("community").order_by("-reported_on", "-pk")[:10]
    context = {
        "member": member,
        "standing": standing,
        "state_label": REPORT_STATE_LABELS.get(standing.state, "未报到"),
        "history": history,
        "places": places,
        "today": today,
    }
    return render(request, "needs/report_mine.html", context)


@login_required
@require_GET
def my_points(request: AuthedRequest) -> HttpResponse:
    member = reporting.member_of(request.user)
    if member is None:
        raise PermissionDenied
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    ledger = points.ledger(member, year)
    context = {
        "member": member,
        "year": year,
        "years": range(today.year, today.year - YEARS_SHOWN, -1),
        "ledger": ledger,
        "total": sum((e.entry.points for e in ledger), Decimal("0")),
        "hours": sum((e.entry.hours for e in ledger), Decimal("0")),
        "rules": PointRule.objects.filter(active=True, district__isnull=True).order_by("pk"),
    }
    return render(request, "needs/points_mine.html", context)


# ---- reporting members (staff) --------------------------------------------------------------


@login_required
@require_GET
def report_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "report.view")
    today = timezone.localdate()
    page = Paginator(reporting.reports_for_user(user, request.GET, today), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page.object_list:
        report.state_key = report.state(today)  # type: ignore[attr-defined]
        report.state_label = REPORT_STATE_LABELS[report.state_key]  # type: ignore[attr-defined]
    context = {
        "page": page,
        "today": today,
        "state": request.GET.get("state", ""),
        "states": [(s, REPORT_STATE_LABELS[s]) for s in reporting.STATES],
        "communities": _communities(user, "report.view"),
        "community": request.GET.get("community", ""),
        "q": request.GET.get("q", ""),
        "can_record": _may(user, "report.record"),
    }
    return render(request, "needs/report_list.html", context)


@login_required
@GET_POST
def report_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "report.record")
    communities = _communities(user, "report.record")
    if request.method == "POST":
        community = _community_for(user, "report.record", request.POST.get("community"))
        id_number = request.POST.get("id_number", "").strip().upper()
        member = Member.objects.filter(person__id_number_hash__in=fieldcrypto.lookup_hashes(id_number)).first() if id_number else None
        reported_on = _date(request.POST.get("reported_on"), timezone.localdate())
        if member is None:
            messages.error(request, "未找到该身份证号对应的党员，请核对。")
        elif reported_on is None:
            messages.error(request, "报到日期格式有误。")
        else:
            try:
                report = reporting.report_record(actor=user, member=member, community=community, reported_on=reported_on)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"已登记{member.person.name}向{community.name}报到，有效期至{report.expires_on}。")
                return redirect("needs:report_detail", pk=report.pk)
    return render(request, "needs/report_form.html", {"communities": communities, "today": timezone.localdate()})


@login_required
@require_GET
def report_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    report = reporting.report_for_user(request.user, pk)
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    member = report.member
    entries = PointEntry.objects.filter(member=member, community=report.community, year=year).select_related("rule").order_by("-on", "-pk")
    history = ServiceReport.objects.filter(member=member, community=report.community).order_by("-reported_on", "-pk")
    context = {
        "report": report,
        "state_label": REPORT_STATE_LABELS[report.state(today)],
        "entries": entries,
        "history": history,
        "year": year,
        "years": range(today.year, today.year - YEARS_SHOWN, -1),
        "cap_note": reporting.evaluation_cap(member, year),
    }
    return render(request, "needs/report_detail.html", context)


@login_required
@GET_POST
def unit_reports(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "report.view")
    if request.method == "POST":
        community = _community_for(user, "report.record", request.POST.get("community"))
        unit = Organization.objects.filter(kind__in=UNIT_KINDS, pk=_int(request.POST.get("unit"))).first()
        reported_on = _date(request.POST.get("reported_on"), timezone.localdate())
        if unit is None or reported_on is None:
            messages.error(request, "请选择单位并填写正确的报到日期。")
        else:
            try:
                reporting.unit_report_record(
                    actor=user,
                    unit=unit,
                    community=community,
                    basis=request.POST.get("basis", ""),
                    reported_on=reported_on,
                    contact=request.POST.get("contact", ""),
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"已登记{unit.name}向{community.name}报到。")
                return redirect("needs:unit_reports")
    reports = scope(UnitReport.objects.filter(ended_on__isnull=True), user, access.roles("report.view"), "community__path")
    communities = _communities(user, "report.record")
    in_districts = Q(pk__in=[])
    for path in {d for d in district_paths(c.path for c in communities).values() if d is not None}:
        in_districts |= Q(path__startswith=path)
    units = Organization.objects.filter(in_districts, kind__in=UNIT_KINDS).order_by("path")
    context = {
        "reports": reports.select_related("unit", "community").order_by("community__path", "unit__name"),
        "communities": communities,
        "units": units,
        "bases": UnitBasis.choices,
        "today": timezone.localdate(),
    }
    return render(request, "needs/report_units.html", context)


@login_required
@require_GET
def report_stats(request: AuthedRequest) -> HttpResponse:
    _need(request.user, "report.view")
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    figures = stats_service.report(request.user, year)
    levels = [
        (t, rows)
        for t, rows in (("全区", figures.districts), ("各镇（街道）", figures.towns), ("各社区（村）", figures.communities))
        if rows
    ]
    context = {"year": year, "years": range(today.year, today.year - 6, -1), "levels": levels}
    return render(request, "needs/report_stats.html", context)


# ---- points (staff) -------------------------------------------------------------------------


@login_required
@require_GET
def points_ranking(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "points.view")
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    roles = access.roles("points.view")
    branches = scope(Organization.objects.filter(kind__in=BRANCH_KINDS), user, roles, "path").order_by("path")
    communities = _communities(user, "points.view")
    ranked: list[points.Ranked] = []
    chosen: Organization | None = None
    if (pk := request.GET.get("branch", "")).isdigit():
        chosen = get_for_user(Organization.objects.filter(kind__in=BRANCH_KINDS), user, roles, "path", pk=int(pk))
        ranked = points.branch_ranking(chosen, year)
    elif (pk := request.GET.get("community", "")).isdigit():
        chosen = _community_for(user, "points.view", pk)
        ranked = points.community_ranking(chosen, year)
    context = {
        "year": year,
        "years": range(today.year, today.year - YEARS_SHOWN, -1),
        "branches": branches[:500],
        "communities": communities,
        "chosen": chosen,
        "ranked": ranked,
        "rules": PointRule.objects.filter(active=True).select_related("district").order_by("code", "pk"),
    }
    return render(request, "needs/points_ranking.html", context)


# ---- feedback sheets ------------------------------------------------------------------------


def _quarter(request: AuthedRequest) -> tuple[int, int]:
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    quarter = _int(request.GET.get("quarter"), feedback.quarter_of(today))
    return year, quarter if quarter in (1, 2, 3, 4) else feedback.quarter_of(today)


@login_required
@require_GET
def feedback_sheet(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "feedback.view")
    year, quarter = _quarter(request)
    units = feedback.units_for_user(user)
    unit = None
    rows: list[feedback.Row] = []
    if (pk := request.GET.get("unit", "")).isdigit():
        unit = feedback.unit_for_user(user, int(pk))
        rows = feedback.rows(unit, year, quarter)
        feedback.record_view(actor=user, unit=unit, year=year, quarter=quarter, count=len(rows))
    start, end = feedback.quarter_bounds(year, quarter)
    context = {
        "units": units[:500],
        "unit": unit,
        "rows": rows,
        "year": year,
        "quarter": quarter,
        "start": start,
        "end": end,
        "years": range(timezone.localdate().year, timezone.localdate().year - YEARS_SHOWN, -1),
    }
    return render(request, "needs/feedback_sheet.html", context)


@login_required
@require_GET
def feedback_xlsx(request: AuthedRequest, pk: int) -> FileResponse:
    user = request.user
    unit = feedback.unit_for_user(user, pk)
    year, quarter = _quarter(request)
    out = feedback.export(actor=user, unit=unit, year=year, quarter=quarter)
    return FileResponse(out.file, as_attachment=True, filename=out.filename)


# ---- micro-projects -------------------------------------------------------------------------


@login_required
@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "project.view")
    page = Paginator(microprojects.projects_for_user(user, request.GET), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": ProjectStatus.choices,
        "status": request.GET.get("status", ""),
        "communities": _communities(user, "project.view"),
        "community": request.GET.get("community", ""),
        "can_manage": _may(user, "project.manage"),
    }
    return render(request, "needs/project_list.html", context)


@login_required
@GET_POST
def project_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _need(user, "project.manage")
    if request.method == "POST":
        community = _community_for(user, "project.manage", request.POST.get("community"))
        budget = _decimal(request.POST.get("budget"))
        proposed_on = _date(request.POST.get("proposed_on"), timezone.localdate())
        if budget is None or proposed_on is None:
            messages.error(request, "预算或日期格式有误。")
        else:
            try:
                project = microprojects.project_propose(
                    actor=user,
                    community=community,
                    title=request.POST.get("title", ""),
                    budget=budget,
                    proposer=request.POST.get("proposer", ""),
                    proposed_on=proposed_on,
                    description=request.POST.get("description", ""),
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"已登记民生微实事“{project.title}”。")
                return redirect("needs:project_detail", pk=project.pk)
    context = {"communities": _communities(user, "project.manage"), "today": timezone.localdate(), "form": request.POST}
    return render(request, "needs/project_form.html", context)


@login_required
@require_GET
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    project = microprojects.project_for_user(request.user, pk)
    today = timezone.localdate()
    policy = reporting.policy_for(project.community)
    context = {
        "project": project,
        "today": today,
        "on_notice": project.on_notice(today),
        "progress": project.progress.order_by("month"),
        "transitions": project.transitions.select_related("actor").order_by("at", "pk"),
        "can_manage": _may(request.user, "project.manage", project.community),
        "policy": policy,
        "S": ProjectStatus,
    }
    return render(request, "needs/project_detail.html", context)


@login_required
@require_POST
def project_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    project = microprojects.project_for_user(user, pk)
    post = request.POST
    today = timezone.localdate()
    try:
        if action == "submit":
            microprojects.project_submit(actor=user, project=project, reason=post.get("reason", ""))
        elif action == "vote":
            held_on = _date(post.get("held_on"), today)
            if held_on is None:
                raise ValidationError("日期格式有误。")
            microprojects.project_vote(
                actor=user,
                project=project,
                held_on=held_on,
                members=_int(post.get("members")),
                present=_int(post.get("present")),
                votes_for=_int(post.get("votes_for")),
                votes_against=_int(post.get("votes_against")),
                notice_from=_date(post.get("notice_from")),
            )
        elif action == "start":
            started_on = _date(post.get("started_on"), today)
            if started_on is None:
                raise ValidationError("日期格式有误。")
            microprojects.project_start(actor=user, project=project, started_on=started_on)
        elif action == "progress":
            month = _date((post.get("month") or "") + "-01" if post.get("month") else None, today)
            spent = _decimal(post.get("spent"))
            if month is None or spent is None:
                raise ValidationError("月份或金额格式有误。")
            microprojects.progress_add(
                actor=user, project=project, month=month, percent=_int(post.get("percent"), -1), text=post.get("text", ""), spent=spent
            )
        elif action == "evaluate":
            evaluated_on = _date(post.get("evaluated_on"), today)
            if evaluated_on is None:
                raise ValidationError("日期格式有误。")
            microprojects.project_evaluate(
                actor=user, project=project, evaluated_on=evaluated_on, score=_int(post.get("score"), -1), text=post.get("text", "")
            )
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "已保存。")
    return redirect("needs:project_detail", pk=project.pk)
