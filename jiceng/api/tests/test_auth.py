"""Session and personal-token authentication, CSRF on session writes, and the 401 answer."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import ApiToken, User
from jiceng.accounts.tokens import token_create, token_revoke
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.conftest import Personas, Tree
from jiceng.orgs.models import Person


def _token_client(plain: str, client: Client | None = None) -> Api:
    return Api(client or Client(), {"Authorization": f"Bearer {plain}"})


def _new_person(tree: Tree) -> dict[str, object]:
    return {"organization": tree.village_a.pk, "name": "王五", "gender": "M"}


def test_it_refuses_anonymous_reads(anonymous: Api, tree: Tree) -> None:
    response = anonymous.get("/people")
    error = assert_error(response, 401, "unauthenticated")
    assert error["message"] == "未登录或令牌无效。"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_answers_anonymous_writes_with_401_not_a_csrf_403(tree: Tree) -> None:
    api = Api(Client(enforce_csrf_checks=True))
    assert_error(api.post("/people", _new_person(tree)), 401, "unauthenticated")
    assert not Person.objects.exists()


def test_it_refuses_a_wrong_token(personas: Personas) -> None:
    token_create(user=personas.secretary_a, name="正确的令牌")
    assert_error(_token_client("jc_not-the-right-one").get("/people"), 401, "unauthenticated")


def test_it_refuses_a_token_without_the_jc_prefix(personas: Personas) -> None:
    assert_error(_token_client("abc").get("/people"), 401, "unauthenticated")


def test_it_refuses_an_empty_bearer(personas: Personas) -> None:
    assert_error(Api(Client(), {"Authorization": "Bearer "}).get("/people"), 401, "unauthenticated")


def test_it_refuses_a_revoked_token(personas: Personas) -> None:
    token, plain = token_create(user=personas.secretary_a, name="将被撤销")
    token_revoke(actor=personas.secretary_a, token=token)
    assert_error(_token_client(plain).get("/people"), 401, "unauthenticated")


def test_it_refuses_the_token_of_a_disabled_user(personas: Personas) -> None:
    _, plain = token_create(user=personas.secretary_a, name="停用账号的令牌")
    User.objects.filter(pk=personas.secretary_a.pk).update(is_active=False)
    assert_error(_token_client(plain).get("/people"), 401, "unauthenticated")


def test_a_wrong_token_does_not_fall_back_to_the_session(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.district_admin)
    assert_error(_token_client("jc_wrong", client).get("/people"), 401, "unauthenticated")


def test_it_enforces_csrf_on_session_writes(personas: Personas, tree: Tree) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.secretary_a)
    error = assert_error(Api(client).post("/people", _new_person(tree)), 403, "forbidden")
    assert "CSRF" in error["message"]
    assert not Person.objects.exists()


def test_it_accepts_a_session_write_with_the_csrf_token(personas: Personas, tree: Tree) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.secretary_a)
    # As in the browser: a page sets the CSRF cookie; base.html sends it back as X-CSRFToken.
    assert client.get(reverse("accounts:tokens")).status_code == 200
    api = Api(client, {"X-CSRFToken": client.cookies["csrftoken"].value})
    response = api.post("/people", _new_person(tree))
    assert response.status_code == 201, response.content
    assert Person.objects.filter(name="王五").exists()


def test_session_reads_need_no_csrf_token(personas: Personas, person_a: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.secretary_a)
    assert Api(client).get("/people").status_code == 200


def test_it_accepts_a_bearer_token_and_scopes_by_its_owner(
    api_token: Callable[[User], Api], personas: Personas, person_a: Person, person_b: Person
) -> None:
    response = api_token(personas.secretary_a).get("/people")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [person_a.pk]


def test_token_writes_need_no_csrf_token(personas: Personas, tree: Tree) -> None:
    _, plain = token_create(user=personas.secretary_a, name="脚本")
    response = _token_client(plain, Client(enforce_csrf_checks=True)).post("/people", _new_person(tree))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("age", "refreshed"), [(None, True), (timedelta(seconds=30), False), (timedelta(minutes=2), True)])
def test_it_records_last_use_at_most_once_a_minute(personas: Personas, age: timedelta | None, refreshed: bool) -> None:
    token, plain = token_create(user=personas.secretary_a, name="计时")
    before = None if age is None else timezone.now() - age
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=before)
    assert _token_client(plain).get("/people").status_code == 200
    token.refresh_from_db()
    if refreshed:
        assert token.last_used_at is not None and (before is None or token.last_used_at > before)
    else:
        assert token.last_used_at == before
