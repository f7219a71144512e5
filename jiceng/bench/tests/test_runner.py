"""The runner's endpoint list, --only, --out, and the bare baselines it compares against."""

from pathlib import Path

import pytest
from django.test import Client

from jiceng.bench.generate import BENCH_USERNAME, generate
from jiceng.bench.runner import endpoints, pick, targets, write_doc
from jiceng.decisions.models import Decision
from jiceng.orgs.selectors import members_for_user

pytestmark = pytest.mark.django_db


def test_it_covers_details_dashboards_at_each_level_and_the_api() -> None:
    generate("tiny")
    t = targets()
    keys = {e.key for e in endpoints(t)}
    assert {"tree", "decision", "dashboard-district", "dashboard-town", "dashboard-village"} <= keys
    assert {"api-members", "api-cases", "api-needs", "api-decisions", "search", "search-latin"} <= keys
    assert t.town.depth == 2 and t.town.path.startswith(t.root.path)
    assert t.village is not None and t.village.path.startswith(t.town.path)
    assert t.decision_pk is not None
    assert Decision.objects.get(pk=t.decision_pk).village.path.startswith(t.root.path)


@pytest.mark.urls("jiceng.bench.urls")
def test_every_page_and_baseline_answers_for_the_bench_user() -> None:
    from jiceng.accounts.models import User

    generate("tiny")
    client = Client()
    client.force_login(User.objects.get(username=BENCH_USERNAME))
    for e in endpoints(targets()):
        assert client.get(e.url).status_code == 200, e.url
        assert e.baseline is None or Client().get(e.baseline).status_code == 200, e.baseline


@pytest.mark.urls("jiceng.bench.urls")
def test_the_member_search_baselines_find_what_the_page_finds() -> None:
    """The bare baseline runs the page's query: 陈 on the name, c on the initials (the same members)."""
    from jiceng.accounts.models import User

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
