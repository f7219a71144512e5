"""The 四议两公开 staff pages: scoped lists, the same 404 for other villages, every write through the
services with its refusal shown in Chinese, live quorum feedback that saves nothing, pinned query counts."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.decisions import catalogue, services
from jiceng.decisions.models import (
    Classification,
    Decision,
    MatterCatalogue,
    MatterCategory,
    Meeting,
    MeetingFile,
    Notice,
    NoticeKind,
    Objection,
    Status,
)
from jiceng.decisions.tests.conftest import Village
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.rules.models import Body

TODAY = timezone.localdate()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decision(personas: Personas, tree: Tree, village: Village, **kw: Any) -> Decision:
    fields: dict[str, Any] = {"title": "东片鱼塘发包", "amount": Decimal("80000"), "category": village.funds} | kw
    return services.decision_create(actor=personas.secretary_a, village=tree.village_a, **fields)


def _meet(personas: Personas, decision: Decision, step: str, body: str, days_ago: int, **kw: Any) -> Meeting:
    fields: dict[str, Any] = {"place": "村委会议室", "present": 0, "votes_for": 0, "minutes": "会议讨论并表决。"} | kw
    held_on = TODAY - timedelta(days=days_ago)
    return services.meeting_record(actor=personas.secretary_a, decision=decision, step=step, body=body, held_on=held_on, **fields)


def _refresh(decision: Decision) -> Decision:
    return Decision.objects.get(pk=decision.pk)


def _party_reviewed(personas: Personas, tree: Tree, village: Village) -> Decision:
    d = _decision(personas, tree, village)
    ids = [p.pk for p in village.party_members]
    _meet(personas, d, "propose", Body.PARTY_COMMITTEE, 30, attendees=ids[:3], votes_for=3)
    _meet(personas, d, "deliberate", Body.TWO_COMMITTEES, 29, attendees=ids[:5], votes_for=5)
    _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, 28, attendees=ids[:7], votes_for=6)
    return _refresh(d)


def _resolved(personas: Personas, tree: Tree, village: Village) -> Decision:
    d = _party_reviewed(personas, tree, village)
    _meet(personas, d, "resolve", Body.REPRESENTATIVES, 27, entitled=30, present=25, votes_for=20)
    return _refresh(d)


def _published(personas: Personas, tree: Tree, village: Village, days_ago: int = 20) -> Decision:
    d = _resolved(personas, tree, village)
    services.notice_publish(
        actor=personas.secretary_a,
        decision=d,
        kind=NoticeKind.RESOLUTION,
        title="决议公告",
        body="经村民代表会议表决通过。",
        published_on=TODAY - timedelta(days=days_ago),
        notice_days=7,
    )
    return _refresh(d)


def _representatives(entitled: int, present: int, votes_for: int, **kw: Any) -> dict[str, Any]:
    return {
        "body": Body.REPRESENTATIVES,
        "held_on": (TODAY - timedelta(days=5)).isoformat(),
        "place": "村委会议室",
        "minutes": "表决。",
        "entitled": entitled,
        "present": present,
        "votes_for": votes_for,
        "votes_against": 0,
        "votes_abstain": 0,
    } | kw


def _actions(decision: Decision) -> list[str]:
    return list(Event.objects.filter(object_type="decisions.decision", object_id=str(decision.pk)).values_list("action", flat=True))


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ---- the list -------------------------------------------------------------------------------


def test_it_sends_anonymous_users_to_login(tree: Tree) -> None:
    response = Client().get(reverse("decisions:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_is_scoped_to_the_users_villages(personas: Personas, tree: Tree, village: Village) -> None:
    _decision(personas, tree, village, title="甲村鱼塘发包")
    services.decision_create(actor=personas.secretary_b, village=tree.village_b, title="乙村路灯维修")
    body_b = _client(personas.secretary_b).get(reverse("decisions:list")).content.decode()
    assert "乙村路灯维修" in body_b and "甲村鱼塘发包" not in body_b
    body_town = _client(personas.town_staff).get(reverse("decisions:list")).content.decode()
    assert "乙村路灯维修" in body_town and "甲村鱼塘发包" in body_town
    assert "甲村鱼塘发包" in _client(village.supervisor).get(reverse("decisions:list")).content.decode()
    assert "乙村路灯维修" not in _client(village.supervisor).get(reverse("decisions:list")).content.decode()


def test_the_list_filters_by_status_village_year_and_classification(personas: Personas, tree: Tree, village: Village) -> None:
    big = _decision(personas, tree, village, title="大额资金使用")
    _decision(personas, tree, village, title="小额维修", amount=Decimal("100"))
    services.decision_create(actor=personas.secretary_b, village=tree.village_b, title="乙村事项")
    Decision.objects.filter(title="小额维修").update(created_on=date(2024, 5, 1))
    Decision.objects.filter(pk=big.pk).update(status=Status.PROPOSED)
    client = _client(personas.town_staff)

    def titles(**params: Any) -> set[str]:
        body = client.get(reverse("decisions:list"), params).content.decode()
        return {t for t in ("大额资金使用", "小额维修", "乙村事项") if t in body}

    assert titles(status=Status.PROPOSED) == {"大额资金使用"}
    assert titles(village=tree.village_b.pk) == {"乙村事项"}
    assert titles(village=tree.community_c.pk) == set()  # outside the scope: nothing, not an error
    assert titles(year=2024) == {"小额维修"}
    assert titles(classification=Classification.PROCEDURE) == {"大额资金使用"}
    assert titles(status="nonsense", year="x") == {"大额资金使用", "小额维修", "乙村事项"}


def test_the_list_answers_htmx_with_the_rows_only(personas: Personas, tree: Tree, village: Village) -> None:
    _decision(personas, tree, village)
    body = _client(personas.secretary_a).get(reverse("decisions:list"), HTTP_HX_REQUEST="true").content.decode()
    assert body.startswith('<div id="decision-rows">') and "东片鱼塘发包" in body and "<html" not in body


def test_the_list_rows_show_labels_links_and_review_tags(personas: Personas, tree: Tree, village: Village) -> None:
    """The rows are prepared in Python (decisions.views._list_rows): the same cells as the template showed."""
    big = _decision(personas, tree, village, title="大额资金使用")  # classified 须经四议两公开, town review required
    small = _decision(personas, tree, village, title="小额维修", amount=Decimal("100"), category=None)
    Decision.objects.filter(pk=small.pk).update(status=Status.CLOSED, filed_on=TODAY)
    big = _refresh(big)
    body = _client(personas.secretary_a).get(reverse("decisions:list")).content.decode()
    assert f'<a href="{reverse("decisions:detail", args=[big.pk])}">大额资金使用</a>' in body
    assert f'<span class="tag ok">{big.get_classification_display()}</span><br><small class="muted">{village.funds.name}</small>' in body
    assert big.get_status_display() in body and "80000" in body.replace(",", "") and big.created_on.isoformat() in body
    assert ('<span class="tag no">待预审</span>' in body) == big.needs_town_review
    assert f'<span class="tag no">{Status.CLOSED.label}</span>' in body and '<span class="tag ok">已备案</span>' in body


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_roles_without_decisions_get_403_on_the_list(personas: Personas, who: str) -> None:
    assert _client(getattr(personas, who)).get(reverse("decisions:list")).status_code == 403


def _bulk(village: Organization, user: User, category: MatterCategory, n: int) -> None:
    Decision.objects.bulk_create(
        Decision(
            village=village,
            title=f"事项{i:03}",
            category=category,
            classification=Classification.PROCEDURE,
            classification_reason="清单事项",
            created_by=user,
        )
        for i in range(n)
    )


def test_the_list_query_count_does_not_grow_with_rows(
    personas: Personas, tree: Tree, village: Village, django_assert_num_queries: Any
) -> None:
    client = _client(personas.town_staff)
    _bulk(tree.village_a, personas.secretary_a, village.funds, 3)
    url = reverse("decisions:list")
    client.get(url)  # warm the session
    # session, user, grants, the area's villages (its options), villages in scope, page, capped count
    with django_assert_num_queries(7) as small:
        assert client.get(url).content.decode().count("事项0") == 3
    _bulk(tree.village_b, personas.secretary_b, village.funds, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).content.decode().count("事项0") == 30


def test_the_list_by_town_pages_with_a_constant_query_count(
    personas: Personas, tree: Tree, village: Village, settings: Any, monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    settings.PAGE_SIZE = 4
    monkeypatch.setattr(org_selectors, "AREA_OPTIONS_LIMIT", 2)
    client = _client(personas.district_admin)
    _bulk(tree.village_a, personas.secretary_a, village.funds, 6)
    url = reverse("decisions:list") + f"?town={tree.town.pk}&page=2"
    client.get(url)  # warm the session
    # more villages than the limit: the villages up to it, then the counts of the levels above (orgs.selectors._top_level)
    with django_assert_num_queries(11) as small:
        client.get(url)
    _bulk(tree.village_b, personas.secretary_b, village.funds, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert "第 2 / 9 页，共 36 条" in body and body.count("事项0") == 4
    assert f'<option value="{tree.village_a.pk}">甲村</option>' in body and "丙社区" not in body


def test_the_list_links_the_chosen_villages_catalogue(personas: Personas, tree: Tree, village: Village) -> None:
    client = _client(personas.town_staff)
    assert "事项清单</a>" not in client.get(reverse("decisions:list")).content.decode()
    chosen = client.get(reverse("decisions:list"), {"village": tree.village_b.pk}).content.decode()
    assert reverse("decisions:catalogue", args=[tree.village_b.pk]) in chosen
    assert (
        reverse("decisions:catalogue", args=[tree.village_a.pk])
        in _client(personas.secretary_a).get(reverse("decisions:list")).content.decode()
    )


def test_the_nav_shows_the_procedure_to_staff_only(personas: Personas, village: Village) -> None:
    assert "四议两公开" in _client(personas.secretary_a).get(reverse("home")).content.decode()
    assert "四议两公开" in _client(village.supervisor).get(reverse("home")).content.decode()
    assert "四议两公开" not in _client(personas.auditor).get(reverse("home")).content.decode()


# ---- creating -------------------------------------------------------------------------------


def test_it_creates_a_decision_and_shows_its_classification(personas: Personas, tree: Tree, village: Village) -> None:
    client = _client(personas.secretary_a)
    form = client.get(reverse("decisions:create")).content.decode()
    assert "集体资金使用（三资一酬，50,000 元以上）" in form and "集体土地发包" in form
    response = client.post(
        reverse("decisions:create"),
        {"village": tree.village_a.pk, "title": "新建村道", "amount": "120000", "level": "village", "category": village.funds.pk},
        follow=True,
    )
    decision = Decision.objects.get(title="新建村道")
    assert decision.classification == Classification.PROCEDURE and decision.needs_town_review  # 120,000 ≥ the default 100,000
    body = response.content.decode()
    assert "须经四议两公开" in body and "属本村事项清单" in body and "集体资金使用" in body
    assert "第一步：村党组织提议" in body  # the first step is open
    assert _actions(decision) == ["decision.create"]


def test_a_matter_outside_the_catalogue_is_general(personas: Personas, tree: Tree, village: Village) -> None:
    response = _client(personas.secretary_a).post(
        reverse("decisions:create"), {"village": tree.village_a.pk, "title": "路灯维修", "level": "village", "category": ""}, follow=True
    )
    assert Decision.objects.get(title="路灯维修").classification == Classification.GENERAL
    assert "一般事项" in response.content.decode() and "村“两委”按职责办理" in response.content.decode()


def test_create_refuses_another_village_and_a_group_without_name(personas: Personas, tree: Tree, village: Village) -> None:
    client = _client(personas.secretary_a)
    other = client.post(reverse("decisions:create"), {"village": tree.village_b.pk, "title": "x", "level": "village"})
    assert "只能在您任职的村（社区）登记事项" in other.content.decode()
    group = client.post(reverse("decisions:create"), {"village": tree.village_a.pk, "title": "x", "level": "group", "group_name": ""})
    assert "须填写村民小组名称" in group.content.decode()
    assert not Decision.objects.exists()


@pytest.mark.parametrize("who", ["town_staff", "district_admin", "member", "outsider"])
def test_only_village_staff_create(personas: Personas, tree: Tree, village: Village, who: str) -> None:
    client = _client(getattr(personas, who))
    assert client.get(reverse("decisions:create")).status_code == 403
    assert client.post(reverse("decisions:create"), {"village": tree.village_a.pk, "title": "x", "level": "village"}).status_code == 403
    assert not Decision.objects.exists()


# ---- the decision page ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["secretary_b", "member", "auditor", "outsider"])
def test_another_villages_decision_is_404_like_a_missing_one(personas: Personas, tree: Tree, village: Village, who: str) -> None:
    d = _decision(personas, tree, village)
    client = _client(getattr(personas, who))
    other, missing = client.get(reverse("decisions:detail", args=[d.pk])), client.get(reverse("decisions:detail", args=[d.pk + 999]))
    assert other.status_code == missing.status_code == 404
    assert "东片鱼塘发包" not in other.content.decode()
    assert _client(village.supervisor_b).get(reverse("decisions:detail", args=[d.pk])).status_code == 404


def test_the_page_shows_a_failed_quorum_in_red_with_its_article(personas: Personas, tree: Tree, village: Village) -> None:
    d = _party_reviewed(personas, tree, village)
    failed = _meet(personas, d, "resolve", Body.REPRESENTATIVES, 27, entitled=30, present=19, votes_for=19)
    body = _client(personas.secretary_a).get(reverse("decisions:detail", args=[d.pk])).content.decode()
    card = (
        body.split(f'id="meeting-{failed.pk}"')[0].rsplit("<article", 1)[1]
        + body.split(f'id="meeting-{failed.pk}"')[1].split("</article>")[0]
    )
    assert 'class="verdict failed"' in card
    assert "未达到法定人数" in card and "不足" in card
    assert "实到 19 人，须 ≥ 2/3 × 30 = 20 人" in card and "第二十六条" in card
    assert "村民委员会组织法（2025年修正）" in card
    assert "第四步：村民会议或村民代表会议决议" in body  # still open: to be re-held


def test_the_page_shows_notices_on_notice_and_objections(personas: Personas, tree: Tree, village: Village) -> None:
    d = _published(personas, tree, village, days_ago=2)
    notice = Notice.objects.get(decision=d)
    objection = services.objection_raise(actor=village.supervisor, decision=d, text="底价偏低")
    Objection.objects.filter(pk=objection.pk).update(due_on=TODAY - timedelta(days=1))
    body = _client(personas.town_staff).get(reverse("decisions:detail", args=[d.pk])).content.decode()
    assert "公示中" in body and notice.code in body and str(notice.ends_on) in body
    assert "逾期未答复" in body and "底价偏低" in body


# ---- meetings -------------------------------------------------------------------------------


def _meeting_url(d: Decision, step: str) -> str:
    return reverse("decisions:meeting", args=[d.pk, step])


def test_the_registry_bodies_show_the_roster_as_ticks(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    body = _client(personas.secretary_a).get(_meeting_url(d, "propose")).content.decode()
    assert 'type="checkbox"' in body and "党员00" in body and "应到 3 人" in body
    assert 'name="entitled"' not in body  # the roster decides, it is not typed


def test_it_records_a_meeting_from_ticks(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    ids = [p.pk for p in village.party_members[:3]]
    data = {
        "body": Body.PARTY_COMMITTEE,
        "held_on": (TODAY - timedelta(days=3)).isoformat(),
        "place": "党群服务中心",
        "minutes": "提议。",
        "attendees": ids[:2],
        "votes_for": 2,
        "votes_against": 0,
        "votes_abstain": 0,
        "entitled": 99,  # ignored: the roster decides
    }
    response = _client(personas.secretary_a).post(_meeting_url(d, "propose"), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get(decision=d)
    assert (meeting.entitled, meeting.present, meeting.attendees) == (3, 2, sorted(ids[:2]))
    assert _refresh(d).status == Status.PROPOSED
    assert _actions(d) == ["decision.create", "decision.propose"]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"entitled": 30, "present": 31, "votes_for": 20}, "实到人数（31）不能超过应到人数（30）。"),
        ({"entitled": 30, "present": 20, "votes_for": 15, "votes_against": 6}, "赞成、反对、弃权票数之和不能超过实到人数。"),
    ],
)
def test_the_meeting_form_refuses_impossible_counts(
    personas: Personas, tree: Tree, village: Village, counts: dict[str, int], message: str
) -> None:
    d = _party_reviewed(personas, tree, village)
    events = Event.objects.count()
    response = _client(personas.secretary_a).post(_meeting_url(d, "resolve"), _representatives(**counts))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Meeting.objects.filter(step="resolve").exists() and Event.objects.count() == events
    assert _refresh(d).status == Status.PARTY_REVIEWED


def test_the_live_check_shows_a_short_quorum_and_saves_nothing(personas: Personas, tree: Tree, village: Village) -> None:
    d = _party_reviewed(personas, tree, village)
    events, meetings = Event.objects.count(), Meeting.objects.count()
    url = reverse("decisions:meeting_check", args=[d.pk, "resolve"])
    client = _client(personas.secretary_a)
    short = client.post(url, _representatives(30, 19, 19), HTTP_HX_REQUEST="true").content.decode()
    assert short.startswith('<div id="verdict"') and "不足" in short
    assert "实到 19 人，须 ≥ 2/3 × 30 = 20 人" in short and "第二十六条" in short and "未达到法定人数" in short
    enough = client.post(url, _representatives(30, 20, 11), HTTP_HX_REQUEST="true").content.decode()
    assert "不足" not in enough and "赞成 11 票，须 &gt; 1/2 × 20，即至少 11 票" in enough and "已决议" in enough
    refused = client.post(url, _representatives(30, 20, 10), HTTP_HX_REQUEST="true").content.decode()
    assert "表决未通过：保存后事项转为“未获通过”" in refused
    impossible = client.post(url, _representatives(30, 31, 1), HTTP_HX_REQUEST="true").content.decode()
    assert "不能超过应到人数" in impossible
    assert (Event.objects.count(), Meeting.objects.count()) == (events, meetings)


def test_the_live_check_counts_ticks_on_the_roster(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    ids = [p.pk for p in village.party_members]
    url = reverse("decisions:meeting_check", args=[d.pk, "propose"])
    data = {"body": Body.PARTY_COMMITTEE, "held_on": TODAY.isoformat(), "votes_for": 1, "attendees": [ids[0], ids[8]]}
    body = _client(personas.secretary_a).post(url, data).content.decode()
    # 党员08 holds no committee post: only one of the three committee members is counted
    assert "实到 1 人，须 &gt; 1/2 × 3，即至少 2 人" in body and "不足" in body


def test_changing_the_body_reloads_the_attendance_part(personas: Personas, tree: Tree, village: Village) -> None:
    d = _party_reviewed(personas, tree, village)
    client = _client(personas.secretary_a)
    representatives = client.get(_meeting_url(d, "resolve"), {"body": Body.REPRESENTATIVES}, HTTP_HX_REQUEST="true").content.decode()
    assert representatives.startswith('<div id="attendance">') and 'name="entitled"' in representatives
    assert 'name="households"' not in representatives
    assembly = client.get(_meeting_url(d, "resolve"), {"body": Body.VILLAGERS_ASSEMBLY}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="households"' in assembly and 'name="households_present"' in assembly


def test_a_skipped_stage_is_refused(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    client = _client(personas.secretary_a)
    assert "不能进行该步骤" in client.get(_meeting_url(d, "party_review")).content.decode()
    data = {
        "body": Body.PARTY_ASSEMBLY,
        "held_on": TODAY.isoformat(),
        "place": "礼堂",
        "minutes": "审议。",
        "attendees": [p.pk for p in village.party_members],
        "votes_for": 9,
    }
    response = client.post(_meeting_url(d, "party_review"), data)
    assert response.status_code == 200 and "请按程序逐步办理" in response.content.decode()
    assert not Meeting.objects.exists() and _refresh(d).status == Status.DRAFT
    assert client.get(_meeting_url(d, "no_such_step")).status_code == 404


def test_the_body_is_limited_to_the_steps_bodies(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    body = _client(personas.secretary_a).get(_meeting_url(d, "propose")).content.decode()
    assert str(Body.PARTY_COMMITTEE.label) in body and str(Body.REPRESENTATIVES.label) not in body


@pytest.mark.parametrize("who", ["town_staff", "district_admin"])
def test_roles_that_may_see_but_not_run_the_procedure_get_403(personas: Personas, tree: Tree, village: Village, who: str) -> None:
    d = _party_reviewed(personas, tree, village)
    client = _client(getattr(personas, who))
    assert client.get(reverse("decisions:detail", args=[d.pk])).status_code == 200
    assert client.get(_meeting_url(d, "resolve")).status_code == 403
    assert client.post(_meeting_url(d, "resolve"), _representatives(30, 30, 30)).status_code == 403
    assert client.post(reverse("decisions:meeting_check", args=[d.pk, "resolve"]), _representatives(30, 30, 30)).status_code == 403
    assert client.post(reverse("decisions:move", args=[d.pk, "close"])).status_code == 403
    assert _refresh(d).status == Status.PARTY_REVIEWED


def test_the_supervisor_may_not_record_meetings(personas: Personas, tree: Tree, village: Village) -> None:
    d = _party_reviewed(personas, tree, village)
    client = _client(village.supervisor)
    assert client.post(_meeting_url(d, "resolve"), _representatives(30, 30, 30)).status_code == 403
    assert client.post(reverse("decisions:notice_publish", args=[d.pk, "resolution"]), {}).status_code == 403


# ---- files ----------------------------------------------------------------------------------


def test_it_uploads_scans_with_the_meeting_and_serves_them_in_scope(personas: Personas, tree: Tree, village: Village, media: Path) -> None:
    d = _party_reviewed(personas, tree, village)
    data = _representatives(30, 25, 20) | {
        "minutes_scans": SimpleUploadedFile("签字记录.pdf", b"%PDF-1.7 test", content_type="application/pdf"),
        "photos": SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
    }
    assert _client(personas.secretary_a).post(_meeting_url(d, "resolve"), data).status_code == 302
    files = list(MeetingFile.objects.order_by("kind"))
    assert [f.kind for f in files] == ["minutes", "photo"]
    assert Event.objects.filter(action="decision.meeting_file").count() == 2
    url = reverse("decisions:meeting_file", args=[files[0].pk])
    assert b"".join(_client(personas.town_staff).get(url).streaming_content) == b"%PDF-1.7 test"  # type: ignore[attr-defined]
    assert _client(personas.secretary_b).get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("记录.docx", b"PK\x03\x04", "只能上传 PDF、JPG 或 PNG 文件"),
        ("记录.pdf", b"MZ not a pdf", "内容与扩展名不符"),
        ("大图.png", PNG + b"\x00" * (1024 * 1024), "超过 1 MB"),
    ],
)
def test_a_bad_file_refuses_the_whole_meeting(
    personas: Personas, tree: Tree, village: Village, media: Path, settings: Any, name: str, content: bytes, message: str
) -> None:
    settings.MAX_UPLOAD_MB = 1
    d = _party_reviewed(personas, tree, village)
    data = _representatives(30, 25, 20) | {"minutes_scans": SimpleUploadedFile(name, content)}
    response = _client(personas.secretary_a).post(_meeting_url(d, "resolve"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Meeting.objects.filter(step="resolve").exists() and not MeetingFile.objects.exists()


def test_files_can_be_added_to_a_recorded_meeting(personas: Personas, tree: Tree, village: Village, media: Path) -> None:
    d = _party_reviewed(personas, tree, village)
    meeting = d.meetings.last()
    assert meeting is not None
    client = _client(personas.secretary_a)
    url = reverse("decisions:meeting_files", args=[meeting.pk])
    bad = client.post(url, {"kind": "photo", "uploads": SimpleUploadedFile("x.gif", b"GIF89a")}, follow=True)
    assert "只能上传 PDF、JPG 或 PNG 文件" in bad.content.decode() and not MeetingFile.objects.exists()
    client.post(url, {"kind": "photo", "uploads": [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.jpg", b"\xff\xd8\xff\xe0x")]})
    assert MeetingFile.objects.filter(meeting=meeting).count() == 2
    assert _client(village.supervisor).post(url, {"kind": "photo", "uploads": SimpleUploadedFile("c.png", PNG)}).status_code == 403


# ---- notices, moves, objections, progress ---------------------------------------------------


def test_it_publishes_a_notice_and_refuses_a_shortened_one(personas: Personas, tree: Tree, village: Village) -> None:
    d = _resolved(personas, tree, village)
    client = _client(personas.secretary_a)
    url = reverse("decisions:notice_publish", args=[d.pk, "resolution"])
    form = client.get(url).content.decode()
    assert "应到 30 人，实到 25 人" in form  # the draft notice is written from the record
    data = {"title": "决议公告", "body": "经表决通过。", "published_on": (TODAY - timedelta(days=10)).isoformat(), "notice_days": 6}
    assert "公开期不得少于 7 天" in client.post(url, data).content.decode()
    assert not Notice.objects.exists()
    response = client.post(url, data | {"notice_days": 7}, follow=True)
    notice = Notice.objects.get(decision=d)
    assert _refresh(d).status == Status.RESOLUTION_PUBLISHED and notice.code in response.content.decode()
    assert "公示期满" in response.content.decode()


def test_a_move_before_the_notice_period_ends_is_refused_with_a_message(personas: Personas, tree: Tree, village: Village) -> None:
    d = _published(personas, tree, village, days_ago=2)
    client = _client(personas.secretary_a)
    response = client.post(reverse("decisions:move", args=[d.pk, "start"]), follow=True)
    assert "届满后方可开始实施" in response.content.decode() and _refresh(d).status == Status.RESOLUTION_PUBLISHED
    Notice.objects.filter(decision=d).update(published_on=TODAY - timedelta(days=7))
    client.post(reverse("decisions:move", args=[d.pk, "start"]))
    assert _refresh(d).status == Status.IMPLEMENTING
    assert client.post(reverse("decisions:move", args=[d.pk, "fly"])).status_code == 404


def test_the_supervisor_raises_an_objection_and_the_secretary_answers(personas: Personas, tree: Tree, village: Village) -> None:
    d = _published(personas, tree, village)
    notice = Notice.objects.get(decision=d)
    supervisor = _client(village.supervisor)
    page = supervisor.get(reverse("decisions:detail", args=[d.pk])).content.decode()
    assert "提出异议" in page and "现在可以办理" not in page  # the supervisor sees no village actions
    supervisor.post(reverse("decisions:objection_raise", args=[d.pk]), {"text": "发包底价偏低，请说明依据。", "notice": notice.pk})
    objection = Objection.objects.get(decision=d)
    assert objection.notice == notice and objection.raised_by == village.supervisor
    secretary = _client(personas.secretary_a)
    assert secretary.post(reverse("decisions:objection_raise", args=[d.pk]), {"text": "自己提异议"}).status_code == 403
    blocked = secretary.post(reverse("decisions:move", args=[d.pk, "start"]), follow=True).content.decode()
    assert "监委会异议尚未答复" in blocked
    assert supervisor.post(reverse("decisions:objection_answer", args=[objection.pk]), {"answer": "自答"}).status_code == 403
    secretary.post(reverse("decisions:objection_answer", args=[objection.pk]), {"answer": "底价经评估机构评估。"})
    objection.refresh_from_db()
    assert objection.answer == "底价经评估机构评估。" and not objection.is_open
    assert _client(village.supervisor_b).post(reverse("decisions:objection_raise", args=[d.pk]), {"text": "x"}).status_code == 404


def test_it_adds_progress_through_the_page(personas: Personas, tree: Tree, village: Village, media: Path) -> None:
    d = _published(personas, tree, village)
    services.decision_move(actor=personas.secretary_a, decision=d, action="start")
    client = _client(personas.secretary_a)
    url = reverse("decisions:progress_add", args=[d.pk])
    data = {"on": (TODAY - timedelta(days=3)).isoformat(), "percent": 60, "text": "已签订合同。", "photo": SimpleUploadedFile("p.png", PNG)}
    assert client.post(url, data).status_code == 302
    entry = d.progress.get()
    assert entry.percent == 60 and entry.photo
    lower = client.post(url, {"on": TODAY.isoformat(), "percent": 40, "text": "倒退"}).content.decode()
    assert "不低于上一次登记" in lower
    assert client.get(reverse("decisions:progress_photo", args=[entry.pk])).status_code == 200
    assert _client(personas.secretary_b).get(reverse("decisions:progress_photo", args=[entry.pk])).status_code == 404


# ---- the town -------------------------------------------------------------------------------


def test_the_town_overrides_a_failed_meeting_with_a_reason(personas: Personas, tree: Tree, village: Village) -> None:
    d = _party_reviewed(personas, tree, village)
    failed = _meet(personas, d, "resolve", Body.REPRESENTATIVES, 27, entitled=30, present=19, votes_for=19)
    url = reverse("decisions:meeting_override", args=[failed.pk])
    assert _client(personas.secretary_a).post(url, {"reason": "因台风部分代表无法到会，经核实同意"}).status_code == 403
    town = _client(personas.town_staff)
    assert "镇街认定有效" in town.get(reverse("decisions:detail", args=[d.pk])).content.decode()
    short = town.post(url, {"reason": "同意"}, follow=True).content.decode()
    assert "请写明认定理由" in short and _refresh(d).status == Status.PARTY_REVIEWED
    page = town.post(url, {"reason": "因台风部分代表无法到会，经镇党委核实同意"}, follow=True).content.decode()
    assert _refresh(d).status == Status.RESOLVED and "经镇（街道）认定有效" in page
    assert Event.objects.get(action="decision.override").changes["reason"].startswith("因台风")
    assert _client(personas.secretary_b).post(url, {"reason": "x" * 20}).status_code == 404


def test_the_town_reviews_and_files(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village, category=village.land, amount=None)
    town = _client(personas.town_staff)
    assert _client(personas.secretary_a).post(reverse("decisions:town_review", args=[d.pk])).status_code == 403
    town.post(reverse("decisions:town_review", args=[d.pk]), {"note": "同意提交表决"})
    assert _refresh(d).town_reviewed_on == TODAY and _refresh(d).town_review_note == "同意提交表决"
    early = town.post(reverse("decisions:town_file", args=[d.pk]), follow=True).content.decode()
    assert "事项形成决议后方可备案" in early and _refresh(d).filed_on is None


# ---- the catalogue --------------------------------------------------------------------------


def test_the_catalogue_page_lists_the_current_version(personas: Personas, tree: Tree, village: Village) -> None:
    body = _client(personas.secretary_a).get(reverse("decisions:catalogue", args=[tree.village_a.pk])).content.decode()
    assert "现行清单（第 1 版）" in body and "集体土地发包" in body and "50000 元以上" in body and "组织法第二十四条" in body
    assert _client(personas.secretary_b).get(reverse("decisions:catalogue", args=[tree.village_a.pk])).status_code == 404


def test_a_new_version_is_drafted_changed_approved_and_filed(personas: Personas, tree: Tree, village: Village) -> None:
    secretary, town = _client(personas.secretary_a), _client(personas.town_staff)
    secretary.post(reverse("decisions:catalogue_draft", args=[tree.village_a.pk]))
    draft = MatterCatalogue.objects.get(village=tree.village_a, version=2)
    assert set(draft.categories.values_list("name", flat=True)) == {"集体土地发包", "集体资金使用"}
    again = secretary.post(reverse("decisions:catalogue_draft", args=[tree.village_a.pk]), follow=True).content.decode()
    assert "已有尚未表决的草稿版本" in again
    secretary.post(
        reverse("decisions:category_add", args=[draft.pk]),
        {"name": "宅基地使用方案", "group": "art24", "amount_threshold": "", "needs_town_review": "on", "basis": "组织法第二十四条"},
    )
    secretary.post(reverse("decisions:category_remove", args=[draft.categories.get(name="集体资金使用").pk]))
    assert set(draft.categories.values_list("name", flat=True)) == {"集体土地发包", "宅基地使用方案"}
    # new decisions still classify against version 1 until the draft is approved
    assert services.current_catalogue(tree.village_a) == village.catalogue
    assert town.post(reverse("decisions:catalogue_approve", args=[draft.pk]), {"approved_on": TODAY, "approved_by": "x"}).status_code == 403
    secretary.post(
        reverse("decisions:catalogue_approve", args=[draft.pk]),
        {"approved_on": TODAY.isoformat(), "approved_by": "2026年第二次村民代表会议"},
    )
    assert services.current_catalogue(tree.village_a) == draft
    locked = secretary.post(reverse("decisions:category_add", args=[draft.pk]), {"name": "新事项", "group": "other"}, follow=True)
    assert "已表决通过的清单不能修改" in locked.content.decode()
    assert secretary.post(reverse("decisions:catalogue_file", args=[draft.pk])).status_code == 403
    town.post(reverse("decisions:catalogue_file", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.filed_on == TODAY and draft.filed_by == personas.town_staff
    assert list(Event.objects.filter(action__startswith="catalogue.").values_list("action", flat=True)) == [
        "catalogue.draft",
        "catalogue.category_add",
        "catalogue.category_remove",
        "catalogue.approve",
        "catalogue.file",
    ]
    form = secretary.get(reverse("decisions:create")).content.decode()
    assert "宅基地使用方案" in form and "集体资金使用" not in form


def test_a_first_catalogue_starts_empty_and_needs_an_item(personas: Personas, tree: Tree) -> None:
    draft = catalogue.catalogue_draft(actor=personas.secretary_b, village=tree.village_b)
    assert draft.version == 1 and not draft.categories.exists()
    client = _client(personas.secretary_b)
    body = client.post(
        reverse("decisions:catalogue_approve", args=[draft.pk]), {"approved_on": TODAY, "approved_by": "村民会议"}, follow=True
    )
    assert "清单中还没有事项" in body.content.decode()
    future = (TODAY + timedelta(days=1)).isoformat()
    client.post(reverse("decisions:category_add", args=[draft.pk]), {"name": "集体资产处置", "group": "funds"})
    body = client.post(
        reverse("decisions:catalogue_approve", args=[draft.pk]), {"approved_on": future, "approved_by": "村民会议"}, follow=True
    )
    assert "表决日期不能晚于今天" in body.content.decode()
    assert services.current_catalogue(tree.village_b) is None
