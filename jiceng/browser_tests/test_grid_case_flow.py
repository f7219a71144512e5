"""A grid case in a real browser: the grid worker reports it by clicking the map, the village accepts
and dispatches it, the clock runs out (the escalation check is run with a later `now`), the town
gets the supervision notice and handles the case, and the grid worker verifies and closes it."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.grid import sla
from jiceng.grid.models import Case, CaseCategory, CaseLevel, CaseStatus, Escalation
from jiceng.grid.tests import conftest as grid_fixtures
from jiceng.grid.tests.conftest import Grids

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def categories(transactional_db: None) -> None:
    """Transactional tests flush every table, the categories seeded by migration too: seed them again."""
    if not CaseCategory.objects.exists():
        import_module("jiceng.grid.migrations.0004_seed_case_categories").seed(apps, None)


@pytest.fixture
def grids(categories: None, tree: Tree, personas: Personas) -> Grids:
    return grid_fixtures.grids.__wrapped__(tree, personas)  # type: ignore[attr-defined]


def _login(page: Page, base: str, username: str) -> None:
    log_in(page, base, username)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def _act(page: Page, action: str, **fields: str) -> None:
    form = page.locator(f"form[data-action='{action}']")
    for name, value in fields.items():
        target = form.locator(f"[name='{name}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    form.get_by_role("button").click()
    expect(page.get_by_text("已办理。")).to_be_visible()


def test_a_case_from_the_map_to_closing_with_an_escalation(page: Page, live_server, grids: Grids, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url

    # the grid worker reports on the phone page by clicking the map inside 甲村第一网格
    page.set_viewport_size({"width": 420, "height": 900})
    _login(page, base, grids.worker.username)
    page.get_by_role("link", name="网格", exact=True).click()
    expect(page.get_by_role("heading", name="我的网格")).to_be_visible()
    page.locator("#report-button").click()
    expect(page.locator("#report-map[data-ready='1']")).to_be_attached()
    page.get_by_label("事件类别").select_option(label="环境卫生")
    point = page.evaluate(
        "() => { const m = document.getElementById('report-map').leafletMap; const p = m.latLngToContainerPoint([22.605, 113.005]); return [p.x, p.y]; }"
    )
    page.locator("#report-map").click(position={"x": point[0], "y": point[1]})
    expect(page.locator("#point-grid")).to_contain_text("甲村第一网格")
    page.get_by_label("事件描述").fill("村道旁垃圾堆积三天未清运")
    page.get_by_role("button", name="上报").click()
    expect(page.locator("#case-status")).to_have_text("已上报")
    case = Case.objects.get()
    assert case.grid == grids.a1 and abs(case.lng - 113.005) < 0.001 and abs(case.lat - 22.605) < 0.001
    shot(page, "grid-case-reported")
    _logout(page)

    # the village accepts and dispatches it to a department
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, base, personas.secretary_a.username)
    page.goto(f"{base}/grid/cases/{case.pk}/")
    _act(page, "accept")
    _act(page, "dispatch", target="department", dispatched_to="镇城管办")
    expect(page.locator("#case-status")).to_have_text("已分派")
    _logout(page)

    # nobody signs for it in time: the check, run later, escalates it to the town
    case.refresh_from_db()
    assert case.stage_due_at is not None
    later = case.stage_due_at + timedelta(hours=2)
    assert [e.case_id for e in sla.check_sla(now=later).escalated] == [case.pk]
    assert sla.check_sla(now=later + timedelta(hours=1)).escalated == []
    assert Escalation.objects.get().to_org.name == "甲镇"

    # the town sees the supervision notice in the timeline and handles the case
    _login(page, base, personas.town_staff.username)
    page.goto(f"{base}/grid/cases/{case.pk}/")
    expect(page.locator("#case-holder")).to_have_text("甲镇")
    expect(page.locator("#timeline tr.escalation")).to_contain_text("镇（街道）督办")
    expect(page.locator("#timeline tr.escalation")).to_contain_text("“签收”环节超时")
    _act(page, "start")
    _act(page, "feedback", result="已协调保洁队清运完毕")
    expect(page.locator("#case-status")).to_have_text("已反馈")
    shot(page, "grid-case-escalated")
    _logout(page)

    # the grid worker checks on the spot, confirms and closes
    page.set_viewport_size({"width": 420, "height": 900})
    _login(page, base, grids.worker.username)
    page.goto(f"{base}/grid/mine/")
    expect(page.get_by_text("请到现场核查")).to_be_visible()
    page.get_by_role("link", name=case.code).click()
    _act(page, "verify")
    _act(page, "close")
    expect(page.locator("#case-status")).to_have_text("已结案")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.level == CaseLevel.TOWN and case.closed_at is not None
    assert case.closed_at <= timezone.now()
    shot(page, "grid-case-closed")


def test_the_public_map_loads_the_grids_of_its_view(page: Page, live_server, grids: Grids, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A resident's map opens on the grids' extent and asks for the grids of each new view (a province
    has 150,000); a view holding more than the limit says to zoom in."""
    from jiceng.grid import selectors

    monkeypatch.setattr(selectors, "PUBLIC_MAP_LIMIT", 3)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "grids.geojson" in r.url else None)
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(f"{live_server.url}/p/cases/")
    expect(page.locator("#report-map[data-ready='1']")).to_be_attached()
    assert asked and all("bbox=" in url for url in asked)
    # the opening view holds all four grids: more than the limit of three, so the note shows
    expect(page.locator("#report-map-note")).to_be_visible()
    page.evaluate("() => document.getElementById('report-map').leafletMap.fitBounds([[22.6, 113.0], [22.61, 113.01]])")
    expect(page.locator("#report-map-note")).to_be_hidden()
    expect(page.locator("#report-map path.leaflet-interactive, #report-map path")).not_to_have_count(0)


def test_the_grid_list_links_each_grid_in_scope(live_server, page: Page, personas: Personas, grids: Grids) -> None:  # type: ignore[no-untyped-def]
    """The list's rows (grid.views._grid_rows): kind label and a link to the grid's page; village B's grid is not listed."""
    _login(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/grid/")
    row = page.locator("tbody tr", has=page.get_by_role("link", name=grids.a1.name))
    expect(row).to_contain_text("综合网格")
    expect(page.get_by_role("link", name=grids.b1.name)).to_have_count(0)
    row.get_by_role("link", name=grids.a1.name).click()
    expect(page).to_have_url(f"{live_server.url}/grid/{grids.a1.pk}/")
    expect(page.get_by_role("heading", name=grids.a1.name)).to_be_visible()
