"""The scope filter is a path range; it must select exactly what a LIKE prefix selects."""

import pytest

from jiceng.accounts.access import PATH_ALPHABET, _next_path, subtree
from jiceng.orgs.models import Organization, OrgKind

pytestmark = pytest.mark.django_db


def test_the_alphabet_is_the_trees() -> None:
    assert Organization.alphabet == PATH_ALPHABET


@pytest.mark.parametrize(
    ("path", "after"),
    [("0001", "0002"), ("0009", "000A"), ("000Z", "0010"), ("00010009", "0001000A"), ("0ZZZ", "1000"), ("ZZZZ", None)],
)
def test_next_path(path: str, after: str | None) -> None:
    assert _next_path(path) == after


def test_range_and_prefix_select_the_same_rows() -> None:
    orgs = Organization.objects
    root = orgs.add_root(create_kwargs={"name": "区", "code": "R1", "kind": OrgKind.DISTRICT})
    towns = [orgs.add_child(root, create_kwargs={"name": f"镇{i}", "code": f"T{i}", "kind": OrgKind.TOWN}) for i in range(12)]
    for town in towns:
        for j in range(3):
            orgs.add_child(town, create_kwargs={"name": f"{town.name}村{j}", "code": f"{town.code}V{j}", "kind": OrgKind.VILLAGE})
    orgs.add_root(create_kwargs={"name": "另一区", "code": "R2", "kind": OrgKind.DISTRICT})
    for org in Organization.objects.all():
        by_range = set(Organization.objects.filter(subtree("path", org.path)).values_list("pk", flat=True))
        by_prefix = set(Organization.objects.filter(path__startswith=org.path).values_list("pk", flat=True))
        assert by_range == by_prefix, org.name
