"""The public portal: no login, public names and published notices only."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jiceng.decisions import notices
from jiceng.lib import throttle
from jiceng.orgs.models import GRASSROOTS_KINDS
from jiceng.portal import selectors
from jiceng.portal.paging import paginate

# Codes are 8 characters of 31 (about 8.5e11): 30 guesses a minute from one address find nothing.
LOOKUPS_PER_MINUTE = 30
HOME_NEWS = 5
PAST_NOTICES_PAGE = 10


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"towns": selectors.towns()})


@require_safe
def village(request: HttpRequest, code: str) -> HttpResponse:
    place = selectors.place(code)
    if place is None:
        return render(request, "portal/not_found.html", status=404)
    today = timezone.localdate()
    news = list(selectors.live_articles(place, timezone.now(), HOME_NEWS))
    if place.kind not in GRASSROOTS_KINDS:
        children = selectors.children(place)
        return render(request, "portal/org.html", {"place": place, "news": news, "children": children})
    current = selectors.current_notices(place, today)
    context = {
        "place": place,
        "town": notices.town_of(place),
        "current": current,
        # The past notices page on their own parameter, so the rest of the page stays put.
        "past": paginate(request, selectors.past_notices(place, today, current), PAST_NOTICES_PAGE, "past", "past"),
        "today": today,
        "news": news,
    }
    return render(request, "portal/village.html", context)


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("code")
    if typed is not None:
        code = notices.normalize_code(typed)
        if code:
            return redirect("portal:verify", code=code)
    return render(request, "portal/verify_form.html", {"typed": typed})


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    if not throttle.allow(request, "notice-verify", LOOKUPS_PER_MINUTE):
        response = render(request, "portal/throttled.html", status=429)
        response["Retry-After"] = "60"
        return response
    notice = notices.find(code)
    if notice is None:
        return render(request, "portal/verify.html", {"code": notices.normalize_code(code)[:20], "message": notices.NOT_FOUND}, status=404)
    today = timezone.localdate()
    context = {
        "code": notice.code,
        "notice": notice,
        "town": notices.town_of(notice.decision.village),
        "check": notices.check(notice, request.GET.get("h")),
        "state": notices.state(notice, today),
        "on_notice": notice.on_notice(today),
        "last_day": notices.last_day(notice),
        "issuer": notices.issuer(notice.decision.village),
    }
    return render(request, "portal/verify.html", context)
