"""A fixed-window request limit per client address, kept in Django's cache."""

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # Behind a proxy REMOTE_ADDR must be the client's (docs/deployment.md): a forwarded header is
    # not trusted here, since anyone can send one and choose a fresh address for every request.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request: HttpRequest, scope: str, limit: int, window: int = 60) -> bool:
    """Count this request; False once the address has made more than `limit` in the current window."""
    key = f"throttle:{scope}:{client_address(request)}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
