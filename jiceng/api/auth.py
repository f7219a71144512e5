"""Who is calling: a personal API token (Authorization: Bearer jc_…) or the browser's session.

The token is tried first, so a script never meets the CSRF check. A presented token that is
wrong or revoked is refused outright (401) rather than falling back to a session. A session
counts only with a valid CSRF token on unsafe methods, like Django's own views.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from jiceng.accounts.models import User
from jiceng.accounts.tokens import token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = token_authenticate(token.strip())
        if user is None:
            raise AuthenticationError()
        # Code below the API reads request.user; make it the token's owner, not AnonymousUser.
        request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """ninja's django_auth (csrf=True), but the CSRF check runs only for a signed-in session.

    ninja checks CSRF before it knows whether anyone is signed in, which would answer an anonymous
    POST with 403 instead of 401.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise PermissionDenied("CSRF 校验失败，请刷新页面后重试；脚本调用请使用接口令牌。")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


token_auth = TokenAuth()
session_auth = SessionAuth(csrf=True)


def current_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by one of the auth callbacks above)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user
