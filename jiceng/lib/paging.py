"""Pagination whose cost does not grow with the data: one page query and, at most, one capped count.

Django's Paginator counts every row in scope (`SELECT COUNT(*)` over a join of millions of rows at
province scale) before it shows page 1. Here the page query fetches one row more than the page to
know whether a next page exists, and the total is counted only up to COUNT_CAP rows through a
LIMITed subquery; beyond the cap the page says "超过 1,000 条" instead of an exact number.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

T = TypeVar("T")

COUNT_CAP = 1_000  # at province scale counting 10,001 rows of a district took 250-370 ms; 1,001 takes 30-70 ms


@dataclass(frozen=True)
class CappedPage(Generic[T]):
    """One page of rows and what the pager needs; iterating it gives the rows."""

    object_list: list[T]
    number: int
    page_size: int
    has_next: bool
    count: int  # exact when not capped, else COUNT_CAP
    capped: bool

    def __iter__(self) -> Iterator[T]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        """The number of pages, or None when the total is capped and so unknown."""
        if self.capped:
            return None
        return max(1, -(-self.count // self.page_size))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.object_list else 0

    @property
    def lower_bound(self) -> int:
        """A count that is exact under the cap and, above it, at least one more than the rows up to this page."""
        seen = (self.number - 1) * self.page_size + len(self.object_list)
        return max(self.count, seen + 1 if self.has_next else seen)


def page_number(raw: Any) -> int:
    """The requested page; anything that is not a positive integer is page 1."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def capped_count(qs: QuerySet[Any], cap: int | None = None) -> int:
    """COUNT(*) over at most cap + 1 rows (COUNT_CAP by default): `SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)`."""
    limit = (COUNT_CAP if cap is None else cap) + 1
    return qs.order_by().values("pk")[:limit].count()


def paginate(
    qs: QuerySet[Any], raw_number: Any, page_size: int, count_qs: QuerySet[Any] | None = None, keys_qs: QuerySet[Any] | None = None
) -> CappedPage[Any]:
    """The page numbered raw_number of qs. count_qs, if given, counts the same rows more cheaply
    (without annotations or joins that only the page needs). keys_qs, if given, is the same rows in
    the same order with nothing the page shows: the page's keys are picked from it first (see
    page_of_keys). A page past the end falls back to the last page when the total is known;
    otherwise it is shown empty with a link back."""
    number = page_number(raw_number)
    rows, has_next = _rows(qs, number, page_size, keys_qs)
    # counted even when page 1 holds everything, so a page runs the same queries at any data size
    total = capped_count(qs if count_qs is None else count_qs)
    capped = total > COUNT_CAP
    if not rows and not capped and total:
        number = max(1, -(-total // page_size))
        rows, has_next = _rows(qs, number, page_size, keys_qs)
    return CappedPage(rows, number, page_size, has_next, min(total, COUNT_CAP), capped)


def page_of_keys(qs: QuerySet[Any], keys_qs: QuerySet[Any], start: int, stop: int) -> QuerySet[Any]:
    """Rows start..stop of qs, read as "keys first": a subquery picks the rows' primary keys from
    keys_qs (ordered as qs), and only those rows are read in full.

    At province scale a district's newest cases are 1 in 122 of the newest rows: read directly,
    the page visits every one of them in the table to find the district's, thousands of scattered
    heap pages. Picking the keys reads only an index that also holds the village (Case's
    "case_reported" covers village_id), and the table is then read for the page's rows alone
    (docs/performance.md, fourth session)."""
    return qs.filter(pk__in=keys_qs.values("pk")[start:stop])


def _rows(qs: QuerySet[Any], number: int, page_size: int, keys_qs: QuerySet[Any] | None = None) -> tuple[list[Any], bool]:
    start = (number - 1) * page_size
    stop = start + page_size + 1
    rows = list(qs[start:stop] if keys_qs is None else page_of_keys(qs, keys_qs, start, stop))
    return rows[:page_size], len(rows) > page_size
