"""A resident checks a printed notice's code on the public page, without an account."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import shot
from jiceng.conftest import Personas, Tree
from jiceng.decisions.tests.test_notices import published_notice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_resident_verifies_a_notice_code(live_server, page: Page, personas: Personas, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    notice = published_notice(personas.secretary_a, tree.village_a)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone, as from the QR code on the board
    page.goto(f"{live_server.url}/p/v/")
    expect(page.get_by_role("heading", name="核验公告")).to_be_visible()

    typed = f"{notice.code[:4].lower()} {notice.code[4:].lower()}"  # as read off the paper
    page.get_by_label("核验码").fill(typed)
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("status")).to_contain_text("公告与登记一致")
    expect(page.get_by_text("发包底价每亩每年800元。")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/p/v/{notice.code}/")
    shot(page, "notice-verified")

    page.goto(f"{live_server.url}/p/v/")
    page.get_by_label("核验码").fill("ZZZZ-9999")
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("status")).to_contain_text("未找到该核验码对应的公告")
    shot(page, "notice-not-found")

    # the village's page on the portal lists it, with the link back to its verification page
    page.goto(f"{live_server.url}/p/")
    page.get_by_role("link", name="甲村").click()
    page.get_by_role("link", name="东片农田发包决议公告").click()
    expect(page.get_by_role("status")).to_contain_text("公告与登记一致")
