"""Reads of the registry, always through the scoping function of jiceng.accounts.access."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.access import allowed_paths, get_for_user, scope
from jiceng.accounts.models import User
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_id_number
from jiceng.orgs.access import roles
from jiceng.orgs.models import GRASSROOTS_KINDS, Member, Organization, OrgKind, Person, Post, PostRole, Stage


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


def district_paths(paths: Iterable[str]) -> dict[str, str | None]:
    """Each path's district (区（县）) ancestor, or itself if it is one, in one query: a district may be a
    root or sit under a city and a province, so its depth is not fixed. None above or outside a district."""
    step = Organization.steplen
    wanted = set(paths)
    prefixes = {p[:i] for p in wanted for i in range(step, len(p) + 1, step)}
    found = set(Organization.objects.filter(kind=OrgKind.DISTRICT, path__in=prefixes).values_list("path", flat=True))
    return {p: next((p[:i] for i in range(step, len(p) + 1, step) if p[:i] in found), None) for p in wanted}


def district_path(path: str) -> str | None:
    return district_paths([path])[path]


def get_org_for_user(user: User, pk: int) -> Organization:
    return get_for_user(Organization.objects.all(), user, roles("org.view"), "path", pk=pk)


def get_person_for_user(user: User, pk: int) -> Person:
    return get_for_user(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path", pk=pk)


# Short queries match the start: pg_trgm cannot serve a search for one or two characters, and a
# search for any name containing 陈 (or any initials containing c) reads every person in scope.
PREFIX_SEARCH_MAX = 2


def _name_filter(qs: QuerySet[Any], q: str, prefix: str = "") -> QuerySet[Any]:
    """The name search (docs/workflows/registry.md, "Name search").

    Chinese: one or two characters find names starting with them (the surname, or the surname and
    the first given character: 陈, 陈建), served by the (scope, name) b-tree index; three or more find
    names containing them (陈建国, 建国强), served on PostgreSQL by the trigram index on UPPER(name)
    (orgs migration 0012; Chinese has no case, and the one lookup lets Latin letters share the index).

    Latin letters are pinyin initials, stored lower-case (zs for 张三, cjg for 陈建国). One or two
    letters find initials starting with them (cj finds 陈建国, jg does not), served by the
    (scope, name_initials) b-tree index (orgs migration 0010). They do not also look for the letters
    in the name: a name holding Latin letters is all but unknown in the registry (ID cards carry
    Chinese characters), and a case-insensitive match inside the name (`UPPER(name) LIKE '%C%'`) can
    use no index, so ORing it in would read every row in scope again, the cost the prefix avoids. Such a name still starts its
    initials with its first letter (Amy Li → a) and is found by three letters of its name. Three or
    more letters find initials or names containing them, case-insensitively, each side served by a
    trigram index (initials: orgs 0004; UPPER(name): orgs 0012)."""
    q = q.strip()
    if not q:
        return qs
    short = len(q) <= PREFIX_SEARCH_MAX
    if not q.isascii():
        return qs.filter(**{f"{prefix}name__{'startswith' if short else 'icontains'}": q})
    if short:
        return qs.filter(**{f"{prefix}name_initials__startswith": q.lower()})
    return qs.filter(Q(**{f"{prefix}name__icontains": q}) | Q(**{f"{prefix}name_initials__contains": q.lower()}))


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


def _member_name_filter(qs: QuerySet[Member], q: str) -> QuerySet[Member]:
    """_name_filter on the member's own copy of the name (Member.name, Member.name_initials): a prefix
    of one or two characters is served by the (branch, name) index, one or two Latin letters by the
    (branch, name_initials) index. Three or more characters or letters go through the person's
    trigram indexes, which find the few matching people in the whole registry at once; on the
    member's columns they read every member in scope (4 M for a province's admin).
    City scale, district admin, 陈: 65 ms for the count (20,020 person look-ups) → see docs/performance.md."""
    q = q.strip()
    if len(q) > PREFIX_SEARCH_MAX:
        return _name_filter(qs, q, "person__")
    return _name_filter(qs, q)


def filter_members(qs: QuerySet[Member], params: Mapping[str, str]) -> QuerySet[Member]:
    """q, stage, branch (an organization id), org (subtree)."""
    qs = _member_name_filter(qs, params.get("q", ""))
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
    # Member.name is the person's name copied for search (kept in step by the services): no person join to sort
    return filter_members(qs, params).order_by("branch__path", "name", "pk")


def posts_for_user(user: User, params: Mapping[str, str], action: str = "org.view") -> QuerySet[Post]:
    qs = scope(Post.objects.select_related("person", "organization"), user, roles(action), "organization__path")
    return filter_posts(qs, params).order_by("organization__path", "role", "pk")


# ---- the area filter of list pages: (city →) district → town → village -----------------------

# A select lists at most about this many options; a larger scope is entered one level higher.
AREA_OPTIONS_LIMIT = 200
TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})
_LEVELS = (
    ("city", frozenset({OrgKind.CITY})),
    ("district", frozenset({OrgKind.DISTRICT})),
    ("town", TOWN_KINDS),
    ("village", GRASSROOTS_KINDS),
)
_LEVEL_LABELS = {
    "city": (_("市（州）"), _("全部市（州）")),
    "district": (_("区（县）"), _("全部区（县）")),
    "town": (_("镇（街道）"), _("全部镇（街道）")),
    "village": (_("村（社区）"), _("全部村（社区）")),
}


@dataclass(frozen=True)
class AreaLevel:
    name: str  # city / district / town / village
    param: str  # the query parameter ("village", or "community" on the needs pages)
    options: list[Organization]
    chosen: Organization | None

    @property
    def label(self) -> str:
        return str(_LEVEL_LABELS[self.name][0])

    @property
    def all_label(self) -> str:
        return str(_LEVEL_LABELS[self.name][1])


@dataclass(frozen=True)
class AreaFilter:
    """The selects a list page shows for its area filter, and the chosen area. A scope of at most
    AREA_OPTIONS_LIMIT villages lists them directly; a larger one starts at the town (or district)
    and lists the villages of the chosen town only, so the page never grows with the scope."""

    levels: list[AreaLevel]
    chosen: Organization | None  # the deepest area chosen, or None for the whole scope
    invalid: bool  # an area was asked for that is not in scope (or does not exist): no rows

    @property
    def shown(self) -> bool:
        return len(self.levels) > 1 or any(len(level.options) > 1 for level in self.levels)

    def apply(self, qs: QuerySet[Any], village_field: str) -> QuerySet[Any]:
        """Rows of the chosen village, or under the chosen town or district; all rows when none is chosen.
        village_field is the rows' foreign key to the village ("village", "community")."""
        if self.invalid:
            return qs.none()
        area = self.chosen
        if area is None:
            return qs
        if area.kind in GRASSROOTS_KINDS:
            return qs.filter(**{f"{village_field}_id": area.pk})
        return qs.filter(**{f"{village_field}__path__startswith": area.path})


_ALL_AREA_KINDS = frozenset(kind for _, group in _LEVELS for kind in group)
_ABOVE_VILLAGE_KINDS = _ALL_AREA_KINDS - GRASSROOTS_KINDS


def _areas(user: User, action_roles: Collection[str], kinds: Collection[str], active_only: bool) -> QuerySet[Organization]:
    qs = Organization.objects.filter(kind__in=kinds)
    return scope(qs.filter(is_active=True) if active_only else qs, user, action_roles, "path")


def _top_level(user: User, action_roles: Collection[str], active_only: bool) -> tuple[int, list[Organization] | None]:
    """Index in _LEVELS of the first select: villages if few, else towns if few, else districts when
    the scope lies within one city (a city's or district admin's), else cities: a province's 122
    districts are chosen city by city (city → district → town → village), never in one long select.
    When the villages are few they come back too: they are the first select's options."""
    # Villages are read only up to the limit: a province has 26k of them, and counting them all
    # took 12-24 ms per page; the levels above are few (1,800 rows at province) and counted exactly.
    villages = _options(_areas(user, action_roles, GRASSROOTS_KINDS, active_only), AREA_OPTIONS_LIMIT + 1)
    if len(villages) <= AREA_OPTIONS_LIMIT:
        return 3, villages
    rows = list(_areas(user, action_roles, _ABOVE_VILLAGE_KINDS, active_only).values("kind").annotate(n=Count("*")).order_by())
    counts = {name: sum(r["n"] for r in rows if r["kind"] in group) for name, group in _LEVELS}
    if not counts["town"]:
        return 3, None
    if counts["town"] <= AREA_OPTIONS_LIMIT or not counts["district"]:
        return 2, None
    if counts["city"] <= 1:
        return 1, None
    return 0, None


def _options(qs: QuerySet[Organization], limit: int | None = None) -> list[Organization]:
    # up to 200 options per select: only the columns the filter reads
    options = qs.order_by("path").only("pk", "name", "path", "depth", "kind")
    return list(options if limit is None else options[:limit])


def _deepest_choice(
    user: User, action_roles: Collection[str], params: Mapping[str, str], village_param: str, active_only: bool
) -> tuple[Organization | None, bool]:
    """The deepest area chosen, read top-down; a choice not under the one above it is ignored (the
    page changed the town while an old village was still selected). True when an id is out of scope."""
    wanted = [(kinds, _int(params.get(village_param if name == "village" else name))) for name, kinds in _LEVELS]
    ids = [pk for _, pk in wanted if pk is not None]
    found = {o.pk: o for o in _areas(user, action_roles, _ALL_AREA_KINDS, active_only).filter(pk__in=ids)} if ids else {}
    deepest: Organization | None = None
    for kinds, pk in wanted:
        if pk is None:
            continue
        org = found.get(pk)
        if org is None or org.kind not in kinds:
            return None, True
        if deepest is None or org.path.startswith(deepest.path):
            deepest = org
    return deepest, False


def area_filter(
    user: User, action_roles: Collection[str], params: Mapping[str, str], village_param: str = "village", active_only: bool = False
) -> AreaFilter:
    """The area filter for this user and action in at most seven small queries whatever the scope:
    the villages up to the limit (the options when they are few) and the counts of the levels above
    when they are many, the chosen areas, and one list of options per shown level below the first."""
    top, villages = _top_level(user, action_roles, active_only)
    deepest, invalid = _deepest_choice(user, action_roles, params, village_param, active_only)
    levels: list[AreaLevel] = []
    parent: Organization | None = None
    for name, kinds in _LEVELS[top:]:
        if levels and parent is None:
            break  # nothing chosen above: the lower select would be empty
        if villages is not None:  # the first and only select, read already
            option_list = villages
        else:
            options = _areas(user, action_roles, kinds, active_only)
            if parent is not None:
                options = options.filter(path__startswith=parent.path, depth=parent.depth + 1)
            option_list = _options(options)
        chosen = next((o for o in option_list if deepest is not None and deepest.path.startswith(o.path)), None)
        levels.append(AreaLevel(name, village_param if name == "village" else name, option_list, chosen))
        parent = chosen
    return AreaFilter(levels, deepest, invalid)
