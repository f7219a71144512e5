"""Staff and member pages of 双报到, the API, the statistics, and the access matrix of these actions."""

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.accounts.access import can
from jiceng.accounts.models import Role
from jiceng.conftest import make_user
from jiceng.needs import access, microprojects, points, reporting, stats_service
from jiceng.needs.models_service import ServiceReport
from jiceng.needs.tests.service_fixtures import WANG_ID, Svc, _member, svc_fixture  # noqa: F401

SERVICE_ACTIONS = ("report.record", "report.view", "points.view", "project.manage", "project.view", "feedback.view")


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action", SERVICE_ACTIONS)
def test_the_matrix_in_the_own_community_only(svc: Svc, role: str, action: str) -> None:
    user = make_user(f"u_{role}", role, svc.community_jia)
    assert can(user, access.roles(action), svc.community_jia) is (role in access.roles(action))
    assert can(user, access.roles(action), svc.community_c) is False


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_community_sees_its_reporters_only(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=timezone.localdate())
    other = reporting.report_record(actor=svc.staff_c, member=svc.zhao, community=svc.community_c, reported_on=date(2025, 1, 2))
    page = _client(svc.staff_jia).get("/needs/reports/").content.decode()
    assert "王五" in page and "赵六" not in page
    assert _client(svc.staff_jia).get(f"/needs/reports/{other.pk}/").status_code == 404
    lapsed = _client(svc.staff_c).get("/needs/reports/", {"state": "lapsed"}).content.decode()
    assert "赵六" in lapsed


def test_members_and_outsiders_get_403_on_staff_pages(svc: Svc) -> None:
    for url in ("/needs/reports/", "/needs/reports/new/", "/needs/reports/stats/", "/needs/reports/units/"):
        assert _client(svc.wang_user).get(url).status_code == 403, url
        assert _client(svc.personas.outsider).get(url).status_code == 403, url
    # town staff may view but not record
    assert _client(svc.personas.town_staff).get("/needs/reports/new/").status_code == 403


def test_staff_record_a_report_by_id_number(svc: Svc) -> None:
    response = _client(svc.staff_jia).post(
        "/needs/reports/new/", {"community": svc.community_jia.pk, "id_number": WANG_ID, "reported_on": "2026-05-01"}
    )
    report = ServiceReport.objects.get(member=svc.wang)
    assert response.status_code == 302 and report.reported_on == date(2026, 5, 1)
    # into another community: 404, nothing written
    assert _client(svc.staff_jia).post("/needs/reports/new/", {"community": svc.community_c.pk, "id_number": WANG_ID}).status_code == 404
    assert ServiceReport.objects.count() == 1


def test_the_member_reports_online_and_sees_the_expiry(svc: Svc) -> None:
    client = _client(svc.wang_user)
    response = client.post("/needs/me/report/", {"community": svc.community_c.pk}, follow=True)
    page = response.content.decode()
    report = ServiceReport.objects.get(member=svc.wang)
    assert "丙社区" in page and f"{report.expires_on:%Y年}" in page and "有效" in page


def test_the_list_query_count_does_not_grow(svc: Svc, django_assert_num_queries: Any) -> None:
    reporting.report_record(actor=svc.staff_c, member=svc.zhao, community=svc.community_c, reported_on=date(2026, 5, 1))
    client = _client(svc.staff_c)
    client.get("/needs/reports/")
    with django_assert_num_queries(6) as small:
        client.get("/needs/reports/")
    for i in range(5):
        m = _member(svc.organ, svc.organ_branch, f"党员{i}", svc.community_c, svc.organ)
        reporting.report_record(actor=svc.staff_c, member=m, community=svc.community_c, reported_on=date(2026, 5, 1))
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/needs/reports/")


def test_statistics_share_of_reporters_who_served_and_projects_done(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 10))
    reporting.report_record(actor=svc.staff_c, member=svc.zhao, community=svc.community_c, reported_on=date(2026, 2, 10))
    points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=2, on=date(2026, 3, 3))
    points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=1, on=date(2025, 3, 3))  # another year
    from jiceng.needs.tests.test_projects import _on_notice

    project = microprojects.project_start(actor=svc.staff_jia, project=_on_notice(svc), started_on=date(2026, 3, 20))
    microprojects.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 3, 1), percent=100, text="完成")
    microprojects.project_evaluate(actor=svc.staff_jia, project=project, evaluated_on=date(2026, 4, 1), score=90, text="好")
    report = stats_service.report(svc.personas.district_admin, 2026)
    district = report.districts[0].figures
    assert (district.reporting, district.served, district.served_share, district.projects_done) == (2, 1, 50, 1)
    assert {r.org.name: r.figures.served for r in report.communities} == {"甲社区": 1, "丙社区": 0}
    assert [r.org.name for r in report.towns] == ["甲镇", "丙街道"]
    mine = stats_service.report(svc.staff_c, 2026)
    assert [r.org.name for r in mine.communities] == ["丙社区"] and mine.towns == [] and mine.districts == []
    assert stats_service.report(svc.personas.district_admin, 2024).districts == []
    body = _client(svc.personas.district_admin).get("/api/v1/service-stats", {"year": 2026}).json()
    assert body[0] == {
        "org": svc.tree.district.pk,
        "name": "测试区",
        "level": "district",
        "reporting": 2,
        "served": 1,
        "served_share": "50.0",
        "projects_done": 1,
        "projects_running": 0,
    }


def test_the_api_lists_reports_in_scope_and_lets_the_member_report(svc: Svc) -> None:
    member_api = _client(svc.wang_user)
    created = member_api.post("/api/v1/service-reports/me", {"community": svc.community_jia.pk}, content_type="application/json")
    assert created.status_code == 201 and created.json()["state"] == "active"
    assert member_api.get("/api/v1/service-reports/me").json()["community_name"] == "甲社区"
    assert _client(svc.staff_c).get("/api/v1/service-reports").json()["count"] == 0
    assert _client(svc.staff_jia).get("/api/v1/service-reports").json()["items"][0]["member_name"] == "王五"
    refused = _client(svc.staff_c).post(
        "/api/v1/service-reports",
        {"community": svc.community_jia.pk, "id_number": WANG_ID, "reported_on": "2026-05-01"},
        content_type="application/json",
    )
    assert refused.status_code == 404
