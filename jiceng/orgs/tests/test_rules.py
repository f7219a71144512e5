"""Formation warnings at their boundaries, and the derived 一肩挑 status."""

from datetime import date

from jiceng.conftest import Tree
from jiceng.orgs.models import Formation, Member, Organization, OrgKind, Person, Post, PostRole, Stage
from jiceng.orgs.rules import formation_warnings, yijiantiao

TODAY = date(2026, 11, 1)


def _members(branch: Organization, n: int, stage: str = Stage.FULL, work_unit: Organization | None = None) -> list[Person]:
    people = Person.objects.bulk_create(Person(organization=branch, name=f"党员{i}", gender="M") for i in range(n))
    Member.objects.bulk_create(Member(person=p, branch=branch, stage=stage, work_unit=work_unit) for p in people)
    return people


def _texts(org: Organization) -> str:
    return " ".join(w.text for w in formation_warnings(org, TODAY))


def test_it_warns_a_branch_with_fewer_than_three_full_members(tree: Tree) -> None:
    _members(tree.branch_a, 2)
    _members(tree.branch_a, 5, Stage.PROBATIONARY)  # probationers do not count as full members
    assert "不足 3 名" in _texts(tree.branch_a)


def test_it_accepts_a_branch_with_exactly_three_full_members(tree: Tree) -> None:
    _members(tree.branch_a, 3)
    assert _texts(tree.branch_a) == ""


def test_it_asks_for_a_committee_from_seven_full_members(tree: Tree) -> None:
    _members(tree.branch_a, 6)
    assert "支部委员会" not in _texts(tree.branch_a)
    _members(tree.branch_a, 1)
    assert "支部委员会" in _texts(tree.branch_a)
    people = list(Person.objects.filter(member__branch=tree.branch_a)[:3])
    for role, person in zip([PostRole.SECRETARY, PostRole.COMMITTEE_MEMBER, PostRole.COMMITTEE_MEMBER], people, strict=True):
        Post.objects.create(person=person, organization=tree.branch_a, role=role, start_date=date(2021, 1, 1))
    assert "支部委员会" not in _texts(tree.branch_a)


def test_it_counts_only_current_committee_posts(tree: Tree) -> None:
    people = _members(tree.branch_a, 7)
    for person in people[:3]:
        Post.objects.create(
            person=person,
            organization=tree.branch_a,
            role=PostRole.COMMITTEE_MEMBER,
            start_date=date(2016, 1, 1),
            end_date=date(2021, 1, 1),
        )
    assert "支部委员会" in _texts(tree.branch_a)


def test_it_offers_a_general_branch_over_fifty_and_a_committee_from_a_hundred(tree: Tree) -> None:
    _members(tree.branch_a, 50)
    assert "党总支" not in _texts(tree.branch_a)  # 超过 50 means > 50
    _members(tree.branch_a, 1)
    assert "可设立党总支" in _texts(tree.branch_a)
    _members(tree.branch_a, 48)
    assert "基层党委" not in _texts(tree.branch_a)
    _members(tree.branch_a, 1)  # 100 名以上 means ≥ 100
    assert "基层党委" in _texts(tree.branch_a) and "党总支" not in _texts(tree.branch_a)


def test_it_warns_a_joint_branch_covering_more_than_five_units(tree: Tree) -> None:
    joint = Organization.objects.add_child(tree.town, create_kwargs={"name": "联合支部", "code": "J1", "kind": OrgKind.JOINT_BRANCH})
    for i in range(5):
        Organization.objects.add_child(
            tree.town,
            create_kwargs={
                "name": f"企业{i}",
                "code": f"E{i}",
                "kind": OrgKind.ENTERPRISE,
                "formation": Formation.JOINT,
                "joint_party_org": joint,
            },
        )
    assert "覆盖" not in _texts(joint)
    Organization.objects.add_child(
        tree.town,
        create_kwargs={"name": "企业5", "code": "E5", "kind": OrgKind.ENTERPRISE, "formation": Formation.JOINT, "joint_party_org": joint},
    )
    assert "覆盖 6 个单位" in _texts(joint)


def test_it_tells_a_unit_with_three_full_members_to_form_its_own_branch(tree: Tree) -> None:
    firm = Organization.objects.add_child(
        tree.town, create_kwargs={"name": "某公司", "code": "E9", "kind": OrgKind.ENTERPRISE, "formation": Formation.NONE}
    )
    _members(tree.branch_a, 2, work_unit=firm)
    assert "单独成立党支部" not in _texts(firm)
    _members(tree.branch_a, 1, work_unit=firm)
    assert "单独成立党支部" in _texts(firm)
    firm.formation = Formation.SINGLE
    firm.save(update_fields=["formation"])
    assert "尚未登记本单位的党组织" not in _texts(firm) and "单独成立党支部" in _texts(firm)
    Organization.objects.add_child(firm, create_kwargs={"name": "某公司党支部", "code": "E9D1", "kind": OrgKind.BRANCH})
    assert _texts(Organization.objects.get(pk=firm.pk)) == ""


def test_an_organ_with_its_own_branch_is_not_warned(tree: Tree) -> None:
    organ = Organization.objects.add_child(tree.district, create_kwargs={"name": "区某局", "code": "G1", "kind": OrgKind.ORGAN})
    _members(tree.branch_a, 5, work_unit=organ)
    assert "单独成立党支部" in _texts(organ)
    Organization.objects.add_child(organ, create_kwargs={"name": "区某局机关党支部", "code": "G1D1", "kind": OrgKind.BRANCH})
    assert _texts(Organization.objects.get(pk=organ.pk)) == ""


def test_a_single_formation_without_its_branch_is_flagged(tree: Tree) -> None:
    firm = Organization.objects.add_child(
        tree.town, create_kwargs={"name": "某公司", "code": "E8", "kind": OrgKind.ENTERPRISE, "formation": Formation.SINGLE}
    )
    assert "尚未登记本单位的党组织" in _texts(firm)


def test_every_warning_names_its_basis(tree: Tree) -> None:
    _members(tree.branch_a, 1)
    assert all(w.basis.startswith("《") for w in formation_warnings(tree.branch_a, TODAY))


def _post(person: Person, org: Organization, role: str, start: date = date(2021, 5, 1), end: date | None = None) -> None:
    Post.objects.create(person=person, organization=org, role=role, start_date=start, end_date=end)


def test_it_derives_yijiantiao_from_current_posts(tree: Tree) -> None:
    (a,) = _members(tree.branch_a, 1)
    _post(a, tree.branch_a, PostRole.SECRETARY)
    _post(a, tree.village_a, PostRole.CHAIR)
    assert yijiantiao([tree.village_a], TODAY) == {tree.village_a.pk: False}  # a village also needs the 经联社 head
    _post(a, tree.village_a, PostRole.COOP_HEAD)
    assert yijiantiao([tree.village_a, tree.village_b], TODAY) == {tree.village_a.pk: True, tree.village_b.pk: False}


def test_it_does_not_count_different_people_or_ended_posts(tree: Tree) -> None:
    a, b = _members(tree.branch_a, 2)
    _post(a, tree.branch_a, PostRole.SECRETARY)
    _post(b, tree.village_a, PostRole.CHAIR)
    _post(a, tree.village_a, PostRole.COOP_HEAD)
    assert yijiantiao([tree.village_a], TODAY)[tree.village_a.pk] is False
    _post(a, tree.village_a, PostRole.CHAIR, date(2016, 1, 1), date(2021, 1, 1))
    assert yijiantiao([tree.village_a], TODAY)[tree.village_a.pk] is False


def test_a_community_needs_no_economic_association(tree: Tree) -> None:
    branch = Organization.objects.add_child(
        tree.community_c, create_kwargs={"name": "丙社区党委", "code": "C1", "kind": OrgKind.PARTY_COMMITTEE}
    )
    (a,) = _members(branch, 1)
    _post(a, branch, PostRole.SECRETARY)
    _post(a, tree.community_c, PostRole.CHAIR)
    assert yijiantiao([tree.community_c], TODAY) == {tree.community_c.pk: True}
