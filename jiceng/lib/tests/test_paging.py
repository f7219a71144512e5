"""Keys first (page_of_keys) reads the same pages as plain slicing, in the same order."""

from typing import Any

import pytest

from jiceng.conftest import Tree
from jiceng.lib.paging import paginate
from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["1", "2", "3", "99", "x"])
def test_keys_first_gives_the_pages_slicing_gives(tree: Tree, number: Any) -> None:
    qs = Organization.objects.order_by("-depth", "name", "pk")
    rows = qs.values("pk", "name")
    plain = paginate(rows, number, 3, count_qs=qs)
    keys_first = paginate(rows, number, 3, count_qs=qs, keys_qs=qs)
    assert list(keys_first) == list(plain)
    assert (keys_first.number, keys_first.has_next, keys_first.count) == (plain.number, plain.has_next, plain.count)
    assert len(plain) in (2, 3)  # eight organizations: pages of 3, 3 and 2
