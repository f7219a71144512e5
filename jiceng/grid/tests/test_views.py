"""The grid pages: scope (404 for another village), roles (403), the map data, the case page's
actions, the public form with its rate limit and tracking page, and pinned query counts."""

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import selectors, services, views
from jiceng.grid.models import Case, CaseStatus
from jiceng.grid.tests.conftest import IN_A1, IN_B1, OUTSIDE, Grids, report
from jiceng.orgs import selectors as org_selectors


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_for_village_staff(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    client = signed_in(personas.secretary_a)
    for url in ("/grid/", f"/grid/{grids.a1.pk}/", "/grid/map/", "/grid/cases/", f"/grid/cases/{case.pk}/", "/grid/stats/", "/grid/new/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "受理" in client.get(f"/grid/cases/{case.pk}/").content.decode()


def test_another_villages_grid_and_case_are_404(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    client = signed_in(personas.secretary_b)
    assert client.get(f"/grid/{grids.a1.pk}/").status_code == 404
    assert client.get(f"/grid/cases/{case.pk}/").status_code == 404
    assert client.post(f"/grid/cases/{case.pk}/moves/accept/").status_code == 404
    assert client.get(f"/grid/{grids.a1.pk}/edit/").status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.REPORTED


def test_roles_without_grid_view_are_refused(grids: Grids, personas: Personas) -> None:
    for user in (personas.member, personas.auditor):
        client = signed_in(user)
        for url in ("/grid/", "/grid/map/", "/grid/cases/", "/grid/stats/", "/grid/cases/new/"):
            assert client.get(url).status_code == 403, (user, url)


def test_a_grid_worker_may_not_edit_a_grid_or_accept(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    client = signed_in(grids.worker)
    assert client.get(f"/grid/{grids.a1.pk}/edit/").status_code == 403
    response = client.post(f"/grid/cases/{case.pk}/moves/accept/", follow=True)
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.REPORTED


def test_a_grid_worker_lands_on_my_grid(grids: Grids) -> None:
    report(grids)
    client = signed_in(grids.worker)
    response = client.get("/grid/", follow=True)
    assert response.redirect_chain[-1][0] == "/grid/mine/"
    assert "甲村第一网格" in response.content.decode()


def test_the_map_data_is_scoped_geojson(grids: Grids, personas: Personas, tree: Tree) -> None:
    client = signed_in(personas.secretary_a)
    data = client.get(f"/grid/map/grids.geojson?org={tree.village_a.pk}").json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["name"] for f in data["features"]} == {"甲村第一网格", "甲村第二网格"}
    assert client.get(f"/grid/map/grids.geojson?org={tree.village_b.pk}").status_code == 404
    town = signed_in(personas.town_staff).get(f"/grid/map/grids.geojson?org={tree.town.pk}").json()
    assert len(town["features"]) == 3


def test_the_map_data_defaults_to_the_first_village_and_counts_open_cases(grids: Grids, personas: Personas, tree: Tree) -> None:
    """No org asked for: the first village in scope by path (one scoped look-up, not the whole list)."""
    report(grids)  # an open case in 甲村第一网格
    data = signed_in(personas.town_staff).get("/grid/map/grids.geojson").json()
    assert {f["properties"]["village"] for f in data["features"]} == {tree.village_a.name}
    open_cases = {f["properties"]["name"]: f["properties"]["open_cases"] for f in data["features"]}
    assert open_cases == {"甲村第一网格": 1, "甲村第二网格": 0}
    assert signed_in(personas.secretary_a).get(f"/grid/map/grids.geojson?org={tree.community_c.pk}").status_code == 404
    assert signed_in(personas.secretary_a).get("/grid/map/grids.geojson?org=999999").status_code == 404


def test_the_map_has_no_tile_layer_unless_configured(grids: Grids, personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(personas.secretary_a)
    assert 'data-tiles=""' in client.get("/grid/map/").content.decode()
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    assert views.map_tile_url() == settings.MAP_TILE_URL
    assert "tiles.example" in client.get("/grid/map/").content.decode()


def test_reporting_through_the_page_places_the_point(grids: Grids) -> None:
    client = signed_in(grids.worker)
    data = {"category": grids.general.pk, "description": "井盖缺失，行人危险", "lng": IN_A1[0], "lat": IN_A1[1]}
    response = client.post("/grid/cases/new/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/grid/cases/{case.pk}/"
    assert case.grid == grids.a1


def test_reporting_outside_every_grid_is_refused_with_the_message(grids: Grids) -> None:
    client = signed_in(grids.worker)
    data = {"category": grids.general.pk, "description": "井盖缺失，行人危险", "lng": OUTSIDE[0], "lat": OUTSIDE[1]}
    response = client.post("/grid/cases/new/", data)
    assert response.status_code == 200 and "不在任何网格范围内" in response.content.decode()
    assert not Case.objects.exists()
    check = client.get("/grid/cases/check/", {"lng": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])})
    assert "不在任何网格范围内" in check.content.decode()


def test_the_point_check_names_the_grid_and_hints_duplicates(grids: Grids) -> None:
    existing = services.case_report(actor=grids.worker, category=grids.general, description="垃圾堆积很久了", lng=IN_A1[0], lat=IN_A1[1])
    client = signed_in(grids.worker)
    body = client.get(f"/grid/cases/check/?lng={IN_A1[0]}&lat={IN_A1[1]}&category={grids.general.pk}").content.decode()
    assert "甲村第一网格" in body and existing.code in body


def test_the_reporters_phone_is_masked_and_revealing_it_is_audited(grids: Grids, personas: Personas) -> None:
    case = services.case_report(
        actor=None,
        category=grids.general,
        description="路灯坏了三盏",
        lng=IN_A1[0],
        lat=IN_A1[1],
        reporter_name="王五",
        reporter_phone="13912345678",
    )
    worker_page = signed_in(grids.worker).get(f"/grid/cases/{case.pk}/").content.decode()
    assert "139****5678" in worker_page and "13912345678" not in worker_page and "显示完整号码" not in worker_page
    assert signed_in(grids.worker).post(f"/grid/cases/{case.pk}/phone/").status_code == 403
    staff = signed_in(personas.secretary_a)
    assert "显示完整号码" in staff.get(f"/grid/cases/{case.pk}/").content.decode()
    assert "13912345678" in staff.post(f"/grid/cases/{case.pk}/phone/").content.decode()
    assert Event.objects.filter(action="case.reveal_phone", actor_label="secretary_a").count() == 1


def test_a_skipped_stage_through_the_page_shows_the_message(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    response = signed_in(personas.secretary_a).post(f"/grid/cases/{case.pk}/moves/start/", follow=True)
    assert "不能“签收处置”" in response.content.decode()


# ---- residents ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _public(client: Client, phone: str = "13912345678", where: tuple[float, float] = IN_B1) -> object:
    data = {
        "category": 1,
        "description": "小区门口路灯不亮",
        "lng": where[0],
        "lat": where[1],
        "reporter_name": "王五",
        "reporter_phone": phone,
    }
    from jiceng.grid.models import CaseCategory

    data["category"] = CaseCategory.objects.get(code="facilities").pk
    return client.post("/p/cases/", data)


def test_the_public_map_sends_only_the_grids_in_view(grids: Grids, django_assert_num_queries: Any) -> None:
    client = Client()
    with django_assert_num_queries(1):
        near = client.get("/p/cases/grids.geojson", {"bbox": "113.004,22.601,113.012,22.609"}).json()
    assert sorted(f["properties"]["code"] for f in near["features"]) == [grids.a1.code, grids.a2.code]
    assert near["truncated"] is False and near["features"][0]["geometry"]["type"] == "Polygon"
    assert client.get("/p/cases/grids.geojson", {"bbox": "114,23,114.1,23.1"}).json()["features"] == []
    page = client.get("/p/cases/").content.decode()
    assert 'data-bounded="1"' in page and 'data-extent="113.0,22.6,113.11,22.61"' in page


def test_a_wide_public_view_is_cut_and_says_so(grids: Grids, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "PUBLIC_MAP_LIMIT", 2)
    wide = Client().get("/p/cases/grids.geojson", {"bbox": "112,22,114,23"}).json()
    assert len(wide["features"]) == 2 and wide["truncated"] is True


@pytest.mark.parametrize("bbox", ["113,22", "a,b,c,d", "114,22,113,23", "113,22,nan,23", "113,22,inf,23"])
def test_a_malformed_public_bbox_is_refused_in_chinese(grids: Grids, bbox: str) -> None:
    response = Client().get("/p/cases/grids.geojson", {"bbox": bbox})
    assert response.status_code == 400 and "格式" in response.json()["detail"]


def test_a_resident_reports_without_an_account_and_tracks_it(grids: Grids, personas: Personas) -> None:
    client = Client()
    assert client.get("/p/cases/").status_code == 200
    assert len(client.get("/p/cases/grids.geojson").json()["features"]) == 4
    response = _public(client)
    case = Case.objects.get()
    assert response["Location"] == f"/p/cases/track/{case.code}/"  # type: ignore[index]
    assert case.grid == grids.b1 and case.source == "resident" and case.reported_by is None
    page = client.get(f"/p/cases/track/{case.code}/").content.decode()
    assert case.code in page and "13912345678" not in page
    assert client.get("/p/cases/track/SJNOTACODE/").status_code == 404
    services.case_transition(actor=personas.secretary_b, case=case, action="accept")
    services.case_transition(actor=personas.secretary_b, case=case, action="self_resolve", result="已更换灯泡")
    client.post(f"/p/cases/track/{case.code}/verify/")
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFIED


def test_the_public_form_is_rate_limited_per_phone(grids: Grids) -> None:
    client = Client()
    for _ in range(views.PUBLIC_PER_PHONE):
        _public(client)
    response = _public(client)
    assert "提交过于频繁" in response.content.decode()  # type: ignore[attr-defined]
    assert Case.objects.count() == views.PUBLIC_PER_PHONE
    _public(client, phone="13700000000")  # another phone still gets through
    assert Case.objects.count() == views.PUBLIC_PER_PHONE + 1


def test_the_public_form_refuses_a_point_outside_every_grid(grids: Grids) -> None:
    response = _public(Client(), where=OUTSIDE)
    assert "不在任何网格范围内" in response.content.decode()  # type: ignore[attr-defined]
    assert not Case.objects.exists()


def test_a_staff_reported_case_cannot_be_verified_from_the_public_page(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    services.case_transition(actor=personas.secretary_a, case=case, action="accept")
    services.case_transition(actor=personas.secretary_a, case=case, action="self_resolve", result="x")
    response = Client().post(f"/p/cases/track/{case.code}/verify/")
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.FEEDBACK


# ---- query counts ------------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_and_stats_query_counts_do_not_grow_with_data(grids: Grids, personas: Personas) -> None:
    client = signed_in(personas.town_staff)
    report(grids)
    urls = ("/grid/cases/", "/grid/stats/", "/grid/", "/grid/map/grids.geojson", f"/grid/stats/?org={grids.a1.village_id}")
    before = {url: _count(client, url) for url in urls}
    for i in range(15):
        case = report(grids, where=IN_A1 if i % 2 else (113.015, 22.605), description=f"第{i}件事件描述")
        services.case_transition(actor=personas.secretary_a, case=case, action="accept")
    after = {url: _count(client, url) for url in urls}
    assert before == after
    assert after == {"/grid/cases/": 8, "/grid/stats/": 12, "/grid/": 7, "/grid/map/grids.geojson": 6, urls[4]: 12}


def test_the_case_list_by_town_keeps_its_query_count_over_many_pages(
    grids: Grids, personas: Personas, tree: Tree, settings: Any, monkeypatch: Any
) -> None:
    settings.PAGE_SIZE = 3
    monkeypatch.setattr(org_selectors, "AREA_OPTIONS_LIMIT", 2)  # the district's three villages go through the town select
    client = signed_in(personas.district_admin)
    report(grids, actor=grids.worker_b, where=IN_B1)
    report(grids, where=IN_A1, description="甲村的事件")
    url = f"/grid/cases/?town={tree.town.pk}&village={grids.b1.village_id}"
    small = _count(client, url)
    for _ in range(7):
        report(grids, actor=grids.worker_b, where=IN_B1)
    assert _count(client, url) == small
    body = client.get(url).content.decode()
    assert "第 1 / 3 页，共 8 条" in body and "甲村的事件" not in body and 'name="town"' in body


def test_the_grid_list_links_each_grid_and_names_its_kind(grids: Grids, personas: Personas) -> None:
    """The rows' links and kind labels are prepared once for the page (views._grid_rows), the same as
    {% url %} and get_kind_display gave them."""
    grids.b1.kind = "dedicated"
    grids.b1.save(update_fields=["kind"])
    body = signed_in(personas.district_admin).get("/grid/").content.decode()
    for grid, label in ((grids.a1, "综合网格"), (grids.b1, "专属网格")):
        assert f'<a href="/grid/{grid.pk}/">{grid.name}</a> <small class="muted">{label}</small>' in body


def test_the_grid_list_filters_by_area_not_by_a_list_of_every_village(
    grids: Grids, personas: Personas, tree: Tree, monkeypatch: Any
) -> None:
    """The grid list takes the area filter of the other lists: many villages go through the town select."""
    monkeypatch.setattr(org_selectors, "AREA_OPTIONS_LIMIT", 2)  # the district's three villages count as many
    client = signed_in(personas.district_admin)
    body = client.get("/grid/").content.decode()
    assert 'name="town"' in body and grids.a1.name in body and grids.b1.name in body
    body = client.get(f"/grid/?town={tree.town.pk}&village={grids.b1.village_id}").content.decode()
    assert grids.b1.name in body and grids.a1.name not in body
    assert "暂无网格" in client.get(f"/grid/?village={tree.community_c.pk + 999}").content.decode()  # not in scope: nothing


def test_the_case_list_filters_overdue(grids: Grids, personas: Personas) -> None:
    report(grids)  # reported in 2026-06, long overdue by now
    client = signed_in(personas.secretary_a)
    body = client.get("/grid/cases/?overdue=1").content.decode()
    assert "超时" in body
