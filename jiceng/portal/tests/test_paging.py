"""Paging of every public list: plain links that work without JavaScript, and query counts that
stay the same with more items than a page."""

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiceng.conftest import Personas, Tree
from jiceng.decisions.tests.test_notices import published_notice
from jiceng.portal import views, views_public, views_staff
from jiceng.portal.models import Article, ArticleStatus, Consultation, Disclosure
from jiceng.portal.models import DisclosureCategory as C
from jiceng.portal.models import DisclosureDomain as D

TODAY = timezone.localdate()


def _body(url: str, **params: str) -> str:
    response = Client().get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _articles(personas: Personas, tree: Tree, n: int) -> None:
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            organization=tree.village_a,
            title=f"第{i:02d}条新闻",
            body="<p>正文</p>",
            status=ArticleStatus.PUBLISHED,
            publish_at=now - timedelta(hours=i + 1),
            created_by=personas.secretary_a,
        )
        for i in range(n)
    )


def test_the_news_list_pages_with_links(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    _articles(personas, tree, views_public.PAGE * 2 + 3)
    url = reverse("portal:news_list", args=[tree.village_a.code])
    with django_assert_num_queries(3):
        first = _body(url)
    assert "第00条新闻" in first and f"第{views_public.PAGE - 1:02d}条新闻" in first and f"第{views_public.PAGE:02d}条新闻" not in first
    assert 'href="?page=2"' in first and "第 1 / 3 页" in first and 'rel="prev"' not in first
    with django_assert_num_queries(3):
        last = _body(url, page="3")
    assert f"第{views_public.PAGE * 2 + 2:02d}条新闻" in last and "第00条新闻" not in last
    assert f'href="{url}" rel="prev"' not in last and 'href="?page=2" rel="prev"' in last and 'rel="next"' not in last
    # A number out of range or not a number gives the nearest page instead of an error.
    assert "第 3 / 3 页" in _body(url, page="99") and "第 1 / 3 页" in _body(url, page="x")


def test_a_short_list_has_no_pager(personas: Personas, tree: Tree) -> None:
    _articles(personas, tree, 2)
    assert "分页" not in _body(reverse("portal:news_list", args=[tree.village_a.code]))


def test_disclosures_page_and_keep_the_chosen_domain(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    Disclosure.objects.bulk_create(
        Disclosure(
            village=tree.village_a,
            domain=D.PARTY,
            category=C.GENERAL,
            title=f"党务事项{i:02d}",
            body="内容",
            period_start=TODAY - timedelta(days=i + 1),
            period_end=TODAY - timedelta(days=i + 1),
            published_on=TODAY - timedelta(days=i),
            created_by=personas.secretary_a,
        )
        for i in range(views_public.PAGE + 5)
    )
    url = reverse("portal:disclosures", args=[tree.village_a.code])
    with django_assert_num_queries(3):
        first = _body(url, domain=D.PARTY)
    assert "党务事项00" in first and f"党务事项{views_public.PAGE:02d}" not in first
    assert 'href="?domain=party&amp;page=2"' in first
    second = _body(url, domain=D.PARTY, page="2")
    assert f"党务事项{views_public.PAGE:02d}" in second and "党务事项00" not in second
    assert 'href="?domain=party" rel="prev"' in second


def test_published_answers_page(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    now = timezone.now()
    Consultation.objects.bulk_create(
        Consultation(
            organization=tree.village_a,
            question=f"问题{i:02d}",
            phone_encrypted="x",
            phone_hash=f"h{i}",
            phone_masked="139****0000",
            answer=f"答复{i:02d}",
            answered_by=personas.secretary_a,
            answered_at=now - timedelta(hours=i),
            is_public=True,
        )
        for i in range(views_public.ANSWERS_PAGE + 1)
    )
    url = reverse("portal:consult", args=[tree.village_a.code])
    with django_assert_num_queries(3):
        first = _body(url)
    assert "答复00" in first and f"答复{views_public.ANSWERS_PAGE:02d}" not in first and 'href="?page=2"' in first
    assert f"答复{views_public.ANSWERS_PAGE:02d}" in _body(url, page="2")


def test_past_notices_page_on_the_village_home(personas: Personas, tree: Tree, django_assert_num_queries: Any) -> None:
    published_notice(personas.secretary_a, tree.village_a, title="正在公示的决议", published_on=TODAY)
    for i in range(views.PAST_NOTICES_PAGE + 1):
        published_notice(personas.secretary_a, tree.village_a, title=f"往期决议{i:02d}", published_on=TODAY - timedelta(days=30 + i))
    url = reverse("portal:village", args=[tree.village_a.code])
    with django_assert_num_queries(7):
        first = _body(url)
    assert "正在公示的决议" in first and "往期决议00" in first and f"往期决议{views.PAST_NOTICES_PAGE:02d}" not in first
    assert 'href="?past=2#past"' in first
    with django_assert_num_queries(7):
        second = _body(url, past="2")
    assert f"往期决议{views.PAST_NOTICES_PAGE:02d}" in second and "往期决议00" not in second
    # The current notices stay on every page of the past ones.
    assert "正在公示的决议" in second


# ---- staff lists --------------------------------------------------------------------------------


def _consultations(tree: Tree, village: Any, n: int, prefix: str) -> None:
    Consultation.objects.bulk_create(
        Consultation(
            organization=village, question=f"{prefix}{i:02d}", phone_encrypted="x", phone_hash=f"{prefix}{i}", phone_masked="139****0000"
        )
        for i in range(n)
    )


def _staff_queries(client: Client, url: str, params: dict[str, str] | None = None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_staff_lists_page_within_scope_at_a_constant_query_count(personas: Personas, tree: Tree) -> None:
    client = Client()
    client.force_login(personas.secretary_a)
    url = reverse("portal_staff:consultations")
    _consultations(tree, tree.village_a, 2, "甲问")
    _consultations(tree, tree.village_b, 3, "乙问")
    few, body = _staff_queries(client, url)
    assert "甲问01" in body and "乙问" not in body and "共 2 条" in body
    _consultations(tree, tree.village_a, views_staff.STAFF_PAGE + 3, "甲多")
    many, body = _staff_queries(client, url)
    assert many == few
    assert "乙问" not in body and f"第 1 / 2 页，共 {views_staff.STAFF_PAGE + 5} 条" in body and "page=2" in body
    _, second = _staff_queries(client, url, {"page": "2"})
    assert "乙问" not in second and second.count("<article>") == 5


def test_staff_news_and_disclosure_lists_page(personas: Personas, tree: Tree) -> None:
    client = Client()
    client.force_login(personas.secretary_a)
    _articles(personas, tree, views_staff.STAFF_PAGE + 1)
    _, first = _staff_queries(client, reverse("portal_staff:index"))
    assert "第00条新闻" in first and f"第{views_staff.STAFF_PAGE:02d}条新闻" not in first and "page=2" in first
    _, second = _staff_queries(client, reverse("portal_staff:index"), {"page": "2"})
    assert f"第{views_staff.STAFF_PAGE:02d}条新闻" in second and "第00条新闻" not in second
    _, disclosures = _staff_queries(client, reverse("portal_staff:disclosures"), {"page": "x"})
    assert "暂无。" in disclosures
