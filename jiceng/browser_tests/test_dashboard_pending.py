"""In a real browser, with the database task backend: a district's first dashboard and big screen say
the data is being generated, and show it by themselves once the worker has run the task."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.dashboard import views
from jiceng.dashboard.models import PendingSnapshot, Snapshot
from jiceng.dashboard.tests.fixtures import Board, build

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board(tree: Tree) -> Board:
    return build(tree)


def test_the_pending_page_and_screen_turn_into_the_dashboard(
    live_server: Any, page: Page, personas: Personas, board: Board, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(views, "PENDING_RELOAD_SECONDS", 1)  # reload every second, not every 15
    base = live_server.url
    log_in(page, base, "district_admin")

    page.get_by_role("link", name="指标看板").click()
    expect(page.get_by_role("heading", name="指标看板：测试区")).to_be_visible()
    expect(page.locator("#pending")).to_contain_text("看板数据正在生成，请稍候刷新")
    expect(page.locator("#pending")).to_contain_text("提交后台生成")
    shot(page, "dashboard-pending")
    page.reload()
    expect(page.locator("#pending")).to_be_visible()  # still waiting: nothing ran the task

    screen = page.context.new_page()
    screen.goto(f"{base}/dashboard/screen/")
    expect(screen.locator("#kpis")).to_contain_text("看板数据正在生成，请稍候")
    expect(screen.locator("#as-of")).to_contain_text("看板数据正在生成")
    assert PendingSnapshot.objects.count() == 1 and not Snapshot.objects.exists()

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    expect(page.locator("#as-of")).to_contain_text("数据截至")  # the page reloaded itself
    expect(page.locator("#t-formation").get_by_role("row", name="甲镇")).to_contain_text("75.0")
    expect(screen.locator("#as-of")).to_contain_text("数据截至")  # and the screen fetched again
    expect(screen.locator("#kpis")).to_contain_text("单建率")
