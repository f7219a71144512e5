"""Helpers for API tests: a JSON client signed in by session or by a personal token."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiceng.accounts.models import User
from jiceng.accounts.tokens import token_create

BASE = "/api/v1"


class Api:
    """A thin JSON client over Django's test client; paths are relative to /api/v1."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(BASE + path, json.dumps(data or {}), content_type="application/json", headers=self.headers)

    def patch(self, path: str, data: Any = None) -> Any:
        return self.client.patch(BASE + path, json.dumps(data or {}), content_type="application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path, headers=self.headers)


@pytest.fixture
def api_as(db: None) -> Callable[[User], Api]:
    """An API client signed in through the browser session (CSRF not enforced by the test client)."""

    def make(user: User) -> Api:
        client = Client()
        client.force_login(user)
        return Api(client)

    return make


@pytest.fixture
def api_token(db: None) -> Callable[[User], Api]:
    """An API client carrying a fresh personal token of the user, and no session."""

    def make(user: User) -> Api:
        _, plain = token_create(user=user, name="测试令牌")
        return Api(Client(), {"Authorization": f"Bearer {plain}"})

    return make


@pytest.fixture
def anonymous(db: None) -> Api:
    return Api(Client())


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Every error has the one shape; returns its "error" object for further checks."""
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error
