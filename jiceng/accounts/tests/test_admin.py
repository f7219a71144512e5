"""Account administration under 三权分立 (domain.md §9.3): the matrix, the services, the pages."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.accounts import services
from jiceng.accounts.access import can
from jiceng.accounts.admin_access import ADMIN_ROLES, MATRIX, accounts_in_scope
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit.models import Event
from jiceng.conftest import PASSWORD, Personas, Tree, make_user

GOOD = "Xinmima#2026"
WEAK = "abcdefgh"


@dataclass
class Admins:
    sysadmin: User
    secadmin: User
    auditor: User
    town_sysadmin: User
    town_secadmin: User


@pytest.fixture
def admins(personas: Personas, tree: Tree) -> Admins:
    return Admins(
        sysadmin=make_user("sysadmin", Role.SYSTEM_ADMIN, tree.district),
        secadmin=make_user("secadmin", Role.SECURITY_ADMIN, tree.district),
        auditor=personas.auditor,
        town_sysadmin=make_user("town_sysadmin", Role.SYSTEM_ADMIN, tree.town),
        town_secadmin=make_user("town_secadmin", Role.SECURITY_ADMIN, tree.town),
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lock(username: str) -> None:
    """What django-axes leaves after five failed logins."""
    AccessAttempt.objects.create(
        username=username, ip_address="127.0.0.1", user_agent="test", http_accept="*/*", path_info="/login/", failures_since_start=5
    )


def _login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def _ledger_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_event")
        return str(cursor.fetchall())


# ---- the matrix: every role × every action × inside / outside scope ----------------------------

CASES = [(role, action) for role in Role.values for action in MATRIX]


@pytest.mark.parametrize(("role", "action"), CASES)
def test_it_applies_the_matrix_inside_and_outside_scope(tree: Tree, role: str, action: str) -> None:
    user = make_user(f"u_{role}", role, tree.village_a)
    inside = make_user("inside", Role.VILLAGE_STAFF, tree.branch_a)
    outside = make_user("outside", Role.VILLAGE_STAFF, tree.village_b)
    fresh = make_user("fresh")
    allowed = role in MATRIX[action]
    assert can(user, MATRIX[action], tree.village_a) is allowed
    assert can(user, MATRIX[action], tree.branch_a) is allowed
    assert can(user, MATRIX[action], tree.village_b) is False
    assert can(user, MATRIX[action], tree.town) is False
    visible = set(accounts_in_scope(user, action))
    assert (inside in visible) is allowed
    assert (fresh in visible) is allowed  # accounts without a grant yet
    assert outside not in visible


def _service_call(action: str, actor: User, target: User, tree: Tree, where: str) -> Callable[[], object]:
    """The service behind each write action, aimed at a target inside (branch A) or outside (village B)."""
    org = tree.branch_a if where == "inside" else tree.village_b
    calls: dict[str, Callable[[], object]] = {
        "account.create": lambda: services.account_create(actor=actor, username="brand_new", display_name="新人", password=GOOD),
        "account.deactivate": lambda: services.account_deactivate(actor=actor, account=target),
        "account.reactivate": lambda: services.account_reactivate(actor=actor, account=target),
        "account.password_reset": lambda: services.account_password_reset(actor=actor, account=target, password=GOOD),
        "account.unlock": lambda: services.account_unlock(actor=actor, account=target),
        "grant.add": lambda: services.grant_add(actor=actor, account=make_user("grantee"), organization=org, role=Role.GRID_WORKER),
        "grant.revoke": lambda: services.grant_revoke(actor=actor, grant=target.grants.get()),
    }
    return calls[action]


WRITE_CASES = [
    (role, action, where) for role in Role.values for action in MATRIX if action != "account.view" for where in ("inside", "outside")
]


@pytest.mark.parametrize(("role", "action", "where"), WRITE_CASES)
def test_every_service_follows_the_matrix(tree: Tree, role: str, action: str, where: str) -> None:
    actor = make_user(f"u_{role}", role, tree.village_a)
    target = make_user("target", Role.VILLAGE_STAFF, tree.branch_a if where == "inside" else tree.village_b)
    if action == "account.reactivate":
        target.is_active = False
        target.save(update_fields=["is_active"])
    _lock(target.username)
    call = _service_call(action, actor, target, tree, where)
    # Creating an account has no target organization: the role alone decides.
    allowed = role in MATRIX[action] and (where == "inside" or action == "account.create")
    if allowed:
        call()
        assert Event.objects.filter(action=action, actor_id=actor.pk).count() == 1
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not Event.objects.exists()


# ---- who reaches the pages ------------------------------------------------------------------------


def test_the_pages_need_a_login(admins: Admins, personas: Personas) -> None:
    for url in (reverse("accounts:admin_list"), reverse("accounts:admin_create"), reverse("password_change")):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["district_admin", "town_staff", "secretary_a", "member", "outsider"])
def test_business_roles_cannot_administer_accounts(admins: Admins, personas: Personas, persona: str) -> None:
    client = _client(getattr(personas, persona))
    target = personas.secretary_b
    assert client.get(reverse("accounts:admin_list")).status_code == 403
    assert client.get(reverse("accounts:admin_create")).status_code == 403
    assert client.get(reverse("accounts:admin_detail", args=[target.pk])).status_code == 403
    assert client.post(reverse("accounts:admin_deactivate", args=[target.pk])).status_code == 403
    assert (
        client.post(reverse("accounts:admin_grant_add", args=[target.pk]), {"organization": 1, "role": "district_admin"}).status_code == 403
    )
    assert "账号管理" not in client.get(reverse("home")).content.decode()
    target.refresh_from_db()
    assert target.is_active and not Event.objects.exists()


def test_the_auditor_reads_the_list_and_does_nothing_else(admins: Admins, personas: Personas, tree: Tree) -> None:
    client = _client(admins.auditor)
    target = personas.secretary_a
    page = client.get(reverse("accounts:admin_list")).content.decode()
    assert "secretary_a" in page and "新建账号" not in page
    detail = client.get(reverse("accounts:admin_detail", args=[target.pk])).content.decode()
    assert "村（社区）工作人员" in detail
    for forbidden in ("停用账号", "重置密码", "授予角色", "解锁账号", "撤销"):
        assert forbidden not in detail
    assert client.get(reverse("accounts:admin_create")).status_code == 403
    for name in ("admin_deactivate", "admin_password_reset", "admin_unlock", "admin_grant_add"):
        assert client.post(reverse(f"accounts:{name}", args=[target.pk]), {"password1": GOOD, "password2": GOOD}).status_code == 403
    grant = target.grants.get()
    assert client.post(reverse("accounts:admin_grant_revoke", args=[target.pk, grant.pk])).status_code == 403
    assert RoleGrant.objects.filter(pk=grant.pk).exists() and not Event.objects.exists()


def test_the_admin_roles_see_the_navigation_entry(admins: Admins) -> None:
    for user in (admins.sysadmin, admins.secadmin, admins.auditor):
        assert reverse("accounts:admin_list") in _client(user).get(reverse("home")).content.decode()


def test_a_town_administrator_sees_only_the_town_and_accounts_without_grants(admins: Admins, personas: Personas, tree: Tree) -> None:
    make_user("community_c_staff", Role.VILLAGE_STAFF, tree.community_c)
    client = _client(admins.town_sysadmin)
    page = client.get(reverse("accounts:admin_list")).content.decode()
    for seen in ("secretary_a", "secretary_b", "town_staff", "outsider", "town_secadmin"):
        assert seen in page
    for hidden in ("district_admin", "community_c_staff", ">secadmin</a>", "丙社区"):
        assert hidden not in page
    assert client.get(reverse("accounts:admin_detail", args=[personas.district_admin.pk])).status_code == 404
    assert client.get(reverse("accounts:admin_detail", args=[999_999])).status_code == 404


def test_superusers_are_not_administered_from_the_web(admins: Admins) -> None:
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    client = _client(admins.sysadmin)
    assert "root" not in client.get(reverse("accounts:admin_list")).content.decode()
    assert client.get(reverse("accounts:admin_detail", args=[root.pk])).status_code == 404
    assert client.post(reverse("accounts:admin_deactivate", args=[root.pk])).status_code == 404
    root.refresh_from_db()
    assert root.is_active


def test_the_list_searches_by_username_and_name(admins: Admins, personas: Personas) -> None:
    page = _client(admins.sysadmin).get(reverse("accounts:admin_list"), {"q": "secretary_a"}).content.decode()
    assert "secretary_a" in page and "secretary_b" not in page


def test_the_list_query_count_does_not_grow_with_accounts(admins: Admins, tree: Tree) -> None:
    client = _client(admins.secadmin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:admin_list")).status_code == 200
        return len(ctx.captured_queries)

    baseline = count()
    for i in range(10):
        user = make_user(f"extra{i}", Role.VILLAGE_STAFF, tree.village_a)
        user.grants.create(organization=tree.branch_a, role=Role.PARTY_MEMBER)
        _lock(user.username)
    assert count() == baseline


# ---- the system administrator: accounts -------------------------------------------------------------


def _create(client: Client, username: str = "wang", password: str = GOOD, password2: str | None = None):  # type: ignore[no-untyped-def]
    data = {"username": username, "display_name": "王小红", "password1": password, "password2": password2 or password}
    return client.post(reverse("accounts:admin_create"), data)


@pytest.mark.parametrize(
    ("password", "message"),
    [(WEAK, "至少三类"), ("12345678", "至少三类"), ("Password123", "太常见")],
)
def test_a_weak_initial_password_is_refused_in_chinese(admins: Admins, password: str, message: str) -> None:
    response = _create(_client(admins.sysadmin), password=password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="wang").exists()
    assert not Event.objects.exists()


def test_creating_an_account_is_audited_without_the_password(admins: Admins) -> None:
    response = _create(_client(admins.sysadmin))
    user = User.objects.get(username="wang")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:admin_detail", args=[user.pk])
    assert user.check_password(GOOD) and user.display_name == "王小红" and user.is_active
    assert not user.grants.exists()  # roles come from the security administrator
    event = Event.objects.get(action="account.create")
    assert (event.actor_id, event.object_id, event.org_name) == (admins.sysadmin.pk, str(user.pk), "测试区")
    assert event.changes == {"username": "wang", "display_name": "王小红"}
    assert GOOD not in _ledger_text()
    assert _login(Client(), "wang", GOOD).status_code == 302


def test_a_short_password_is_refused(admins: Admins) -> None:
    with pytest.raises(ValidationError) as info:
        services.account_create(actor=admins.sysadmin, username="wang", display_name="王小红", password="Ab1!xyz")
    assert list(info.value.message_dict) == ["password"]
    assert not User.objects.filter(username="wang").exists()


def test_mismatched_passwords_create_nothing(admins: Admins) -> None:
    response = _create(_client(admins.sysadmin), password2=GOOD + "x")
    assert "两次输入的密码不一致" in response.content.decode()
    assert not User.objects.filter(username="wang").exists()


@pytest.mark.parametrize(("username", "message"), [("Secretary_A", "已被使用"), ("有 空格", "用户名"), ("", "请填写用户名")])
def test_a_taken_or_invalid_username_is_refused(admins: Admins, username: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        services.account_create(actor=admins.sysadmin, username=username, display_name="某人", password=GOOD)
    assert message in str(info.value.message_dict["username"])
    assert not Event.objects.exists()


def test_the_security_admin_cannot_create_accounts(admins: Admins) -> None:
    client = _client(admins.secadmin)
    assert client.get(reverse("accounts:admin_create")).status_code == 403
    assert _create(client).status_code == 403
    assert "新建账号" not in client.get(reverse("accounts:admin_list")).content.decode()
    with pytest.raises(PermissionDenied):
        services.account_create(actor=admins.secadmin, username="wang", display_name="王小红", password=GOOD)
    assert not User.objects.filter(username="wang").exists()


def test_deactivating_ends_logins_and_is_audited(admins: Admins, personas: Personas) -> None:
    victim_session = _client(personas.secretary_a)
    response = _client(admins.sysadmin).post(reverse("accounts:admin_deactivate", args=[personas.secretary_a.pk]), follow=True)
    assert "已停用" in response.content.decode()
    personas.secretary_a.refresh_from_db()
    assert not personas.secretary_a.is_active
    assert Event.objects.get(action="account.deactivate").changes == {"username": "secretary_a", "is_active": [True, False]}
    assert victim_session.get(reverse("home")).status_code == 302  # the open session is gone
    assert _login(Client(), "secretary_a", PASSWORD).status_code == 200


def test_reactivating(admins: Admins, personas: Personas) -> None:
    services.account_deactivate(actor=admins.sysadmin, account=personas.secretary_a)
    _client(admins.sysadmin).post(reverse("accounts:admin_reactivate", args=[personas.secretary_a.pk]))
    personas.secretary_a.refresh_from_db()
    assert personas.secretary_a.is_active
    assert Event.objects.filter(action="account.reactivate").count() == 1
    with pytest.raises(ValidationError, match="已是启用状态"):
        services.account_reactivate(actor=admins.sysadmin, account=personas.secretary_a)


def test_nobody_deactivates_themselves(admins: Admins) -> None:
    response = _client(admins.sysadmin).post(reverse("accounts:admin_deactivate", args=[admins.sysadmin.pk]), follow=True)
    assert "不能对自己的账号进行此操作" in response.content.decode()
    admins.sysadmin.refresh_from_db()
    assert admins.sysadmin.is_active and not Event.objects.exists()


def test_a_town_admin_cannot_reach_an_account_that_also_holds_a_grant_elsewhere(admins: Admins, tree: Tree) -> None:
    both = make_user("both", Role.VILLAGE_STAFF, tree.village_a)
    both.grants.create(organization=tree.community_c, role=Role.VILLAGE_STAFF)
    with pytest.raises(ValidationError, match="管理范围之外还有授权"):
        services.account_deactivate(actor=admins.town_sysadmin, account=both)
    with pytest.raises(ValidationError, match="管理范围之外还有授权"):
        services.account_password_reset(actor=admins.town_sysadmin, account=both, password=GOOD)
    both.refresh_from_db()
    assert both.is_active and both.check_password(PASSWORD)
    services.account_deactivate(actor=admins.sysadmin, account=both)  # the district administrator may


def test_the_last_root_security_admin_cannot_be_deactivated(admins: Admins, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="只剩这一名有效的安全管理员"):
        services.account_deactivate(actor=admins.sysadmin, account=admins.secadmin)
    admins.secadmin.refresh_from_db()
    assert admins.secadmin.is_active
    make_user("secadmin2", Role.SECURITY_ADMIN, tree.district)
    services.account_deactivate(actor=admins.sysadmin, account=admins.secadmin)
    admins.secadmin.refresh_from_db()
    assert not admins.secadmin.is_active


def test_the_last_root_auditor_cannot_be_deactivated(admins: Admins) -> None:
    with pytest.raises(ValidationError, match="审计管理员"):
        services.account_deactivate(actor=admins.sysadmin, account=admins.auditor)


def test_resetting_a_password(admins: Admins, personas: Personas) -> None:
    url = reverse("accounts:admin_password_reset", args=[personas.secretary_a.pk])
    response = _client(admins.sysadmin).post(url, {"password1": GOOD, "password2": GOOD}, follow=True)
    assert "密码已重置" in response.content.decode()
    assert _login(Client(), "secretary_a", GOOD).status_code == 302
    assert Event.objects.get(action="account.password_reset").changes == {"username": "secretary_a"}
    assert GOOD not in _ledger_text()


@pytest.mark.parametrize(("password1", "password2", "message"), [(WEAK, WEAK, "至少三类"), (GOOD, GOOD + "x", "两次输入的密码不一致")])
def test_a_bad_reset_password_is_refused(admins: Admins, personas: Personas, password1: str, password2: str, message: str) -> None:
    url = reverse("accounts:admin_password_reset", args=[personas.secretary_a.pk])
    response = _client(admins.sysadmin).post(url, {"password1": password1, "password2": password2}, follow=True)
    assert message in response.content.decode()
    personas.secretary_a.refresh_from_db()
    assert personas.secretary_a.check_password(PASSWORD) and not Event.objects.exists()


@pytest.mark.parametrize("admin", ["secadmin", "auditor", "town_sysadmin"])
def test_the_system_admin_cannot_reset_an_administrators_password(admins: Admins, admin: str) -> None:
    target = getattr(admins, admin)
    if admin == "town_sysadmin":
        target = make_user("village_sysadmin", Role.SYSTEM_ADMIN, admins.town_sysadmin.grants.get().organization)
    with pytest.raises(ValidationError, match="三权分立"):
        services.account_password_reset(actor=admins.sysadmin, account=target, password=GOOD)
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not Event.objects.exists()


def test_the_security_admin_cannot_reset_passwords(admins: Admins, personas: Personas) -> None:
    url = reverse("accounts:admin_password_reset", args=[personas.secretary_a.pk])
    assert _client(admins.secadmin).post(url, {"password1": GOOD, "password2": GOOD}).status_code == 403
    personas.secretary_a.refresh_from_db()
    assert personas.secretary_a.check_password(PASSWORD)


# ---- the security administrator: roles ----------------------------------------------------------------


def _grant(client: Client, account: User, org_pk: int, role: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:admin_grant_add", args=[account.pk]), {"organization": org_pk, "role": role}, follow=True)


def test_a_granted_village_role_shows_village_a_only(admins: Admins, tree: Tree) -> None:
    new = make_user("new_staff")
    response = _grant(_client(admins.secadmin), new, tree.village_a.pk, Role.VILLAGE_STAFF)
    assert "已授予" in response.content.decode()
    grant = new.grants.get()
    assert (grant.organization, grant.role) == (tree.village_a, Role.VILLAGE_STAFF)
    event = Event.objects.get(action="grant.add")
    assert event.org_name == "甲村" and event.changes == {
        "username": "new_staff",
        "role": "village_staff",
        "organization": tree.village_a.code,
    }
    client = _client(new)
    assert client.get(reverse("orgs:detail", args=[tree.village_a.pk])).status_code == 200
    assert client.get(reverse("orgs:detail", args=[tree.village_b.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[tree.town.pk])).status_code == 404


def test_granting_on_an_organization_outside_scope_is_a_404(admins: Admins, tree: Tree) -> None:
    new = make_user("new_staff")
    assert _grant(_client(admins.town_secadmin), new, tree.community_c.pk, Role.VILLAGE_STAFF).status_code == 404
    assert _grant(_client(admins.town_secadmin), new, 999_999, Role.VILLAGE_STAFF).status_code == 404
    with pytest.raises(PermissionDenied):
        services.grant_add(actor=admins.town_secadmin, account=new, organization=tree.community_c, role=Role.VILLAGE_STAFF)
    assert not new.grants.exists() and not Event.objects.exists()


def test_granting_to_an_account_outside_scope_is_a_404(admins: Admins, personas: Personas, tree: Tree) -> None:
    response = _grant(_client(admins.town_secadmin), personas.district_admin, tree.village_a.pk, Role.VILLAGE_STAFF)
    assert response.status_code == 404
    assert personas.district_admin.grants.count() == 1


def test_nobody_grants_or_revokes_for_themselves(admins: Admins, tree: Tree) -> None:
    response = _grant(_client(admins.secadmin), admins.secadmin, tree.village_a.pk, Role.VILLAGE_STAFF)
    assert "不能为自己授予角色" in response.content.decode()
    assert admins.secadmin.grants.count() == 1
    own = admins.secadmin.grants.get()
    response = _client(admins.secadmin).post(reverse("accounts:admin_grant_revoke", args=[admins.secadmin.pk, own.pk]), follow=True)
    assert "不能撤销自己的角色" in response.content.decode()
    assert RoleGrant.objects.filter(pk=own.pk).exists() and not Event.objects.exists()


@pytest.mark.parametrize(("held", "wanted"), [(a, b) for a in sorted(ADMIN_ROLES) for b in sorted(ADMIN_ROLES) if a != b])
def test_one_account_never_holds_two_admin_roles(admins: Admins, tree: Tree, held: str, wanted: str) -> None:
    user = make_user("admin_x", held, tree.town)
    with pytest.raises(ValidationError, match="等保三权分立"):
        services.grant_add(actor=admins.secadmin, account=user, organization=tree.district, role=wanted)
    assert list(user.grants.values_list("role", flat=True)) == [held]
    assert not Event.objects.exists()


def test_the_same_admin_role_on_another_organization_is_fine(admins: Admins, tree: Tree) -> None:
    user = make_user("admin_x", Role.SYSTEM_ADMIN, tree.town)
    services.grant_add(actor=admins.secadmin, account=user, organization=tree.other_town, role=Role.SYSTEM_ADMIN)
    assert user.grants.count() == 2


def test_the_page_says_why_two_admin_roles_are_refused(admins: Admins, tree: Tree) -> None:
    user = make_user("admin_x", Role.SYSTEM_ADMIN, tree.district)
    page = _grant(_client(admins.secadmin), user, tree.district.pk, Role.SECURITY_ADMIN).content.decode()
    assert "等保三权分立" in page and "系统管理员" in page


def test_only_a_district_security_admin_grants_admin_roles(admins: Admins, tree: Tree) -> None:
    new = make_user("new_admin")
    for role in ADMIN_ROLES:
        with pytest.raises(ValidationError, match="区级"):
            services.grant_add(actor=admins.town_secadmin, account=new, organization=tree.village_a, role=role)
    page = _client(admins.town_secadmin).get(reverse("accounts:admin_detail", args=[new.pk])).content.decode()
    assert 'value="security_admin"' not in page and 'value="village_staff"' in page
    services.grant_add(actor=admins.secadmin, account=new, organization=tree.town, role=Role.AUDITOR)
    assert new.grants.get().role == Role.AUDITOR


def test_the_system_admin_cannot_grant(admins: Admins, tree: Tree) -> None:
    new = make_user("new_staff")
    client = _client(admins.sysadmin)
    assert _grant(client, new, tree.village_a.pk, Role.VILLAGE_STAFF).status_code == 403
    assert "授予角色" not in client.get(reverse("accounts:admin_detail", args=[new.pk])).content.decode()
    with pytest.raises(PermissionDenied):
        services.grant_add(actor=admins.sysadmin, account=new, organization=tree.village_a, role=Role.VILLAGE_STAFF)
    assert not new.grants.exists()


def test_a_duplicate_or_unknown_grant_is_refused(admins: Admins, personas: Personas, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="已有"):
        services.grant_add(actor=admins.secadmin, account=personas.secretary_a, organization=tree.village_a, role=Role.VILLAGE_STAFF)
    with pytest.raises(ValidationError, match="未知的角色"):
        services.grant_add(actor=admins.secadmin, account=personas.secretary_a, organization=tree.village_a, role="king")
    page = _grant(_client(admins.secadmin), personas.secretary_a, tree.village_a.pk, "king").content.decode()
    assert "角色" in page and personas.secretary_a.grants.count() == 1


def test_revoking_a_grant(admins: Admins, personas: Personas, tree: Tree) -> None:
    grant = personas.secretary_a.grants.get()
    url = reverse("accounts:admin_grant_revoke", args=[personas.secretary_a.pk, grant.pk])
    assert "已撤销" in _client(admins.town_secadmin).post(url, follow=True).content.decode()
    assert not personas.secretary_a.grants.exists()
    event = Event.objects.get(action="grant.revoke")
    assert event.object_id == str(grant.pk) and event.changes["role"] == "village_staff"
    assert _client(personas.secretary_a).get(reverse("orgs:detail", args=[tree.village_a.pk])).status_code == 404


def test_revoking_outside_scope_or_a_mismatched_grant_is_a_404(admins: Admins, personas: Personas, tree: Tree) -> None:
    c_staff = make_user("c_staff", Role.VILLAGE_STAFF, tree.community_c)
    client = _client(admins.town_secadmin)
    grant_c = c_staff.grants.get()
    assert client.post(reverse("accounts:admin_grant_revoke", args=[c_staff.pk, grant_c.pk])).status_code == 404
    # the grant id must belong to the account in the address
    grant_a = personas.secretary_a.grants.get()
    assert client.post(reverse("accounts:admin_grant_revoke", args=[personas.secretary_b.pk, grant_a.pk])).status_code == 404
    assert RoleGrant.objects.filter(pk__in=[grant_c.pk, grant_a.pk]).count() == 2


def test_a_town_security_admin_cannot_revoke_admin_roles(admins: Admins, tree: Tree) -> None:
    village_sysadmin = make_user("village_sysadmin", Role.SYSTEM_ADMIN, tree.village_a)
    with pytest.raises(ValidationError, match="区级"):
        services.grant_revoke(actor=admins.town_secadmin, grant=village_sysadmin.grants.get())
    services.grant_revoke(actor=admins.secadmin, grant=village_sysadmin.grants.get())
    assert not village_sysadmin.grants.exists()


def test_the_last_root_system_admin_grant_cannot_be_revoked(admins: Admins, tree: Tree) -> None:
    with pytest.raises(ValidationError, match="只剩这一名"):
        services.grant_revoke(actor=admins.secadmin, grant=admins.sysadmin.grants.get())
    assert admins.sysadmin.grants.exists()


# ---- the security administrator: lockouts -------------------------------------------------------------


def test_unlocking_after_five_failed_logins(admins: Admins, personas: Personas) -> None:
    for _ in range(5):
        _login(Client(), "secretary_a", "wrong")
    assert _login(Client(), "secretary_a", PASSWORD).status_code == 429
    client = _client(admins.secadmin)
    assert 'id="lock-status">已锁定' in client.get(reverse("accounts:admin_detail", args=[personas.secretary_a.pk])).content.decode()
    assert "已锁定" in client.get(reverse("accounts:admin_list")).content.decode()
    response = client.post(reverse("accounts:admin_unlock", args=[personas.secretary_a.pk]), follow=True)
    assert "已解锁" in response.content.decode()
    event = Event.objects.get(action="account.unlock")
    # the refused attempt with the right password during the lockout counts too
    assert event.changes["username"] == "secretary_a" and event.changes["failures"] >= 5
    assert _login(Client(), "secretary_a", PASSWORD).status_code == 302


def test_unlocking_an_unlocked_account_says_so(admins: Admins, personas: Personas) -> None:
    response = _client(admins.secadmin).post(reverse("accounts:admin_unlock", args=[personas.secretary_a.pk]), follow=True)
    assert "该账号当前未被锁定" in response.content.decode()
    assert not Event.objects.exists()


def test_old_failures_do_not_count_as_a_lock(admins: Admins, personas: Personas) -> None:
    from datetime import timedelta

    from django.utils import timezone

    _lock("secretary_a")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert services.locked_usernames(["secretary_a"]) == set()


@pytest.mark.parametrize("admin", ["sysadmin", "auditor"])
def test_only_the_security_admin_unlocks(admins: Admins, personas: Personas, admin: str) -> None:
    _lock("secretary_a")
    assert _client(getattr(admins, admin)).post(reverse("accounts:admin_unlock", args=[personas.secretary_a.pk])).status_code == 403
    assert services.locked_usernames(["secretary_a"]) == {"secretary_a"}


def test_a_town_security_admin_cannot_unlock_a_district_account(admins: Admins, personas: Personas) -> None:
    _lock("district_admin")
    url = reverse("accounts:admin_unlock", args=[personas.district_admin.pk])
    assert _client(admins.town_secadmin).post(url).status_code == 404
    assert services.locked_usernames(["district_admin"]) == {"district_admin"}


# ---- every user: their own password -------------------------------------------------------------------


def _change(client: Client, old: str, new: str, new2: str | None = None):  # type: ignore[no-untyped-def]
    data = {"old_password": old, "new_password1": new, "new_password2": new2 or new}
    return client.post(reverse("password_change"), data)


def test_the_password_change_page_is_in_chinese(personas: Personas) -> None:
    page = _client(personas.member).get(reverse("password_change")).content.decode()
    assert "修改密码" in page and "旧密码" in page and "至少三类" in page


def test_changing_the_own_password(personas: Personas) -> None:
    client = _client(personas.member)
    other_session = _client(personas.member)
    response = _change(client, PASSWORD, GOOD)
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "密码已修改" in client.get(reverse("password_change_done")).content.decode()
    assert client.get(reverse("home")).status_code == 200  # this session stays signed in
    assert other_session.get(reverse("home")).status_code == 302  # every other one ends
    assert _login(Client(), "member", GOOD).status_code == 302
    assert Event.objects.get(action="account.password_change").changes == {"username": "member"}
    assert GOOD not in _ledger_text()


@pytest.mark.parametrize(
    ("old", "new", "new2", "message"),
    [
        (PASSWORD, WEAK, None, "至少三类"),
        (PASSWORD, "Password123", None, "太常见"),
        (PASSWORD, GOOD, GOOD + "x", "不一致"),
        ("wrong", GOOD, None, "旧密码不正确"),
    ],
)
def test_a_bad_password_change_is_refused(personas: Personas, old: str, new: str, new2: str | None, message: str) -> None:
    response = _change(_client(personas.member), old, new, new2)
    assert response.status_code == 200 and message in response.content.decode()
    personas.member.refresh_from_db()
    assert personas.member.check_password(PASSWORD) and not Event.objects.exists()
