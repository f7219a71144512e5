"""The workspace context: navigation and switcher from the request's single grant query."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from jiceng.accounts.models import Role
from jiceng.conftest import Tree, make_user
from jiceng.web.templatetags.workspace import _render, nav_links


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


def test_cached_navigation_follows_each_users_roles(tree: Tree) -> None:
    # The links are rendered once per set of flags (jiceng.web.templatetags.workspace); a warm cache
    # must still give each user the links of their own roles, in whatever order they come.
    _render.cache_clear()
    auditor, staff = make_user("aud", Role.AUDITOR, tree.district), make_user("staff", Role.VILLAGE_STAFF, tree.village_a)
    pages = []
    for user in (auditor, staff, auditor, staff):
        client = Client()
        client.force_login(user)
        pages.append(client.get(reverse("home")).content.decode())
    assert reverse("audit:ledger") in pages[0] and reverse("orgs:members") not in pages[0]
    assert reverse("orgs:members") in pages[1] and reverse("audit:ledger") not in pages[1]
    assert [_header(p) for p in pages[2:]] == [_header(p) for p in pages[:2]]
    assert _render.cache_info().misses == 2


def test_cached_navigation_keeps_the_script_prefix() -> None:
    # Mounted under a prefix, the links carry it, though the same flags were rendered without one.
    nav = {"members": True, "audit": False}
    plain = nav_links(nav)
    set_script_prefix("/jiceng/")
    try:
        mounted = nav_links(nav)
    finally:
        set_script_prefix("/")
    assert 'href="/orgs/members/"' in plain and "/jiceng/" not in plain and "/audit/" not in plain
    assert 'href="/jiceng/orgs/members/"' in mounted and 'href="/orgs/' not in mounted


def _header(html: str) -> str:
    """The page's header without the per-request CSRF token."""
    header = html[html.index("<header") : html.index("</header>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", header)
