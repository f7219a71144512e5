"""Staff editing pages: every form's happy path writes the row and its audit event; wrong roles,
other villages, bad input and double submits write nothing and say why in Chinese."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from jiceng.accounts.models import Role, User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree, make_user
from jiceng.orgs import services
from jiceng.orgs.models import GrandCommitteeUnit, Member, Organization, OrgKind, Pairing, Person, Post, PostRole, ReserveCadre, Stage

NEW_ID = "440703199001011239"
HTMX = {"HX-Request": "true"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _user(personas: Personas, tree: Tree, who: str) -> User:
    """A persona, or a supervision-committee member of village A (sees the registry, changes nothing)."""
    if who == "supervision":
        return make_user("watcher", Role.SUPERVISION, tree.village_a)
    return getattr(personas, who)


def _child(parent: Organization, name: str, code: str, kind: str, **fields: object) -> Organization:
    return Organization.objects.add_child(parent, create_kwargs={"name": name, "code": code, "kind": kind, **fields})


def _plain_person(tree: Tree, name: str = "王五") -> Person:
    return Person.objects.create(organization=tree.village_a, name=name, name_initials="ww", gender="M", birth_date=date(1995, 5, 1))


# ---- people --------------------------------------------------------------------------------


def test_it_adds_a_person_from_the_org_page(personas: Personas, tree: Tree) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:person_create", args=[tree.village_a.pk])
    assert "新增人员" in _body(client.get(url))
    data = {"name": "王五", "gender": "M", "ethnicity": "汉族", "id_number": NEW_ID, "phone": "139 1234 5678"}
    response = client.post(url, data)
    person = Person.objects.get(name="王五")
    assert response.status_code == 302 and response["Location"] == reverse("orgs:person", args=[person.pk])
    assert person.organization == tree.village_a and person.birth_date == date(1990, 1, 1)
    assert person.id_number_masked == "440703********1239" and person.phone_masked == "139****5678"
    event = Event.objects.get(action="person.create")
    assert event.actor == personas.secretary_a and event.object_id == str(person.pk) and NEW_ID not in str(event.changes)


@pytest.mark.parametrize(
    ("who", "status"), [("member", 404), ("auditor", 404), ("outsider", 404), ("secretary_b", 404), ("supervision", 403)]
)
def test_wrong_roles_cannot_add_people(personas: Personas, tree: Tree, who: str, status: int) -> None:
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:person_create", args=[tree.village_a.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"name": "王五", "gender": "M"}).status_code == status
    assert not Person.objects.exists() and not Event.objects.exists()


@pytest.mark.parametrize(
    ("id_number", "message"),
    [("440703199001011238", "校验位"), ("12345", "18位"), ("440703199013011236", "出生日期无效")],
)
def test_it_refuses_a_bad_id_number_in_chinese(personas: Personas, tree: Tree, id_number: str, message: str) -> None:
    response = _client(personas.secretary_a).post(
        reverse("orgs:person_create", args=[tree.village_a.pk]), {"name": "王五", "gender": "M", "id_number": id_number}
    )
    assert response.status_code == 200 and message in _body(response)
    assert 'aria-invalid="true"' in _body(response)
    assert not Person.objects.exists() and not Event.objects.exists()


def test_it_refuses_a_duplicate_id_number(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    data = {"name": "张三", "gender": "M", "id_number": "440703198001011234"}
    response = client.post(reverse("orgs:person_create", args=[tree.village_a.pk]), data)
    assert "该身份证号已登记，请勿重复录入。" in _body(response)
    assert Person.objects.count() == 1 and not Event.objects.exists()


def test_it_refuses_a_bad_phone_and_a_birth_date_that_contradicts_the_id(personas: Personas, tree: Tree) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:person_create", args=[tree.village_a.pk])
    assert "手机号应为11位" in _body(client.post(url, {"name": "王五", "gender": "M", "phone": "021-1234"}))
    body = _body(client.post(url, {"name": "王五", "gender": "M", "id_number": NEW_ID, "birth_date": "1990-02-01"}))
    assert "出生日期与身份证号中的出生日期（1990-01-01）不一致" in body
    assert "姓名" in _body(client.post(url, {"name": "", "gender": "M"})) and not Person.objects.exists()


def test_the_edit_form_shows_only_masked_numbers(personas: Personas, person_a: Person) -> None:
    body = _body(_client(personas.secretary_a).get(reverse("orgs:person_edit", args=[person_a.pk])))
    assert "440703********1234" in body and "138****8000" in body and "如需更正请填写完整号码" in body
    assert "440703198001011234" not in body and "13800138000" not in body


def test_it_edits_a_person_and_keeps_numbers_left_empty(personas: Personas, person_a: Person) -> None:
    data = {
        "name": "张叁",
        "gender": "M",
        "ethnicity": "壮族",
        "education": "bachelor",
        "address": "甲村一巷",
        "id_number": "",
        "phone": "",
    }
    response = _client(personas.secretary_a).post(reverse("orgs:person_edit", args=[person_a.pk]), data)
    assert response.status_code == 302
    person_a.refresh_from_db()
    assert (person_a.name, person_a.name_initials, person_a.ethnicity, person_a.education) == ("张叁", "zs", "壮族", "bachelor")
    assert person_a.id_number_masked == "440703********1234" and person_a.phone_masked == "138****8000"
    assert person_a.birth_date == date(1980, 1, 1)  # the birth-date field is locked to the ID number on record
    event = Event.objects.get(action="person.update")
    assert event.changes["name"] == ["张三", "张叁"] and "id_number_masked" not in event.changes


def test_it_replaces_the_id_number_and_the_birth_date_follows(personas: Personas, person_a: Person) -> None:
    data = {"name": "张三", "gender": "M", "ethnicity": "汉族", "id_number": NEW_ID, "phone": "13912345678"}
    assert _client(personas.secretary_a).post(reverse("orgs:person_edit", args=[person_a.pk]), data).status_code == 302
    person_a.refresh_from_db()
    assert person_a.id_number_masked == "440703********1239" and person_a.birth_date == date(1990, 1, 1)
    assert person_a.phone_masked == "139****5678"


def test_it_refuses_an_id_number_that_belongs_to_someone_else(personas: Personas, tree: Tree, person_a: Person) -> None:
    other = _plain_person(tree)
    data = {"name": "王五", "gender": "M", "ethnicity": "汉族", "id_number": "440703198001011234"}
    body = _body(_client(personas.secretary_a).post(reverse("orgs:person_edit", args=[other.pk]), data))
    assert "该身份证号已登记" in body
    other.refresh_from_db()
    assert other.id_number_masked == "" and not Event.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("member", 404), ("auditor", 404), ("supervision", 403)])
def test_wrong_roles_cannot_edit_a_person(personas: Personas, tree: Tree, person_a: Person, who: str, status: int) -> None:
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:person_edit", args=[person_a.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"name": "改名", "gender": "F"}).status_code == status
    person_a.refresh_from_db()
    assert person_a.name == "张三" and not Event.objects.exists()


def test_posts_need_a_csrf_token(personas: Personas, tree: Tree) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.secretary_a)
    response = client.post(reverse("orgs:person_create", args=[tree.village_a.pk]), {"name": "王五", "gender": "M"})
    assert response.status_code == 403 and not Person.objects.exists()


# ---- member records ------------------------------------------------------------------------


def _member_data(branch: Organization, **kw: object) -> dict[str, object]:
    return {"branch": branch.pk, "stage": Stage.ACTIVIST, "applied_on": "2024-03-01", "activist_on": "2024-09-01"} | kw


def test_it_creates_a_member_record(personas: Personas, tree: Tree) -> None:
    person = _plain_person(tree)
    client = _client(personas.secretary_a)
    url = reverse("orgs:member_edit", args=[person.pk])
    body = _body(client.get(url))
    assert "登记党员信息" in body and "甲村党支部" in body and "乙村党支部" not in body
    response = client.post(url, _member_data(tree.branch_a, residence_community=tree.village_a.pk))
    assert response.status_code == 302
    member = Member.objects.get(person=person)
    assert (member.branch, member.stage, member.activist_on) == (tree.branch_a, Stage.ACTIVIST, date(2024, 9, 1))
    assert member.residence_community == tree.village_a
    assert Event.objects.get(action="member.create").object_id == str(member.pk)


def test_it_updates_a_member_record_and_keeps_an_out_of_scope_work_unit(personas: Personas, tree: Tree, person_a: Person) -> None:
    organ = _child(tree.district, "区委办", "440799A01", OrgKind.ORGAN)
    Member.objects.filter(person=person_a).update(work_unit=organ)
    client = _client(personas.secretary_a)
    url = reverse("orgs:member_edit", args=[person_a.pk])
    assert "区委办" in _body(client.get(url))  # the stored value stays selectable though the village cannot see the organ
    data = {
        "branch": tree.branch_a.pk,
        "stage": Stage.FULL,
        "applied_on": "2000-01-01",
        "activist_on": "2000-06-01",
        "candidate_on": "2001-07-01",
        "probationary_on": "2001-09-01",
        "full_on": "2002-09-01",
        "work_unit": organ.pk,
        "residence_community": tree.village_a.pk,
    }
    assert client.post(url, data).status_code == 302
    member = Member.objects.get(person=person_a)
    assert member.work_unit == organ and member.residence_community == tree.village_a
    assert Event.objects.get(action="member.update").changes == {"residence_community": [None, tree.village_a.pk]}


def test_it_refuses_a_branch_in_village_b(personas: Personas, tree: Tree) -> None:
    person = _plain_person(tree)
    response = _client(personas.secretary_a).post(reverse("orgs:member_edit", args=[person.pk]), _member_data(tree.branch_b))
    assert response.status_code == 200 and "请从您管辖范围内的党组织中选择。" in _body(response)
    assert not Member.objects.exists() and not Event.objects.exists()


def test_it_refuses_a_work_unit_or_community_out_of_scope(personas: Personas, tree: Tree) -> None:
    person = _plain_person(tree)
    client = _client(personas.secretary_a)
    url = reverse("orgs:member_edit", args=[person.pk])
    assert "请从列表中选择社区或村。" in _body(client.post(url, _member_data(tree.branch_a, residence_community=tree.community_c.pk)))
    assert "请从列表中选择单位。" in _body(client.post(url, _member_data(tree.branch_a, work_unit=tree.village_a.pk)))
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"activist_on": "2024-01-01"}, "不能早于上一阶段"),
        ({"activist_on": ""}, "须填写该阶段的日期"),
        ({"stage": Stage.APPLICANT}, "尚未到“入党积极分子”阶段"),
        ({"applied_on": "2012-01-01"}, "年满十八岁"),
    ],
)
def test_it_refuses_bad_stage_dates_in_chinese(personas: Personas, tree: Tree, data: dict[str, str], message: str) -> None:
    person = _plain_person(tree)
    response = _client(personas.secretary_a).post(reverse("orgs:member_edit", args=[person.pk]), _member_data(tree.branch_a, **data))
    assert response.status_code == 200 and message in _body(response)
    assert not Member.objects.exists() and not Event.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("member", 404), ("outsider", 404), ("supervision", 403)])
def test_wrong_roles_cannot_save_member_records(personas: Personas, tree: Tree, who: str, status: int) -> None:
    person = _plain_person(tree)
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:member_edit", args=[person.pk])
    assert client.get(url).status_code == status
    assert client.post(url, _member_data(tree.branch_a)).status_code == status
    assert not Member.objects.exists() and not Event.objects.exists()


# ---- posts ---------------------------------------------------------------------------------


def _post_data(person: Person, org: Organization, **kw: object) -> dict[str, object]:
    return {"person": person.pk, "organization": org.pk, "role": PostRole.COMMITTEE_MEMBER, "start_date": "2021-05-01", "elected": "1"} | kw


def test_it_appoints_a_person_and_shows_the_post_on_the_org_page(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:post_create", args=[tree.village_a.pk])
    body = _body(client.get(url))
    assert "任命/选举职务" in body and "甲村党支部" in body and "乙村党支部" not in body
    response = client.post(url, _post_data(person_a, tree.branch_a, elected="0"))
    assert response.status_code == 302 and response["Location"] == reverse("orgs:detail", args=[tree.village_a.pk])
    post = Post.objects.get()
    assert (post.person, post.organization, post.role, post.elected) == (person_a, tree.branch_a, PostRole.COMMITTEE_MEMBER, False)
    assert Event.objects.get(action="post.create").object_id == str(post.pk)
    page = _body(client.get(reverse("orgs:detail", args=[tree.village_a.pk])))
    assert "委员" in page and "张三" in page and reverse("orgs:post_end", args=[post.pk]) in page


def test_a_double_submit_gives_one_post(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:post_create", args=[tree.branch_a.pk])
    assert client.post(url, _post_data(person_a, tree.branch_a)).status_code == 302
    second = client.post(url, _post_data(person_a, tree.branch_a))
    assert second.status_code == 200 and "此人已在该组织担任该职务。" in _body(second)
    assert Post.objects.count() == 1 and Event.objects.filter(action="post.create").count() == 1


def test_a_racing_double_submit_caught_by_the_constraint_gives_a_message(
    personas: Personas, tree: Tree, person_a: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def racing(**kwargs: object) -> Post:
        raise IntegrityError("UNIQUE constraint failed: unique_open_post")

    monkeypatch.setattr(services, "post_create", racing)
    response = _client(personas.secretary_a).post(reverse("orgs:post_create", args=[tree.branch_a.pk]), _post_data(person_a, tree.branch_a))
    assert response.status_code == 200 and "请勿重复提交" in _body(response)
    assert not Post.objects.exists()


def test_it_cannot_appoint_someone_from_another_village(personas: Personas, tree: Tree, person_b: Person) -> None:
    response = _client(personas.secretary_a).post(reverse("orgs:post_create", args=[tree.branch_a.pk]), _post_data(person_b, tree.branch_a))
    assert "请从搜索结果中选择人员。" in _body(response)
    assert not Post.objects.exists() and not Event.objects.exists()


def test_it_cannot_appoint_into_an_organization_outside_the_page(personas: Personas, tree: Tree, person_a: Person) -> None:
    response = _client(personas.town_staff).post(reverse("orgs:post_create", args=[tree.village_a.pk]), _post_data(person_a, tree.branch_b))
    assert "选择一个有效的选项" in _body(response) and not Post.objects.exists()


@pytest.mark.parametrize(
    ("role", "org", "message"),
    [(PostRole.SECRETARY, "village_a", "请选择党组织"), (PostRole.CHAIR, "branch_a", "不是党组织的职务")],
)
def test_it_puts_roles_in_the_right_kind_of_organization(
    personas: Personas, tree: Tree, person_a: Person, role: str, org: str, message: str
) -> None:
    data = _post_data(person_a, getattr(tree, org), role=role)
    body = _body(_client(personas.secretary_a).post(reverse("orgs:post_create", args=[tree.village_a.pk]), data))
    assert message in body and not Post.objects.exists()


def test_the_person_search_lists_only_people_in_scope(personas: Personas, tree: Tree, person_a: Person, person_b: Person) -> None:
    url = reverse("orgs:post_create", args=[tree.village_a.pk])
    mine = _body(_client(personas.secretary_a).get(url, {"q": "zs"}, headers=HTMX))
    assert f'value="{person_a.pk}"' in mine and "440703********1234" in mine and "<html" not in mine
    other = _body(_client(personas.secretary_a).get(url, {"q": "李"}, headers=HTMX))
    assert "李四" not in other and "没有找到" in other
    town = _body(_client(personas.town_staff).get(url, {"q": "李"}, headers=HTMX))
    assert "李四" in town
    full_page = _body(_client(personas.secretary_a).get(url, {"q": "张"}))
    assert "<html" in full_page and f'value="{person_a.pk}"' in full_page


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("member", 403), ("auditor", 404), ("supervision", 403)])
def test_wrong_roles_cannot_appoint(personas: Personas, tree: Tree, person_a: Person, who: str, status: int) -> None:
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:post_create", args=[tree.branch_a.pk])
    assert client.get(url).status_code == status
    assert client.post(url, _post_data(person_a, tree.branch_a)).status_code == status
    assert not Post.objects.exists() and not Event.objects.exists()


def _post(person: Person, org: Organization, start: date = date(2021, 5, 1)) -> Post:
    return Post.objects.create(person=person, organization=org, role=PostRole.COMMITTEE_MEMBER, start_date=start)


def test_it_ends_a_post_inline_with_htmx(personas: Personas, tree: Tree, person_a: Person) -> None:
    post = _post(person_a, tree.branch_a)
    client = _client(personas.secretary_a)
    url = reverse("orgs:post_end", args=[post.pk])
    inline = _body(client.get(url, headers=HTMX))
    assert inline.startswith("<tr") and 'name="end_date"' in inline and "hx-confirm" in inline
    row = _body(client.post(url, {"end_date": "2024-06-30"}, headers=HTMX))
    assert row.startswith("<tr") and "2024-06-30" in row and "已登记离任" in row
    post.refresh_from_db()
    assert post.end_date == date(2024, 6, 30)
    assert Event.objects.get(action="post.end").changes == {"end_date": [None, "2024-06-30"]}


def test_it_ends_a_post_without_htmx(personas: Personas, tree: Tree, person_a: Person) -> None:
    post = _post(person_a, tree.branch_a)
    client = _client(personas.secretary_a)
    url = reverse("orgs:post_end", args=[post.pk])
    assert "确认离任" in _body(client.get(url))
    response = client.post(url, {"end_date": "2024-06-30"})
    assert response.status_code == 302 and response["Location"] == reverse("orgs:detail", args=[tree.branch_a.pk])
    assert "离任" in _body(client.post(url, {"end_date": "2024-07-30"}))  # already ended: the service says so
    assert Event.objects.filter(action="post.end").count() == 1


def test_it_refuses_an_end_date_before_the_start(personas: Personas, tree: Tree, person_a: Person) -> None:
    post = _post(person_a, tree.branch_a)
    row = _body(_client(personas.secretary_a).post(reverse("orgs:post_end", args=[post.pk]), {"end_date": "2020-01-01"}, headers=HTMX))
    assert "离任日期不能早于任职日期。" in row and 'name="end_date"' in row
    post.refresh_from_db()
    assert post.end_date is None and not Event.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("outsider", 404), ("supervision", 403), ("member", 403)])
def test_wrong_roles_cannot_end_a_post(personas: Personas, tree: Tree, person_a: Person, who: str, status: int) -> None:
    post = _post(person_a, tree.branch_a)
    response = _client(_user(personas, tree, who)).post(reverse("orgs:post_end", args=[post.pk]), {"end_date": "2024-06-30"})
    assert response.status_code == status
    post.refresh_from_db()
    assert post.end_date is None and not Event.objects.exists()


# ---- organizations -------------------------------------------------------------------------


def test_the_town_adds_a_child_organization(personas: Personas, tree: Tree) -> None:
    client = _client(personas.town_staff)
    url = reverse("orgs:org_create", args=[tree.village_a.pk])
    body = _body(client.get(url))
    assert "党支部" in body and "非公企业" in body and 'value="town"' not in body and 'value="party_group"' not in body
    data = {"name": "甲村第二党支部", "code": "440799100201D2", "kind": OrgKind.BRANCH}
    response = client.post(url, data)
    org = Organization.objects.get(code="440799100201D2")
    assert response.status_code == 302 and Organization.objects.get_parent(org) == tree.village_a and org.kind == OrgKind.BRANCH
    assert Event.objects.get(action="org.create").object_id == str(org.pk)


def test_the_town_adds_a_jointly_formed_enterprise(personas: Personas, tree: Tree) -> None:
    joint = _child(tree.town, "甲镇非公企业联合党支部", "440799100J1", OrgKind.JOINT_BRANCH)
    client = _client(personas.town_staff)
    url = reverse("orgs:org_create", args=[tree.village_a.pk])
    data = {"name": "甲村五金厂", "code": "440799100201E1", "kind": OrgKind.ENTERPRISE, "formation": "joint"}
    assert "联合组建的单位须指明所属的联合党支部。" in _body(client.post(url, data))
    assert client.post(url, data | {"joint_party_org": joint.pk}).status_code == 302
    assert Organization.objects.get(code="440799100201E1").joint_party_org == joint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": OrgKind.TOWN}, "该类型的组织不能设在“村”之下。"),
        ({"kind": OrgKind.BRANCH, "formation": "single"}, "只有非公企业和社会组织需要填写党组织组建方式。"),
        ({"kind": OrgKind.ENTERPRISE}, "请选择党组织组建方式"),
        ({"kind": OrgKind.BRANCH, "code": "440799100201D1"}, "编码 440799100201D1 已被使用。"),
    ],
)
def test_it_refuses_bad_child_organizations_in_chinese(personas: Personas, tree: Tree, data: dict[str, str], message: str) -> None:
    before = Organization.objects.count()
    body = _body(
        _client(personas.town_staff).post(reverse("orgs:org_create", args=[tree.village_a.pk]), {"name": "新组织", "code": "X1"} | data)
    )
    assert message in body
    assert Organization.objects.count() == before and not Event.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("secretary_a", 403), ("supervision", 403), ("member", 404), ("auditor", 404)])
def test_village_staff_and_others_cannot_add_child_organizations(personas: Personas, tree: Tree, who: str, status: int) -> None:
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:org_create", args=[tree.village_a.pk])
    before = Organization.objects.count()
    assert client.get(url).status_code == status
    assert client.post(url, {"name": "新支部", "code": "X1", "kind": OrgKind.BRANCH}).status_code == status
    assert Organization.objects.count() == before and not Event.objects.exists()


def test_the_town_edits_an_organization(personas: Personas, tree: Tree) -> None:
    client = _client(personas.town_staff)
    url = reverse("orgs:org_edit", args=[tree.village_a.pk])
    body = _body(client.get(url))
    assert "甲村" in body and 'name="formation"' not in body  # only two-new organizations have a formation
    response = client.post(url, {"name": "甲村（新）", "address": "甲镇甲村大道1号", "is_active": "on"})
    assert response.status_code == 302
    org = Organization.objects.get(pk=tree.village_a.pk)
    assert (org.name, org.address, org.is_active) == ("甲村（新）", "甲镇甲村大道1号", True)
    assert Event.objects.get(action="org.update").changes == {"name": ["甲村", "甲村（新）"], "address": ["", "甲镇甲村大道1号"]}


def test_it_edits_the_formation_of_an_enterprise(personas: Personas, tree: Tree) -> None:
    firm = _child(tree.village_a, "甲村五金厂", "440799100201E1", OrgKind.ENTERPRISE, formation="none")
    joint = _child(tree.town, "甲镇非公企业联合党支部", "440799100J1", OrgKind.JOINT_BRANCH)
    client = _client(personas.town_staff)
    url = reverse("orgs:org_edit", args=[firm.pk])
    assert "甲镇非公企业联合党支部" in _body(client.get(url))
    data = {"name": firm.name, "formation": "joint", "is_active": "on"}
    assert "联合组建的单位须指明所属的联合党支部。" in _body(client.post(url, data))
    assert client.post(url, data | {"joint_party_org": joint.pk}).status_code == 302
    firm.refresh_from_db()
    assert firm.formation == "joint" and firm.joint_party_org == joint


@pytest.mark.parametrize(("who", "status"), [("secretary_a", 403), ("secretary_b", 404), ("supervision", 403), ("outsider", 404)])
def test_only_town_and_district_edit_organizations(personas: Personas, tree: Tree, who: str, status: int) -> None:
    client = _client(_user(personas, tree, who))
    url = reverse("orgs:org_edit", args=[tree.village_a.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"name": "改名", "is_active": "on"}).status_code == status
    assert Organization.objects.get(pk=tree.village_a.pk).name == "甲村" and not Event.objects.exists()


# ---- reserve cadres ------------------------------------------------------------------------


def test_it_adds_a_reserve_cadre_with_an_age_warning(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:reserve_add", args=[tree.village_a.pk])
    assert "35 岁以下" in _body(client.get(url))
    response = client.post(url, {"person": person_a.pk, "since": "2025-01-01", "note": "返乡创业"}, follow=True)
    reserve = ReserveCadre.objects.get()
    assert (reserve.organization, reserve.person, reserve.note) == (tree.village_a, person_a, "返乡创业")
    assert Event.objects.get(action="reserve_cadre.add").object_id == str(reserve.pk)
    body = _body(response)
    assert "超过后备干部一般不超过 35 岁的本地惯例" in body  # a warning, not a refusal
    assert "现有后备干部 1 名，少于" in body


def test_the_org_page_warns_when_a_village_has_fewer_than_two_reserves(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:detail", args=[tree.village_a.pk])
    assert "现有后备干部 0 名" in _body(client.get(url))
    for person in (person_a, _plain_person(tree)):
        ReserveCadre.objects.create(organization=tree.village_a, person=person, since=date(2025, 1, 1))
    body = _body(client.get(url))
    assert "少于" not in body and "王五" in body
    assert "后备干部" not in _body(client.get(reverse("orgs:detail", args=[tree.branch_a.pk])))


def test_it_refuses_the_same_reserve_twice(personas: Personas, tree: Tree, person_a: Person) -> None:
    client = _client(personas.secretary_a)
    url = reverse("orgs:reserve_add", args=[tree.village_a.pk])
    client.post(url, {"person": person_a.pk, "since": "2025-01-01"})
    assert "此人已在本村（社区）后备干部名单中。" in _body(client.post(url, {"person": person_a.pk, "since": "2025-01-01"}))
    assert ReserveCadre.objects.count() == 1


def test_it_removes_a_reserve_cadre_with_htmx(personas: Personas, tree: Tree, person_a: Person) -> None:
    reserve = ReserveCadre.objects.create(organization=tree.village_a, person=person_a, since=date(2025, 1, 1))
    fragment = _body(_client(personas.secretary_a).post(reverse("orgs:reserve_remove", args=[reserve.pk]), headers=HTMX))
    assert fragment.startswith('<article id="reserve-cadres">') and "暂无后备干部" in fragment
    assert not ReserveCadre.objects.exists()
    assert Event.objects.get(action="reserve_cadre.remove").changes == {"person": person_a.pk, "since": "2025-01-01"}


@pytest.mark.parametrize(("who", "status"), [("secretary_b", 404), ("member", 404), ("supervision", 403), ("auditor", 404)])
def test_wrong_roles_cannot_change_reserves(personas: Personas, tree: Tree, person_a: Person, who: str, status: int) -> None:
    reserve = ReserveCadre.objects.create(organization=tree.village_a, person=person_a, since=date(2025, 1, 1))
    client = _client(_user(personas, tree, who))
    add = client.post(reverse("orgs:reserve_add", args=[tree.village_a.pk]), {"person": person_a.pk, "since": "2025-01-01"})
    assert add.status_code == status
    assert client.post(reverse("orgs:reserve_remove", args=[reserve.pk])).status_code == status
    assert ReserveCadre.objects.count() == 1 and not Event.objects.exists()


def test_reserve_cadres_belong_to_villages_and_communities_only(personas: Personas, tree: Tree) -> None:
    assert _client(personas.secretary_a).get(reverse("orgs:reserve_add", args=[tree.branch_a.pk])).status_code == 404


# ---- grand-committee member units and pairings ---------------------------------------------


def test_the_district_adds_and_removes_a_grand_committee_unit(personas: Personas, tree: Tree, person_b: Person) -> None:
    firm = _child(tree.other_town, "丙街道物业公司", "440799200E1", OrgKind.ENTERPRISE, formation="none")
    client = _client(personas.district_admin)
    url = reverse("orgs:grand_unit_add", args=[tree.community_c.pk])
    assert "丙街道物业公司" in _body(client.get(url))
    response = client.post(url, {"unit": firm.pk, "part_time_member": person_b.pk, "agreement_date": "2024-03-01"})
    assert response.status_code == 302
    row = GrandCommitteeUnit.objects.get()
    assert (row.community, row.unit, row.part_time_member) == (tree.community_c, firm, person_b)
    assert Event.objects.get(action="grand_committee.add").org_path == tree.community_c.path
    assert "丙街道物业公司" in _body(client.get(reverse("orgs:detail", args=[tree.community_c.pk])))
    assert client.post(reverse("orgs:grand_unit_remove", args=[row.pk]), headers=HTMX).content == b""
    assert not GrandCommitteeUnit.objects.exists() and Event.objects.filter(action="grand_committee.remove").count() == 1


def test_a_grand_committee_unit_cannot_be_added_under_a_village(personas: Personas, tree: Tree) -> None:
    firm = _child(tree.village_a, "甲村五金厂", "440799100201E1", OrgKind.ENTERPRISE, formation="none")
    body = _body(
        _client(personas.town_staff).post(
            reverse("orgs:grand_unit_add", args=[tree.village_a.pk]), {"unit": firm.pk, "agreement_date": "2024-03-01"}
        )
    )
    assert "大党委成员单位只能设在社区之下。" in body
    assert not GrandCommitteeUnit.objects.exists() and not Event.objects.exists()


def test_a_grand_committee_unit_must_be_a_unit_the_actor_sees(personas: Personas, tree: Tree) -> None:
    client = _client(personas.district_admin)
    url = reverse("orgs:grand_unit_add", args=[tree.community_c.pk])
    body = _body(client.post(url, {"unit": tree.village_a.pk, "agreement_date": "2024-03-01"}))
    assert "请从您可见的机关单位、非公企业或社会组织中选择。" in body and not GrandCommitteeUnit.objects.exists()


def test_village_staff_cannot_manage_grand_committees(tree: Tree) -> None:
    firm = _child(tree.other_town, "丙街道物业公司", "440799200E1", OrgKind.ENTERPRISE, formation="none")
    staff = make_user("community_staff", Role.VILLAGE_STAFF, tree.community_c)
    response = _client(staff).post(
        reverse("orgs:grand_unit_add", args=[tree.community_c.pk]), {"unit": firm.pk, "agreement_date": "2024-03-01"}
    )
    assert response.status_code == 403 and not GrandCommitteeUnit.objects.exists()


def test_the_district_pairs_an_organ_with_a_village_and_ends_it(personas: Personas, tree: Tree) -> None:
    organ = _child(tree.district, "区委办", "440799A01", OrgKind.ORGAN)
    client = _client(personas.district_admin)
    url = reverse("orgs:pairing_add", args=[tree.village_a.pk])
    bad = _body(client.post(url, {"unit": organ.pk, "agreement_date": "2024-03-01", "end_date": "2024-01-01"}))
    assert "协议终止日期不能早于签订日期。" in bad and not Pairing.objects.exists()
    assert client.post(url, {"unit": organ.pk, "agreement_date": "2024-03-01"}).status_code == 302
    assert "已有未终止的结对协议" in _body(client.post(url, {"unit": organ.pk, "agreement_date": "2024-04-01"}))
    pairing = Pairing.objects.get()
    assert Event.objects.get(action="pairing.add").object_id == str(pairing.pk)
    end_url = reverse("orgs:pairing_end", args=[pairing.pk])
    assert "协议终止日期不能早于签订日期。" in _body(client.post(end_url, {"end_date": "2024-01-01"}, headers=HTMX))
    item = _body(client.post(end_url, {"end_date": "2025-12-31"}, headers=HTMX))
    assert item.startswith("<li") and "已终止" in item
    pairing.refresh_from_db()
    assert pairing.end_date == date(2025, 12, 31) and Event.objects.filter(action="pairing.end").count() == 1
    assert "该结对协议已终止。" in _body(client.post(end_url, {"end_date": "2026-01-01"}))


def test_only_organs_are_paired(personas: Personas, tree: Tree) -> None:
    firm = _child(tree.village_a, "甲村五金厂", "440799100201E1", OrgKind.ENTERPRISE, formation="none")
    body = _body(
        _client(personas.district_admin).post(
            reverse("orgs:pairing_add", args=[tree.village_a.pk]), {"unit": firm.pk, "agreement_date": "2024-03-01"}
        )
    )
    assert "请从您可见的区直机关单位中选择。" in body and not Pairing.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("secretary_a", 403), ("secretary_b", 404), ("supervision", 403)])
def test_wrong_roles_cannot_pair_or_end_pairings(personas: Personas, tree: Tree, who: str, status: int) -> None:
    organ = _child(tree.district, "区委办", "440799A01", OrgKind.ORGAN)
    pairing = Pairing.objects.create(unit=organ, community=tree.village_a, agreement_date=date(2024, 3, 1))
    client = _client(_user(personas, tree, who))
    assert (
        client.post(reverse("orgs:pairing_add", args=[tree.village_a.pk]), {"unit": organ.pk, "agreement_date": "2024-05-01"}).status_code
        == status
    )
    assert client.post(reverse("orgs:pairing_end", args=[pairing.pk]), {"end_date": "2025-01-01"}).status_code == status
    assert Pairing.objects.count() == 1 and Pairing.objects.get().end_date is None and not Event.objects.exists()


# ---- the buttons on the organization and person pages --------------------------------------


def test_the_org_page_offers_only_what_the_user_may_do(personas: Personas, tree: Tree, person_a: Person) -> None:
    url = reverse("orgs:detail", args=[tree.village_a.pk])
    secretary = _body(_client(personas.secretary_a).get(url))
    assert "新增人员" in secretary and "任命/选举职务" in secretary and "新增后备干部" in secretary
    assert "新增下级组织" not in secretary and "编辑组织" not in secretary and "登记结对" not in secretary
    town = _body(_client(personas.town_staff).get(url))
    assert all(label in town for label in ("新增人员", "新增下级组织", "编辑组织", "登记结对"))
    assert "添加成员单位" not in town  # a village has no grand committee
    watcher = _body(_client(_user(personas, tree, "supervision")).get(url))
    assert not any(label in watcher for label in ("新增人员", "任命/选举职务", "新增后备干部", "新增下级组织", "编辑组织"))


def test_the_person_page_offers_editing_to_staff_only(personas: Personas, tree: Tree, person_a: Person) -> None:
    url = reverse("orgs:person", args=[person_a.pk])
    body = _body(_client(personas.secretary_a).get(url))
    assert reverse("orgs:person_edit", args=[person_a.pk]) in body and "修改党员信息" in body
    watcher = _body(_client(_user(personas, tree, "supervision")).get(url))
    assert reverse("orgs:person_edit", args=[person_a.pk]) not in watcher and "修改党员信息" not in watcher
    newcomer = _plain_person(tree)
    assert "登记党员信息" in _body(_client(personas.secretary_a).get(reverse("orgs:person", args=[newcomer.pk])))


def test_the_end_date_defaults_to_today(personas: Personas, tree: Tree, person_a: Person) -> None:
    post = _post(person_a, tree.branch_a, start=date.today() - timedelta(days=30))
    inline = _body(_client(personas.secretary_a).get(reverse("orgs:post_end", args=[post.pk]), headers=HTMX))
    assert date.today().isoformat() in inline


# ---- the new services on their own (refusals the forms already keep out of reach) ----------


def test_services_refuse_what_the_forms_never_offer(personas: Personas, tree: Tree, person_a: Person, person_b: Person) -> None:
    organ = _child(tree.district, "区委办", "440799A01", OrgKind.ORGAN)
    community = _child(tree.town, "甲镇社区", "440799100301", OrgKind.COMMUNITY)
    firm = _child(tree.village_a, "甲村五金厂", "440799100201E1", OrgKind.ENTERPRISE, formation="none")
    day = date(2024, 3, 1)
    with pytest.raises(PermissionDenied):  # the town cannot see district organs
        services.grand_committee_unit_add(actor=personas.town_staff, community=community, unit=organ, agreement_date=day)
    with pytest.raises(ValidationError, match="机关单位、非公企业或社会组织"):
        services.grand_committee_unit_add(actor=personas.town_staff, community=community, unit=tree.village_a, agreement_date=day)
    with pytest.raises(PermissionDenied):  # nor people of another town
        services.grand_committee_unit_add(
            actor=personas.town_staff, community=community, unit=firm, agreement_date=day, part_time_member=_person_elsewhere(tree)
        )
    with pytest.raises(ValidationError, match="区直机关单位"):
        services.pairing_add(actor=personas.district_admin, unit=firm, community=tree.village_a, agreement_date=day)
    with pytest.raises(ValidationError, match="村或社区"):
        services.pairing_add(actor=personas.district_admin, unit=organ, community=tree.branch_a, agreement_date=day)
    with pytest.raises(PermissionDenied):
        services.reserve_cadre_add(actor=personas.secretary_a, organization=tree.village_a, person=person_b, since=day)
    with pytest.raises(ValidationError, match="按村（社区）登记"):
        services.reserve_cadre_add(actor=personas.secretary_a, organization=tree.branch_a, person=person_a, since=day)
    assert not (GrandCommitteeUnit.objects.exists() or Pairing.objects.exists() or ReserveCadre.objects.exists())
    assert not Event.objects.exists()


def _person_elsewhere(tree: Tree) -> Person:
    return Person.objects.create(organization=tree.community_c, name="丙某", name_initials="bm", gender="F")


def test_the_age_note_follows_local_practice(tree: Tree, person_a: Person) -> None:
    young = _plain_person(tree)
    assert services.reserve_age_warning(young, date(2026, 1, 1)) == ""
    assert "35 岁" in services.reserve_age_warning(person_a, date(2026, 1, 1))
    assert services.reserve_age_warning(Person(name="无生日", gender="M"), date(2026, 1, 1)) == ""
