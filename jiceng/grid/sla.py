"""Time limits and supervision (超时督办, domain.md §6.3).

Overdue follows from the dates and the time of asking (stage_due_at, due_at, `now`); nothing stores
it. `check_sla(now)` — run by `manage.py check_sla` from cron, every few minutes — sends each
overdue case to the level above (village → town → district) with a supervision notice. It is
idempotent: a stage visit is escalated at most once (a unique constraint backs the check), and a
case past its total limit whose current stage is still in time is escalated only if nothing was
escalated before.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jiceng.audit import services as audit
from jiceng.grid.models import OPEN_STATUSES, Case, CaseLevel, CaseStatus, Escalation
from jiceng.grid.services import LEVEL_ABOVE, holder_org
from jiceng.grid.workflow import STAGE_HOURS, STAGE_LABELS

MIN_SUPERVISION_HOURS = 4  # [U] the level above gives at least this long to put things right


def overdue_q(now: datetime) -> Q:
    """Open and past the stage's or the whole case's limit at `now`."""
    return Q(status__in=OPEN_STATUSES) & (Q(stage_due_at__lt=now) | Q(due_at__lt=now))


def overdue(qs: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    return qs.filter(overdue_q(now))


def _stage_escalated() -> Exists:
    return Exists(Escalation.objects.filter(case=OuterRef("pk"), stage=OuterRef("status"), stage_started_at=OuterRef("stage_started_at")))


def due_for_escalation(now: datetime) -> QuerySet[Case]:
    stage_late = Q(stage_due_at__lt=now)
    total_late = Q(due_at__lt=now) & ~Exists(Escalation.objects.filter(case=OuterRef("pk")))
    return (
        Case.objects.filter(status__in=OPEN_STATUSES, level__in=list(LEVEL_ABOVE))
        .filter(stage_late | total_late)
        .exclude(_stage_escalated())
        .order_by("pk")
    )


@dataclass(frozen=True)
class Report:
    checked: int
    escalated: list[Escalation]


def check_sla(now: datetime | None = None) -> Report:
    now = now or timezone.now()
    ids = list(due_for_escalation(now).values_list("pk", flat=True))
    done = [e for pk in ids if (e := escalate(pk, now)) is not None]
    return Report(len(ids), done)


def _reason(case: Case, now: datetime) -> str:
    stage = STAGE_LABELS.get(CaseStatus(case.status), case.get_status_display())
    if case.stage_due_at is not None and now > case.stage_due_at:
        late = now - case.stage_due_at
        return f"“{stage}”环节超时：应于 {timezone.localtime(case.stage_due_at):%Y-%m-%d %H:%M} 前完成，已超时 {_span(late)}。"
    late = now - case.due_at
    return f"超过办结总时限：应于 {timezone.localtime(case.due_at):%Y-%m-%d %H:%M} 前办结，已超时 {_span(late)}。"


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} 天 {hours % 24} 小时" if hours >= 24 else f"{max(hours, 1)} 小时"


def escalate(case_pk: int, now: datetime) -> Escalation | None:
    """Escalate one case if it is still due for it; None if someone moved it or escalated it first."""
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("village", "category").get(pk=case_pk)
            if not due_for_escalation(now).filter(pk=case.pk).exists():
                return None
            above = LEVEL_ABOVE[CaseLevel(case.level)]
            from_level = case.level
            case.level = above
            to_org = holder_org(case)
            hours = getattr(case.category, STAGE_HOURS.get(CaseStatus(case.status), "handle_hours"))
            escalation = Escalation.objects.create(
                case=case,
                stage=case.status,
                stage_started_at=case.stage_started_at,
                from_level=from_level,
                to_level=above,
                to_org=to_org,
                reason=_reason(case, now),
                due_at=now + timedelta(hours=max(hours, MIN_SUPERVISION_HOURS)),
                at=now,
            )
            case.save(update_fields=["level"])
            audit.record(
                actor=None,
                action="case.escalate",
                obj=case,
                org=case.village,
                changes={"stage": case.status, "level": [from_level, above], "to": to_org.name, "reason": escalation.reason},
            )
            return escalation
    except IntegrityError:  # a concurrent run escalated this stage first
        return None
