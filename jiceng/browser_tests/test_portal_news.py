"""A resident reads a news item on the public portal (counted once, even on reload), comments
with a code read from the console SMS gateway's outbox; the village staff approve the comment and
reply; the resident sees the comment with the reply under it, and got an SMS saying so."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import shot
from jiceng.conftest import PASSWORD, Personas, Tree
from jiceng.needs.otp import ConsoleGateway
from jiceng.portal import services
from jiceng.portal.models import Article, ArticleStatus, Comment, CommentStatus

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
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(personas.secretary_a.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
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
