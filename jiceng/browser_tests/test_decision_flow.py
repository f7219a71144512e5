"""四议两公开 in a real browser: the village secretary registers a matter and walks it through every
stage; the resolution meeting first fails its quorum (shown in red) and is re-held; the supervision
committee raises an objection and the secretary answers it; implementation, the result notice and
the archive follow; a resident checks the printed notice's code on the public page."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.decisions.models import Decision, Meeting, Status
from jiceng.decisions.tests import conftest as decision_fixtures
from jiceng.decisions.tests.conftest import Village
from jiceng.rules.models import RuleSet

pytestmark = pytest.mark.django_db(transaction=True)

village = decision_fixtures.village  # village A with its registry, catalogue and supervisors

TODAY = timezone.localdate()


@pytest.fixture
def rule_sets(transactional_db: None) -> None:
    """Transactional tests flush every table, the rule sets seeded by migration too: seed them again."""
    if not RuleSet.objects.exists():
        import_module("jiceng.rules.migrations.0002_seed_rule_sets").seed(apps, None)


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def _login(page: Page, base: str, username: str) -> None:
    log_in(page, base, username)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def _open_decision(page: Page, title: str) -> None:
    page.get_by_role("link", name="四议两公开").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def _set_date(page: Page, days_ago: int) -> None:
    """The date reloads the roster (htmx): wait for the fresh attendance part before ticking."""
    with page.expect_response(lambda r: "/steps/" in r.url and r.request.method == "GET"):
        page.get_by_label("会议日期").fill(_day(days_ago))


def _ticked_meeting(page: Page, step: str, days_ago: int, names: list[str], votes_for: int, expect_text: str) -> None:
    page.get_by_role("button", name=step).click()
    _set_date(page, days_ago)
    for name in names:
        page.get_by_label(name, exact=True).check()
    page.get_by_label("赞成").fill(str(votes_for))
    expect(page.locator("#verdict")).to_contain_text(expect_text)
    shot(page, "decision-roster")
    page.get_by_label("地点").fill("村党群服务中心")
    page.get_by_role("textbox", name="会议记录").fill(f"{step}：与会人员讨论并表决。")
    page.get_by_role("button", name="保存会议记录").click()


def _representatives(page: Page, days_ago: int, entitled: int, present: int, votes_for: int) -> None:
    page.get_by_role("button", name="第四步：村民会议或村民代表会议决议").click()
    _set_date(page, days_ago)
    with page.expect_response(lambda r: "/steps/" in r.url and r.request.method == "GET"):
        page.locator("select[name=body]").select_option(label="村民代表会议")
    page.get_by_label("应到人数").fill(str(entitled))
    page.get_by_label("实到人数").fill(str(present))
    page.get_by_label("赞成").fill(str(votes_for))


def test_a_decision_through_every_stage(live_server, page: Page, rule_sets: None, personas: Personas, tree: Tree, village: Village) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    title = "东片鱼塘发包"

    # The secretary registers the matter; the catalogue classifies it and says why.
    _login(page, base, "secretary_a")
    page.get_by_role("link", name="四议两公开").click()
    page.get_by_role("button", name="登记事项").click()
    page.get_by_label("事项名称").fill(title)
    page.get_by_label("涉及金额（元）").fill("80000")
    page.get_by_label("事项清单中的事项").select_option(label="集体资金使用（三资一酬，50,000 元以上）")
    page.get_by_role("button", name="登记并归类").click()
    expect(page.locator("#classification")).to_contain_text("须经四议两公开")
    expect(page.locator("#classification")).to_contain_text("集体资金使用")
    decision = Decision.objects.get(title=title)

    # Steps 1-3 on the registry's rosters, ticked.
    _ticked_meeting(page, "第一步：村党组织提议", 30, ["党员00", "党员01", "党员02"], 3, "本次会议有效")
    expect(page.locator("#status")).to_have_text("已提议")
    _ticked_meeting(page, "第二步：村“两委”会议商议", 29, ["党员00", "党员01", "党员02", "党员03", "党员04"], 5, "本次会议有效")
    expect(page.locator("#status")).to_have_text("已商议")
    party = [f"党员{i:02}" for i in range(7)]
    _ticked_meeting(page, "第三步：党员大会审议", 28, party, 6, "本次会议有效")
    expect(page.locator("#status")).to_have_text("已审议")

    # Step 4: 19 of 30 representatives is short of ≥ 2/3 — the live verdict says so before saving.
    _representatives(page, 27, 30, 19, 19)
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("不足")
    expect(verdict).to_contain_text("实到 19 人，须 ≥ 2/3 × 30 = 20 人")
    expect(verdict).to_contain_text("第二十六条")
    shot(page, "decision-live-quorum")
    page.get_by_label("地点").fill("村委会议室")
    page.get_by_role("textbox", name="会议记录").fill("因部分代表外出，到会人数不足。")
    page.get_by_role("button", name="保存会议记录").click()
    failed = page.locator("#meetings .verdict.failed")
    expect(failed).to_contain_text("未达到法定人数")
    expect(failed).to_contain_text("第二十六条")
    expect(failed.locator(".finding.no")).to_have_css("color", "rgb(183, 28, 28)")
    expect(page.locator("#status")).to_have_text("已审议")
    shot(page, "decision-failed-quorum")

    # Re-held with 24 present.
    _representatives(page, 26, 30, 24, 20)
    expect(page.locator("#verdict")).to_contain_text("本次会议有效")
    page.get_by_label("地点").fill("村委会议室")
    page.get_by_role("textbox", name="会议记录").fill("重新召开，表决通过。")
    page.get_by_role("button", name="保存会议记录").click()
    expect(page.locator("#status")).to_have_text("已决议")
    assert [m.quorum_met for m in Meeting.objects.filter(decision=decision, step="resolve").order_by("pk")] == [False, True]

    # The resolution notice, posted 25 days ago for 7 days.
    page.get_by_role("button", name="公开决议").click()
    page.get_by_label("张贴公开日期").fill(_day(25))
    page.get_by_role("button", name="公开", exact=True).click()
    expect(page.locator("#status")).to_have_text("决议已公开")
    code = page.locator("#notices code").first.inner_text()
    assert len(code) == 8
    _logout(page)

    # The supervision committee objects.
    _login(page, base, "supervisor_a")
    _open_decision(page, title)
    page.get_by_label("异议内容").fill("发包底价偏低，请说明依据。")
    page.get_by_role("button", name="提出异议").click()
    expect(page.locator("#objections")).to_contain_text("待答复")
    _logout(page)

    # The secretary answers, starts, completes and discloses the result, then archives.
    _login(page, base, "secretary_a")
    _open_decision(page, title)
    page.get_by_label("答复内容").fill("底价经评估机构评估，评估报告已在公开栏张贴。")
    page.get_by_role("button", name="答复异议").click()
    expect(page.locator("#objections")).to_contain_text("已答复")
    page.get_by_role("button", name="开始实施").click()
    expect(page.locator("#status")).to_have_text("实施中")
    page.get_by_role("button", name="登记实施进展").click()
    page.get_by_label("日期").fill(_day(12))
    page.get_by_label("完成进度（%）").fill("100")
    page.get_by_label("进展情况").fill("已签订发包合同，承包款已入账。")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#progress")).to_contain_text("100%")
    page.get_by_role("button", name="公开实施结果").click()
    page.get_by_label("张贴公开日期").fill(_day(10))
    page.get_by_role("button", name="公开", exact=True).click()
    expect(page.locator("#status")).to_have_text("结果已公开")
    page.get_by_role("button", name="归档").click()
    expect(page.locator("#status")).to_have_text("已归档")
    shot(page, "decision-archived")
    assert Decision.objects.get(pk=decision.pk).status == Status.ARCHIVED
    _logout(page)

    # A resident types the code printed on the resolution notice into the public page.
    page.goto(f"{base}/p/v/")
    page.get_by_label("核验码").fill(code.lower())
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("status")).to_contain_text("公告与登记一致")
    expect(page.get_by_text(title).first).to_be_visible()
    shot(page, "decision-notice-verified")
