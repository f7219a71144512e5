"""Who sees which dashboard, the exports and the report (audited), and pinned query counts."""

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.dashboard import rollups
from jiceng.dashboard.tests.fixtures import Board, person, post, unit
from jiceng.orgs.models import Formation, Member, Organization, OrgKind, PostRole, ReserveCadre, Stage


def url(org: Organization, suffix: str = "") -> str:
    return f"/dashboard/org/{org.pk}/{suffix}"


@pytest.fixture
def as_user(client: Client) -> Any:
    def login(user: Any) -> Client:
        client.force_login(user)
        return client

    return login


# ---- scope ---------------------------------------------------------------------------------------


def test_it_sends_each_level_to_its_own_dashboard(as_user: Any, personas: Personas, tree: Tree) -> None:
    assert as_user(personas.district_admin).get("/dashboard/")["Location"] == url(tree.district)
    assert as_user(personas.town_staff).get("/dashboard/")["Location"] == url(tree.town)
    assert as_user(personas.secretary_a).get("/dashboard/")["Location"] == url(tree.village_a)


def test_a_village_sees_only_its_village_level(as_user: Any, personas: Personas, tree: Tree) -> None:
    c = as_user(personas.secretary_a)
    page = c.get(url(tree.village_a))
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲村" in body and "乙村" not in body and "丙街道" not in body
    assert url(tree.town) not in body  # no link up to a level it may not open
    for other in (tree.district, tree.town, tree.village_b, tree.community_c):
        assert c.get(url(other)).status_code == 404
        assert c.get(url(other, "export/formation.xlsx")).status_code == 404
        assert c.get(url(other, "report.pdf")).status_code == 404


def test_a_town_cannot_open_another_town(as_user: Any, personas: Personas, tree: Tree) -> None:
    c = as_user(personas.town_staff)
    assert c.get(url(tree.town)).status_code == 200
    assert c.get(url(tree.village_b)).status_code == 200
    assert c.get(url(tree.other_town)).status_code == 404
    assert c.get(url(tree.community_c)).status_code == 404
    assert c.get(url(tree.district)).status_code == 404
    assert c.get("/dashboard/org/999999/").status_code == 404


def test_the_district_drills_down_to_towns_and_villages(as_user: Any, personas: Personas, tree: Tree) -> None:
    c = as_user(personas.district_admin)
    district = c.get(url(tree.district)).content.decode()
    assert url(tree.town) in district and url(tree.other_town) in district
    town = c.get(url(tree.town)).content.decode()
    assert url(tree.village_a) in town and url(tree.village_b) in town
    assert url(tree.district) in town  # breadcrumb back up
    village = c.get(url(tree.village_a)).content.decode()
    assert "数据截至" in village and url(tree.village_a, "refresh/") in village


def _xlsx(response: Any) -> list[list[Any]]:
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_a_district_shows_reserves_per_town_and_exports_every_village(as_user: Any, personas: Personas, board: Board) -> None:
    tree, c = board.tree, as_user(personas.district_admin)
    district = c.get(url(tree.district)).content.decode()
    assert 'id="t-reserves_units"' in district and 'id="t-reserves"' not in district
    assert url(tree.village_a) not in district  # a village is reached through its town's page
    assert f'href="{url(tree.district, "export/reserves.xlsx")}?year=' in district  # the per-village detail
    units = _xlsx(c.get(url(tree.district, "export/reserves_units.xlsx")))
    assert ["甲镇", 2, 3, 1] in units and ["丙街道", 1, 0, 0] in units and ["合计", 3, 3, 1] in units
    villages = _xlsx(c.get(url(tree.district, "export/reserves.xlsx")))
    assert ["甲村", 2, "是"] in villages and ["乙村", 1, "否"] in villages and ["丙社区", 0, "否"] in villages
    town = c.get(url(tree.town)).content.decode()
    assert 'id="t-reserves"' in town and "t-reserves_units" not in town
    assert f'<a href="{url(tree.village_a)}?year=' in town and f'<a href="{url(tree.village_b)}?year=' in town


def test_the_page_shows_a_history_row_a_month_and_the_export_every_day(as_user: Any, personas: Personas, board: Board) -> None:
    tree, c = board.tree, as_user(personas.district_admin)
    rollups.backfill(tree.district, [date(2025, 11, 30), date(2025, 12, 30), date(2025, 12, 31)])
    page = c.get(url(tree.district)).content.decode()
    assert '<th scope="row">2025-11-30</th>' in page and '<th scope="row">2025-12-31</th>' in page
    assert '<th scope="row">2025-12-30</th>' not in page
    days = [row[0] for row in _xlsx(c.get(url(tree.district, "export/history.xlsx")))[3:6]]
    assert days == ["2025-11-30", "2025-12-30", "2025-12-31"]


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_other_roles_have_no_dashboard(as_user: Any, personas: Personas, tree: Tree, who: str) -> None:
    c = as_user(getattr(personas, who))
    assert c.get("/dashboard/").status_code == 403
    assert c.get(url(tree.village_a)).status_code == 404
    assert c.get("/dashboard/screen/").status_code == 403


def test_it_asks_anonymous_users_to_log_in(client: Client, tree: Tree) -> None:
    assert client.get(url(tree.district))["Location"].startswith(reverse("login"))


# ---- exports and the report ----------------------------------------------------------------------


def test_it_exports_a_table_and_audits_it(as_user: Any, personas: Personas, board: Board) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    c = as_user(personas.town_staff)
    response = c.get(url(board.tree.town, "export/formation.xlsx") + "?year=2025")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[2][0] == "单位"
    assert ["甲村", 1, 1, 0, 100, 100] in values
    assert ["乙村", 0, 0, 0, "—", "—"] in values
    event = Event.objects.get(action="dashboard.export")
    assert event.actor == personas.town_staff and event.org_path == board.tree.town.path
    assert event.changes == {"year": 2025, "table": "formation", "rows": 4}


def test_it_refuses_an_unknown_table_without_auditing(as_user: Any, personas: Personas, tree: Tree) -> None:
    c = as_user(personas.district_admin)
    assert c.get(url(tree.district, "export/nothing.xlsx")).status_code == 404
    assert c.get(url(tree.other_town, "export/formation.xlsx")).status_code == 200
    assert as_user(personas.town_staff).get(url(tree.other_town, "export/formation.xlsx")).status_code == 404
    assert Event.objects.filter(action="dashboard.export").count() == 1


def test_it_prints_the_annual_report(as_user: Any, personas: Personas, board: Board) -> None:
    response = as_user(personas.district_admin).get(url(board.tree.district, "report.pdf") + "?year=2025")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = Event.objects.get(action="dashboard.report")
    assert event.org_path == board.tree.district.path and event.changes["year"] == 2025


# ---- the big screen ------------------------------------------------------------------------------


def test_the_big_screen_refreshes_from_a_scoped_json(as_user: Any, personas: Personas, board: Board) -> None:
    c = as_user(personas.district_admin)
    page = c.get("/dashboard/screen/").content.decode()
    assert "/dashboard/screen/data.json" in page and "60000" in page and "echarts.min.js" in page
    data = c.get("/dashboard/screen/data.json").json()
    assert data["org"] == "测试区" and data["grids"]["type"] == "FeatureCollection"
    kpis = {k["label"]: k["value"] for k in data["kpis"]}
    assert kpis["单建率"] == 50.0 and kpis["一肩挑率"] == 66.7
    assert "formation" in data["charts"]
    town = as_user(personas.town_staff).get("/dashboard/screen/data.json").json()
    assert town["org"] == "甲镇"


# ---- query counts ----------------------------------------------------------------------------------


def _grow(tree: Tree, n: int) -> None:
    """n more villages, each with a branch, members, cadres, reserves and two-new units."""
    for i in range(n):
        village = unit(tree.town, f"新村{i}", f"440799100{300 + i}", OrgKind.VILLAGE, "")
        branch = unit(village, f"新村{i}党支部", f"440799100{300 + i}D1", OrgKind.BRANCH, "")
        unit(village, f"新村{i}企业", f"N{i}", OrgKind.ENTERPRISE, Formation.JOINT)
        chief = person(village, f"书记{i}", date(1975, 1, 1), "college")
        post(chief, branch, PostRole.SECRETARY, date(2019, 1, 1))
        post(chief, village, PostRole.CHAIR, date(2019, 1, 1))
        Member.objects.create(person=person(village, f"党员{i}", None), branch=branch, stage=Stage.FULL)
        ReserveCadre.objects.create(organization=village, person=person(village, f"后备{i}", None), since=date(2024, 1, 1))


@pytest.mark.parametrize("extra", [0, 6])
def test_the_dashboard_query_count_does_not_grow_with_data(
    as_user: Any, personas: Personas, board: Board, extra: int, django_assert_num_queries: Any
) -> None:
    _grow(board.tree, extra)
    rollups.backfill(board.tree.district, rollups.month_ends(extra * 4, date.today()))  # a longer history, too
    c = as_user(personas.district_admin)
    c.get(url(board.tree.district))  # warm the session
    with django_assert_num_queries(DISTRICT_QUERIES):
        assert c.get(url(board.tree.district)).status_code == 200
    with django_assert_num_queries(TOWN_QUERIES):
        assert c.get(url(board.tree.town)).status_code == 200


DISTRICT_QUERIES = 6
TOWN_QUERIES = 7
