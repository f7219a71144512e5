"""Login security (GB/T 22239-2019 level 3, domain.md §9.3): lockout, password policy, idle logout."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from jiceng.conftest import PASSWORD, Personas, Tree, make_user


def _login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_logs_in_with_the_right_password(db: None) -> None:
    make_user("alice")
    response = _login(Client(), "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


def test_it_says_in_chinese_when_the_password_is_wrong(db: None) -> None:
    make_user("alice")
    response = _login(Client(), "alice", "wrong")
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()


def test_it_locks_the_account_after_five_failures(db: None) -> None:
    make_user("alice")
    client = Client()
    for _ in range(4):
        assert _login(client, "alice", "wrong").status_code == 200
    locked = _login(client, "alice", "wrong")
    assert locked.status_code == 429 and "账号已锁定" in locked.content.decode()
    # even the right password is refused while locked, from any browser
    assert _login(Client(), "alice", PASSWORD).status_code == 429


def test_four_failures_do_not_lock_and_a_success_resets_the_count(db: None) -> None:
    make_user("alice")
    client = Client()
    for _ in range(4):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    for _ in range(4):
        assert _login(Client(), "alice", "wrong").status_code == 200


def test_the_lockout_lasts_thirty_minutes() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60


@pytest.mark.parametrize(
    "password",
    ["Short1!", "alllowercase", "ALLUPPER123", "lowerupper", "12345678901", "lower-case-only"],
)
def test_it_refuses_weak_passwords(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Jiceng@2026", "dangjian-2026X", "Qwerty#Jiceng9"])
def test_it_accepts_passwords_with_three_classes(password: str) -> None:
    validate_password(password)


def test_sessions_end_after_thirty_idle_minutes() -> None:
    # Requests renew the session's expiry (at most once a minute, jiceng/web/tests/test_sessions.py),
    # so the age is an idle timeout, not an absolute one.
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ENGINE == "jiceng.web.sessions"


def test_healthz_reports_database_and_migrations(db: None) -> None:
    data = Client().get("/healthz").json()
    assert data["status"] == "ok" and data["migrations"]["pending"] == 0 and data["database"] in {"sqlite", "postgresql"}


def test_the_switcher_limits_scope_to_one_grant(personas: Personas, tree: Tree) -> None:
    from jiceng.accounts.models import Role

    user = make_user("multi", Role.VILLAGE_STAFF, tree.village_a)
    grant_c = user.grants.create(organization=tree.community_c, role=Role.VILLAGE_STAFF)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("orgs:detail", args=[tree.village_a.pk])).status_code == 200
    client.post(reverse("switch_grant"), {"grant_id": grant_c.pk})
    assert client.get(reverse("orgs:detail", args=[tree.village_a.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[tree.community_c.pk])).status_code == 200
    # someone else's grant id is ignored: back to the union of the user's own grants
    client.post(reverse("switch_grant"), {"grant_id": personas.secretary_b.grants.get().pk})
    assert client.get(reverse("orgs:detail", args=[tree.village_a.pk])).status_code == 200


def test_a_password_set_by_an_administrator_must_be_changed_first(personas: Personas, tree: Tree) -> None:
    from jiceng.accounts import services

    system_admin = make_user("sys", "system_admin", tree.district)
    account = services.account_create(actor=system_admin, username="newbie", display_name="新人", password="Initial#2026")
    client = Client()
    assert _login(client, "newbie", "Initial#2026").status_code == 302
    assert client.get(reverse("orgs:tree"))["Location"] == reverse("password_change")
    assert client.get("/api/v1/people").status_code == 403
    response = client.post(
        reverse("password_change"), {"old_password": "Initial#2026", "new_password1": "Mine#Secret2026", "new_password2": "Mine#Secret2026"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.must_change_password is False
    assert client.get(reverse("home")).status_code == 200


def test_the_short_password_message_is_chinese() -> None:
    with pytest.raises(ValidationError, match="密码太短"):
        validate_password("Ab1!")
