"""Reads of the registry, always through the scoping function of jiceng.accounts.access."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from jiceng.accounts.access import allowed_paths, get_for_user, scope
from jiceng.accounts.models import User
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_id_number
from jiceng.orgs.access import roles
from jiceng.orgs.models import Member, Organization, Person, Post, PostRole, Stage


def visible_orgs(user: User) -> QuerySet[Organization]:
    return scope(Organization.objects.all(), user, roles("org.view"), "path")


def top_orgs(user: User) -> QuerySet[Organization]:
    """The highest organizations the user may see: the roots of their part of the tree."""
    return Organization.objects.filter(path__in=allowed_paths(user, roles("org.view"))).order_by("path")


def children_of(parents: list[Organization]) -> dict[str, list[Organization]]:
    """The direct children of several organizations in one query, keyed by the parent's path."""
    found: dict[str, list[Organization]] = {p.path: [] for p in parents}
    if not parents:
        return found
    condition = Q()
    for parent in parents:
        condition |= Q(path__startswith=parent.path, depth=parent.depth + 1)
    for child in Organization.objects.filter(condition).order_by("path"):
        found[child.path[: -Organization.steplen]].append(child)
    return found


def get_org_for_user(user: User, pk: int) -> Organization:
    return get_for_user(Organization.objects.all(), user, roles("org.view"), "path", pk=pk)


def get_person_for_user(user: User, pk: int) -> Person:
    return get_for_user(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path", pk=pk)


def _name_filter(qs: QuerySet[Any], q: str, prefix: str = "") -> QuerySet[Any]:
    """Name or pinyin initials contain q (张三 is found by 张, 三 or zs)."""
    q = q.strip()
    if not q:
        return qs
    return qs.filter(Q(**{f"{prefix}name__icontains": q}) | Q(**{f"{prefix}name_initials__icontains": q.lower()}))


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _in_org(qs: QuerySet[Any], params: Mapping[str, str], path_field: str) -> QuerySet[Any]:
    if (org := _int(params.get("org"))) is None:
        return qs
    path = Organization.objects.filter(pk=org).values_list("path", flat=True).first()
    # the result stays inside the caller's scope; an unknown id simply matches nothing
    return qs.filter(**{f"{path_field}__startswith": path}) if path else qs.none()


# The filters of the list pages; exports and the API use the same ones, so a download holds what
# the page showed.
FILTER_KEYS = ("q", "stage", "branch", "role", "current", "org")


def filter_people(qs: QuerySet[Person], params: Mapping[str, str]) -> QuerySet[Person]:
    """q: name, pinyin initials, or a full ID number (matched by keyed hash); stage; org (subtree)."""
    q = params.get("q", "").strip()
    try:
        qs = qs.filter(id_number_hash__in=fieldcrypto.lookup_hashes(normalize_id_number(q)))
    except ValidationError:
        qs = _name_filter(qs, q)
    if (stage := params.get("stage", "")) in Stage.values:
        qs = qs.filter(member__stage=stage)
    return _in_org(qs, params, "organization__path")


def filter_members(qs: QuerySet[Member], params: Mapping[str, str]) -> QuerySet[Member]:
    """q, stage, branch (an organization id), org (subtree)."""
    qs = _name_filter(qs, params.get("q", ""), "person__")
    if (stage := params.get("stage", "")) in Stage.values:
        qs = qs.filter(stage=stage)
    if (branch := _int(params.get("branch"))) is not None:
        qs = qs.filter(branch_id=branch)
    return _in_org(qs, params, "branch__path")


def filter_posts(qs: QuerySet[Post], params: Mapping[str, str]) -> QuerySet[Post]:
    """q (holder), role, current=1 for posts still held, org (subtree)."""
    qs = _name_filter(qs, params.get("q", ""), "person__")
    if (role := params.get("role", "")) in PostRole.values:
        qs = qs.filter(role=role)
    if params.get("current") == "1":
        qs = qs.filter(end_date__isnull=True)
    return _in_org(qs, params, "organization__path")


def used_filters(params: Mapping[str, str]) -> dict[str, str]:
    return {key: params[key] for key in FILTER_KEYS if params.get(key)}


def people_for_user(user: User, params: Mapping[str, str], action: str = "person.view") -> QuerySet[Person]:
    qs = scope(Person.objects.select_related("organization"), user, roles(action), "organization__path")
    return filter_people(qs, params).order_by("organization__path", "name", "pk")


def members_for_user(user: User, params: Mapping[str, str], action: str = "member.view") -> QuerySet[Member]:
    qs = scope(Member.objects.select_related("person", "branch"), user, roles(action), "branch__path")
    return filter_members(qs, params).order_by("branch__path", "person__name", "pk")


def posts_for_user(user: User, params: Mapping[str, str], action: str = "org.view") -> QuerySet[Post]:
    qs = scope(Post.objects.select_related("person", "organization"), user, roles(action), "organization__path")
    return filter_posts(qs, params).order_by("organization__path", "role", "pk")
