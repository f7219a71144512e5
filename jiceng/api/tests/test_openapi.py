"""The OpenAPI document and the docs page."""

from typing import Any

from django.test import Client


def _schema(client: Client) -> Any:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


# One or more paths of every router, so a router that falls out of api.py is noticed.
CORE_PATHS = {
    "/api/v1/organizations",
    "/api/v1/organizations/{org_id}",
    "/api/v1/people",
    "/api/v1/people/{person_id}",
    "/api/v1/members",
    "/api/v1/members/{member_id}",
    "/api/v1/posts",
    "/api/v1/posts/{post_id}/end",
    "/api/v1/decisions",
    "/api/v1/decisions/{decision_id}/meetings",
    "/api/v1/meetings/{meeting_id}/override",
    "/api/v1/objections/{objection_id}/answer",
    "/api/v1/grids",
    "/api/v1/cases",
    "/api/v1/cases/{case_id}/transitions/{action}",
    "/api/v1/sweeps",
    "/api/v1/mobilizations/stats",
    "/api/v1/needs",
    "/api/v1/needs/{need_id}/claim",
    "/api/v1/public/needs/{community_code}",
    "/api/v1/service-reports",
    "/api/v1/points/me",
    "/api/v1/micro-projects",
}
TAGS = {"组织", "人员", "党员", "职务", "四议两公开", "网格", "大排查与临时动员", "群众需求", "双报到与积分"}


def test_openapi_lists_every_router(db: None, client: Client) -> None:
    paths = _schema(client)["paths"]
    assert set(paths) >= CORE_PATHS
    assert all(path.startswith("/api/v1/") for path in paths)
    assert set(paths["/api/v1/people"]) == {"get", "post"}
    assert set(paths["/api/v1/people/{person_id}"]) == {"get", "patch"}


def test_every_operation_has_a_chinese_summary_a_tag_and_documented_errors(db: None, client: Client) -> None:
    for path, operations in _schema(client)["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and not operation["summary"].isascii(), (path, method)
            assert operation["tags"] and operation["tags"][0] in TAGS, (path, method)
            if path.startswith("/api/v1/public/"):
                # Residents use these without an account; the one-time code guards what needs guarding.
                assert not operation.get("security"), (path, method)
                continue
            assert "401" in operation["responses"], (path, method)
            assert operation["security"], (path, method)


def test_openapi_documents_bearer_tokens_and_the_error_shape(db: None, client: Client) -> None:
    schema = _schema(client)
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "fields"}
    person = schema["components"]["schemas"]["PersonOut"]["properties"]
    assert "id_number_masked" in person and "id_number" not in person


def test_the_docs_page_loads(db: None, client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
