"""/api/v1/organizations: the scoped tree, formation warnings, 一肩挑, audited writes."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiceng.accounts.models import User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs import services
from jiceng.orgs.models import Organization, Person, Post, PostRole


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _village(tree: Tree, **extra: Any) -> dict[str, Any]:
    return {"parent": tree.town.pk, "name": "丁村", "code": "440799100203", "kind": "village"} | extra


def test_a_village_secretary_sees_the_village_subtree_only(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    response = api_as(personas.secretary_a).get("/organizations")
    assert _ids(response) == [tree.village_a.pk, tree.branch_a.pk]
    parents = {item["id"]: item["parent"] for item in response.json()["items"]}
    assert parents == {tree.village_a.pk: tree.town.pk, tree.branch_a.pk: tree.village_a.pk}


def test_the_district_admin_sees_the_whole_tree(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    items = api_as(personas.district_admin).get("/organizations").json()["items"]
    assert len(items) == Organization.objects.count() == 8
    assert items[0]["parent"] is None and items[0]["kind"] == "district"


@pytest.mark.parametrize("persona", ["auditor", "outsider"])
def test_roles_without_org_view_see_nothing(api_as: Callable[[User], Api], personas: Personas, tree: Tree, persona: str) -> None:
    assert _ids(api_as(getattr(personas, persona)).get("/organizations")) == []


def test_it_filters_by_kind_and_parent(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    api = api_as(personas.district_admin)
    assert _ids(api.get("/organizations", kind="village")) == [tree.village_a.pk, tree.village_b.pk]
    assert _ids(api.get("/organizations", parent=tree.district.pk)) == [tree.town.pk, tree.other_town.pk]
    assert _ids(api.get("/organizations", parent=99999)) == []


def test_a_parent_filter_never_widens_the_scope(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert _ids(api_as(personas.secretary_a).get("/organizations", parent=tree.town.pk)) == [tree.village_a.pk]


def test_an_unknown_kind_filter_is_a_400(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert list(assert_error(api_as(personas.secretary_a).get("/organizations", kind="castle"), 400, "invalid")["fields"]) == ["kind"]


def test_detail_of_a_branch_carries_its_formation_warnings(
    api_as: Callable[[User], Api], personas: Personas, tree: Tree, person_a: Person
) -> None:
    body = api_as(personas.secretary_a).get(f"/organizations/{tree.branch_a.pk}").json()
    assert body["yijiantiao"] is None
    assert [w["level"] for w in body["warnings"]] == ["warning"]
    assert "正式党员仅 1 名" in body["warnings"][0]["text"]
    assert "支部工作条例" in body["warnings"][0]["basis"]


def test_detail_of_a_village_says_whether_it_is_yijiantiao(
    api_as: Callable[[User], Api], personas: Personas, tree: Tree, person_a: Person
) -> None:
    api = api_as(personas.secretary_a)
    assert api.get(f"/organizations/{tree.village_a.pk}").json()["yijiantiao"] is False
    start = date(2021, 1, 1)
    Post.objects.create(person=person_a, organization=tree.branch_a, role=PostRole.SECRETARY, start_date=start)
    Post.objects.create(person=person_a, organization=tree.village_a, role=PostRole.CHAIR, start_date=start)
    Post.objects.create(person=person_a, organization=tree.village_a, role=PostRole.COOP_HEAD, start_date=start)
    assert api.get(f"/organizations/{tree.village_a.pk}").json()["yijiantiao"] is True


def test_detail_of_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert_error(api_as(personas.secretary_a).get(f"/organizations/{tree.village_b.pk}"), 404, "not_found")
    assert_error(api_as(personas.secretary_a).get(f"/organizations/{tree.town.pk}"), 404, "not_found")


def test_town_staff_create_a_village_with_an_audit_event(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    response = api_as(personas.town_staff).post("/organizations", _village(tree))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["parent"], body["kind"], body["depth"], body["warnings"], body["yijiantiao"]) == (tree.town.pk, "village", 3, [], False)
    assert Event.objects.get(action="org.create").object_id == str(body["id"])


def test_a_village_secretary_may_not_create_organizations(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    payload = {"parent": tree.village_a.pk, "name": "第二支部", "code": "440799100201D2", "kind": "branch"}
    assert_error(api_as(personas.secretary_a).post("/organizations", payload), 403, "forbidden")
    assert not Organization.objects.filter(code="440799100201D2").exists()


def test_creating_under_another_town_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert_error(api_as(personas.town_staff).post("/organizations", _village(tree, parent=tree.other_town.pk)), 404, "not_found")
    assert not Event.objects.exists()


def test_a_kind_that_cannot_hang_there_is_a_400(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    error = assert_error(api_as(personas.town_staff).post("/organizations", _village(tree, parent=tree.village_a.pk)), 400, "invalid")
    assert error["fields"] == {"kind": ["“村”不能设在“村”之下。"]}


def test_a_code_in_use_is_a_400(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    error = assert_error(api_as(personas.town_staff).post("/organizations", _village(tree, code=tree.village_b.code)), 400, "invalid")
    assert list(error["fields"]) == ["code"]


def test_it_renames_an_organization_and_records_the_diff(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    response = api_as(personas.town_staff).patch(f"/organizations/{tree.village_a.pk}", {"name": "甲村（新）"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "甲村（新）"
    assert Event.objects.get(action="org.update").changes == {"name": ["甲村", "甲村（新）"]}


def test_patch_refuses_a_field_that_cannot_change(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    error = assert_error(api_as(personas.town_staff).patch(f"/organizations/{tree.village_a.pk}", {"code": "1"}), 400, "invalid")
    assert error["fields"] == {"code": ["不支持该字段。"]}


def test_patch_refuses_a_formation_for_a_village(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    error = assert_error(api_as(personas.town_staff).patch(f"/organizations/{tree.village_a.pk}", {"formation": "single"}), 400, "invalid")
    assert list(error["fields"]) == ["formation"]
    assert not Event.objects.exists()


def test_patching_another_towns_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert_error(api_as(personas.town_staff).patch(f"/organizations/{tree.community_c.pk}", {"name": "改名"}), 404, "not_found")
    tree.community_c.refresh_from_db()
    assert tree.community_c.name == "丙社区"


@pytest.mark.parametrize("extra", [0, 20])
def test_the_list_costs_the_same_queries_whatever_the_tree_size(
    api_as: Callable[[User], Api], personas: Personas, tree: Tree, extra: int, django_assert_num_queries: Any
) -> None:
    for i in range(extra):
        town = Organization.objects.get(pk=tree.town.pk)
        services.org_create(actor=personas.district_admin, parent=town, name=f"新村{i}", code=f"44079910030{i:02}", kind="village")
    api = api_as(personas.town_staff)
    # session, user, grants, page, count, parent ids (the session row is renewed at most once a minute)
    with django_assert_num_queries(6):
        response = api.get("/organizations")
    assert response.json()["count"] == 5 + extra


# ---- cities above the districts (issue #7) -------------------------------------------------------


def test_a_city_admin_lists_both_districts_and_nothing_of_another_city(api_as: Callable[[User], Api], tree: Tree) -> None:
    from jiceng.accounts.models import Role
    from jiceng.conftest import make_user
    from jiceng.orgs.tests.regions import build_region

    region = build_region(tree)
    api = api_as(make_user("city_admin", Role.DISTRICT_ADMIN, region.city))
    items = api.get("/organizations").json()["items"]
    names = [item["name"] for item in items]
    assert names[0] == "测试市" and items[0]["parent"] is None and items[0]["kind"] == "city" and items[0]["kind_label"] == "市（州）"
    assert {"测试区", "邻区", "甲村", "邻村"} <= set(names)
    assert not {"他市", "他区", "他村"} & set(names)
    assert len(items) == Organization.objects.filter(path__startswith=region.city.path).count()
    assert _ids(api.get("/organizations", kind="district")) == [region.sibling.pk, region.tree.district.pk]
    assert _ids(api.get("/organizations", parent=region.city.pk)) == [region.sibling.pk, region.tree.district.pk]
    assert api.get(f"/organizations/{region.other_district.pk}").status_code == 404
    # a district admin under the city sees neither the city nor the sibling district
    under = api_as(make_user("under_city", Role.DISTRICT_ADMIN, region.tree.district))
    assert _ids(under.get("/organizations", kind="district")) == [region.tree.district.pk]
    assert under.get(f"/organizations/{region.city.pk}").status_code == 404


def test_the_api_refuses_a_city_under_a_district_in_chinese(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    response = api_as(personas.district_admin).post(
        "/organizations", {"parent": tree.district.pk, "name": "错市", "code": "4499", "kind": "city"}
    )
    assert response.status_code == 400
    assert "“市（州）”不能设在“区（县）”之下。" in response.content.decode()
