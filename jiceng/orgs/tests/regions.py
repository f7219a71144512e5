"""The test tree under a city, with a sibling district and another city (issue #7).

测试市 (city) → 测试区 (the shared test tree) and 邻区 → 邻镇 → 邻村 → 邻村党支部;
他市 (another city) → 他区 → 他镇 → 他村 → 他村党支部. Each of the three villages' branches holds one
full member (甲村's, 邻村's, 他村's), so scope tests can count whose rows show.
"""

from dataclasses import dataclass

from jiceng.conftest import Tree, _node
from jiceng.orgs.models import Member, Organization, OrgKind, Person, Stage


@dataclass
class Region:
    tree: Tree  # re-read: the district now sits under the city
    city: Organization
    sibling: Organization  # 邻区, the other district of the city
    sibling_town: Organization
    sibling_village: Organization
    sibling_branch: Organization
    other_city: Organization
    other_district: Organization
    other_village: Organization
    other_branch: Organization


def _fresh(org: Organization) -> Organization:
    return Organization.objects.get(pk=org.pk)


def member(branch: Organization, name: str) -> Member:
    village = Organization.objects.get_parent(branch)
    person = Person.objects.create(organization=village, name=name, gender="M")
    return Member.objects.create(person=person, branch=branch, stage=Stage.FULL)


def _chain(parent: Organization, names: tuple[str, str, str], code: str) -> tuple[Organization, Organization, Organization, Organization]:
    district = _node(_fresh(parent), names[0], code, OrgKind.DISTRICT)
    town = _node(_fresh(district), f"{names[1]}镇", f"{code}100", OrgKind.TOWN)
    village = _node(_fresh(town), f"{names[2]}村", f"{code}100201", OrgKind.VILLAGE)
    branch = _node(_fresh(village), f"{names[2]}村党支部", f"{code}100201D1", OrgKind.BRANCH)
    return district, town, village, branch


def build_region(tree: Tree, members: bool = True) -> Region:
    city = _node(None, "测试市", "4407", OrgKind.CITY)
    Organization.objects.move(_fresh(tree.district), _fresh(city), pos="sorted-child")
    sibling, sibling_town, sibling_village, sibling_branch = _chain(city, ("邻区", "邻", "邻"), "440798")
    other_city = _node(None, "他市", "4408", OrgKind.CITY)
    other_district, _town, other_village, other_branch = _chain(other_city, ("他区", "他", "他"), "440801")
    fresh = Tree(*(_fresh(o) for o in vars(tree).values()))
    if members:
        member(fresh.branch_a, "甲党员")
        member(sibling_branch, "邻党员")
        member(other_branch, "他党员")
    return Region(
        fresh,
        _fresh(city),
        _fresh(sibling),
        _fresh(sibling_town),
        _fresh(sibling_village),
        _fresh(sibling_branch),
        _fresh(other_city),
        _fresh(other_district),
        _fresh(other_village),
        _fresh(other_branch),
    )
