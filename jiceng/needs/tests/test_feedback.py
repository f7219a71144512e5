"""The quarterly feedback sheet to the member's unit: exact figures, scope, audit, Excel, query count."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.test import Client
from openpyxl import load_workbook

from jiceng.audit.models import Event
from jiceng.needs import feedback, points, reporting
from jiceng.needs.tests.service_fixtures import Svc, _member, svc_fixture  # noqa: F401


def _seed(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 10))
    points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=2, on=date(2026, 2, 1))
    points.credit(member=svc.wang, rule_code=points.WISH_DONE, on=date(2026, 3, 31))
    points.credit(member=svc.wang, rule_code=points.SERVICE_HOURS, hours=5, on=date(2026, 4, 1))  # next quarter


def test_quarter_bounds() -> None:
    assert feedback.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert feedback.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))


def test_the_sheet_counts_the_quarter_exactly(svc: Svc) -> None:
    _seed(svc)
    rows = {r.member.person.name: r for r in feedback.rows(svc.organ, 2026, 1)}
    wang, zhao = rows["王五"], rows["赵六"]
    assert (wang.community, wang.services, wang.hours, wang.points) == ("甲社区", 2, Decimal("2"), Decimal("7"))  # 2 h + 3 wish + 2 report
    assert wang.report_state == "有效"
    assert (zhao.community, zhao.services, zhao.report_state) == ("", 0, "未报到")
    q3 = {r.member.person.name: r for r in feedback.rows(svc.organ, 2026, 3)}
    assert q3["王五"].report_state == "已过期" and q3["王五"].points == 0  # expired 07-10, before the quarter's end


def test_the_liaison_sees_the_sheet_and_the_view_is_audited(svc: Svc) -> None:
    _seed(svc)
    client = Client()
    client.force_login(svc.liaison)
    page = client.get("/needs/feedback/", {"unit": svc.organ.pk, "year": 2026, "quarter": 1}).content.decode()
    assert "王五" in page and "甲社区" in page
    event = Event.objects.get(action="feedback.view")
    assert event.org_path == svc.organ.path and event.changes == {"year": 2026, "quarter": 1, "rows": 2}


def test_another_units_liaison_gets_404_and_community_staff_403(svc: Svc) -> None:
    _seed(svc)
    client = Client()
    client.force_login(svc.liaison_other)
    assert client.get("/needs/feedback/", {"unit": svc.organ.pk}).status_code == 404
    assert client.get(f"/needs/feedback/{svc.organ.pk}.xlsx").status_code == 404
    client.force_login(svc.staff_jia)
    assert client.get("/needs/feedback/").status_code == 403
    client.force_login(svc.wang_user)
    assert client.get(f"/needs/feedback/{svc.organ.pk}.xlsx").status_code == 404
    assert not Event.objects.filter(action__startswith="feedback.").exists()


def test_the_excel_export_holds_the_rows_and_is_audited(svc: Svc) -> None:
    _seed(svc)
    client = Client()
    client.force_login(svc.liaison)
    response = client.get(f"/needs/feedback/{svc.organ.pk}.xlsx", {"year": 2026, "quarter": 1})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "姓名"
    wang = next(v for v in values if v[0] == "王五")
    assert wang[2] == "甲社区" and wang[6] == 2 and wang[8] == 7
    assert Event.objects.get(action="feedback.export").changes["rows"] == 2


def test_the_sheet_query_count_does_not_grow(svc: Svc, django_assert_num_queries: Any) -> None:
    _seed(svc)
    with django_assert_num_queries(1):
        feedback.rows(svc.organ, 2026, 1)
    for i in range(6):
        m = _member(svc.organ, svc.organ_branch, f"党员{i}", svc.community_c, svc.organ)
        points.credit(member=m, rule_code=points.WISH_DONE, on=date(2026, 2, 2))
    with django_assert_num_queries(1):
        assert len(feedback.rows(svc.organ, 2026, 1)) == 8
