"""The statistics page of the 四议两公开 procedure: a table per level the user may see, by year."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiceng.accounts.access import can
from jiceng.decisions import access
from jiceng.decisions import stats as figures
from jiceng.lib.http import AuthedRequest

YEARS_SHOWN = 6  # the selector offers this year and the five before it
LEVEL_TITLES = (("district", "全区"), ("town", "各镇（街道）"), ("village", "各村（社区）"))


def _year(raw: str | None, current: int) -> int:
    try:
        year = int(raw or current)
    except ValueError:
        return current
    return year if current - 50 <= year <= current else current


def _chart(rows: list[figures.Row]) -> dict[str, list[object]]:
    """Data for the optional bar chart: decisions and matters per organization of the widest level shown."""
    return {
        "names": [row.org.name for row in rows],
        "decisions": [row.figures.decisions for row in rows],
        "matters": [row.figures.matters for row in rows],
    }


@login_required
@require_GET
def stats(request: AuthedRequest) -> HttpResponse:
    if not can(request.user, access.roles("decision.view"), None):
        raise PermissionDenied
    today = timezone.localdate()
    year = _year(request.GET.get("year"), today.year)
    report = figures.report(request.user, year, today)
    titles = dict(LEVEL_TITLES, district="全区" if len(report.districts) <= 1 else "各区（县）")  # a city's user: several
    levels = [(name, titles[name], report.level(name)) for name, _ in LEVEL_TITLES if report.level(name)]
    chart_rows = report.towns if len(report.towns) > 1 else report.villages
    context = {
        "year": year,
        "years": range(today.year, today.year - YEARS_SHOWN, -1),
        "levels": levels,
        "summary": report.districts[0].figures if len(report.districts) == 1 else None,
        "chart": _chart(chart_rows) if len(chart_rows) > 1 else None,
        "on_time_days": figures.NOTICE_ON_TIME_DAYS,
    }
    return render(request, "decisions/stats.html", context)
