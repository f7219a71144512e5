"""The workspace context: navigation and switcher from the request's single grant query."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.accounts.models import Role
from jiceng.conftest import Tree, make_user


def _grant_queries(ctx: CaptureQueriesContext) -> int:
    return sum('FROM "accounts_rolegrant"' in q["sql"] for q in ctx.captured_queries)


def test_one_grant_query_serves_scope_navigation_and_switcher(tree: Tree) -> None:
    user = make_user("multi", Role.VILLAGE_STAFF, tree.village_a)
    other = user.grants.create(organization=tree.village_b, role=Role.VILLAGE_STAFF)
    client = Client()
    client.force_login(user)
    client.post(reverse("switch_grant"), {"grant_id": other.pk})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert _grant_queries(ctx) == 1
    html = response.content.decode()
    # both grants in the switcher, the active one selected; only the active one in force
    assert html.count('name="grant_id"') == 1 and f'value="{other.pk}" selected' in html
    assert [g.pk for g in response.context["current_grants"]] == [other.pk]
    assert reverse("orgs:members") in html  # nav: village staff see the member list


def test_navigation_follows_roles(tree: Tree) -> None:
    auditor = make_user("aud", Role.AUDITOR, tree.district)
    client = Client()
    client.force_login(auditor)
    html = client.get(reverse("home")).content.decode()
    assert reverse("audit:ledger") in html and reverse("orgs:members") not in html


def test_a_json_endpoint_does_not_build_the_workspace(tree: Tree) -> None:
    user = make_user("staff", Role.VILLAGE_STAFF, tree.village_a)
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"{reverse('grid:map_geojson')}?org={tree.village_a.pk}").status_code == 200
    assert _grant_queries(ctx) == 1
