"""Reads of the registry, always through the scoping function of jiceng.accounts.access."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from jiceng.accounts.access import allowed_paths, get_for_user, scope
from jiceng.accounts.models import User
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_id_number
from jiceng.orgs.access import roles
from jiceng.orgs.models import Member, Organization, Person, Post, Stage


def visible_orgs(user: User) -> QuerySet[Organization]:
    return scope(Organization.objects.all(), user, roles("org.view"), "path")


def top_orgs(user: User) -> QuerySet[Organization]:
    """The highest organizations the user may see: the roots of their part of the tree."""
    return Organization.objects.filter(path__in=allowed_paths(user, roles("org.view"))).order_by("path")


def get_org_for_user(user: User, pk: int) -> Organization:
    return get_for_user(Organization.objects.all(), user, roles("org.view"), "path", pk=pk)


def get_person_for_user(user: User, pk: int) -> Person:
    return get_for_user(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path", pk=pk)


def _name_filter(q: str, prefix: str = "") -> Q:
    q = q.strip()
    return Q(**{f"{prefix}name__icontains": q}) | Q(**{f"{prefix}name_initials__startswith": q.lower()})


def people_for_user(user: User, params: Mapping[str, str]) -> QuerySet[Person]:
    """People in scope, filtered by name / pinyin initials, a full ID number, or an organization."""
    qs = scope(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path")
    q = params.get("q", "").strip()
    if q:
        try:
            qs = qs.filter(id_number_hash__in=fieldcrypto.lookup_hashes(normalize_id_number(q)))
        except ValidationError:
            qs = qs.filter(_name_filter(q))
    if org := params.get("org", "").strip():
        qs = qs.filter(organization__path__startswith=_path_of(org))
    return qs.order_by("organization__path", "name", "pk")


def members_for_user(user: User, params: Mapping[str, str]) -> QuerySet[Member]:
    qs = scope(Member.objects.select_related("person", "branch"), user, roles("member.view"), "branch__path")
    if q := params.get("q", "").strip():
        qs = qs.filter(_name_filter(q, "person__"))
    if (stage := params.get("stage", "")) in Stage.values:
        qs = qs.filter(stage=stage)
    if org := params.get("org", "").strip():
        qs = qs.filter(branch__path__startswith=_path_of(org))
    return qs.order_by("branch__path", "person__name", "pk")


def posts_for_user(user: User, params: Mapping[str, str]) -> QuerySet[Post]:
    qs = scope(Post.objects.select_related("person", "organization"), user, roles("org.view"), "organization__path")
    if org := params.get("org", "").strip():
        qs = qs.filter(organization__path__startswith=_path_of(org))
    if params.get("current"):
        qs = qs.filter(end_date__isnull=True)
    return qs.order_by("organization__path", "role", "pk")


def _path_of(org_id: str) -> str:
    """Path of an organization id from a filter; an unknown id matches nothing."""
    path = Organization.objects.filter(pk=int(org_id) if org_id.isdigit() else 0).values_list("path", flat=True).first()
    return path or "\x00"
