"""Registry pages: scoped lists, same 404 for "not yours" and "missing", pinned query counts."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Member, Organization, Person, Stage


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _add_members(branch: Organization, n: int) -> None:
    people = Person.objects.bulk_create(Person(organization=branch, name=f"成员{i:03}", name_initials="cy", gender="F") for i in range(n))
    Member.objects.bulk_create(Member(person=p, branch=branch, stage=Stage.FULL, full_on=date(2020, 1, 1)) for p in people)


def test_it_sends_anonymous_users_to_login(tree: Tree) -> None:
    response = Client().get(reverse("orgs:members"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_lists_only_the_secretarys_village(personas: Personas, tree: Tree, person_a: Person, person_b: Person) -> None:
    body = _client(personas.secretary_a).get(reverse("orgs:people")).content.decode()
    assert "张三" in body and "李四" not in body
    assert "440703********1234" in body and "440703198001011234" not in body


def test_it_lets_the_town_see_both_villages(personas: Personas, person_a: Person, person_b: Person) -> None:
    body = _client(personas.town_staff).get(reverse("orgs:people")).content.decode()
    assert "张三" in body and "李四" in body


@pytest.mark.parametrize("name", ["orgs:person", "orgs:detail"])
def test_it_gives_the_same_404_for_other_villages_and_missing_objects(personas: Personas, tree: Tree, person_b: Person, name: str) -> None:
    client = _client(personas.secretary_a)
    target = person_b.pk if name == "orgs:person" else tree.village_b.pk
    other = client.get(reverse(name, args=[target]))
    missing = client.get(reverse(name, args=[999999]))
    assert other.status_code == missing.status_code == 404
    for response in (other, missing):
        body = response.content.decode()
        assert "页面不存在" in body and "乙村" not in body and "李四" not in body


def test_it_searches_by_pinyin_initials_and_full_id_number(personas: Personas, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    assert "张三" in client.get(reverse("orgs:people"), {"q": "zs"}).content.decode()
    assert "张三" in client.get(reverse("orgs:people"), {"q": "440703198001011234"}).content.decode()
    assert "张三" not in client.get(reverse("orgs:people"), {"q": "440703198001011226"}).content.decode()


def test_it_filters_members_by_stage(personas: Personas, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    assert "张三" in client.get(reverse("orgs:members"), {"stage": "full"}).content.decode()
    assert "张三" not in client.get(reverse("orgs:members"), {"stage": "activist"}).content.decode()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("auditor", 403), ("outsider", 403), ("secretary_a", 200)])
def test_it_guards_the_member_list_by_role(personas: Personas, who: str, status: int) -> None:
    assert _client(getattr(personas, who)).get(reverse("orgs:members")).status_code == status


def test_it_reveals_an_id_number_with_an_audit_event(personas: Personas, person_a: Person) -> None:
    response = _client(personas.secretary_a).post(reverse("orgs:person_reveal", args=[person_a.pk, "id_number"]))
    assert response.status_code == 200 and "440703198001011234" in response.content.decode()
    assert Event.objects.filter(action="person.reveal", object_id=str(person_a.pk)).count() == 1


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("outsider", 404), ("member", 404)])
def test_it_refuses_reveals_outside_scope(personas: Personas, person_a: Person, who: str, status: int) -> None:
    response = _client(getattr(personas, who)).post(reverse("orgs:person_reveal", args=[person_a.pk, "phone"]))
    assert response.status_code == status
    assert not Event.objects.filter(action="person.reveal").exists()


def test_it_refuses_reveals_by_roles_that_see_only_masked_values(tree: Tree, person_a: Person) -> None:
    from jiceng.accounts.models import Role
    from jiceng.conftest import make_user

    watcher = make_user("watcher", Role.SUPERVISION, tree.village_a)
    client = _client(watcher)
    assert client.get(reverse("orgs:person", args=[person_a.pk])).status_code == 200
    assert client.post(reverse("orgs:person_reveal", args=[person_a.pk, "phone"])).status_code == 403
    assert client.get(reverse("orgs:person_reveal", args=[person_a.pk, "phone"])).status_code == 405


def test_it_shows_the_org_page_with_warnings_and_members(personas: Personas, tree: Tree, person_a: Person) -> None:
    body = _client(personas.secretary_a).get(reverse("orgs:detail", args=[tree.branch_a.pk])).content.decode()
    assert "张三" in body and "不足 3 名" in body and "支部工作条例" in body


def test_it_shows_the_tree_from_the_users_own_top(personas: Personas, tree: Tree) -> None:
    body = _client(personas.town_staff).get(reverse("orgs:tree")).content.decode()
    assert "甲镇" in body and "甲村" in body and "丙街道" not in body and "测试区" not in body


def test_it_expands_children_only_in_scope(personas: Personas, tree: Tree) -> None:
    client = _client(personas.secretary_a)
    assert "甲村党支部" in client.get(reverse("orgs:children", args=[tree.village_a.pk])).content.decode()
    assert client.get(reverse("orgs:children", args=[tree.town.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["orgs:members", "orgs:people"])
def test_list_query_counts_do_not_grow_with_data(personas: Personas, tree: Tree, url_name: str, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _client(personas.district_admin)
    _add_members(tree.branch_a, 3)
    client.get(reverse(url_name))  # warm the session
    with django_assert_num_queries(5) as small:
        client.get(reverse(url_name))
    _add_members(tree.branch_b, 120)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse(url_name))


def test_org_page_query_count_does_not_grow_with_data(personas: Personas, tree: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _client(personas.district_admin)
    _add_members(tree.branch_a, 3)
    url = reverse("orgs:detail", args=[tree.village_a.pk])
    client.get(url)
    with django_assert_num_queries(19) as small:
        client.get(url)
    _add_members(tree.branch_a, 150)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_the_tree_query_count_does_not_grow_with_grants(tree: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    from jiceng.accounts.models import Role
    from jiceng.conftest import make_user

    user = make_user("many", Role.VILLAGE_STAFF, tree.village_a)
    client = _client(user)
    client.get(reverse("orgs:tree"))
    with django_assert_num_queries(5) as one:
        body = client.get(reverse("orgs:tree")).content.decode()
    assert "甲村党支部" in body
    user.grants.create(organization=tree.village_b, role=Role.VILLAGE_STAFF)
    user.grants.create(organization=tree.community_c, role=Role.VILLAGE_STAFF)
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(reverse("orgs:tree")).content.decode()
    assert "甲村党支部" in body and "乙村党支部" in body and "丙社区" in body
