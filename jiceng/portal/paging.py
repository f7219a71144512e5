"""Paging of public lists: plain links (no JavaScript), one COUNT and one page query per list."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass
class Pager:
    page: Page[Any]
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
    page = Paginator(items, per_page).get_page(request.GET.get(param))
    prev_url = _url(request, param, page.previous_page_number(), fragment) if page.has_previous() else ""
    next_url = _url(request, param, page.next_page_number(), fragment) if page.has_next() else ""
    return Pager(page, param, list(page.object_list), prev_url, next_url)
