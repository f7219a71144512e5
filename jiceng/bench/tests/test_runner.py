"""The runner's endpoint list, --only, --out, and the bare baselines it compares against."""

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from jiceng.accounts.models import User
from jiceng.bench.generate import BENCH_AUDITOR_USERNAME, BENCH_USERNAME, generate
from jiceng.bench.runner import (
    CpuClock,
    Endpoint,
    Load,
    Row,
    cpu_clock,
    cpu_ms,
    endpoints,
    markdown,
    pick,
    stop_server,
    targets,
    withheld_cpu,
    write_doc,
)
from jiceng.decisions.models import Decision
from jiceng.lib import paging
from jiceng.orgs.selectors import members_for_user

pytestmark = pytest.mark.django_db


def test_it_covers_details_dashboards_at_each_level_and_the_api() -> None:
    generate("tiny")
    t = targets()
    keys = {e.key for e in endpoints(t)}
    assert {"tree", "decision", "dashboard-district", "dashboard-town", "dashboard-village"} <= keys
    assert {"api-members", "api-cases", "api-needs", "api-decisions", "search", "search-latin"} <= keys
    assert {"people", "grids", "ledger-page", "floor"} <= keys
    assert t.town.depth == 2 and t.town.path.startswith(t.root.path)
    assert t.village is not None and t.village.path.startswith(t.town.path)
    assert t.decision_pk is not None
    assert Decision.objects.get(pk=t.decision_pk).village.path.startswith(t.root.path)


def test_a_database_without_the_auditor_leaves_out_the_ledger_page() -> None:
    """Databases generated before the auditor user: the run goes on without the page it cannot load."""
    generate("tiny")
    User.objects.filter(username=BENCH_AUDITOR_USERNAME).delete()
    assert "ledger-page" not in {e.key for e in endpoints(targets())}


def _client_of(e: Endpoint) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=e.user or BENCH_USERNAME))
    return client


@pytest.mark.urls("jiceng.bench.urls")
def test_every_page_and_baseline_answers_for_its_user() -> None:
    generate("tiny")
    for e in endpoints(targets()):
        assert _client_of(e).get(e.url).status_code == 200, e.url
        assert e.baseline is None or Client().get(e.baseline).status_code == 200, e.baseline


@pytest.mark.urls("jiceng.bench.urls")
def test_the_floor_is_a_logged_in_page_with_the_layout_against_an_empty_answer() -> None:
    generate("tiny")
    floor = next(e for e in endpoints(targets()) if e.key == "floor")
    page = _client_of(floor).get(floor.url)
    assert page.status_code == 200 and b"<nav" in page.content  # the whole layout, not a bare fragment
    assert Client().get(floor.baseline or "").json() == {}


@pytest.mark.urls("jiceng.bench.urls")
def test_the_member_search_baselines_find_what_the_page_finds() -> None:
    """The bare baseline runs the page's query: 陈 on the name, c on the initials (the same members)."""
    generate("tiny")
    root = targets().root
    user = User.objects.get(username=BENCH_USERNAME)
    for q in ("陈", "c", "C"):
        body = Client().get("/_bench/members/", {"path": root.path, "q": q}).json()
        page = members_for_user(user, {"q": q, "org": str(root.pk)})
        assert body["count"] == page.count() > 0, q
        assert [row[0] for row in body["rows"]] == list(page.values_list("pk", flat=True)[: len(body["rows"])])
    assert Client().get("/_bench/members/", {"path": root.path, "q": "c"}).json() == (
        Client().get("/_bench/members/", {"path": root.path, "q": "陈"}).json()
    )


@pytest.mark.urls("jiceng.bench.urls")
@pytest.mark.parametrize(("cap", "capped"), [(paging.COUNT_CAP, False), (5, True)])
def test_the_capped_list_baselines_return_the_pages_rows(monkeypatch: pytest.MonkeyPatch, cap: int, capped: bool) -> None:
    """People, grids, the ledger: the baseline's rows, count and next page are the page's, under the cap and over it."""
    monkeypatch.setattr(paging, "COUNT_CAP", cap)
    generate("tiny")
    chosen, _ = pick(endpoints(targets()), "people,grids,ledger-page")
    assert len(chosen) == 3
    for e in chosen:
        assert e.baseline is not None
        page = _client_of(e).get(e.url).context["page"]
        body = Client().get(e.baseline).json()
        assert [row[0] for row in body["rows"]] == [obj.pk for obj in page] != [], e.key
        assert (body["count"], body["capped"], body["has_next"]) == (page.count, capped, page.has_next), e.key


@pytest.mark.urls("jiceng.bench.urls")
def test_the_grid_list_baseline_counts_the_open_cases_the_page_shows() -> None:
    generate("tiny")
    (e,), _ = pick(endpoints(targets()), "grids")
    assert e.baseline is not None
    shown = {row["grid"].pk: row["open"] for row in _client_of(e).get(e.url).context["rows"] if row["open"]}
    body = Client().get(e.baseline).json()
    assert {int(pk): n for pk, n in body["open"].items()} == shown != {}


@pytest.mark.urls("jiceng.bench.urls")
def test_the_table_gives_our_cpu_per_request_beside_the_baselines() -> None:
    generate("tiny")
    floor = next(e for e in endpoints(targets()) if e.key == "floor")
    page_ms = cpu_ms(_client_of(floor), floor.url, 3)
    assert page_ms > 0
    row = Row(floor.name, floor.url, Load(1.0, 2.0, 3.0, {200}), Load(1.0, 1.0, 5.0, {200}), 3, page_ms, 0.5)
    line = markdown("t", [row], {}).splitlines()[-2]
    assert line.endswith(f"| 60% | {page_ms:.1f} / 0.5 |"), line


def test_a_run_without_pages_has_no_empty_page_table() -> None:
    text = markdown("import only", [], {"machine reference, before": "x"})
    assert "| endpoint |" not in text and "- machine reference, before: x" in text


def test_the_cpu_clock_reads_the_machine_line_of_proc_stat() -> None:
    stat = "cpu  100 5 50 800 10 0 5 30 7 0\ncpu0 50 2 25 400 5 0 2 15 3 0\n"
    clock = cpu_clock(stat)
    assert (clock.accounted, clock.steal) == (1000, 30)  # user..steal; guest is already in user
    assert cpu_clock().accounted > 0  # and this machine's own


def test_withheld_cpu_counts_steal_and_ticks_never_booked() -> None:
    before = CpuClock(wall_s=0.0, accounted=0, steal=0)
    # 10 s on 2 CPUs at 100 Hz should book 2,000 ticks: 1,300 were, 200 of them steal
    assert withheld_cpu(before, CpuClock(10.0, 1300, 200), cpus=2, hz=100) == "steal 10%, never booked 35% of 2,000 CPU ticks"
    assert withheld_cpu(before, CpuClock(10.0, 2010, 0), cpus=2, hz=100) == "steal 0%, never booked 0% of 2,000 CPU ticks"
    assert withheld_cpu(before, before, cpus=2, hz=100) == "not measured"
    assert withheld_cpu(before, CpuClock(0.001, 0, 0), cpus=2, hz=100) == "not measured"  # not "100% of 0 ticks"


def test_only_picks_endpoints_and_sections() -> None:
    generate("tiny")
    all_endpoints = endpoints(targets())
    chosen, sections = pick(all_endpoints, "tree, api-cases,ledger")
    assert [e.key for e in chosen] == ["tree", "api-cases"] and sections == {"ledger"}
    assert pick(all_endpoints, "") == (all_endpoints, {"ledger", "import"})
    with pytest.raises(SystemExit, match="nope"):
        pick(all_endpoints, "nope")


def test_out_rewrites_only_its_own_block(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    write_doc("a", "first\n", out)
    write_doc("b", "other\n", out)
    write_doc("a", "second\n", out)
    text = out.read_text()
    assert "second" in text and "first" not in text and "other" in text


def test_a_server_that_ignores_terminate_is_killed_after_the_grace() -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    stubborn = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"  # its handler is in place
    stop_server(stubborn, grace_s=0.5)
    assert stubborn.returncode == -signal.SIGKILL
    stubborn.stdout.close()
