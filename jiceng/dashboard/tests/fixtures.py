"""A hand-built fixture whose indicators are known exactly (see the numbers in the tests)."""

from dataclasses import dataclass
from datetime import date

from jiceng.conftest import Tree, _node
from jiceng.orgs.models import Formation, Member, Organization, OrgKind, Person, Post, PostRole, ReserveCadre, Stage


@dataclass
class Board:
    tree: Tree
    branch_c: Organization


def unit(parent: Organization, name: str, code: str, kind: str, formation: str, active: bool = True) -> Organization:
    org = _node(Organization.objects.get(pk=parent.pk), name, code, kind)  # fresh numchild for treebeard
    Organization.objects.filter(pk=org.pk).update(formation=formation, is_active=active)
    return org


def person(org: Organization, name: str, born: date | None, education: str = "") -> Person:
    return Person.objects.create(organization=org, name=name, gender="M", birth_date=born, education=education)


def post(p: Person, org: Organization, role: str, start: date, end: date | None = None) -> Post:
    return Post.objects.create(person=p, organization=org, role=role, start_date=start, end_date=end)


def build(tree: Tree) -> Board:
    # Two-new units: 甲镇 directly holds three operating enterprises (single, joint, none) and a closed
    # one (not counted); 甲村 holds a single-formed social organization; 丙街道 holds none.
    unit(tree.town, "甲镇企业一", "E1", OrgKind.ENTERPRISE, Formation.SINGLE)
    unit(tree.town, "甲镇企业二", "E2", OrgKind.ENTERPRISE, Formation.JOINT)
    unit(tree.town, "甲镇企业三", "E3", OrgKind.ENTERPRISE, Formation.NONE)
    unit(tree.town, "甲镇空壳企业", "E4", OrgKind.ENTERPRISE, Formation.SINGLE, active=False)
    unit(tree.village_a, "甲村协会", "S1", OrgKind.SOCIAL_ORG, Formation.SINGLE)
    branch_c = _node(Organization.objects.get(pk=tree.community_c.pk), "丙社区党支部", "440799200101D1", OrgKind.BRANCH)

    # 一肩挑: 甲村 yes (secretary + chair + 经联社社长), 乙村 no (secretary only), 丙社区 yes (a community
    # needs no 经联社社长).
    chief = person(tree.village_a, "甲书记", date(1970, 6, 1), "senior")
    for org, role in ((tree.branch_a, PostRole.SECRETARY), (tree.village_a, PostRole.CHAIR), (tree.village_a, PostRole.COOP_HEAD)):
        post(chief, org, role, date(2018, 1, 1))
    post(person(tree.village_b, "乙书记", date(1985, 1, 1), "college"), tree.branch_b, PostRole.SECRETARY, date(2024, 1, 1))
    c = person(tree.community_c, "丙书记", date(1980, 1, 1), "bachelor")
    post(c, branch_c, PostRole.SECRETARY, date(2024, 1, 1))
    post(c, tree.community_c, PostRole.CHAIR, date(2024, 1, 1))

    # 甲村 before and after the 2021 election: an old vice-chair left at the election, a young one came.
    post(
        person(tree.village_a, "老委员", date(1960, 3, 1), "junior"),
        tree.village_a,
        PostRole.VICE_CHAIR,
        date(2016, 1, 1),
        date(2021, 3, 1),
    )
    post(person(tree.village_a, "新委员", date(1990, 3, 1), "bachelor"), tree.village_a, PostRole.VICE_CHAIR, date(2021, 3, 1))

    # Reserve cadres: 甲村 2, 乙村 1, 丙社区 0.
    for i in range(2):
        ReserveCadre.objects.create(organization=tree.village_a, person=person(tree.village_a, f"甲后备{i}", None), since=date(2024, 1, 1))
    ReserveCadre.objects.create(organization=tree.village_b, person=person(tree.village_b, "乙后备", None), since=date(2024, 1, 1))

    # Members: 甲村 one full and one applicant; 丙社区 one probationary.
    Member.objects.create(person=person(tree.village_a, "党员一", None), branch=tree.branch_a, stage=Stage.FULL)
    Member.objects.create(person=person(tree.village_a, "申请人", None), branch=tree.branch_a, stage=Stage.APPLICANT)
    Member.objects.create(person=person(tree.community_c, "预备党员", None), branch=branch_c, stage=Stage.PROBATIONARY)
    return Board(tree, Organization.objects.get(pk=branch_c.pk))
