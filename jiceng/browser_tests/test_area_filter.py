"""The area filter of a list page in a real browser, for a scope with more villages than one select
lists: choosing a town brings its villages' select, and choosing a village leaves that village's
rows alone in the list, without a page load."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.decisions.models import Classification, Decision
from jiceng.decisions.tests import conftest as decision_fixtures
from jiceng.decisions.tests.conftest import Village
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

village = decision_fixtures.village  # village A with its registry and catalogue


def _decision(personas: Personas, village: Village, where: Organization, title: str) -> None:
    Decision.objects.create(
        village=where,
        title=title,
        category=village.funds,
        classification=Classification.PROCEDURE,
        classification_reason="清单事项",
        created_by=personas.district_admin,
    )


def test_choosing_a_town_brings_its_villages_and_a_village_filters_the_rows(
    page: Page, live_server: Any, tree: Tree, personas: Personas, village: Village, monkeypatch: Any
) -> None:
    # three villages and two towns: with a limit of two, the filter starts at the town
    monkeypatch.setattr(org_selectors, "AREA_OPTIONS_LIMIT", 2)
    _decision(personas, village, tree.village_a, "甲村修路")
    _decision(personas, village, tree.village_b, "乙村修桥")
    _decision(personas, village, tree.community_c, "丙社区改造")
    log_in(page, live_server.url, "district_admin")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.goto(f"{live_server.url}/decisions/")
    rows = page.locator("#decision-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_label("村（社区）")).to_have_count(0)

    page.get_by_label("镇（街道）").select_option(label=tree.town.name)
    villages = page.get_by_label("村（社区）")
    expect(villages).to_be_visible()
    expect(villages.locator("option")).to_have_text(["全部村（社区）", tree.village_a.name, tree.village_b.name])
    expect(rows).to_have_count(2)  # the town's two villages: 丙社区 is in the other town

    villages.select_option(label=tree.village_b.name)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("乙村修桥")
    assert f"village={tree.village_b.pk}" in page.url and f"town={tree.town.pk}" in page.url
    shot(page, "area-filter-town-village")

    page.reload()  # the address kept the choice: the page comes back filtered, both selects set
    expect(page.get_by_label("村（社区）")).to_have_value(str(tree.village_b.pk))
    expect(rows).to_have_count(1)
