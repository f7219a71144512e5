"""One error shape for every error the API can give, with Chinese messages."""

from collections.abc import Callable

import pytest

from jiceng.accounts.models import User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs import services
from jiceng.orgs.models import Person


@pytest.fixture
def staff_api(api_as: Callable[[User], Api], personas: Personas) -> Api:
    return api_as(personas.secretary_a)


def test_it_answers_an_unknown_path_with_the_error_shape(staff_api: Api) -> None:
    error = assert_error(staff_api.get("/no-such-thing"), 404, "not_found")
    assert "接口不存在" in error["message"]


def test_it_answers_an_unknown_path_without_auth_in_the_same_shape(anonymous: Api) -> None:
    assert_error(anonymous.get("/no-such-thing/"), 404, "not_found")


def test_the_api_root_is_a_404_in_the_error_shape(staff_api: Api) -> None:
    error = assert_error(staff_api.get("/"), 404, "not_found")
    assert "/api/v1/docs" in error["message"]


def test_a_non_numeric_id_is_a_404(staff_api: Api) -> None:
    assert_error(staff_api.get("/people/abc"), 404, "not_found")


def test_a_wrong_method_is_a_405_in_the_error_shape(staff_api: Api, person_a: Person) -> None:
    response = staff_api.delete(f"/people/{person_a.pk}")
    error = assert_error(response, 405, "method_not_allowed")
    assert "DELETE" in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    assert Person.objects.filter(pk=person_a.pk).exists()


def test_a_page_size_over_the_maximum_is_a_400(staff_api: Api) -> None:
    error = assert_error(staff_api.get("/people", page_size=201), 400, "invalid")
    assert error["fields"] == {"page_size": ["应不大于 200。"]}


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_a_bad_page_number_is_a_400(staff_api: Api, page: str) -> None:
    error = assert_error(staff_api.get("/people", page=page), 400, "invalid")
    assert list(error["fields"]) == ["page"]


def test_malformed_json_is_a_400(staff_api: Api) -> None:
    response = staff_api.client.post("/api/v1/people", "{not json", content_type="application/json")
    error = assert_error(response, 400, "bad_request")
    assert "JSON" in error["message"]


def test_missing_and_mistyped_fields_are_named_in_chinese(staff_api: Api, tree: Tree) -> None:
    response = staff_api.post("/people", {"organization": tree.village_a.pk, "gender": "X", "birth_date": "1990-13-01"})
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "name": ["此项为必填项。"],
        "gender": ["取值无效，可选：'M'、'F'。"],
        "birth_date": ["日期格式应为 YYYY-MM-DD。"],
    }
    assert error["message"] == "提交的数据有误，请按各字段的提示修改。"
    assert not Person.objects.exists()


def test_unknown_fields_are_refused_rather_than_ignored(staff_api: Api, tree: Tree) -> None:
    response = staff_api.post("/people", {"organization": tree.village_a.pk, "name": "王五", "gender": "M", "id_numbr": "x"})
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"id_numbr": ["不支持该字段。"]}
    assert error["message"] == "不支持该字段。"


def test_a_body_that_is_not_an_object_is_a_400(staff_api: Api) -> None:
    response = staff_api.client.post("/api/v1/people", "[1, 2]", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_a_service_error_without_a_field_goes_under_all(staff_api: Api, person_a: Person) -> None:
    error = assert_error(staff_api.patch(f"/people/{person_a.pk}", {}), 400, "invalid")
    assert error["fields"] == {"__all__": ["请至少提供一个要修改的字段。"]}


def test_an_unexpected_failure_is_a_500_in_the_error_shape(
    staff_api: Api, tree: Tree, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "person_create", broken)
    response = staff_api.post("/people", {"organization": tree.village_a.pk, "name": "王五", "gender": "M"})
    error = assert_error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "服务器内部错误" in error["message"]
    assert any(r.name == "jiceng.api" and r.exc_info for r in caplog.records)
    assert not Event.objects.exists()


def test_messages_are_sent_as_utf8_not_escaped(staff_api: Api) -> None:
    assert "接口不存在".encode() in staff_api.get("/nope").content
    assert "未登录".encode() in Api(staff_api.client.__class__()).get("/people").content
