"""民生微实事: the whole path, refused skips, failing council votes, the notice period, scope and roles."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from jiceng.audit.models import Event
from jiceng.needs import microprojects as mp
from jiceng.needs.models_service import MicroProject, ProjectStatus, ProjectTransition
from jiceng.needs.tests.service_fixtures import Svc, svc_fixture  # noqa: F401

S = ProjectStatus
DAY = date(2026, 3, 2)


def _propose(svc: Svc, **kw: Any) -> MicroProject:
    return mp.project_propose(
        actor=svc.staff_jia,
        community=svc.community_jia,
        title="楼道照明改造",
        budget=Decimal("30000"),
        proposer="居民代表",
        proposed_on=DAY,
        **kw,
    )


def _on_notice(svc: Svc) -> MicroProject:
    project = mp.project_submit(actor=svc.staff_jia, project=_propose(svc))
    return mp.project_vote(
        actor=svc.staff_jia, project=project, held_on=DAY + timedelta(days=5), members=20, present=15, votes_for=10, votes_against=3
    )


def test_the_whole_path_with_its_history_and_audit_events(svc: Svc) -> None:
    project = _on_notice(svc)
    assert project.status == S.PUBLIC_NOTICE and project.notice_days == 5
    assert project.notice_until == DAY + timedelta(days=9)
    project = mp.project_start(actor=svc.staff_jia, project=project, started_on=DAY + timedelta(days=10))
    mp.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 3, 20), percent=40, text="已采购灯具", spent=Decimal("9000"))
    mp.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 4, 1), percent=100, text="安装完成")
    project = mp.project_evaluate(actor=svc.staff_jia, project=project, evaluated_on=date(2026, 5, 6), score=92, text="居民满意")
    assert project.status == S.EVALUATED
    moves = list(ProjectTransition.objects.filter(project=project).order_by("pk").values_list("old", "new"))
    assert moves == [
        (S.PROPOSAL, S.COUNCIL_VOTE),
        (S.COUNCIL_VOTE, S.PUBLIC_NOTICE),
        (S.PUBLIC_NOTICE, S.IMPLEMENTING),
        (S.IMPLEMENTING, S.EVALUATED),
    ]
    actions = list(Event.objects.filter(object_id=str(project.pk), action__startswith="project.").values_list("action", flat=True))
    assert actions == [
        "project.propose",
        "project.submit",
        "project.vote",
        "project.start",
        "project.progress",
        "project.progress",
        "project.evaluate",
    ]


def test_no_stage_can_be_skipped(svc: Svc) -> None:
    project = _propose(svc)
    with pytest.raises(ValidationError, match="不能直接进入"):
        mp.project_start(actor=svc.staff_jia, project=project, started_on=DAY)
    with pytest.raises(ValidationError, match="不能直接进入"):
        mp.project_vote(actor=svc.staff_jia, project=project, held_on=DAY, members=10, present=10, votes_for=10, votes_against=0)
    with pytest.raises(ValidationError, match="不能直接进入"):
        mp.project_evaluate(actor=svc.staff_jia, project=project, evaluated_on=DAY, score=90, text="好")
    with pytest.raises(ValidationError, match="实施中"):
        mp.progress_add(actor=svc.staff_jia, project=project, month=DAY, percent=10, text="x")
    project.refresh_from_db()
    assert project.status == S.PROPOSAL and project.council_held_on is None
    assert not ProjectTransition.objects.exists()


@pytest.mark.parametrize(
    ("present", "votes_for", "why"),
    [(10, 10, "未达到会人数"), (11, 5, "赞成票未过半数"), (12, 6, "赞成票未过半数")],  # exactly half is not "more than half"
)
def test_a_failing_council_vote_rejects_the_project(svc: Svc, present: int, votes_for: int, why: str) -> None:
    project = mp.project_submit(actor=svc.staff_jia, project=_propose(svc))
    project = mp.project_vote(
        actor=svc.staff_jia, project=project, held_on=DAY, members=20, present=present, votes_for=votes_for, votes_against=0
    )
    assert project.status == S.REJECTED and project.council_passed is False
    assert why in ProjectTransition.objects.get(project=project, new=S.REJECTED).reason
    with pytest.raises(ValidationError):
        mp.project_start(actor=svc.staff_jia, project=project, started_on=DAY)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"members": 0, "present": 0, "votes_for": 0}, "成员数须大于零"),
        ({"members": 10, "present": 11, "votes_for": 6}, "不能超过议事会成员数"),
        ({"members": 10, "present": 8, "votes_for": 6, "votes_against": 3}, "不能超过到会人数"),
    ],
)
def test_impossible_counts_are_refused(svc: Svc, kwargs: dict[str, Any], field: str) -> None:
    project = mp.project_submit(actor=svc.staff_jia, project=_propose(svc))
    with pytest.raises(ValidationError, match=field):
        mp.project_vote(actor=svc.staff_jia, project=project, held_on=DAY, **{"votes_against": 0, **kwargs})
    project.refresh_from_db()
    assert project.status == S.COUNCIL_VOTE


def test_implementation_waits_for_the_whole_notice(svc: Svc) -> None:
    project = _on_notice(svc)
    last_day = project.notice_until
    assert last_day is not None
    with pytest.raises(ValidationError, match="公示期满"):
        mp.project_start(actor=svc.staff_jia, project=project, started_on=last_day)
    assert mp.project_start(actor=svc.staff_jia, project=project, started_on=last_day + timedelta(days=1)).status == S.IMPLEMENTING


def test_one_progress_per_month_and_evaluation_needs_progress(svc: Svc) -> None:
    project = mp.project_start(actor=svc.staff_jia, project=_on_notice(svc), started_on=DAY + timedelta(days=10))
    with pytest.raises(ValidationError, match="尚无月度进展"):
        mp.project_evaluate(actor=svc.staff_jia, project=project, evaluated_on=DAY + timedelta(days=30), score=90, text="好")
    mp.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 3, 15), percent=30, text="开工")
    with pytest.raises(ValidationError, match="已填报"):
        mp.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 3, 28), percent=35, text="再报")
    with pytest.raises(ValidationError, match="0 至 100"):
        mp.progress_add(actor=svc.staff_jia, project=project, month=date(2026, 4, 1), percent=101, text="x")


def test_other_communities_and_other_roles_are_refused(svc: Svc) -> None:
    with pytest.raises(PermissionDenied):
        mp.project_propose(actor=svc.staff_c, community=svc.community_jia, title="x", budget=Decimal(1), proposer="y", proposed_on=DAY)
    project = _propose(svc)
    with pytest.raises(PermissionDenied):
        mp.project_submit(actor=svc.staff_c, project=project)
    with pytest.raises(PermissionDenied):
        mp.project_submit(actor=svc.wang_user, project=project)
    client = Client()
    client.force_login(svc.staff_c)
    assert client.get(f"/needs/projects/{project.pk}/").status_code == 404
    assert client.post(f"/needs/projects/{project.pk}/submit/").status_code == 404
    client.force_login(svc.wang_user)
    assert client.get("/needs/projects/").status_code == 403
    assert client.get("/needs/projects/new/").status_code == 403
    project.refresh_from_db()
    assert project.status == S.PROPOSAL


def test_the_pages_drive_the_workflow(svc: Svc) -> None:
    client = Client()
    client.force_login(svc.staff_jia)
    response = client.post(
        "/needs/projects/new/",
        {"community": svc.community_jia.pk, "title": "健身器材更换", "budget": "15000", "proposer": "楼长", "proposed_on": DAY.isoformat()},
    )
    project = MicroProject.objects.get(title="健身器材更换")
    assert response.status_code == 302
    client.post(f"/needs/projects/{project.pk}/submit/")
    response = client.post(
        f"/needs/projects/{project.pk}/vote/", {"held_on": DAY.isoformat(), "members": 9, "present": 4, "votes_for": 4}, follow=True
    )
    assert "未达到会人数" in response.content.decode() or "未通过" in response.content.decode()
    project.refresh_from_db()
    assert project.status == S.REJECTED


def test_the_list_query_count_does_not_grow(svc: Svc, django_assert_num_queries: Any) -> None:
    client = Client()
    client.force_login(svc.staff_jia)
    _propose(svc)
    client.get("/needs/projects/")
    with django_assert_num_queries(6) as small:
        client.get("/needs/projects/")
    for i in range(6):
        mp.project_propose(
            actor=svc.staff_jia, community=svc.community_jia, title=f"项目{i}", budget=Decimal(1), proposer="x", proposed_on=DAY
        )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/needs/projects/")


def test_the_api_refuses_a_skipped_stage_with_400(svc: Svc) -> None:
    client = Client()
    client.force_login(svc.staff_jia)
    created = client.post(
        "/api/v1/micro-projects",
        {"community": svc.community_jia.pk, "title": "无障碍坡道", "budget": "8000", "proposer": "残联", "proposed_on": DAY.isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    response = client.post(f"/api/v1/micro-projects/{pk}/start", {"started_on": DAY.isoformat()}, content_type="application/json")
    assert response.status_code == 400 and "不能直接进入" in response.json()["error"]["message"]
    client.force_login(svc.staff_c)
    assert client.get(f"/api/v1/micro-projects/{pk}").status_code == 404
