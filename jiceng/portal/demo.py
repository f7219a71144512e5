"""Demo news and disclosures for the public portal (filled in by the portal demo work)."""

from typing import Any


def load(stdout: Any = None) -> None:
    return None
