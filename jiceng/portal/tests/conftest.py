from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    """The lookup counter lives in the process-wide cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def empty_outbox() -> Iterator[None]:
    from jiceng.needs.otp import ConsoleGateway

    ConsoleGateway.outbox.clear()
    yield
    ConsoleGateway.outbox.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
