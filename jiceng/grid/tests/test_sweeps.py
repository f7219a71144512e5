"""Sweep services: who may start a campaign over which grids, one visit per household and round
(a second submit updates it), the visit refused outside the worker's grid or the campaign's dates,
coverage counted exactly per grid, village and town, the roster import, export and findings."""

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import sweeps, sweeps_files
from jiceng.grid.models import Case, CaseCategory
from jiceng.grid.models_sweeps import FindingState, Household, SweepCampaign, SweepVisit, VisitOutcome
from jiceng.grid.tests.conftest import Grids

TODAY = timezone.localdate()
V = VisitOutcome


@pytest.fixture
def roster(grids: Grids) -> dict[str, list[Household]]:
    def make(grid: Any, n: int) -> list[Household]:
        return [
            Household.objects.create(grid=grid, address=f"{grid.name}{i + 1}号", head_name=f"户主{i + 1}", members_count=3)
            for i in range(n)
        ]

    return {"a1": make(grids.a1, 5), "a2": make(grids.a2, 3), "b1": make(grids.b1, 4)}


def campaign(personas: Personas, tree: Tree, g: Grids, **kw: Any) -> SweepCampaign:
    fields: dict[str, Any] = {
        "actor": personas.town_staff,
        "organization": tree.town,
        "title": "安全隐患大排查",
        "start_date": TODAY - timedelta(days=3),
        "end_date": TODAY + timedelta(days=10),
        "rounds": 2,
        "grids": [g.a1, g.a2, g.b1],
        "questions": [sweeps.QuestionSpec("有无独居老人"), sweeps.QuestionSpec("房屋用途", "choice", ("自住", "出租", "空置"))],
    } | kw
    return sweeps.campaign_create(**fields)


def visit(actor: Any, c: SweepCampaign, h: Household, outcome: str, round: int = 1, **kw: Any) -> tuple[SweepVisit, bool]:
    return sweeps.visit_record(actor=actor, campaign=c, household=h, round=round, outcome=outcome, **kw)


# ---- starting a campaign ----------------------------------------------------------------------


def test_it_lets_village_staff_start_a_campaign_over_their_grids(personas: Personas, tree: Tree, grids: Grids) -> None:
    c = campaign(personas, tree, grids, actor=personas.secretary_a, organization=tree.village_a, grids=[grids.a1, grids.a2])
    assert set(c.grids.all()) == {grids.a1, grids.a2}
    assert [q.text for q in c.questions.all()] == ["有无独居老人", "房屋用途"]
    event = Event.objects.get(action="sweep.create", object_id=str(c.pk))
    assert event.changes["grids"] == sorted([grids.a1.code, grids.a2.code]) and event.org_path == tree.village_a.path


def test_it_refuses_a_campaign_over_a_grid_of_another_village(personas: Personas, tree: Tree, grids: Grids) -> None:
    with pytest.raises(PermissionDenied):
        campaign(personas, tree, grids, actor=personas.secretary_a, organization=tree.village_a, grids=[grids.a1, grids.b1])
    assert not SweepCampaign.objects.exists() and not Event.objects.filter(action="sweep.create").exists()


def test_it_refuses_a_campaign_registered_on_another_village(personas: Personas, tree: Tree, grids: Grids) -> None:
    with pytest.raises(PermissionDenied):
        campaign(personas, tree, grids, actor=personas.secretary_a, organization=tree.village_b, grids=[grids.b1])


def test_it_refuses_a_town_campaign_over_another_towns_grid(personas: Personas, tree: Tree, grids: Grids) -> None:
    with pytest.raises(PermissionDenied):
        campaign(personas, tree, grids, grids=[grids.a1, grids.c1])


@pytest.mark.parametrize("who", ["worker", "district_admin", "auditor", "member", "outsider"])
def test_it_refuses_roles_that_do_not_run_sweeps(personas: Personas, tree: Tree, grids: Grids, who: str) -> None:
    actor = grids.worker if who == "worker" else getattr(personas, who)
    with pytest.raises(PermissionDenied):
        campaign(personas, tree, grids, actor=actor, organization=tree.village_a, grids=[grids.a1])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": TODAY - timedelta(days=10)}, "end_date"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": 13}, "rounds"),
        ({"grids": []}, "grids"),
        ({"title": "  "}, "title"),
        ({"questions": [sweeps.QuestionSpec("房屋用途", "choice", ("自住",))]}, "questions"),
    ],
)
def test_it_refuses_a_malformed_campaign(personas: Personas, tree: Tree, grids: Grids, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        campaign(personas, tree, grids, **changes)
    assert field in exc.value.message_dict
    assert not SweepCampaign.objects.exists()


def test_owner_is_the_lowest_organization_above_the_grids(personas: Personas, tree: Tree, grids: Grids) -> None:
    assert sweeps.owner_for(personas.town_staff, [grids.a1, grids.a2]) == tree.village_a
    assert sweeps.owner_for(personas.town_staff, [grids.a1, grids.b1]) == tree.town
    with pytest.raises(PermissionDenied):
        sweeps.owner_for(personas.secretary_a, [grids.a1, grids.b1])


def test_questions_parse_from_the_form_text() -> None:
    specs = sweeps.parse_questions("有无独居老人\n房屋用途：自住/出租/空置\n\n文字:其他情况\n")
    assert [(s.text, s.kind, s.options) for s in specs] == [
        ("有无独居老人", "yes_no", ()),
        ("房屋用途", "choice", ("自住", "出租", "空置")),
        ("其他情况", "text", ()),
    ]


# ---- visits -----------------------------------------------------------------------------------


def test_a_second_submit_updates_the_visit_instead_of_duplicating_it(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    h = roster["a1"][0]
    q1, q2 = c.questions.all()
    first, created = visit(grids.worker, c, h, V.NOT_HOME)
    assert created
    second, created = visit(grids.worker, c, h, V.VISITED, answers={str(q1.pk): "yes", str(q2.pk): "出租"})
    assert not created and second.pk == first.pk
    assert SweepVisit.objects.filter(campaign=c, household=h, round=1).count() == 1
    second.refresh_from_db()
    assert second.outcome == V.VISITED and second.answers == {str(q1.pk): "yes", str(q2.pk): "出租"}
    actions = list(Event.objects.filter(object_type="grid.sweepvisit", object_id=str(first.pk)).values_list("action", flat=True))
    assert actions == ["sweep.visit", "sweep.visit_update"]
    # another round is another visit
    _v, created = visit(grids.worker, c, h, V.VISITED, round=2)
    assert created


def test_the_database_refuses_a_duplicate_visit_row(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    v, _ = visit(grids.worker, c, roster["a1"][0], V.VISITED)
    with pytest.raises(IntegrityError), transaction.atomic():
        SweepVisit.objects.create(
            campaign=c, household=v.household, round=1, outcome=V.REFUSED, visited_by=grids.worker, visited_at=timezone.now()
        )


def test_it_refuses_a_visit_outside_the_workers_grid(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    with pytest.raises(PermissionDenied):
        visit(grids.worker, c, roster["a2"][0], V.VISITED)  # same village, not a grid the worker serves
    with pytest.raises(PermissionDenied):
        visit(grids.worker_b, c, roster["a1"][0], V.VISITED)  # another village
    with pytest.raises(PermissionDenied):
        visit(personas.town_staff, c, roster["a1"][0], V.VISITED)  # the town watches, it does not visit
    assert not SweepVisit.objects.exists()


def test_a_worker_whose_service_ended_may_no_longer_visit(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    grids.a1.members.filter(user=grids.worker).update(end_date=TODAY - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        visit(grids.worker, c, roster["a1"][0], V.VISITED)


def test_village_staff_may_record_visits_in_any_grid_of_their_village(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    _v, created = visit(personas.secretary_a, c, roster["a2"][0], V.VISITED)
    assert created
    with pytest.raises(PermissionDenied):
        visit(personas.secretary_a, c, roster["b1"][0], V.VISITED)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"round": 3}, "共 2 轮"),
        ({"round": 0}, "共 2 轮"),
        ({"outcome": "gone"}, "请选择走访结果"),
        ({"outcome": V.REFERRED}, "转办须写明"),
        ({"today": TODAY - timedelta(days=4)}, "尚不能登记"),
        ({"today": TODAY + timedelta(days=11)}, "已于"),
    ],
)
def test_it_refuses_a_malformed_visit(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]], kw: dict[str, Any], message: str
) -> None:
    c = campaign(personas, tree, grids)
    fields: dict[str, Any] = {"outcome": V.VISITED, "round": 1} | kw
    with pytest.raises(ValidationError) as exc:
        sweeps.visit_record(actor=grids.worker, campaign=c, household=roster["a1"][0], **fields)
    assert message in " ".join(exc.value.messages)
    assert not SweepVisit.objects.exists()


def test_it_refuses_answers_that_do_not_fit_the_checklist(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    q1, q2 = c.questions.all()
    other = campaign(personas, tree, grids, title="另一次排查").questions.first()
    assert other is not None
    for answers in ({str(q1.pk): "maybe"}, {str(q2.pk): "商铺"}, {str(other.pk): "yes"}):
        with pytest.raises(ValidationError):
            visit(grids.worker, c, roster["a1"][0], V.VISITED, answers=answers)
    assert not SweepVisit.objects.exists()


def test_it_refuses_a_household_outside_the_campaign(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids, grids=[grids.a2, grids.b1])
    with pytest.raises(ValidationError):
        visit(grids.worker, c, roster["a1"][0], V.VISITED)


# ---- progress ---------------------------------------------------------------------------------


def _fill(personas: Personas, grids: Grids, c: SweepCampaign, roster: dict[str, list[Household]]) -> None:
    a1, a2, b1 = roster["a1"], roster["a2"], roster["b1"]
    for h, outcome in zip(a1, [V.VISITED, V.VISITED, V.NOT_HOME, V.REFUSED], strict=False):  # a1[4] not visited
        visit(grids.worker, c, h, outcome, finding="楼道堆放杂物" if h == a1[0] else "")
    visit(personas.secretary_a, c, a2[0], V.CLOSED)
    visit(personas.secretary_a, c, a2[1], V.REFERRED, finding="独居老人需要帮扶")
    for h in b1:
        visit(personas.secretary_b, c, h, V.VISITED)
    visit(grids.worker, c, a1[0], V.VISITED, round=2)


def test_coverage_is_exact_per_grid_village_and_town(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    _fill(personas, grids, c, roster)
    p = sweeps.progress(personas.town_staff, c, 1)
    by_grid = {r.org.pk: r.coverage for r in p.grids}
    a1, a2, b1 = by_grid[grids.a1.pk], by_grid[grids.a2.pk], by_grid[grids.b1.pk]
    assert (a1.households, a1.covered, str(a1.share), a1.not_home, a1.findings) == (5, 3, "60.0", 1, 1)
    assert (a2.households, a2.covered, str(a2.share), a2.findings) == (3, 2, "66.7", 1)
    assert (b1.households, b1.covered, str(b1.share)) == (4, 4, "100.0")
    villages = {r.org.pk: r.coverage for r in p.villages}
    assert (villages[tree.village_a.pk].covered, villages[tree.village_a.pk].households) == (5, 8)
    assert str(villages[tree.village_a.pk].share) == "62.5"
    assert [(r.org.pk, r.coverage.covered, r.coverage.households) for r in p.towns] == [(tree.town.pk, 9, 12)]
    assert (p.total.covered, p.total.households, str(p.total.share)) == (9, 12, "75.0")
    assert a1.counts == [2, 1, 1, 0, 0]
    round2 = sweeps.progress(personas.town_staff, c, 2)
    assert (round2.total.covered, round2.total.households) == (1, 12)


def test_progress_shows_only_the_grids_in_the_viewers_scope(
    personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]
) -> None:
    c = campaign(personas, tree, grids)
    _fill(personas, grids, c, roster)
    p = sweeps.progress(personas.secretary_b, c, 1)
    assert [r.org.pk for r in p.grids] == [grids.b1.pk]
    assert p.towns == [] and (p.total.covered, p.total.households) == (4, 4)
    worker = sweeps.progress(grids.worker, c, 1)
    assert [r.org.pk for r in worker.grids] == [grids.a1.pk]


def test_a_campaign_is_invisible_outside_its_grids(personas: Personas, tree: Tree, grids: Grids) -> None:
    c = campaign(personas, tree, grids, actor=personas.secretary_a, organization=tree.village_a, grids=[grids.a1])
    assert list(sweeps.campaigns_for_user(personas.secretary_a)) == [c]
    assert list(sweeps.campaigns_for_user(personas.town_staff)) == [c]
    assert list(sweeps.campaigns_for_user(personas.secretary_b)) == []
    assert list(sweeps.campaigns_for_user(grids.worker_b)) == []
    assert list(sweeps.campaigns_for_user(personas.outsider)) == []


# ---- findings to cases ------------------------------------------------------------------------


def test_a_finding_opens_a_case_in_one_step(personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]) -> None:
    c = campaign(personas, tree, grids)
    v, _ = visit(grids.worker, c, roster["a1"][0], V.VISITED, finding="楼道堆放杂物，存在消防隐患")
    assert v.finding_state == FindingState.PENDING
    safety = CaseCategory.objects.get(code="safety")
    v = sweeps.finding_open_case(actor=grids.worker, visit=v, category=safety)
    assert v.finding_state == FindingState.REPORTED
    assert v.case_id is not None
    case = Case.objects.get(pk=v.case_id)
    assert case.grid == grids.a1 and "楼道堆放杂物" in case.description and case.category == safety
    assert Event.objects.filter(action="sweep.finding_case", object_id=str(v.pk)).exists()
    with pytest.raises(ValidationError):
        sweeps.finding_open_case(actor=grids.worker, visit=v, category=safety)
    assert Case.objects.count() == 1
    # a later update of the visit keeps the link to the case
    v2, _ = visit(grids.worker, c, roster["a1"][0], V.VISITED, finding="楼道堆放杂物，已清理一半")
    assert v2.finding_state == FindingState.REPORTED and v2.case_id == case.pk


def test_a_visit_without_a_finding_opens_no_case(personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]) -> None:
    c = campaign(personas, tree, grids)
    v, _ = visit(grids.worker, c, roster["a1"][0], V.VISITED)
    with pytest.raises(ValidationError):
        sweeps.finding_open_case(actor=grids.worker, visit=v, category=CaseCategory.objects.get(code="safety"))
    v_b, _ = visit(personas.secretary_b, c, roster["b1"][0], V.VISITED, finding="漏水")
    with pytest.raises(PermissionDenied):
        sweeps.finding_open_case(actor=grids.worker, visit=v_b, category=CaseCategory.objects.get(code="safety"))
    assert not Case.objects.exists()


# ---- roster -----------------------------------------------------------------------------------


def _xlsx(rows: list[list[Any]], header: tuple[str, ...] = sweeps_files.IMPORT_HEADERS) -> BytesIO:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_the_roster_imports_and_a_second_import_updates(personas: Personas, tree: Tree, grids: Grids) -> None:
    rows: list[list[Any]] = [
        [grids.a1.code, "幸福路1号", "陈一", 4],
        [grids.a1.code, "幸福路2号", "陈二", None],
        [grids.a2.code, "幸福路9号", "陈九", "2"],
    ]
    result = sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_a, file=_xlsx(rows))
    assert (result.ok, result.created, result.updated) == (True, 3, 0)
    rows[0][3] = 5
    again = sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_a, file=_xlsx(rows))
    assert (again.created, again.updated) == (0, 1)
    assert Household.objects.count() == 3 and Household.objects.get(address="幸福路1号").members_count == 5
    assert Event.objects.filter(action="household.import").count() == 2


def test_a_bad_roster_file_lists_every_bad_row_and_writes_nothing(personas: Personas, tree: Tree, grids: Grids) -> None:
    rows: list[list[Any]] = [
        [grids.a1.code, "幸福路1号", "陈一", 4],
        [grids.b1.code, "乙村路1号", "李一", 3],  # a grid of another village
        [grids.a1.code, "幸福路2号", "", 3],  # no head
        [grids.a1.code, "幸福路1号", "陈一", 4],  # the same door twice
        [grids.a1.code, "幸福路3号", "陈三", "三口"],  # not a number
    ]
    result = sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_a, file=_xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "网格编码"), (4, "户主姓名"), (5, "门牌地址"), (6, "家庭人数")]
    assert not Household.objects.exists() and not Event.objects.filter(action="household.import").exists()


def test_the_roster_import_refuses_a_wrong_header_another_village_and_a_non_excel_file(
    personas: Personas, tree: Tree, grids: Grids
) -> None:
    with pytest.raises(ValidationError):
        sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_a, file=_xlsx([], header=("网格", "地址")))
    with pytest.raises(ValidationError):
        sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_a, file=BytesIO(b"not a workbook"))
    with pytest.raises(PermissionDenied):
        sweeps_files.households_import(actor=personas.secretary_a, village=tree.village_b, file=_xlsx([]))
    with pytest.raises(PermissionDenied):
        sweeps_files.households_import(actor=grids.worker, village=tree.village_a, file=_xlsx([]))


def test_a_household_is_registered_once_per_door(personas: Personas, tree: Tree, grids: Grids) -> None:
    sweeps.household_create(actor=personas.secretary_a, grid=grids.a1, address="幸福路1号", head_name="陈一", members_count=3)
    with pytest.raises(ValidationError):
        sweeps.household_create(actor=personas.secretary_a, grid=grids.a1, address="幸福路1号", head_name="陈一", members_count=3)
    with pytest.raises(PermissionDenied):
        sweeps.household_create(actor=personas.secretary_a, grid=grids.b1, address="乙村路1号", head_name="李一")
    assert Household.objects.count() == 1


# ---- export -----------------------------------------------------------------------------------


def test_export_is_scoped_and_audited(personas: Personas, tree: Tree, grids: Grids, roster: dict[str, list[Household]]) -> None:
    c = campaign(personas, tree, grids)
    _fill(personas, grids, c, roster)
    export = sweeps_files.export_results(actor=personas.secretary_b, campaign=c)
    assert export.rows == 4 * 2  # b1's four households × two rounds
    ws = load_workbook(export.file, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:8] == ("村（社区）", "网格编码", "网格", "门牌地址", "户主", "家庭人数", "轮次", "走访结果")
    assert {r[2] for r in rows[1:]} == {grids.b1.name}
    assert [r[7] for r in rows[1:] if r[6] == 1] == ["已走访"] * 4 and [r[7] for r in rows[1:] if r[6] == 2] == ["未走访"] * 4
    event = Event.objects.get(action="sweep.export", actor_id=personas.secretary_b.pk)
    assert event.changes == {"rows": 8, "grids": 1} and event.org_path == tree.village_b.path
    town = sweeps_files.export_results(actor=personas.town_staff, campaign=c)
    assert town.rows == 12 * 2
