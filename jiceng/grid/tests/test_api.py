"""/api/v1/grids, /cases: the same rules through the API, with the one error shape."""

from collections.abc import Callable

from jiceng.accounts.models import User
from jiceng.api.tests import conftest as api_fixtures
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.conftest import Personas, Tree
from jiceng.grid.geometry import rectangle
from jiceng.grid.models import Case, CaseStatus
from jiceng.grid.tests.conftest import IN_A1, OUTSIDE, Grids, report

ApiAs = Callable[[User], Api]
api_as = api_fixtures.api_as


def test_grids_are_listed_in_scope_with_detail(grids: Grids, personas: Personas, api_as: ApiAs) -> None:
    api = api_as(personas.secretary_a)
    body = api.get("/grids").json()
    assert body["count"] == 2 and {g["name"] for g in body["items"]} == {"甲村第一网格", "甲村第二网格"}
    detail = api.get(f"/grids/{grids.a1.pk}").json()
    assert detail["boundary"]["type"] == "Polygon" and detail["bbox"] == [113.0, 22.6, 113.01, 22.61]
    assert detail["members"][0]["role"] == "full_time"
    assert_error(api.get(f"/grids/{grids.b1.pk}"), 404, "not_found")


def test_creating_a_grid_warns_on_overlap_and_refuses_bad_geojson(grids: Grids, tree: Tree, personas: Personas, api_as: ApiAs) -> None:
    api = api_as(personas.secretary_a)
    payload = {"village": tree.village_a.pk, "number": "005", "name": "新网格", "boundary": rectangle(113.005, 22.6, 113.015, 22.61)}
    response = api.post("/grids", payload)
    assert response.status_code == 201, response.content.decode()
    assert any("重叠" in w["text"] for w in response.json()["warnings"])
    bad = {**payload, "number": "006", "boundary": {"type": "Polygon", "coordinates": [[[1, 2]]]}}
    error = assert_error(api.post("/grids", bad), 400, "invalid")
    assert "boundary" in error["fields"]
    assert_error(api_as(grids.worker).post("/grids", {**payload, "number": "007"}), 403, "forbidden")


def test_report_and_move_a_case_through_the_api(grids: Grids, personas: Personas, api_as: ApiAs) -> None:
    worker = api_as(grids.worker)
    response = worker.post("/cases", {"category": grids.general.pk, "description": "路面塌陷一处", "lng": IN_A1[0], "lat": IN_A1[1]})
    assert response.status_code == 201, response.content.decode()
    case = response.json()
    assert case["grid"] == grids.a1.pk and case["status"] == "reported" and case["moves"] == []
    staff = api_as(personas.secretary_a)
    accepted = staff.post(f"/cases/{case['id']}/transitions/accept", {}).json()
    assert accepted["status"] == "accepted" and {m["action"] for m in accepted["moves"]} == {"dispatch", "self_resolve"}
    error = assert_error(staff.post(f"/cases/{case['id']}/transitions/verify", {}), 400, "invalid")
    assert "不能" in error["message"]
    assert_error(worker.post(f"/cases/{case['id']}/transitions/dispatch", {"target": "up"}), 403, "forbidden")
    assert_error(api_as(personas.secretary_b).get(f"/cases/{case['id']}"), 404, "not_found")
    detail = staff.get(f"/cases/{case['id']}").json()
    assert [e["action"] for e in detail["timeline"]] == ["report", "accept"]


def test_a_point_outside_every_grid_is_a_400(grids: Grids, api_as: ApiAs) -> None:
    response = api_as(grids.worker).post(
        "/cases", {"category": grids.general.pk, "description": "路面塌陷一处", "lng": OUTSIDE[0], "lat": OUTSIDE[1]}
    )
    error = assert_error(response, 400, "invalid")
    assert "不在任何网格范围内" in error["fields"]["location"][0]
    assert not Case.objects.exists()


def test_case_list_filters_and_stats(grids: Grids, personas: Personas, api_as: ApiAs, tree: Tree) -> None:
    report(grids)
    api = api_as(personas.town_staff)
    assert api.get("/cases", status="open").json()["count"] == 1
    assert api.get("/cases", status=CaseStatus.CLOSED).json()["count"] == 0
    assert api.get("/cases", overdue="true").json()["count"] == 1  # reported in mid-2026 with a 3-day limit
    stats = api.get("/cases/stats", org=tree.town.pk).json()
    assert stats["per"] == "village" and stats["total"]["total"] == 1 and stats["total"]["overdue"] == 1
    assert_error(api.get("/cases/stats", org=tree.other_town.pk), 404, "not_found")
    assert len(api.get("/case-categories").json()) >= 8
