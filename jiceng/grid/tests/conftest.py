"""Grids of the test tree: 甲村 has two side-by-side grids, 乙村 one, 丙社区 one; a grid worker of 甲村
serves grid A1. Coordinates are small rectangles near Jiangmen (113.0E 22.6N)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.conftest import Personas, Tree, make_user
from jiceng.grid import services
from jiceng.grid.geometry import rectangle
from jiceng.grid.models import Case, CaseCategory, Grid, GridMember, MemberRole
from jiceng.orgs.models import Person

T0 = timezone.make_aware(datetime(2026, 6, 1, 9, 0))


def rect_grid(village, code: str, name: str, box: tuple[float, float, float, float], households: int = 300) -> Grid:  # type: ignore[no-untyped-def]
    min_lng, min_lat, max_lng, max_lat = box
    return Grid.objects.create(
        village=village,
        code=code,
        name=name,
        boundary=rectangle(*box),
        min_lng=min_lng,
        min_lat=min_lat,
        max_lng=max_lng,
        max_lat=max_lat,
        households=households,
        population=households * 3,
    )


@dataclass
class Grids:
    a1: Grid
    a2: Grid
    b1: Grid
    c1: Grid
    worker: User  # grid worker of 甲村, serving A1
    worker_b: User  # grid worker of 乙村
    general: CaseCategory  # 3 days
    urgent: CaseCategory  # 24 h


# Points inside each grid, and one outside every grid.
IN_A1 = (113.005, 22.605)
IN_A2 = (113.015, 22.605)
IN_B1 = (113.025, 22.605)
OUTSIDE = (113.5, 22.9)


@pytest.fixture
def grids(tree: Tree, personas: Personas) -> Grids:
    a1 = rect_grid(tree.village_a, "440799100201001", "甲村第一网格", (113.0, 22.6, 113.01, 22.61))
    a2 = rect_grid(tree.village_a, "440799100201002", "甲村第二网格", (113.01, 22.6, 113.02, 22.61))
    b1 = rect_grid(tree.village_b, "440799100202001", "乙村第一网格", (113.02, 22.6, 113.03, 22.61))
    c1 = rect_grid(tree.community_c, "440799200101001", "丙社区第一网格", (113.1, 22.6, 113.11, 22.61), households=400)
    worker = make_user("grid_a", Role.GRID_WORKER, tree.village_a)
    worker_b = make_user("grid_b", Role.GRID_WORKER, tree.village_b)
    person = Person.objects.create(organization=tree.village_a, name="网格员甲", gender="F")
    GridMember.objects.create(grid=a1, person=person, user=worker, role=MemberRole.FULL_TIME, start_date=date(2025, 1, 1))
    return Grids(a1, a2, b1, c1, worker, worker_b, CaseCategory.objects.get(code="sanitation"), CaseCategory.objects.get(code="safety"))


def report(g: Grids, actor: User | None = None, where: tuple[float, float] = IN_A1, at: datetime = T0, **kw: object) -> Case:
    fields: dict[str, object] = {"category": g.general, "description": "村道旁垃圾堆积，气味大"}
    fields.update(kw)
    return services.case_report(actor=actor or g.worker, lng=where[0], lat=where[1], now=at, **fields)  # type: ignore[arg-type]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
