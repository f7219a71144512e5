"""Snapshots equal the live computation, the refresh (page, task, command), and the history."""

from datetime import date, datetime, timedelta
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.dashboard import demo, indicators, rollups
from jiceng.dashboard.models import HistoryPoint, Snapshot, Source
from jiceng.dashboard.tests.fixtures import Board, unit
from jiceng.grid import stats as grid_stats
from jiceng.grid.models import Case, CaseStatus
from jiceng.grid.tests.conftest import IN_A1, IN_A2, IN_B1, T0, Grids, report
from jiceng.orgs.models import Formation, Organization, OrgKind

NOW = timezone.make_aware(datetime(2026, 6, 30, 10, 0))


def url(org: Organization, suffix: str = "") -> str:
    return f"/dashboard/org/{org.pk}/{suffix}"


def _same(a: indicators.Dashboard, b: indicators.Dashboard) -> None:
    assert a.kpis == b.kpis and a.units == b.units and a.counts == b.counts
    assert [(t.key, t.title, t.headers, t.rows, t.links, t.note, t.chart) for t in a.tables] == [
        (t.key, t.title, t.headers, t.rows, t.links, t.note, t.chart) for t in b.tables
    ]


def _cases(g: Grids) -> None:
    """甲村: one open case in A1, one closed on time in A2; 乙村: one closed late in B1."""
    report(g, where=IN_A1)
    on_time = report(g, where=IN_A2)
    late = report(g, actor=g.worker_b, where=IN_B1)
    Case.objects.filter(pk=on_time.pk).update(status=CaseStatus.CLOSED, closed_at=T0 + timedelta(hours=2), due_at=T0 + timedelta(days=3))
    Case.objects.filter(pk=late.pk).update(status=CaseStatus.EVALUATED, closed_at=T0 + timedelta(days=9), due_at=T0 + timedelta(days=3))


# ---- the snapshot is the live computation ---------------------------------------------------------


def test_a_snapshot_reads_back_exactly_what_was_computed_live_at_every_level(board: Board, grids: Grids) -> None:
    _cases(grids)
    tree = board.tree
    assert rollups.refresh(tree.district, 2026, NOW) == 6  # the district, 2 towns, 3 villages
    for org in (tree.district, tree.town, tree.other_town, tree.village_a, tree.village_b, tree.community_c):
        stored = rollups.decode(Snapshot.objects.get(organization=org, year=2026), org)
        assert stored.as_of == NOW
        _same(stored, indicators.compute(org, 2026, NOW))  # one pass for the district = a pass per organization


def test_case_counts_agree_with_the_grid_statistics(board: Board, grids: Grids, personas: Personas) -> None:
    _cases(grids)
    for org in (board.tree.district, board.tree.town, board.tree.village_a):
        ours = indicators.compute(org, 2026, NOW).table("grid")
        theirs = grid_stats.report(personas.district_admin, org, NOW)
        assert ours is not None
        theirs_by_name = {r.name: r.figures for r in theirs.rows}
        for row in ours.rows[:-1]:
            f = theirs_by_name[row[0]]
            assert row[1:] == [f.total, f.open, f.overdue, f.closed, f.on_time, f.on_time_rate]
        f = theirs.total
        assert ours.rows[-1] == ["合计", f.total, f.open, f.overdue, f.closed, f.on_time, f.on_time_rate]
    village = indicators.compute(board.tree.village_a, 2026, NOW).table("grid")
    assert village is not None and village.rows[-1][1:] == [2, 1, 1, 1, 1, 100.0]


# ---- the page reads the snapshot ------------------------------------------------------------------


def test_the_page_shows_the_snapshot_and_its_as_of_time_until_refreshed(client: Client, personas: Personas, board: Board) -> None:
    rollups.refresh(board.tree.district, timezone.localdate().year, NOW)
    client.force_login(personas.district_admin)
    body = client.get(url(board.tree.district)).content.decode()
    assert "数据截至 2026-06-30 10:00" in body
    unit(board.tree.other_town, "丙街道企业", "E9", OrgKind.ENTERPRISE, Formation.SINGLE)
    body = client.get(url(board.tree.district)).content.decode()
    assert "数据截至 2026-06-30 10:00" in body  # still the stored figures: no live scan
    response = client.get(url(board.tree.district, "export/formation.xlsx"))
    rows = [[c.value for c in r] for r in load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows()]  # type: ignore[attr-defined,union-attr]
    assert rows[1][0] == "数据截至 2026-06-30 10:00" and ["丙街道", 0, 0, 0, "—", "—"] in rows
    assert client.post(url(board.tree.district, "refresh/"), {"year": timezone.localdate().year}).status_code == 302
    body = client.get(url(board.tree.district)).content.decode()
    assert "数据截至 2026-06-30 10:00" not in body
    kpis = client.get("/dashboard/screen/data.json").json()
    assert kpis["as_of"] != "2026-06-30 10:00"
    formation = rollups.decode(Snapshot.objects.get(organization=board.tree.district, year=timezone.localdate().year), board.tree.district)
    assert formation.table("formation").rows[1][:4] == ["丙街道", 1, 1, 0]  # type: ignore[union-attr]


def test_a_page_without_a_snapshot_computes_it_once(client: Client, personas: Personas, board: Board) -> None:
    client.force_login(personas.town_staff)
    assert not Snapshot.objects.exists()
    assert client.get(url(board.tree.town)).status_code == 200
    # the town's subtree only: the town and its two villages, not the district or the other town
    assert set(Snapshot.objects.values_list("organization", flat=True)) == {
        board.tree.town.pk,
        board.tree.village_a.pk,
        board.tree.village_b.pk,
    }


# ---- refresh: who, how often, audited ---------------------------------------------------------------


def test_refresh_is_a_post_with_csrf_in_scope_and_audited(personas: Personas, board: Board) -> None:
    tree = board.tree
    year = timezone.localdate().year
    rollups.refresh(tree.district, year, timezone.now() - timedelta(hours=1))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.town_staff)
    assert strict.post(url(tree.town, "refresh/")).status_code == 403  # no CSRF token
    c = Client()
    c.force_login(personas.town_staff)
    assert c.get(url(tree.town, "refresh/")).status_code == 405
    assert c.post(url(tree.other_town, "refresh/")).status_code == 404  # another town
    assert c.post(url(tree.district, "refresh/")).status_code == 404  # the level above
    village = Client()
    village.force_login(personas.secretary_a)
    assert village.post(url(tree.village_b, "refresh/")).status_code == 404
    assert not Event.objects.filter(action="dashboard.refresh").exists()

    response = c.post(url(tree.town, "refresh/"), {"year": year}, follow=True)
    assert "已提交刷新" in response.content.decode()
    event = Event.objects.get(action="dashboard.refresh")
    assert event.actor == personas.town_staff and event.org_path == tree.town.path and event.changes == {"year": year}
    fresh = Snapshot.objects.get(organization=tree.town, year=year)
    assert fresh.as_of > timezone.now() - timedelta(minutes=1)  # the immediate backend ran the task
    assert Snapshot.objects.get(organization=tree.district, year=year).as_of < fresh.as_of  # only the town's subtree

    again = c.post(url(tree.town, "refresh/"), {"year": year}, follow=True)
    assert "请5分钟后再试" in again.content.decode()
    assert Event.objects.filter(action="dashboard.refresh").count() == 1


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_other_roles_cannot_refresh(client: Client, personas: Personas, tree: Tree, who: str) -> None:
    client.force_login(getattr(personas, who))
    assert client.post(url(tree.village_a, "refresh/")).status_code == 404
    assert not Snapshot.objects.exists()


def test_the_command_refreshes_every_district_and_backfills(board: Board) -> None:
    out = StringIO()
    call_command("refresh_indicators", "--backfill", "3", stdout=out)
    assert "测试区: 6 snapshots, 18 history points" in out.getvalue()
    assert Snapshot.objects.filter(year=timezone.localdate().year).count() == 6
    call_command("refresh_indicators", "--org", board.tree.town.code, "--year", "2024", stdout=out)
    assert set(Snapshot.objects.filter(year=2024).values_list("organization", flat=True)) == {
        board.tree.town.pk,
        board.tree.village_a.pk,
        board.tree.village_b.pk,
    }


# ---- history ---------------------------------------------------------------------------------------


def test_backfill_counts_only_what_the_records_date(board: Board, grids: Grids) -> None:
    _cases(grids)
    tree = board.tree
    rollups.backfill(tree.district, [date(2023, 12, 31), date(2026, 6, 30)])
    old = HistoryPoint.objects.get(organization=tree.district, day=date(2023, 12, 31))
    # 甲村's secretary holds all three posts since 2018; 丙社区's since 2024; 乙村 never.
    assert (old.villages, old.yijiantiao, old.source) == (3, 1, Source.RECORDS)
    assert (old.cases_closed, old.cases_on_time) == (0, 0)
    assert old.two_new is None and old.single is None and old.party_members is None and old.party_orgs is None
    now = HistoryPoint.objects.get(organization=tree.district, day=date(2026, 6, 30))
    assert (now.yijiantiao, now.cases_closed, now.cases_on_time) == (2, 2, 1)
    town = HistoryPoint.objects.get(organization=tree.town, day=date(2026, 6, 30))
    assert (town.villages, town.yijiantiao) == (2, 1)


def test_a_refresh_point_is_not_overwritten_by_a_backfill(board: Board) -> None:
    rollups.refresh(board.tree.district, 2026, NOW)
    rollups.backfill(board.tree.district, [date(2026, 6, 30)])
    point = HistoryPoint.objects.get(organization=board.tree.district, day=date(2026, 6, 30))
    assert point.source == Source.REFRESH and (point.two_new, point.single, point.joint) == (4, 2, 1)


def test_the_history_table_chart_and_export(client: Client, personas: Personas, board: Board) -> None:
    tree = board.tree
    rollups.backfill(tree.district, [date(2025, 12, 31)])
    rollups.refresh(tree.district, timezone.localdate().year)
    client.force_login(personas.district_admin)
    body = client.get(url(tree.district)).content.decode()
    assert 'id="t-history"' in body and "chart-data-history" in body
    table = rollups.history_table(tree.district)
    assert table.rows[0][:7] == ["2025-12-31", "按记录日期回溯", None, None, None, None, None]
    assert table.rows[0][7:10] == [3, 2, indicators.percent(2, 3)]  # 丙社区 since 2024
    assert table.rows[-1][2:7] == [4, 2, 1, indicators.percent(2, 4), indicators.percent(3, 4)]
    response = client.get(url(tree.district, "export/history.xlsx"))
    rows = [[c.value for c in r] for r in load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows()]  # type: ignore[attr-defined,union-attr]
    assert rows[2][:3] == ["日期", "来源", "实体运营两新组织数"]
    assert rows[3][:7] == ["2025-12-31", "按记录日期回溯", "—", "—", "—", "—", "—"]
    assert rows[4][2:7] == [4, 2, 1, 50, 75]


def test_the_demo_loader_is_idempotent(board: Board) -> None:
    demo.load(StringIO())
    counts = (Snapshot.objects.count(), HistoryPoint.objects.count())
    assert counts == (6, 6 * (demo.HISTORY_MONTHS + 1))  # today's refresh and the month-ends
    demo.load(None)
    assert (Snapshot.objects.count(), HistoryPoint.objects.count()) == counts
