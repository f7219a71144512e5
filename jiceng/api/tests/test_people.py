"""/api/v1/people: scoped lists, not-yours-is-404, masked secrets, audited writes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from jiceng.accounts.models import User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import id_check_digit
from jiceng.orgs.models import Organization, Person

ID_NUMBER = "440703198001011234"  # person_a's
NEW_ID = "44070319900215" + "123"


def valid_id(first17: str = NEW_ID) -> str:
    return first17 + id_check_digit(first17)


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _new(org: Organization, **extra: Any) -> dict[str, Any]:
    return {"organization": org.pk, "name": "王五", "gender": "M"} | extra


# ---- reading -------------------------------------------------------------------------------


def test_a_village_secretary_lists_only_the_village(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, person_b: Person
) -> None:
    response = api_as(personas.secretary_a).get("/people")
    assert _ids(response) == [person_a.pk]
    assert response.json() | {"items": None} == {"items": None, "count": 1, "page": 1, "page_size": 50}


def test_the_district_admin_lists_everyone(api_as: Callable[[User], Api], personas: Personas, person_a: Person, person_b: Person) -> None:
    assert sorted(_ids(api_as(personas.district_admin).get("/people"))) == sorted([person_a.pk, person_b.pk])


@pytest.mark.parametrize("persona", ["outsider", "auditor", "member"])
def test_roles_without_person_view_list_nothing(api_as: Callable[[User], Api], personas: Personas, person_a: Person, persona: str) -> None:
    response = api_as(getattr(personas, persona)).get("/people")
    assert _ids(response) == []
    assert response.json()["count"] == 0


def test_detail_of_another_village_is_the_same_404_as_a_missing_person(
    api_as: Callable[[User], Api], personas: Personas, person_b: Person
) -> None:
    api = api_as(personas.secretary_a)
    other = api.get(f"/people/{person_b.pk}")
    missing = api.get(f"/people/{person_b.pk + 1000}")
    assert_error(other, 404, "not_found")
    assert other.content == missing.content


def test_detail_shows_masked_secrets_only(api_as: Callable[[User], Api], personas: Personas, person_a: Person) -> None:
    response = api_as(personas.secretary_a).get(f"/people/{person_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id_number_masked"] == "440703********1234"
    assert body["phone_masked"] == "138****8000"
    assert ID_NUMBER not in response.content.decode() and "13800138000" not in response.content.decode()
    assert not {"id_number", "phone", "id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash"} & set(body)


def test_it_finds_people_by_name_or_pinyin_initials(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, person_b: Person
) -> None:
    api = api_as(personas.district_admin)
    assert _ids(api.get("/people", q="张")) == [person_a.pk]
    assert _ids(api.get("/people", q="ZS")) == [person_a.pk]
    assert _ids(api.get("/people", q="z")) == [person_a.pk]
    assert _ids(api.get("/people", q="s")) == []  # one or two letters: the start of the initials only
    assert _ids(api.get("/people", q="李四")) == [person_b.pk]
    assert _ids(api.get("/people", q="王")) == []


def test_the_name_search_stays_in_scope(api_as: Callable[[User], Api], personas: Personas, person_b: Person) -> None:
    assert _ids(api_as(personas.secretary_a).get("/people", q="李")) == []


def test_it_finds_a_person_by_exact_id_number(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, person_b: Person
) -> None:
    api = api_as(personas.district_admin)
    assert _ids(api.get("/people", id_number=ID_NUMBER.lower())) == [person_a.pk]
    assert _ids(api.get("/people", id_number=valid_id())) == []


def test_the_id_number_lookup_stays_in_scope(api_as: Callable[[User], Api], personas: Personas, person_a: Person) -> None:
    assert _ids(api_as(personas.secretary_b).get("/people", id_number=ID_NUMBER)) == []


def test_a_malformed_id_number_lookup_is_a_400_on_that_field(api_as: Callable[[User], Api], personas: Personas) -> None:
    error = assert_error(api_as(personas.secretary_a).get("/people", id_number="44070319800101123X"), 400, "invalid")
    assert error["fields"] == {"id_number": ["身份证号校验位不正确，请核对。"]}


def test_pages_are_cut_by_page_and_page_size(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    Person.objects.bulk_create(
        Person(organization=tree.village_a, name=f"人{i:02}", name_initials=f"r{i:02}", gender="F") for i in range(5)
    )
    response = api_as(personas.secretary_a).get("/people", page=2, page_size=2)
    body = response.json()
    assert [p["name"] for p in body["items"]] == ["人02", "人03"]
    assert (body["count"], body["page"], body["page_size"]) == (5, 2, 2)
    assert api_as(personas.secretary_a).get("/people", page=9, page_size=2).json()["items"] == []


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_rows(
    api_as: Callable[[User], Api],
    personas: Personas,
    tree: Tree,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    for org in (tree.village_a, tree.village_b):
        Person.objects.bulk_create(Person(organization=org, name=f"人{i}", name_initials=f"r{i}", gender="M") for i in range(rows))
    api = api_as(personas.town_staff)
    # session, user, grants, page, count (the session row is renewed at most once a minute)
    with django_assert_num_queries(5):
        response = api.get("/people")
    assert response.json()["count"] == 2 * rows


# ---- creating ------------------------------------------------------------------------------


def test_a_bad_id_number_is_a_400_on_that_field_and_saves_nothing(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    response = api_as(personas.secretary_a).post("/people", _new(tree.village_a, id_number="44070319800101"))
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"id_number": ["身份证号应为18位，前17位为数字，最后一位为数字或X。"]}
    assert error["message"] == "身份证号应为18位，前17位为数字，最后一位为数字或X。"
    assert not Person.objects.filter(name="王五").exists()
    assert not Event.objects.exists()


def test_a_bad_phone_is_a_400_on_that_field(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    error = assert_error(api_as(personas.secretary_a).post("/people", _new(tree.village_a, phone="0750-123")), 400, "invalid")
    assert error["fields"] == {"phone": ["手机号应为11位，以1开头。"]}


def test_an_id_number_already_registered_is_a_400(api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree) -> None:
    error = assert_error(api_as(personas.secretary_a).post("/people", _new(tree.village_a, id_number=ID_NUMBER)), 400, "invalid")
    assert error["fields"] == {"id_number": ["该身份证号已登记，请勿重复录入。"]}
    assert Person.objects.count() == 1


def test_creating_in_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    assert_error(api_as(personas.secretary_a).post("/people", _new(tree.village_b)), 404, "not_found")
    assert not Person.objects.exists()
    assert not Event.objects.exists()


def test_creating_in_a_missing_organization_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    payload = _new(tree.village_a) | {"organization": 99999}
    assert_error(api_as(personas.district_admin).post("/people", payload), 404, "not_found")


def test_a_party_member_may_see_the_village_but_not_add_people(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    # The member's grant is on the branch; the branch is visible (org.view), person.change is not granted.
    error = assert_error(api_as(personas.member).post("/people", _new(tree.branch_a)), 403, "forbidden")
    assert error["message"] == "您无权在该组织中进行此操作。"
    assert not Person.objects.exists()


def test_it_creates_a_person_with_encrypted_secrets_and_an_audit_event(
    api_as: Callable[[User], Api], personas: Personas, tree: Tree
) -> None:
    id_number = valid_id()
    response = api_as(personas.secretary_a).post(
        "/people", _new(tree.village_a, id_number=id_number, phone="139 0000 1111", education="college")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["name_initials"], body["organization"], body["education"]) == ("王五", "ww", tree.village_a.pk, "college")
    assert body["id_number_masked"] == id_number[:6] + "********" + id_number[-4:]
    assert body["phone_masked"] == "139****1111"
    person = Person.objects.get(pk=body["id"])
    assert person.id_number_hash == fieldcrypto.lookup_hash(id_number)
    assert fieldcrypto.decrypt(person.id_number_encrypted) == id_number
    event = Event.objects.get(action="person.create")
    assert (event.actor_id, event.object_id, event.org_path) == (personas.secretary_a.pk, str(person.pk), tree.village_a.path)
    assert id_number not in str(event.changes) and "13900001111" not in str(event.changes)


def test_the_plain_id_number_is_nowhere_in_the_database(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    id_number = valid_id()
    assert api_as(personas.secretary_a).post("/people", _new(tree.village_a, id_number=id_number)).status_code == 201
    with connection.cursor() as cursor:
        for table in ("orgs_person", "audit_event"):
            cursor.execute(f"SELECT * FROM {table}")
            assert id_number not in str(cursor.fetchall())


# ---- updating ------------------------------------------------------------------------------


def test_it_updates_a_person_and_records_the_diff(api_as: Callable[[User], Api], personas: Personas, person_a: Person) -> None:
    response = api_as(personas.secretary_a).patch(f"/people/{person_a.pk}", {"name": "张三丰", "education": "bachelor"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["name_initials"]) == ("张三丰", "zsf")
    event = Event.objects.get(action="person.update")
    assert event.changes == {"name": ["张三", "张三丰"], "education": ["", "bachelor"]}


def test_patch_leaves_unsent_fields_alone(api_as: Callable[[User], Api], personas: Personas, person_a: Person) -> None:
    api_as(personas.secretary_a).patch(f"/people/{person_a.pk}", {"address": "甲村1号"})
    person_a.refresh_from_db()
    assert (person_a.name, person_a.address, person_a.id_number_masked) == ("张三", "甲村1号", "440703********1234")


def test_patch_refuses_null_for_a_required_field(api_as: Callable[[User], Api], personas: Personas, person_a: Person) -> None:
    error = assert_error(api_as(personas.secretary_a).patch(f"/people/{person_a.pk}", {"name": None}), 400, "invalid")
    assert error["fields"] == {"name": ["不能为空。"]}
    person_a.refresh_from_db()
    assert person_a.name == "张三"


def test_patch_refuses_moving_a_person_to_another_organization(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree
) -> None:
    error = assert_error(api_as(personas.secretary_a).patch(f"/people/{person_a.pk}", {"organization": tree.village_b.pk}), 400, "invalid")
    assert error["fields"] == {"organization": ["不支持该字段。"]}


def test_patching_another_villages_person_is_a_404(api_as: Callable[[User], Api], personas: Personas, person_b: Person) -> None:
    assert_error(api_as(personas.secretary_a).patch(f"/people/{person_b.pk}", {"name": "改名"}), 404, "not_found")
    person_b.refresh_from_db()
    assert person_b.name == "李四"
    assert not Event.objects.exists()
