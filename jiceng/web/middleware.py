from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


class ActiveGrantMiddleware:
    """Puts the grant chosen in the organization switcher on the user, so scoping sees only it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            request.user.active_grant_id = request.session.get("grant_id")  # type: ignore[union-attr,attr-defined]
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user whose password was set by an administrator must replace it before anything else
    (GB/T 22239-2019 身份鉴别, domain.md §9.3)."""

    ALLOWED = ("/password/", "/logout/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if getattr(user, "must_change_password", False) and not request.path.startswith(self.ALLOWED):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "password_change_required", "message": "请先登录网页修改初始密码。", "fields": {}}}, status=403
                )
            return redirect("password_change")
        return self.get_response(request)
