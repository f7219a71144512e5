"""City and province dashboards (issue #7): the sum of the districts' snapshots, exact, scoped, flat."""

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiceng.accounts.models import Role
from jiceng.conftest import _node, make_user
from jiceng.dashboard import indicators, rollups
from jiceng.dashboard.models import HistoryPoint, Snapshot
from jiceng.dashboard.tests.fixtures import Board
from jiceng.grid.tests.conftest import Grids, report
from jiceng.orgs.models import Member, Organization, OrgKind, Person, Post, PostRole, Stage
from jiceng.orgs.tests.regions import Region, build_region

pytestmark = pytest.mark.django_db
PER_UNIT = ("formation", "yijiantiao", "reserves_units", "decisions", "needs", "grid")


@pytest.fixture
def region(board: Board, grids: Grids) -> Region:
    report(grids)  # one open case in 甲村
    built = build_region(board.tree)
    # 邻村: a 一肩挑 village (secretary, chair and 经联社社长 in one person) with a young cadre
    chief = Person.objects.create(organization=built.sibling_village, name="邻书记", gender="M", birth_date=date(1990, 1, 1))
    for org, role in ((built.sibling_branch, PostRole.SECRETARY), (built.sibling_village, PostRole.CHAIR)):
        Post.objects.create(person=chief, organization=org, role=role, start_date=date(2022, 1, 1))
    Post.objects.create(person=chief, organization=built.sibling_village, role=PostRole.COOP_HEAD, start_date=date(2022, 1, 1))
    return built


def _year() -> int:
    return timezone.localdate().year


def _board(org: Organization) -> indicators.Dashboard:
    return rollups.decode(Snapshot.objects.get(organization=org, year=_year()), org)


def _total(board: indicators.Dashboard, key: str) -> list[Any]:
    table = board.table(key)
    assert table is not None, key
    return table.rows[-1]


def _kpis(board: indicators.Dashboard) -> dict[str, Any]:
    return {label: value for label, value, _unit in board.kpis}


def test_a_city_of_one_district_shows_exactly_the_districts_figures(board: Board, grids: Grids) -> None:
    """Rates recomputed from summed counts, never averaged: with one child they must equal it."""
    report(grids)
    city = _node(None, "独区市", "4407", OrgKind.CITY)
    Organization.objects.move(Organization.objects.get(pk=board.tree.district.pk), Organization.objects.get(pk=city.pk), "sorted-child")
    city, district = Organization.objects.get(pk=city.pk), Organization.objects.get(pk=board.tree.district.pk)
    rollups.refresh(city)
    mine, child = _board(city), _board(district)
    assert mine.level == "city" and mine.units == [indicators.UnitRef(district.pk, "测试区")]
    assert _kpis(mine) == _kpis(child)
    for key in PER_UNIT:
        assert _total(mine, key)[1:] == _total(child, key)[1:], key
        assert mine.table(key).rows[0] == [district.name, *_total(child, key)[1:]], key  # type: ignore[union-attr]
        assert mine.table(key).links[0] == district.pk  # type: ignore[union-attr]
    for key in ("members", "formation_kinds", "cadre_ages", "cadre_education"):
        assert mine.table(key).rows == child.table(key).rows, key  # type: ignore[union-attr]
    # the organizations under the city: the district's, and the district itself
    orgs = dict(mine.table("orgs").rows)  # type: ignore[union-attr]
    assert orgs.pop("区（县）") == 1 and orgs == dict(child.table("orgs").rows)  # type: ignore[union-attr]
    assert mine.table("reserves") is None  # the per-village list stays on the district's page and exports


def test_a_city_adds_up_its_districts_and_recomputes_the_rates(region: Region) -> None:
    rollups.refresh(region.city)
    city, a, b = _board(region.city), _board(region.tree.district), _board(region.sibling)
    assert [u.name for u in city.units] == ["邻区", "测试区"]
    for key in ("party_members", "villages", "yijiantiao", "two_new", "single"):
        assert city.counts[key] == a.counts[key] + b.counts[key], key
    yes, n = _total(a, "yijiantiao")[2] + _total(b, "yijiantiao")[2], _total(a, "yijiantiao")[1] + _total(b, "yijiantiao")[1]
    assert _total(city, "yijiantiao")[1:] == [n, yes, indicators.percent(yes, n)]
    assert _kpis(city)["一肩挑率"] == indicators.percent(yes, n) == indicators.percent(3, 4)
    assert _kpis(city)["党员"] == _kpis(a)["党员"] + _kpis(b)["党员"]
    grid = _total(city, "grid")
    assert grid[1] == _total(a, "grid")[1] + _total(b, "grid")[1] == 1
    # the cadres' average age over both districts' people, not the mean of the two averages
    ages = {r[0]: r[1:] for r in city.table("cadre_ages").rows}  # type: ignore[union-attr]
    known = a.counts["cadre_age_known_2"] + b.counts["cadre_age_known_2"]
    total = a.counts["cadre_age_sum_2"] + b.counts["cadre_age_sum_2"]
    assert str(ages["平均年龄（岁）"][-1]) == f"{total / known:.1f}"
    # nothing of the other city
    assert "他区" not in [u.name for u in city.units] and city.counts["villages"] == 4


def test_a_province_adds_up_its_cities(region: Region) -> None:
    province = _node(None, "测试省", "44", OrgKind.PROVINCE)
    for city in (region.city, region.other_city):
        Organization.objects.move(Organization.objects.get(pk=city.pk), Organization.objects.get(pk=province.pk), "sorted-child")
    province = Organization.objects.get(pk=province.pk)
    written = rollups.refresh(province)
    # the province, two cities, three districts and the towns and villages under them
    assert written == Snapshot.objects.filter(year=_year()).count() == 1 + 2 + 3 + 4 + 5
    board = _board(province)
    assert board.level == "province" and [u.name for u in board.units] == ["测试市", "他市"]
    assert (
        board.counts["villages"] == 5 and _kpis(board)["党员"] == Member.objects.filter(stage__in=[Stage.FULL, Stage.PROBATIONARY]).count()
    )
    assert dict(board.table("orgs").rows)["市（州）"] == 2  # type: ignore[union-attr]
    assert dict(board.table("orgs").rows)["区（县）"] == 3  # type: ignore[union-attr]


def test_refreshing_a_district_updates_the_city_above_it(region: Region) -> None:
    rollups.refresh(region.city)
    before = _board(region.city).counts["party_members"]
    Member.objects.create(
        person=Person.objects.create(organization=region.sibling_village, name="新党员", gender="F"),
        branch=region.sibling_branch,
        stage=Stage.FULL,
    )
    rollups.refresh(region.sibling)
    assert _board(region.city).counts["party_members"] == before + 1


def test_a_city_without_a_snapshot_is_added_up_from_the_stored_districts(region: Region) -> None:
    rollups.refresh(region.tree.district)
    as_of = Snapshot.objects.get(organization=region.tree.district).as_of
    snapshot = rollups.snapshot_for(region.city, _year())  # computes only the missing 邻区
    assert Snapshot.objects.get(organization=region.tree.district).as_of == as_of
    assert Snapshot.objects.filter(organization=region.sibling).exists()
    assert snapshot.as_of == as_of  # as old as its oldest part


def test_the_command_refreshes_the_cities_and_backfills_them(region: Region) -> None:
    out = StringIO()
    call_command("refresh_indicators", "--backfill", "2", stdout=out)
    assert "测试市:" in out.getvalue() and "他市:" in out.getvalue()
    assert Snapshot.objects.filter(organization__in=[region.city, region.other_city], year=_year()).count() == 2
    days = rollups.month_ends(2, timezone.localdate())
    points = {p.day: p for p in HistoryPoint.objects.filter(organization=region.city, day__in=days)}
    children = HistoryPoint.objects.filter(organization__in=[region.tree.district, region.sibling], day=days[-1])
    assert points[days[-1]].villages == sum(p.villages or 0 for p in children) == 4
    call_command("refresh_indicators", "--org", region.city.code, stdout=out)
    # the city, 测试区 with its 2 towns and 3 villages, 邻区 with its town and village
    assert out.getvalue().count("测试市: 10 snapshots") == 2


# ---- pages -----------------------------------------------------------------------------------------


@pytest.fixture
def as_user(client: Client) -> Any:
    def login(user: Any) -> Client:
        client.force_login(user)
        return client

    return login


def test_a_city_admin_lands_on_the_city_and_drills_into_both_districts(as_user: Any, region: Region) -> None:
    c = as_user(make_user("city_admin", Role.DISTRICT_ADMIN, region.city))
    assert c.get("/dashboard/")["Location"] == f"/dashboard/org/{region.city.pk}/"
    body = c.get(f"/dashboard/org/{region.city.pk}/").content.decode()
    assert "数据截至" in body and "测试市" in body
    assert f'href="/dashboard/org/{region.sibling.pk}/?year=' in body and f'href="/dashboard/org/{region.tree.district.pk}/?year=' in body
    assert "他区" not in body
    assert c.get(f"/dashboard/org/{region.sibling.pk}/").status_code == 200
    assert c.get(f"/dashboard/org/{region.other_city.pk}/").status_code == 404
    assert c.get(f"/dashboard/org/{region.other_district.pk}/").status_code == 404
    screen = c.get("/dashboard/screen/data.json").json()
    # the city's figures, without a map of every grid in the city
    assert screen["org"] == "测试市" and screen["grids"]["features"] == []
    assert {k["label"]: k["value"] for k in screen["kpis"]}["一肩挑率"] == 75.0


def test_a_district_admin_under_the_city_cannot_open_the_city_or_the_sibling(as_user: Any, region: Region) -> None:
    c = as_user(make_user("under_city", Role.DISTRICT_ADMIN, region.tree.district))
    assert c.get(f"/dashboard/org/{region.city.pk}/").status_code == 404
    assert c.get(f"/dashboard/org/{region.sibling.pk}/").status_code == 404
    body = c.get(f"/dashboard/org/{region.tree.district.pk}/").content.decode()
    assert "测试市" not in body  # the breadcrumb stops at the user's own top


def test_the_city_exports_a_table_of_its_districts(as_user: Any, region: Region) -> None:
    c = as_user(make_user("city_admin", Role.DISTRICT_ADMIN, region.city))
    response = c.get(f"/dashboard/org/{region.city.pk}/export/yijiantiao.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert c.get(f"/dashboard/org/{region.city.pk}/report.pdf").status_code == 200


def _add_district(region: Region, n: int) -> None:
    city = Organization.objects.get(pk=region.city.pk)
    district = _node(city, f"新{n}区", f"44079{n}", OrgKind.DISTRICT)
    town = _node(Organization.objects.get(pk=district.pk), f"新{n}镇", f"44079{n}100", OrgKind.TOWN)
    _node(Organization.objects.get(pk=town.pk), f"新{n}村", f"44079{n}100201", OrgKind.VILLAGE)


@pytest.mark.parametrize("extra", [0, 3])
def test_the_city_dashboard_query_count_does_not_grow_with_districts(
    as_user: Any, region: Region, extra: int, django_assert_num_queries: Any
) -> None:
    for n in range(extra):
        _add_district(region, n)
    rollups.refresh(Organization.objects.get(pk=region.city.pk))
    c = as_user(make_user("city_admin", Role.DISTRICT_ADMIN, region.city))
    c.get(f"/dashboard/org/{region.city.pk}/")  # warm the session
    with django_assert_num_queries(CITY_QUERIES):
        body = c.get(f"/dashboard/org/{region.city.pk}/").content.decode()
    assert body.count('href="/dashboard/org/') >= 2 + extra


# The same reads as a district's page (session, user, grants, organization, snapshot, history):
# a city's page reads its own stored snapshot, never its districts'.
CITY_QUERIES = 6


def test_needs_count_in_districts_that_sit_under_a_city(region: Region) -> None:
    """needs/stats.py cut paths at a fixed depth (a district at depth 1): under a city the needs of a
    village were keyed by its town's path and the dashboard counted none of them."""
    from jiceng.needs.models import Need, NeedCategory

    now = timezone.now()
    for i, village in enumerate((region.tree.village_a, region.sibling_village)):
        Need.objects.create(
            community=village,
            category=NeedCategory.values[0],
            title="路灯维修",
            description="村口路灯不亮",
            requester_name="王五",
            phone_hash=f"h{i}",
            phone_masked="138****0000",
            consent_at=now,
            consent_version="1",
            submitted_at=now,
            tracking_code=f"T{i:05d}",
        )
    rollups.refresh(region.city)
    assert _total(_board(region.tree.district), "needs")[1] == 1
    assert _total(_board(region.city), "needs")[1] == 2
    assert dict((r[0], r[1]) for r in _board(region.tree.town).table("needs").rows)["甲村"] == 1  # type: ignore[union-attr]
