"""Links for paged public lists: plain hrefs that work without JavaScript, over the shared capped pager.

Several lists can share one page (the village page pages its past notices with `?past=`), so each
pager has its own query parameter and may point its links at the list's anchor.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from jiceng.lib import paging


@dataclass
class Pager:
    page: paging.CappedPage[Any]
    param: str
    items: list[Any]
    prev_url: str
    next_url: str


def _url(request: HttpRequest, param: str, number: int, fragment: str) -> str:
    query = request.GET.copy()
    if number == 1:
        query.pop(param, None)
    else:
        query[param] = str(number)
    encoded = query.urlencode()
    return (f"?{encoded}" if encoded else request.path) + (f"#{fragment}" if fragment else "")


def paginate(request: HttpRequest, items: Any, per_page: int, param: str = "page", fragment: str = "") -> Pager:
    """The requested page of a queryset; a page number out of range or not a number gives the nearest page."""
    page = paging.paginate(items, request.GET.get(param), per_page)
    prev_url = _url(request, param, page.previous_page_number, fragment) if page.has_previous else ""
    next_url = _url(request, param, page.next_page_number, fragment) if page.has_next else ""
    return Pager(page, param, page.object_list, prev_url, next_url)
