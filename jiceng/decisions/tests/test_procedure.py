"""The 四议两公开 procedure end to end through the services, and every refusal on the way."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.conftest import Personas, Tree
from jiceng.decisions import services
from jiceng.decisions.models import Classification, Decision, DecisionPolicy, Meeting, NoticeKind, Status
from jiceng.decisions.tests.conftest import Village
from jiceng.orgs.models import PostRole
from jiceng.rules.models import Body

TODAY = timezone.localdate()


def _decision(personas: Personas, tree: Tree, village: Village, **kw: Any) -> Decision:
    fields: dict[str, Any] = {"title": "东片农田发包", "amount": Decimal("80000"), "category": village.funds} | kw
    return services.decision_create(actor=personas.secretary_a, village=tree.village_a, **fields)


def _meet(personas: Personas, decision: Decision, step: str, body: str, **kw: Any) -> Meeting:
    fields: dict[str, Any] = {
        "held_on": TODAY - timedelta(days=20),
        "place": "村委会议室",
        "present": 0,
        "votes_for": 0,
        "minutes": "会议讨论并表决。",
    } | kw
    return services.meeting_record(actor=personas.secretary_a, decision=decision, step=step, body=body, **fields)


def _refresh(decision: Decision) -> Decision:
    return Decision.objects.get(pk=decision.pk)


def _to_party_reviewed(personas: Personas, tree: Tree, village: Village) -> Decision:
    d = _decision(personas, tree, village)
    ids = [p.pk for p in village.party_members]
    _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=ids[:2], votes_for=2)
    _meet(personas, d, "deliberate", Body.TWO_COMMITTEES, attendees=ids[:4], votes_for=4)
    _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, attendees=ids[:6], votes_for=5)
    return _refresh(d)


def test_it_classifies_from_the_catalogue_with_reasons(personas: Personas, tree: Tree, village: Village) -> None:
    big = _decision(personas, tree, village, amount=Decimal("50000"))  # 以上: the threshold itself is in
    small = _decision(personas, tree, village, amount=Decimal("49999.99"))
    outside = _decision(personas, tree, village, category=None, title="村道路灯维修")
    assert big.classification == Classification.PROCEDURE and "集体资金使用" in big.classification_reason
    assert small.classification == Classification.GENERAL and "门槛" in small.classification_reason
    assert outside.classification == Classification.GENERAL and "一般事项" in outside.classification_reason
    land = _decision(personas, tree, village, category=village.land, amount=None)
    assert land.classification == Classification.PROCEDURE and land.needs_town_review


def test_it_needs_town_review_from_the_configured_amount(personas: Personas, tree: Tree, village: Village) -> None:
    DecisionPolicy.objects.create(organization=tree.town, town_review_amount=Decimal("80000"))
    assert _decision(personas, tree, village, amount=Decimal("80000")).needs_town_review
    assert not _decision(personas, tree, village, amount=Decimal("79999")).needs_town_review


def test_it_refuses_a_category_from_another_catalogue(personas: Personas, tree: Tree, village: Village) -> None:
    from jiceng.decisions.models import MatterCatalogue

    other = MatterCatalogue.objects.create(village=tree.village_b, version=1, approved_on=date(2026, 1, 1))
    category = other.categories.create(name="乙村事项", group="funds")
    with pytest.raises(ValidationError, match="本村现行事项清单"):
        _decision(personas, tree, village, category=category)


def test_the_whole_procedure_with_a_failed_quorum_and_an_objection(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    assert d.status == Status.PARTY_REVIEWED
    # 30 representatives: 19 present is below ≥ 2/3 — recorded, shown, nothing moves
    failed = _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=19, votes_for=19)
    assert not failed.quorum_met and _refresh(d).status == Status.PARTY_REVIEWED
    assert any("第二十六条" in f["article"] for f in failed.findings)
    _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=20, votes_for=11, held_on=TODAY - timedelta(days=19))
    assert _refresh(d).status == Status.RESOLVED

    notice = services.notice_publish(
        actor=personas.secretary_a,
        decision=d,
        kind=NoticeKind.RESOLUTION,
        title="决议公告",
        body="经村民代表会议表决通过……",
        published_on=TODAY - timedelta(days=18),
        notice_days=7,
    )
    assert _refresh(d).status == Status.RESOLUTION_PUBLISHED and len(notice.code) == 8
    objection = services.objection_raise(actor=village.supervisor, decision=d, text="发包底价偏低，请说明依据。", notice=notice)
    with pytest.raises(ValidationError, match="异议尚未答复"):
        services.decision_move(actor=personas.secretary_a, decision=d, action="start")
    services.objection_answer(actor=personas.secretary_a, objection=objection, answer="底价经评估机构评估，报告已公开。")
    services.decision_move(actor=personas.secretary_a, decision=d, action="start")
    services.progress_add(actor=personas.secretary_a, decision=d, on=TODAY - timedelta(days=5), percent=40, text="已签订合同。")
    with pytest.raises(ValidationError, match="100%"):
        services.notice_publish(
            actor=personas.secretary_a, decision=d, kind=NoticeKind.RESULT, title="结果", body="x", published_on=TODAY, notice_days=7
        )
    services.progress_add(actor=personas.secretary_a, decision=d, on=TODAY - timedelta(days=1), percent=100, text="已完成。")
    services.notice_publish(
        actor=personas.secretary_a,
        decision=d,
        kind=NoticeKind.RESULT,
        title="实施结果公告",
        body="已完成发包。",
        published_on=TODAY - timedelta(days=8),
        notice_days=7,
    )
    services.decision_move(actor=personas.secretary_a, decision=d, action="archive")
    assert _refresh(d).status == Status.ARCHIVED
    actions = list(Event.objects.filter(object_id=str(d.pk), object_type="decisions.decision").values_list("action", flat=True))
    assert actions == [
        "decision.create",
        "decision.propose",
        "decision.deliberate",
        "decision.party_review",
        "decision.meeting_failed",
        "decision.resolve",
        "decision.publish_resolution",
        "decision.start",
        "decision.publish_result",
        "decision.archive",
    ]
    assert verify().ok


def test_it_refuses_skipping_a_stage(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    with pytest.raises(ValidationError, match="按程序逐步办理"):
        _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, present=9, votes_for=9)
    with pytest.raises(ValidationError, match="不能公开决议"):
        services.notice_publish(
            actor=personas.secretary_a, decision=d, kind=NoticeKind.RESOLUTION, title="t", body="b", published_on=TODAY, notice_days=7
        )
    assert _refresh(d).status == Status.DRAFT and not Meeting.objects.exists()


def test_it_refuses_the_wrong_body_for_a_step(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    with pytest.raises(ValidationError, match="须由"):
        _meet(personas, d, "propose", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30)


def test_the_party_assembly_roster_is_the_full_members_of_the_village(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    ids = [p.pk for p in village.party_members]
    _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=ids[:2], votes_for=2)
    _meet(personas, d, "deliberate", Body.TWO_COMMITTEES, attendees=ids[:3], votes_for=3)
    # 9 full members (the probationer has no vote): 5 present is below ≥ 2/3 (6)
    m = _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, attendees=ids[:5], votes_for=5, entitled=99)
    assert m.entitled == 9 and m.present == 5 and not m.quorum_met
    assert {e["name"] for e in m.roster} == {p.name for p in village.party_members}
    # 6 present, 4 yes of 9 due: quorate but not > 1/2 of those due → refused
    m = _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, attendees=ids[:6], votes_for=4)
    assert m.quorum_met and not m.passed and _refresh(d).status == Status.REJECTED
    services.decision_move(actor=personas.secretary_a, decision=d, action="revise")
    assert _refresh(d).status == Status.DRAFT


def test_it_refuses_attendees_outside_the_roster(personas: Personas, tree: Tree, village: Village, person_b: Any) -> None:
    d = _decision(personas, tree, village)
    with pytest.raises(ValidationError, match="不在应到名单内"):
        _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=[village.party_members[0].pk, person_b.pk], votes_for=1)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"entitled": 30, "present": 31, "votes_for": 20}, "不能超过应到人数"),
        ({"entitled": 30, "present": 20, "votes_for": 15, "votes_against": 6}, "不能超过实到人数"),
        ({"entitled": 0, "present": 0, "votes_for": 0}, "应到人数须大于零"),
    ],
)
def test_it_refuses_impossible_counts(personas: Personas, tree: Tree, village: Village, counts: dict[str, int], message: str) -> None:
    d = _to_party_reviewed(personas, tree, village)
    with pytest.raises(ValidationError, match=message):
        _meet(personas, d, "resolve", Body.REPRESENTATIVES, **counts)
    assert _refresh(d).status == Status.PARTY_REVIEWED


def test_the_assembly_needs_households_and_may_meet_by_them(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    with pytest.raises(ValidationError, match="总户数"):
        _meet(personas, d, "resolve", Body.VILLAGERS_ASSEMBLY, entitled=800, present=300, votes_for=200)
    _meet(personas, d, "resolve", Body.VILLAGERS_ASSEMBLY, entitled=800, present=300, votes_for=151, households=300, households_present=200)
    assert _refresh(d).status == Status.RESOLVED


def test_a_failed_vote_at_a_step_that_cannot_refuse_keeps_the_status(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village)
    _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=[p.pk for p in village.party_members[:3]], votes_for=1)
    assert _refresh(d).status == Status.DRAFT


def test_town_review_gates_the_resolution(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village, category=village.land, amount=None)
    ids = [p.pk for p in village.party_members]
    _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=ids[:3], votes_for=3)
    _meet(personas, d, "deliberate", Body.TWO_COMMITTEES, attendees=ids[:5], votes_for=5)
    _meet(personas, d, "party_review", Body.PARTY_ASSEMBLY, attendees=ids, votes_for=9)
    with pytest.raises(ValidationError, match="预审"):
        _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30)
    with pytest.raises(PermissionDenied):
        services.town_review(actor=personas.secretary_a, decision=d)
    services.town_review(actor=personas.town_staff, decision=d, note="同意提交表决")
    _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30)
    services.town_file(actor=personas.town_staff, decision=d)
    with pytest.raises(ValidationError, match="已备案"):
        services.town_file(actor=personas.town_staff, decision=d)


def test_only_the_town_overrides_a_failed_meeting_with_a_reason(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    failed = _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=19, votes_for=19)
    for who in ("secretary_a", "district_admin", "secretary_b"):
        with pytest.raises(PermissionDenied):
            services.meeting_override(actor=getattr(personas, who), meeting=failed, reason="因台风部分代表无法到会，经核实同意")
    with pytest.raises(ValidationError, match="认定理由"):
        services.meeting_override(actor=personas.town_staff, meeting=failed, reason="同意")
    services.meeting_override(actor=personas.town_staff, meeting=failed, reason="因台风部分代表无法到会，经镇党委核实同意")
    assert _refresh(d).status == Status.RESOLVED
    assert Event.objects.get(action="decision.override").changes["reason"].startswith("因台风")


def test_the_notice_period_has_a_minimum_and_is_computed_from_dates(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=25, votes_for=20)
    with pytest.raises(ValidationError, match="不得少于 7 天"):
        services.notice_publish(
            actor=personas.secretary_a, decision=d, kind=NoticeKind.RESOLUTION, title="t", body="b", published_on=TODAY, notice_days=6
        )
    notice = services.notice_publish(
        actor=personas.secretary_a, decision=d, kind=NoticeKind.RESOLUTION, title="t", body="b", published_on=TODAY, notice_days=7
    )
    assert notice.on_notice(TODAY) and notice.on_notice(TODAY + timedelta(days=6)) and not notice.on_notice(TODAY + timedelta(days=7))
    with pytest.raises(ValidationError, match="届满后方可开始实施"):
        services.decision_move(actor=personas.secretary_a, decision=d, action="start")
    services.decision_move(actor=personas.secretary_a, decision=d, action="start", today=TODAY + timedelta(days=7))
    assert _refresh(d).status == Status.IMPLEMENTING


def test_yijiantiao_villages_may_merge_the_first_two_steps(personas: Personas, tree: Tree, village: Village) -> None:
    from jiceng.orgs.models import Post

    d = _decision(personas, tree, village)
    secretary = village.party_members[0]
    ids = [p.pk for p in village.party_members[:5]]
    with pytest.raises(ValidationError, match="按程序逐步办理"):
        _meet(personas, d, "propose_deliberate", Body.TWO_COMMITTEES, attendees=ids, votes_for=5)
    Post.objects.filter(role=PostRole.CHAIR).update(person=secretary)
    Post.objects.create(person=secretary, organization=tree.village_a, role=PostRole.COOP_HEAD, start_date=date(2021, 5, 1))
    _meet(personas, d, "propose_deliberate", Body.TWO_COMMITTEES, attendees=[*ids[:3], ids[4]], votes_for=4)
    assert _refresh(d).status == Status.DELIBERATED


def test_the_group_variant_has_its_own_steps(personas: Personas, tree: Tree, village: Village) -> None:
    d = _decision(personas, tree, village, level="group", group_name="第三村民小组")
    ids = [p.pk for p in village.party_members]
    with pytest.raises(ValidationError, match="按程序逐步办理"):
        _meet(personas, d, "propose", Body.PARTY_COMMITTEE, attendees=ids[:3], votes_for=3)
    _meet(personas, d, "group_propose", Body.GROUP_COMMITTEE, entitled=5, present=4, votes_for=3)
    _meet(personas, d, "group_review", Body.PARTY_COMMITTEE, attendees=ids[:3], votes_for=3)
    _meet(personas, d, "group_resolve", Body.GROUP_MEETING, entitled=60, present=40, votes_for=21, households=20, households_present=5)
    assert _refresh(d).status == Status.RESOLVED


@pytest.mark.parametrize("who", ["secretary_b", "town_staff", "district_admin", "member", "auditor", "outsider"])
def test_only_the_villages_own_staff_run_its_procedure(personas: Personas, tree: Tree, village: Village, who: str) -> None:
    d = _decision(personas, tree, village)
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            actor=getattr(personas, who),
            decision=d,
            step="propose",
            body=Body.PARTY_COMMITTEE,
            held_on=TODAY,
            place="x",
            present=3,
            votes_for=3,
            minutes="x",
        )
    with pytest.raises(PermissionDenied):
        services.decision_create(actor=getattr(personas, who), village=tree.village_a, title="x")


def test_only_the_villages_supervisors_raise_objections(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    for user in (village.supervisor_b, personas.secretary_a, personas.town_staff):
        with pytest.raises(PermissionDenied):
            services.objection_raise(actor=user, decision=d, text="异议")
    objection = services.objection_raise(actor=village.supervisor, decision=d, text="异议")
    assert objection.due_on == TODAY + timedelta(days=10)
    with pytest.raises(PermissionDenied):
        services.objection_answer(actor=village.supervisor, objection=objection, answer="自己答复")


def test_progress_only_moves_forward(personas: Personas, tree: Tree, village: Village) -> None:
    d = _to_party_reviewed(personas, tree, village)
    with pytest.raises(ValidationError, match="实施中"):
        services.progress_add(actor=personas.secretary_a, decision=d, on=TODAY, percent=10, text="x")
    _meet(personas, d, "resolve", Body.REPRESENTATIVES, entitled=30, present=30, votes_for=30)
    services.notice_publish(
        actor=personas.secretary_a,
        decision=d,
        kind=NoticeKind.RESOLUTION,
        title="t",
        body="b",
        published_on=TODAY - timedelta(days=10),
        notice_days=7,
    )
    services.decision_move(actor=personas.secretary_a, decision=d, action="start")
    services.progress_add(actor=personas.secretary_a, decision=d, on=TODAY - timedelta(days=2), percent=50, text="过半")
    for on, percent in ((TODAY - timedelta(days=3), 60), (TODAY, 40), (TODAY, 101)):
        with pytest.raises(ValidationError):
            services.progress_add(actor=personas.secretary_a, decision=d, on=on, percent=percent, text="x")


def test_the_notice_hash_changes_with_any_word(personas: Personas, tree: Tree, village: Village) -> None:
    args: dict[str, Any] = {
        "village_code": "1",
        "decision_id": 1,
        "kind": "resolution",
        "title": "t",
        "body": "同意发包",
        "published_on": TODAY,
        "notice_days": 7,
    }
    assert services.notice_hash(**args) != services.notice_hash(**(args | {"body": "同意发包。"}))
