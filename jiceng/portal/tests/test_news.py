"""News: the sanitizer, publishing states, view counts and moderated comments."""

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.needs.otp import ConsoleGateway
from jiceng.portal import sanitize, services
from jiceng.portal.models import ArticleStatus, ArticleView, Comment, CommentReply, CommentStatus
from jiceng.portal.tests.helpers import PHONE, article, comment_by_phone


def staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---- sanitizer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>好<script>alert(1)</script></p>", "<p>好</p>"),
        ('<img src="/p/img/1/" onerror="alert(1)">', '<img src="/p/img/1/" alt="">'),
        ('<img src="https://evil.example/t.gif">', ""),
        ('<a href="javascript:alert(1)">点我</a>', "<a>点我</a>"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="https://www.gov.cn/" onclick="x()">政府网</a>', '<a href="https://www.gov.cn/" rel="nofollow noopener">政府网</a>'),
        ('<p style="color:red" class="x">字</p>', "<p>字</p>"),
        ("<iframe src='https://evil'>内</iframe><b>粗</b>", "粗"),
        ("<strong>未闭合", "<strong>未闭合</strong>"),
        ("<p>a &lt;script&gt; b</p>", "<p>a &lt;script&gt; b</p>"),
        ("<svg><script>alert(1)</script></svg>正文", "正文"),
    ],
)
def test_it_keeps_only_the_allow_list(dirty: str, clean: str) -> None:
    assert sanitize.clean(dirty) == clean


def test_it_cleans_the_body_on_save(personas: Personas, tree: Tree) -> None:
    item = services.article_save(
        actor=personas.secretary_a, organization=tree.village_a, title="t", body='<p onclick="x">好</p><script>bad()</script>'
    )
    assert item.body == "<p>好</p>"
    assert Event.objects.filter(action="portal.article_create", object_id=str(item.pk)).exists()


# ---- publishing ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ArticleStatus.DRAFT, ArticleStatus.UNPUBLISHED])
def test_it_hides_unpublished_articles(personas: Personas, tree: Tree, status: str) -> None:
    item = article(personas.secretary_a, tree.village_a, status=ArticleStatus.PUBLISHED)
    if status == ArticleStatus.UNPUBLISHED:
        services.article_set_status(actor=personas.secretary_a, article=item, status=status)
    else:
        item = article(personas.secretary_a, tree.village_a, title="草稿", status=status)
    assert Client().get(reverse("portal:article", args=[item.pk])).status_code == 404
    assert item.title not in Client().get(reverse("portal:news_list", args=[tree.village_a.code])).content.decode()


def test_a_scheduled_article_is_hidden_until_its_time(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a, status=ArticleStatus.SCHEDULED, at=timezone.now() + timedelta(hours=2))
    assert Client().get(reverse("portal:article", args=[item.pk])).status_code == 404
    type(item).objects.filter(pk=item.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(reverse("portal:article", args=[item.pk])).status_code == 200


def test_it_refuses_a_schedule_in_the_past(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a, status=ArticleStatus.DRAFT)
    with pytest.raises(ValidationError):
        services.article_set_status(
            actor=personas.secretary_a, article=item, status=ArticleStatus.SCHEDULED, publish_at=timezone.now() - timedelta(days=1)
        )


def test_other_village_staff_cannot_write_or_publish(personas: Personas, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.article_save(actor=personas.secretary_b, organization=tree.village_a, title="t", body="b")
    item = article(personas.secretary_a, tree.village_a, status=ArticleStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        services.article_set_status(actor=personas.secretary_b, article=item, status=ArticleStatus.PUBLISHED)
    client = staff(personas.secretary_b)
    assert client.get(reverse("portal_staff:article_edit", args=[item.pk])).status_code == 404
    assert client.post(reverse("portal_staff:article_status", args=[item.pk]), {"status": "published"}).status_code == 404
    item.refresh_from_db()
    assert item.status == ArticleStatus.DRAFT


def test_outsiders_and_members_get_no_staff_pages(personas: Personas) -> None:
    assert Client().get(reverse("portal_staff:index")).status_code == 302
    for user in (personas.outsider, personas.member, personas.auditor):
        assert staff(user).get(reverse("portal_staff:index")).status_code == 403


def test_town_staff_publish_for_a_village_through_the_pages(personas: Personas, tree: Tree) -> None:
    client = staff(personas.town_staff)
    response = client.post(
        reverse("portal_staff:article_new"), {"organization": tree.village_a.pk, "title": "镇里的新闻", "body": "<p>内容</p>"}
    )
    assert response.status_code == 302
    item = tree.village_a.articles.get()
    client.post(reverse("portal_staff:article_status", args=[item.pk]), {"status": "published"})
    item.refresh_from_db()
    assert item.is_live()
    assert "镇里的新闻" in Client().get(reverse("portal:village", args=[tree.village_a.code])).content.decode()
    assert "镇里的新闻" in Client().get(reverse("portal:village", args=[tree.town.code])).content.decode()


def test_a_village_staff_cannot_pick_another_village(personas: Personas, tree: Tree) -> None:
    response = staff(personas.secretary_a).post(
        reverse("portal_staff:article_new"), {"organization": tree.village_b.pk, "title": "t", "body": "b"}
    )
    assert response.status_code == 200 and not tree.village_b.articles.exists()


def test_cover_is_resized_and_non_images_refused(personas: Personas, tree: Tree) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 1500), "red").save(buffer, "PNG")
    item = services.article_save(
        actor=personas.secretary_a,
        organization=tree.village_a,
        title="t",
        body="b",
        cover=SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"),
    )
    with Image.open(item.cover.path) as stored:
        assert stored.size == (1200, 600)
    with pytest.raises(ValidationError):
        services.article_save(
            actor=personas.secretary_a,
            organization=tree.village_a,
            title="t",
            body="b",
            cover=SimpleUploadedFile("x.png", b"<?php evil", content_type="image/png"),
        )
    assert Client().get(reverse("portal:image", args=[item.pk])).status_code == 404  # draft


# ---- views -----------------------------------------------------------------------------------


def test_a_reader_is_counted_once_a_day(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a)
    url = reverse("portal:article", args=[item.pk])
    reader = Client(HTTP_USER_AGENT="Phone A", REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        assert reader.get(url).status_code == 200
    other = Client(HTTP_USER_AGENT="Phone B", REMOTE_ADDR="10.0.0.1")
    other.get(url)
    item.refresh_from_db()
    assert item.view_count == 2
    assert ArticleView.objects.filter(article=item).count() == 2
    assert not ArticleView.objects.filter(reader__contains="10.0.0.1").exists()
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert services.count_view(article=item, ip="10.0.0.1", user_agent="Phone A", day=tomorrow)
    assert not services.count_view(article=item, ip="10.0.0.1", user_agent="Phone A", day=tomorrow)


def test_the_reader_hash_is_keyed_and_daily() -> None:
    today = timezone.localdate()
    key = services.reader_key("10.0.0.1", "UA", today)
    assert len(key) == 64 and "10.0.0.1" not in key
    assert key != services.reader_key("10.0.0.1", "UA", today + timedelta(days=1))


# ---- comments --------------------------------------------------------------------------------


def test_a_comment_needs_a_verified_phone(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a)
    url = reverse("portal:article", args=[item.pk])
    response = Client().post(url, {"action": "comment", "phone": PHONE, "code": "123456", "body": "没有验证码"})
    assert response.status_code == 200 and "验证码" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_shows_only_after_approval(personas: Personas, tree: Tree, django_capture_on_commit_callbacks: Any) -> None:
    item = article(personas.secretary_a, tree.village_a)
    client = Client()
    assert comment_by_phone(client, item, body="希望多装路灯") == 302
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.PENDING and comment.phone_masked.startswith("139") and PHONE not in comment.phone_encrypted
    page = client.get(reverse("portal:article", args=[item.pk])).content.decode()
    assert "希望多装路灯" not in page
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_moderate(actor=personas.secretary_a, comment=comment, approve=True)
    services.comment_reply(actor=personas.secretary_a, comment=comment, body="已安排安装")
    page = client.get(reverse("portal:article", args=[item.pk])).content.decode()
    assert "希望多装路灯" in page and "已安排安装" in page and PHONE not in page
    assert "已通过审核" in ConsoleGateway.outbox[-1].message and ConsoleGateway.outbox[-1].phone == PHONE


def test_a_rejection_needs_a_reason_and_tells_the_author(personas: Personas, tree: Tree, django_capture_on_commit_callbacks: Any) -> None:
    item = article(personas.secretary_a, tree.village_a)
    comment_by_phone(Client(), item, body="广告内容")
    comment = Comment.objects.get()
    with pytest.raises(ValidationError):
        services.comment_moderate(actor=personas.secretary_a, comment=comment, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_moderate(actor=personas.secretary_a, comment=comment, approve=False, reason="含广告")
    assert "未通过审核" in ConsoleGateway.outbox[-1].message and "含广告" in ConsoleGateway.outbox[-1].message
    assert "广告内容" not in Client().get(reverse("portal:article", args=[item.pk])).content.decode()
    with pytest.raises(ValidationError):  # decided once
        services.comment_moderate(actor=personas.secretary_a, comment=comment, approve=True)
    with pytest.raises(ValidationError):  # no replies under a rejected comment
        services.comment_reply(actor=personas.secretary_a, comment=comment, body="x")
    assert Event.objects.filter(action="portal.comment_moderate").count() == 1


def test_other_village_staff_cannot_moderate(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a)
    comment_by_phone(Client(), item)
    comment = Comment.objects.get()
    client = staff(personas.secretary_b)
    assert client.post(reverse("portal_staff:comment_moderate", args=[comment.pk]), {"decision": "approve"}).status_code == 404
    assert client.post(reverse("portal_staff:comment_reply", args=[comment.pk]), {"body": "x"}).status_code == 404
    assert "广场很好" not in client.get(reverse("portal_staff:comments")).content.decode()
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PENDING and not CommentReply.objects.exists()
    with pytest.raises(PermissionDenied):
        services.comment_moderate(actor=personas.secretary_b, comment=comment, approve=True)


def test_staff_moderate_and_reply_through_the_pages(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a)
    comment_by_phone(Client(), item)
    comment = Comment.objects.get()
    client = staff(personas.town_staff)
    assert "广场很好" in client.get(reverse("portal_staff:comments")).content.decode()
    client.post(reverse("portal_staff:comment_moderate", args=[comment.pk]), {"decision": "approve"})
    client.post(reverse("portal_staff:comment_reply", args=[comment.pk]), {"body": "谢谢支持"})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.APPROVED and comment.replies.get().body == "谢谢支持"


def test_comments_are_throttled_per_phone(personas: Personas, tree: Tree) -> None:
    for _ in range(services.PHONE_POSTS_PER_HOUR):
        services._phone_flood(PHONE, services.COMMENT_PURPOSE)
    with pytest.raises(ValidationError):
        services.send_code(phone=PHONE, purpose=services.COMMENT_PURPOSE)
    assert ConsoleGateway.last_code(PHONE) is None


def test_comment_posts_are_throttled_per_address(personas: Personas, tree: Tree) -> None:
    from jiceng.portal.views_public import FORM_POSTS_PER_MINUTE

    item = article(personas.secretary_a, tree.village_a)
    client = Client()
    url = reverse("portal:article", args=[item.pk])
    for _ in range(FORM_POSTS_PER_MINUTE):
        client.post(url, {"action": "comment"})
    assert client.post(url, {"action": "comment"}).status_code == 429


def test_no_comment_on_a_hidden_article(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a, status=ArticleStatus.DRAFT)
    assert Client().post(reverse("portal:article", args=[item.pk]), {"action": "send_code", "phone": PHONE}).status_code == 404
    assert ConsoleGateway.last_code(PHONE) is None
    with pytest.raises(ValidationError):
        services.comment_submit(article=item, phone=PHONE, code="000000", body="x")


# ---- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [1, 6])
def test_public_news_pages_have_pinned_query_counts(personas: Personas, tree: Tree, extra: int, django_assert_num_queries: Any) -> None:
    for n in range(extra):
        item = article(personas.secretary_a, tree.village_a, title=f"新闻{n}")
        comment_by_phone(Client(REMOTE_ADDR=f"10.0.1.{n}"), item, phone=f"1390013{n:04d}")
        comment = Comment.objects.get(article=item)
        services.comment_moderate(actor=personas.secretary_a, comment=comment, approve=True)
        services.comment_reply(actor=personas.secretary_a, comment=comment, body="回复")
    client = Client()
    # the organization, the count of live news, the page of them
    with django_assert_num_queries(3):
        client.get(reverse("portal:news_list", args=[tree.village_a.code]))
    with django_assert_num_queries(3):
        client.get(reverse("portal:village", args=[tree.town.code]))
    # the village, its town, its latest news, its longest notice period (none), a page and a count of past notices
    with django_assert_num_queries(6):
        client.get(reverse("portal:village", args=[tree.village_a.code]))


def test_staff_pages_open_for_village_staff(personas: Personas, tree: Tree) -> None:
    item = article(personas.secretary_a, tree.village_a, title="甲村的稿子", status=ArticleStatus.DRAFT)
    article(personas.secretary_b, tree.village_b, title="乙村的稿子", status=ArticleStatus.DRAFT)
    client = staff(personas.secretary_a)
    index = client.get(reverse("portal_staff:index")).content.decode()
    assert "甲村的稿子" in index and "乙村的稿子" not in index
    for name in ("article_new", "comments", "disclosures", "consultations"):
        assert client.get(reverse(f"portal_staff:{name}")).status_code == 200
    form = client.get(reverse("portal_staff:article_edit", args=[item.pk])).content.decode()
    assert "甲村" in form and "乙村" not in form
    assert 'href="/portal-admin/"' in form  # the "门户管理" navigation entry
