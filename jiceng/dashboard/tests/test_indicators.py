"""Exact arithmetic of the indicators on the hand-built fixture of conftest.py."""

from decimal import Decimal

from django.test import Client

from jiceng.conftest import Personas
from jiceng.dashboard import indicators
from jiceng.dashboard.tests.fixtures import Board


def _rows(board: indicators.Dashboard, key: str) -> dict[str, list[object]]:
    table = board.table(key)
    assert table is not None
    return {str(r[0]): r[1:] for r in table.rows}


def test_it_computes_formation_rates_per_town(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.district)
    rows = _rows(d, "formation")
    # 4 operating units (the closed shell is not counted): single E1, S1; joint E2; none E3.
    assert rows["甲镇"] == [4, 2, 1, Decimal("50.0"), Decimal("75.0")]
    assert rows["丙街道"] == [0, 0, 0, None, None]  # zero denominator: no rate, shown "—"
    assert rows["合计"] == [4, 2, 1, Decimal("50.0"), Decimal("75.0")]
    kinds = _rows(d, "formation_kinds")
    assert kinds["非公企业"] == [3, 1, 1, Decimal("33.3"), Decimal("66.7")]
    assert kinds["社会组织"] == [1, 1, 0, Decimal("100.0"), Decimal("100.0")]
    kpis = {label: value for label, value, _unit in d.kpis}
    assert kpis["单建率"] == Decimal("50.0") and kpis["单建+联建组建率"] == Decimal("75.0")


def test_it_puts_units_directly_under_a_town_in_their_own_row(board: Board, personas: Personas) -> None:
    rows = _rows(indicators.compute(board.tree.town), "formation")
    assert rows["甲村"] == [1, 1, 0, Decimal("100.0"), Decimal("100.0")]
    assert rows["乙村"] == [0, 0, 0, None, None]
    assert rows["直属单位"] == [3, 1, 1, Decimal("33.3"), Decimal("66.7")]
    assert rows["合计"] == [4, 2, 1, Decimal("50.0"), Decimal("75.0")]


def test_it_shows_a_zero_denominator_as_a_dash(board: Board, personas: Personas, client: Client) -> None:
    client.force_login(personas.district_admin)
    body = client.get(f"/dashboard/org/{board.tree.other_town.pk}/").content.decode()
    assert "单建率" in body and "<td>—</td>" in body


def test_it_computes_the_yijiantiao_rate(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.district)
    rows = _rows(d, "yijiantiao")
    assert rows["甲镇"] == [2, 1, Decimal("50.0")]
    assert rows["丙街道"] == [1, 1, Decimal("100.0")]
    assert rows["合计"] == [3, 2, Decimal("66.7")]
    assert dict((label, value) for label, value, _u in d.kpis)["一肩挑率"] == Decimal("66.7")


def test_it_compares_cadres_before_and_after_the_2021_election(board: Board, personas: Personas) -> None:
    d = indicators.compute(
        board.tree.village_a,
    )
    ages = _rows(d, "cadre_ages")
    # before (2020-12-31): 甲书记 50, 老委员 60; after (2021-12-31): 甲书记 51, 新委员 31; now: 甲书记, 新委员.
    assert ages["35岁及以下"][:2] == [0, 1]
    assert ages["46–55岁"][:2] == [1, 1]
    assert ages["56岁及以上"][:2] == [1, 0]
    assert ages["平均年龄（岁）"][:2] == [Decimal("55.0"), Decimal("41.0")]
    assert ages["合计（人）"] == [2, 2, 2]
    edu = _rows(d, "cadre_education")
    assert edu["初中"] == [1, 0, 0] and edu["本科"] == [0, 1, 1]
    assert edu["大专及以上占比（%）"] == [Decimal("0.0"), Decimal("50.0"), Decimal("50.0")]


def test_it_says_so_when_no_record_predates_the_election(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.village_b)
    table = d.table("cadre_ages")
    assert table is not None and table.headers == ["年龄段", "现任（人）"]
    assert "仅显示现任" in table.note


def test_it_counts_reserve_cadres_orgs_and_members(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.district)
    reserves = _rows(d, "reserves")
    assert reserves["甲村"] == [2, "是"] and reserves["乙村"] == [1, "否"] and reserves["丙社区"] == [0, "否"]
    assert reserves["合计"] == [3, "1/3"]
    members = _rows(d, "members")
    assert members["正式党员"] == [1] and members["入党申请人"] == [1] and members["党员合计（正式+预备）"] == [2]
    orgs = _rows(d, "orgs")
    assert orgs["非公企业"] == [4] and orgs["党支部"] == [3] and orgs["其中：党组织合计"] == [3]


def test_it_rolls_decisions_needs_and_cases_from_the_apps_with_zeros(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.district)
    assert _rows(d, "decisions")["合计"][:2] == [0, 0]
    assert _rows(d, "needs")["合计"] == [0] * 8
    grid = _rows(d, "grid")
    assert grid["合计"] == [0, 0, 0, 0, 0, None]
    assert set(grid) == {"甲镇", "丙街道", "合计"}


def test_it_links_only_down_the_tree(board: Board, personas: Personas) -> None:
    d = indicators.compute(board.tree.district)
    assert [u.name for u in d.units] == ["甲镇", "丙街道"]
    table = d.table("yijiantiao")
    assert table is not None and table.links == [board.tree.town.pk, board.tree.other_town.pk, None]
    village = indicators.compute(board.tree.village_a)
    table = village.table("yijiantiao")
    assert table is not None and table.links == [None, None]
