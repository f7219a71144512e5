"""三权分立 in a real browser: the system administrator creates an account, the security
administrator grants it a village role, and the new user signs in and sees that village."""

import pytest
from playwright.sync_api import Page, expect

from jiceng.accounts.models import Role, User
from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree, make_user

pytestmark = pytest.mark.django_db(transaction=True)

INITIAL = "Chushi#2026mm"


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def test_create_grant_and_sign_in(live_server, page: Page, personas: Personas, tree: Tree) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    make_user("sysadmin", Role.SYSTEM_ADMIN, tree.district)
    make_user("secadmin", Role.SECURITY_ADMIN, tree.district)

    # The system administrator creates the account; a weak password is refused first.
    log_in(page, base, "sysadmin")
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("button", name="新建账号").click()
    page.get_by_label("用户名").fill("wangxh")
    page.get_by_label("姓名").fill("王小红")
    page.get_by_label("初始密码").fill("abcdefgh")
    page.get_by_label("再次输入密码").fill("abcdefgh")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_text("密码须包含大写字母、小写字母、数字、符号中的至少三类。")).to_be_visible()
    assert not User.objects.filter(username="wangxh").exists()
    page.get_by_label("初始密码").fill(INITIAL)
    page.get_by_label("再次输入密码").fill(INITIAL)
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_text("账号“王小红”已创建")).to_be_visible()
    expect(page.get_by_role("button", name="授予角色")).to_have_count(0)  # 三权分立: not the system administrator's job
    shot(page, "account-created")
    _logout(page)

    # The security administrator grants it a role on village A.
    log_in(page, base, "secadmin")
    page.get_by_role("link", name="账号管理").click()
    expect(page.get_by_role("button", name="新建账号")).to_have_count(0)
    page.get_by_role("link", name="wangxh").click()
    page.get_by_label("组织", exact=True).select_option(value=str(tree.village_a.pk))
    page.get_by_label("角色", exact=True).select_option(value=Role.VILLAGE_STAFF)
    page.get_by_role("button", name="授予角色").click()
    expect(page.get_by_text("已授予“王小红”甲村的村（社区）工作人员角色。")).to_be_visible()
    expect(page.get_by_role("cell", name="甲村", exact=True)).to_be_visible()
    shot(page, "account-granted")
    _logout(page)

    # The new user signs in with the initial password and sees village A, not village B.
    log_in(page, base, "wangxh", INITIAL)
    # A password chosen by an administrator must be replaced before anything else.
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.goto(f"{base}/orgs/")
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.locator("input[name=old_password]").fill(INITIAL)
    page.locator("input[name=new_password1]").fill("Wang#Xiaohong2026")
    page.locator("input[name=new_password2]").fill("Wang#Xiaohong2026")
    page.get_by_role("button", name="修改密码").click()
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="王小红，您好")).to_be_visible()
    page.get_by_role("link", name="甲村", exact=True).click()
    expect(page.get_by_role("heading", name="甲村")).to_be_visible()
    page.goto(f"{base}/orgs/{tree.village_b.pk}/")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_role("link", name="账号管理")).to_have_count(0)
