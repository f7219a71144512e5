"""/api/v1/posts: terms of office, the end action, and what posts cannot do yet."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from jiceng.accounts.models import User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Person, Post, PostRole


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def chair_a(tree: Tree, person_a: Person) -> Post:
    return Post.objects.create(person=person_a, organization=tree.village_a, role=PostRole.CHAIR, start_date=date(2021, 1, 1))


@pytest.fixture
def chair_b(tree: Tree, person_b: Person) -> Post:
    return Post.objects.create(person=person_b, organization=tree.village_b, role=PostRole.CHAIR, start_date=date(2021, 1, 1))


def test_a_village_secretary_lists_the_villages_posts_only(
    api_as: Callable[[User], Api], personas: Personas, chair_a: Post, chair_b: Post
) -> None:
    response = api_as(personas.secretary_a).get("/posts")
    assert _ids(response) == [chair_a.pk]
    item = response.json()["items"][0]
    assert (item["person_name"], item["organization_name"], item["role_label"], item["is_current"]) == ("张三", "甲村", "主任", True)


def test_it_filters_by_organization_role_and_currency(
    api_as: Callable[[User], Api], personas: Personas, chair_a: Post, chair_b: Post, tree: Tree, person_a: Person
) -> None:
    past = Post.objects.create(
        person=person_a, organization=tree.branch_a, role=PostRole.SECRETARY, start_date=date(2015, 1, 1), end_date=date(2020, 12, 31)
    )
    api = api_as(personas.district_admin)
    assert _ids(api.get("/posts", organization=tree.village_b.pk)) == [chair_b.pk]
    assert _ids(api.get("/posts", role="secretary")) == [past.pk]
    assert sorted(_ids(api.get("/posts", current="true"))) == sorted([chair_a.pk, chair_b.pk])
    assert _ids(api.get("/posts", current="false")) == [past.pk]


def test_detail_of_another_villages_post_is_a_404(api_as: Callable[[User], Api], personas: Personas, chair_b: Post) -> None:
    assert_error(api_as(personas.secretary_a).get(f"/posts/{chair_b.pk}"), 404, "not_found")


def test_it_creates_a_post_with_an_audit_event(api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree) -> None:
    payload = {"person": person_a.pk, "organization": tree.branch_a.pk, "role": "secretary", "start_date": "2021-03-01"}
    response = api_as(personas.secretary_a).post("/posts", payload)
    assert response.status_code == 201, response.content
    assert (response.json()["role"], response.json()["elected"], response.json()["end_date"]) == ("secretary", True, None)
    assert Event.objects.get(action="post.create").object_id == str(response.json()["id"])


def test_a_post_in_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree) -> None:
    payload = {"person": person_a.pk, "organization": tree.village_b.pk, "role": "chair", "start_date": "2021-03-01"}
    assert_error(api_as(personas.secretary_a).post("/posts", payload), 404, "not_found")
    assert not Post.objects.exists()


def test_a_person_of_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, person_b: Person, tree: Tree) -> None:
    payload = {"person": person_b.pk, "organization": tree.village_a.pk, "role": "chair", "start_date": "2021-03-01"}
    assert_error(api_as(personas.secretary_a).post("/posts", payload), 404, "not_found")


def test_the_same_open_post_twice_is_a_400(api_as: Callable[[User], Api], personas: Personas, chair_a: Post, tree: Tree) -> None:
    payload = {"person": chair_a.person_id, "organization": tree.village_a.pk, "role": "chair", "start_date": "2024-01-01"}
    error = assert_error(api_as(personas.secretary_a).post("/posts", payload), 400, "invalid")
    assert error["fields"] == {"role": ["此人已在该组织担任该职务。"]}


def test_an_end_before_the_start_is_a_400(api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree) -> None:
    payload = {
        "person": person_a.pk,
        "organization": tree.village_a.pk,
        "role": "chair",
        "start_date": "2021-03-01",
        "end_date": "2021-02-01",
    }
    error = assert_error(api_as(personas.secretary_a).post("/posts", payload), 400, "invalid")
    assert error["fields"] == {"end_date": ["离任日期不能早于任职日期。"]}


def test_it_ends_a_post_with_an_audit_event(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    end = date.today() - timedelta(days=1)
    response = api_as(personas.secretary_a).post(f"/posts/{chair_a.pk}/end", {"end_date": end.isoformat()})
    assert response.status_code == 200, response.content
    assert (response.json()["end_date"], response.json()["is_current"]) == (end.isoformat(), False)
    assert Event.objects.get(action="post.end").changes == {"end_date": [None, end.isoformat()]}


def test_ending_a_post_twice_is_a_400(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    api = api_as(personas.secretary_a)
    assert api.post(f"/posts/{chair_a.pk}/end", {"end_date": "2024-01-01"}).status_code == 200
    error = assert_error(api.post(f"/posts/{chair_a.pk}/end", {"end_date": "2024-06-01"}), 400, "invalid")
    assert error["message"] == "该职务已离任。"
    assert Event.objects.filter(action="post.end").count() == 1


def test_ending_before_the_start_is_a_400(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    error = assert_error(api_as(personas.secretary_a).post(f"/posts/{chair_a.pk}/end", {"end_date": "2020-01-01"}), 400, "invalid")
    assert list(error["fields"]) == ["end_date"]


def test_ending_without_a_date_is_a_400(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    error = assert_error(api_as(personas.secretary_a).post(f"/posts/{chair_a.pk}/end", {}), 400, "invalid")
    assert error["fields"] == {"end_date": ["此项为必填项。"]}


def test_ending_another_villages_post_is_a_404(api_as: Callable[[User], Api], personas: Personas, chair_b: Post) -> None:
    assert_error(api_as(personas.secretary_a).post(f"/posts/{chair_b.pk}/end", {"end_date": "2024-01-01"}), 404, "not_found")
    chair_b.refresh_from_db()
    assert chair_b.end_date is None


def test_a_party_member_sees_posts_but_may_not_end_them(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    api = api_as(personas.member)
    assert _ids(api.get("/posts")) == []  # the member's grant is on the branch, the post on the village
    assert_error(api.post(f"/posts/{chair_a.pk}/end", {"end_date": "2024-01-01"}), 404, "not_found")


def test_posts_have_no_patch_until_a_post_update_service_exists(api_as: Callable[[User], Api], personas: Personas, chair_a: Post) -> None:
    assert_error(api_as(personas.secretary_a).patch(f"/posts/{chair_a.pk}", {"elected": False}), 405, "method_not_allowed")
