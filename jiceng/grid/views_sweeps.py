"""Pages of door-to-door sweeps (大排查) and temporary mobilization.

Staff start campaigns over their grids, keep the household roster (by hand or from Excel), watch
progress per grid, village and town, and export results; a grid worker records visits on a
phone-sized page. Every object is fetched in the user's scope (404 otherwise), every write goes
through the services (PermissionDenied → 403, ValidationError shown on the page).
"""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, scope
from jiceng.grid import access, mobilization, sweeps, sweeps_files
from jiceng.grid.models import CaseCategory, Grid
from jiceng.grid.models_sweeps import FINAL_OUTCOMES, FindingState, Household, QuestionKind, SweepCampaign, SweepVisit, VisitOutcome
from jiceng.lib.http import AuthedRequest
from jiceng.orgs.models import BRANCH_KINDS, Member, Organization, OrgKind

GET_POST = require_http_methods(["GET", "POST"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _errors(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _can(request: AuthedRequest, action: str) -> bool:
    return can(request.user, access.roles(action), None)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


# ---- campaigns --------------------------------------------------------------------------------


@login_required
@require_GET
def sweep_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not _can(request, "grid.view"):
        raise PermissionDenied
    today = timezone.localdate()
    campaigns = list(sweeps.campaigns_for_user(user).annotate(n_grids=Count("grids", distinct=True))[:200])
    for c in campaigns:
        c.status = c.status_label(today)  # type: ignore[attr-defined]
    villages = scope(Organization.objects.filter(grids__isnull=False).distinct(), user, access.roles("sweep.run"), "path").order_by("path")
    context = {
        "campaigns": campaigns,
        "can_run": _can(request, "sweep.run"),
        "can_mobilize": _can(request, "mobilize"),
        "villages": villages,
    }
    return render(request, "grid/sweep_list.html", context)


class CampaignForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("排查名称"), max_length=100)
    start_date = forms.DateField(label=gettext_lazy("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("结束日期"), widget=DateInput())
    rounds = forms.IntegerField(label=gettext_lazy("轮次"), min_value=1, max_value=sweeps.MAX_ROUNDS, initial=1)
    grids = forms.ModelMultipleChoiceField(
        label=gettext_lazy("排查网格"), queryset=Grid.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    questions = forms.CharField(
        label=gettext_lazy("排查问题"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("每行一个问题。“有无独居老人”为是/否题；“房屋用途：自住/出租/空置”为单选题；“文字：其他情况”为文字题。"),
    )

    def __init__(self, *args: Any, grids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grids"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = grids
        field.label_from_instance = lambda g: f"{g.village.name} · {g.name}（{g.code}）"  # type: ignore[method-assign, assignment]


@login_required
@GET_POST
def sweep_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not _can(request, "sweep.run"):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {"start_date": today, "end_date": today + timedelta(days=14), "rounds": 1}
    form = CampaignForm(request.POST or None, initial=initial, grids=sweeps.grids_for_user(user, "sweep.run").order_by("code"))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        grids = list(data["grids"])
        try:
            campaign = sweeps.campaign_create(
                actor=user,
                organization=sweeps.owner_for(user, grids),
                title=data["title"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                rounds=data["rounds"],
                grids=grids,
                questions=sweeps.parse_questions(data["questions"]),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已发起排查“%(title)s”，共 %(n)s 个网格。") % {"title": campaign.title, "n": len(grids)})
            return redirect("grid:sweep_detail", pk=campaign.pk)
    return render(request, "grid/sweep_form.html", {"form": form})


def _round(raw: str | None, campaign: SweepCampaign, default: int) -> int:
    try:
        value = int(raw or default)
    except ValueError:
        return default
    return value if 1 <= value <= campaign.rounds else default


def _latest_round(campaign: SweepCampaign) -> int:
    return campaign.visits.aggregate(r=Max("round"))["r"] or 1


@login_required
@require_GET
def sweep_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    campaign = sweeps.get_campaign_for_user(user, pk)
    round_no = _round(request.GET.get("round"), campaign, _latest_round(campaign))
    report = sweeps.progress(user, campaign, round_no)
    context: dict[str, Any] = {
        "campaign": campaign,
        "round": round_no,
        "rounds": range(1, campaign.rounds + 1),
        "report": report,
        "outcomes": VisitOutcome.choices,
        "status": campaign.status_label(timezone.localdate()),
    }
    context["visit_grids"] = set(sweeps.grids_for_user(user, "sweep.visit").filter(sweeps=campaign).values_list("pk", flat=True))
    if request.htmx:
        return render(request, "grid/_partials/sweep_progress.html", context)
    pending = (
        SweepVisit.objects.filter(
            campaign=campaign, finding_state=FindingState.PENDING, household__grid__in=[r.org.pk for r in report.grids]
        )
        .select_related("household__grid")
        .order_by("-visited_at")[:50]
    )
    context |= {
        "questions": list(campaign.questions.all()),
        "pending": list(pending),
        "categories": list(CaseCategory.objects.filter(is_active=True).order_by("sort", "pk")) if _can(request, "case.report") else [],
    }
    return render(request, "grid/sweep_detail.html", context)


@login_required
@require_GET
def sweep_export(request: AuthedRequest, pk: int) -> FileResponse:
    campaign = sweeps.get_campaign_for_user(request.user, pk)
    export = sweeps_files.export_results(actor=request.user, campaign=campaign)
    return FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=XLSX)


# ---- the grid worker's phone pages ------------------------------------------------------------


@login_required
@require_GET
def sweep_grid(request: AuthedRequest, pk: int, grid_pk: int) -> HttpResponse:
    user = request.user
    campaign = sweeps.get_campaign_for_user(user, pk)
    grid = sweeps.get_grid_for_user(user, grid_pk, "sweep.visit")
    if not campaign.grids.filter(pk=grid.pk).exists():
        raise Http404
    round_no = _round(request.GET.get("round"), campaign, 1)
    households = sweeps.grid_round_households(campaign, grid, round_no)
    done = sum(1 for _h, visit in households if visit is not None and visit.outcome in FINAL_OUTCOMES)
    context = {
        "campaign": campaign,
        "grid": grid,
        "round": round_no,
        "rounds": range(1, campaign.rounds + 1),
        "households": households,
        "done": done,
        "status": campaign.status_on(timezone.localdate()),
    }
    return render(request, "grid/sweep_grid.html", context)


@login_required
@GET_POST
def sweep_visit(request: AuthedRequest, pk: int, household_pk: int) -> HttpResponse:
    user = request.user
    campaign = sweeps.get_campaign_for_user(user, pk)
    household = sweeps.get_household_for_user(user, household_pk, "sweep.visit")
    if not campaign.grids.filter(pk=household.grid_id).exists():
        raise Http404
    round_no = _round(request.POST.get("round") or request.GET.get("round"), campaign, 1)
    questions = list(campaign.questions.all())
    visit = SweepVisit.objects.filter(campaign=campaign, household=household, round=round_no).first()
    if request.method == "POST":
        answers = {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            visit, created = sweeps.visit_record(
                actor=user,
                campaign=campaign,
                household=household,
                round=round_no,
                outcome=request.POST.get("outcome", ""),
                answers=answers,
                note=request.POST.get("note", ""),
                finding=request.POST.get("finding", ""),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            verb = _("已登记") if created else _("已更新")
            messages.success(
                request,
                _("%(verb)s %(address)s 第 %(round)s 轮：%(outcome)s。")
                % {"verb": verb, "address": household.address, "round": round_no, "outcome": visit.get_outcome_display()},
            )
            return redirect(reverse("grid:sweep_grid", args=[campaign.pk, household.grid_id]) + f"?round={round_no}")
    answers_now = visit.answers if visit else {}
    rows = [{"q": q, "value": request.POST.get(f"q{q.pk}", answers_now.get(str(q.pk), ""))} for q in questions]
    context = {
        "campaign": campaign,
        "household": household,
        "round": round_no,
        "visit": visit,
        "questions": rows,
        "outcomes": VisitOutcome.choices,
        "chosen": request.POST.get("outcome", visit.outcome if visit else ""),
        "finding": request.POST.get("finding", visit.finding if visit else ""),
        "note": request.POST.get("note", visit.note if visit else ""),
        "kinds": QuestionKind,
    }
    return render(request, "grid/sweep_visit.html", context)


@login_required
@require_POST
def sweep_visit_case(request: AuthedRequest, pk: int) -> HttpResponse:
    visit = sweeps.get_visit_for_user(request.user, pk)
    category = (
        CaseCategory.objects.filter(is_active=True, pk=request.POST.get("category", "")).first()
        if request.POST.get("category", "").isdigit()
        else None
    )
    try:
        if category is None:
            raise ValidationError("请选择事件类别。")
        visit = sweeps.finding_open_case(actor=request.user, visit=visit, category=category)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已将 %(address)s 的问题转为事件。") % {"address": visit.household.address})
    return redirect("grid:sweep_detail", pk=visit.campaign_id)


# ---- the household roster ---------------------------------------------------------------------


class HouseholdForm(forms.Form):
    grid = forms.ModelChoiceField(label=gettext_lazy("网格"), queryset=Grid.objects.none())
    address = forms.CharField(label=gettext_lazy("门牌地址"), max_length=200)
    head_name = forms.CharField(label=gettext_lazy("户主姓名"), max_length=50)
    members_count = forms.IntegerField(label=gettext_lazy("家庭人数"), min_value=0, max_value=99, initial=1)

    def __init__(self, *args: Any, grids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grid"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = grids


@login_required
@GET_POST
def households(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    village = sweeps.get_village_for_user(user, pk)
    grids = sweeps.grids_for_user(user).filter(village=village).order_by("code")
    can_change = can(user, access.roles("sweep.run"), village)
    form = HouseholdForm(request.POST or None, grids=grids)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                h = sweeps.household_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("已登记住户 %(address)s。") % {"address": h.address})
                return redirect(f"{request.path}?grid={h.grid_id}")
    counts = dict(Household.objects.filter(grid__in=grids).values_list("grid_id").annotate(n=Count("pk")).order_by())
    grid_rows = [{"grid": g, "households": counts.get(g.pk, 0)} for g in grids]
    chosen = next((g for g in grids if str(g.pk) == request.GET.get("grid", "")), None)
    roster = list(Household.objects.filter(grid=chosen).order_by("address", "pk")[:1000]) if chosen else []
    context = {"village": village, "grid_rows": grid_rows, "chosen": chosen, "roster": roster, "form": form, "can_change": can_change}
    return render(request, "grid/sweep_households.html", context)


@login_required
@require_POST
def households_import(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    village = sweeps.get_village_for_user(user, pk)
    upload = request.FILES.get("file")
    result = None
    if upload is None or upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("请选择不超过 5 MB 的 Excel 文件。"))
    else:
        try:
            result = sweeps_files.households_import(actor=user, village=village, file=upload)  # type: ignore[arg-type]
        except ValidationError as exc:
            _errors(request, exc)
        else:
            if result.ok:
                messages.success(
                    request,
                    _("已导入 %(rows)s 行：新增 %(c)s 户，更新 %(u)s 户。")
                    % {"rows": result.rows, "c": result.created, "u": result.updated},
                )
                return redirect("grid:sweep_households", pk=village.pk)
    return render(request, "grid/sweep_import_result.html", {"village": village, "result": result})


@login_required
@require_GET
def households_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(sweeps_files.households_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="households.xlsx"'
    return response


# ---- mobilization -----------------------------------------------------------------------------


def _date(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@login_required
@require_GET
def mobilization_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not _can(request, "grid.view"):
        raise PermissionDenied
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today.replace(month=1, day=1))
    end = _date(request.GET.get("end"), today)
    if end < start:
        start, end = end, start
    report = mobilization.mobilized_report(user, start, end)
    items = list(mobilization.mobilizations_for_user(user).annotate(n=Count("assignments"))[:100])
    context = {"report": report, "items": items, "today": today, "can_mobilize": _can(request, "mobilize")}
    return render(request, "grid/mobilization_list.html", context)


class MobilizationForm(forms.Form):
    purpose = forms.CharField(label=gettext_lazy("动员任务"), max_length=200, help_text=gettext_lazy("如：疫情防控入户排查"))
    start_date = forms.DateField(label=gettext_lazy("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("结束日期"), widget=DateInput())
    grid = forms.ModelChoiceField(label=gettext_lazy("动员到网格"), queryset=Grid.objects.none())
    branch = forms.ModelChoiceField(label=gettext_lazy("党员所在党组织"), queryset=Organization.objects.none())

    def __init__(self, *args: Any, grids: Any, branches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grid = self.fields["grid"]
        branch = self.fields["branch"]
        assert isinstance(grid, forms.ModelChoiceField) and isinstance(branch, forms.ModelChoiceField)
        grid.queryset = grids
        grid.label_from_instance = lambda g: f"{g.village.name} · {g.name}"  # type: ignore[method-assign, assignment]
        branch.queryset = branches


def _member_rows(user: Any, branch: Organization | None, start: date, end: date, chosen: set[str] | None) -> list[dict[str, Any]]:
    if branch is None:
        return []
    members = list(mobilization.members_for_user(user, branch)[:500])
    taken = mobilization.busy(members, start, end)
    return [
        {"member": m, "busy": taken.get(m.pk), "checked": (str(m.pk) in chosen) if chosen is not None else m.pk not in taken}
        for m in members
    ]


@login_required
@GET_POST
def mobilization_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not _can(request, "mobilize"):
        raise PermissionDenied
    today = timezone.localdate()
    roles = access.roles("mobilize")
    grids = sweeps.grids_for_user(user, "mobilize").order_by("code")
    branches = scope(
        Organization.objects.filter(kind__in=BRANCH_KINDS | {OrgKind.GENERAL_BRANCH, OrgKind.PARTY_COMMITTEE}), user, roles, "path"
    )
    data = request.POST if request.method == "POST" else (request.GET if request.htmx else None)
    form = MobilizationForm(
        data, grids=grids, branches=branches.order_by("path"), initial={"start_date": today, "end_date": today + timedelta(days=14)}
    )
    valid = form.is_bound and form.is_valid()
    cleaned = form.cleaned_data if valid else {}
    start, end = cleaned.get("start_date", today), cleaned.get("end_date", today)
    chosen = set(request.POST.getlist("members")) if request.method == "POST" else None
    rows = _member_rows(user, cleaned.get("branch") if valid else _branch(request, branches), start, end, chosen)
    if request.htmx and request.method == "GET":
        return render(request, "grid/_partials/mobilization_members.html", {"rows": rows})
    if request.method == "POST" and valid:
        ids = [int(i) for i in chosen or () if i.isdigit()]
        members = list(Member.objects.filter(pk__in=ids).select_related("person", "branch"))
        grid = cleaned["grid"]
        try:
            created = mobilization.mobilization_create(
                actor=user,
                organization=sweeps.owner_for(user, [grid], "mobilize"),
                purpose=cleaned["purpose"],
                start_date=start,
                end_date=end,
                assignments=[(m, grid) for m in members],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已动员 %(n)s 名党员到“%(grid)s”。") % {"n": len(members), "grid": grid.name})
            return redirect("grid:mobilization_detail", pk=created.pk)
    return render(request, "grid/mobilization_form.html", {"form": form, "rows": rows})


def _branch(request: AuthedRequest, branches: Any) -> Organization | None:
    raw = (request.POST or request.GET).get("branch", "")
    return branches.filter(pk=raw).first() if raw.isdigit() else None


@login_required
@require_GET
def mobilization_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    item = mobilization.get_mobilization_for_user(user, pk)
    assignments = list(mobilization.assignments_for_user(user, item))
    context = {"item": item, "assignments": assignments, "can_change": can(user, access.roles("mobilize"), item.organization)}
    return render(request, "grid/mobilization_detail.html", context)


@login_required
@require_GET
def grid_mobilized(request: AuthedRequest, pk: int) -> HttpResponse:
    """The fragment of members mobilized to a grid, for the grid page."""
    grid = sweeps.get_grid_for_user(request.user, pk)
    return render(
        request, "grid/_partials/mobilization_list.html", {"grid": grid, "mobilized": mobilization.for_grid(grid), "loaded": True}
    )
