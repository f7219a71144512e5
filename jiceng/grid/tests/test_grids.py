"""Grids: codes, boundaries (GeoJSON checked with shapely), size and overlap warnings, people and forces."""

import json
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import services
from jiceng.grid.geometry import rectangle
from jiceng.grid.models import Grid, GridMember, MemberRole
from jiceng.grid.tests.conftest import Grids
from jiceng.orgs.models import Person

BOX = rectangle(113.0, 22.62, 113.01, 22.63)
BOWTIE = {"type": "Polygon", "coordinates": [[[113.0, 22.6], [113.01, 22.61], [113.01, 22.6], [113.0, 22.61], [113.0, 22.6]]]}


def create(p: Personas, t: Tree, **kw) -> tuple[Grid, list[services.GridWarning]]:  # type: ignore[no-untyped-def]
    fields: dict[str, Any] = {"number": "009", "name": "新网格", "boundary": BOX, "households": 280, "population": 800}
    fields.update(kw)
    return services.grid_create(actor=p.secretary_a, village=t.village_a, **fields)


def test_it_codes_the_grid_under_its_village_and_stores_the_bbox(tree: Tree, personas: Personas) -> None:
    grid, warnings = create(personas, tree)
    assert grid.code == "440799100201009"
    assert (grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat) == (113.0, 22.62, 113.01, 22.63)
    assert grid.boundary is not None and grid.boundary["type"] == "Polygon"
    assert [w.text for w in warnings] == ["本网格尚未建立党组织（党支部或党小组）。"]
    assert Event.objects.filter(action="grid.create", object_id=str(grid.pk)).exists()


def test_it_accepts_geojson_text_and_features(tree: Tree, personas: Personas) -> None:
    grid, _ = create(personas, tree, boundary=json.dumps({"type": "Feature", "properties": {}, "geometry": BOX}))
    assert grid.boundary == BOX


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("{not json", "不是有效的 GeoJSON"),
        ({"type": "Point", "coordinates": [113.0, 22.6]}, "Polygon"),
        ({"type": "Polygon", "coordinates": [[[113.0, 22.6], [113.01, 22.6]]]}, "闭合环"),
        ({"type": "Polygon", "coordinates": "abc"}, "格式有误"),
        (rectangle(22.6, 113.0, 22.61, 113.01), "超出范围"),  # latitude and longitude swapped
        (BOWTIE, "自相交"),
    ],
)
def test_it_refuses_malformed_boundaries_with_a_clear_message(tree: Tree, personas: Personas, boundary: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        create(personas, tree, boundary=boundary)
    assert not Grid.objects.exists()


@pytest.mark.parametrize("number", ["1", "0001", "abc", "000"])
def test_it_refuses_a_bad_grid_number(tree: Tree, personas: Personas, number: str) -> None:
    with pytest.raises(ValidationError, match="三位数字"):
        create(personas, tree, number=number)


def test_it_refuses_a_used_code(grids: Grids, tree: Tree, personas: Personas) -> None:
    with pytest.raises(ValidationError, match="已被使用"):
        create(personas, tree, number="001")


def test_another_village_may_not_create_a_grid_here(tree: Tree, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        services.grid_create(actor=personas.secretary_b, village=tree.village_a, number="009", name="x")


def test_a_grid_needs_a_village_or_community(tree: Tree, personas: Personas) -> None:
    with pytest.raises(ValidationError, match="村或社区"):
        services.grid_create(actor=personas.town_staff, village=tree.town, number="009", name="x")


def test_an_overlapping_polygon_is_saved_with_a_warning(grids: Grids, tree: Tree, personas: Personas) -> None:
    overlapping = rectangle(113.005, 22.6, 113.015, 22.61)  # half over A1, half over A2
    grid, warnings = create(personas, tree, boundary=overlapping)
    texts = " ".join(w.text for w in warnings)
    assert "甲村第一网格" in texts and "甲村第二网格" in texts and "重叠" in texts
    assert Grid.objects.filter(pk=grid.pk).exists()


def test_neighbours_sharing_an_edge_are_not_warned(grids: Grids) -> None:
    assert not [w for w in services.grid_warnings(grids.a1) if "重叠" in w.text]


def test_a_neighbour_in_the_same_town_counts_but_not_another_town(grids: Grids, tree: Tree, personas: Personas) -> None:
    _, warnings = create(personas, tree, boundary=rectangle(113.025, 22.6, 113.035, 22.61))
    assert any("乙村第一网格" in w.text for w in warnings)
    _, warnings = create(personas, tree, number="010", boundary=rectangle(113.105, 22.6, 113.115, 22.61))
    assert not any("丙社区" in w.text for w in warnings)  # 丙社区 is in another town


def test_size_norms_warn_but_do_not_refuse(tree: Tree, personas: Personas) -> None:
    _, warnings = create(personas, tree, households=420, population=3000)
    texts = " ".join(w.text for w in warnings)
    assert "约 300 户" in texts and "不超过 2500 人" in texts
    _, warnings = services.grid_create(
        actor=personas.district_admin, village=tree.community_c, number="001", name="c", boundary=BOX, households=250, population=700
    )
    assert any("300—500 户" in w.text for w in warnings)


def test_update_recomputes_the_bbox_and_audits(grids: Grids, personas: Personas) -> None:
    grid, _ = services.grid_update(
        actor=personas.secretary_a, grid=grids.a1, boundary=rectangle(113.0, 22.6, 113.008, 22.61), households=250
    )
    assert grid.max_lng == 113.008 and grid.households == 250
    event = Event.objects.get(action="grid.update")
    assert event.changes["households"] == [300, 250]


def test_update_refuses_a_self_intersecting_boundary_and_keeps_the_old(grids: Grids, personas: Personas) -> None:
    with pytest.raises(ValidationError, match="自相交"):
        services.grid_update(actor=personas.secretary_a, grid=grids.a1, boundary=BOWTIE)
    grids.a1.refresh_from_db()
    assert grids.a1.max_lng == 113.01


def test_the_party_org_must_be_a_party_org_of_the_village(grids: Grids, tree: Tree, personas: Personas) -> None:
    with pytest.raises(ValidationError, match="党支部或党小组"):
        services.grid_update(actor=personas.secretary_a, grid=grids.a1, party_org=tree.branch_b)
    grid, warnings = services.grid_update(actor=personas.secretary_a, grid=grids.a1, party_org=tree.branch_a)
    assert grid.party_org == tree.branch_a and not any("党组织" in w.text for w in warnings)


def test_one_chief_at_a_time(grids: Grids, tree: Tree, personas: Personas, person_a: Person) -> None:
    services.member_add(actor=personas.secretary_a, grid=grids.a2, person=person_a, role=MemberRole.CHIEF, start_date=date(2025, 1, 1))
    other = Person.objects.create(organization=tree.village_a, name="李", gender="M")
    with pytest.raises(ValidationError, match="已有在任网格长"):
        services.member_add(actor=personas.secretary_a, grid=grids.a2, person=other, role=MemberRole.CHIEF, start_date=date(2025, 1, 1))
    chief = GridMember.objects.get(grid=grids.a2, role=MemberRole.CHIEF)
    services.member_end(actor=personas.secretary_a, member=chief, end_date=date(2026, 1, 1))
    services.member_add(actor=personas.secretary_a, grid=grids.a2, person=other, role=MemberRole.CHIEF, start_date=date(2026, 1, 2))


def test_a_person_of_another_town_cannot_serve(grids: Grids, tree: Tree, personas: Personas) -> None:
    stranger = Person.objects.create(organization=tree.community_c, name="外", gender="M")
    with pytest.raises(ValidationError, match="本镇"):
        services.member_add(
            actor=personas.secretary_a, grid=grids.a1, person=stranger, role=MemberRole.PART_TIME, start_date=date(2025, 1, 1)
        )


def test_force_phone_is_encrypted_and_masked(grids: Grids, personas: Personas) -> None:
    force = services.force_add(actor=personas.secretary_a, grid=grids.a1, kind="police", name="社区民警", phone="13800138000")
    assert force.phone_masked == "138****8000" and "13800138000" not in force.phone_encrypted
    assert "13800138000" not in json.dumps(Event.objects.get(action="grid.force_add").changes)
    with pytest.raises(PermissionDenied):
        services.force_add(actor=personas.secretary_b, grid=grids.a1, kind="police", name="x")
