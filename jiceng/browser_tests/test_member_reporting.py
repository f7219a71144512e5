"""On a phone: a member logs in, reports online to the community where they live, sees the report's
status and expiry, and sees their points with the reason for each."""

import importlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from playwright.sync_api import Browser, Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.needs import points
from jiceng.needs.models_service import ServiceReport, add_months
from jiceng.needs.tests.service_fixtures import Svc, svc_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def rules() -> None:
    """A transactional test database is flushed between tests, taking the seeded point rules with it."""
    importlib.import_module("jiceng.needs.migrations.0003_seed_point_rules").seed(apps, None)


def test_a_member_reports_on_a_phone_and_sees_the_points_explained(phone: Page, live_server, svc: Svc, rules: None) -> None:  # type: ignore[no-untyped-def]
    page = phone
    log_in(page, live_server.url, "wang")

    page.goto(f"{live_server.url}/needs/me/report/")
    expect(page.locator("#report-state")).to_have_text("未报到")
    page.get_by_label("居住地社区（村）").select_option(label="甲社区")
    page.locator("#report-submit").click()

    report = ServiceReport.objects.get(member=svc.wang, ended_on__isnull=True)
    expect(page.locator("#report-state")).to_have_text("有效")
    expect(page.locator("#report-community")).to_have_text("甲社区")
    expires = add_months(report.reported_on, 6)
    expect(page.locator("#report-expires")).to_have_text(f"{expires.year}年{expires.month}月{expires.day}日")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the report page scrolls sideways on a phone ({width}px)"
    shot(page, "member-report-phone")

    points.credit(
        member=svc.wang, rule_code=points.SERVICE_HOURS, hours=Decimal("2"), on=date.today(), note="清扫楼道", community=svc.community_jia
    )
    page.get_by_role("button", name="我的积分").click()
    expect(page.locator("#points-total")).to_have_text("4")  # 2 for reporting + 2 hours of service
    ledger = page.locator("#points-ledger")
    expect(ledger).to_contain_text("按时报到")
    expect(ledger).to_contain_text("佛山 2020：每半年报到一次")
    expect(ledger).to_contain_text("服务时长")
    expect(ledger).to_contain_text("每核实服务 1 小时计 1 分")
    expect(ledger).to_contain_text("清扫楼道")
    expect(ledger.get_by_role("link", name="向甲社区报到")).to_have_attribute("href", f"/needs/reports/{report.pk}/")
    shot(page, "member-points-phone")
