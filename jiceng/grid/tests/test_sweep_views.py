"""Sweep pages: the same 404 outside the worker's grid, writes through the services, the phone page
updating rather than duplicating, scoped and audited export, pinned query counts on progress."""

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import sweeps
from jiceng.grid.models_sweeps import Household, SweepCampaign, SweepVisit
from jiceng.grid.tests.conftest import Grids
from jiceng.grid.tests.test_sweeps import _xlsx

TODAY = timezone.localdate()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sweep(personas: Personas, tree: Tree, grids: Grids) -> SweepCampaign:
    for grid, n in ((grids.a1, 3), (grids.a2, 2), (grids.b1, 2)):
        Household.objects.bulk_create(Household(grid=grid, address=f"{grid.name}{i}号", head_name=f"户主{i}") for i in range(n))
    return sweeps.campaign_create(
        actor=personas.town_staff,
        organization=tree.town,
        title="入户大排查",
        start_date=TODAY - timedelta(days=1),
        end_date=TODAY + timedelta(days=7),
        rounds=2,
        grids=[grids.a1, grids.a2, grids.b1],
        questions=[sweeps.QuestionSpec("有无独居老人")],
    )


def _visit_url(sweep: SweepCampaign, h: Household) -> str:
    return reverse("grid:sweep_visit", args=[sweep.pk, h.pk])


def test_anonymous_users_go_to_login(sweep: SweepCampaign) -> None:
    response = Client().get(reverse("grid:sweep_detail", args=[sweep.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_worker_records_a_visit_and_a_second_submit_updates_it(sweep: SweepCampaign, grids: Grids) -> None:
    client = _client(grids.worker)
    h = Household.objects.filter(grid=grids.a1).first()
    assert h is not None
    page = client.get(reverse("grid:sweep_grid", args=[sweep.pk, grids.a1.pk]))
    assert page.status_code == 200 and h.address in page.content.decode()
    q = sweep.questions.get()
    first = client.post(_visit_url(sweep, h), {"round": 1, "outcome": "not_home"})
    assert first.status_code == 302 and first["Location"].endswith(f"/grid/sweeps/{sweep.pk}/grids/{grids.a1.pk}/?round=1")
    second = client.post(_visit_url(sweep, h), {"round": 1, "outcome": "visited", f"q{q.pk}": "yes", "finding": "独居老人需要照料"})
    assert second.status_code == 302
    visit = SweepVisit.objects.get(campaign=sweep, household=h)
    assert (visit.outcome, visit.answers, visit.finding_state) == ("visited", {str(q.pk): "yes"}, "pending")
    after = client.get(reverse("grid:sweep_grid", args=[sweep.pk, grids.a1.pk])).content.decode()
    assert "已完成 1 / 3 户" in after


def test_a_visit_outside_the_workers_grid_is_404(sweep: SweepCampaign, personas: Personas, grids: Grids) -> None:
    a2 = Household.objects.filter(grid=grids.a2).first()
    b1 = Household.objects.filter(grid=grids.b1).first()
    assert a2 is not None and b1 is not None
    worker = _client(grids.worker)
    assert worker.post(_visit_url(sweep, a2), {"round": 1, "outcome": "visited"}).status_code == 404
    assert worker.get(_visit_url(sweep, b1)).status_code == 404
    assert worker.get(reverse("grid:sweep_grid", args=[sweep.pk, grids.a2.pk])).status_code == 404
    assert _client(grids.worker_b).get(_visit_url(sweep, a2)).status_code == 404
    # the town sees progress but does not record visits
    assert _client(personas.town_staff).post(_visit_url(sweep, b1), {"round": 1, "outcome": "visited"}).status_code == 404
    assert _client(personas.outsider).get(reverse("grid:sweep_detail", args=[sweep.pk])).status_code == 404
    assert not SweepVisit.objects.exists()


def test_a_refused_visit_shows_the_reason_and_saves_nothing(sweep: SweepCampaign, grids: Grids) -> None:
    h = Household.objects.filter(grid=grids.a1).first()
    assert h is not None
    response = _client(grids.worker).post(_visit_url(sweep, h), {"round": 1, "outcome": "referred"})
    assert response.status_code == 200 and "转办须写明发现的问题" in response.content.decode()
    response = _client(grids.worker).post(_visit_url(sweep, h), {"round": 9, "outcome": "visited"})  # out of range: round 1
    assert SweepVisit.objects.filter(round=1).count() == 1


def test_a_campaign_form_cannot_smuggle_another_villages_grid(personas: Personas, grids: Grids) -> None:
    client = _client(personas.secretary_a)
    form = {
        "title": "排查",
        "start_date": TODAY.isoformat(),
        "end_date": TODAY.isoformat(),
        "rounds": 1,
        "grids": [grids.a1.pk, grids.b1.pk],
    }
    response = client.post(reverse("grid:sweep_create"), form)
    assert response.status_code == 200 and not SweepCampaign.objects.exists()
    ok = client.post(reverse("grid:sweep_create"), form | {"grids": [grids.a1.pk], "questions": "有无独居老人\n房屋用途：自住/出租"})
    assert ok.status_code == 302
    created = SweepCampaign.objects.get()
    assert created.organization.name == "甲村" and created.questions.count() == 2


def test_workers_and_the_district_may_not_start_campaigns(personas: Personas, grids: Grids) -> None:
    assert _client(grids.worker).get(reverse("grid:sweep_create")).status_code == 403
    assert _client(personas.district_admin).get(reverse("grid:sweep_create")).status_code == 403
    assert _client(personas.outsider).get(reverse("grid:sweeps")).status_code == 403


def test_export_is_scoped_and_audited(sweep: SweepCampaign, personas: Personas, grids: Grids) -> None:
    response = _client(personas.secretary_a).get(reverse("grid:sweep_export", args=[sweep.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0].iter_rows(values_only=True))  # type: ignore[attr-defined]
    assert len(rows) == 1 + (3 + 2) * 2 and {r[0] for r in rows[1:]} == {"甲村"}
    assert Event.objects.filter(action="sweep.export", actor_id=personas.secretary_a.pk).count() == 1
    assert _client(personas.outsider).get(reverse("grid:sweep_export", args=[sweep.pk])).status_code == 404
    assert not Event.objects.filter(action="sweep.export", actor_id=personas.outsider.pk).exists()


def _grow(grids: Grids, sweep: SweepCampaign, n: int) -> None:
    start = Household.objects.count()
    made = Household.objects.bulk_create(Household(grid=grids.a1, address=f"新村{start + i}号", head_name="户主") for i in range(n))
    SweepVisit.objects.bulk_create(
        SweepVisit(campaign=sweep, household=h, round=1, outcome="visited", visited_by=grids.worker, visited_at=timezone.now())
        for h in made
    )


def test_progress_page_query_count_does_not_grow_with_data(
    sweep: SweepCampaign, personas: Personas, grids: Grids, django_assert_num_queries: Any
) -> None:
    client = _client(personas.town_staff)
    url = reverse("grid:sweep_detail", args=[sweep.pk]) + "?round=1"
    _grow(grids, sweep, 3)
    client.get(url)  # warm the session
    with django_assert_num_queries(12) as small:
        assert client.get(url).status_code == 200
    _grow(grids, sweep, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(len(small.captured_queries) - 3):  # the htmx refresh: no checklist, findings, categories
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200


def test_the_worker_phone_page_query_count_does_not_grow_with_data(
    sweep: SweepCampaign, grids: Grids, django_assert_num_queries: Any
) -> None:
    client = _client(grids.worker)
    url = reverse("grid:sweep_grid", args=[sweep.pk, grids.a1.pk])
    _grow(grids, sweep, 3)
    client.get(url)
    with django_assert_num_queries(8) as small:
        client.get(url)
    _grow(grids, sweep, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_progress_shows_exact_coverage(sweep: SweepCampaign, personas: Personas, grids: Grids) -> None:
    for h in Household.objects.filter(grid=grids.b1):
        sweeps.visit_record(actor=personas.secretary_b, campaign=sweep, household=h, round=1, outcome="visited")
    page = _client(personas.town_staff).get(reverse("grid:sweep_detail", args=[sweep.pk])).content.decode()
    assert "第 1 轮：已完成 2 / 7 户（28.6%）" in page
    page_b = _client(personas.secretary_b).get(reverse("grid:sweep_detail", args=[sweep.pk])).content.decode()
    assert "第 1 轮：已完成 2 / 2 户（100.0%）" in page_b and "甲村第一网格" not in page_b


def test_the_roster_page_adds_and_imports(personas: Personas, tree: Tree, grids: Grids) -> None:
    client = _client(personas.secretary_a)
    url = reverse("grid:sweep_households", args=[tree.village_a.pk])
    response = client.post(url, {"grid": grids.a1.pk, "address": "幸福路8号", "head_name": "陈八", "members_count": 2})
    assert response.status_code == 302 and Household.objects.filter(address="幸福路8号").exists()
    bad = _xlsx([[grids.b1.code, "乙村路1号", "李一", 3]])
    response = client.post(reverse("grid:sweep_households_import", args=[tree.village_a.pk]), {"file": _named(bad)})
    assert response.status_code == 200 and "不是甲村的网格编码" in response.content.decode()
    good = _xlsx([[grids.a2.code, "幸福路9号", "陈九", 3]])
    response = client.post(reverse("grid:sweep_households_import", args=[tree.village_a.pk]), {"file": _named(good)})
    assert response.status_code == 302 and Household.objects.count() == 2
    assert _client(personas.secretary_b).get(url).status_code == 404
    assert _client(grids.worker).post(url, {"grid": grids.a1.pk, "address": "x", "head_name": "y", "members_count": 1}).status_code == 403


def _named(data: BytesIO) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("roster.xlsx", data.getvalue())
