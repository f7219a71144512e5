from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    """The lookup counter lives in the process-wide cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()
