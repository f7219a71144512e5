"""Registry writes: guarded, audited, scoped, with Chinese messages for every refusal."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs import services
from jiceng.orgs.models import Formation, Member, Organization, OrgKind, Person, Post, PostRole, Stage

ID = "440703199001011239"


def _person(personas: Personas, tree: Tree, **kw: object) -> Person:
    fields = {"name": "王五", "gender": "M", "id_number": ID, "phone": "13912345678"} | kw
    return services.person_create(actor=personas.secretary_a, organization=tree.village_a, **fields)  # type: ignore[arg-type]


def test_it_creates_a_person_encrypted_masked_and_audited(personas: Personas, tree: Tree) -> None:
    person = _person(personas, tree)
    assert person.id_number_masked == "440703********1239"
    assert person.phone_masked == "139****5678"
    assert person.name_initials == "ww"
    event = Event.objects.get(action="person.create")
    assert event.actor == personas.secretary_a and event.org_path == tree.village_a.path
    assert ID not in str(event.changes) and "13912345678" not in str(event.changes)


def test_it_keeps_plain_id_numbers_and_phones_out_of_every_table(personas: Personas, tree: Tree) -> None:
    person = _person(personas, tree)
    services.person_reveal(actor=personas.secretary_a, person=person, field="id_number")
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall())
            assert ID not in dump, table
            assert "13912345678" not in dump, table


def test_it_refuses_a_bad_id_number(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="校验位"):
        _person(personas, tree, id_number="440703199001011238")
    with pytest.raises(ValidationError, match="18位"):
        _person(personas, tree, id_number="12345")
    assert not Person.objects.exists() and not Event.objects.exists()


def test_it_takes_the_birth_date_from_the_id_number(personas: Personas, tree: Tree) -> None:
    assert _person(personas, tree).birth_date == date(1990, 1, 1)
    with pytest.raises(ValidationError, match="不一致"):
        _person(personas, tree, id_number="440703198001011234", birth_date=date(1980, 1, 2))


def test_it_refuses_a_bad_phone(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="手机号"):
        _person(personas, tree, phone="021-1234")


def test_it_refuses_a_duplicate_id_number(personas: Personas, tree: Tree) -> None:
    _person(personas, tree)
    with pytest.raises(ValidationError, match="已登记"):
        _person(personas, tree, name="另一人")
    assert Person.objects.count() == 1


def test_it_refuses_a_person_in_another_village(personas: Personas, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.person_create(actor=personas.secretary_a, organization=tree.village_b, name="赵六", gender="F")
    assert not Person.objects.exists()


@pytest.mark.parametrize("who", ["member", "auditor", "outsider", "secretary_b"])
def test_it_refuses_people_changes_from_other_roles(personas: Personas, tree: Tree, person_a: Person, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.person_update(actor=getattr(personas, who), person=person_a, address="新地址")
    person_a.refresh_from_db()
    assert person_a.address == ""


def test_it_finds_a_person_by_full_id_number(personas: Personas, tree: Tree) -> None:
    person = _person(personas, tree)
    assert services.find_person_by_id_number(ID.lower()) == person


def test_it_reveals_only_with_permission_and_audits_the_look(personas: Personas, person_a: Person) -> None:
    assert services.person_reveal(actor=personas.secretary_a, person=person_a, field="phone") == "13800138000"
    assert Event.objects.filter(action="person.reveal", actor=personas.secretary_a).count() == 1
    for who in ("secretary_b", "member", "auditor", "outsider"):
        with pytest.raises(PermissionDenied):
            services.person_reveal(actor=getattr(personas, who), person=person_a, field="phone")
    assert Event.objects.filter(action="person.reveal").count() == 1


def test_it_updates_a_person_and_records_the_diff(personas: Personas, person_a: Person) -> None:
    services.person_update(actor=personas.town_staff, person=person_a, address="甲村一巷1号", phone="13700000001")
    event = Event.objects.get(action="person.update")
    assert event.changes["address"] == ["", "甲村一巷1号"]
    assert event.changes["phone_masked"] == ["138****8000", "137****0001"]


def test_it_refuses_unknown_person_fields(personas: Personas, person_a: Person) -> None:
    with pytest.raises(ValidationError):
        services.person_update(actor=personas.town_staff, person=person_a, organization_id=1)


# ---- organizations ---------------------------------------------------------------------------


def test_it_refuses_a_kind_under_the_wrong_parent(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="不能设在"):
        services.org_create(actor=personas.district_admin, parent=tree.district, name="某村", code="X1", kind=OrgKind.VILLAGE)
    with pytest.raises(ValidationError, match="不能设在"):
        services.org_create(actor=personas.district_admin, parent=tree.branch_a, name="某支部", code="X2", kind=OrgKind.BRANCH)
    assert not Organization.objects.filter(code__in=["X1", "X2"]).exists()


def test_it_creates_a_child_and_audits_it(personas: Personas, tree: Tree) -> None:
    org = services.org_create(actor=personas.town_staff, parent=tree.town, name="丁村", code="440799100203", kind=OrgKind.VILLAGE)
    assert Organization.objects.get_parent(org) == tree.town
    assert Event.objects.filter(action="org.create", object_id=str(org.pk)).exists()


def test_it_refuses_a_duplicate_code(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="已被使用"):
        services.org_create(actor=personas.town_staff, parent=tree.town, name="重复", code=tree.village_a.code, kind=OrgKind.VILLAGE)


def test_it_refuses_org_changes_by_village_staff_and_outside_scope(personas: Personas, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.org_create(actor=personas.secretary_a, parent=tree.village_a, name="新支部", code="Y1", kind=OrgKind.BRANCH)
    with pytest.raises(PermissionDenied):
        services.org_create(actor=personas.town_staff, parent=tree.other_town, name="外村", code="Y2", kind=OrgKind.COMMUNITY)
    with pytest.raises(PermissionDenied):
        services.org_create(actor=personas.district_admin, parent=None, name="另一区", code="Y3", kind=OrgKind.DISTRICT)


def test_it_requires_a_joint_branch_for_joint_formation(personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="联合党支部"):
        services.org_create(
            actor=personas.town_staff, parent=tree.town, name="某公司", code="E1", kind=OrgKind.ENTERPRISE, formation=Formation.JOINT
        )
    with pytest.raises(ValidationError, match="组建方式"):
        services.org_create(actor=personas.town_staff, parent=tree.town, name="某公司", code="E2", kind=OrgKind.ENTERPRISE)
    with pytest.raises(ValidationError, match="只有非公企业"):
        services.org_create(actor=personas.town_staff, parent=tree.town, name="某村", code="E3", kind=OrgKind.VILLAGE, formation="single")
    joint = services.org_create(actor=personas.town_staff, parent=tree.town, name="联合支部", code="J1", kind=OrgKind.JOINT_BRANCH)
    firm = services.org_create(
        actor=personas.town_staff,
        parent=tree.town,
        name="某公司",
        code="E4",
        kind=OrgKind.ENTERPRISE,
        formation=Formation.JOINT,
        joint_party_org=joint,
    )
    assert firm.joint_party_org == joint


def test_it_updates_an_org_with_a_diff(personas: Personas, tree: Tree) -> None:
    services.org_update(actor=personas.town_staff, org=tree.village_a, name="甲村（新）")
    assert Event.objects.get(action="org.update").changes == {"name": ["甲村", "甲村（新）"]}
    with pytest.raises(ValidationError):
        services.org_update(actor=personas.town_staff, org=tree.village_a, code="000")


# ---- members and posts ------------------------------------------------------------------------


def _dates(**kw: date | None) -> dict[str, date | None]:
    return {"applied_on": None, "activist_on": None, "candidate_on": None, "probationary_on": None, "full_on": None} | kw


def test_it_saves_a_member_with_dates_in_order(personas: Personas, tree: Tree, person_b: Person) -> None:
    person = _person(personas, tree)
    member = services.member_save(
        actor=personas.secretary_a,
        person=person,
        branch=tree.branch_a,
        stage=Stage.ACTIVIST,
        dates=_dates(applied_on=date(2024, 1, 1), activist_on=date(2024, 6, 1)),
    )
    assert member.stage == Stage.ACTIVIST and Event.objects.filter(action="member.create").exists()
    services.member_save(
        actor=personas.secretary_a,
        person=person,
        branch=tree.branch_a,
        stage=Stage.CANDIDATE,
        dates=_dates(applied_on=date(2024, 1, 1), activist_on=date(2024, 6, 1), candidate_on=date(2025, 7, 1)),
    )
    assert Member.objects.get(person=person).stage == Stage.CANDIDATE
    assert Event.objects.get(action="member.update").changes["stage"] == ["activist", "candidate"]


@pytest.mark.parametrize(
    ("stage", "dates", "message"),
    [
        (Stage.ACTIVIST, {"applied_on": date(2024, 1, 1)}, "须填写该阶段的日期"),
        (Stage.ACTIVIST, {"applied_on": date(2024, 6, 1), "activist_on": date(2024, 1, 1)}, "不能早于上一阶段"),
        (Stage.APPLICANT, {"applied_on": date(2024, 1, 1), "full_on": date(2025, 1, 1)}, "不应填写"),
        ("leader", {}, "未知的发展阶段"),
        (Stage.APPLICANT, {"applied_on": date(2007, 12, 31)}, "年满十八岁"),  # born 1990-01-01: still 17
        (
            Stage.FULL,
            {
                "applied_on": date(2020, 1, 1),
                "activist_on": date(2020, 6, 1),
                "candidate_on": date(2021, 7, 1),
                "probationary_on": date(2022, 1, 10),
                "full_on": date(2023, 1, 9),
            },
            "预备期为一年",
        ),
    ],
)
def test_it_refuses_stage_dates_out_of_order(personas: Personas, tree: Tree, stage: str, dates: dict, message: str) -> None:
    person = _person(personas, tree)
    with pytest.raises(ValidationError, match=message):
        services.member_save(actor=personas.secretary_a, person=person, branch=tree.branch_a, stage=stage, dates=_dates(**dates))
    assert not Member.objects.exists()


def test_it_accepts_an_eighteenth_birthday_and_a_full_probation_year(personas: Personas, tree: Tree) -> None:
    person = _person(personas, tree)  # born 1990-01-01
    dates = _dates(
        applied_on=date(2008, 1, 1),
        activist_on=date(2009, 1, 1),
        candidate_on=date(2010, 1, 1),
        probationary_on=date(2011, 3, 1),
        full_on=date(2012, 3, 1),
    )
    services.member_save(actor=personas.secretary_a, person=person, branch=tree.branch_a, stage=Stage.FULL, dates=dates)
    assert Member.objects.get(person=person).full_on == date(2012, 3, 1)


def test_it_refuses_a_member_in_a_non_party_org_or_other_village(personas: Personas, tree: Tree, person_b: Person) -> None:
    person = _person(personas, tree)
    with pytest.raises(ValidationError, match="党员须隶属"):
        services.member_save(
            actor=personas.secretary_a,
            person=person,
            branch=tree.village_a,
            stage=Stage.APPLICANT,
            dates=_dates(applied_on=date(2024, 1, 1)),
        )
    with pytest.raises(PermissionDenied):
        services.member_save(
            actor=personas.secretary_a,
            person=person_b,
            branch=tree.branch_a,
            stage=Stage.APPLICANT,
            dates=_dates(applied_on=date(2024, 1, 1)),
        )


def test_it_opens_and_ends_a_post(personas: Personas, tree: Tree, person_a: Person) -> None:
    post = services.post_create(
        actor=personas.secretary_a, person=person_a, organization=tree.branch_a, role=PostRole.SECRETARY, start_date=date(2021, 5, 1)
    )
    with pytest.raises(ValidationError, match="已在该组织担任"):
        services.post_create(
            actor=personas.secretary_a, person=person_a, organization=tree.branch_a, role=PostRole.SECRETARY, start_date=date(2022, 1, 1)
        )
    with pytest.raises(ValidationError, match="不能早于"):
        services.post_end(actor=personas.secretary_a, post=post, end_date=date(2020, 1, 1))
    services.post_end(actor=personas.secretary_a, post=post, end_date=date(2026, 5, 1))
    with pytest.raises(ValidationError, match="已离任"):
        services.post_end(actor=personas.secretary_a, post=post, end_date=date(2026, 6, 1))
    assert Post.objects.get().end_date == date(2026, 5, 1)
    assert list(Event.objects.filter(action__startswith="post.").values_list("action", flat=True)) == ["post.create", "post.end"]
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=personas.secretary_b,
            person=person_a,
            organization=tree.branch_a,
            role=PostRole.COMMITTEE_MEMBER,
            start_date=date(2021, 5, 1),
        )


def test_it_refuses_a_post_of_the_wrong_kind_of_organization(personas: Personas, tree: Tree, person_a: Person) -> None:
    with pytest.raises(ValidationError, match="党组织的职务"):
        services.post_create(
            actor=personas.secretary_a, person=person_a, organization=tree.village_a, role=PostRole.SECRETARY, start_date=date(2021, 5, 1)
        )
    with pytest.raises(ValidationError, match="不是党组织的职务"):
        services.post_create(
            actor=personas.secretary_a, person=person_a, organization=tree.branch_a, role=PostRole.CHAIR, start_date=date(2021, 5, 1)
        )
    assert not Post.objects.exists()


def test_it_refuses_a_post_for_a_person_outside_scope(personas: Personas, tree: Tree, person_b: Person) -> None:
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=personas.secretary_a,
            person=person_b,
            organization=tree.branch_a,
            role=PostRole.COMMITTEE_MEMBER,
            start_date=date(2021, 5, 1),
        )


def test_it_refuses_a_birth_date_that_contradicts_the_stored_id_number(personas: Personas, person_a: Person) -> None:
    with pytest.raises(ValidationError, match="不一致"):
        services.person_update(actor=personas.secretary_a, person=person_a, birth_date=date(1981, 1, 1))
    services.person_update(actor=personas.secretary_a, person=person_a, birth_date=date(1980, 1, 1))
