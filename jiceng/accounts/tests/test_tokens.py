"""Personal API tokens: the services (hashed storage, audit, revocation) and the token page."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiceng.accounts.models import ApiToken
from jiceng.accounts.tokens import token_authenticate, token_create, token_revoke
from jiceng.audit.models import Event
from jiceng.conftest import Personas

# ---- services ------------------------------------------------------------------------------


def test_it_stores_only_the_sha256_of_the_token(personas: Personas) -> None:
    token, plain = token_create(user=personas.secretary_a, name="小程序")
    assert plain.startswith("jc_") and len(plain) >= 40
    token.refresh_from_db()
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert token.prefix == plain[:9]
    with connection.cursor() as cursor:
        for table in ("accounts_apitoken", "audit_event"):
            cursor.execute(f"SELECT * FROM {table}")
            assert plain not in str(cursor.fetchall())


def test_every_token_is_different(personas: Personas) -> None:
    plains = {token_create(user=personas.secretary_a, name=f"令牌{i}")[1] for i in range(5)}
    assert len(plains) == 5


def test_creating_a_token_is_audited_without_its_value(personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_a, name="小程序")
    event = Event.objects.get(action="token.create")
    assert (event.actor_id, event.object_id) == (personas.secretary_a.pk, str(token.pk))
    assert event.changes == {"name": "小程序", "prefix": token.prefix}


@pytest.mark.parametrize("name", ["", "   ", "长" * 101])
def test_a_blank_or_overlong_name_is_refused(personas: Personas, name: str) -> None:
    with pytest.raises(ValidationError) as info:
        token_create(user=personas.secretary_a, name=name)
    assert list(info.value.message_dict) == ["name"]
    assert not ApiToken.objects.exists()
    assert not Event.objects.exists()


def test_revoking_stamps_the_token_and_is_audited(personas: Personas) -> None:
    token, plain = token_create(user=personas.secretary_a, name="脚本")
    token_revoke(actor=personas.secretary_a, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1
    assert token_authenticate(plain) is None


def test_revoking_twice_is_refused(personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_a, name="脚本")
    token_revoke(actor=personas.secretary_a, token=token)
    with pytest.raises(ValidationError):
        token_revoke(actor=personas.secretary_a, token=token)
    assert Event.objects.filter(action="token.revoke").count() == 1


def test_nobody_revokes_another_users_token(personas: Personas) -> None:
    token, plain = token_create(user=personas.secretary_a, name="脚本")
    with pytest.raises(PermissionDenied):
        token_revoke(actor=personas.district_admin, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_authenticate(plain) == personas.secretary_a


@pytest.mark.parametrize("presented", ["", "jc_", "jc_wrong", "Bearer jc_x", "x" * 50])
def test_a_wrong_token_authenticates_nobody(personas: Personas, presented: str) -> None:
    token_create(user=personas.secretary_a, name="脚本")
    assert token_authenticate(presented) is None


def test_a_token_of_a_disabled_user_authenticates_nobody(personas: Personas) -> None:
    _, plain = token_create(user=personas.secretary_a, name="脚本")
    personas.secretary_a.is_active = False
    personas.secretary_a.save(update_fields=["is_active"])
    assert token_authenticate(plain) is None


# ---- the token page ------------------------------------------------------------------------


@pytest.fixture
def browser(personas: Personas) -> Client:
    client = Client()
    client.force_login(personas.secretary_a)
    return client


def test_the_page_needs_a_login(db: None, client: Client) -> None:
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_lists_own_tokens_only(browser: Client, personas: Personas) -> None:
    token_create(user=personas.secretary_a, name="我的小程序")
    token_create(user=personas.secretary_b, name="别人的脚本")
    page = browser.get(reverse("accounts:tokens")).content.decode()
    assert "我的小程序" in page
    assert "别人的脚本" not in page


def test_creating_shows_the_token_once(browser: Client, personas: Personas) -> None:
    response = browser.post(reverse("accounts:tokens"), {"name": "数据同步"})
    assert response.status_code == 200
    plain = response.context["plain_token"]
    page = response.content.decode()
    assert plain in page and "只显示这一次" in page
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=personas.secretary_a)
    assert token.name == "数据同步" and token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    later = browser.get(reverse("accounts:tokens")).content.decode()
    assert plain not in later and token.prefix in later


def test_creating_without_a_name_shows_the_error_and_creates_nothing(browser: Client) -> None:
    response = browser.post(reverse("accounts:tokens"), {"name": "  "})
    assert response.status_code == 200
    assert "请填写令牌名称" in response.content.decode()
    assert response.context["plain_token"] is None
    assert not ApiToken.objects.exists()


def test_revoking_an_own_token(browser: Client, personas: Personas) -> None:
    token, plain = token_create(user=personas.secretary_a, name="旧脚本")
    response = browser.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:tokens")
    assert "已撤销" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(plain) is None


def test_revoking_another_users_token_is_a_404(browser: Client, personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_b, name="别人的脚本")
    assert browser.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not Event.objects.filter(action="token.revoke").exists()


def test_revoking_a_missing_token_is_a_404(browser: Client) -> None:
    assert browser.post(reverse("accounts:token_revoke", args=[999])).status_code == 404


def test_revoking_needs_a_post(browser: Client, personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_a, name="脚本")
    assert browser.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_an_already_revoked_token_says_so(browser: Client, personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_a, name="脚本")
    token_revoke(actor=personas.secretary_a, token=token)
    response = browser.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "该令牌已撤销。" in response.content.decode()


def test_revoking_needs_a_login(db: None, client: Client, personas: Personas) -> None:
    token, _ = token_create(user=personas.secretary_a, name="脚本")
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None
