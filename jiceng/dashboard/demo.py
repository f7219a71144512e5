"""Demo indicator history for the dashboards (filled in by the rollup work)."""

from typing import Any


def load(stdout: Any = None) -> None:
    return None
