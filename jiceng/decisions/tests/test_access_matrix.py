"""Every role × every decision action × the grant's own village / another village, through `can`."""

import pytest

from jiceng.accounts.access import can, scope
from jiceng.accounts.models import Role
from jiceng.conftest import Tree, make_user
from jiceng.decisions.access import MATRIX
from jiceng.decisions.models import Decision

CASES = [(role, action) for role in Role.values for action in MATRIX]


@pytest.mark.parametrize(("role", "action"), CASES)
def test_it_applies_the_matrix_in_the_own_village_only(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"u_{role}", role, tree.village_a)
    allowed = role in MATRIX[action]
    assert can(user, MATRIX[action], tree.village_a) is allowed
    assert can(user, MATRIX[action], tree.village_b) is False
    assert can(user, MATRIX[action], tree.community_c) is False


@pytest.mark.parametrize(("role", "action"), CASES)
def test_a_town_grant_covers_both_its_villages_and_no_other(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"t_{role}", role, tree.town)
    allowed = role in MATRIX[action]
    assert can(user, MATRIX[action], tree.village_a) is allowed
    assert can(user, MATRIX[action], tree.village_b) is allowed
    assert can(user, MATRIX[action], tree.community_c) is False


def test_the_matrix_gives_each_duty_to_its_holder() -> None:
    # 三权分立 and the procedure's division of labour, stated once so a change to MATRIX is a visible decision.
    assert MATRIX["decision.change"] == {Role.VILLAGE_STAFF}
    assert MATRIX["decision.review"] == {Role.TOWN_STAFF}
    assert MATRIX["decision.object"] == {Role.SUPERVISION}
    assert MATRIX["catalogue.file"] == {Role.TOWN_STAFF}
    assert not MATRIX["decision.view"] & {Role.AUDITOR, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.PARTY_MEMBER}


def test_the_list_scope_follows_the_village_path(tree: Tree) -> None:
    user = make_user("sec_b", Role.VILLAGE_STAFF, tree.village_b)
    sql = str(scope(Decision.objects.all(), user, MATRIX["decision.view"], "village__path").query)
    assert sql.count('"path" >= ') == 1  # one path range: the village's subtree
    assert not scope(Decision.objects.all(), make_user("nobody"), MATRIX["decision.view"], "village__path").exists()
