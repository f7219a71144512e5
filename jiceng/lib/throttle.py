"""Request limits kept in Django's cache: a window opens with the first attempt under a key and
counts until it expires (no clock boundaries, so a burst cannot straddle two windows)."""

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # Behind a proxy REMOTE_ADDR must be the client's (docs/deployment.md): a forwarded header is
    # not trusted here, since anyone can send one and choose a fresh address for every request.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(key: str, limit: int, window: int = 60) -> bool:
    """Count one attempt under `key`; False once more than `limit` were made in the open window."""
    key = f"throttle:{key}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def allow(request: HttpRequest, scope: str, limit: int, window: int = 60) -> bool:
    """Count this request against its client address."""
    return hit(f"{scope}:ip:{client_address(request)}", limit, window)
