"""The portal's role × action matrix, tested for every persona, in scope and out of it."""

import pytest

from jiceng.accounts.access import can
from jiceng.conftest import Personas, Tree
from jiceng.portal import access

# persona → actions it may take on 甲村 (in scope); nobody but the district admin reaches 丙社区.
ON_VILLAGE_A = {
    "district_admin": {"news.manage", "comment.moderate", "disclosure.rhythm", "consultation.answer"},
    "town_staff": set(access.ACTIONS),
    "secretary_a": {"news.manage", "comment.moderate", "disclosure.manage", "consultation.answer"},
    "secretary_b": set(),
    "member": set(),
    "auditor": set(),
    "outsider": set(),
}


@pytest.mark.parametrize("persona", list(ON_VILLAGE_A))
@pytest.mark.parametrize("action", access.ACTIONS)
def test_the_matrix(personas: Personas, tree: Tree, persona: str, action: str) -> None:
    user = getattr(personas, persona)
    assert can(user, access.roles(action), tree.village_a) == (action in ON_VILLAGE_A[persona])
    in_other_town = can(user, access.roles(action), tree.community_c)
    assert in_other_town == (persona == "district_admin" and action in ON_VILLAGE_A[persona])
