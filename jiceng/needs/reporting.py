"""双报到 (domain.md §7.1-§7.2): in-service members report to the community where they live, units
located in or paired with a community report to its party organization.

A report is valid for the policy's months from its date (Foshan 2020: every 6 months [S]), through
the expiry day itself; from the next day it has lapsed. Reporting again ends the open report: to the
same community it is a renewal, to another community it is a move (迁居), and the member's residence
follows. Only one report per member is open at a time (a database constraint backs the row lock).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jiceng.accounts.access import can, scope
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.needs import access, points
from jiceng.needs.models import MemberAccount
from jiceng.needs.models_service import (
    EndReason,
    Reminder,
    ReportChannel,
    ServicePolicy,
    ServiceReport,
    UnitBasis,
    UnitReport,
    add_months,
)
from jiceng.orgs.models import GRASSROOTS_KINDS, UNIT_KINDS, GrandCommitteeUnit, Member, Organization, Pairing, Stage

logger = logging.getLogger("jiceng.needs.notify")

# 禅城 also has activists and development candidates report (domain.md §7.2); applicants do not.
REPORTING_STAGES = frozenset({Stage.FULL, Stage.PROBATIONARY, Stage.CANDIDATE, Stage.ACTIVIST})


def require(actor: User, action: str, org: Organization) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权对该社区进行此操作。")


def policy_for(org: Organization) -> ServicePolicy:
    """The policy set on the organization or its nearest ancestor; the defaults where none is set."""
    prefixes = [org.path[:i] for i in range(Organization.steplen, len(org.path) + 1, Organization.steplen)]
    found = ServicePolicy.objects.filter(organization__path__in=prefixes).order_by("-organization__depth").first()
    return found or ServicePolicy(organization=org)


def member_of(user: User) -> Member | None:
    """The registry member this login is, if it is linked to one."""
    account = MemberAccount.objects.filter(user=user).select_related("member__person", "member__branch").first()
    return account.member if account else None


# ---- member reports -------------------------------------------------------------------------


def _report(*, actor: User, member: Member, community: Organization, reported_on: date, channel: str) -> ServiceReport:
    if community.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"community": "须向社区（村）党组织报到。"})
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": "报到日期不能晚于今天。"})
    policy = policy_for(community)
    with transaction.atomic():
        member = Member.objects.select_for_update(of=("self",)).select_related("branch", "work_unit", "person").get(pk=member.pk)
        if member.stage not in REPORTING_STAGES:
            raise ValidationError({"member": "入党申请人无需报到；报到对象为党员、预备党员、发展对象和入党积极分子。"})
        old = (
            ServiceReport.objects.select_for_update(of=("self",))
            .filter(member=member, ended_on__isnull=True)
            .select_related("community")
            .first()
        )
        late = False
        if old is not None:
            if reported_on < old.reported_on:
                raise ValidationError({"reported_on": f"报到日期不能早于上次报到（{old.reported_on}）。"})
            late = reported_on > old.expires_on
            old.ended_on = reported_on
            old.end_reason = EndReason.RENEWED if old.community_id == community.pk else EndReason.MOVED
            old.save(update_fields=["ended_on", "end_reason"])
            audit.record(
                actor=actor,
                action="report.end",
                obj=old,
                org=old.community,
                changes={"reason": old.end_reason, "ended_on": reported_on, "new_community": community.name},
            )
        try:
            with transaction.atomic():
                report = ServiceReport.objects.create(
                    member=member,
                    community=community,
                    unit=member.work_unit,
                    reported_on=reported_on,
                    expires_on=add_months(reported_on, policy.report_valid_months),
                    channel=channel,
                    recorded_by=actor,
                )
        except IntegrityError as exc:
            raise ValidationError("该党员已有有效报到，请刷新后重试。") from exc
        if member.residence_community_id != community.pk:
            # 迁居: the registry follows the member to the new community.
            member.residence_community = community
            member.save(update_fields=["residence_community"])
        audit.record(
            actor=actor,
            action="report.create",
            obj=report,
            org=community,
            changes={
                "member": member.pk,
                "channel": channel,
                "reported_on": reported_on,
                "expires_on": report.expires_on,
                "moved_from": old.community.name if old is not None and old.community_id != community.pk else "",
            },
        )
        points.credit(
            member=member,
            rule_code=points.REPORT_LATE if late else points.REPORT,
            source=report,
            on=reported_on,
            actor=actor,
            community=community,
            note="逾期后补报" if late else "",
        )
    return report


def report_self(*, user: User, community: Organization, reported_on: date | None = None) -> ServiceReport:
    """A member reports online, as themself (the login must be linked to their registry record)."""
    member = member_of(user)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息，请联系所在党组织。")
    return _report(
        actor=user, member=member, community=community, reported_on=reported_on or timezone.localdate(), channel=ReportChannel.ONLINE
    )


def report_record(*, actor: User, member: Member, community: Organization, reported_on: date) -> ServiceReport:
    """The community records a member's report made in person."""
    require(actor, "report.record", community)
    return _report(actor=actor, member=member, community=community, reported_on=reported_on, channel=ReportChannel.STAFF)


# ---- unit reports ---------------------------------------------------------------------------


def unit_report_record(
    *, actor: User, unit: Organization, community: Organization, basis: str, reported_on: date, contact: str = ""
) -> UnitReport:
    """A unit's party organization reports to a community it is located in or paired with."""
    require(actor, "report.record", community)
    if community.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"community": "须向社区（村）党组织报到。"})
    if unit.kind not in UNIT_KINDS:
        raise ValidationError({"unit": "报到单位须为机关、企业或社会组织。"})
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": "报到日期不能晚于今天。"})
    if basis == UnitBasis.LOCATED:
        area = community.path[: -Organization.steplen]  # the community's town (街道/镇)
        if not unit.path.startswith(area):
            raise ValidationError({"basis": f"{unit.name}不在该社区所在镇（街道）辖区内，不能作为驻区单位报到。"})
    elif basis == UnitBasis.PAIRED:
        paired = Pairing.objects.filter(unit=unit, community=community, end_date__isnull=True).exists()
        grand = GrandCommitteeUnit.objects.filter(unit=unit, community=community).exists()
        if not (paired or grand):
            raise ValidationError({"basis": f"{unit.name}与该社区没有有效的结对共建协议或大党委共建关系。"})
    else:
        raise ValidationError({"basis": "请选择报到依据。"})
    with transaction.atomic():
        if UnitReport.objects.select_for_update().filter(unit=unit, community=community, ended_on__isnull=True).exists():
            raise ValidationError("该单位已向本社区报到。")
        report = UnitReport.objects.create(
            unit=unit, community=community, basis=basis, reported_on=reported_on, contact=contact.strip(), recorded_by=actor
        )
        audit.record(
            actor=actor,
            action="report.unit",
            obj=report,
            org=community,
            changes={"unit": unit.name, "basis": basis, "reported_on": reported_on},
        )
    return report


# ---- reminders ------------------------------------------------------------------------------


def notify(text: str) -> None:
    """The console stand-in for an SMS or in-app message (no real gateway here); WARNING so it shows at the default level."""
    logger.warning("[报到提醒] %s", text)


def remind_reports(*, now: datetime | None = None) -> list[Reminder]:
    """Remind members whose open report lapses within the policy's window; each report once, ever.

    Idempotent: a Reminder is unique per report, so running twice (or two workers at once) sends nothing twice.
    """
    today = timezone.localdate(now or timezone.now())
    widest = max([30, *ServicePolicy.objects.values_list("remind_days", flat=True)])
    due = (
        ServiceReport.objects.filter(ended_on__isnull=True, expires_on__gte=today, expires_on__lte=today + timedelta(days=widest))
        .filter(reminder__isnull=True)
        .select_related("member__person", "community")
        .order_by("expires_on", "pk")
    )
    policies: dict[int, ServicePolicy] = {}
    made: list[Reminder] = []
    for report in due:
        policy = policies.setdefault(report.community_id, policy_for(report.community))
        if report.expires_on - today > timedelta(days=policy.remind_days):
            continue
        text = (
            f"{report.member.person.name}同志：您向{report.community.name}的报到将于{report.expires_on:%Y年%m月%d日}到期，请及时重新报到。"
        )
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(report=report, due_on=report.expires_on, sent_at=timezone.now(), text=text)
                audit.record(actor=None, action="report.remind", obj=report, org=report.community, changes={"due_on": report.expires_on})
                transaction.on_commit(lambda text=text: notify(text))  # type: ignore[misc]
        except IntegrityError:
            continue  # another run reminded it first
        made.append(reminder)
    return made


# ---- reads ----------------------------------------------------------------------------------

STATES = ("active", "due", "lapsed", "ended")


def state_filter(state: str, today: date, remind_days: int = 30) -> Q:
    if state == "ended":
        return Q(ended_on__isnull=False)
    open_ = Q(ended_on__isnull=True)
    if state == "lapsed":
        return open_ & Q(expires_on__lt=today)
    if state == "due":
        return open_ & Q(expires_on__gte=today, expires_on__lte=today + timedelta(days=remind_days))
    if state == "active":
        return open_ & Q(expires_on__gt=today + timedelta(days=remind_days))
    return Q()


def reports_for_user(user: User, params: Any, today: date) -> QuerySet[ServiceReport]:
    qs = scope(ServiceReport.objects.all(), user, access.roles("report.view"), "community__path")
    state = params.get("state", "")
    qs = qs.filter(state_filter(state, today)) if state in STATES else qs.filter(ended_on__isnull=True)
    if (community := params.get("community", "")).isdigit():
        qs = qs.filter(community_id=int(community))
    if name := params.get("q", "").strip():
        qs = qs.filter(member__person__name__contains=name)
    return qs.select_related("member__person", "member__branch", "community", "unit").order_by("expires_on", "pk")


def report_for_user(user: User, pk: int) -> ServiceReport:
    from jiceng.accounts.access import get_for_user

    qs = ServiceReport.objects.select_related("member__person", "member__branch", "community", "unit", "recorded_by")
    return get_for_user(qs, user, access.roles("report.view"), "community__path", pk=pk)


@dataclass
class Standing:
    """A member's reporting standing for the page and the annual 民主评议 hook."""

    report: ServiceReport | None
    state: str
    cap_note: str


def standing(member: Member, today: date) -> Standing:
    report = ServiceReport.objects.filter(member=member).select_related("community").order_by("-reported_on", "-pk").first()
    if report is None:
        return Standing(None, "none", evaluation_cap(member, today.year))
    policy = policy_for(report.community)
    return Standing(report, report.state(today, policy.remind_days), evaluation_cap(member, today.year))


def evaluation_cap(member: Member, year: int) -> str:
    """The Foshan consequence (domain.md §7.2 [S]): an in-service member who did not report may not be
    rated 合格 or above in the year's democratic evaluation. A note for the evaluators, not a verdict."""
    if member.work_unit_id is None:
        return ""
    start, end = date(year, 1, 1), date(year, 12, 31)
    covered = ServiceReport.objects.filter(member=member, reported_on__lte=end, expires_on__gte=start).exists()
    if covered:
        return ""
    return f"{year}年未向居住地社区报到：按佛山做法，民主评议不得评为“合格”及以上（由党支部评议时决定）。"
