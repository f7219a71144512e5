"""The pages: public form, board and tracking; staff queue and actions; member claims."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.needs import services
from jiceng.needs.models import Claim, Need, NeedStatus
from jiceng.needs.tests import needs_fixtures
from jiceng.needs.tests.needs_fixtures import RESIDENT_PHONE, World, code_for, listed, png_bytes, submit

world = needs_fixtures.world
pytestmark = pytest.mark.django_db
S = NeedStatus


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def _form(world: World, **extra: Any) -> dict[str, Any]:
    data = {
        "requester_name": "陈阿婆",
        "phone": RESIDENT_PHONE,
        "kind": "service",
        "category": "elder",
        "title": "帮老人修水管",
        "description": "厨房水管漏水",
        "address": "甲村东华里3号",
        "consent": "on",
        "action": "submit",
    }
    data.update(extra)
    return data


def _new_url(world: World) -> str:
    return reverse("needs_public:new", args=[world.tree.village_a.code])


# ---- public ------------------------------------------------------------------------------------


def test_a_resident_files_a_need_through_the_form(client: Client, world: World) -> None:
    assert client.get(_new_url(world)).status_code == 200
    response = client.post(_new_url(world), {"phone": RESIDENT_PHONE, "action": "send_code"})
    assert "验证码已发送" in response.content.decode()
    response = client.post(_new_url(world), _form(world, code=code_for(RESIDENT_PHONE), photos=[SimpleUploadedFile("a.png", png_bytes())]))
    need = Need.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("needs_public:track", args=[need.tracking_code])
    page = client.get(response["Location"]).content.decode()
    assert "提交成功" in page and need.tracking_code in page and "陈阿婆" not in page and need.phone_masked in page
    assert need.photos.count() == 1


def test_the_form_refuses_a_missing_consent_and_a_wrong_code(client: Client, world: World) -> None:
    client.post(_new_url(world), {"phone": RESIDENT_PHONE, "action": "send_code"})
    data = _form(world, code=code_for(RESIDENT_PHONE))
    del data["consent"]
    assert "个人信息处理告知" in client.post(_new_url(world), data).content.decode()
    assert "验证码不正确" in client.post(_new_url(world), _form(world, code="99999x")).content.decode()
    assert not Need.objects.exists()


def test_the_form_refuses_a_non_image_photo(client: Client, world: World) -> None:
    client.post(_new_url(world), {"phone": RESIDENT_PHONE, "action": "send_code"})
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 an executable")
    response = client.post(_new_url(world), _form(world, code=code_for(RESIDENT_PHONE), photos=[fake]))
    assert "不是图片" in response.content.decode() and not Need.objects.exists()


def test_the_same_phone_flooding_the_form_is_refused(client: Client, world: World) -> None:
    for _ in range(services.per_phone_hour()):
        submit(world.tree.village_a)
    response = client.post(_new_url(world), {"phone": RESIDENT_PHONE, "action": "send_code"})
    assert "每小时最多" in response.content.decode()
    assert Need.objects.count() == services.per_phone_hour()


def test_one_address_is_throttled(client: Client, world: World) -> None:
    from jiceng.needs.views_public import FORM_POSTS_PER_MINUTE

    codes = [
        client.post(_new_url(world), {"phone": f"1380000{i:04d}", "action": "send_code"}).status_code
        for i in range(FORM_POSTS_PER_MINUTE + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}


def test_an_unknown_community_and_a_wrong_tracking_code_are_404(client: Client, world: World) -> None:
    submit(world.tree.village_a)
    assert client.get(reverse("needs_public:board", args=["999999"])).status_code == 404
    assert client.get(reverse("needs_public:new", args=[world.tree.town.code])).status_code == 404
    response = client.get(reverse("needs_public:track", args=["ZZZZZZZZZZ"]))
    assert response.status_code == 404 and "未找到" in response.content.decode()


def test_the_board_shows_listed_needs_without_personal_data(client: Client, world: World, django_assert_num_queries: Any) -> None:
    for i in range(4):
        listed(world, capacity=2, phone=f"1390000{i:04d}", kind="wish_goods" if i % 2 else "service")
    submit(world.tree.village_a, phone="13900000099", title="未审核的需求")
    url = reverse("needs_public:board", args=[world.tree.village_a.code])
    with django_assert_num_queries(2):  # the community, the listed needs with their places
        page = client.get(url).content.decode()
    assert page.count('class="need-card"') == 4 and "未审核的需求" not in page
    assert "陈阿婆" not in page and "东华里" not in page and "1390000" not in page


def test_the_tracking_page_confirms_with_a_code_to_the_residents_phone(client: Client, world: World) -> None:
    need = listed(world)
    claim = services.need_claim(actor=world.member1, need=need)
    from decimal import Decimal

    services.claim_fulfil(actor=world.member1, claim=claim, fulfilled_on=timezone.localdate(), hours=Decimal("1"), note="好了")
    url = reverse("needs_public:track", args=[need.tracking_code])
    assert "发送验证码到" in client.get(url).content.decode()
    client.post(url, {"action": "send_code"})
    bad = client.post(url, {"action": "confirm", "c-rating": "5", "c-code": "abcdef"})
    assert "验证码不正确" in bad.content.decode()
    response = client.post(url, {"action": "confirm", "c-rating": "4", "c-code": code_for(RESIDENT_PHONE), "c-comment": "好"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == S.CONFIRMED and need.rating == 4


# ---- staff -------------------------------------------------------------------------------------


def test_the_queue_is_scoped_and_its_queries_pinned(client: Client, world: World, django_assert_num_queries: Any) -> None:
    for i in range(5):
        submit(world.tree.village_a, phone=f"1390000{i:04d}")
    submit(world.tree.village_b, phone="13900000088", title="乙村的需求")
    _login(client, "secretary_a")
    client.get(reverse("needs:queue"))  # warm the session
    with django_assert_num_queries(7):  # session, user, grants, the area's villages (its options), villages in scope, page, capped count
        page = client.get(reverse("needs:queue")).content.decode()
    assert page.count("帮老人修水管") == 5 and "乙村的需求" not in page
    for i in range(30):
        submit(world.tree.village_a, phone=f"1391000{i:04d}")
    with django_assert_num_queries(7):
        page = client.get(reverse("needs:queue"), {"page": 2}).content.decode()
    assert page.count("帮老人修水管") == 5 and "第 2 / 2 页，共 35 条" in page


def test_another_communitys_staff_gets_404(client: Client, world: World) -> None:
    need = submit(world.tree.village_a)
    _login(client, "staff_c")
    assert client.get(reverse("needs:detail", args=[need.pk])).status_code == 404
    assert client.post(reverse("needs:reject", args=[need.pk]), {"reason": "x"}).status_code == 404
    need.refresh_from_db()
    assert need.status == S.SUBMITTED


def test_a_grid_worker_sees_but_cannot_vet(client: Client, world: World) -> None:
    need = submit(world.tree.village_a)
    _login(client, "grid_a")
    assert client.get(reverse("needs:detail", args=[need.pk])).status_code == 200
    assert client.post(reverse("needs:reject", args=[need.pk]), {"reason": "x"}).status_code == 403


def test_staff_list_a_need_and_reject_another(client: Client, world: World) -> None:
    need = submit(world.tree.village_a)
    other = submit(world.tree.village_a, phone="13900000001")
    _login(client, "secretary_a")
    deadline = (timezone.localdate() + timedelta(days=5)).isoformat()
    client.post(reverse("needs:list", args=[need.pk]), {"capacity": 2, "claim_deadline": deadline, "points": 3, "public_title": "修水管"})
    client.post(reverse("needs:reject", args=[other.pk]), {"reason": "重复反映"})
    need.refresh_from_db()
    other.refresh_from_db()
    assert need.status == S.LISTED and need.capacity == 2 and need.public_title == "修水管"
    assert other.status == S.REJECTED
    tracking = client.get(reverse("needs_public:track", args=[other.tracking_code])).content.decode()
    assert "重复反映" in tracking


def test_a_grid_worker_files_for_a_resident(client: Client, world: World) -> None:
    _login(client, "grid_a")
    data = _form(world)
    del data["action"]
    response = client.post(reverse("needs:new") + f"?community={world.tree.village_a.pk}", data)
    need = Need.objects.get()
    assert response.status_code == 302 and need.channel == "grid_worker"


def test_the_stats_page(client: Client, world: World) -> None:
    listed(world)
    submit(world.tree.village_a, phone="13900000001")
    _login(client, "town_staff")
    page = client.get(reverse("needs:stats") + "?level=town").content.decode()
    assert "甲镇" in page


# ---- members -----------------------------------------------------------------------------------


def test_two_members_one_place_the_second_is_told(world: World) -> None:
    need = listed(world, capacity=1)
    first, second = _login(Client(), "member"), _login(Client(), "member2")
    url = reverse("needs:claim", args=[need.pk])
    r1 = first.post(url)
    assert r1.status_code == 302
    r2 = second.post(url, follow=True)
    assert "名额已满" in r2.content.decode() or "不能认领" in r2.content.decode()
    assert Claim.objects.filter(need=need).count() == 1


def test_my_page_lists_claims_and_claimable_needs(client: Client, world: World) -> None:
    mine = listed(world, capacity=2)
    services.need_claim(actor=world.member1, need=mine)
    listed(world, phone="13900000001", title="另一个需求")
    _login(client, "member")
    page = client.get(reverse("needs:my")).content.decode()
    assert "帮老人修水管" in page and "另一个需求" in page


def test_a_member_cannot_act_on_someone_elses_claim(client: Client, world: World) -> None:
    need = listed(world)
    claim = services.need_claim(actor=world.member1, need=need)
    _login(client, "member2")
    assert client.post(reverse("needs:claim_withdraw", args=[claim.pk])).status_code == 404
    assert (
        client.post(reverse("needs:claim_fulfil", args=[claim.pk]), {"fulfilled_on": "2026-01-01", "hours": "1", "note": "x"}).status_code
        == 404
    )
    claim.refresh_from_db()
    assert claim.status == "active"
