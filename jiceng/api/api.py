"""The JSON API, version 1, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from jiceng.api import decisions, errors, grid, grid_sweeps, members, needs, needs_service, organizations, people, posts
from jiceng.api.auth import session_auth, token_auth


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 as is, so messages read as Chinese in curl and logs rather than \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


DESCRIPTION = """基层党建与治理平台的 JSON 接口。

**认证**：在“接口令牌”页面创建个人令牌，请求时带上 `Authorization: Bearer jc_…`；
浏览器内已登录的会话也可调用，但修改类请求须带 CSRF 令牌（`X-CSRFToken`）。

**范围**：每个账号只能看到、操作其授权组织及下级；“不属于您”与“不存在”一律返回 404。

**错误**：所有错误都是同一形状：
`{"error": {"code": "…", "message": "中文说明", "fields": {"字段": ["说明"]}}}`；数据校验错误一律为 400。

**分页**：列表接受 `page`、`page_size`（最多 200），返回 `{"items": […], "count": n, "page": p, "page_size": s}`。
"""

api = NinjaAPI(
    title="基层 Jiceng API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[token_auth, session_auth],
    renderer=ChineseJSONRenderer(),
)
errors.register(api)

api.add_router("/organizations", organizations.router)
api.add_router("/people", people.router)
api.add_router("/members", members.router)
api.add_router("/posts", posts.router)
api.add_router("", decisions.router)  # /decisions, /objections, /meetings

api.add_router("", grid.router)
api.add_router("", grid_sweeps.router)  # /sweeps, /mobilizations
api.add_router("", needs.router)
api.add_router("", needs_service.router)
