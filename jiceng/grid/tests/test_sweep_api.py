"""/api/v1/sweeps and /mobilizations/stats: scoped like the pages, one visit per household and
round (201 then 200), the 404 outside the worker's grid, the one error shape."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.api.tests import conftest as api_fixtures
from jiceng.api.tests.conftest import Api
from jiceng.conftest import Personas, Tree
from jiceng.grid import sweeps
from jiceng.grid.models_sweeps import Household, SweepCampaign, SweepVisit
from jiceng.grid.tests.conftest import Grids

TODAY = timezone.localdate()
api_as = api_fixtures.api_as
api_token = api_fixtures.api_token


@pytest.fixture
def sweep(personas: Personas, tree: Tree, grids: Grids) -> SweepCampaign:
    for grid in (grids.a1, grids.b1):
        Household.objects.bulk_create(Household(grid=grid, address=f"{grid.name}{i}号", head_name="户主") for i in range(2))
    return sweeps.campaign_create(
        actor=personas.town_staff,
        organization=tree.town,
        title="入户排查",
        start_date=TODAY,
        end_date=TODAY + timedelta(days=5),
        rounds=1,
        grids=[grids.a1, grids.b1],
        questions=[sweeps.QuestionSpec("有无独居老人")],
    )


def test_a_worker_records_a_visit_and_a_second_post_updates_it(
    api_token: Callable[[User], Api], sweep: SweepCampaign, grids: Grids
) -> None:
    api = api_token(grids.worker)
    h = Household.objects.filter(grid=grids.a1).first()
    assert h is not None
    q = sweep.questions.get()
    first = api.post(f"/sweeps/{sweep.pk}/visits", {"household": h.pk, "outcome": "not_home"})
    assert first.status_code == 201, first.content
    second = api.post(f"/sweeps/{sweep.pk}/visits", {"household": h.pk, "outcome": "visited", "answers": {str(q.pk): "yes"}})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert SweepVisit.objects.count() == 1
    bad = api.post(f"/sweeps/{sweep.pk}/visits", {"household": h.pk, "outcome": "visited", "answers": {str(q.pk): "maybe"}})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["answers"]


def test_a_visit_outside_the_workers_grid_is_404(api_token: Callable[[User], Api], sweep: SweepCampaign, grids: Grids) -> None:
    b = Household.objects.filter(grid=grids.b1).first()
    assert b is not None
    response = api_token(grids.worker).post(f"/sweeps/{sweep.pk}/visits", {"household": b.pk, "outcome": "visited"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert not SweepVisit.objects.exists()


def test_progress_and_lists_are_scoped(api_as: Callable[[User], Api], sweep: SweepCampaign, personas: Personas, grids: Grids) -> None:
    b = Household.objects.filter(grid=grids.b1).first()
    assert b is not None
    sweeps.visit_record(actor=personas.secretary_b, campaign=sweep, household=b, round=1, outcome="visited")
    town = api_as(personas.town_staff).get(f"/sweeps/{sweep.pk}/progress", round=1).json()
    total = town["rows"][-1]
    assert (total["level"], total["covered"], total["households"], total["share"]) == ("total", 1, 4, "25.0")
    village_b = api_as(personas.secretary_b).get(f"/sweeps/{sweep.pk}/progress").json()
    assert [r["name"] for r in village_b["rows"] if r["level"] == "grid"] == ["乙村第一网格"]
    assert [c["id"] for c in api_as(personas.secretary_a).get("/sweeps").json()] == [sweep.pk]
    assert api_as(personas.outsider).get("/sweeps").json() == []
    assert api_as(personas.outsider).get(f"/sweeps/{sweep.pk}/progress").status_code == 404
    stats = api_as(personas.town_staff).get("/mobilizations/stats", start=TODAY.isoformat(), end=TODAY.isoformat())
    assert stats.status_code == 200 and stats.json()["total"] == 0
