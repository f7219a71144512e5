"""The public verification page: no login, a clear verdict, the same friendly page for unknown codes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conftest import Personas, Tree
from jiceng.decisions.models import Notice
from jiceng.decisions.tests.test_notices import published_notice, tamper
from jiceng.portal.views import LOOKUPS_PER_MINUTE

TODAY = timezone.localdate()


@pytest.fixture
def notice(personas: Personas, tree: Tree) -> Notice:
    return published_notice(personas.secretary_a, tree.village_a, published_on=TODAY - timedelta(days=2))


def _verify(code: str, **query: str) -> tuple[int, str]:
    response = Client().get(reverse("portal:verify", args=[code]), query)
    return response.status_code, response.content.decode()


def test_a_genuine_notice_is_shown_as_consistent(notice: Notice) -> None:
    status, body = _verify(notice.code, h=notice.content_hash[:12])
    assert status == 200 and "公告与登记一致" in body and "不一致" not in body
    for shown in ("甲镇", "甲村", "决议公开", "东片农田发包决议公告", "发包底价每亩每年800元。", notice.content_hash[16:], "公示中"):
        assert shown in body, shown
    assert "甲村村民委员会" in body


def test_it_shows_no_personal_data(notice: Notice) -> None:
    _, body = _verify(notice.code)
    assert "secretary_a" not in body and "退出" not in body and "工作台" not in body


def test_a_notice_whose_period_ended_says_so(personas: Personas, tree: Tree) -> None:
    old = published_notice(personas.secretary_a, tree.village_a, published_on=TODAY - timedelta(days=30))
    _, body = _verify(old.code)
    assert "公示期已满" in body and "公告与登记一致" in body


def test_a_notice_altered_in_the_database_is_flagged(notice: Notice) -> None:
    tamper("UPDATE decisions_notice SET body = %s WHERE id = %s", ["发包底价每亩每年500元。", notice.pk])
    status, body = _verify(notice.code, h=notice.content_hash[:12])
    assert status == 200 and "公告内容与登记不一致，可能被篡改" in body and "公告与登记一致" not in body
    assert "每年500元" in body  # what is recorded now is shown, next to the verdict on it


def test_a_printed_hash_that_does_not_match_is_flagged(notice: Notice) -> None:
    wrong = "0" * 12 if not notice.content_hash.startswith("0" * 12) else "f" * 12
    status, body = _verify(notice.code, h=wrong)
    assert status == 200 and "公告内容与登记不一致，可能被篡改" in body and "打印件二维码" in body


def test_an_unknown_code_gets_the_friendly_not_found_page(notice: Notice) -> None:
    status, body = _verify("ZZZZ9999")
    assert status == 404 and "未找到该核验码对应的公告" in body and "ZZZZ9999" in body
    assert 'name="code"' in body  # the resident can type again
    status, body = _verify("<script>alert(1)<")
    assert status == 404 and "<script>alert" not in body


def test_codes_are_found_whatever_the_case_and_separators(notice: Notice) -> None:
    typed = f"{notice.code[:4].lower()}-{notice.code[4:].lower()}"
    status, body = _verify(typed)
    assert status == 200 and "公告与登记一致" in body


def test_the_form_sends_the_typed_code_to_its_page(notice: Notice) -> None:
    client = Client()
    assert client.get(reverse("portal:verify_form")).status_code == 200
    response = client.get(reverse("portal:verify_form"), {"code": f" {notice.code[:4].lower()} {notice.code[4:]} "})
    assert response.status_code == 302 and response["Location"] == reverse("portal:verify", args=[notice.code])
    empty = client.get(reverse("portal:verify_form"), {"code": " - "})
    assert empty.status_code == 200 and "请输入公告上的核验码" in empty.content.decode()


def test_lookups_are_throttled_per_address(notice: Notice) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(LOOKUPS_PER_MINUTE):
        code = notice.code if i % 2 else f"ZZZZ{i:04}"
        assert client.get(reverse("portal:verify", args=[code])).status_code in (200, 404)
    refused = client.get(reverse("portal:verify", args=[notice.code]))
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "查询过于频繁，请一分钟后再试" in refused.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.8").get(reverse("portal:verify", args=[notice.code])).status_code == 200
    # typing into the form is not a lookup; following it is
    assert client.get(reverse("portal:verify_form")).status_code == 200


def test_the_verify_page_query_count_is_fixed(notice: Notice, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    # the notice with its decision and village, the town, the publish events, the next link of the chain
    with django_assert_num_queries(4):
        assert _verify(notice.code)[0] == 200
