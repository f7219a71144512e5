"""The layout's navigation links, rendered once per process for each set of navigation flags.

The links depend only on which sections the user's roles open (jiceng.web.context._nav), the active
language and where the URLs are mounted: reversing 13 URLs and translating their labels on every
page was a measurable share of a logged-in page's fixed cost. Nothing user-specific (CSRF token,
grants, name) is in the cached fragment, so it cannot leak between users.
"""

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def nav_links(nav: Mapping[str, bool]) -> SafeString:
    """The header's links for these flags (web/_partials/nav_links.html)."""
    shown = frozenset(name for name, on in nav.items() if on)
    return _render(get_language(), get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF), shown)


@lru_cache(maxsize=256)
def _render(language: str, prefix: str, urlconf: str, shown: frozenset[str]) -> SafeString:
    # The key holds everything the rendering reads: reverse() uses the current prefix and URLconf,
    # {% translate %} the active language. The fragment comes from the template engine, escaped.
    return mark_safe(render_to_string("web/_partials/nav_links.html", {"nav": dict.fromkeys(shown, True)}))


@receiver(file_changed, dispatch_uid="jiceng.web.nav_links")
def _forget_on_edit(sender: Any, file_path: Any, **kwargs: Any) -> None:
    """runserver reloads templates without restarting; drop the fragments so an edit shows."""
    _render.cache_clear()
