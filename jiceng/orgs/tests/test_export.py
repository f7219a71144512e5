"""Excel export: only the viewer's scope, masked personal data, filters as on the list pages, audited."""

from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import id_check_digit
from jiceng.orgs.models import Member, Organization, Person, Post, PostRole, Stage


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "no-store" in response["Cache-Control"]
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert ws is not None
    return [[c.value for c in row] for row in ws.iter_rows()]


def make_person(org: Organization, name: str, seq: int, branch: Organization | None = None, stage: str = Stage.FULL) -> Person:
    first17 = f"44070319900101{seq:03d}"
    id_number = first17 + id_check_digit(first17)
    phone = f"139{seq:08d}"
    person = Person.objects.create(
        organization=org,
        name=name,
        name_initials="".join(ch for ch in name if ch.isascii()).lower() or "x",
        gender="M",
        id_number_encrypted=fieldcrypto.encrypt(id_number),
        id_number_hash=fieldcrypto.lookup_hash(id_number),
        id_number_masked=fieldcrypto.mask_id_number(id_number),
        phone_encrypted=fieldcrypto.encrypt(phone),
        phone_hash=fieldcrypto.lookup_hash(phone),
        phone_masked=fieldcrypto.mask_phone(phone),
    )
    if branch is not None:
        dates = {"applied_on": date(2019, 1, 1), "activist_on": date(2019, 6, 1), "candidate_on": date(2020, 7, 1)}
        if stage in (Stage.PROBATIONARY, Stage.FULL):
            dates["probationary_on"] = date(2020, 9, 1)
        if stage == Stage.FULL:
            dates["full_on"] = date(2021, 9, 1)
        Member.objects.create(person=person, name=person.name, name_initials=person.name_initials, branch=branch, stage=stage, **dates)
    return person


@pytest.fixture
def people(tree: Tree, person_a: Person) -> dict[str, Person]:
    return {
        "a": person_a,
        "a2": make_person(tree.village_a, "王五", 2, tree.branch_a, Stage.CANDIDATE),
        "b": make_person(tree.village_b, "李四", 3, tree.branch_b),
        "c": make_person(tree.community_c, "赵六", 4),
    }


def test_members_export_as_secretary_a_holds_only_village_a_and_is_audited(
    client: Client, personas: Personas, people: dict[str, Person]
) -> None:
    client.force_login(personas.secretary_a)
    rows = sheet(client.get(reverse("orgs:export_all_members")))

    assert rows[0][:7] == ["姓名", "性别", "身份证号", "手机号", "所在党组织", "党组织编码", "发展阶段"]
    assert sorted(r[0] for r in rows[1:]) == ["张三", "王五"]
    event = Event.objects.get(action="registry.export")
    assert event.actor_id == personas.secretary_a.pk
    assert event.changes == {"list": "members", "filters": {}, "rows": 2}
    assert event.org_path == people["a"].organization.path


def test_exports_show_masked_id_numbers_and_phones_only(client: Client, personas: Personas, people: dict[str, Person]) -> None:
    client.force_login(personas.district_admin)
    for name in ("orgs:export_all_members", "orgs:export_people", "orgs:export_posts"):
        Post.objects.get_or_create(
            person=people["a"], organization=people["a"].organization, role=PostRole.SECRETARY, start_date=date(2021, 1, 1)
        )
        cells = [str(v) for row in sheet(client.get(reverse(name)))[1:] for v in row if v is not None]
        assert "440703198001011234" not in cells and "13800138000" not in cells
        assert "440703********1234" in cells
        if name != "orgs:export_posts":
            assert "138****8000" in cells
    assert Event.objects.filter(action="registry.export").count() == 3


def test_exporting_another_villages_org_is_404(client: Client, personas: Personas, tree: Tree, people: dict[str, Person]) -> None:
    client.force_login(personas.secretary_a)
    assert client.get(reverse("orgs:export_members", args=[tree.village_b.pk])).status_code == 404
    assert client.get(reverse("orgs:export_members", args=[tree.town.pk])).status_code == 404  # above the grant
    assert client.get(reverse("orgs:export_members", args=[999_999])).status_code == 404
    assert not Event.objects.filter(action="registry.export").exists()


def test_exporting_an_org_in_scope_limits_to_its_subtree(client: Client, personas: Personas, tree: Tree, people: dict[str, Person]) -> None:
    client.force_login(personas.town_staff)
    rows = sheet(client.get(reverse("orgs:export_members", args=[tree.village_b.pk])))
    assert [r[0] for r in rows[1:]] == ["李四"]
    event = Event.objects.get(action="registry.export")
    assert event.org_path == tree.village_b.path and event.changes["rows"] == 1


@pytest.mark.parametrize("persona", ["outsider", "member", "auditor"])
def test_users_without_an_export_grant_get_403(client: Client, personas: Personas, people: dict[str, Person], persona: str) -> None:
    client.force_login(getattr(personas, persona))
    for name in ("orgs:export_all_members", "orgs:export_people", "orgs:export_posts"):
        assert client.get(reverse(name)).status_code == 403
    assert not Event.objects.filter(action="registry.export").exists()


def test_anonymous_is_sent_to_login(client: Client, people: dict[str, Person]) -> None:
    response: Any = client.get(reverse("orgs:export_people"))
    assert response.status_code == 302 and "/login/" in response.url


def test_export_is_get_only(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    assert client.post(reverse("orgs:export_people")).status_code == 405


def test_people_export_is_scoped(client: Client, personas: Personas, people: dict[str, Person]) -> None:
    client.force_login(personas.town_staff)
    rows = sheet(client.get(reverse("orgs:export_people")))
    assert sorted(r[0] for r in rows[1:]) == ["张三", "李四", "王五"]  # not 赵六 of the other sub-district


def test_posts_export_is_scoped(client: Client, personas: Personas, tree: Tree, people: dict[str, Person]) -> None:
    Post.objects.create(person=people["a"], organization=tree.branch_a, role=PostRole.SECRETARY, start_date=date(2021, 1, 1))
    Post.objects.create(person=people["b"], organization=tree.branch_b, role=PostRole.SECRETARY, start_date=date(2021, 1, 1))
    client.force_login(personas.secretary_a)
    rows = sheet(client.get(reverse("orgs:export_posts")))
    assert rows[1:] == [["张三", "440703********1234", "甲村党支部", "440799100201D1", "书记", datetime(2021, 1, 1), None, "是"]]
    assert Event.objects.get(action="registry.export").changes == {"list": "posts", "filters": {}, "rows": 1}


def test_filters_match_the_list_pages(client: Client, personas: Personas, tree: Tree, people: dict[str, Person]) -> None:
    client.force_login(personas.town_staff)
    url = reverse("orgs:export_all_members")
    assert [r[0] for r in sheet(client.get(url, {"q": "zs"}))[1:]] == ["张三"]  # pinyin initials
    assert [r[0] for r in sheet(client.get(url, {"q": "王"}))[1:]] == ["王五"]
    assert [r[0] for r in sheet(client.get(url, {"stage": Stage.CANDIDATE}))[1:]] == ["王五"]
    assert [r[0] for r in sheet(client.get(url, {"branch": tree.branch_b.pk}))[1:]] == ["李四"]
    assert len(sheet(client.get(url, {"stage": "nonsense", "branch": "x"}))) == 4  # unknown values are ignored
    assert [r[0] for r in sheet(client.get(reverse("orgs:export_people"), {"stage": Stage.FULL}))[1:]] == ["张三", "李四"]
    last = Event.objects.filter(action="registry.export").order_by("-seq")[1]
    assert last.changes["filters"] == {"stage": "nonsense", "branch": "x"}


def test_a_branch_filter_cannot_reach_outside_scope(client: Client, personas: Personas, tree: Tree, people: dict[str, Person]) -> None:
    client.force_login(personas.secretary_a)
    rows = sheet(client.get(reverse("orgs:export_all_members"), {"branch": tree.branch_b.pk}))
    assert rows[1:] == []


def test_a_formula_in_a_name_stays_text(client: Client, personas: Personas, tree: Tree) -> None:
    make_person(tree.village_a, '=HYPERLINK("http://evil.example","点击")', 9)
    client.force_login(personas.secretary_a)
    response: Any = client.get(reverse("orgs:export_people"))
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert ws is not None
    cell = ws["A2"]
    assert cell.data_type == "s" and str(cell.value).startswith("=HYPERLINK")


@pytest.mark.parametrize("name", ["orgs:export_all_members", "orgs:export_people", "orgs:export_posts"])
def test_the_query_count_does_not_grow_with_rows(client: Client, personas: Personas, tree: Tree, name: str) -> None:
    client.force_login(personas.secretary_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            sheet(client.get(reverse(name)))
        return len(queries)

    make_person(tree.village_a, "甲一", 11, tree.branch_a)
    Post.objects.create(
        person=Person.objects.get(name="甲一"), organization=tree.village_a, role=PostRole.CHAIR, start_date=date(2021, 1, 1)
    )
    count()  # the first request also creates the session and the ledger head
    few = count()
    for seq in range(12, 22):
        person = make_person(tree.village_a, f"甲{seq}", seq, tree.branch_a)
        Post.objects.create(person=person, organization=tree.village_a, role=PostRole.COMMITTEE_MEMBER_VC, start_date=date(2021, 1, 1))
    assert count() == few


def test_the_org_export_is_scoped_and_audited(personas: Personas, tree: Tree) -> None:
    client = Client()
    client.force_login(personas.town_staff)
    response = client.get(reverse("orgs:export_orgs"))
    assert response.status_code == 200
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert ws is not None
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert set(names) == {"甲镇", "甲村", "乙村", "甲村党支部", "乙村党支部"}
    parents = {row[1]: row[3] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert parents["甲村"] == tree.town.code and parents["甲镇"] in ("", None)
    assert Event.objects.filter(action="registry.export", changes__list="organizations").count() == 1


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_the_org_export_refuses_other_roles(personas: Personas, who: str) -> None:
    client = Client()
    client.force_login(getattr(personas, who))
    assert client.get(reverse("orgs:export_orgs")).status_code == 403
