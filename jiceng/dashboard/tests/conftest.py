import pytest

from jiceng.conftest import Tree
from jiceng.dashboard.tests.fixtures import Board, build


@pytest.fixture
def board(tree: Tree) -> Board:
    return build(tree)


from jiceng.grid.tests.conftest import grids  # noqa: E402,F401 -- the grid fixture, for case counts
