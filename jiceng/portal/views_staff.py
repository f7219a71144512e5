"""Staff side of the portal: news, comment moderation, disclosures and their rhythm, consultations.

Every object is fetched through the scope of the user's grants: another village's article,
comment or question is a 404, the same as one that does not exist.
"""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.accounts.access import can, get_for_user, scope
from jiceng.lib.http import AuthedRequest
from jiceng.lib.paging import paginate
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.portal import access, rhythm, selectors, services
from jiceng.portal.forms import ArticleForm, DisclosureForm, add_errors
from jiceng.portal.models import Article, ArticleStatus, Comment, CommentStatus, Consultation, Disclosure

GET_POST = require_http_methods(["GET", "POST"])
STAFF_PAGE = 30


def _orgs(request: AuthedRequest, action: str, grassroots: bool = False):  # type: ignore[no-untyped-def]
    kinds = GRASSROOTS_KINDS if grassroots else selectors.PORTAL_KINDS
    qs = Organization.objects.filter(is_active=True, kind__in=kinds).order_by("path")
    return scope(qs, request.user, access.roles(action), "path")


def _require_any(request: AuthedRequest, action: str) -> None:
    if not can(request.user, access.roles(action), None):
        raise PermissionDenied


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "news.manage")
    user = request.user
    articles = scope(Article.objects.select_related("organization"), user, access.roles("news.manage"), "organization__path")
    pending = scope(
        Comment.objects.filter(status=CommentStatus.PENDING), user, access.roles("comment.moderate"), "article__organization__path"
    ).count()
    open_questions = scope(Consultation.objects.filter(answer=""), user, access.roles("consultation.answer"), "organization__path").count()
    context = {
        "articles": paginate(articles, request.GET.get("page"), STAFF_PAGE),
        "pending": pending,
        "open_questions": open_questions,
        "now": timezone.now(),
    }
    return render(request, "portal/staff/index.html", context)


@login_required
@GET_POST
def article_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_any(request, "news.manage")
    roles = access.roles("news.manage")
    item = get_for_user(Article.objects.all(), request.user, roles, "organization__path", pk=pk) if pk else None
    orgs = _orgs(request, "news.manage")
    initial = {"organization": item.organization, "category": item.category, "title": item.title, "body": item.body} if item else {}
    form = ArticleForm(request.POST or None, request.FILES or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item = services.article_save(
                actor=request.user,
                organization=d["organization"],
                title=d["title"],
                body=d["body"],
                category=d["category"],
                cover=d["cover"] or None,
                article=item,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("portal_staff:article_edit", pk=item.pk)
    return render(request, "portal/staff/article_form.html", {"form": form, "item": item, "statuses": ArticleStatus})


@login_required
@require_POST
def article_status(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_for_user(
        Article.objects.select_related("organization"), request.user, access.roles("news.manage"), "organization__path", pk=pk
    )
    publish_at = None
    if raw := request.POST.get("publish_at"):
        try:
            publish_at = timezone.make_aware(datetime.fromisoformat(raw))
        except ValueError:
            messages.error(request, "定时发布的时间格式不正确。")
            return redirect("portal_staff:article_edit", pk=pk)
    try:
        services.article_set_status(actor=request.user, article=item, status=request.POST.get("status", ""), publish_at=publish_at)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"状态已改为“{item.get_status_display()}”。")
    return redirect("portal_staff:article_edit", pk=pk)


@login_required
@require_GET
def comments(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "comment.moderate")
    qs = scope(
        Comment.objects.select_related("article").prefetch_related("replies"),
        request.user,
        access.roles("comment.moderate"),
        "article__organization__path",
    )
    status = request.GET.get("status", CommentStatus.PENDING)
    if status in CommentStatus.values:
        qs = qs.filter(status=status)
    context = {"comments": paginate(qs, request.GET.get("page"), STAFF_PAGE), "status": status, "statuses": CommentStatus.choices}
    return render(request, "portal/staff/comments.html", context)


def _comment(request: AuthedRequest, pk: int) -> Comment:
    return get_for_user(
        Comment.objects.select_related("article__organization"),
        request.user,
        access.roles("comment.moderate"),
        "article__organization__path",
        pk=pk,
    )


@login_required
@require_POST
def comment_moderate(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.comment_moderate(actor=request.user, comment=comment, approve=approve, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal_staff:comments")
    messages.success(request, "已审核，并已短信告知评论人。")
    # Approved comments are where a reply is written next.
    return redirect(f"{reverse('portal_staff:comments')}?status=approved" if approve else reverse("portal_staff:comments"))


@login_required
@require_POST
def comment_reply(request: AuthedRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    try:
        services.comment_reply(actor=request.user, comment=comment, body=request.POST.get("body", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "已回复。")
    return redirect(f"{reverse('portal_staff:comments')}?status=approved")


@login_required
@GET_POST
def disclosures(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "disclosure.manage")
    villages = _orgs(request, "disclosure.manage", grassroots=True)
    form = DisclosureForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.disclosure_publish(
                actor=request.user,
                village=d["village"],
                domain=d["domain"],
                category=d["category"],
                title=d["title"],
                body=d["body"],
                period_start=d["period_start"],
                period_end=d["period_end"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "已公开。")
            return redirect("portal_staff:disclosures")
    items = scope(Disclosure.objects.select_related("village"), request.user, access.roles("disclosure.manage"), "village__path")
    return render(request, "portal/staff/disclosures.html", {"form": form, "items": paginate(items, request.GET.get("page"), STAFF_PAGE)})


@login_required
@require_GET
def disclosure_rhythm(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "disclosure.rhythm")
    villages = list(_orgs(request, "disclosure.rhythm", grassroots=True).only("name", "code", "path"))
    today = timezone.localdate()
    context = {
        "misses": rhythm.check(villages, today),
        "checked": len(villages),
        "general_days": rhythm.GENERAL_EVERY_DAYS,
        "major_days": rhythm.MAJOR_WITHIN_DAYS,
    }
    return render(request, "portal/staff/rhythm.html", context)


@login_required
@require_GET
def consultations(request: AuthedRequest) -> HttpResponse:
    _require_any(request, "consultation.answer")
    qs = scope(Consultation.objects.select_related("organization"), request.user, access.roles("consultation.answer"), "organization__path")
    return render(request, "portal/staff/consultations.html", {"items": paginate(qs, request.GET.get("page"), STAFF_PAGE)})


@login_required
@require_POST
def consultation_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_for_user(
        Consultation.objects.select_related("organization"), request.user, access.roles("consultation.answer"), "organization__path", pk=pk
    )
    try:
        services.consultation_answer(
            actor=request.user, item=item, answer=request.POST.get("answer", ""), publish=bool(request.POST.get("publish"))
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "已答复，并已短信告知咨询人。")
    return redirect("portal_staff:consultations")
