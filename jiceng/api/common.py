"""Pieces every endpoint module uses: scoped look-ups of referenced objects and pagination."""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from ninja import Schema

from jiceng.accounts.access import get_for_user
from jiceng.accounts.models import User
from jiceng.api.schemas import ErrorOut, PageQuery
from jiceng.lib.paging import COUNT_CAP, capped_count, page_of_keys
from jiceng.orgs.access import roles
from jiceng.orgs.models import Organization, Person

M = TypeVar("M", bound=Model)

# The error responses operations may give, for the OpenAPI document (all share ErrorOut).
LIST_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut}
DETAIL_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def org_for(user: User, pk: int) -> Organization:
    """An organization the user can see; "not yours" and "does not exist" both raise Http404."""
    return get_for_user(Organization.objects.all(), user, roles("org.view"), "path", pk=pk)


def optional_org_for(user: User, pk: int | None) -> Organization | None:
    return None if pk is None else org_for(user, pk)


def person_for(user: User, pk: int) -> Person:
    return get_for_user(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path", pk=pk)


def paginate(qs: QuerySet[M], query: PageQuery, keys_qs: QuerySet[M] | None = None) -> dict[str, Any]:
    """One page and a capped count (jiceng.lib.paging): `count` is exact up to COUNT_CAP (1,000)
    rows; above that it is a lower bound, at least one more than the rows up to this page while
    more pages follow, so a client that pages until page × page_size ≥ count still reads every row.
    keys_qs, the same rows in the same order, has the page's keys picked first (lib.paging.page_of_keys):
    for the big, scoped, newest-first lists."""
    start = (query.page - 1) * query.page_size
    stop = start + query.page_size + 1
    rows = list(qs[start:stop] if keys_qs is None else page_of_keys(qs, keys_qs, start, stop))
    has_next = len(rows) > query.page_size
    items = rows[: query.page_size]
    count = min(capped_count(qs), COUNT_CAP)
    seen = start + len(items)
    return {"items": items, "count": max(count, seen + 1 if has_next else seen), "page": query.page, "page_size": query.page_size}


def patch_changes(payload: Schema, required: Iterable[str] = ()) -> dict[str, Any]:
    """The fields a PATCH body actually sent; null is refused for fields that cannot be empty."""
    changes = payload.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationError("请至少提供一个要修改的字段。")
    nulls = {key: ["不能为空。"] for key in required if key in changes and changes[key] is None}
    if nulls:
        raise ValidationError(nulls)
    return changes
