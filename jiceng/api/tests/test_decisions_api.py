"""/api/v1/decisions, /objections, /meetings: the procedure through the API, its refusals and its scope."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.api.tests.conftest import Api, assert_error
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree, make_user
from jiceng.decisions import services
from jiceng.decisions.models import Decision, MatterCatalogue, MatterGroup, Meeting, NoticeKind, Status
from jiceng.decisions.tests.conftest import Village
from jiceng.orgs.models import Member, Person, Post, PostRole, Stage
from jiceng.rules.models import Body

TODAY = timezone.localdate()
AGO = {n: (TODAY - timedelta(days=n)).isoformat() for n in range(0, 40)}

ApiAs = Callable[[User], Api]


@pytest.fixture
def village(tree: Tree, personas: Personas) -> Village:
    """Village A as the decisions suite builds it: 9 full members and a probationer, a party committee
    of 3, a two-committee of 5, an approved catalogue, and a supervisor in A and in B."""
    people = Person.objects.bulk_create(Person(organization=tree.village_a, name=f"党员{i:02}", gender="M") for i in range(9))
    Member.objects.bulk_create(Member(person=p, branch=tree.branch_a, stage=Stage.FULL) for p in people)
    Member.objects.create(
        person=Person.objects.create(organization=tree.village_a, name="预备党员", gender="F"),
        branch=tree.branch_a,
        stage=Stage.PROBATIONARY,
    )
    start = date(2021, 5, 1)
    roles = [(tree.branch_a, PostRole.SECRETARY), (tree.branch_a, PostRole.COMMITTEE_MEMBER), (tree.branch_a, PostRole.COMMITTEE_MEMBER)]
    roles += [(tree.village_a, PostRole.CHAIR), (tree.village_a, PostRole.COMMITTEE_MEMBER_VC)]
    Post.objects.bulk_create(
        Post(person=p, organization=org, role=role, start_date=start) for p, (org, role) in zip(people, roles, strict=False)
    )
    catalogue = MatterCatalogue.objects.create(village=tree.village_a, version=1, approved_on=date(2026, 3, 1), approved_by="村民代表会议")
    return Village(
        catalogue=catalogue,
        land=catalogue.categories.create(name="集体土地发包", group=MatterGroup.ART24, needs_town_review=True),
        funds=catalogue.categories.create(name="集体资金使用", group=MatterGroup.FUNDS, amount_threshold=Decimal("50000")),
        party_members=people,
        supervisor=make_user("supervisor_a", Role.SUPERVISION, tree.village_a),
        supervisor_b=make_user("supervisor_b", Role.SUPERVISION, tree.village_b),
    )


def _create(api: Api, village_id: int, **fields: Any) -> dict[str, Any]:
    response = api.post("/decisions", {"village": village_id, "title": "东片农田发包", **fields})
    assert response.status_code == 201, response.content.decode()
    body: dict[str, Any] = response.json()
    return body


def _meet(api: Api, decision_id: int, step: str, body: str, days_ago: int = 30, **fields: Any) -> Any:
    payload = {"step": step, "body": body, "held_on": AGO[days_ago], "place": "村委会议室", "votes_for": 0, "minutes": "讨论并表决。"}
    return api.post(f"/decisions/{decision_id}/meetings", payload | fields)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _to_party_reviewed(api: Api, village: Village, tree: Tree) -> int:
    d = _create(api, tree.village_a.pk, amount="80000", category=village.funds.pk)["id"]
    ids = [p.pk for p in village.party_members]
    _ok(_meet(api, d, "propose", Body.PARTY_COMMITTEE, attendees=ids[:2], votes_for=2), 201)
    _ok(_meet(api, d, "deliberate", Body.TWO_COMMITTEES, attendees=ids[:4], votes_for=4), 201)
    _ok(_meet(api, d, "party_review", Body.PARTY_ASSEMBLY, attendees=ids[:6], votes_for=5), 201)
    return int(d)


def _resolved(api: Api, village: Village, tree: Tree) -> int:
    d = _to_party_reviewed(api, village, tree)
    _ok(_meet(api, d, "resolve", Body.REPRESENTATIVES, days_ago=25, entitled=30, present=25, votes_for=20), 201)
    return d


def _notice(api: Api, d: int, kind: str, days_ago: int) -> Any:
    payload = {"kind": kind, "title": "公告", "body": "经村民代表会议表决通过。", "published_on": AGO[days_ago], "notice_days": 7}
    return api.post(f"/decisions/{d}/notices", payload)


# ---- the whole procedure -------------------------------------------------------------------


def test_a_village_walks_a_decision_through_every_stage(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api, supervisor = api_as(personas.secretary_a), api_as(village.supervisor)
    created = _create(api, tree.village_a.pk, amount="80000.00", category=village.funds.pk)
    assert (created["classification"], created["status"], created["amount"]) == ("procedure", "draft", "80000.00")
    assert "集体资金使用" in created["classification_reason"]
    d = created["id"]
    detail = _ok(api.get(f"/decisions/{d}"))
    assert [s["action"] for s in detail["open_steps"]] == ["propose"] and detail["open_moves"] == [{"action": "close", "label": "终止"}]

    d = _to_party_reviewed(api, village, tree)
    failed = _ok(_meet(api, d, "resolve", Body.REPRESENTATIVES, days_ago=26, entitled=30, present=19, votes_for=19), 201)
    assert (failed["quorum_met"], failed["advances"], failed["decision_status"]) == (False, False, "party_reviewed")
    quorum = next(f for f in failed["findings"] if f["check"] == "quorum")
    assert (quorum["met"], quorum["value"], quorum["base_value"]) == (False, 19, 30) and "第二十六条" in quorum["article"]
    assert failed["rule_set_name"].startswith("《中华人民共和国村民委员会组织法》")
    passed = _ok(_meet(api, d, "resolve", Body.REPRESENTATIVES, days_ago=25, entitled=30, present=20, votes_for=11), 201)
    assert (passed["quorum_met"], passed["passed"], passed["decision_status"]) == (True, True, "resolved")

    notice = _ok(_notice(api, d, NoticeKind.RESOLUTION, 24), 201)
    assert len(notice["code"]) == 8 and len(notice["content_hash"]) == 64 and notice["on_notice"] is False
    event = Event.objects.get(action="decision.publish_resolution")
    assert (event.changes["notice"], event.changes["content_hash"]) == (notice["code"], notice["content_hash"])
    objection = _ok(supervisor.post(f"/decisions/{d}/objections", {"text": "底价偏低，请说明依据。", "notice": notice["id"]}), 201)
    assert (objection["is_open"], objection["overdue"], objection["notice"]) == (True, False, notice["id"])
    assert_error(api.post(f"/decisions/{d}/moves/start"), 400, "invalid")
    _ok(api.post(f"/objections/{objection['id']}/answer", {"answer": "底价经评估机构评估。"}))
    assert _ok(api.post(f"/decisions/{d}/moves/start"))["status"] == "implementing"
    progress = _ok(api.post(f"/decisions/{d}/progress", {"on": AGO[10], "percent": 100, "text": "已完成发包。"}), 201)
    assert progress["percent"] == 100
    _ok(_notice(api, d, NoticeKind.RESULT, 9), 201)
    assert _ok(api.post(f"/decisions/{d}/moves/archive"))["status"] == "archived"

    detail = _ok(api.get(f"/decisions/{d}"))
    assert [m["step"] for m in detail["meetings"]] == ["propose", "deliberate", "party_review", "resolve", "resolve"]
    assert [m["entitled"] for m in detail["meetings"][:3]] == [3, 5, 9]  # rosters from the registry
    assert {e["name"] for e in detail["meetings"][2]["roster"]} == {p.name for p in village.party_members}
    assert [n["kind"] for n in detail["notices"]] == ["resolution", "result"]
    assert detail["objections"][0]["answer"] == "底价经评估机构评估。" and detail["progress"][0]["text"] == "已完成发包。"
    assert detail["open_steps"] == [] and detail["open_moves"] == []


def test_a_general_matter_is_classified_with_its_reason(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    small = _create(api, tree.village_a.pk, amount="49999.99", category=village.funds.pk)
    outside = _create(api, tree.village_a.pk, title="村道路灯维修")
    assert small["classification"] == outside["classification"] == "general"
    assert "门槛" in small["classification_reason"] and "一般事项" in outside["classification_reason"]
    assert outside["category"] is None and small["category_name"] == "集体资金使用"
    land = _create(api, tree.village_a.pk, category=village.land.pk)
    assert (land["classification"], land["needs_town_review"]) == ("procedure", True)


# ---- refusals --------------------------------------------------------------------------------


def test_a_skipped_stage_is_a_400(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _create(api, tree.village_a.pk, category=village.land.pk)["id"]
    error = assert_error(_meet(api, d, "party_review", Body.PARTY_ASSEMBLY, present=9, votes_for=9), 400, "invalid")
    assert "按程序逐步办理" in error["message"] and list(error["fields"]) == ["__all__"]
    error = assert_error(_notice(api, d, NoticeKind.RESOLUTION, 1), 400, "invalid")
    assert "不能公开决议" in error["message"]
    assert not Meeting.objects.exists() and Decision.objects.get(pk=d).status == Status.DRAFT


@pytest.mark.parametrize(
    ("counts", "field", "message"),
    [
        ({"entitled": 30, "present": 20, "votes_for": 15, "votes_against": 6}, "votes_for", "赞成、反对、弃权票数之和不能超过实到人数。"),
        ({"entitled": 30, "present": 31, "votes_for": 20}, "present", "实到人数（31）不能超过应到人数（30）。"),
        ({"entitled": 30, "present": 20, "votes_for": -1}, "votes_for", "应不小于 0。"),
    ],
)
def test_impossible_counts_are_a_400_with_the_field(
    api_as: ApiAs, personas: Personas, tree: Tree, village: Village, counts: dict[str, int], field: str, message: str
) -> None:
    api = api_as(personas.secretary_a)
    d = _to_party_reviewed(api, village, tree)
    error = assert_error(_meet(api, d, "resolve", Body.REPRESENTATIVES, **counts), 400, "invalid")
    assert error["fields"] == {field: [message]} and error["message"] == message
    assert Meeting.objects.filter(step="resolve").count() == 0


def test_attendees_outside_the_roster_are_a_400(api_as: ApiAs, personas: Personas, tree: Tree, village: Village, person_b: Any) -> None:
    api = api_as(personas.secretary_a)
    d = _create(api, tree.village_a.pk, category=village.land.pk)["id"]
    error = assert_error(_meet(api, d, "propose", Body.PARTY_COMMITTEE, attendees=[person_b.pk], votes_for=1), 400, "invalid")
    assert list(error["fields"]) == ["attendees"]


def test_a_notice_shorter_than_the_minimum_is_a_400(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _resolved(api, village, tree)
    payload = {"kind": "resolution", "title": "公告", "body": "内容", "published_on": AGO[1], "notice_days": 6}
    assert assert_error(api.post(f"/decisions/{d}/notices", payload), 400, "invalid")["fields"] == {
        "notice_days": ["公开期不得少于 7 天。"]
    }


def test_an_open_objection_blocks_the_result_notice(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _resolved(api, village, tree)
    _ok(_notice(api, d, NoticeKind.RESOLUTION, 20), 201)
    _ok(api.post(f"/decisions/{d}/moves/start"))
    _ok(api.post(f"/decisions/{d}/progress", {"on": AGO[5], "percent": 100, "text": "已完成。"}), 201)
    objection = _ok(api_as(village.supervisor).post(f"/decisions/{d}/objections", {"text": "结算金额与合同不符。"}), 201)
    error = assert_error(_notice(api, d, NoticeKind.RESULT, 1), 400, "invalid")
    assert error["message"] == "监委会异议尚未答复，不能公开实施结果。"
    assert Decision.objects.get(pk=d).status == Status.IMPLEMENTING and not Event.objects.filter(action="decision.publish_result").exists()
    _ok(api.post(f"/objections/{objection['id']}/answer", {"answer": "已核对，补充协议已公开。"}))
    assert _ok(_notice(api, d, NoticeKind.RESULT, 1), 201)["kind"] == "result"
    assert_error(api.post(f"/objections/{objection['id']}/answer", {"answer": "再答复"}), 400, "invalid")


def test_an_unknown_move_is_a_400_and_a_refused_move_too(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _create(api, tree.village_a.pk)["id"]
    assert list(assert_error(api.post(f"/decisions/{d}/moves/publish_result"), 400, "invalid")["fields"]) == ["action"]
    assert "不能开始实施" in assert_error(api.post(f"/decisions/{d}/moves/start"), 400, "invalid")["message"]
    assert _ok(api.post(f"/decisions/{d}/moves/close"))["status"] == "closed"


def test_an_objection_about_another_decisions_notice_is_a_400(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    first, second = _resolved(api, village, tree), _create(api, tree.village_a.pk)["id"]
    notice = _ok(_notice(api, first, NoticeKind.RESOLUTION, 1), 201)
    response = api_as(village.supervisor).post(f"/decisions/{second}/objections", {"text": "异议", "notice": notice["id"]})
    assert assert_error(response, 400, "invalid")["fields"] == {"notice": ["公告不属于该事项。"]}


# ---- roles and scope -------------------------------------------------------------------------


def test_the_wrong_role_is_a_403(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _to_party_reviewed(api, village, tree)
    failed = _ok(_meet(api, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=10, votes_for=10), 201)
    town, supervisor = api_as(personas.town_staff), api_as(village.supervisor)
    # The town sees the decision but does not run the village's procedure, nor object.
    assert_error(_meet(town, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30), 403, "forbidden")
    assert_error(town.post("/decisions", {"village": tree.village_a.pk, "title": "镇代村登记"}), 403, "forbidden")
    assert_error(town.post(f"/decisions/{d}/objections", {"text": "异议"}), 403, "forbidden")
    # The village may not object to itself nor override its own failed meeting; the supervisor may not run it.
    assert_error(api.post(f"/decisions/{d}/objections", {"text": "异议"}), 403, "forbidden")
    reason = {"reason": "因台风部分代表无法到会，经镇党委核实同意"}
    assert_error(api.post(f"/meetings/{failed['id']}/override", reason), 403, "forbidden")
    assert_error(api.post(f"/decisions/{d}/town-review", {}), 403, "forbidden")
    assert_error(supervisor.post(f"/decisions/{d}/moves/close"), 403, "forbidden")
    assert Decision.objects.get(pk=d).status == Status.PARTY_REVIEWED
    overridden = _ok(town.post(f"/meetings/{failed['id']}/override", reason))
    assert (overridden["overridden"], overridden["advances"], overridden["decision_status"]) == (True, True, "resolved")
    assert Event.objects.get(action="decision.override").changes["reason"] == reason["reason"]


def test_the_town_reviews_and_files(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api, town = api_as(personas.secretary_a), api_as(personas.town_staff)
    d = _create(api, tree.village_a.pk, category=village.land.pk)["id"]
    assert_error(town.post(f"/decisions/{d}/file"), 400, "invalid")
    reviewed = _ok(town.post(f"/decisions/{d}/town-review", {"note": "同意提交表决"}))
    assert (reviewed["town_reviewed_on"], reviewed["town_review_note"]) == (TODAY.isoformat(), "同意提交表决")
    assert_error(town.post(f"/decisions/{d}/town-review", {}), 400, "invalid")


def test_another_villages_decision_is_a_404(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(api_as(personas.secretary_a), village, tree)
    failed = _ok(_meet(api_as(personas.secretary_a), d, "resolve", Body.REPRESENTATIVES, entitled=30, present=10, votes_for=10), 201)
    other, other_town = api_as(personas.secretary_b), api_as(make_user("bing_staff", Role.TOWN_STAFF, tree.other_town))
    assert_error(other.get(f"/decisions/{d}"), 404, "not_found")
    assert_error(_meet(other, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30), 404, "not_found")
    assert_error(other.post(f"/decisions/{d}/moves/close"), 404, "not_found")
    assert_error(api_as(village.supervisor_b).post(f"/decisions/{d}/objections", {"text": "异议"}), 404, "not_found")
    assert_error(other_town.post(f"/meetings/{failed['id']}/override", {"reason": "经核实同意，认定本次会议有效"}), 404, "not_found")
    assert_error(other.post("/decisions", {"village": tree.village_a.pk, "title": "越权登记"}), 404, "not_found")
    # A category of another village's catalogue is as unknown as a decision.
    assert_error(other.post("/decisions", {"village": tree.village_b.pk, "title": "x", "category": village.land.pk}), 404, "not_found")
    assert_error(api_as(personas.secretary_a).get("/decisions/999999"), 404, "not_found")
    for outsider in (personas.member, personas.outsider):
        assert_error(api_as(outsider).get(f"/decisions/{d}"), 404, "not_found")


def test_it_answers_401_without_credentials(anonymous: Api) -> None:
    assert_error(anonymous.get("/decisions"), 401, "unauthenticated")
    assert_error(anonymous.post("/decisions", {}), 401, "unauthenticated")


# ---- lists -----------------------------------------------------------------------------------


def _ids(response: Any) -> list[int]:
    return [item["id"] for item in _ok(response)["items"]]


@pytest.fixture
def decisions(personas: Personas, tree: Tree, village: Village) -> dict[str, Decision]:
    a1 = services.decision_create(
        actor=personas.secretary_a, village=tree.village_a, title="甲一", amount=Decimal("80000"), category=village.funds
    )
    a2 = services.decision_create(actor=personas.secretary_a, village=tree.village_a, title="甲二")
    b1 = services.decision_create(actor=personas.secretary_b, village=tree.village_b, title="乙一")
    Decision.objects.filter(pk=a2.pk).update(status=Status.CLOSED, created_on=TODAY.replace(year=TODAY.year - 1))
    return {"a1": a1, "a2": a2, "b1": b1}


def test_lists_are_scoped_and_filtered(api_as: ApiAs, personas: Personas, tree: Tree, decisions: dict[str, Decision]) -> None:
    a1, a2, b1 = decisions["a1"].pk, decisions["a2"].pk, decisions["b1"].pk
    assert _ids(api_as(personas.secretary_a).get("/decisions")) == [a1, a2]
    assert _ids(api_as(personas.secretary_b).get("/decisions")) == [b1]
    assert sorted(_ids(api_as(personas.town_staff).get("/decisions"))) == sorted([a1, a2, b1])
    assert _ids(api_as(make_user("bing_staff", Role.TOWN_STAFF, tree.other_town)).get("/decisions")) == []
    for nobody in (personas.member, personas.auditor, personas.outsider):
        assert _ids(api_as(nobody).get("/decisions")) == []
    district = api_as(personas.district_admin)
    assert _ids(district.get("/decisions", status="closed")) == [a2]
    assert _ids(district.get("/decisions", village=tree.village_b.pk)) == [b1]
    assert _ids(district.get("/decisions", year=TODAY.year - 1)) == [a2]
    assert _ids(district.get("/decisions", classification="procedure")) == [a1]
    assert _ids(api_as(personas.secretary_b).get("/decisions", village=tree.village_a.pk)) == []
    item = _ok(district.get("/decisions", classification="procedure"))["items"][0]
    assert (item["village_name"], item["status_label"], item["classification_label"]) == ("甲村", "草稿", "须经四议两公开")
    assert_error(district.get("/decisions", status="nonsense"), 400, "invalid")


def test_the_list_query_count_does_not_grow(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.district_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/decisions").status_code == 200
        return len(queries)

    services.decision_create(
        actor=personas.secretary_a, village=tree.village_a, title="一", amount=Decimal("90000"), category=village.funds
    )
    few = count()
    for i in range(12):
        village_org = tree.village_a if i % 2 else tree.village_b
        secretary = personas.secretary_a if i % 2 else personas.secretary_b
        category = village.funds if i % 2 else None
        services.decision_create(actor=secretary, village=village_org, title=f"事项{i}", amount=Decimal("90000"), category=category)
    assert count() == few
    # session, user, grants, the villages in scope (access.scope_by_village), count, page (with village
    # and category joined); the session is not rewritten
    assert few == 6, few


# ---- statistics ------------------------------------------------------------------------------


def test_stats_by_level_in_scope(api_as: ApiAs, personas: Personas, tree: Tree, village: Village) -> None:
    api = api_as(personas.secretary_a)
    d = _resolved(api, village, tree)
    _ok(_notice(api, d, NoticeKind.RESOLUTION, 20), 201)
    year = (TODAY - timedelta(days=25)).year
    district = api_as(personas.district_admin)
    stats = _ok(district.get("/decisions/stats", year=year))
    assert (stats["year"], stats["level"], stats["notice_on_time_days"]) == (year, "village", 7)
    by_name = {row["name"]: row for row in stats["rows"]}
    assert set(by_name) == {"甲村", "乙村", "丙社区"}
    a = by_name["甲村"]
    assert (a["decisions"], a["matters"], a["amount"], a["resolution_notices"], a["notices_on_time"]) == (1, 1, "80000.00", 1, 1)
    assert a["completed_share"] == "0.0" and by_name["乙村"]["completed_share"] is None
    towns = _ok(district.get("/decisions/stats", level="town", year=year))["rows"]
    assert [(row["name"], row["decisions"]) for row in towns] == [("甲镇", 1), ("丙街道", 0)]
    assert [row["name"] for row in _ok(district.get("/decisions/stats", level="town", org=tree.other_town.pk, year=year))["rows"]] == [
        "丙街道"
    ]
    assert [row["name"] for row in _ok(api.get("/decisions/stats", level="village"))["rows"]] == ["甲村"]
    assert _ok(api.get("/decisions/stats", level="town"))["rows"] == []
    assert_error(api.get("/decisions/stats", org=tree.village_b.pk), 404, "not_found")
    assert_error(api.get("/decisions/stats", level="province"), 400, "invalid")


def test_openapi_documents_the_decision_endpoints(db: None, client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    ours = {path: ops for path, ops in paths.items() if path.split("/")[3] in {"decisions", "objections", "meetings"}}
    assert set(ours) == {
        "/api/v1/decisions",
        "/api/v1/decisions/stats",
        "/api/v1/decisions/{decision_id}",
        "/api/v1/decisions/{decision_id}/meetings",
        "/api/v1/decisions/{decision_id}/moves/{action}",
        "/api/v1/decisions/{decision_id}/notices",
        "/api/v1/decisions/{decision_id}/objections",
        "/api/v1/decisions/{decision_id}/progress",
        "/api/v1/decisions/{decision_id}/town-review",
        "/api/v1/decisions/{decision_id}/file",
        "/api/v1/objections/{objection_id}/answer",
        "/api/v1/meetings/{meeting_id}/override",
    }
    for path, operations in ours.items():
        for method, operation in operations.items():
            assert not operation["summary"].isascii() and operation["tags"] == ["四议两公开"], (path, method)
            assert "401" in operation["responses"] and operation["security"], (path, method)
