"""大排查 in a real browser: the village secretary starts a sweep over a grid; the grid worker, on a
phone-sized screen, records visits household by household (a second save updates, it does not add);
progress follows; a finding becomes a case in one step."""

from importlib import import_module

import pytest
from django.apps import apps
from playwright.sync_api import Browser, Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.grid.models import Case, CaseCategory
from jiceng.grid.models_sweeps import FindingState, Household, SweepCampaign, SweepVisit
from jiceng.grid.tests import conftest as grid_fixtures
from jiceng.grid.tests.conftest import Grids

pytestmark = pytest.mark.django_db(transaction=True)

grids = grid_fixtures.grids


@pytest.fixture(autouse=True)
def case_categories(transactional_db: None) -> None:
    """Transactional tests flush every table, the categories seeded by migration too: seed them again."""
    if not CaseCategory.objects.exists():
        import_module("jiceng.grid.migrations.0004_seed_case_categories").seed(apps, None)


def _login(page: Page, base: str, username: str) -> None:
    log_in(page, base, username)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_a_sweep_from_start_to_a_case(page: Page, browser: Browser, live_server, grids: Grids) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    for i, head in enumerate(("陈志强", "李丽华", "黄国荣")):
        Household.objects.create(grid=grids.a1, address=f"东华里{i + 1}号", head_name=head, members_count=3)

    # the village secretary starts the sweep
    _login(page, base, "secretary_a")
    page.goto(f"{base}/grid/sweeps/")
    page.get_by_role("button", name="发起排查").click()
    page.get_by_label("排查名称").fill("安全隐患入户排查")
    page.get_by_label(f"甲村 · 甲村第一网格（{grids.a1.code}）").check()
    page.get_by_label("排查问题").fill("有无电动车室内充电\n房屋用途：自住/出租/空置")
    page.get_by_role("button", name="发起").click()
    expect(page.get_by_role("heading", name="安全隐患入户排查")).to_be_visible()
    expect(page.locator("#sweep-progress")).to_contain_text("已完成 0 / 3 户")
    campaign = SweepCampaign.objects.get()
    assert campaign.organization.name == "甲村"

    # the grid worker visits on a phone
    phone_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    _login(phone, base, "grid_a")
    phone.goto(f"{base}/grid/sweeps/{campaign.pk}/")
    phone.locator("main").get_by_role("button", name="甲村第一网格").click()
    expect(phone.locator("#sweep-grid-progress")).to_contain_text("已完成 0 / 3 户")

    phone.get_by_role("button", name="东华里1号").click()
    phone.get_by_text("不在家", exact=True).click()
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator(".flash")).to_contain_text("已登记 东华里1号 第 1 轮：不在家")
    expect(phone.locator("#sweep-grid-progress")).to_contain_text("已完成 0 / 3 户")

    # back later: the second save updates the same visit
    phone.get_by_role("button", name="东华里1号").click()
    expect(phone.get_by_text("本轮已登记“不在家”")).to_be_visible()
    phone.get_by_text("已走访", exact=True).click()
    phone.locator("fieldset", has_text="有无电动车室内充电").get_by_text("是", exact=True).click()
    phone.locator("fieldset", has_text="房屋用途").get_by_text("出租", exact=True).click()
    phone.get_by_label("发现问题").fill("电动车在楼道内充电，存在火灾隐患")
    shot(phone, "sweep-visit-phone")
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator(".flash")).to_contain_text("已更新 东华里1号 第 1 轮：已走访")
    expect(phone.locator("#sweep-grid-progress")).to_contain_text("已完成 1 / 3 户")

    phone.get_by_role("button", name="东华里2号").click()
    phone.get_by_text("空置/注销", exact=True).click()
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator("#sweep-grid-progress")).to_contain_text("已完成 2 / 3 户")
    shot(phone, "sweep-grid-phone")
    assert SweepVisit.objects.count() == 2

    # the worker turns the finding into a case
    phone.get_by_role("link", name="查看排查进度").click()
    expect(phone.locator("#sweep-progress")).to_contain_text("已完成 2 / 3 户（66.7%）")
    row = phone.locator("#sweep-findings article", has_text="电动车在楼道内充电")
    row.get_by_label("事件类别").select_option(label="安全隐患")
    row.get_by_role("button", name="转为事件").click()
    expect(phone.locator(".flash")).to_contain_text("已将 东华里1号 的问题转为事件")
    phone_context.close()

    visit = SweepVisit.objects.get(household__address="东华里1号")
    assert visit.finding_state == FindingState.REPORTED
    assert visit.case_id is not None
    case = Case.objects.get(pk=visit.case_id)
    assert case.grid == grids.a1 and case.category.code == "safety"

    # the secretary's progress page follows
    page.reload()
    expect(page.locator("#sweep-progress")).to_contain_text("已完成 2 / 3 户（66.7%）")
    expect(page.get_by_text("暂无待转事件。")).to_be_visible()
