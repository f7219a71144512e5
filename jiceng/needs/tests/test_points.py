"""Points: credits by rule, idempotent per source, district overrides, exact totals and rankings,
the member's explained ledger, and scope of the staff ranking."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from jiceng.audit.models import Event
from jiceng.needs import points, reporting
from jiceng.needs.models_service import PointEntry, PointRule
from jiceng.needs.tests.service_fixtures import Svc, svc_fixture  # noqa: F401


def test_a_per_hour_rule_computes_from_the_hours_and_is_audited(svc: Svc) -> None:
    entry = points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=Decimal("2.5"), on=date(2026, 3, 1), note="清扫楼道")
    assert (entry.points, entry.hours, entry.year) == (Decimal("2.5"), Decimal("2.5"), 2026)
    event = Event.objects.get(action="points.credit")
    assert event.changes["rule"] == points.SERVICE_HOURS and event.actor_label == "system"


def test_explicit_points_win_over_the_rule(svc: Svc) -> None:
    entry = points.credit(member=svc.wang, rule_code=points.NEED_DONE, points=5)
    assert entry.points == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule_code": points.SERVICE_HOURS}, "请填写服务时长"),
        ({"rule_code": points.SERVICE_HOURS, "hours": -1}, "不能为负数"),
        ({"rule_code": points.NEED_DONE, "points": -3}, "不能为负数"),
        ({"rule_code": "no_such_rule"}, "不存在或已停用"),
    ],
)
def test_bad_credits_are_refused(svc: Svc, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        points.credit(member=svc.wang, **kwargs)
    assert not PointEntry.objects.exists()


def test_an_inactive_rule_credits_nothing(svc: Svc) -> None:
    PointRule.objects.filter(code=points.WISH_DONE).update(active=False)
    with pytest.raises(ValidationError):
        points.credit(member=svc.wang, rule_code=points.WISH_DONE)


def test_the_same_source_is_credited_once(svc: Svc) -> None:
    report = reporting.report_self(user=svc.wang_user, community=svc.community_jia)
    again = points.credit(member=svc.wang, rule_code=points.REPORT, source=report)
    assert PointEntry.objects.filter(member=svc.wang, rule__code=points.REPORT).count() == 1
    assert again.source_id == str(report.pk)


def test_a_district_rule_overrides_the_default_under_that_district_only(svc: Svc) -> None:
    default = PointRule.objects.get(code=points.WISH_DONE, district__isnull=True)
    PointRule.objects.create(code=points.WISH_DONE, district=svc.tree.district, name="完成微心愿", points=5, basis="本区规定")
    assert points.credit(member=svc.wang, rule_code=points.WISH_DONE).points == 5
    assert points.rule_for(points.WISH_DONE, svc.organ) != default


def _seed(svc: Svc) -> None:
    credit = points.credit
    credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=3, on=date(2025, 5, 1), community=svc.community_jia)
    credit(member=svc.wang, rule_code=points.WISH_DONE, on=date(2025, 6, 1), community=svc.community_jia)
    credit(member=svc.zhao, rule_code=points.SERVICE_HOURS, hours=6, on=date(2025, 7, 1), community=svc.community_c)
    credit(member=svc.zhao, rule_code=points.SERVICE_HOURS, hours=4, on=date(2026, 1, 2), community=svc.community_c)  # next year


def test_yearly_totals_and_branch_ranking_are_exact_with_shared_ranks(svc: Svc, django_assert_num_queries: Any) -> None:
    _seed(svc)
    with django_assert_num_queries(1):
        ranked = points.branch_ranking(svc.organ_branch, 2025)
    assert [(r.rank, r.name, r.total, r.hours, r.entries) for r in ranked] == [(1, "王五", 6, 3, 2), (1, "赵六", 6, 6, 1)]
    assert points.total(svc.zhao, 2026) == 4
    assert [(r.rank, r.name) for r in points.branch_ranking(svc.organ_branch, 2026)] == [(1, "赵六")]


def test_community_ranking_counts_only_service_in_that_community(svc: Svc) -> None:
    _seed(svc)
    assert [(r.name, r.total) for r in points.community_ranking(svc.community_c, 2025)] == [("赵六", 6)]
    assert [(r.name, r.total) for r in points.community_ranking(svc.community_jia, 2025)] == [("王五", 6)]


def test_the_ranking_query_count_does_not_grow_with_members(svc: Svc, django_assert_num_queries: Any) -> None:
    _seed(svc)
    for i in range(5):
        from jiceng.needs.tests.service_fixtures import _member

        m = _member(svc.organ, svc.organ_branch, f"党员{i}", svc.community_c, svc.organ)
        points.credit(member=m, rule_code=points.WISH_DONE, on=date(2025, 3, 3))
    with django_assert_num_queries(1):
        assert len(points.branch_ranking(svc.organ_branch, 2025)) == 7


def test_the_member_page_explains_each_point(svc: Svc) -> None:
    report = reporting.report_self(user=svc.wang_user, community=svc.community_jia)
    points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=2, note="清扫楼道", community=svc.community_jia)
    points.credit(member=svc.zhao, rule_code=points.WISH_DONE, note="别人的积分")
    client = Client()
    client.force_login(svc.wang_user)
    page = client.get("/needs/me/points/").content.decode()
    assert "服务时长" in page and "每小时 1 分" in page and "每核实服务 1 小时计 1 分" in page
    assert "按时报到" in page and f"/needs/reports/{report.pk}/" in page  # the source link
    assert "清扫楼道" in page and "别人的积分" not in page


def test_a_login_without_a_member_gets_403_on_member_pages(svc: Svc) -> None:
    client = Client()
    client.force_login(svc.staff_jia)
    assert client.get("/needs/me/points/").status_code == 403
    assert client.get("/needs/me/report/").status_code == 403


def test_staff_ranking_is_scoped(svc: Svc) -> None:
    _seed(svc)
    client = Client()
    client.force_login(svc.staff_c)
    assert client.get("/needs/points/", {"branch": svc.organ_branch.pk}).status_code == 404
    assert client.get("/needs/points/", {"community": svc.community_jia.pk}).status_code == 404
    page = client.get("/needs/points/", {"community": svc.community_c.pk, "year": 2025}).content.decode()
    assert "赵六" in page and "王五" not in page
    client.force_login(svc.wang_user)
    assert client.get("/needs/points/").status_code == 403


def test_the_api_gives_my_points_with_their_reasons(svc: Svc) -> None:
    points.credit(member=svc.wang, rule_code=points.WISH_DONE, on=date(2026, 2, 2), auto_confirmed=True)
    client = Client()
    client.force_login(svc.wang_user)
    body = client.get("/api/v1/points/me", {"year": 2026}).json()
    assert body["total"] == "3.0"
    assert body["entries"][0]["rule_name"] == "完成微心愿" and body["entries"][0]["auto_confirmed"] is True
    assert "湖北" in body["entries"][0]["rule_basis"]
