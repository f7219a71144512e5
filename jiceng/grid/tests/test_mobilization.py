"""Temporary mobilization: members sent to grids for a period, never two overlapping periods for
one member, members and grids only from the actor's scope, and the counts per grid, village, town."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import mobilization
from jiceng.grid.models_sweeps import Mobilization, MobilizationAssignment
from jiceng.grid.tests.conftest import Grids
from jiceng.orgs.models import Member, Organization, Person, Stage
from jiceng.orgs.tests.regions import build_region

START = date(2026, 2, 1)
END = date(2026, 2, 14)


def _members(branch: Organization, n: int, prefix: str, stage: str = Stage.FULL) -> list[Member]:
    people = [Person.objects.create(organization=branch, name=f"{prefix}{i}", gender="M") for i in range(n)]
    return [Member.objects.create(person=p, branch=branch, stage=stage) for p in people]


@pytest.fixture
def members(tree: Tree) -> dict[str, list[Member]]:
    return {"a": _members(tree.branch_a, 4, "甲党员"), "b": _members(tree.branch_b, 2, "乙党员")}


def mobilize(
    actor: Any, org: Organization, pairs: list[tuple[Member, Any]], start: date = START, end: date = END, **kw: Any
) -> Mobilization:
    return mobilization.mobilization_create(
        actor=actor,
        organization=org,
        purpose=kw.pop("purpose", "疫情防控入户排查"),
        start_date=start,
        end_date=end,
        assignments=pairs,
        **kw,
    )


def test_it_sends_members_to_grids_for_a_period(personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]) -> None:
    a = members["a"]
    m = mobilize(personas.secretary_a, tree.village_a, [(a[0], grids.a1), (a[1], grids.a1), (a[2], grids.a2)])
    assert m.assignments.count() == 3
    event = Event.objects.get(action="mobilization.create", object_id=str(m.pk))
    assert event.changes["members"] == 3 and event.changes["grids"] == {grids.a1.code: 2, grids.a2.code: 1}
    assert [x.member for x in mobilization.for_grid(grids.a1, START)] == [a[0], a[1]]
    assert mobilization.for_grid(grids.a1, END + timedelta(days=1)) == []


def test_it_refuses_an_overlapping_period_for_the_same_member(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    a = members["a"]
    mobilize(personas.secretary_a, tree.village_a, [(a[0], grids.a1)])
    for start, end in (
        (END, END + timedelta(days=5)),
        (START - timedelta(days=3), START),
        (START + timedelta(days=2), START + timedelta(days=3)),
    ):
        with pytest.raises(ValidationError) as exc:
            mobilize(personas.town_staff, tree.town, [(a[1], grids.a2), (a[0], grids.b1)], start, end)
        assert "甲党员0已于 2026-02-01 至 2026-02-14 动员到“甲村第一网格”" in exc.value.messages[0]
    assert Mobilization.objects.count() == 1 and MobilizationAssignment.objects.count() == 1
    # the day after the first ends is free
    mobilize(personas.town_staff, tree.town, [(a[0], grids.b1)], END + timedelta(days=1), END + timedelta(days=7))


def test_it_refuses_the_same_member_twice_in_one_mobilization(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    a = members["a"]
    with pytest.raises(ValidationError):
        mobilize(personas.secretary_a, tree.village_a, [(a[0], grids.a1), (a[0], grids.a2)])
    assert not Mobilization.objects.exists()


def test_it_refuses_members_and_grids_outside_the_scope(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    a, b = members["a"], members["b"]
    with pytest.raises(PermissionDenied):
        mobilize(personas.secretary_a, tree.village_a, [(b[0], grids.a1)])  # another village's member
    with pytest.raises(PermissionDenied):
        mobilize(personas.secretary_a, tree.village_a, [(a[0], grids.b1)])  # another village's grid
    with pytest.raises(PermissionDenied):
        mobilize(personas.secretary_a, tree.village_b, [(b[0], grids.b1)])  # registered on another village
    with pytest.raises(PermissionDenied):
        mobilize(personas.town_staff, tree.town, [(a[0], grids.c1)])  # another town's grid
    assert not Mobilization.objects.exists()


@pytest.mark.parametrize("who", ["worker", "auditor", "member", "outsider"])
def test_it_refuses_roles_that_do_not_mobilize(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]], who: str
) -> None:
    actor = grids.worker if who == "worker" else getattr(personas, who)
    with pytest.raises(PermissionDenied):
        mobilize(actor, tree.village_a, [(members["a"][0], grids.a1)])


def test_it_sends_party_members_only(personas: Personas, tree: Tree, grids: Grids) -> None:
    (activist,) = _members(tree.branch_a, 1, "积极分子", Stage.ACTIVIST)
    with pytest.raises(ValidationError):
        mobilize(personas.secretary_a, tree.village_a, [(activist, grids.a1)])
    (probationary,) = _members(tree.branch_a, 1, "预备党员", Stage.PROBATIONARY)
    mobilize(personas.secretary_a, tree.village_a, [(probationary, grids.a1)])


@pytest.mark.parametrize(("start", "end", "field"), [(END, START, "end_date"), (START, START + timedelta(days=400), "end_date")])
def test_it_refuses_a_bad_period(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]], start: date, end: date, field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        mobilize(personas.secretary_a, tree.village_a, [(members["a"][0], grids.a1)], start, end)
    assert field in exc.value.message_dict


def test_it_refuses_an_empty_mobilization_or_purpose(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    with pytest.raises(ValidationError):
        mobilize(personas.secretary_a, tree.village_a, [])
    with pytest.raises(ValidationError):
        mobilize(personas.secretary_a, tree.village_a, [(members["a"][0], grids.a1)], purpose=" ")


def test_members_mobilized_are_counted_per_grid_village_and_town(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    a, b = members["a"], members["b"]
    mobilize(personas.town_staff, tree.town, [(a[0], grids.a1), (a[1], grids.a1), (b[0], grids.b1)])
    # a[0] moves to grid A2 later in February: the village counts the member once
    mobilize(personas.town_staff, tree.town, [(a[0], grids.a2), (a[2], grids.a2)], END + timedelta(days=1), END + timedelta(days=10))
    # a mobilization in another year is outside the period
    mobilize(personas.town_staff, tree.town, [(a[3], grids.a2)], date(2025, 3, 1), date(2025, 3, 5))
    report = mobilization.mobilized_report(personas.town_staff, date(2026, 2, 1), date(2026, 2, 28))
    assert report.total == 4
    assert {r.org.pk: r.members for r in report.grids} == {grids.a1.pk: 2, grids.a2.pk: 2, grids.b1.pk: 1}
    assert {r.org.pk: r.members for r in report.villages} == {tree.village_a.pk: 3, tree.village_b.pk: 1}
    assert [(r.org.pk, r.members) for r in report.towns] == [(tree.town.pk, 4)]
    scoped = mobilization.mobilized_report(personas.secretary_b, date(2026, 2, 1), date(2026, 2, 28))
    assert (scoped.total, [r.org.pk for r in scoped.grids]) == (1, [grids.b1.pk])
    early = mobilization.mobilized_report(personas.town_staff, date(2026, 2, 1), date(2026, 2, 5))
    assert early.total == 3


def test_towns_are_counted_when_the_district_sits_under_a_city(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    mobilize(personas.town_staff, tree.town, [(members["a"][0], grids.a1), (members["b"][0], grids.b1)])
    build_region(tree, members=False)  # the district moves under 测试市: every path gains a step
    staff = User.objects.get(pk=personas.town_staff.pk)  # a fresh request's user: grants read anew
    report = mobilization.mobilized_report(staff, date(2026, 2, 1), date(2026, 2, 28))
    assert report.total == 2 and [(r.org.pk, r.members) for r in report.towns] == [(tree.town.pk, 2)]


# ---- pages ------------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_grid_fragment_lists_current_mobilized_members(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    today = timezone.localdate()
    mobilize(personas.secretary_a, tree.village_a, [(members["a"][0], grids.a1)], today, today + timedelta(days=3))
    response = _client(personas.secretary_a).get(reverse("grid:grid_mobilized", args=[grids.a1.pk]))
    assert response.status_code == 200 and "甲党员0" in response.content.decode()
    assert _client(personas.secretary_b).get(reverse("grid:grid_mobilized", args=[grids.a1.pk])).status_code == 404


def test_the_mobilization_page_creates_through_the_service(
    personas: Personas, tree: Tree, grids: Grids, members: dict[str, list[Member]]
) -> None:
    a = members["a"]
    client = _client(personas.secretary_a)
    url = reverse("grid:mobilization_create")
    form = {"purpose": "疫情防控", "start_date": "2026-02-01", "end_date": "2026-02-14", "grid": grids.a1.pk, "branch": tree.branch_a.pk}
    listed = client.get(url, form, headers={"HX-Request": "true"})
    assert listed.status_code == 200 and all(m.person.name in listed.content.decode() for m in a)
    response = client.post(url, form | {"members": [a[0].pk, a[1].pk]})
    assert response.status_code == 302
    assert set(MobilizationAssignment.objects.values_list("member_id", flat=True)) == {a[0].pk, a[1].pk}
    # the overlapping member is shown as taken and left unchecked
    taken = client.get(url, form, headers={"HX-Request": "true"}).content.decode()
    assert "已动员到甲村第一网格" in taken
    again = client.post(url, form | {"members": [a[0].pk]})
    assert again.status_code == 200 and "动员时间与已有动员重叠" in again.content.decode()
    assert MobilizationAssignment.objects.count() == 2
    # a member of another village smuggled into the form
    refused = client.post(url, form | {"members": [members["b"][0].pk], "start_date": "2026-03-01", "end_date": "2026-03-02"})
    assert refused.status_code == 403


def test_mobilization_pages_are_refused_to_outsiders(personas: Personas, grids: Grids) -> None:
    assert _client(personas.outsider).get(reverse("grid:mobilizations")).status_code == 403
    assert _client(grids.worker).get(reverse("grid:mobilization_create")).status_code == 403
    assert _client(personas.town_staff).get(reverse("grid:mobilizations")).status_code == 200
