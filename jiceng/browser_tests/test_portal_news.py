"""A resident reads a news item on the public portal (counted once, even on reload), comments
with a code read from the console SMS gateway's outbox; the village staff approve the comment and
reply; the resident sees the comment with the reply under it, and got an SMS saying so.
And the public pages fit a phone's screen (mobile first): nothing scrolls sideways at 375 px."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.needs.otp import ConsoleGateway
from jiceng.portal import demo, services
from jiceng.portal.models import Article, ArticleStatus, Comment, CommentStatus, DisclosureCategory, DisclosureDomain

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "13788889999"


def test_a_resident_reads_comments_and_sees_the_staff_reply(page: Page, live_server: object, personas: Personas, tree: Tree) -> None:
    base = str(live_server)
    ConsoleGateway.outbox.clear()
    item = services.article_save(
        actor=personas.secretary_a, organization=tree.village_a, title="甲村文化广场落成", body="<p>广场今天<strong>启用</strong>。</p>"
    )
    services.article_set_status(actor=personas.secretary_a, article=item, status=ArticleStatus.PUBLISHED)

    # The resident finds it from the village's portal page and reads it; a reload is not a second reader.
    page.goto(f"{base}{reverse('portal:village', args=[tree.village_a.code])}")
    page.get_by_role("link", name="甲村文化广场落成").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("甲村文化广场落成")
    expect(page.locator("#views")).to_contain_text("阅读 1")
    page.reload()
    expect(page.locator("#views")).to_contain_text("阅读 1")
    assert Article.objects.get(pk=item.pk).view_count == 1

    # Comment with a verified phone.
    page.get_by_label("评论内容").fill("希望晚上多开几盏灯")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    code = ConsoleGateway.last_code(PHONE)
    assert code
    page.get_by_label("评论内容").fill("希望晚上多开几盏灯")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="提交评论").click()
    expect(page.get_by_role("status")).to_contain_text("审核通过后显示")
    expect(page.locator(".comment")).to_have_count(0)
    assert Comment.objects.get().status == CommentStatus.PENDING

    # The village secretary approves and replies.
    page.context.clear_cookies()
    log_in(page, base, personas.secretary_a.username)
    page.get_by_role("link", name="门户管理").click()
    page.get_by_role("link", name="评论审核").click()
    expect(page.get_by_text("希望晚上多开几盏灯")).to_be_visible()
    page.get_by_role("button", name="通过", exact=True).click()
    page.get_by_label("回复评论").fill("已安排路灯维修，本周完成")
    page.get_by_role("button", name="发表回复").click()
    expect(page.get_by_text("回复：已安排路灯维修，本周完成")).to_be_visible()

    # The resident sees the comment with the reply, and was told by SMS.
    page.context.clear_cookies()
    page.goto(f"{base}{reverse('portal:article', args=[item.pk])}")
    comment = page.locator(".comment")
    expect(comment).to_contain_text("希望晚上多开几盏灯")
    expect(comment.locator("blockquote.reply")).to_contain_text("已安排路灯维修，本周完成")
    expect(page.locator("#views")).to_contain_text("阅读 1")
    assert any(m.phone == PHONE and "已通过审核" in m.message for m in ConsoleGateway.outbox)
    shot(page, "portal-news-comment")


def test_public_pages_fit_a_phone_screen(browser: Browser, live_server: object, personas: Personas, tree: Tree) -> None:
    actor, village = personas.secretary_a, tree.village_a
    item = services.article_save(
        actor=actor,
        organization=village,
        title="甲村文化广场完成升级改造，新增健身器材和夜间照明",
        body="<p>经村民代表会议决议，甲村对文化广场进行升级改造。</p><ul><li>健身器材</li><li>夜间照明</li></ul>",
        cover=demo.banner("green"),
    )
    services.article_set_status(actor=actor, article=item, status=ArticleStatus.PUBLISHED)
    today = timezone.localdate()
    services.disclosure_publish(
        actor=actor,
        village=village,
        domain=DisclosureDomain.VILLAGE,
        category=DisclosureCategory.FINANCE,
        title="甲村财务收支情况公开（含集体物业租金、土地发包收入明细）",
        body="收支明细见村务公开栏。",
        period_start=today.replace(day=1),
        period_end=today,
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    base = str(live_server)
    for name, url in (
        ("home", reverse("portal:home")),
        ("village", reverse("portal:village", args=[village.code])),
        ("news", reverse("portal:news_list", args=[village.code])),
        ("article", reverse("portal:article", args=[item.pk])),
        ("disclosures", reverse("portal:disclosures", args=[village.code])),
        ("consult", reverse("portal:consult", args=[village.code])),
        ("verify", reverse("portal:verify_form")),
    ):
        page.goto(f"{base}{url}")
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        if name in ("village", "article"):
            shot(page, f"portal-mobile-{name}")
    # The cover scales down to the screen.
    assert page.evaluate("window.innerWidth") == 375
    page.goto(f"{base}{reverse('portal:article', args=[item.pk])}")
    assert page.locator("img.cover").evaluate("img => img.complete && img.naturalWidth > 0 && img.clientWidth <= 375")
    context.close()
