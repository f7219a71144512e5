"""Staff pages of the 四议两公开 procedure: the decision list, a new decision, the decision page with
its timeline and the actions open now, the meeting forms with live quorum feedback, notices,
objections, progress, and the village's matter catalogue.

Every view fetches its object in the actor's scope (404 for another village), writes only through
services (PermissionDenied → 403), and shows a service's ValidationError on the form or as a message.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can
from jiceng.accounts.models import User
from jiceng.decisions import access, catalogue, files, forms, selectors, services, workflow
from jiceng.decisions.models import Classification, Decision, MatterCatalogue, MatterCategory, NoticeKind, Status
from jiceng.lib.http import AuthedRequest
from jiceng.lib.listing import choice_labels, pk_url
from jiceng.lib.paging import paginate
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.rules.engine import evaluate
from jiceng.rules.models import RuleSet

GET_POST = require_http_methods(["GET", "POST"])


def _can(user: User, action: str, village: Organization) -> bool:
    return can(user, access.roles(action), village)


def _require(user: User, action: str, village: Organization) -> None:
    if not _can(user, action, village):
        raise PermissionDenied


def _data(request: AuthedRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _files(request: AuthedRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _to_detail(decision: Decision) -> HttpResponse:
    return redirect("decisions:detail", pk=decision.pk)


def _error(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: AuthedRequest, form: forms.ServiceForm) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _url_or_empty(name: str, *args: Any) -> str:
    """A page another part of the project provides (the printable notice, the public check), if it is there yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# ---- list and create ------------------------------------------------------------------------


# The list's area filter; the same arguments route decisions:area_filter (urls.py).
AREA: dict[str, Any] = {"action_roles": access.roles("decision.view")}


def _catalogue_village(area: org_selectors.AreaFilter) -> Organization | None:
    """The village whose matter catalogue the list links to: the only one in scope, or the one chosen."""
    first = area.levels[0] if area.levels else None
    if first is not None and first.name == "village" and len(first.options) == 1:
        return first.options[0]
    return area.chosen if area.chosen is not None and area.chosen.kind in GRASSROOTS_KINDS else None


def _list_rows(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's cells, prepared once in Python: a label per status and classification from one
    dict (get_FOO_display rebuilt the choices on each call) and the link formatted into one
    reversed pattern. These were most of the list's time (docs/performance.md)."""
    detail_url = pk_url("decisions:detail")
    statuses, classifications = choice_labels(Status), choice_labels(Classification)
    return [
        {
            **d,
            "url": detail_url(d["pk"]),
            "status_label": statuses.get(d["status"], d["status"]),
            "ended": d["status"] in (Status.REJECTED, Status.CLOSED),
            "classification_label": classifications.get(d["classification"], d["classification"]),
            "procedure": d["classification"] == Classification.PROCEDURE,
            "created": d["created_on"].isoformat(),  # as |date:"Y-m-d"
        }
        for d in decisions
    ]


@login_required
@require_GET
def decision_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not can(user, access.roles("decision.view"), None):
        raise PermissionDenied
    area = org_selectors.area_filter(user, params=request.GET, **AREA)
    rows = area.apply(selectors.decisions_for_user(user, request.GET, by_village=False), "village")
    # counted on the rows alone: the joins of the shown columns would be counted too
    page = paginate(rows.values(*selectors.LIST_COLUMNS), request.GET.get("page"), settings.PAGE_SIZE, count_qs=rows, keys_qs=rows)
    this_year = timezone.localdate().year
    context = {
        "page": page,
        "rows": _list_rows(page.object_list),
        "filters": selectors.used_filters(request.GET),
        "statuses": Status.choices,
        "classifications": Classification.choices,
        "area": area,
        "area_url": reverse("decisions:area_filter"),
        "catalogue_village": _catalogue_village(area),
        "years": range(this_year, this_year - 6, -1),
        "can_create": can(user, access.roles("decision.change"), None),
    }
    template = "decisions/_partials/decision_rows.html" if request.htmx else "decisions/list.html"
    return render(request, template, context)


@login_required
@GET_POST
def decision_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not can(user, access.roles("decision.change"), None):
        raise PermissionDenied
    form = forms.DecisionForm(_data(request), user=user)
    if form.is_bound and form.is_valid():
        try:
            decision = services.decision_create(actor=user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("已登记“%(title)s”：%(classification)s。%(reason)s")
                % {
                    "title": decision.title,
                    "classification": decision.get_classification_display(),
                    "reason": decision.classification_reason,
                },
            )
            return _to_detail(decision)
    return render(request, "decisions/create.html", {"form": form, "title": _("登记事项")})


# ---- the decision page ----------------------------------------------------------------------


def _actions(user: User, decision: Decision, today: date) -> dict[str, Any]:
    """What this user may do on this decision now, from the step tables and the matrix."""
    village = decision.village
    change = _can(user, "decision.change", village)
    review = _can(user, "decision.review", village)
    steps = workflow.open_steps(decision, services.merge_allowed(decision)) if change else []
    moves = [m for m in workflow.open_moves(decision) if m.action in ("start", "archive", "revise", "close")] if change else []
    publish = [(m.action.removeprefix("publish_"), m.label) for m in workflow.open_moves(decision) if m.action.startswith("publish_")]
    latest = decision.meetings.order_by("-pk").first() if review else None
    overridable = None
    if latest is not None and not latest.advances:
        spec = workflow.step_named(decision, latest.step, merge_allowed=True)
        if spec is not None and spec.source == decision.status:
            overridable = latest
    past_resolution = decision.status not in (
        Status.DRAFT,
        Status.PROPOSED,
        Status.DELIBERATED,
        Status.PARTY_REVIEWED,
        Status.REJECTED,
        Status.CLOSED,
    )
    return {
        "can_change": change,
        "open_steps": steps,
        "open_moves": moves,
        "publish_moves": publish if change else [],
        "can_add_progress": change and decision.status == Status.IMPLEMENTING,
        "can_object": _can(user, "decision.object", village) and decision.status not in (Status.DRAFT, Status.CLOSED),
        "can_review": review,
        "can_town_review": review
        and decision.needs_town_review
        and decision.town_reviewed_on is None
        and decision.status not in (Status.CLOSED, Status.ARCHIVED),
        "can_town_file": review and decision.filed_on is None and past_resolution,
        "overridable": overridable,
    }


@login_required
@require_GET
def decision_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, pk)
    today = timezone.localdate()
    notices = list(decision.notices.order_by("published_on", "pk"))
    context = {
        "decision": decision,
        "today": today,
        "meetings": selectors.meeting_views(decision),
        "notices": [
            {
                "notice": n,
                "on_notice": n.on_notice(today),
                "pdf_url": _url_or_empty("decisions:notice_pdf", n.pk),
                "verify_url": _url_or_empty("portal:verify", n.code),
            }
            for n in notices
        ],
        "objections": selectors.objection_views(decision, today),
        "progress": list(decision.progress.select_related("recorded_by").order_by("on", "pk")),
        "objection_form": forms.ObjectionForm(notices=notices),
        "policy": services.policy_for(decision.village),
        **_actions(user, decision, today),
    }
    return render(request, "decisions/detail.html", context)


# ---- meetings -------------------------------------------------------------------------------


def _step(decision: Decision, action: str) -> workflow.Step:
    # Any step of the decision's table may be named; the service refuses one that is not open now.
    step = workflow.step_named(decision, action, merge_allowed=True)
    if step is None:
        raise Http404
    return step


def _verdict_context(form: forms.MeetingForm) -> dict[str, Any]:
    """The would-be verdict of the counts typed so far, computed exactly as on saving; nothing is written."""
    counts, against, abstain = form.live_counts()
    context: dict[str, Any] = {"form": form, "step": form.step, "counts": counts, "problems": [], "verdict": None, "findings": []}
    if form.roster is not None and not form.roster:
        context["problems"] = [_("登记系统中没有该会议的应到人员：请先在组织页登记党组织委员、村委会成员或党员。")]
        return context
    if counts.entitled == 0 and counts.present == 0 and counts.votes_for == 0:
        context["empty"] = True
        return context
    try:
        # the same count checks the service applies on saving
        services._check_counts(form.meeting_body, counts, against, abstain)
    except ValidationError as exc:
        context["problems"] = exc.messages
        return context
    verdict = evaluate(form.meeting_body, form.decision.village.code, form.meeting_date, counts)
    if verdict is None:
        context["problems"] = [_("本地区尚未配置该会议的法定人数与表决规则，请联系区委组织部。")]
        return context
    context["verdict"] = verdict
    context["rule_set"] = RuleSet.objects.filter(pk=verdict.rule_set_id).first()
    context["findings"] = selectors.describe_verdict(verdict)
    context["target_label"] = Status(form.step.target).label
    return context


@login_required
@GET_POST
def meeting_form(request: AuthedRequest, pk: int, step: str) -> HttpResponseBase:
    user = request.user
    decision = selectors.get_decision_for_user(user, pk)
    _require(user, "decision.change", decision.village)
    spec = _step(decision, step)
    today = timezone.localdate()
    form = forms.MeetingForm(
        _data(request),
        _files(request),
        decision=decision,
        step=spec,
        today=today,
        body=request.GET.get("body", ""),
        held_on=request.GET.get("held_on", ""),
        reload_url=request.path,
    )
    if request.htmx and request.method == "GET":
        # the body or the date changed: a new roster and a fresh verdict
        return render(request, "decisions/_partials/meeting_attendance.html", _verdict_context(form))
    if form.is_bound and form.is_valid():
        try:
            meeting = files.meeting_record_with_files(actor=user, decision=decision, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if meeting.advances:
                status = Status(spec.target).label
                messages.success(
                    request, _("已记录%(body)s，事项进入“%(status)s”。") % {"body": meeting.get_body_display(), "status": status}
                )
            elif not meeting.quorum_met:
                messages.error(request, _("已记录%(body)s：未达到法定人数，事项未推进。") % {"body": meeting.get_body_display()})
            else:
                messages.warning(request, _("已记录%(body)s：表决未通过。") % {"body": meeting.get_body_display()})
            return _to_detail(decision)
    is_open = spec in workflow.open_steps(decision, services.merge_allowed(decision))
    context = {"decision": decision, "is_open": is_open, **_verdict_context(form)}
    return render(request, "decisions/meeting_form.html", context)


@login_required
@require_POST
def meeting_check(request: AuthedRequest, pk: int, step: str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, pk)
    _require(user, "decision.change", decision.village)
    form = forms.MeetingForm(request.POST, decision=decision, step=_step(decision, step), today=timezone.localdate())
    return render(request, "decisions/_partials/verdict.html", _verdict_context(form))


@login_required
@require_POST
def meeting_override(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    try:
        services.meeting_override(actor=request.user, meeting=meeting, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已认定该次会议有效，事项继续办理。"))
    return _to_detail(meeting.decision)


@login_required
@require_POST
def meeting_files(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    meeting = selectors.get_meeting_for_user(user, pk)
    _require(user, "decision.change", meeting.decision.village)
    form = forms.MeetingFilesForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_detail(meeting.decision)
    for upload in form.cleaned_data["uploads"]:
        try:
            files.meeting_file_add(actor=user, meeting=meeting, kind=form.cleaned_data["kind"], upload=upload)
        except ValidationError as exc:
            _error(request, exc)
            break
    else:
        messages.success(request, _("已上传 %(n)s 个文件。") % {"n": len(form.cleaned_data["uploads"])})
    return _to_detail(meeting.decision)


@login_required
@require_GET
def meeting_file(request: AuthedRequest, pk: int) -> FileResponse:
    """Scans and photos are served only inside the scope, never from a public media URL."""
    stored = selectors.get_meeting_file_for_user(request.user, pk)
    return FileResponse(stored.file.open("rb"), filename=files.stored_name(stored))


@login_required
@require_GET
def progress_photo(request: AuthedRequest, pk: int) -> FileResponse:
    entry = selectors.get_progress_for_user(request.user, pk)
    if not entry.photo:
        raise Http404
    return FileResponse(entry.photo.open("rb"), filename=entry.photo.name.rsplit("/", 1)[-1])


# ---- moves, notices, progress ---------------------------------------------------------------


@login_required
@require_POST
def decision_move(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, pk)
    if action not in ("start", "archive", "revise", "close"):
        raise Http404
    try:
        decision = services.decision_move(actor=request.user, decision=decision, action=action)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已%(move)s。") % {"move": workflow.MOVES[action].label})
    return _to_detail(decision)


@login_required
@GET_POST
def notice_publish(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, pk)
    _require(user, "decision.change", decision.village)
    if kind not in NoticeKind.values:
        raise Http404
    today = timezone.localdate()
    form = forms.NoticeForm(_data(request), initial=forms.notice_initial(decision, kind, today))
    if form.is_bound and form.is_valid():
        try:
            notice = services.notice_publish(actor=user, decision=decision, kind=kind, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已公开“%(title)s”，核验码 %(code)s。") % {"title": notice.title, "code": notice.code})
            return _to_detail(decision)
    context = {
        "decision": decision,
        "form": form,
        "title": NoticeKind(kind).label,
        "min_days": services.policy_for(decision.village).notice_min_days,
    }
    return render(request, "decisions/notice_form.html", context)


@login_required
@GET_POST
def progress_add(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, pk)
    _require(user, "decision.change", decision.village)
    form = forms.ProgressForm(_data(request), _files(request), initial={"on": timezone.localdate()})
    if form.is_bound and form.is_valid():
        try:
            services.progress_add(actor=user, decision=decision, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已登记实施进展。"))
            return _to_detail(decision)
    return render(request, "decisions/progress_form.html", {"decision": decision, "form": form, "title": _("登记实施进展")})


# ---- objections, town review and filing -----------------------------------------------------


@login_required
@require_POST
def objection_raise(request: AuthedRequest, pk: int) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, pk)
    form = forms.ObjectionForm(request.POST, notices=list(decision.notices.all()))
    if not form.is_valid():
        messages.error(request, _("请填写异议内容。"))
        return _to_detail(decision)
    try:
        services.objection_raise(actor=request.user, decision=decision, text=form.cleaned_data["text"], notice=form.cleaned_data["notice"])
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已提出异议，村“两委”须在答复期限内答复。"))
    return _to_detail(decision)


@login_required
@require_POST
def objection_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    objection = selectors.get_objection_for_user(request.user, pk)
    try:
        services.objection_answer(actor=request.user, objection=objection, answer=request.POST.get("answer", ""))
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已答复异议。"))
    return _to_detail(objection.decision)


@login_required
@require_POST
def town_review(request: AuthedRequest, pk: int) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, pk)
    try:
        services.town_review(actor=request.user, decision=decision, note=request.POST.get("note", "").strip()[:300])
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已记录镇（街道）预审通过。"))
    return _to_detail(decision)


@login_required
@require_POST
def town_file(request: AuthedRequest, pk: int) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, pk)
    try:
        services.town_file(actor=request.user, decision=decision)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已记录镇（街道）备案。"))
    return _to_detail(decision)


# ---- the matter catalogue -------------------------------------------------------------------


def _to_catalogue(village: Organization) -> HttpResponse:
    return redirect("decisions:catalogue", pk=village.pk)


@login_required
@require_GET
def catalogue_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    village = selectors.get_village_for_user(user, pk)
    versions = list(
        village.matter_catalogues.select_related("filed_by")
        .prefetch_related(Prefetch("categories", queryset=MatterCategory.objects.order_by("group", "pk")))
        .order_by("-version")
    )
    current = next((v for v in versions if v.approved_on is not None), None)
    draft = next((v for v in versions if v.approved_on is None), None)
    context = {
        "village": village,
        "versions": versions,
        "current": current,
        "draft": draft,
        "can_change": _can(user, "catalogue.change", village),
        "can_file": _can(user, "catalogue.file", village),
        "category_form": forms.CategoryForm(),
        "approve_form": forms.ApproveForm(initial={"approved_on": timezone.localdate()}),
    }
    return render(request, "decisions/catalogue.html", context)


@login_required
@require_POST
def catalogue_draft(request: AuthedRequest, pk: int) -> HttpResponse:
    village = selectors.get_village_for_user(request.user, pk)
    try:
        draft = catalogue.catalogue_draft(actor=request.user, village=village)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已新建第 %(v)s 版草稿，沿用现行清单的全部事项。") % {"v": draft.version})
    return _to_catalogue(village)


def _catalogue(request: AuthedRequest, pk: int) -> MatterCatalogue:
    return selectors.get_catalogue_for_user(request.user, pk)


@login_required
@require_POST
def category_add(request: AuthedRequest, pk: int) -> HttpResponse:
    version = _catalogue(request, pk)
    form = forms.CategoryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_catalogue(version.village)
    try:
        category = catalogue.category_add(actor=request.user, catalogue=version, **form.cleaned_data)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已加入“%(name)s”。") % {"name": category.name})
    return _to_catalogue(version.village)


@login_required
@require_POST
def category_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    category = selectors.get_category_for_user(request.user, pk)
    try:
        catalogue.category_remove(actor=request.user, category=category)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已移除“%(name)s”。") % {"name": category.name})
    return _to_catalogue(category.catalogue.village)


@login_required
@require_POST
def catalogue_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    version = _catalogue(request, pk)
    form = forms.ApproveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_catalogue(version.village)
    try:
        catalogue.catalogue_approve(actor=request.user, catalogue=version, **form.cleaned_data)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已记录第 %(v)s 版清单表决通过；此后登记的事项按此版归类。") % {"v": version.version})
    return _to_catalogue(version.village)


@login_required
@require_POST
def catalogue_file(request: AuthedRequest, pk: int) -> HttpResponse:
    version = _catalogue(request, pk)
    try:
        catalogue.catalogue_file(actor=request.user, catalogue=version)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已记录第 %(v)s 版清单备案。") % {"v": version.version})
    return _to_catalogue(version.village)
