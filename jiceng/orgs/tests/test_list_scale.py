"""The pieces that keep list pages flat as data grows: the capped pager and the area filter.

The capped pager counts at most COUNT_CAP rows; the area filter lists villages directly for a small
scope and otherwise starts at the town, and its endpoint never shows an area outside the scope.
"""

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiceng.accounts.models import Role
from jiceng.api.common import paginate  # imported here, before a test changes PAGE_SIZE: PageQuery reads it once
from jiceng.api.schemas import PageQuery
from jiceng.conftest import Personas, Tree, make_user
from jiceng.lib import paging
from jiceng.orgs import selectors, services
from jiceng.orgs.models import Member, Organization, Person, Stage


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _add_members(branch: Organization, n: int, name: str = "成员") -> None:
    people = Person.objects.bulk_create(Person(organization=branch, name=f"{name}{i:03}", name_initials="cy", gender="F") for i in range(n))
    Member.objects.bulk_create(Member(person=p, name=p.name, branch=branch, stage=Stage.FULL, full_on=date(2020, 1, 1)) for p in people)


# ---- the capped pager -----------------------------------------------------------------------


def test_the_pager_counts_exactly_under_the_cap(personas: Personas, tree: Tree, settings: Any) -> None:
    settings.PAGE_SIZE = 4
    _add_members(tree.branch_a, 10)
    client = _client(personas.district_admin)
    body = client.get(reverse("orgs:members"), {"page": 2}).content.decode()
    assert "第 2 / 3 页，共 10 条" in body and "page=1" in body and "page=3" in body
    assert body.count("成员0") == 4


def test_the_pager_caps_the_count_and_keeps_paging(personas: Personas, tree: Tree, settings: Any, monkeypatch: Any) -> None:
    settings.PAGE_SIZE = 4
    monkeypatch.setattr(paging, "COUNT_CAP", 6)
    _add_members(tree.branch_a, 10)
    client = _client(personas.district_admin)
    first = client.get(reverse("orgs:members"), {"stage": "full"}).content.decode()
    assert "第 1 页，超过 6 条" in first and "stage=full&page=2" in first and "上一页" not in first
    last = client.get(reverse("orgs:members"), {"page": 3}).content.decode()
    assert last.count("成员0") == 2 and "下一页" not in last and "page=2" in last


def test_the_people_list_uses_the_capped_pager(personas: Personas, tree: Tree, settings: Any, monkeypatch: Any) -> None:
    """The people list counts at most COUNT_CAP rows too: a province admin's registry holds 4 M people."""
    settings.PAGE_SIZE = 4
    monkeypatch.setattr(paging, "COUNT_CAP", 6)
    _add_members(tree.branch_a, 10)
    client = _client(personas.district_admin)
    first = client.get(reverse("orgs:people"), {"q": "成员"}).content.decode()
    assert "第 1 页，超过 6 条" in first and "q=%E6%88%90%E5%91%98&page=2" in first
    last = client.get(reverse("orgs:people"), {"q": "成员", "page": "3"}).content.decode()
    assert last.count("成员0") == 2 and "下一页" not in last


def test_the_people_list_links_each_person_and_names_the_gender(personas: Personas, tree: Tree) -> None:
    """Links and gender labels are prepared once for the page (views._people_rows), as {% url %} and
    get_gender_display gave them."""
    _add_members(tree.branch_a, 1)
    person = Person.objects.get(name="成员000")
    body = _client(personas.district_admin).get(reverse("orgs:people")).content.decode()
    assert f'<a href="{reverse("orgs:person", args=[person.pk])}">成员000</a></td><td>女</td>' in body


def test_the_people_list_query_count_does_not_grow(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    client = _client(personas.district_admin)
    _add_members(tree.branch_a, 3)
    client.get(reverse("orgs:people"))  # warm the session
    with django_assert_num_queries(5) as small:  # session, user, grants, page, capped count
        client.get(reverse("orgs:people"))
    _add_members(tree.branch_b, 40, name="另一")
    with django_assert_num_queries(len(small.captured_queries)):
        assert "另一" in client.get(reverse("orgs:people")).content.decode()


def test_a_page_past_the_end_shows_the_last_page(personas: Personas, tree: Tree, settings: Any) -> None:
    settings.PAGE_SIZE = 4
    _add_members(tree.branch_a, 6)
    body = _client(personas.district_admin).get(reverse("orgs:members"), {"page": "99"}).content.decode()
    assert "第 2 / 2 页，共 6 条" in body and body.count("成员0") == 2


@pytest.mark.parametrize("raw", ["", "x", "0", "-3", None])
def test_a_bad_page_number_is_page_one(raw: Any) -> None:
    assert paging.page_number(raw) == 1


def test_capped_count_stops_at_the_cap(tree: Tree) -> None:
    _add_members(tree.branch_a, 7)
    assert paging.capped_count(Member.objects.all(), cap=5) == 6  # cap + 1 means "more than the cap"
    assert paging.capped_count(Member.objects.all(), cap=50) == 7


def test_the_api_count_is_a_lower_bound_above_the_cap(personas: Personas, tree: Tree, monkeypatch: Any) -> None:
    monkeypatch.setattr("jiceng.api.common.COUNT_CAP", 3)
    monkeypatch.setattr("jiceng.lib.paging.COUNT_CAP", 3)
    _add_members(tree.branch_a, 10)
    qs = Member.objects.order_by("pk")
    assert paginate(qs, PageQuery(page=1, page_size=2))["count"] == 3
    assert paginate(qs, PageQuery(page=3, page_size=2))["count"] == 7  # 6 rows seen, more follow
    last = paginate(qs, PageQuery(page=5, page_size=2))
    assert last["count"] == 10 and len(last["items"]) == 2


# ---- the area filter ------------------------------------------------------------------------

AREA_URLS = ["decisions:area_filter", "grid:area_filter", "needs:area_filter"]


@pytest.mark.parametrize("url_name", AREA_URLS)
def test_a_small_scope_lists_its_villages_directly(personas: Personas, tree: Tree, url_name: str) -> None:
    body = _client(personas.district_admin).get(reverse(url_name)).content.decode()
    assert "甲村" in body and "乙村" in body and "丙社区" in body
    assert 'name="town"' not in body


@pytest.mark.parametrize("url_name", AREA_URLS)
def test_a_large_scope_starts_at_the_town_and_lists_one_towns_villages(
    personas: Personas, tree: Tree, url_name: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 2)
    client = _client(personas.district_admin)
    towns = client.get(reverse(url_name)).content.decode()
    assert "甲镇" in towns and "丙街道" in towns and "甲村" not in towns and "丙社区" not in towns
    one = client.get(reverse(url_name), {"town": tree.town.pk}).content.decode()
    assert "甲村" in one and "乙村" in one and "丙社区" not in one
    assert f'<option value="{tree.town.pk}" selected>' in one


@pytest.mark.parametrize("url_name", AREA_URLS)
def test_the_endpoint_never_shows_another_towns_villages(personas: Personas, tree: Tree, url_name: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 1)  # the town staff's two villages go through the town select
    client = _client(personas.town_staff)
    for town in (tree.other_town.pk, 999_999, "x"):
        body = client.get(reverse(url_name), {"town": town}).content.decode()
        assert "丙" not in body and "甲村" not in body  # a forged town lists no village at all
    own = client.get(reverse(url_name), {"town": tree.town.pk}).content.decode()
    assert "甲村" in own and "乙村" in own and "丙" not in own


@pytest.mark.parametrize("url_name", AREA_URLS)
def test_the_endpoint_refuses_users_without_the_list(personas: Personas, url_name: str) -> None:
    assert _client(personas.outsider).get(reverse(url_name)).status_code == 403
    assert Client().get(reverse(url_name)).status_code == 302


def test_a_stale_village_under_another_town_is_ignored(personas: Personas, tree: Tree, monkeypatch: Any) -> None:
    """The town changed while the old village was still selected: the new town wins."""
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 2)
    area = selectors.area_filter(personas.district_admin, Role.values, {"town": str(tree.other_town.pk), "village": str(tree.village_a.pk)})
    assert area.chosen == tree.other_town and not area.invalid
    assert [o.name for o in area.levels[1].options] == ["丙社区"]


def test_a_village_alone_selects_its_town(personas: Personas, tree: Tree, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 2)
    area = selectors.area_filter(personas.district_admin, Role.values, {"village": str(tree.village_b.pk)})
    assert area.chosen == tree.village_b
    assert [level.chosen for level in area.levels] == [tree.town, tree.village_b]


def test_an_area_out_of_scope_filters_to_nothing(personas: Personas, tree: Tree) -> None:
    area = selectors.area_filter(personas.town_staff, Role.values, {"village": str(tree.community_c.pk)})
    assert area.invalid and not area.apply(Member.objects.all(), "branch").exists()


def test_a_user_with_many_village_grants_gets_the_villages_directly(tree: Tree, monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 1)
    user = make_user("two_villages", Role.VILLAGE_STAFF, tree.village_a)
    user.grants.create(role=Role.VILLAGE_STAFF, organization=tree.community_c)
    area = selectors.area_filter(user, Role.values, {})
    assert [level.name for level in area.levels] == ["village"]
    assert {o.name for o in area.levels[0].options} == {"甲村", "丙社区"}


# ---- the name search ------------------------------------------------------------------------


# (name, initials): 欧阳建国 holds jg and yjg inside its initials, not at their start
SEARCH_NAMES = (("陈建国", "cjg"), ("陈建", "cj"), ("老陈", "lc"), ("李四", "ls"), ("欧阳建国", "oyjg"))
SEARCH_CASES = [
    ("陈", {"陈建国", "陈建"}),  # one or two characters: the start of the name
    ("陈建", {"陈建国", "陈建"}),
    ("老陈", {"老陈"}),
    ("建国", set()),
    ("陈建国", {"陈建国"}),  # three or more: anywhere in the name
    ("建国强", set()),
    ("cjg", {"陈建国"}),
    ("CJ", {"陈建国", "陈建"}),  # one or two letters: the start of the initials, any case
    ("cj", {"陈建国", "陈建"}),
    ("c", {"陈建国", "陈建"}),
    ("o", {"欧阳建国"}),
    ("jg", set()),  # inside cjg and oyjg, but not at the start
    ("g", set()),
    ("yjg", {"欧阳建国"}),  # three or more letters: anywhere in the initials
    ("jgq", set()),
]


@pytest.mark.parametrize(("q", "found"), SEARCH_CASES)
def test_the_member_search_finds_parts_of_names_and_initials(personas: Personas, tree: Tree, q: str, found: set[str]) -> None:
    """The rows are the same on SQLite and on PostgreSQL (where three characters use the trigram index)."""
    for name, initials in SEARCH_NAMES:
        person = Person.objects.create(organization=tree.branch_a, name=name, name_initials=initials, gender="M")
        Member.objects.create(person=person, branch=tree.branch_a, stage=Stage.FULL, full_on=date(2020, 1, 1))
    services.member_names_sync()  # the search reads the member's copy of the name
    qs = selectors.members_for_user(personas.district_admin, {"q": q})
    assert {m.person.name for m in qs} == found


@pytest.mark.parametrize(("q", "found"), SEARCH_CASES)
def test_the_people_search_follows_the_same_rules(personas: Personas, tree: Tree, q: str, found: set[str]) -> None:
    Person.objects.bulk_create(Person(organization=tree.village_a, name=n, name_initials=i, gender="F") for n, i in SEARCH_NAMES)
    assert {p.name for p in selectors.people_for_user(personas.district_admin, {"q": q})} == found


def test_a_short_latin_query_does_not_look_inside_the_name(personas: Personas, tree: Tree) -> None:
    """One or two letters read the initials only (selectors._name_filter: the name's OR would scan the
    scope); a name holding Latin letters is found by its first letter or by three letters of it."""
    Person.objects.create(organization=tree.village_a, name="Amy Li", name_initials=services.name_initials("Amy Li"), gender="F")
    found = {q: [p.name for p in selectors.people_for_user(personas.district_admin, {"q": q})] for q in ("a", "am", "my", "amy", "LI")}
    assert found == {"a": ["Amy Li"], "am": [], "my": [], "amy": ["Amy Li"], "LI": []}


@pytest.mark.django_db
def test_the_trigram_index_exists_on_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'orgs_person' AND indexdef LIKE '%gin_trgm_ops%'")
        assert {row[0] for row in cursor.fetchall()} == {"person_name_upper_trgm", "person_initials_trgm"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner statistics")
@pytest.mark.django_db
def test_organization_paths_keep_a_fine_histogram() -> None:
    """One district's path range under a city and a province must not fall inside one histogram bucket
    (orgs migration 0009: the planner estimated 1 village instead of 430 and sorted 83,461 cases)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'orgs_organization'::regclass AND attname = 'path'")
        assert cursor.fetchone()[0] == 10_000
