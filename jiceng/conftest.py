"""Shared fixtures: a small tree and the named personas every test suite uses.

Tree: 测试区 (district) → 甲镇 (town) → 甲村 (village A) and 乙村 (village B), each with a branch;
丙镇 (another town) → 丙社区. Personas: district_admin, town_staff (甲镇), secretary_a (甲村),
secretary_b (乙村), member (a party member of 甲村's branch), auditor (district), outsider (no grant).
"""

from dataclasses import dataclass
from datetime import date

import pytest

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.orgs.models import Member, Organization, OrgKind, Person, Stage

PASSWORD = "Jiceng#2026test"


@dataclass
class Tree:
    district: Organization
    town: Organization
    village_a: Organization
    branch_a: Organization
    village_b: Organization
    branch_b: Organization
    other_town: Organization
    community_c: Organization


def _node(parent: Organization | None, name: str, code: str, kind: str) -> Organization:
    fields = {"name": name, "code": code, "kind": kind}
    if parent is None:
        return Organization.objects.add_root(create_kwargs=fields)
    return Organization.objects.add_child(parent, create_kwargs=fields)


@pytest.fixture
def tree(db: None) -> Tree:
    district = _node(None, "测试区", "440799", OrgKind.DISTRICT)
    town = _node(district, "甲镇", "440799100", OrgKind.TOWN)
    village_a = _node(town, "甲村", "440799100201", OrgKind.VILLAGE)
    village_b = _node(town, "乙村", "440799100202", OrgKind.VILLAGE)
    branch_a = _node(village_a, "甲村党支部", "440799100201D1", OrgKind.BRANCH)
    branch_b = _node(village_b, "乙村党支部", "440799100202D1", OrgKind.BRANCH)
    other_town = _node(district, "丙街道", "440799200", OrgKind.SUBDISTRICT)
    community_c = _node(other_town, "丙社区", "440799200101", OrgKind.COMMUNITY)
    # treebeard updates parents' numchild through queries; re-read so paths and counts are fresh
    return Tree(
        *(Organization.objects.get(pk=o.pk) for o in (district, town, village_a, branch_a, village_b, branch_b, other_town, community_c))
    )


def make_user(username: str, role: str | None = None, org: Organization | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if role and org:
        RoleGrant.objects.create(user=user, organization=org, role=role)
    return user


@dataclass
class Personas:
    district_admin: User
    town_staff: User
    secretary_a: User
    secretary_b: User
    member: User
    auditor: User
    outsider: User


@pytest.fixture
def personas(tree: Tree) -> Personas:
    return Personas(
        district_admin=make_user("district_admin", Role.DISTRICT_ADMIN, tree.district),
        town_staff=make_user("town_staff", Role.TOWN_STAFF, tree.town),
        secretary_a=make_user("secretary_a", Role.VILLAGE_STAFF, tree.village_a),
        secretary_b=make_user("secretary_b", Role.VILLAGE_STAFF, tree.village_b),
        member=make_user("member", Role.PARTY_MEMBER, tree.branch_a),
        auditor=make_user("auditor", Role.AUDITOR, tree.district),
        outsider=make_user("outsider"),
    )


@pytest.fixture
def person_a(tree: Tree) -> Person:
    """A full party member of village A, created directly (no audit) as test furniture."""
    from jiceng.lib import fieldcrypto

    id_number = "440703198001011234"
    person = Person.objects.create(
        organization=tree.village_a,
        name="张三",
        name_initials="zs",
        gender="M",
        birth_date=date(1980, 1, 1),
        id_number_encrypted=fieldcrypto.encrypt(id_number),
        id_number_hash=fieldcrypto.lookup_hash(id_number),
        id_number_masked=fieldcrypto.mask_id_number(id_number),
        phone_encrypted=fieldcrypto.encrypt("13800138000"),
        phone_hash=fieldcrypto.lookup_hash("13800138000"),
        phone_masked=fieldcrypto.mask_phone("13800138000"),
    )
    Member.objects.create(
        person=person,
        name=person.name,
        name_initials=person.name_initials,
        branch=tree.branch_a,
        stage=Stage.FULL,
        applied_on=date(2000, 1, 1),
        activist_on=date(2000, 6, 1),
        candidate_on=date(2001, 7, 1),
        probationary_on=date(2001, 9, 1),
        full_on=date(2002, 9, 1),
    )
    return person


@pytest.fixture
def person_b(tree: Tree) -> Person:
    return Person.objects.create(organization=tree.village_b, name="李四", name_initials="ls", gender="F")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Real hashers cost ~0.3 s a user; tests create many users and do not test the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
