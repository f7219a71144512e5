"""A district admin opens the dashboard, drills down district → town → village, and exports a table."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from jiceng.audit.models import Event
from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.dashboard.tests.fixtures import Board, build

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board(tree: Tree) -> Board:
    return build(tree)


def test_district_admin_drills_down_and_exports(live_server, page: Page, personas: Personas, board: Board) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    log_in(page, base, "district_admin")

    page.get_by_role("link", name="指标看板").click()
    expect(page.get_by_role("heading", name="指标看板：测试区")).to_be_visible()
    expect(page.locator("#as-of")).to_contain_text("数据截至")
    formation = page.locator("#t-formation")
    expect(formation.get_by_role("row", name="甲镇")).to_contain_text("75.0")
    expect(formation.locator("svg").first).to_be_attached()  # the ECharts chart beside the table
    shot(page, "dashboard-district")

    formation.get_by_role("link", name="甲镇").click()
    expect(page.get_by_role("heading", name="指标看板：甲镇")).to_be_visible()
    expect(page.locator("#t-formation").get_by_role("row", name="直属单位")).to_contain_text("66.7")

    page.locator("#t-yijiantiao").get_by_role("link", name="甲村").click()
    expect(page.get_by_role("heading", name="指标看板：甲村")).to_be_visible()
    expect(page.locator("#t-reserves").get_by_role("row", name="甲村")).to_contain_text("是")
    shot(page, "dashboard-village")

    with page.expect_download() as info:
        page.locator("#t-cadre_ages").get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == "甲村 · 村（社区）“两委”干部年龄结构"
    assert ["合计（人）", 2, 2, 2] in rows
    event = Event.objects.get(action="dashboard.export")
    assert event.actor_id == personas.district_admin.pk and event.changes["table"] == "cadre_ages"

    page.goto(f"{base}/dashboard/screen/")
    expect(page.locator("body[data-loaded='1']")).to_be_attached()
    expect(page.locator("#kpis")).to_contain_text("单建率")
    expect(page.locator("#as-of")).to_contain_text("数据截至")
    shot(page, "dashboard-screen")
