"""Cities and provinces above the districts (issue #7): one grant, one path range, nothing of another city."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.access import allowed_paths, scope
from jiceng.accounts.models import Role, User
from jiceng.conftest import PASSWORD, Tree, _node, make_user
from jiceng.decisions.models import Classification, Decision
from jiceng.grid.models import Case, CaseCategory, CaseSource
from jiceng.grid.tests.conftest import rect_grid
from jiceng.orgs import selectors, services, views
from jiceng.orgs.access import roles
from jiceng.orgs.models import ALLOWED_PARENTS, Member, Organization, OrgKind
from jiceng.orgs.tests.regions import Region, build_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(tree: Tree) -> Region:
    return build_region(tree)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decision(village: Organization, title: str, user: User) -> Decision:
    return Decision.objects.create(
        village=village, title=title, classification=Classification.PROCEDURE, classification_reason="测试", created_by=user
    )


def _case(village: Organization, code: str) -> Case:
    grid = rect_grid(village, f"G{code}", f"{village.name}网格", (113.0, 22.6, 113.01, 22.61))
    now = timezone.now()
    return Case.objects.create(
        code=code,
        village=village,
        grid=grid,
        category=CaseCategory.objects.order_by("pk")[0],
        description=f"{village.name}路灯损坏",
        lng=113.005,
        lat=22.605,
        source=CaseSource.GRID_WORKER,
        reported_at=now,
        stage_started_at=now,
        due_at=now + timedelta(days=3),
    )


# ---- the shape of the tree -------------------------------------------------------------------


def test_the_shape_admits_province_city_district_and_a_root_district() -> None:
    assert ALLOWED_PARENTS[OrgKind.PROVINCE] == {None}
    assert ALLOWED_PARENTS[OrgKind.CITY] == {None, OrgKind.PROVINCE}
    assert ALLOWED_PARENTS[OrgKind.DISTRICT] == {None, OrgKind.CITY}
    # nothing but a district or a city hangs under a region
    for kind, parents in ALLOWED_PARENTS.items():
        if kind not in (OrgKind.CITY, OrgKind.DISTRICT):
            assert OrgKind.CITY not in parents and OrgKind.PROVINCE not in parents, kind


def test_a_city_under_a_district_is_refused_in_chinese(region: Region) -> None:
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    with pytest.raises(ValidationError) as caught:
        services.org_create(actor=root, parent=region.tree.district, name="错市", code="4499", kind=OrgKind.CITY)
    assert caught.value.message_dict["kind"] == ["“市（州）”不能设在“区（县）”之下。"]
    with pytest.raises(ValidationError) as caught:
        services.org_create(actor=root, parent=region.city, name="错省", code="44", kind=OrgKind.PROVINCE)
    assert caught.value.message_dict["kind"] == ["“省”不能设在“市（州）”之下。"]
    with pytest.raises(ValidationError, match="不能设在"):
        services.org_create(actor=root, parent=region.city, name="错镇", code="440797", kind=OrgKind.TOWN)


def test_a_province_takes_a_city_which_takes_a_district(tree: Tree) -> None:
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    province = services.org_create(actor=root, parent=None, name="测试省", code="44", kind=OrgKind.PROVINCE)
    provincial = make_user("province_admin", Role.DISTRICT_ADMIN, province)
    city = services.org_create(actor=provincial, parent=province, name="新市", code="4409", kind=OrgKind.CITY)
    district = services.org_create(actor=provincial, parent=city, name="新区", code="440901", kind=OrgKind.DISTRICT)
    assert [o.kind for o in Organization.objects.get_ancestors(district)] == [OrgKind.PROVINCE, OrgKind.CITY]
    # a city admin may add a district under the city, not a town
    admin = make_user("city_admin", Role.DISTRICT_ADMIN, Organization.objects.get(pk=city.pk))
    added = services.org_create(actor=admin, parent=Organization.objects.get(pk=city.pk), name="又一区", code="440902", kind="district")
    assert added.depth == 3


def test_the_add_form_offers_districts_under_a_city() -> None:
    from jiceng.orgs.forms import child_kinds

    assert [k for k, _ in child_kinds(OrgKind.PROVINCE)] == [OrgKind.CITY]
    assert [k for k, _ in child_kinds(OrgKind.CITY)] == [OrgKind.DISTRICT]


# ---- scope: one grant on the city covers both districts and nothing of another city ------------


def test_a_city_admin_has_one_path_range_over_both_districts(region: Region) -> None:
    admin = make_user("city_admin", Role.DISTRICT_ADMIN, region.city)
    assert allowed_paths(admin, roles("member.view")) == [region.city.path]
    names = set(scope(Member.objects.all(), admin, roles("member.view"), "branch__path").values_list("person__name", flat=True))
    assert names == {"甲党员", "邻党员"}


def test_a_city_admin_lists_both_districts_members_cases_and_decisions_and_nothing_else(region: Region) -> None:
    admin = make_user("city_admin", Role.DISTRICT_ADMIN, region.city)
    for village, title in ((region.tree.village_a, "甲村修路"), (region.sibling_village, "邻村修桥"), (region.other_village, "他村建房")):
        _decision(village, title, admin)
    for village, code in ((region.tree.village_a, "A0001"), (region.sibling_village, "B0001"), (region.other_village, "C0001")):
        _case(village, code)
    client = _client(admin)
    members = client.get(reverse("orgs:members")).content.decode()
    assert "甲党员" in members and "邻党员" in members and "他党员" not in members
    decisions = client.get(reverse("decisions:list")).content.decode()
    assert "甲村修路" in decisions and "邻村修桥" in decisions and "他村建房" not in decisions
    cases = client.get(reverse("grid:cases")).content.decode()
    assert "A0001" in cases and "B0001" in cases and "C0001" not in cases
    # another city's organization page is the same 404 as a missing one
    assert client.get(reverse("orgs:detail", args=[region.other_district.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[region.sibling.pk])).status_code == 200
    city_page = client.get(reverse("orgs:detail", args=[region.city.pk])).content.decode()
    assert "测试区" in city_page and "邻区" in city_page and "他区" not in city_page


def test_a_district_admin_under_the_city_cannot_see_the_sibling_district(region: Region) -> None:
    admin = make_user("district_admin", Role.DISTRICT_ADMIN, region.tree.district)
    _decision(region.sibling_village, "邻村修桥", admin)
    client = _client(admin)
    members = client.get(reverse("orgs:members")).content.decode()
    assert "甲党员" in members and "邻党员" not in members
    assert "邻村修桥" not in client.get(reverse("decisions:list")).content.decode()
    assert client.get(reverse("orgs:detail", args=[region.sibling.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[region.city.pk])).status_code == 404


# ---- the area filter: city → district → town → village --------------------------------------


def _province(region: Region) -> Organization:
    province = _node(None, "测试省", "44", OrgKind.PROVINCE)
    for city in (region.city, region.other_city):
        Organization.objects.move(Organization.objects.get(pk=city.pk), Organization.objects.get(pk=province.pk), pos="sorted-child")
    return Organization.objects.get(pk=province.pk)


def test_a_city_user_starts_at_the_district_when_the_villages_are_many(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 1)  # 4 villages and 3 towns count as "many"
    admin = make_user("city_admin", Role.DISTRICT_ADMIN, region.city)
    area = selectors.area_filter(admin, Role.values, {})
    assert [level.name for level in area.levels] == ["district"]
    assert [o.name for o in area.levels[0].options] == ["邻区", "测试区"]  # by path: 邻区 (440798) sorts first
    chosen = selectors.area_filter(admin, Role.values, {"district": str(region.sibling.pk), "town": str(region.sibling_town.pk)})
    assert [level.name for level in chosen.levels] == ["district", "town", "village"]
    assert [o.name for o in chosen.levels[1].options] == ["邻镇"]
    assert [o.name for o in chosen.levels[2].options] == ["邻村"]
    assert chosen.chosen == region.sibling_town and not chosen.invalid


def test_a_province_user_starts_at_the_city(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 1)
    admin = make_user("province_admin", Role.DISTRICT_ADMIN, _province(region))
    area = selectors.area_filter(admin, Role.values, {})
    assert [level.name for level in area.levels] == ["city"]
    assert [o.name for o in area.levels[0].options] == ["测试市", "他市"]
    chosen = selectors.area_filter(admin, Role.values, {"city": str(region.other_city.pk)})
    assert [level.name for level in chosen.levels] == ["city", "district"]
    assert [o.name for o in chosen.levels[1].options] == ["他区"]
    # the filter keeps the rows of the chosen city only
    assert set(chosen.apply(Decision.objects.all(), "village").values_list("village__name", flat=True)) <= {"他村"}


def test_a_city_outside_the_scope_filters_to_nothing(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user("city_admin", Role.DISTRICT_ADMIN, region.city)
    area = selectors.area_filter(admin, Role.values, {"city": str(region.other_city.pk)})
    assert area.invalid and not area.apply(Member.objects.all(), "branch").exists()


def test_the_area_endpoint_loads_the_districts_of_the_chosen_city(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "AREA_OPTIONS_LIMIT", 1)
    admin = make_user("province_admin", Role.DISTRICT_ADMIN, _province(region))
    body = _client(admin).get(reverse("decisions:area_filter"), {"city": region.city.pk}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="city"' in body and 'name="district"' in body
    assert "测试区" in body and "邻区" in body and "他区" not in body and 'name="town"' not in body


# ---- the tree page -----------------------------------------------------------------------------


def _rows(body: str) -> int:
    """The organizations listed by the tree (its <li> rows), not the menu's."""
    tree = body[body.index('<div class="tree">') :]
    return tree[: tree.index("</div>")].count("<li>")


def test_the_tree_of_a_city_admin_shows_the_city_and_its_districts_only(region: Region) -> None:
    body = _client(make_user("city_admin", Role.DISTRICT_ADMIN, region.city)).get(reverse("orgs:tree")).content.decode()
    assert "测试市" in body and "测试区" in body and "邻区" in body
    assert "甲镇" not in body and "邻镇" not in body and "他区" not in body
    assert _rows(body) == 3  # the city and its two districts, each district with its expand link
    assert body.count('class="expand"') == 2


def test_many_tops_are_listed_without_their_children(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "TREE_TOPS_WITH_CHILDREN", 1)
    user = make_user("many", Role.DISTRICT_ADMIN, region.tree.district)
    user.grants.create(organization=region.sibling, role=Role.DISTRICT_ADMIN)
    client = _client(user)
    body = client.get(reverse("orgs:tree")).content.decode()
    assert "测试区" in body and "邻区" in body and "甲镇" not in body and "邻镇" not in body
    assert body.count('class="expand"') == 2
    assert "邻镇" in client.get(reverse("orgs:children", args=[region.sibling.pk])).content.decode()
