"""/api/v1 needs endpoints: the loop over JSON, scoped and refused like the pages."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.api.tests import conftest as api_fixtures
from jiceng.api.tests.conftest import Api
from jiceng.needs.models import Need, NeedStatus
from jiceng.needs.models_service import PointEntry
from jiceng.needs.tests import needs_fixtures
from jiceng.needs.tests.needs_fixtures import RESIDENT_PHONE, World, code_for, listed, submit

world = needs_fixtures.world
api_as = api_fixtures.api_as
anonymous = api_fixtures.anonymous
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_the_whole_loop_over_the_api(world: World, api_as: Callable[[User], Api], anonymous: Api) -> None:
    code = world.tree.village_a.code
    assert anonymous.post(f"/public/needs/{code}/code", {"phone": RESIDENT_PHONE}).status_code == 200
    body = {
        "requester_name": "陈阿婆",
        "phone": RESIDENT_PHONE,
        "code": code_for(RESIDENT_PHONE),
        "category": "elder",
        "title": "修水管",
        "description": "漏水",
        "address": "东华里3号",
        "consent": True,
    }
    created = anonymous.post(f"/public/needs/{code}", body)
    assert created.status_code == 201, created.content
    tracking = created.json()["tracking_code"]
    assert "陈阿婆" not in created.content.decode()
    need = Need.objects.get()

    staff = api_as(world.p.secretary_a)
    deadline = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert staff.post(f"/needs/{need.pk}/list", {"capacity": 1, "claim_deadline": deadline, "points": 4}).status_code == 200
    assert [n["id"] for n in anonymous.get(f"/public/needs/{code}/board").json()] == [need.pk]

    member = api_as(world.member1)
    claim = member.post(f"/needs/{need.pk}/claim", {})
    assert claim.status_code == 201
    full = api_as(world.member2).post(f"/needs/{need.pk}/claim", {})
    assert full.status_code == 400 and "名额已满" in full.json()["error"]["message"] + str(full.json()["error"]["fields"])
    done = member.post(
        f"/claims/{claim.json()['id']}/fulfil", {"fulfilled_on": timezone.localdate().isoformat(), "hours": "2", "note": "好了"}
    )
    assert done.status_code == 200 and done.json()["status"] == "fulfilled"

    assert anonymous.post(f"/public/needs/track/{tracking}/code", {}).status_code == 200
    wrong = anonymous.post(f"/public/needs/track/{tracking}/confirm", {"code": "abcdef", "rating": 5})
    assert wrong.status_code == 400
    ok = anonymous.post(f"/public/needs/track/{tracking}/confirm", {"code": code_for(RESIDENT_PHONE), "rating": 5})
    assert ok.status_code == 200 and ok.json()["status"] == NeedStatus.CONFIRMED
    assert PointEntry.objects.get().member == world.m1


def test_other_communitys_staff_get_404_and_lists_are_scoped(world: World, api_as: Callable[[User], Api]) -> None:
    need = submit(world.tree.village_a)
    other = api_as(world.staff_c)
    assert other.get(f"/needs/{need.pk}").status_code == 404
    assert other.post(f"/needs/{need.pk}/reject", {"reason": "x"}).status_code == 404
    assert other.get("/needs").json()["count"] == 0
    assert api_as(world.p.secretary_a).get("/needs").json()["count"] == 1


def test_a_member_cannot_vet_and_staff_cannot_claim(world: World, api_as: Callable[[User], Api]) -> None:
    need = listed(world)
    assert api_as(world.member1).post(f"/needs/{need.pk}/reject", {"reason": "x"}).status_code == 404
    assert api_as(world.p.secretary_a).post(f"/needs/{need.pk}/claim", {}).status_code == 403


def test_wrong_tracking_code_is_404(world: World, anonymous: Api) -> None:
    submit(world.tree.village_a)
    assert anonymous.get("/public/needs/track/ZZZZZZZZZZ").status_code == 404
    assert anonymous.post("/public/needs/track/ZZZZZZZZZZ/confirm", {"code": "123456", "rating": 5}).status_code == 404


def test_staff_endpoints_need_a_login(world: World, anonymous: Api) -> None:
    assert anonymous.get("/needs").status_code == 401
