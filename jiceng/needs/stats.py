"""Figures of the needs loop (issue 4 §Statistics, needs part), computed from the records.

Received, vetted, listed, claimed, fulfilled, confirmed; the median time from listing to the first
claim and from submission to fulfilment; per community, town or district. Two queries whatever the
size: the needs in scope (a few timestamps each) and the names of the grouping organizations.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from jiceng.accounts.access import scope
from jiceng.accounts.models import User
from jiceng.needs import access
from jiceng.needs.models import Need, NeedStatus
from jiceng.orgs.models import Organization

LEVELS = {"district": 1, "town": 2, "community": 3}


@dataclass
class Row:
    org: Organization | None
    path: str
    received: int = 0
    vetted: int = 0
    listed: int = 0
    claimed: int = 0
    fulfilled: int = 0
    confirmed: int = 0
    silent: int = 0
    _to_claim: list[float] = field(default_factory=list, repr=False)
    _to_fulfil: list[float] = field(default_factory=list, repr=False)

    @property
    def median_days_to_claim(self) -> float | None:
        return round(median(self._to_claim), 1) if self._to_claim else None

    @property
    def median_days_to_fulfil(self) -> float | None:
        return round(median(self._to_fulfil), 1) if self._to_fulfil else None

    @property
    def name(self) -> str:
        return self.org.name if self.org else "合计"


def _days(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None or b < a:
        return None
    return (b - a) / timedelta(days=1)


def _add(row: Row, n: Mapping[str, Any]) -> None:
    row.received += 1
    row.vetted += n["vetted_at"] is not None
    row.listed += n["listed_at"] is not None
    row.claimed += n["first_claimed_at"] is not None
    row.fulfilled += n["delivered_at"] is not None
    row.confirmed += n["confirmed_at"] is not None
    row.silent += n["confirm_mode"] == "silence"
    if (d := _days(n["listed_at"], n["first_claimed_at"])) is not None:
        row._to_claim.append(d)
    if (d := _days(n["submitted_at"], n["delivered_at"])) is not None:
        row._to_fulfil.append(d)


def figures(user: User, level: str = "community", year: int | None = None) -> tuple[list[Row], Row]:
    """Rows per organization at `level` in the user's scope, and the total. Merged duplicates are
    not counted as needs received (they are the same need)."""
    # Cut the community's path by levels up from it, not at a fixed depth: a district may sit under a city.
    cut = (LEVELS["community"] - LEVELS.get(level, 3)) * Organization.steplen
    qs = scope(Need.objects.exclude(status=NeedStatus.MERGED), user, access.roles("need.view"), "community__path")
    if year:
        qs = qs.filter(submitted_at__year=year)
    rows: dict[str, Row] = {}
    total = Row(org=None, path="")
    for n in qs.values(
        "community__path", "submitted_at", "vetted_at", "listed_at", "first_claimed_at", "delivered_at", "confirmed_at", "confirm_mode"
    ):
        path = str(n["community__path"])
        key = path[: len(path) - cut]
        _add(rows.setdefault(key, Row(org=None, path=key)), n)
        _add(total, n)
    orgs = {o.path: o for o in Organization.objects.filter(path__in=list(rows))}
    for row in rows.values():
        row.org = orgs.get(row.path)
    return sorted(rows.values(), key=lambda r: r.path), total
