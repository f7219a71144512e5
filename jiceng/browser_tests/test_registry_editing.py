"""A village secretary adds a person with a member record, appoints them 委员 of the branch, sees the
post on the branch page and ends it — all through the staff pages in a real browser."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from jiceng.audit.models import Event
from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Member, Person, Post, PostRole, Stage

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page: Page, base: str, username: str) -> None:
    log_in(page, base, username)
    expect(page.get_by_role("heading", name=f"{username}，您好")).to_be_visible()


def test_secretary_adds_a_member_appoints_and_ends_the_post(live_server, page: Page, personas: Personas, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    _login(page, base, "secretary_a")

    page.goto(f"{base}/orgs/{tree.village_a.pk}/")
    expect(page.get_by_role("button", name="新增下级组织")).to_have_count(0)  # village staff do not change the tree
    page.get_by_role("button", name="新增人员").click()
    page.get_by_label("姓名").fill("赵六")
    page.get_by_label("性别").select_option(label="男")
    page.get_by_label("身份证号").fill("440703199001011239")
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="赵六")).to_be_visible()
    expect(page.locator("#id-number")).to_have_text("440703********1239")

    page.get_by_role("link", name="登记党员信息").click()
    branch = page.get_by_label("所在党组织")
    expect(branch.locator("option", has_text="乙村党支部")).to_have_count(0)
    branch.select_option(label="甲村党支部（党支部）")
    page.get_by_label("发展阶段").select_option(label="入党申请人")
    page.get_by_label("申请入党日期").fill("2024-03-01")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存党员信息。")).to_be_visible()
    expect(page.get_by_text("入党申请人")).to_be_visible()
    shot(page, "person-with-member-record")

    page.get_by_role("link", name="甲村党支部").click()
    page.get_by_role("link", name="任命/选举职务").click()
    page.get_by_role("searchbox").fill("赵")
    pick = page.get_by_role("radio", name="赵六")
    expect(pick).to_be_visible()
    pick.check()
    page.get_by_role("combobox", name="职务", exact=True).select_option(label="委员")
    page.get_by_label("任职日期").fill("2025-01-15")
    expect(page.get_by_role("radio", name="选举产生")).to_be_checked()
    shot(page, "post-form")
    page.get_by_role("button", name="登记职务").click()

    row = page.locator("tr[id^=post-]", has_text="赵六")
    expect(row).to_contain_text("委员")
    expect(row).to_contain_text("2025-01-15")
    shot(page, "branch-with-post")

    row.get_by_role("link", name="离任").click()
    row.get_by_role("textbox", name="离任日期").fill(date.today().isoformat())
    shot(page, "post-end-inline")
    row.get_by_role("button", name="确认离任").click()  # hx-confirm: the dialog handler accepts
    expect(row).to_contain_text("已登记离任")
    shot(page, "post-ended")

    person = Person.objects.get(name="赵六")
    assert Member.objects.get(person=person).stage == Stage.APPLICANT
    post = Post.objects.get(person=person)
    assert (post.organization_id, post.role, post.end_date) == (tree.branch_a.pk, PostRole.COMMITTEE_MEMBER, date.today())
    actions = list(Event.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["person.create", "member.create", "post.create", "post.end"]
