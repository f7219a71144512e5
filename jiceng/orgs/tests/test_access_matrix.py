"""Every role × every registry action × inside / outside the grant's subtree."""

import pytest

from jiceng.accounts.access import can, scope
from jiceng.accounts.models import Role
from jiceng.conftest import Tree, make_user
from jiceng.orgs.access import MATRIX
from jiceng.orgs.models import Organization

CASES = [(role, action) for role in Role.values for action in MATRIX]


@pytest.mark.parametrize(("role", "action"), CASES)
def test_it_applies_the_matrix_inside_and_outside_scope(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"u_{role}", role, tree.village_a)
    allowed = role in MATRIX[action]
    assert can(user, MATRIX[action], tree.village_a) is allowed
    assert can(user, MATRIX[action], tree.branch_a) is allowed  # a grant covers the subtree
    assert can(user, MATRIX[action], tree.village_b) is False
    assert can(user, MATRIX[action], tree.town) is False  # nor the level above
    assert can(user, MATRIX[action], tree.community_c) is False


def test_it_scopes_a_town_grant_to_its_villages(tree: Tree) -> None:
    user = make_user("town", Role.TOWN_STAFF, tree.town)
    names = set(scope(Organization.objects.all(), user, MATRIX["org.view"], "path").values_list("name", flat=True))
    assert names == {"甲镇", "甲村", "乙村", "甲村党支部", "乙村党支部"}


def test_it_gives_nothing_without_grants(tree: Tree) -> None:
    user = make_user("nobody")
    assert not scope(Organization.objects.all(), user, MATRIX["org.view"], "path").exists()
    assert can(user, MATRIX["org.view"], None) is False


def test_it_limits_scope_to_the_chosen_grant(tree: Tree) -> None:
    user = make_user("multi", Role.VILLAGE_STAFF, tree.village_a)
    other = user.grants.create(organization=tree.community_c, role=Role.VILLAGE_STAFF)
    assert can(user, MATRIX["org.view"], tree.community_c)
    user.active_grant_id = other.pk  # type: ignore[attr-defined]
    assert can(user, MATRIX["org.view"], tree.community_c)
    assert not can(user, MATRIX["org.view"], tree.village_a)


def test_it_folds_nested_grants(tree: Tree) -> None:
    user = make_user("nested", Role.TOWN_STAFF, tree.town)
    user.grants.create(organization=tree.village_a, role=Role.TOWN_STAFF)
    sql = str(scope(Organization.objects.all(), user, MATRIX["org.view"], "path").query)
    assert sql.count('"path" >= ') == 1  # the village inside the town adds no second range
