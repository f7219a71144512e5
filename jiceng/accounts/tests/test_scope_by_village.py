"""scope_by_village gives the rows scope() gives, by a list of village ids when the scope is small
enough and by the path range above VILLAGE_LIST_MAX."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.accounts import access
from jiceng.accounts.access import scope, scope_by_village
from jiceng.conftest import Personas, Tree
from jiceng.grid.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids(tree: Tree) -> list[Grid]:
    villages = (tree.village_a, tree.village_b, tree.community_c)
    return [Grid.objects.create(village=v, code=f"G{i}{j}", name=f"{v.name}网格{j}") for i, v in enumerate(villages) for j in range(2)]


def _roles() -> Any:
    from jiceng.grid import access as grid_access

    return grid_access.roles("grid.view")


def _ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_the_same_rows_as_the_path_range_for_every_persona(personas: Personas, grids: list[Grid]) -> None:
    for user in vars(personas).values():
        by_path = _ids(scope(Grid.objects.all(), user, _roles(), "village__path"))
        assert _ids(scope_by_village(Grid.objects.all(), user, _roles(), "village")) == by_path, user.username
    assert len(_ids(scope_by_village(Grid.objects.all(), personas.secretary_a, _roles(), "village"))) == 2
    assert not _ids(scope_by_village(Grid.objects.all(), personas.outsider, _roles(), "village"))


def test_a_small_scope_is_a_list_of_ids_asked_once_per_user_object(personas: Personas, grids: list[Grid]) -> None:
    user = personas.town_staff
    with CaptureQueriesContext(connection) as first:
        rows = _ids(scope_by_village(Grid.objects.all(), user, _roles(), "village"))
    assert len(rows) == 4  # 甲村 and 乙村, not 丙社区 of the other subdistrict
    sql = first.captured_queries[-1]["sql"]
    # one array parameter on PostgreSQL, a list of ids elsewhere (lib.lookups.AnyOf)
    assert ('"village_id" = ANY(' in sql or '"village_id" IN (' in sql) and "path" not in sql
    with CaptureQueriesContext(connection) as again:
        _ids(scope_by_village(Grid.objects.all(), user, _roles(), "village"))
    assert len(again.captured_queries) == 1  # the rows alone: grants and village ids came from the user object


def test_above_the_limit_the_path_range_is_kept(personas: Personas, grids: list[Grid], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "VILLAGE_LIST_MAX", 2)
    user = personas.district_admin  # three villages and communities
    with CaptureQueriesContext(connection) as queries:
        rows = _ids(scope_by_village(Grid.objects.all(), user, _roles(), "village"))
    assert rows == {g.pk for g in grids}
    assert '"path" >=' in queries.captured_queries[-1]["sql"]
