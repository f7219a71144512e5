"""The OpenAPI document and the docs page."""

from typing import Any

from django.test import Client


def _schema(client: Client) -> Any:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_lists_every_path(db: None, client: Client) -> None:
    paths = _schema(client)["paths"]
    assert set(paths) == {
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/posts",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/{post_id}/end",
        "/api/v1/decisions",
        "/api/v1/decisions/stats",
        "/api/v1/decisions/{decision_id}",
        "/api/v1/decisions/{decision_id}/file",
        "/api/v1/decisions/{decision_id}/meetings",
        "/api/v1/decisions/{decision_id}/moves/{action}",
        "/api/v1/decisions/{decision_id}/notices",
        "/api/v1/decisions/{decision_id}/objections",
        "/api/v1/decisions/{decision_id}/progress",
        "/api/v1/decisions/{decision_id}/town-review",
        "/api/v1/meetings/{meeting_id}/override",
        "/api/v1/objections/{objection_id}/answer",
    }
    assert set(paths["/api/v1/people"]) == {"get", "post"}
    assert set(paths["/api/v1/people/{person_id}"]) == {"get", "patch"}


def test_every_operation_has_a_chinese_summary_a_tag_and_documented_errors(db: None, client: Client) -> None:
    for path, operations in _schema(client)["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and not operation["summary"].isascii(), (path, method)
            assert operation["tags"] and operation["tags"][0] in {"组织", "人员", "党员", "职务", "四议两公开"}
            assert "401" in operation["responses"]
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
