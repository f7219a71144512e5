"""留言咨询 in a real browser: a resident on a phone-sized screen asks 甲村 a question from its portal
page, checking the phone with a code read from the console SMS gateway's outbox; 甲村's secretary
finds it in the inbox, answers and publishes it; the resident gets the answer by SMS and sees it on
the public page. 乙村's secretary never sees the question."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, ViewportSize, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.needs.otp import ConsoleGateway
from jiceng.portal.models import Consultation

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13766665555"
QUESTION = "家里老人行动不便，能否上门办理高龄津贴认证？"
ANSWER = "可以。请拨打村委会电话预约，网格员会在三个工作日内上门办理。"
PHONE_SCREEN: ViewportSize = {"width": 375, "height": 740}


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def ask(page: Page, base: str, tree: Tree) -> None:
    page.goto(f"{base}{reverse('portal:village', args=[tree.village_a.code])}")
    page.get_by_role("link", name="留言咨询").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("向甲村留言咨询")
    assert no_sideways_scroll(page)
    page.get_by_label("咨询内容").fill(QUESTION)
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    code = ConsoleGateway.last_code(PHONE)
    assert code
    # The page came back with what was typed: only the code is left to fill in.
    expect(page.get_by_label("咨询内容")).to_have_value(QUESTION)
    expect(page.get_by_label("手机号")).to_have_value(PHONE)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="提交咨询").click()
    expect(page.get_by_role("status")).to_contain_text("咨询已送达")
    expect(page.get_by_text("暂无公开答复")).to_be_visible()
    shot(page, "portal-consult-asked-mobile")


def test_a_question_reaches_the_village_inbox_and_its_published_answer_the_public_page(
    browser: Browser, page: Page, live_server: object, personas: Personas, tree: Tree
) -> None:
    base = str(live_server)
    ConsoleGateway.outbox.clear()
    phone = browser.new_context(locale="zh-CN", viewport=PHONE_SCREEN, is_mobile=True)
    resident = phone.new_page()
    resident.set_default_timeout(10_000)
    ask(resident, base, tree)
    item = Consultation.objects.get()
    assert item.organization == tree.village_a and item.answer == ""

    # Another village's secretary: not in the inbox.
    log_in(page, base, personas.secretary_b.username)
    page.goto(f"{base}{reverse('portal_staff:consultations')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("留言咨询")
    expect(page.get_by_text(QUESTION)).to_have_count(0)

    # 甲村's secretary finds it through the staff menu, answers and publishes it.
    page.context.clear_cookies()
    log_in(page, base, personas.secretary_a.username)
    page.get_by_role("link", name="门户管理").click()
    page.get_by_role("navigation", name="门户管理").get_by_role("link", name="留言咨询").click()
    question = page.locator("article", has_text=QUESTION)
    expect(question).to_contain_text("137****5555")
    question.get_by_label("答复").fill(ANSWER)
    question.get_by_label("在门户公开此问答").check()
    question.get_by_role("button", name="答复").click()
    expect(page.get_by_text("已答复，并已短信告知咨询人")).to_be_visible()
    item.refresh_from_db()
    assert item.answer == ANSWER and item.is_public and item.answered_by == personas.secretary_a

    # The resident was told by SMS and finds the answer on the public page, without the phone number.
    assert any(m.phone == PHONE and ANSWER[:10] in m.message for m in ConsoleGateway.outbox)
    resident.goto(f"{base}{reverse('portal:consult', args=[tree.village_a.code])}")
    answered = resident.locator(".comment", has_text=QUESTION)
    expect(answered.locator("blockquote.reply")).to_contain_text(ANSWER)
    expect(resident.locator("main")).not_to_contain_text("5555")
    assert no_sideways_scroll(resident)
    shot(resident, "portal-consult-answered-mobile")
    # Not on another village's page.
    resident.goto(f"{base}{reverse('portal:consult', args=[tree.village_b.code])}")
    expect(resident.get_by_text(QUESTION)).to_have_count(0)
    phone.close()
