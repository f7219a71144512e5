"""The one error shape of the API: {"error": {"code", "message", "fields"}}, for every status.

Validation problems are always 400 (never 422), whether pydantic found them at the edge or a
service raised Django's ValidationError. Messages are Chinese; `fields` maps a request field to
its messages, with "__all__" for problems that belong to no single field.
"""

import functools
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("jiceng.api")

NOT_FOUND = "对象不存在，或不在您的管辖范围内。"
UNAUTHENTICATED = "未登录或令牌无效。"
FORBIDDEN = "您无权进行此操作。"
INVALID = "提交的数据有误，请按各字段的提示修改。"
SERVER_ERROR = "服务器内部错误，请稍后重试；如持续出现，请联系系统管理员。"

_STATUS = {
    400: ("bad_request", "请求格式有误：请求体应为有效的 JSON。"),
    401: ("unauthenticated", UNAUTHENTICATED),
    403: ("forbidden", FORBIDDEN),
    404: ("not_found", NOT_FOUND),
    405: ("method_not_allowed", "不支持该请求方法。"),
    429: ("throttled", "请求过于频繁，请稍后再试。"),
    500: ("server_error", SERVER_ERROR),
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


# ---- pydantic's messages, in Chinese -------------------------------------------------------


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages: dict[str, str] = {
        "missing": "此项为必填项。",
        "extra_forbidden": "不支持该字段。",
        "string_type": "应为文本。",
        "string_too_short": "内容过短，至少 {min_length} 个字符。",
        "string_too_long": "内容过长，最多 {max_length} 个字符。",
        "int_type": "应为整数。",
        "int_parsing": "应为整数。",
        "int_from_float": "应为整数。",
        "bool_type": "应为 true 或 false。",
        "bool_parsing": "应为 true 或 false。",
        "date_type": "应为日期，格式 YYYY-MM-DD。",
        "date_parsing": "日期格式应为 YYYY-MM-DD。",
        "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
        "date_from_datetime_inexact": "应为日期，不含时间。",
        "greater_than": "应大于 {gt}。",
        "greater_than_equal": "应不小于 {ge}。",
        "less_than": "应小于 {lt}。",
        "less_than_equal": "应不大于 {le}。",
        "enum": "取值无效，可选：{expected}。",
        "literal_error": "取值无效，可选：{expected}。",
        "model_type": "应为 JSON 对象。",
        "model_attributes_type": "应为 JSON 对象。",
        "dict_type": "应为 JSON 对象。",
        "list_type": "应为列表。",
    }
    if "expected" in ctx:
        ctx = ctx | {"expected": str(ctx["expected"]).replace(" or ", "、").replace(", ", "、")}
    template = messages.get(kind)
    if template is None:
        # Our own validators (ID number, phone) already speak Chinese; pydantic's others do not.
        msg = str(error.get("msg", ""))
        return msg if _CJK.search(msg) else "取值无效。"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("，")[0] + "。"


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "stage") -> "stage"; ("query", "page_size") -> "page_size"."""
    parts = [str(p) for p in loc[1:]]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD_ERRORS


def _fields_from_pydantic(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(_pydantic_message(error))
    return fields


# ---- handlers ------------------------------------------------------------------------------


def register(api: "NinjaAPI") -> None:
    """Install a handler for every error class the API can meet; each answers with the one shape."""

    def respond(request: HttpRequest, status: int, payload: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, payload, status=status)

    def invalid(request: HttpRequest, fields: dict[str, list[str]]) -> HttpResponse:
        messages = [m for field_messages in fields.values() for m in field_messages]
        message = messages[0] if len(messages) == 1 else INVALID
        return respond(request, 400, body("invalid", message, fields))

    @api.exception_handler(NinjaValidationError)
    def on_pydantic(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return invalid(request, _fields_from_pydantic(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            return invalid(request, {key: [str(m) for m in messages] for key, messages in exc.message_dict.items()})
        return invalid(request, {NON_FIELD_ERRORS: [str(m) for m in exc.messages]})

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) if _CJK.search(str(exc)) else FORBIDDEN
        return respond(request, 403, body("forbidden", message))

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # One answer for "not yours" and "does not exist": never echo what was looked up.
        return respond(request, 404, body("not_found", NOT_FOUND))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, body("unauthenticated", UNAUTHENTICATED))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, default = _STATUS.get(exc.status_code, ("error", "请求未能完成。"))
        message = exc.message if _CJK.search(exc.message) else default
        return respond(request, exc.status_code, body(code, message))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Unhandled API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, body("server_error", SERVER_ERROR))


# ---- answers from outside an operation (unknown path, wrong method) --------------------------


def _json(status: int, payload: dict[str, Any]) -> HttpResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/v1/ that matches no operation."""
    return _json(404, body("not_found", "接口不存在，请核对地址（参见 /api/v1/docs）。"))


def json_outside_operations(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a wrong method with a plain-text 405 and its root path with Django's HTML 404;
    give both the error shape (keeping the Allow header)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            answer = _json(405, body("method_not_allowed", f"不支持 {request.method} 请求；该地址允许：{allowed}。"))
            answer["Allow"] = allowed
            return answer
        return response

    return wrapper
