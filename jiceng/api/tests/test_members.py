"""/api/v1/members: scoped lists, the stage-date rules through PATCH, audited writes."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jiceng.accounts.models import User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Member, Organization, Person, Stage


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _member_of(person: Person, branch: Organization, stage: str = Stage.APPLICANT) -> Member:
    return Member.objects.create(person=person, branch=branch, stage=stage, applied_on=date(2024, 3, 1))


@pytest.fixture
def member_b(tree: Tree, person_b: Person) -> Member:
    return _member_of(person_b, tree.branch_b)


# ---- reading -------------------------------------------------------------------------------


def test_a_village_secretary_lists_only_the_village_branch(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, member_b: Member
) -> None:
    assert _ids(api_as(personas.secretary_a).get("/members")) == [person_a.member.pk]


def test_the_district_admin_lists_every_member(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, member_b: Member
) -> None:
    assert sorted(_ids(api_as(personas.district_admin).get("/members"))) == sorted([person_a.member.pk, member_b.pk])


@pytest.mark.parametrize("persona", ["member", "auditor", "outsider"])
def test_roles_without_member_view_list_nothing(api_as: Callable[[User], Api], personas: Personas, person_a: Person, persona: str) -> None:
    assert _ids(api_as(getattr(personas, persona)).get("/members")) == []


def test_it_filters_by_stage_and_branch(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, member_b: Member, tree: Tree
) -> None:
    api = api_as(personas.district_admin)
    assert _ids(api.get("/members", stage="applicant")) == [member_b.pk]
    assert _ids(api.get("/members", stage="full")) == [person_a.member.pk]
    assert _ids(api.get("/members", branch=tree.branch_b.pk)) == [member_b.pk]


def test_a_branch_filter_outside_the_scope_finds_nothing(
    api_as: Callable[[User], Api], personas: Personas, member_b: Member, tree: Tree
) -> None:
    assert _ids(api_as(personas.secretary_a).get("/members", branch=tree.branch_b.pk)) == []


def test_an_unknown_stage_filter_is_a_400(api_as: Callable[[User], Api], personas: Personas) -> None:
    error = assert_error(api_as(personas.secretary_a).get("/members", stage="leader"), 400, "invalid")
    assert list(error["fields"]) == ["stage"]


def test_detail_shows_the_pipeline(api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree) -> None:
    body = api_as(personas.secretary_a).get(f"/members/{person_a.member.pk}").json()
    assert body["person"] == person_a.pk and body["person_name"] == "张三"
    assert (body["branch"], body["branch_name"], body["stage"], body["stage_label"]) == (tree.branch_a.pk, "甲村党支部", "full", "正式党员")
    assert body["full_on"] == "2002-09-01"


def test_detail_of_another_villages_member_is_a_404(api_as: Callable[[User], Api], personas: Personas, member_b: Member) -> None:
    assert_error(api_as(personas.secretary_a).get(f"/members/{member_b.pk}"), 404, "not_found")


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_rows(
    api_as: Callable[[User], Api], personas: Personas, tree: Tree, rows: int, django_assert_num_queries: Any
) -> None:
    for village, branch in ((tree.village_a, tree.branch_a), (tree.village_b, tree.branch_b)):
        people = Person.objects.bulk_create(
            Person(organization=village, name=f"人{i}", name_initials=f"r{i}", gender="F") for i in range(rows)
        )
        Member.objects.bulk_create(Member(person=p, branch=branch, stage=Stage.APPLICANT, applied_on=date(2024, 1, 1)) for p in people)
    api = api_as(personas.town_staff)
    # session, user, grants, page (with person and branch joined), count
    with django_assert_num_queries(5):
        response = api.get("/members")
    assert response.json()["count"] == 2 * rows


# ---- creating ------------------------------------------------------------------------------


def test_it_creates_a_member_record_with_an_audit_event(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    person = Person.objects.create(organization=tree.village_a, name="王五", name_initials="ww", gender="M")
    payload = {
        "person": person.pk,
        "branch": tree.branch_a.pk,
        "stage": "activist",
        "applied_on": "2025-01-05",
        "activist_on": "2025-04-01",
    }
    response = api_as(personas.secretary_a).post("/members", payload)
    assert response.status_code == 201, response.content
    member = Member.objects.get(person=person)
    assert (member.stage, member.activist_on) == (Stage.ACTIVIST, date(2025, 4, 1))
    event = Event.objects.get(action="member.create")
    assert (event.object_id, event.actor_id, event.org_path) == (str(member.pk), personas.secretary_a.pk, tree.branch_a.path)


def test_a_second_record_for_the_same_person_is_a_400(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree
) -> None:
    payload = {"person": person_a.pk, "branch": tree.branch_a.pk, "stage": "applicant", "applied_on": "2025-01-05"}
    error = assert_error(api_as(personas.secretary_a).post("/members", payload), 400, "invalid")
    assert list(error["fields"]) == ["person"]
    assert Member.objects.get(person=person_a).stage == Stage.FULL


def test_a_member_of_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, person_b: Person, tree: Tree) -> None:
    payload = {"person": person_b.pk, "branch": tree.branch_a.pk, "stage": "applicant", "applied_on": "2025-01-05"}
    assert_error(api_as(personas.secretary_a).post("/members", payload), 404, "not_found")
    assert not Member.objects.filter(person=person_b).exists()


def test_a_branch_of_another_village_is_a_404(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    person = Person.objects.create(organization=tree.village_a, name="王五", name_initials="ww", gender="M")
    payload = {"person": person.pk, "branch": tree.branch_b.pk, "stage": "applicant", "applied_on": "2025-01-05"}
    assert_error(api_as(personas.secretary_a).post("/members", payload), 404, "not_found")
    assert not Member.objects.filter(person=person).exists()


def test_a_village_is_not_a_branch(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    person = Person.objects.create(organization=tree.village_a, name="王五", name_initials="ww", gender="M")
    payload = {"person": person.pk, "branch": tree.village_a.pk, "stage": "applicant", "applied_on": "2025-01-05"}
    error = assert_error(api_as(personas.secretary_a).post("/members", payload), 400, "invalid")
    assert error["fields"] == {"branch": ["党员须隶属于党委、党总支、党支部或联合党支部。"]}


def test_the_date_of_the_stage_reached_is_required(api_as: Callable[[User], Api], personas: Personas, tree: Tree) -> None:
    person = Person.objects.create(organization=tree.village_a, name="王五", name_initials="ww", gender="M")
    payload = {"person": person.pk, "branch": tree.branch_a.pk, "stage": "activist", "applied_on": "2025-01-05"}
    error = assert_error(api_as(personas.secretary_a).post("/members", payload), 400, "invalid")
    assert error["fields"] == {"activist_on": ["阶段为“入党积极分子”时须填写该阶段的日期。"]}
    assert not Event.objects.exists()


# ---- updating ------------------------------------------------------------------------------


def test_patch_with_stage_dates_out_of_order_is_a_400_in_chinese(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person
) -> None:
    member = person_a.member
    response = api_as(personas.secretary_a).patch(f"/members/{member.pk}", {"candidate_on": "1999-12-31"})
    error = assert_error(response, 400, "invalid")
    assert error["message"] == "“发展对象”日期不能早于上一阶段。"
    assert error["fields"] == {"candidate_on": ["“发展对象”日期不能早于上一阶段。"]}
    member.refresh_from_db()
    assert member.candidate_on == date(2001, 7, 1)
    assert not Event.objects.exists()


def test_patch_refuses_a_date_for_a_stage_not_reached(api_as: Callable[[User], Api], personas: Personas, member_b: Member) -> None:
    error = assert_error(api_as(personas.secretary_b).patch(f"/members/{member_b.pk}", {"full_on": "2026-01-01"}), 400, "invalid")
    assert list(error["fields"]) == ["full_on"]


def test_patch_refuses_null_stage(api_as: Callable[[User], Api], personas: Personas, member_b: Member) -> None:
    error = assert_error(api_as(personas.secretary_b).patch(f"/members/{member_b.pk}", {"stage": None}), 400, "invalid")
    assert error["fields"] == {"stage": ["不能为空。"]}


def test_patching_another_villages_member_is_a_404(api_as: Callable[[User], Api], personas: Personas, member_b: Member) -> None:
    assert_error(api_as(personas.secretary_a).patch(f"/members/{member_b.pk}", {"stage": "activist"}), 404, "not_found")
    member_b.refresh_from_db()
    assert member_b.stage == Stage.APPLICANT


def test_moving_a_member_to_a_branch_out_of_scope_is_a_404(
    api_as: Callable[[User], Api], personas: Personas, person_a: Person, tree: Tree
) -> None:
    assert_error(api_as(personas.secretary_a).patch(f"/members/{person_a.member.pk}", {"branch": tree.branch_b.pk}), 404, "not_found")
    assert Member.objects.get(person=person_a).branch_id == tree.branch_a.pk


def test_it_advances_a_stage_and_records_the_diff(api_as: Callable[[User], Api], personas: Personas, member_b: Member) -> None:
    response = api_as(personas.secretary_b).patch(f"/members/{member_b.pk}", {"stage": "activist", "activist_on": "2024-09-01"})
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["applied_on"]) == ("activist", "2024-03-01")
    event = Event.objects.get(action="member.update")
    assert event.changes == {"stage": ["applicant", "activist"], "activist_on": [None, "2024-09-01"]}
