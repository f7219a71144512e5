"""Public pages of news, disclosures and consultation: no login, nothing personal shown."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from jiceng.lib import throttle
from jiceng.orgs.models import GRASSROOTS_KINDS
from jiceng.portal import selectors, services
from jiceng.portal.forms import CommentForm, ConsultForm, add_errors
from jiceng.portal.models import Article, DisclosureDomain, live_q
from jiceng.portal.paging import paginate

GET_POST = require_http_methods(["GET", "POST"])
FORM_POSTS_PER_MINUTE = 10
PAGE = 20
ANSWERS_PAGE = 10


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", status=404)


def _throttled(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/throttled.html", status=429)
    response["Retry-After"] = "60"
    return response


@require_safe
def news_list(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.place(code)
    if org is None:
        return _not_found(request)
    pager = paginate(request, selectors.live_articles(org, timezone.now()), PAGE)
    return render(request, "portal/news_list.html", {"org": org, "pager": pager})


@GET_POST
def article(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.live_article(pk, timezone.now())
    if item is None:
        return _not_found(request)
    form = CommentForm()
    notice = ""
    if request.method == "POST":
        if not throttle.allow(request, "portal-comment", FORM_POSTS_PER_MINUTE):
            return _throttled(request)
        if request.POST.get("action") == "send_code":
            form = CommentForm(initial=request.POST.dict())
            try:
                services.send_code(phone=request.POST.get("phone", ""), purpose=services.COMMENT_PURPOSE)
                notice = "验证码已发送，请查收短信。"
            except ValidationError as exc:
                notice = " ".join(exc.messages)
        else:
            form = CommentForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    services.comment_submit(article=item, phone=d["phone"], code=d["code"], body=d["body"], nickname=d["nickname"])
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    return redirect(f"{request.path}?submitted=1#comments")
    else:
        services.count_view(article=item, ip=throttle.client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])
        item.refresh_from_db(fields=["view_count"])
    context = {
        "article": item,
        "comments": selectors.approved_comments(item),
        "form": form,
        "notice": notice,
        "submitted": request.GET.get("submitted") == "1",
    }
    return render(request, "portal/article.html", context)


@require_safe
def image(request: HttpRequest, pk: int) -> FileResponse:
    item = Article.objects.filter(live_q(timezone.now()), pk=pk).exclude(cover="").only("cover").first()
    if item is None:
        raise Http404
    response = FileResponse(item.cover.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def disclosures(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.place(code)
    if village is None or village.kind not in GRASSROOTS_KINDS:
        return _not_found(request)
    domain = request.GET.get("domain")
    domain = domain if domain in DisclosureDomain.values else None
    pager = paginate(request, selectors.disclosures(village, timezone.localdate(), domain), PAGE)
    return render(
        request, "portal/disclosures.html", {"place": village, "pager": pager, "domain": domain, "domains": DisclosureDomain.choices}
    )


@GET_POST
def consult(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.place(code)
    if org is None:
        return _not_found(request)
    form = ConsultForm()
    notice = ""
    if request.method == "POST":
        if not throttle.allow(request, "portal-consult", FORM_POSTS_PER_MINUTE):
            return _throttled(request)
        if request.POST.get("action") == "send_code":
            form = ConsultForm(initial=request.POST.dict())
            try:
                services.send_code(phone=request.POST.get("phone", ""), purpose=services.CONSULT_PURPOSE)
                notice = "验证码已发送，请查收短信。"
            except ValidationError as exc:
                notice = " ".join(exc.messages)
        else:
            form = ConsultForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    services.consultation_submit(organization=org, phone=d["phone"], code=d["code"], question=d["question"])
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    return redirect(f"{request.path}?submitted=1")
    context = {
        "org": org,
        "form": form,
        "notice": notice,
        "submitted": request.GET.get("submitted") == "1",
        "answers": paginate(request, selectors.public_answers(org), ANSWERS_PAGE),
    }
    return render(request, "portal/consult.html", context)
