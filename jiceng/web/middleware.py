from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ActiveGrantMiddleware:
    """Puts the grant chosen in the organization switcher on the user, so scoping sees only it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            request.user.active_grant_id = request.session.get("grant_id")  # type: ignore[union-attr,attr-defined]
        return self.get_response(request)
