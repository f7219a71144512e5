"""The demo decisions: loaded by `load_demo`, once; consistent with the rules, the step tables and the
ledger; 三堡村's cases; district figures of Pengjiang's kind.

Loading takes several seconds, so one test loads it and checks everything in turn.
"""

import io
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Count, Max, Q
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.decisions import roster, services, stats
from jiceng.decisions.models import (
    Classification,
    Decision,
    DecisionPolicy,
    MatterCatalogue,
    Meeting,
    Notice,
    NoticeKind,
    Objection,
    Progress,
    Status,
)
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.rules.engine import Counts, evaluate

S = Status
TABLES = (MatterCatalogue, Decision, Meeting, Notice, Objection, Progress, Event)


def test_the_demo_district_gets_its_decisions_once(db: None) -> None:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "已载入“四议两公开”演示数据" in out.getvalue()
    _assert_catalogues()
    _assert_statuses_and_timelines()
    _assert_verdicts_and_rosters()
    _assert_notices_in_the_ledger()
    _assert_sanbao()
    _assert_figures_of_pengjiangs_kind()

    before = {model.__name__: model.objects.count() for model in TABLES}
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert {model.__name__: model.objects.count() for model in TABLES} == before
    assert "未重复载入" in again.getvalue() and "四议两公开事项" in again.getvalue()
    (summary,) = Event.objects.filter(action="demo.decisions")
    assert summary.actor_id is None and summary.changes["decisions"] == Decision.objects.count()
    assert verify().ok


def _assert_catalogues() -> None:
    district = Organization.objects.get(code="440703")
    policy = DecisionPolicy.objects.get()
    assert policy.organization == district and (policy.notice_min_days, policy.objection_answer_days) == (7, 10)
    places = Organization.objects.filter(kind__in=GRASSROOTS_KINDS)
    catalogues = MatterCatalogue.objects.annotate(n=Count("categories"))
    assert catalogues.count() == places.count() >= 125
    assert not catalogues.filter(Q(approved_on=None) | Q(filed_on=None) | Q(filed_by=None) | Q(n__lt=12)).exists()
    for catalogue in catalogues:
        assert catalogue.filed_on and catalogue.approved_on and catalogue.filed_on > catalogue.approved_on


def _assert_statuses_and_timelines() -> None:
    today = timezone.localdate()
    statuses = Counter(Decision.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert statuses[S.ARCHIVED] > len(Decision.objects.all()) / 2
    for model, field in (
        (Decision, "created_on"),
        (Meeting, "held_on"),
        (Notice, "published_on"),
        (Objection, "raised_on"),
        (Progress, "on"),
    ):
        assert not model.objects.filter(**{f"{field}__gt": today}).exists(), model
    decided = [S.RESOLVED, S.RESOLUTION_PUBLISHED, S.IMPLEMENTING, S.RESULT_PUBLISHED, S.ARCHIVED]
    advanced = Q(meetings__quorum_met=True, meetings__passed=True, meetings__step__in=stats.RESOLVING_STEPS)
    counted = Decision.objects.annotate(resolutions=Count("meetings", filter=advanced))
    for decision in counted.prefetch_related("notices", "objections", "progress"):
        assert decision.resolutions == (1 if decision.status in decided else 0), decision.title
        kinds = {n.kind: n for n in decision.notices.all()}
        open_objections = [o for o in decision.objections.all() if o.is_open]
        progress = [p.percent for p in decision.progress.all()]
        assert progress == sorted(progress)
        if decision.status in (S.IMPLEMENTING, S.RESULT_PUBLISHED, S.ARCHIVED):
            assert NoticeKind.RESOLUTION in kinds and not kinds[NoticeKind.RESOLUTION].on_notice(today)
        if decision.status in (S.RESULT_PUBLISHED, S.ARCHIVED):
            assert progress[-1] == 100 and NoticeKind.RESULT in kinds and not open_objections
        if decision.status == S.ARCHIVED:
            assert not kinds[NoticeKind.RESULT].on_notice(today)
        if decision.needs_town_review and decision.status in decided:
            assert decision.town_reviewed_on is not None
        if decision.filed_on is not None:
            assert decision.status in decided and decision.needs_town_review
    # Procedure matters follow the village (or group) steps; general matters only the two committees.
    general_steps = set(Meeting.objects.filter(decision__classification=Classification.GENERAL).values_list("step", flat=True))
    assert general_steps == {"handle"}
    assert {"propose", "deliberate", "party_review", "resolve", "group_resolve", "propose_deliberate"} <= set(
        Meeting.objects.values_list("step", flat=True)
    )


def _assert_verdicts_and_rosters() -> None:
    meetings = Meeting.objects.select_related("decision__village").order_by("pk")
    for m in meetings:
        counts = Counts(m.entitled, m.present, m.votes_for, m.households, m.households_present)
        verdict = evaluate(m.body, m.decision.village.code, m.held_on, counts)
        assert verdict is not None
        assert (m.rule_set_id, m.quorum_met, m.passed) == (verdict.rule_set_id, verdict.quorum_met, verdict.passed), m.pk
        assert m.findings == [f.__dict__ for f in verdict.findings]
        assert m.votes_for + m.votes_against + m.votes_abstain <= m.present <= m.entitled
        if m.body in roster.REGISTRY_BODIES:
            assert m.roster == roster.snapshot(m.body, m.decision.village, m.held_on), m.pk
            assert m.entitled == len(m.roster) and m.present == len(m.attendees)
            assert set(m.attendees) <= {entry["id"] for entry in m.roster}
    assert meetings.filter(quorum_met=False).count() >= 10
    assert meetings.filter(quorum_met=True, passed=False).exists()


def _assert_notices_in_the_ledger() -> None:
    notices = list(Notice.objects.select_related("decision__village"))
    assert len({n.code for n in notices}) == len(notices) and all(len(n.code) == 8 for n in notices)
    published = {
        (e.object_id, e.action): e.changes
        for e in Event.objects.filter(action__in=["decision.publish_resolution", "decision.publish_result"])
    }
    assert len(published) == len(notices)
    for n in notices:
        digest = services.notice_hash(
            village_code=n.decision.village.code,
            decision_id=n.decision_id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            published_on=n.published_on,
            notice_days=n.notice_days,
        )
        assert n.content_hash == digest
        assert published[(str(n.decision_id), f"decision.publish_{n.kind}")] == {"notice": n.code, "content_hash": digest}
        assert n.notice_days >= 7


def _assert_sanbao() -> None:
    today = timezone.localdate()
    sanbao = Organization.objects.get(name="三堡村")
    decisions = Decision.objects.filter(village=sanbao)
    assert set(decisions.values_list("status", flat=True)) == set(Status.values)
    assert decisions.filter(classification=Classification.GENERAL).exists()
    # Stopped by a failed quorum at the resolution step: the last meeting failed, nothing moved.
    stopped = decisions.get(title="东片120亩农用地公开发包")
    last = stopped.meetings.order_by("-held_on", "-pk").first()
    assert stopped.status == S.PARTY_REVIEWED and last is not None and last.step == "resolve" and not last.quorum_met
    assert any(not f["met"] and f["check"] == "quorum" for f in last.findings) and stopped.town_reviewed_on is not None
    # An open objection while the resolution is on the notice board.
    objected = decisions.get(title="江门大道扩建征地补偿款分配方案")
    notice = objected.notices.get(kind=NoticeKind.RESOLUTION)
    (objection,) = objected.objections.all()
    assert objected.status == S.RESOLUTION_PUBLISHED and notice.on_notice(today)
    assert objection.is_open and not objection.overdue(today) and objection.notice == notice
    assert User.objects.get(username="sanbao_jiandu") == objection.raised_by
    assert set(decisions.values_list("created_by__username", flat=True)) == {"sanbao_sec"}
    # Elsewhere, one objection has waited past its deadline.
    assert Objection.objects.filter(answered_on=None, due_on__lt=today).exists()


def _assert_figures_of_pengjiangs_kind() -> None:
    """Pengjiang reports 302 uses, 519 matters and 1.823 billion yuan for 63 villages: the demo's
    three years give a few hundred uses, more matters, and 1-2.5 billion yuan."""
    qu_admin = User.objects.get(username="qu_admin")
    today = timezone.localdate()
    years = [stats.report(qu_admin, year, today).districts[0].figures for year in range(today.year - 2, today.year + 1)]
    total = sum(years, stats.Figures())
    assert 250 <= total.decisions <= 700 and total.matters > total.decisions * 1.3
    assert Decimal(800_000_000) <= total.amount <= Decimal(2_500_000_000)
    assert all(100 <= f.decisions <= 250 and f.failed_meetings > 0 for f in years[:2])  # the two whole years
    assert total.notices_on_time < total.resolution_notices and total.objections_raised > total.objections_answered
    per_village = stats.village_figures(qu_admin, today.year - 1, today)
    assert len(per_village) > 50
    latest = Meeting.objects.aggregate(latest=Max("held_on"))["latest"]
    assert latest is not None and latest >= today - timedelta(days=10)
