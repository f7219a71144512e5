"""Staff and member pages of the needs loop.

Staff (community, town, district, grid workers): the vetting queue, a need with its actions
(reject, merge, list, dispatch, close), claims, confirmations, statistics, and filing a need on a
resident's behalf. Members and unit liaisons (mobile layout): the needs they can claim, claiming,
and their claims with withdraw / start / fulfil.

Every view fetches its object in the actor's scope (404 for another community), writes only through
services (PermissionDenied → 403) and shows a service's ValidationError as a message.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can
from jiceng.lib.http import AuthedRequest
from jiceng.lib.listing import choice_labels, pk_url
from jiceng.lib.paging import paginate
from jiceng.lib.throttle import client_address
from jiceng.needs import access, forms, selectors, services, stats, workflow
from jiceng.needs.models import Claim, ClaimStatus, NeedKind, NeedStatus
from jiceng.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
S = NeedStatus


def _can_any(request: AuthedRequest, action: str) -> bool:
    return can(request.user, access.roles(action), None)


def _error(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: AuthedRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    if _can_any(request, "need.view"):
        return queue(request)
    if _can_any(request, "need.claim"):
        return redirect("needs:my")
    raise PermissionDenied


# ---- staff -------------------------------------------------------------------------------------


QUEUE_PAGE_SIZE = 30
# The queue's area filter (active communities only); the same arguments route needs:area_filter (urls.py).
AREA: dict[str, Any] = {"action_roles": access.roles("need.view"), "village_param": "community", "active_only": True}


def _queue_rows(needs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queue's cells prepared once in Python: labels from one dict and one reversed link pattern
    instead of get_FOO_display and {% url %} per row (docs/performance.md)."""
    need_url = pk_url("needs:detail")
    kinds, statuses = choice_labels(NeedKind), choice_labels(S)
    return [
        {
            **n,
            "url": need_url(n["pk"]),
            "kind_label": kinds.get(n["kind"], n["kind"]),
            "status_label": statuses.get(n["status"], n["status"]),
            "places": f"{n['taken']}/{n['capacity']}" if n["listed_at"] or n["dispatched"] else "",
            "submitted": f"{timezone.localtime(n['submitted_at']):%Y-%m-%d %H:%M}",  # as |date:"Y-m-d H:i"
        }
        for n in needs
    ]


@login_required
@require_GET
def queue(request: AuthedRequest) -> HttpResponse:
    if not _can_any(request, "need.view"):
        raise PermissionDenied
    status = request.GET.get("status", "")
    if status and status not in S.values:
        status = ""
    area = org_selectors.area_filter(request.user, params=request.GET, **AREA)
    rows = area.apply(selectors.queue(request.user, status), "community")
    # counted without the places annotation, which only the shown rows need
    count_qs = area.apply(selectors.queue_rows(request.user, status), "community")
    page = paginate(rows.values(*selectors.QUEUE_COLUMNS), request.GET.get("page"), QUEUE_PAGE_SIZE, count_qs=count_qs, keys_qs=count_qs)
    context = {
        "page": page,
        "rows": _queue_rows(page.object_list),
        "statuses": S.choices,
        "filters": {"status": status},
        "area": area,
        "area_url": reverse("needs:area_filter"),
        "can_submit": _can_any(request, "need.submit_for"),
    }
    template = "needs/_partials/queue_rows.html" if request.htmx else "needs/queue.html"
    return render(request, template, context)


@login_required
@GET_POST
def need_new(request: AuthedRequest) -> HttpResponse:
    """A grid worker or community staff member files a need on a resident's behalf."""
    communities = list(selectors.communities_for_user(request.user, "need.submit_for"))
    if not communities:
        raise PermissionDenied
    chosen = request.GET.get("community") or request.POST.get("community") or ""
    community = next((c for c in communities if str(c.pk) == chosen), communities[0] if len(communities) == 1 else None)
    form = None
    if community is not None:
        form = forms.NeedForm(request.POST or None, request.FILES or None, community=community)
        form.fields["consent"].label = "居民已知悉《个人信息处理告知》并同意由我代为提交"
        if request.method == "POST" and form.is_valid():
            try:
                need = services.need_submit(
                    community=community,
                    data=form.need_input(),
                    actor=request.user,
                    photos=form.cleaned_data["photos"],
                    ip=client_address(request),
                )
            except ValidationError as exc:
                _error(request, exc)
            else:
                messages.success(request, f"已代为提交，查询码 {need.tracking_code}，请告知居民。")
                return redirect("needs:detail", pk=need.pk)
        elif request.method == "POST":
            _form_errors(request, form)
    return render(request, "needs/staff_form.html", {"communities": communities, "community": community, "form": form})


@login_required
@require_GET
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    need = selectors.get_need_for_user(request.user, pk)
    may_vet = can(request.user, access.roles("need.vet"), need.community)
    context = {
        "need": need,
        "claims": list(need.claims.all()),
        "photos": list(need.photos.all()),
        "may_vet": may_vet,
        "open": {a: workflow.allowed(need, a) for a in workflow.MOVES},
        "reject_form": forms.RejectForm(),
        "merge_form": forms.MergeForm(need=need) if may_vet else None,
        "list_form": forms.ListForm(initial={"capacity": need.capacity, "points": need.points or 2, "public_title": need.public_title}),
        "dispatch_form": forms.DispatchForm(need=need) if may_vet else None,
        "close_form": forms.CloseForm(),
        "board_url": reverse("needs_public:board", args=[need.community.code]),
    }
    return render(request, "needs/detail.html", context)


def _vet_action(request: AuthedRequest, pk: int, form_class: Any, act: Any, **form_kwargs: Any) -> HttpResponse:
    need = selectors.get_need_for_user(request.user, pk)
    if not can(request.user, access.roles("need.vet"), need.community):
        raise PermissionDenied
    kwargs = {"need": need} if form_kwargs.get("with_need") else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            act(need, form.cleaned_data)
            messages.success(request, "已保存。")
        except ValidationError as exc:
            _error(request, exc)
    else:
        _form_errors(request, form)
    return redirect("needs:detail", pk=need.pk)


@login_required
@require_POST
def reject(request: AuthedRequest, pk: int) -> HttpResponse:
    return _vet_action(request, pk, forms.RejectForm, lambda n, d: services.need_reject(actor=request.user, need=n, reason=d["reason"]))


@login_required
@require_POST
def merge(request: AuthedRequest, pk: int) -> HttpResponse:
    return _vet_action(
        request, pk, forms.MergeForm, lambda n, d: services.need_merge(actor=request.user, need=n, into=d["into"]), with_need=True
    )


@login_required
@require_POST
def list_need(request: AuthedRequest, pk: int) -> HttpResponse:
    return _vet_action(request, pk, forms.ListForm, lambda n, d: services.need_list(actor=request.user, need=n, **d))


@login_required
@require_POST
def dispatch(request: AuthedRequest, pk: int) -> HttpResponse:
    return _vet_action(
        request,
        pk,
        forms.DispatchForm,
        lambda n, d: services.need_dispatch(
            actor=request.user, need=n, unit=d["unit"], member=d["member"], due_on=d["due_on"], points=d["points"]
        ),
        with_need=True,
    )


@login_required
@require_POST
def close(request: AuthedRequest, pk: int) -> HttpResponse:
    return _vet_action(request, pk, forms.CloseForm, lambda n, d: services.need_close(actor=request.user, need=n, reason=d["reason"]))


@login_required
@require_GET
def claims(request: AuthedRequest) -> HttpResponse:
    if not _can_any(request, "need.view"):
        raise PermissionDenied
    which = request.GET.get("status", "")
    statuses = (which,) if which in ClaimStatus.values else ()
    page = Paginator(selectors.claims_for_user(request.user, statuses), 30).get_page(request.GET.get("page"))
    return render(request, "needs/claims.html", {"page": page, "statuses": ClaimStatus.choices, "status": which})


@login_required
@require_GET
def stats_page(request: AuthedRequest) -> HttpResponse:
    if not _can_any(request, "need.view"):
        raise PermissionDenied
    level = request.GET.get("level", "community")
    if level not in stats.LEVELS:
        level = "community"
    year = request.GET.get("year", "")
    rows, total = stats.figures(request.user, level, int(year) if year.isdigit() else None)
    return render(request, "needs/stats.html", {"rows": rows, "total": total, "level": level, "year": year, "levels": stats.LEVELS})


# ---- members and unit liaisons ---------------------------------------------------------------------


@login_required
@require_GET
def my(request: AuthedRequest) -> HttpResponse:
    if not _can_any(request, "need.claim"):
        raise PermissionDenied
    today = timezone.localdate()
    context = {
        "claimers": selectors.my_claimers(request.user),
        "claims": list(selectors.my_claims(request.user)[:50]),
        "claimable": list(selectors.claimable(request.user, today)[:50]),
        "points_url": _url_or_empty("needs:my_points"),
    }
    return render(request, "needs/my.html", context)


@login_required
@GET_POST
def claim(request: AuthedRequest, pk: int) -> HttpResponse:
    if not _can_any(request, "need.claim"):
        raise PermissionDenied
    need = selectors.public_need(pk)
    if need is None:
        raise Http404
    claimers = selectors.my_claimers(request.user)
    if request.method == "POST":
        unit_id = request.POST.get("unit", "")
        unit = next((c.unit for c in claimers if c.unit and str(c.unit.pk) == unit_id), None)
        try:
            made = services.need_claim(actor=request.user, need=need, unit=unit)
        except ValidationError as exc:
            _error(request, exc)
            need = selectors.public_need(pk) or need
        else:
            messages.success(request, "认领成功，请按期完成服务。")
            return redirect("needs:claim_detail", pk=made.pk)
    return render(request, "needs/claim.html", {"need": need, "claimers": claimers})


@login_required
@require_GET
def claim_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    the_claim = selectors.claim_for_user(request.user, pk)
    mine = selectors.my_claims(request.user).filter(pk=pk).exists()
    context = {
        "claim": the_claim,
        "need": the_claim.need,
        "mine": mine,
        "fulfil_form": forms.FulfilForm(initial={"fulfilled_on": timezone.localdate()}),
        "photos": list(the_claim.photos.all()),
    }
    return render(request, "needs/claim_detail.html", context)


def _my_claim(request: AuthedRequest, pk: int) -> Claim:
    found = selectors.my_claims(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def claim_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    the_claim = _my_claim(request, pk)
    try:
        services.claim_withdraw(actor=request.user, claim=the_claim)
        messages.success(request, "已撤回认领，名额已退回需求清单。")
    except ValidationError as exc:
        _error(request, exc)
    return redirect("needs:claim_detail", pk=pk)


@login_required
@require_POST
def claim_start(request: AuthedRequest, pk: int) -> HttpResponse:
    the_claim = _my_claim(request, pk)
    try:
        services.claim_start(actor=request.user, claim=the_claim)
        messages.success(request, "已开始服务。")
    except ValidationError as exc:
        _error(request, exc)
    return redirect("needs:claim_detail", pk=pk)


@login_required
@require_POST
def claim_fulfil(request: AuthedRequest, pk: int) -> HttpResponse:
    the_claim = _my_claim(request, pk)
    form = forms.FulfilForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.claim_fulfil(
                actor=request.user, claim=the_claim, fulfilled_on=d["fulfilled_on"], hours=d["hours"], note=d["note"], photos=d["photos"]
            )
            messages.success(request, "已登记履约，等待群众确认。")
        except ValidationError as exc:
            _error(request, exc)
    else:
        _form_errors(request, form)
    return redirect("needs:claim_detail", pk=pk)


@login_required
@require_GET
def photo(request: AuthedRequest, pk: int) -> FileResponse:
    """Residents' and evidence photos are served only inside the scope, never from a public media URL."""
    stored = selectors.get_photo_for_user(request.user, pk)
    return FileResponse(stored.file.open("rb"))
