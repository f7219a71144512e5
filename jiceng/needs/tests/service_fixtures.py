"""A world for the 双报到 / points / micro-project tests, on top of jiceng/conftest.py's tree.

Added: 甲社区 (a community in 甲镇) next to 丙社区 (丙街道); 测试局 (an organ under the district) with its
branch; 王五 and 赵六, in-service members of 测试局 living in 甲社区 and 丙社区; 王五's login is linked to
his registry record. Staff: staff_jia (甲社区), staff_c (丙社区), liaison (测试局), liaison_other (another organ).
"""

from dataclasses import dataclass
from datetime import date

import pytest

from jiceng.accounts.models import Role, User
from jiceng.conftest import Personas, Tree, _node, make_user
from jiceng.lib import fieldcrypto
from jiceng.needs.models import MemberAccount
from jiceng.orgs.models import Member, Organization, OrgKind, Person, Stage

WANG_ID = "440703198505051234"


@dataclass
class Svc:
    tree: Tree
    personas: Personas
    community_jia: Organization
    community_c: Organization
    organ: Organization
    organ_branch: Organization
    other_organ: Organization
    wang: Member
    zhao: Member
    wang_user: User
    staff_jia: User
    staff_c: User
    liaison: User
    liaison_other: User


def _member(org: Organization, branch: Organization, name: str, home: Organization, unit: Organization, id_number: str = "") -> Member:
    person = Person.objects.create(
        organization=org,
        name=name,
        name_initials=name,
        gender="M",
        id_number_encrypted=fieldcrypto.encrypt(id_number) if id_number else "",
        id_number_hash=fieldcrypto.lookup_hash(id_number) if id_number else "",
        id_number_masked=fieldcrypto.mask_id_number(id_number) if id_number else "",
    )
    return Member.objects.create(
        person=person, branch=branch, stage=Stage.FULL, full_on=date(2010, 1, 1), work_unit=unit, residence_community=home
    )


@pytest.fixture(name="svc")
def svc_fixture(tree: Tree, personas: Personas) -> Svc:
    jia = _node(Organization.objects.get(pk=tree.town.pk), "甲社区", "440799100301", OrgKind.COMMUNITY)
    organ = _node(Organization.objects.get(pk=tree.district.pk), "测试局", "440799900", OrgKind.ORGAN)
    organ_branch = _node(Organization.objects.get(pk=organ.pk), "测试局机关党支部", "440799900D1", OrgKind.BRANCH)
    other = _node(Organization.objects.get(pk=tree.district.pk), "另一局", "440799901", OrgKind.ORGAN)
    jia, organ, organ_branch, other = (Organization.objects.get(pk=o.pk) for o in (jia, organ, organ_branch, other))
    community_c = Organization.objects.get(pk=tree.community_c.pk)
    wang = _member(organ, organ_branch, "王五", jia, organ, WANG_ID)
    zhao = _member(organ, organ_branch, "赵六", community_c, organ)
    wang_user = make_user("wang", Role.PARTY_MEMBER, organ_branch)
    MemberAccount.objects.create(user=wang_user, member=wang)
    return Svc(
        tree=tree,
        personas=personas,
        community_jia=jia,
        community_c=community_c,
        organ=organ,
        organ_branch=organ_branch,
        other_organ=other,
        wang=wang,
        zhao=zhao,
        wang_user=wang_user,
        staff_jia=make_user("staff_jia", Role.VILLAGE_STAFF, jia),
        staff_c=make_user("staff_c", Role.VILLAGE_STAFF, community_c),
        liaison=make_user("liaison", Role.UNIT_LIAISON, organ),
        liaison_other=make_user("liaison_other", Role.UNIT_LIAISON, other),
    )
