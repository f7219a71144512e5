"""AnyOf selects what `__in` selects, with the ids as one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from jiceng.accounts.models import Role, RoleGrant
from jiceng.conftest import Personas, Tree
from jiceng.lib.lookups import AnyOf
from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pick", [[], [0], [0, 2], [0, 1, 2, 3, 4, 5, 6, 7]])
def test_any_of_selects_what_in_selects(tree: Tree, pick: list[int]) -> None:
    all_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    ids = [all_ids[i] for i in pick if i < len(all_ids)]
    by_any = Organization.objects.filter(AnyOf(F("pk"), ids)).values_list("pk", flat=True)
    by_in = Organization.objects.filter(pk__in=ids).values_list("pk", flat=True)
    assert sorted(by_any) == sorted(by_in) == sorted(ids)


def test_any_of_on_a_foreign_key_beside_other_conditions(tree: Tree, personas: Personas) -> None:
    grants = RoleGrant.objects.filter(AnyOf(F("organization_id"), [tree.village_a.pk, tree.town.pk]), role=Role.VILLAGE_STAFF)
    assert [g.user for g in grants] == [personas.secretary_a]
    either = RoleGrant.objects.filter(Q(AnyOf(F("organization_id"), [tree.village_b.pk])) | Q(user=personas.town_staff))
    assert {g.user for g in either} == {personas.secretary_b, personas.town_staff}


def test_the_ids_are_one_parameter_on_postgresql(tree: Tree) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite gets a plain IN list")
    ids = list(Organization.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        list(Organization.objects.filter(AnyOf(F("pk"), ids)))
    assert "= ANY(" in ctx.captured_queries[0]["sql"] and " IN (" not in ctx.captured_queries[0]["sql"]
