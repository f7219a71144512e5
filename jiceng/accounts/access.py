"""The one scoping function over the organization tree, and the helpers built on it.

A grant covers its organization's subtree: the tree is a materialized path, so "in scope" is a
path-prefix test. Each app declares its role × action matrix in its own access.py and passes
the roles of an action here. Users with several grants may pick one in the workspace
(request.session["grant_id"]); then only that grant counts.
"""

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.lib.lookups import AnyOf

if TYPE_CHECKING:
    from jiceng.orgs.models import Organization

M = TypeVar("M", bound=Model)
Roles = Collection[str]


def all_grants(user: Any) -> list[RoleGrant]:
    """Every grant of the user, whichever is active, in tree order.

    One query per user object: request.user lives for one request, so scoping, the workspace context
    and the middleware of a request share it.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_grants_cache", None)
    if cached is None:
        cached = list(RoleGrant.objects.filter(user=user).select_related("organization").order_by("organization__path"))
        user._grants_cache = cached
    return cached


def user_grants(user: Any) -> list[RoleGrant]:
    """The grants in force for this user (one if a grant is active), cached on the user object."""
    cached = all_grants(user)
    active = getattr(user, "active_grant_id", None)
    if active:
        chosen = [g for g in cached if g.pk == active]
        if chosen:
            return chosen
    return cached


def allowed_paths(user: User, roles: Roles) -> list[str]:
    """Tree paths covered by the user's grants whose role may do the action, with nested ones folded."""
    paths = sorted({g.organization.path for g in user_grants(user) if g.role in roles})
    folded: list[str] = []
    for path in paths:
        if not folded or not path.startswith(folded[-1]):
            folded.append(path)
    return folded


# The tree's path alphabet: treebeard MP_Node's default, which Organization keeps (a test pins it).
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _next_path(path: str) -> str | None:
    """The first path after every path that starts with `path` ('0001' → '0002', '000Z' → '0010')."""
    for i in range(len(path) - 1, -1, -1):
        position = PATH_ALPHABET.index(path[i])
        if position + 1 < len(PATH_ALPHABET):
            return path[:i] + PATH_ALPHABET[position + 1] + PATH_ALPHABET[0] * (len(path) - i - 1)
    return None


def subtree(path_field: str, path: str) -> Q:
    """Rows under `path`, as a range rather than LIKE 'path%': PostgreSQL estimates a range from its
    histogram, while it applies a LIKE prefix twice and guesses a few rows for a district of thousands,
    which turned the province case list into a sort of 83k joined rows (docs/performance.md)."""
    upper = _next_path(path)
    condition = Q(**{f"{path_field}__gte": path})
    return condition & Q(**{f"{path_field}__lt": upper}) if upper else condition


def scope(qs: QuerySet[M], user: User, roles: Roles, path_field: str) -> QuerySet[M]:
    """Filter a queryset to the user's part of the tree. Nothing in scope gives an empty queryset."""
    paths = allowed_paths(user, roles)
    if not paths:
        return qs.none()
    condition = Q()
    for path in paths:
        condition |= subtree(path_field, path)
    return qs.filter(condition)


# Cases, needs and decisions belong to a village or community. Their lists read an index of the
# whole table, newest first, and keep the rows in scope (lib.paging.page_of_keys). Given the scope
# as a path range, PostgreSQL looks up each index entry's village to test its path: for one
# district's page at province scale, 6,200 look-ups and 13 ms. Given the villages' ids, it tests
# each entry against a hashed list: 1 ms (docs/performance.md, fourth session). Above this many
# villages the list costs more than it saves: a city admin's 1,300 ids took 3.5 ms to plan per query
# and more to build, while a scope that large is a large part of the table, whose newest rows the
# walk finds early anyway: the path range is kept.
VILLAGE_LIST_MAX = 500


def scope_by_village(qs: QuerySet[M], user: User, roles: Roles, village_field: str) -> QuerySet[M]:
    """scope() for rows that belong to a village or community (village_field: the row's foreign key
    to it): filtered by the ids of the villages and communities in scope when there are at most
    VILLAGE_LIST_MAX of them (one indexed query), else by the path range as scope() does."""
    ids = _village_ids(user, allowed_paths(user, roles))
    if ids is None:
        return scope(qs, user, roles, f"{village_field}__path")
    return qs.filter(AnyOf(F(f"{village_field}_id"), ids))


def _village_ids(user: User, paths: list[str]) -> list[int] | None:
    """The ids of the villages and communities under `paths`, or None above VILLAGE_LIST_MAX; kept on
    the user object (one request) by paths, as the grants are, so a page asks once."""
    from jiceng.orgs.models import GRASSROOTS_KINDS, Organization  # orgs imports this module

    cache: dict[tuple[str, ...], list[int] | None] = user.__dict__.setdefault("_village_ids_cache", {})
    key = tuple(paths)
    if key not in cache:
        condition = Q(pk__in=[])
        for path in paths:
            condition |= subtree("path", path)
        villages = Organization.objects.filter(condition, kind__in=GRASSROOTS_KINDS).order_by().values_list("pk", flat=True)
        ids = list(villages[: VILLAGE_LIST_MAX + 1])
        cache[key] = None if len(ids) > VILLAGE_LIST_MAX else ids
    return cache[key]


def can(user: User, roles: Roles, org: "Organization | None") -> bool:
    """May the user act on this organization (or, with org None, anywhere)?"""
    paths = allowed_paths(user, roles)
    if org is None:
        return bool(paths)
    return any(org.path.startswith(p) for p in paths)


def get_for_user(qs: QuerySet[M], user: User, roles: Roles, path_field: str, **lookup: Any) -> M:
    """Fetch one object in scope. "Not yours" and "does not exist" give the same 404."""
    obj = scope(qs, user, roles, path_field).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def roles_of(user: User) -> set[str]:
    return {g.role for g in user_grants(user)}


ALL_ROLES = frozenset(Role.values)
