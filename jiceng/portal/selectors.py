"""Reads of the public portal: public names of places and published notices, nothing personal."""

from dataclasses import dataclass, field
from datetime import date

from jiceng.decisions.models import Notice
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind

TOWN_KINDS = (OrgKind.TOWN, OrgKind.SUBDISTRICT)


@dataclass
class Town:
    org: Organization
    places: list[Organization] = field(default_factory=list)


def towns() -> list[Town]:
    """Towns and sub-districts with their villages and communities, in one query."""
    rows = (
        Organization.objects.filter(kind__in=[*TOWN_KINDS, *GRASSROOTS_KINDS], is_active=True)
        .only("name", "code", "kind", "path", "depth")
        .order_by("path")
    )
    by_path: dict[str, Town] = {}
    for org in rows:
        if org.kind in TOWN_KINDS:
            by_path[org.path] = Town(org)
        elif (town := by_path.get(org.path[: -Organization.steplen])) is not None:
            town.places.append(org)
    return list(by_path.values())


def village(code: str) -> Organization | None:
    return Organization.objects.filter(code=code, kind__in=GRASSROOTS_KINDS, is_active=True).first()


@dataclass
class Board:
    current: list[Notice]
    past: list[Notice]


def board(place: Organization, today: date) -> Board:
    """The place's published notices: those on the board today, and those whose period has ended.

    A notice dated in the future is not on any board yet; its printed code still verifies.
    """
    notices = list(
        Notice.objects.filter(decision__village=place, published_on__lte=today)
        .only("code", "kind", "title", "published_on", "notice_days")
        .order_by("-published_on", "-pk")
    )
    return Board(current=[n for n in notices if n.on_notice(today)], past=[n for n in notices if not n.on_notice(today)])
