"""A dashboard whose snapshot is not stored yet: a town or village computes it in the request; a
district, city or province hands it to the task queue once and says it is being generated."""

import threading
import time
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jiceng.accounts.models import Role, User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree, _node, make_user
from jiceng.dashboard import rollups
from jiceng.dashboard.models import PendingSnapshot, Snapshot
from jiceng.dashboard.tests.fixtures import Board
from jiceng.orgs.models import Organization, OrgKind
from jiceng.orgs.tests.regions import Region, build_region

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_PATH = "jiceng.dashboard.tasks.refresh_indicators"


def url(org: Organization, suffix: str = "") -> str:
    return f"/dashboard/org/{org.pk}/{suffix}"


def _year() -> int:
    return timezone.localdate().year


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queued() -> list[dict[str, Any]]:
    """The dashboard tasks waiting for a worker, as their arguments."""
    return [r.args_kwargs for r in DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").order_by("enqueued_at")]


# The tests that run the worker commit for real: db_worker closes the connection between tasks.
WORKER = pytest.mark.django_db(transaction=True)


def _work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def queue(settings: Any) -> None:
    """The production setting: tasks wait in the database for `manage.py db_worker`."""
    settings.TASKS = DATABASE_BACKEND


@pytest.fixture
def province(board: Board) -> tuple[Region, Organization]:
    region = build_region(board.tree)
    top = _node(None, "测试省", "44", OrgKind.PROVINCE)
    for city in (region.city, region.other_city):
        Organization.objects.move(Organization.objects.get(pk=city.pk), Organization.objects.get(pk=top.pk), "sorted-child")
    return region, Organization.objects.get(pk=top.pk)


# ---- with the database backend: the pending page, one task, then the dashboard ----------------------


@WORKER
def test_a_district_without_a_snapshot_gets_the_pending_page_and_one_task(queue: None, personas: Personas, board: Board) -> None:
    district, c = board.tree.district, _client(personas.district_admin)
    page = c.get(url(district))
    assert page.status_code == 200
    body = page.content.decode()
    assert "看板数据正在生成，请稍候刷新" in body and "数据截至" not in body and 'id="t-formation"' not in body
    pending = PendingSnapshot.objects.get()
    assert (pending.organization_id, pending.year) == (district.pk, _year())
    assert f"已于 {timezone.localtime(pending.requested_at):%Y-%m-%d %H:%M} 提交后台生成" in body
    assert "window.location.reload()" in body and "15 * 1000" in body
    assert not Snapshot.objects.exists()  # nothing computed in the request
    assert _queued() == [{"args": [district.pk, _year()], "kwargs": {"missing_only": True}}]

    assert "看板数据正在生成" in c.get(url(district)).content.decode()
    assert len(_queued()) == 1  # the second view waits for the same task
    assert not Event.objects.filter(action="dashboard.refresh").exists()  # a page view is not an audit event

    _work()
    assert not _queued() and not PendingSnapshot.objects.exists()
    # the district, its 2 towns and 3 villages
    assert Snapshot.objects.filter(year=_year()).count() == 6
    body = c.get(url(district)).content.decode()
    assert "数据截至" in body and 'id="t-formation"' in body and "看板数据正在生成" not in body


@WORKER
def test_a_city_is_added_up_by_the_task_computing_only_the_missing_districts(queue: None, board: Board) -> None:
    region = build_region(board.tree)
    rollups.refresh(region.tree.district)
    kept = Snapshot.objects.get(organization=region.tree.district).as_of
    c = _client(make_user("city_admin", Role.DISTRICT_ADMIN, region.city))
    assert "看板数据正在生成" in c.get(url(region.city)).content.decode()
    assert not Snapshot.objects.filter(organization__in=[region.city, region.sibling]).exists()
    assert _queued() == [{"args": [region.city.pk, _year()], "kwargs": {"missing_only": True}}]
    _work()
    assert Snapshot.objects.get(organization=region.tree.district).as_of == kept  # stored: not recomputed
    assert Snapshot.objects.filter(organization__in=[region.city, region.sibling]).count() == 2
    body = c.get(url(region.city)).content.decode()
    assert "数据截至" in body and "邻区" in body and "测试区" in body


@WORKER
def test_a_province_waits_for_the_task_and_then_shows_its_cities(queue: None, province: tuple[Region, Organization]) -> None:
    region, top = province
    c = _client(make_user("province_admin", Role.DISTRICT_ADMIN, top))
    assert "看板数据正在生成" in c.get(url(top)).content.decode()
    assert not Snapshot.objects.exists()
    assert "看板数据正在生成" in c.get(url(region.city)).content.decode()  # a city below it asks for its own
    assert [q["args"][0] for q in _queued()] == [top.pk, region.city.pk]
    _work()
    assert Snapshot.objects.filter(organization__in=[top, region.city, region.other_city]).count() == 3
    body = c.get(url(top)).content.decode()
    assert "数据截至" in body and "测试市" in body and "他市" in body
    assert "数据截至" in c.get(url(region.city)).content.decode()


def test_a_town_and_a_village_still_compute_in_the_request(queue: None, personas: Personas, board: Board) -> None:
    tree = board.tree
    village = _client(personas.secretary_a).get(url(tree.village_a)).content.decode()
    assert "数据截至" in village and 'id="t-formation"' in village
    assert set(Snapshot.objects.values_list("organization", flat=True)) == {tree.village_a.pk}
    town = _client(personas.town_staff).get(url(tree.town)).content.decode()
    assert "数据截至" in town and 'id="t-formation"' in town
    assert set(Snapshot.objects.values_list("organization", flat=True)) == {tree.town.pk, tree.village_a.pk, tree.village_b.pk}
    assert not _queued() and not PendingSnapshot.objects.exists()


def test_a_lost_task_is_asked_for_again_after_the_cooldown(queue: None, personas: Personas, board: Board) -> None:
    district, c = board.tree.district, _client(personas.district_admin)
    c.get(url(district))
    DBTaskResult.objects.all().delete()  # the worker lost it
    c.get(url(district))
    assert not _queued()  # within the cooldown: not again
    earlier = timezone.now() - rollups.REFRESH_COOLDOWN - timedelta(seconds=1)
    PendingSnapshot.objects.update(requested_at=earlier)
    body = c.get(url(district)).content.decode()
    assert len(_queued()) == 1
    pending = PendingSnapshot.objects.get()
    assert pending.requested_at > earlier and f"已于 {timezone.localtime(pending.requested_at):%Y-%m-%d %H:%M}" in body


def test_exports_and_the_report_of_a_pending_dashboard_go_back_to_the_page(queue: None, personas: Personas, board: Board) -> None:
    district, c = board.tree.district, _client(personas.district_admin)
    for suffix in ("export/formation.xlsx", "report.pdf"):
        response = c.get(url(district, suffix) + "?year=2025")
        assert response.status_code == 302 and response["Location"] == url(district) + "?year=2025"
    page = c.get(url(district) + "?year=2025").content.decode()
    assert "生成后才能导出 Excel 或年度报告" in page and "看板数据正在生成" in page
    assert _queued() == [{"args": [district.pk, 2025], "kwargs": {"missing_only": True}}]
    assert not Event.objects.filter(action__in=["dashboard.export", "dashboard.report"]).exists()
    assert c.get(url(board.tree.other_town, "export/formation.xlsx") + "?year=2025").status_code == 200  # a town computes


def test_the_refresh_button_on_a_pending_dashboard_asks_once_and_is_not_audited(queue: None, personas: Personas, board: Board) -> None:
    district, c = board.tree.district, _client(personas.district_admin)
    response = c.post(url(district, "refresh/"), {"year": _year()})
    assert response.status_code == 302 and response["Location"] == f"{url(district)}?year={_year()}"
    c.post(url(district, "refresh/"), {"year": _year()})
    assert len(_queued()) == 1 and not Event.objects.filter(action="dashboard.refresh").exists()
    assert "看板数据正在生成" in c.get(response["Location"]).content.decode()


@WORKER
def test_the_big_screen_says_pending_until_the_task_ran(queue: None, personas: Personas, board: Board) -> None:
    c = _client(personas.district_admin)
    page = c.get("/dashboard/screen/").content.decode()
    assert "data.pending" in page and "pendingEvery = 15000" in page and "60000" in page
    data = c.get("/dashboard/screen/data.json").json()
    requested = timezone.localtime(PendingSnapshot.objects.get().requested_at)
    assert data == {
        "org": "测试区",
        "pending": True,
        "requested_at": f"{requested:%Y-%m-%d %H:%M}",
        "title": "看板数据正在生成，请稍候",
        "message": f"已于 {requested:%Y-%m-%d %H:%M} 提交后台生成，生成后自动显示。",
    }
    assert len(_queued()) == 1
    _work()
    data = c.get("/dashboard/screen/data.json").json()
    assert data["pending"] is False and data["kpis"] and data["as_of"]


def test_the_pending_page_reads_a_fixed_number_of_rows(
    queue: None, personas: Personas, board: Board, django_assert_num_queries: Any
) -> None:
    c = _client(personas.district_admin)
    c.get(url(board.tree.district))  # the first view claims and enqueues
    # session, user, grants, the organization, the snapshot (none), the pending row
    with django_assert_num_queries(6):
        assert "看板数据正在生成" in c.get(url(board.tree.district)).content.decode()


# ---- the task and the claim ----------------------------------------------------------------------


def test_a_task_that_finds_the_snapshot_stored_does_nothing(board: Board) -> None:
    district = board.tree.district
    rollups.refresh(district, _year())
    as_of = Snapshot.objects.get(organization=district, year=_year()).as_of
    PendingSnapshot.objects.create(organization=district, year=_year(), requested_at=timezone.now())
    assert rollups.fill(district, _year()) == 0
    assert Snapshot.objects.get(organization=district, year=_year()).as_of == as_of and not PendingSnapshot.objects.exists()


def test_a_refresh_answers_the_pending_request(board: Board) -> None:
    PendingSnapshot.objects.create(organization=board.tree.district, year=_year(), requested_at=timezone.now())
    PendingSnapshot.objects.create(organization=board.tree.district, year=2024, requested_at=timezone.now())
    rollups.refresh(board.tree.district, _year())
    assert list(PendingSnapshot.objects.values_list("year", flat=True)) == [2024]  # another year still waits


def test_the_claim_is_once_per_cooldown(tree: Tree) -> None:
    now = timezone.now()
    assert rollups.claim_fill(tree.district, 2026, now)[1] is True
    assert rollups.claim_fill(tree.district, 2026, now + rollups.REFRESH_COOLDOWN)[1] is False
    assert rollups.claim_fill(tree.district, 2025, now)[1] is True  # another year is another snapshot
    later = now + rollups.REFRESH_COOLDOWN + timedelta(seconds=1)
    pending, claimed = rollups.claim_fill(tree.district, 2026, later)
    assert claimed and pending.requested_at == later == PendingSnapshot.objects.get(year=2026).requested_at
    assert rollups.claim_fill(tree.district, 2026, later)[1] is False


def test_with_the_immediate_backend_the_page_shows_the_dashboard_at_once(personas: Personas, board: Board) -> None:
    body = _client(personas.district_admin).get(url(board.tree.district)).content.decode()
    assert "数据截至" in body and "看板数据正在生成" not in body
    assert Snapshot.objects.filter(organization=board.tree.district).exists() and not PendingSnapshot.objects.exists()


# ---- two requests at once (PostgreSQL: SQLite serializes writers, so the race cannot happen there) ----

RACERS = 6


def _race(work: Any) -> list[Any]:
    barrier = threading.Barrier(RACERS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def _claim_and_hold(org: Organization, year: int, now: Any) -> bool:
    """Claim in a transaction that stays open a moment, so the others' INSERTs meet an uncommitted row."""
    with transaction.atomic():
        claimed = rollups.claim_fill(org, year, now)
        time.sleep(0.2)
    return claimed[1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs a database with concurrent writers")
def test_concurrent_first_claims_let_exactly_one_enqueue(tree: Tree) -> None:
    now = timezone.now()
    results = _race(lambda: _claim_and_hold(tree.district, 2026, now))
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert PendingSnapshot.objects.get().requested_at == now


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs a database with concurrent writers")
def test_concurrent_claims_after_the_cooldown_let_exactly_one_enqueue(tree: Tree) -> None:
    start = timezone.now()
    rollups.claim_fill(tree.district, 2026, start)
    later = start + rollups.REFRESH_COOLDOWN + timedelta(minutes=1)
    results = _race(lambda: _claim_and_hold(tree.district, 2026, later))
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert PendingSnapshot.objects.get().requested_at == later


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs a database with concurrent writers")
def test_concurrent_page_views_enqueue_one_task(queue: None, tree: Tree) -> None:
    def view() -> int:
        with pytest.raises(rollups.SnapshotPending) as waiting:
            rollups.snapshot_for(Organization.objects.get(pk=tree.district.pk), _year())
        return waiting.value.org.pk

    assert _race(view) == [tree.district.pk] * RACERS
    assert len(_queued()) == 1 and PendingSnapshot.objects.count() == 1 and not Snapshot.objects.exists()
