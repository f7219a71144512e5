from django.urls import URLPattern, URLResolver, path, re_path

from jiceng.api.api import api
from jiceng.api.errors import json_outside_operations, not_found


def _with_json_errors(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    return [
        URLPattern(p.pattern, json_outside_operations(p.callback), p.default_args, p.name) if isinstance(p, URLPattern) else p
        for p in patterns
    ]


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("", (_with_json_errors(_patterns), _app_name, _namespace)),
    # Anything else under /api/v1/ answers 404 in the API's error shape, not with an HTML page.
    re_path(r"", not_found),
]
