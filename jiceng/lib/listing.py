"""Cheap pieces for list pages and API lists, whose cost is paid once per row.

Profiling the list pages (docs/performance.md) found two per-row costs that add up to a large
share of a page's time: `Model.get_FOO_display()`, which rebuilds and hashes the whole choice list
(translating every lazy label) on each call, and `reverse()` (or `{% url %}`) for each row's link.
`choice_labels` translates a choice list once per language; `pk_url` reverses a URL pattern once and
formats each row's id into it.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db.models import Choices
from django.urls import reverse
from django.utils.translation import get_language

_MARK = 987654321  # an id no URL holds otherwise, replaced by each row's id


def pk_url(name: str) -> Callable[[int], str]:
    """The URL named `name` (one integer argument) as a function of the id: one reverse() per page."""
    return reverse(name, args=[_MARK]).replace(str(_MARK), "{}").format


def choice_labels(choices: type[Choices]) -> dict[Any, str]:
    """Value → translated label of a choices class, in the active language (what get_FOO_display shows)."""
    return _labels(choices, get_language())


@cache
def _labels(choices: type[Choices], language: str | None) -> dict[Any, str]:
    # language is only the cache key: the labels are translated in the language active now
    return {value: str(label) for value, label in choices.choices}


def label(choices: type[Choices], value: Any) -> str:
    """One value's label; an unknown value is shown as it is, as get_FOO_display does."""
    return choice_labels(choices).get(value, value)
