"""Every role × every action of the needs app × in scope / out of scope (issue 4 matrix)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.accounts.access import can
from jiceng.accounts.models import Role, User
from jiceng.conftest import Tree, make_user
from jiceng.needs import access, selectors, services
from jiceng.needs.models import MemberAccount
from jiceng.needs.tests import needs_fixtures
from jiceng.needs.tests.needs_fixtures import World, listed, need_input, submit
from jiceng.orgs.models import Member, Organization, Person, Stage

world = needs_fixtures.world
pytestmark = pytest.mark.django_db
ROLES = list(Role.values)

EXPECTED = {
    "need.submit_for": {Role.GRID_WORKER, Role.VILLAGE_STAFF},
    "need.vet": {Role.VILLAGE_STAFF, Role.TOWN_STAFF},
    "need.claim": {Role.PARTY_MEMBER, Role.UNIT_LIAISON},
    "need.view": {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.GRID_WORKER},
    "report.record": {Role.VILLAGE_STAFF},
    "report.view": {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF},
    "points.view": {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF},
    "project.manage": {Role.VILLAGE_STAFF, Role.TOWN_STAFF},
    # Added by the 双报到 / micro-project half of issue 4.
    "project.view": {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.SUPERVISION},
    "feedback.view": {Role.DISTRICT_ADMIN, Role.TOWN_STAFF, Role.UNIT_LIAISON},
}


def test_the_matrix_is_the_one_of_issue_4() -> None:
    assert {a: set(access.roles(a)) for a in access.ACTIONS} == EXPECTED


def _where(tree: Tree, role: str, inside: bool) -> Organization:
    """Where a role's grant sits: over 甲村 (inside) or over 乙村 / 丙社区 (outside)."""
    if role in (Role.DISTRICT_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
        return tree.district if inside else tree.other_town
    if role == Role.TOWN_STAFF:
        return tree.town if inside else tree.other_town
    return tree.village_a if inside else tree.village_b


@pytest.mark.parametrize("inside", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_can_follows_the_matrix(tree: Tree, action: str, role: str, inside: bool) -> None:
    user = make_user(f"u_{role}", role, _where(tree, role, inside))
    assert can(user, access.roles(action), tree.village_a) is (inside and role in EXPECTED[action])


@pytest.mark.parametrize("inside", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", ROLES)
def test_vetting_through_the_service(world: World, role: str, inside: bool) -> None:
    need = submit(world.tree.village_a)
    user = make_user(f"v_{role}", role, _where(world.tree, role, inside))
    if inside and role in EXPECTED["need.vet"]:
        services.need_reject(actor=user, need=need, reason="不属于服务范围")
    else:
        with pytest.raises(PermissionDenied):
            services.need_reject(actor=user, need=need, reason="不属于服务范围")


@pytest.mark.parametrize("inside", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", ROLES)
def test_filing_for_a_resident_through_the_service(world: World, role: str, inside: bool) -> None:
    user = make_user(f"s_{role}", role, _where(world.tree, role, inside))
    if inside and role in EXPECTED["need.submit_for"]:
        assert services.need_submit(community=world.tree.village_a, data=need_input(), actor=user).submitted_by == user
    else:
        with pytest.raises(PermissionDenied):
            services.need_submit(community=world.tree.village_a, data=need_input(), actor=user)


@pytest.mark.parametrize("inside", [True, False], ids=["in_scope", "out_of_scope"])
@pytest.mark.parametrize("role", ROLES)
def test_viewing_a_need(world: World, role: str, inside: bool) -> None:
    need = submit(world.tree.village_a)
    user = make_user(f"w_{role}", role, _where(world.tree, role, inside))
    if inside and role in EXPECTED["need.view"]:
        assert selectors.get_need_for_user(user, need.pk) == need
    else:
        with pytest.raises(Http404):
            selectors.get_need_for_user(user, need.pk)


def _claimer(tree: Tree, role: str, org: Organization) -> User:
    user = make_user(f"c_{role}", role, org)
    person = Person.objects.create(organization=tree.village_a, name=f"党员{role}", gender="M")
    MemberAccount.objects.create(user=user, member=Member.objects.create(person=person, branch=tree.branch_a, stage=Stage.FULL))
    return user


@pytest.mark.parametrize("inside", [True, False], ids=["in_district", "other_district"])
@pytest.mark.parametrize("role", ROLES)
def test_claiming(world: World, role: str, inside: bool) -> None:
    """Claims are district-wide (members serve where they live): in scope = a grant in the same district."""
    need = listed(world, capacity=5)
    if inside:
        org = world.unit if role == Role.UNIT_LIAISON else world.tree.branch_a
    else:
        org = Organization.objects.add_root(create_kwargs={"name": "他区", "code": "440800", "kind": "district"})
    user = _claimer(world.tree, role, org)
    if inside and role in EXPECTED["need.claim"]:
        unit = world.unit if role == Role.UNIT_LIAISON else None
        assert services.need_claim(actor=user, need=need, unit=unit).need_id == need.pk
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            services.need_claim(actor=user, need=need)
