"""The demo sweeps and mobilization: loaded once, deterministic, consistent with the rules the
services enforce (one visit per household and round, no overlapping mobilization)."""

from datetime import date

from django.db.models import Count

from jiceng.accounts.models import User
from jiceng.audit.services import verify
from jiceng.grid import demo_sweeps, mobilization, sweeps
from jiceng.grid.models_sweeps import Household, MobilizationAssignment, SweepCampaign, SweepVisit
from jiceng.orgs.demo import load_demo
from jiceng.orgs.models import Organization

TODAY = date(2026, 6, 15)


def test_the_demo_sweeps_load_once(db: None) -> None:
    load_demo()
    district = Organization.objects.get(code="440703")
    counts = demo_sweeps.load(district, today=TODAY)
    assert counts["households"] == 5 * demo_sweeps.HOUSEHOLDS_PER_GRID
    assert counts["campaigns"] == 2 and counts["mobilized"] == demo_sweeps.MOBILIZED
    assert 0 < counts["covered"] < counts["visits"]
    assert demo_sweeps.load(district, today=TODAY) == counts  # a second run adds nothing
    assert verify().ok

    running = SweepCampaign.objects.get(end_date__gte=TODAY)
    town_staff = User.objects.get(username="tangxia_staff")
    progress = sweeps.progress(town_staff, running, 1)
    assert {r.org.name for r in progress.villages} == {"三堡村", "松岭村"} and len(progress.towns) == 1
    assert 0 < progress.total.covered < progress.total.households
    finished = SweepCampaign.objects.get(end_date__lt=TODAY)
    done = sweeps.progress(User.objects.get(username="sanbao_sec"), finished, 1).total
    assert done.share is not None and done.share > 90

    # the grid worker of 三堡村 sees the households of the grid they serve
    worker = User.objects.get(username="sanbao_grid")
    assert sweeps.grids_for_user(worker, "sweep.visit").count() == 1
    assert not SweepVisit.objects.values("campaign", "household", "round").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Household.objects.filter(grid__village__name="三堡村").count() == 3 * demo_sweeps.HOUSEHOLDS_PER_GRID

    # no member is mobilized twice at once, and the town counts them all
    assert MobilizationAssignment.objects.values("member").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    report = mobilization.mobilized_report(town_staff, TODAY, TODAY)
    assert report.total == demo_sweeps.MOBILIZED and [t.members for t in report.towns] == [demo_sweeps.MOBILIZED]
