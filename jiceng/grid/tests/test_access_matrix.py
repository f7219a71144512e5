"""Every role × every grid action × the grant's own village / another village / another town, through `can`."""

import pytest

from jiceng.accounts.access import can
from jiceng.accounts.models import Role
from jiceng.conftest import Tree, make_user
from jiceng.grid.access import ACTIONS, MATRIX, roles

CASES = [(role, action) for role in Role.values for action in MATRIX]


@pytest.mark.parametrize(("role", "action"), CASES)
def test_it_applies_the_matrix_in_the_own_village_only(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"u_{role}", role, tree.village_a)
    assert can(user, roles(action), tree.village_a) is (role in MATRIX[action])
    assert can(user, roles(action), tree.village_b) is False
    assert can(user, roles(action), tree.community_c) is False


@pytest.mark.parametrize(("role", "action"), CASES)
def test_a_town_grant_covers_its_villages_and_no_other_town(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"t_{role}", role, tree.town)
    allowed = role in MATRIX[action]
    assert can(user, roles(action), tree.village_a) is allowed
    assert can(user, roles(action), tree.village_b) is allowed
    assert can(user, roles(action), tree.community_c) is False


def test_the_matrix_is_as_agreed() -> None:
    R = Role
    assert set(ACTIONS) >= {"grid.view", "grid.change", "case.report", "case.handle", "sweep.run", "sweep.visit", "mobilize"}
    assert MATRIX["case.handle"] == {R.VILLAGE_STAFF, R.TOWN_STAFF, R.DISTRICT_ADMIN}
    assert MATRIX["case.report"] == {R.VILLAGE_STAFF, R.GRID_WORKER, R.TOWN_STAFF}
    assert R.GRID_WORKER not in MATRIX["grid.change"] and R.GRID_WORKER not in MATRIX["case.handle"]
    for action in MATRIX:  # 三权分立: the system, security and audit administrators run no cases
        assert not MATRIX[action] & {R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDITOR, R.PARTY_MEMBER, R.UNIT_LIAISON}
