"""The public portal shell: places by town, and each village's current and past notices."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conftest import Personas, Tree
from jiceng.decisions import services
from jiceng.decisions.models import NoticeKind
from jiceng.decisions.tests.test_notices import published_notice
from jiceng.orgs.models import Organization, OrgKind

TODAY = timezone.localdate()


def _get(url: str) -> tuple[int, str]:
    response = Client().get(url)
    return response.status_code, response.content.decode()


def test_home_lists_towns_with_their_villages_and_communities(tree: Tree) -> None:
    status, body = _get(reverse("portal:home"))
    assert status == 200
    assert body.index("甲镇") < body.index("甲村") < body.index("乙村") < body.index("丙街道") < body.index("丙社区")
    assert "党支部" not in body and "测试区" not in body
    assert reverse("portal:village", args=[tree.village_a.code]) in body


def test_home_leaves_out_inactive_places(tree: Tree) -> None:
    Organization.objects.filter(pk=tree.village_b.pk).update(is_active=False)
    assert "乙村" not in _get(reverse("portal:home"))[1]


def test_the_portal_needs_no_login_and_shows_no_staff_navigation(tree: Tree) -> None:
    _, body = _get(reverse("portal:home"))
    assert "/static/vendor/pico/pico.min.css" in body
    assert "工作台" not in body and 'href="/audit/' not in body and "退出" not in body


def test_a_village_page_lists_current_and_past_notices(personas: Personas, tree: Tree) -> None:
    current = published_notice(personas.secretary_a, tree.village_a, title="正在公示的决议", published_on=TODAY - timedelta(days=1))
    past = published_notice(personas.secretary_a, tree.village_a, title="往期的决议", published_on=TODAY - timedelta(days=40))
    result = published_notice(
        personas.secretary_a, tree.village_a, kind=NoticeKind.RESULT, title="往期的结果", published_on=TODAY - timedelta(days=9)
    )
    future = published_notice(personas.secretary_a, tree.village_a, title="尚未张贴的决议", published_on=TODAY + timedelta(days=3))
    other = published_notice(personas.secretary_b, tree.village_b, title="乙村的决议")
    services.decision_create(actor=personas.secretary_a, village=tree.village_a, title="甲村的草稿事项")
    status, body = _get(reverse("portal:village", args=[tree.village_a.code]))
    assert status == 200
    now, before = body.split("往期公告", 1)
    assert "正在公示的决议" in now and "往期的决议" not in now
    assert "往期的决议" in before and "往期的结果" in before and "实施结果公开" in before
    for notice in (current, past, result):
        assert reverse("portal:verify", args=[notice.code]) in body
    assert "乙村的决议" not in body and other.code not in body
    assert "草稿事项" not in body and "尚未张贴" not in body and future.code not in body
    assert "secretary_a" not in body


def test_a_village_without_notices_says_so(tree: Tree) -> None:
    _, body = _get(reverse("portal:village", args=[tree.community_c.code]))
    assert "目前没有正在公示的公告" in body and "暂无往期公告" in body and "丙街道" in body


def test_party_branches_have_no_portal_page(tree: Tree) -> None:
    status, body = _get(reverse("portal:village", args=[tree.branch_a.code]))
    assert status == 404 and "页面不存在" in body


@pytest.mark.parametrize("which", ["district", "town", "other_town"])
def test_districts_and_towns_have_a_home_with_their_places(tree: Tree, which: str) -> None:
    org = getattr(tree, which)
    status, body = _get(reverse("portal:village", args=[org.code]))
    assert status == 200 and org.name in body and "党支部" not in body
    assert reverse("portal:consult", args=[org.code]) in body and reverse("portal:news_list", args=[org.code]) in body


def test_an_unknown_code_is_not_found(tree: Tree) -> None:
    assert _get(reverse("portal:village", args=["999999"]))[0] == 404


def test_home_query_count_does_not_grow(tree: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        _get(reverse("portal:home"))
    for i in range(5):
        Organization.objects.add_child(
            Organization.objects.get(pk=tree.town.pk),
            create_kwargs={"name": f"新村{i}", "code": f"44079910030{i}", "kind": OrgKind.VILLAGE},
        )
    with django_assert_num_queries(1):
        assert "新村4" in _get(reverse("portal:home"))[1]


def test_village_page_query_count_does_not_grow(personas: Personas, tree: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    url = reverse("portal:village", args=[tree.village_a.code])
    published_notice(personas.secretary_a, tree.village_a)
    published_notice(personas.secretary_a, tree.village_a, title="往期决议", published_on=TODAY - timedelta(days=60))
    # the village, its town, its latest news, the longest notice period, the notices within it,
    # the count of past notices and their page
    with django_assert_num_queries(7):
        _get(url)
    for i in range(4):
        published_notice(personas.secretary_a, tree.village_a, title=f"决议{i}", published_on=TODAY - timedelta(days=10 * i))
    with django_assert_num_queries(7):
        assert "决议3" in _get(url)[1]


def test_a_village_home_links_news_disclosures_needs_verification_and_consultation(tree: Tree) -> None:
    _, body = _get(reverse("portal:village", args=[tree.village_a.code]))
    for url in (
        reverse("portal:news_list", args=[tree.village_a.code]),
        reverse("portal:disclosures", args=[tree.village_a.code]),
        reverse("needs_public:board", args=[tree.village_a.code]),
        reverse("portal:verify_form"),
        reverse("portal:consult", args=[tree.village_a.code]),
    ):
        assert f'href="{url}"' in body
