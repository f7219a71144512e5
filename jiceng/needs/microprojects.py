"""民生微实事 (domain.md §7.5, 坪山 model [S]): proposal → residents' council vote → public notice →
implementation with monthly progress → evaluation.

The allowed moves are one table (`MOVES`); `_transition` is the only place a status changes, under a
row lock, writing a ProjectTransition (old, new, actor, reason, time) and an audit event. The
council's quorum and majority and the notice length are `ServicePolicy` data, local practice [U].
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jiceng.accounts.access import get_for_user, scope
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.needs import access
from jiceng.needs.models_service import MicroProject, ProjectProgress, ProjectStatus, ProjectTransition, ServicePolicy
from jiceng.needs.reporting import policy_for, require
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization

P = ProjectStatus

# (from, to): the action that makes the move. Anything else is refused: no stage can be skipped.
MOVES: dict[tuple[str, str], str] = {
    (P.PROPOSAL, P.COUNCIL_VOTE): "submit",
    (P.COUNCIL_VOTE, P.PUBLIC_NOTICE): "vote",  # the council passed it
    (P.COUNCIL_VOTE, P.REJECTED): "vote",  # the council did not
    (P.PUBLIC_NOTICE, P.IMPLEMENTING): "start",
    (P.IMPLEMENTING, P.EVALUATED): "evaluate",
}


def _locked(project: MicroProject) -> MicroProject:
    return MicroProject.objects.select_for_update().select_related("community").get(pk=project.pk)


def _transition(project: MicroProject, new: str, actor: User, action: str, reason: str = "", fields: tuple[str, ...] = ()) -> None:
    """The one place a status changes; `fields` are the other fields the move sets, saved and audited with it."""
    old = project.status
    if MOVES.get((old, new)) != action:
        raise ValidationError(f"“{ProjectStatus(old).label}”的项目不能直接进入“{ProjectStatus(new).label}”。")
    project.status = new
    project.save(update_fields=["status", *fields])
    ProjectTransition.objects.create(project=project, old=old, new=new, actor=actor, reason=reason[:300])
    audit.record(
        actor=actor,
        action=f"project.{action}",
        obj=project,
        org=project.community,
        changes={"status": [old, new], **{k: getattr(project, k) for k in fields}, "reason": reason},
    )


def _not_future(day: date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: "日期不能晚于今天。"})


def project_propose(
    *, actor: User, community: Organization, title: str, budget: Decimal, proposer: str, proposed_on: date, description: str = ""
) -> MicroProject:
    require(actor, "project.manage", community)
    if community.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"community": "民生微实事须登记在社区（村）。"})
    if not title.strip():
        raise ValidationError({"title": "请填写项目名称。"})
    if not proposer.strip():
        raise ValidationError({"proposer": "请填写提议人。"})
    if budget < 0:
        raise ValidationError({"budget": "预算不能为负数。"})
    _not_future(proposed_on, "proposed_on")
    with transaction.atomic():
        project = MicroProject.objects.create(
            community=community,
            title=title.strip(),
            description=description,
            budget=budget,
            proposer=proposer.strip(),
            proposed_on=proposed_on,
            created_by=actor,
        )
        audit.record(actor=actor, action="project.propose", obj=project, org=community, changes={"title": project.title, "budget": budget})
    return project


def project_submit(*, actor: User, project: MicroProject, reason: str = "") -> MicroProject:
    """初审筛选 passed: the proposal goes to the residents' council."""
    require(actor, "project.manage", project.community)
    with transaction.atomic():
        project = _locked(project)
        _transition(project, P.COUNCIL_VOTE, actor, "submit", reason or "初审通过，提交居民议事会")
    return project


def council_verdict(policy: ServicePolicy, members: int, present: int, votes_for: int) -> tuple[bool, bool, str]:
    """(quorate, passed, the rule in words), in integers: present × d > n × members; for × d > n × present."""
    qn, qd = policy.council_quorum_numerator, policy.council_quorum_denominator
    pn, pd = policy.council_pass_numerator, policy.council_pass_denominator
    quorate = present * qd > qn * members
    passed = quorate and votes_for * pd > pn * present
    basis = f"到会超过议事会成员的 {qn}/{qd}，赞成超过到会人数的 {pn}/{pd}（地方做法，可配置）"
    return quorate, passed, basis


def project_vote(
    *,
    actor: User,
    project: MicroProject,
    held_on: date,
    members: int,
    present: int,
    votes_for: int,
    votes_against: int,
    notice_from: date | None = None,
) -> MicroProject:
    """Record the residents' council vote. Passed → public notice from `notice_from`; failed → rejected."""
    require(actor, "project.manage", project.community)
    _not_future(held_on, "held_on")
    if members <= 0:
        raise ValidationError({"members": "议事会成员数须大于零。"})
    if present > members:
        raise ValidationError({"present": f"到会人数（{present}）不能超过议事会成员数（{members}）。"})
    if votes_for < 0 or votes_against < 0 or votes_for + votes_against > present:
        raise ValidationError({"votes_for": "赞成票与反对票之和不能超过到会人数。"})
    policy = policy_for(project.community)
    quorate, passed, basis = council_verdict(policy, members, present, votes_for)
    with transaction.atomic():
        project = _locked(project)
        if held_on < project.proposed_on:
            raise ValidationError({"held_on": "议事会日期不能早于提议日期。"})
        project.council_held_on = held_on
        project.council_members, project.council_present = members, present
        project.votes_for, project.votes_against = votes_for, votes_against
        project.council_passed, project.council_basis = passed, basis
        fields = ("council_held_on", "council_members", "council_present", "votes_for", "votes_against", "council_passed", "council_basis")
        if passed:
            start = notice_from or held_on
            if start < held_on:
                raise ValidationError({"notice_from": "公示不能早于议事会表决。"})
            project.notice_from, project.notice_days = start, policy.project_notice_days
            _transition(project, P.PUBLIC_NOTICE, actor, "vote", "居民议事会表决通过", (*fields, "notice_from", "notice_days"))
        else:
            why = "未达到会人数要求" if not quorate else "赞成票未过半数"
            _transition(project, P.REJECTED, actor, "vote", f"居民议事会表决未通过：{why}", fields)
    return project


def project_start(*, actor: User, project: MicroProject, started_on: date) -> MicroProject:
    """Implementation may start only after the whole public notice has run."""
    require(actor, "project.manage", project.community)
    _not_future(started_on, "started_on")
    with transaction.atomic():
        project = _locked(project)
        until = project.notice_until
        if project.status == P.PUBLIC_NOTICE and (until is None or started_on <= until):
            raise ValidationError({"started_on": f"公示期至 {until} 止，须公示期满后方可实施。"})
        project.started_on = started_on
        _transition(project, P.IMPLEMENTING, actor, "start", "公示期满，开始实施", ("started_on",))
    return project


def progress_add(
    *, actor: User, project: MicroProject, month: date, percent: int, text: str, spent: Decimal = Decimal("0")
) -> ProjectProgress:
    """One progress report per month of an implementing project."""
    require(actor, "project.manage", project.community)
    month = month.replace(day=1)
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": "进度须在 0 至 100 之间。"})
    if not text.strip():
        raise ValidationError({"text": "请填写进展情况。"})
    if spent < 0:
        raise ValidationError({"spent": "支出不能为负数。"})
    if month > timezone.localdate():
        raise ValidationError({"month": "不能填报未来月份的进展。"})
    with transaction.atomic():
        project = _locked(project)
        if project.status != P.IMPLEMENTING:
            raise ValidationError("只有实施中的项目才能填报月度进展。")
        if project.started_on and month < project.started_on.replace(day=1):
            raise ValidationError({"month": "进展月份不能早于开工月份。"})
        try:
            with transaction.atomic():
                entry = ProjectProgress.objects.create(
                    project=project, month=month, percent=percent, spent=spent, text=text.strip(), recorded_by=actor
                )
        except IntegrityError as exc:
            raise ValidationError({"month": f"{month:%Y年%m月}的进展已填报。"}) from exc
        audit.record(
            actor=actor,
            action="project.progress",
            obj=project,
            org=project.community,
            changes={"month": month, "percent": percent, "spent": spent},
        )
    return entry


def project_evaluate(*, actor: User, project: MicroProject, evaluated_on: date, score: int, text: str) -> MicroProject:
    require(actor, "project.manage", project.community)
    _not_future(evaluated_on, "evaluated_on")
    if not 0 <= score <= 100:
        raise ValidationError({"score": "评价得分须在 0 至 100 之间。"})
    if not text.strip():
        raise ValidationError({"text": "请填写评价意见。"})
    with transaction.atomic():
        project = _locked(project)
        if project.status == P.IMPLEMENTING and not project.progress.exists():
            raise ValidationError("尚无月度进展记录，不能评价。")
        project.evaluated_on, project.evaluation_score, project.evaluation_text = evaluated_on, score, text.strip()
        _transition(project, P.EVALUATED, actor, "evaluate", "项目总结评价", ("evaluated_on", "evaluation_score", "evaluation_text"))
    return project


# ---- reads ----------------------------------------------------------------------------------


def projects_for_user(user: User, params: Any) -> QuerySet[MicroProject]:
    qs = scope(MicroProject.objects.all(), user, access.roles("project.view"), "community__path")
    if (status := params.get("status", "")) in ProjectStatus.values:
        qs = qs.filter(status=status)
    if (community := params.get("community", "")).isdigit():
        qs = qs.filter(community_id=int(community))
    return qs.select_related("community").order_by("-proposed_on", "-pk")


def project_for_user(user: User, pk: int) -> MicroProject:
    return get_for_user(MicroProject.objects.select_related("community"), user, access.roles("project.view"), "community__path", pk=pk)
