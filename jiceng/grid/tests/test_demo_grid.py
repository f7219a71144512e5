"""The demo grids and cases: Pengjiang's shape (410 grids over 132 villages, 389 grid party
organizations), rectangles that tile without overlap, sanbao_grid at work in 三堡村, cases that follow
the table and escalations `check_sla` agrees with. Loading takes a few seconds: one test checks it all."""

import io
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.grid import demo, selectors, services, sla
from jiceng.grid.models import Case, CaseEvent, Escalation, Grid, GridMember, MemberRole
from jiceng.grid.workflow import MOVES
from jiceng.orgs.demo import load_demo
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind

NOW = timezone.make_aware(datetime(2026, 11, 20, 10, 0))


def test_the_demo_grids_and_cases(db: None) -> None:
    load_demo()
    district = Organization.objects.get(code="440703")
    out = io.StringIO()
    counts = demo.load(district, now=NOW, stdout=out)
    assert counts["grids"] == 410 and counts["grid_party_orgs"] == 389 and counts["villages"] == 132
    assert Organization.objects.filter(path__startswith=district.path, kind__in=GRASSROOTS_KINDS).count() == 132
    assert 300 <= counts["cases"] <= 400 and counts["escalations"] > 5
    assert "网格：410" in out.getvalue()
    assert Event.objects.filter(action=demo.ACTION).count() == 1
    assert demo.load(district, now=NOW)["grids"] == 410  # a second run adds nothing
    assert Event.objects.filter(action=demo.ACTION).count() == 1
    assert verify().ok

    # party groups hang where the tree allows them, paths consistent with treebeard's
    groups = Organization.objects.filter(kind=OrgKind.PARTY_GROUP, name__endswith="网格党小组")
    assert groups.exists()
    for g in groups[:20]:
        parent = Organization.objects.get(path=g.path[: -Organization.steplen])
        assert parent.kind == OrgKind.BRANCH and parent.path.startswith(Grid.objects.get(party_org=g).village.path)
        assert parent.numchild == Organization.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).count()

    # grids of a village tile its rectangle without overlapping; a grid's centre locates to itself
    sample = list(Grid.objects.select_related("village").order_by("?")[:25])
    for grid in sample:
        assert not [w for w in services.grid_warnings(grid) if "重叠" in w.text], grid.code
        centre = ((grid.min_lng + grid.max_lng) / 2, (grid.min_lat + grid.max_lat) / 2)  # type: ignore[operator]
        assert services.locate(*centre, Grid.objects.all()) == grid

    # sanbao_grid serves 三堡村's first grid and sees its cases
    worker = User.objects.get(username="sanbao_grid")
    member = GridMember.objects.select_related("grid", "person").get(user=worker)
    assert member.grid.village.name == "三堡村" and member.role == MemberRole.FULL_TIME and member.person.name == worker.display_name
    assert selectors.cases_for_user(worker, {"mine": "1"}).exists()

    # every case's timeline follows the table
    for case in Case.objects.order_by("?")[:60]:
        evs = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
        assert evs[0].action == "report"
        status = "reported"
        for e in evs[1:]:
            assert status in MOVES[e.action].sources and MOVES[e.action].target == e.to_status
            status = e.to_status
        assert status == case.status
    assert Escalation.objects.values("case", "stage", "stage_started_at").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    # the demo escalated what check_sla would have escalated (up to the hour of loading)
    assert sla.check_sla(now=NOW).escalated == []
