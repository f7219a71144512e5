"""Writes of the 四议两公开 procedure. Each is one transaction that locks the decision row, checks
its status against the step tables, and writes its audit event."""

import hashlib
import json
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jiceng.accounts.access import can
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.decisions import access, roster
from jiceng.decisions.models import (
    Classification,
    Decision,
    DecisionPolicy,
    Level,
    MatterCatalogue,
    MatterCategory,
    Meeting,
    Notice,
    NoticeKind,
    Objection,
    Progress,
    Status,
)
from jiceng.decisions.workflow import MOVES, Step, open_steps, step_named
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.orgs.rules import yijiantiao
from jiceng.rules.engine import Counts, evaluate
from jiceng.rules.models import Body


def require(actor: User, action: str, org: Organization) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权对该村（社区）进行此操作。")


def policy_for(org: Organization) -> DecisionPolicy:
    """The policy set on the organization or its nearest ancestor; the defaults where none is set."""
    prefixes = [org.path[:i] for i in range(Organization.steplen, len(org.path) + 1, Organization.steplen)]
    found = DecisionPolicy.objects.filter(organization__path__in=prefixes).order_by("-organization__depth").first()
    return found or DecisionPolicy(organization=org)


def merge_allowed(decision: Decision, on: date | None = None) -> bool:
    return policy_for(decision.village).merge_first_steps and yijiantiao([decision.village], on).get(decision.village.pk, False)


def _locked(decision: Decision) -> Decision:
    return Decision.objects.select_for_update().select_related("village").get(pk=decision.pk)


def _set_status(decision: Decision, new: str, actor: User, action: str, **extra: Any) -> None:
    old = decision.status
    decision.status = new
    decision.save(update_fields=["status"])
    audit.record(actor=actor, action=f"decision.{action}", obj=decision, org=decision.village, changes={"status": [old, new], **extra})


# ---- classification ---------------------------------------------------------------------------


def current_catalogue(village: Organization) -> MatterCatalogue | None:
    return village.matter_catalogues.exclude(approved_on__isnull=True).order_by("-version").first()


def classify(village: Organization, category: MatterCategory | None, amount: Decimal | None) -> tuple[str, str]:
    """Whether a matter must go through the procedure, and why (domain.md §2.2)."""
    if category is None:
        return Classification.GENERAL, "不在本村事项清单内：作为一般事项由村“两委”按职责办理，仍须公开（组织法第三十条）。"
    threshold = category.amount_threshold
    if threshold is not None and (amount is None or amount < threshold):
        return Classification.GENERAL, f"属清单事项“{category.name}”，但金额未达 {threshold} 元（以上）门槛：作为一般事项办理并公开。"
    reason = f"属本村事项清单“{category.get_group_display()}”中的“{category.name}”"
    if threshold is not None:
        reason += f"，金额达到 {threshold} 元以上"
    return Classification.PROCEDURE, reason + "：须经“四议两公开”。"


def decision_create(
    *,
    actor: User,
    village: Organization,
    title: str,
    description: str = "",
    amount: Decimal | None = None,
    category: MatterCategory | None = None,
    level: str = Level.VILLAGE,
    group_name: str = "",
) -> Decision:
    require(actor, "decision.change", village)
    if village.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"village": "事项须登记在村或社区。"})
    if not title.strip():
        raise ValidationError({"title": "请填写事项名称。"})
    if amount is not None and amount < 0:
        raise ValidationError({"amount": "金额不能为负数。"})
    if level == Level.GROUP and not group_name.strip():
        raise ValidationError({"group_name": "村民小组事项须填写村民小组名称。"})
    catalogue = current_catalogue(village)
    if category is not None and (catalogue is None or category.catalogue_id != catalogue.pk):
        raise ValidationError({"category": "只能选用本村现行事项清单中的事项。"})
    classification, reason = classify(village, category, amount)
    policy = policy_for(village)
    # 以上: an amount equal to the threshold needs review too.
    needs_review = bool(category and category.needs_town_review) or (amount is not None and amount >= policy.town_review_amount)
    with transaction.atomic():
        decision = Decision.objects.create(
            village=village,
            level=level,
            group_name=group_name.strip(),
            title=title.strip(),
            description=description,
            amount=amount,
            category=category,
            classification=classification,
            classification_reason=reason,
            needs_town_review=needs_review and classification == Classification.PROCEDURE,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="decision.create",
            obj=decision,
            org=village,
            changes={"title": decision.title, "classification": classification, "amount": amount, "reason": reason},
        )
    return decision


# ---- meetings ----------------------------------------------------------------------------------


def _check_counts(body: str, counts: Counts, votes_against: int, votes_abstain: int) -> None:
    if counts.entitled <= 0:
        raise ValidationError({"entitled": "应到人数须大于零。"})
    if counts.present > counts.entitled:
        raise ValidationError({"present": f"实到人数（{counts.present}）不能超过应到人数（{counts.entitled}）。"})
    if counts.votes_for + votes_against + votes_abstain > counts.present:
        raise ValidationError({"votes_for": "赞成、反对、弃权票数之和不能超过实到人数。"})
    if body in (Body.VILLAGERS_ASSEMBLY, Body.GROUP_MEETING):
        if counts.households <= 0:
            raise ValidationError({"households": "请填写总户数。"})
        if counts.households_present > counts.households:
            raise ValidationError({"households_present": "到会户代表数不能超过总户数。"})


def _entitled(body: str, decision: Decision, on: date, typed: int, attendees: list[int]) -> tuple[list[dict[str, object]], int, int | None]:
    """(roster, entitled, present from the attendee list) — the registry decides for bodies it knows."""
    snap = roster.snapshot(body, decision.village, on)
    if snap is None:
        return [], typed, None
    known = {entry["id"] for entry in snap}
    if unknown := set(attendees) - known:
        raise ValidationError({"attendees": f"实到名单中有 {len(unknown)} 人不在应到名单内。"})
    return snap, len(snap), len(set(attendees)) if attendees else None


def meeting_record(
    *,
    actor: User,
    decision: Decision,
    step: str,
    body: str,
    held_on: date,
    place: str,
    present: int,
    votes_for: int,
    votes_against: int = 0,
    votes_abstain: int = 0,
    minutes: str,
    entitled: int = 0,
    households: int = 0,
    households_present: int = 0,
    attendees: list[int] | None = None,
    town_staff_present: str = "",
    quorum_basis: str = "",
) -> Meeting:
    """Record the meeting of a step with its verdict; only a quorate, passing meeting advances."""
    require(actor, "decision.change", decision.village)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "会议日期不能晚于今天。"})
    if not minutes.strip():
        raise ValidationError({"minutes": "请填写会议记录。"})
    with transaction.atomic():
        decision = _locked(decision)
        spec = _open_step(decision, step, held_on)
        if body not in spec.bodies:
            raise ValidationError({"body": f"“{spec.label}”须由{'或'.join(str(Body(b).label) for b in spec.bodies)}进行。"})
        if spec.action in ("resolve", "group_resolve") and decision.needs_town_review and decision.town_reviewed_on is None:
            raise ValidationError("该事项须经镇（街道）预审通过后，方可提交村民会议或村民代表会议决议。")
        last = decision.meetings.order_by("-held_on").first()
        if last is not None and held_on < last.held_on:
            raise ValidationError({"held_on": f"会议日期不能早于上一次会议（{last.held_on}）。"})
        snap, entitled, listed_present = _entitled(body, decision, held_on, entitled, attendees or [])
        present = listed_present if listed_present is not None else present
        counts = Counts(
            entitled=entitled, present=present, votes_for=votes_for, households=households, households_present=households_present
        )
        _check_counts(body, counts, votes_against, votes_abstain)
        verdict = evaluate(body, decision.village.code, held_on, counts)
        if verdict is None:
            raise ValidationError("本地区尚未配置该会议的法定人数与表决规则，请联系区委组织部。")
        meeting = Meeting.objects.create(
            decision=decision,
            step=spec.action,
            body=body,
            held_on=held_on,
            place=place,
            quorum_basis=quorum_basis,
            entitled=entitled,
            present=present,
            households=households,
            households_present=households_present,
            roster=snap,
            attendees=sorted(set(attendees or [])),
            votes_for=votes_for,
            votes_against=votes_against,
            votes_abstain=votes_abstain,
            minutes=minutes,
            town_staff_present=town_staff_present,
            rule_set_id=verdict.rule_set_id,
            quorum_met=verdict.quorum_met,
            passed=verdict.passed,
            findings=[f.__dict__ for f in verdict.findings],
            recorded_by=actor,
        )
        verdict_changes = {
            "meeting": meeting.pk,
            "step": spec.action,
            "quorum_met": verdict.quorum_met,
            "passed": verdict.passed,
            "rule_set": verdict.rule_set_name,
        }
        if verdict.advances:
            _set_status(decision, spec.target, actor, spec.action, **verdict_changes)
        elif verdict.quorum_met and spec.refusable:
            _set_status(decision, Status.REJECTED, actor, "rejected", **verdict_changes)
        else:
            # A failed quorum (or a failed vote at a step that cannot refuse) is kept and shown; nothing moves.
            audit.record(actor=actor, action="decision.meeting_failed", obj=decision, org=decision.village, changes=verdict_changes)
    return meeting


def _open_step(decision: Decision, action: str, on: date) -> Step:
    spec = step_named(decision, action, merge_allowed(decision, on))
    if spec is None or spec not in open_steps(decision, merge_allowed(decision, on)):
        raise ValidationError(f"事项当前为“{Status(decision.status).label}”，不能进行该步骤；请按程序逐步办理。")
    return spec


def meeting_override(*, actor: User, meeting: Meeting, reason: str) -> Meeting:
    """The town accepts a meeting whose verdict failed, with a reason; audited (issue #3)."""
    require(actor, "decision.review", meeting.decision.village)
    if len(reason.strip()) < 10:
        raise ValidationError({"reason": "请写明认定理由（不少于10个字）。"})
    with transaction.atomic():
        decision = _locked(meeting.decision)
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.advances:
            raise ValidationError("该次会议已有效，无需认定。")
        if decision.meetings.filter(pk__gt=meeting.pk).exists():
            raise ValidationError("只能认定该事项最近一次会议。")
        spec = step_named(decision, meeting.step, merge_allowed=True)
        if spec is None or decision.status != spec.source:
            raise ValidationError("事项状态已变化，不能再认定该次会议。")
        meeting.overridden_by = actor
        meeting.override_reason = reason.strip()
        meeting.save(update_fields=["overridden_by", "override_reason"])
        _set_status(decision, spec.target, actor, "override", meeting=meeting.pk, reason=meeting.override_reason)
    return meeting


# ---- town review and filing -------------------------------------------------------------------


def town_review(*, actor: User, decision: Decision, note: str = "") -> Decision:
    require(actor, "decision.review", decision.village)
    with transaction.atomic():
        decision = _locked(decision)
        if not decision.needs_town_review:
            raise ValidationError("该事项无须镇街预审。")
        if decision.town_reviewed_on is not None:
            raise ValidationError("该事项已通过预审。")
        if decision.status in (Status.CLOSED, Status.ARCHIVED):
            raise ValidationError("事项已办结，不能预审。")
        decision.town_reviewed_on, decision.town_reviewed_by, decision.town_review_note = timezone.localdate(), actor, note
        decision.save(update_fields=["town_reviewed_on", "town_reviewed_by", "town_review_note"])
        audit.record(actor=actor, action="decision.town_review", obj=decision, org=decision.village, changes={"note": note})
    return decision


def town_file(*, actor: User, decision: Decision) -> Decision:
    require(actor, "decision.review", decision.village)
    with transaction.atomic():
        decision = _locked(decision)
        if decision.filed_on is not None:
            raise ValidationError("该事项已备案。")
        if decision.status in (Status.DRAFT, Status.PROPOSED, Status.DELIBERATED, Status.PARTY_REVIEWED, Status.REJECTED, Status.CLOSED):
            raise ValidationError("事项形成决议后方可备案。")
        decision.filed_on = timezone.localdate()
        decision.save(update_fields=["filed_on"])
        audit.record(actor=actor, action="decision.file", obj=decision, org=decision.village, changes={"filed_on": decision.filed_on})
    return decision


# ---- notices, objections, progress -------------------------------------------------------------


def notice_hash(*, village_code: str, decision_id: int, kind: str, title: str, body: str, published_on: date, notice_days: int) -> str:
    content = [village_code, decision_id, kind, title, body, published_on.isoformat(), notice_days]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _new_code() -> str:
    # 8 characters without look-alikes (0/O, 1/I/L): easy to type from a printed notice.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        if not Notice.objects.filter(code=code).exists():
            return code


def open_objections(decision: Decision) -> int:
    return decision.objections.filter(answered_on__isnull=True).count()


def notice_publish(*, actor: User, decision: Decision, kind: str, title: str, body: str, published_on: date, notice_days: int) -> Notice:
    require(actor, "decision.change", decision.village)
    minimum = policy_for(decision.village).notice_min_days
    if notice_days < minimum:
        raise ValidationError({"notice_days": f"公开期不得少于 {minimum} 天。"})
    if not title.strip() or not body.strip():
        raise ValidationError({"body": "请填写公告标题和内容。"})
    move = MOVES["publish_resolution" if kind == NoticeKind.RESOLUTION else "publish_result"]
    with transaction.atomic():
        decision = _locked(decision)
        if decision.status not in move.sources:
            raise ValidationError(f"事项当前为“{Status(decision.status).label}”，不能{move.label}。")
        if kind == NoticeKind.RESULT:
            if open_objections(decision):
                raise ValidationError("监委会异议尚未答复，不能公开实施结果。")
            latest = decision.progress.order_by("-on", "-pk").first()
            if latest is None or latest.percent < 100:
                raise ValidationError("实施进度达到100%后方可公开实施结果。")
        digest = notice_hash(
            village_code=decision.village.code,
            decision_id=decision.pk,
            kind=kind,
            title=title.strip(),
            body=body,
            published_on=published_on,
            notice_days=notice_days,
        )
        notice = Notice.objects.create(
            decision=decision,
            kind=kind,
            code=_new_code(),
            title=title.strip(),
            body=body,
            published_on=published_on,
            notice_days=notice_days,
            content_hash=digest,
            published_by=actor,
        )
        _set_status(decision, move.target, actor, move.action, notice=notice.code, content_hash=digest, notice_days=notice_days)
    return notice


def decision_move(*, actor: User, decision: Decision, action: str, today: date | None = None) -> Decision:
    """start / archive / revise / close: the moves that need no meeting and no notice."""
    if action not in ("start", "archive", "revise", "close"):
        raise ValidationError("未知的操作。")
    require(actor, "decision.change", decision.village)
    today = today or timezone.localdate()
    move = MOVES[action]
    with transaction.atomic():
        decision = _locked(decision)
        if decision.status not in move.sources:
            raise ValidationError(f"事项当前为“{Status(decision.status).label}”，不能{move.label}。")
        if action in ("start", "archive"):
            if open_objections(decision):
                raise ValidationError("监委会异议尚未答复，请先答复。")
            kind = NoticeKind.RESOLUTION if action == "start" else NoticeKind.RESULT
            notice = decision.notices.get(kind=kind)
            if notice.on_notice(today):
                raise ValidationError(f"公开期至 {notice.ends_on} 届满，届满后方可{move.label}。")
        _set_status(decision, move.target, actor, action)
    return decision


def objection_raise(*, actor: User, decision: Decision, text: str, notice: Notice | None = None) -> Objection:
    require(actor, "decision.object", decision.village)
    if not text.strip():
        raise ValidationError({"text": "请填写异议内容。"})
    if notice is not None and notice.decision_id != decision.pk:
        raise ValidationError({"notice": "公告不属于该事项。"})
    today = timezone.localdate()
    with transaction.atomic():
        decision = _locked(decision)
        if decision.status in (Status.DRAFT, Status.CLOSED):
            raise ValidationError("草稿或已终止的事项不能提出异议。")
        objection = Objection.objects.create(
            decision=decision,
            notice=notice,
            text=text.strip(),
            raised_by=actor,
            raised_on=today,
            due_on=today + timedelta(days=policy_for(decision.village).objection_answer_days),
        )
        audit.record(
            actor=actor,
            action="decision.objection",
            obj=objection,
            org=decision.village,
            changes={"decision": decision.pk, "text": objection.text},
        )
    return objection


def objection_answer(*, actor: User, objection: Objection, answer: str) -> Objection:
    require(actor, "decision.change", objection.decision.village)
    if not answer.strip():
        raise ValidationError({"answer": "请填写答复内容。"})
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("decision__village").get(pk=objection.pk)
        if objection.answered_on is not None:
            raise ValidationError("该异议已答复。")
        objection.answer, objection.answered_by, objection.answered_on = answer.strip(), actor, timezone.localdate()
        objection.save(update_fields=["answer", "answered_by", "answered_on"])
        audit.record(
            actor=actor,
            action="decision.objection_answer",
            obj=objection,
            org=objection.decision.village,
            changes={"answer": objection.answer},
        )
    return objection


def progress_add(*, actor: User, decision: Decision, on: date, percent: int, text: str, photo: Any = None) -> Progress:
    require(actor, "decision.change", decision.village)
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": "完成进度应在 0 到 100 之间。"})
    if not text.strip():
        raise ValidationError({"text": "请填写进展情况。"})
    with transaction.atomic():
        decision = _locked(decision)
        if decision.status != Status.IMPLEMENTING:
            raise ValidationError("只有实施中的事项可以登记进展。")
        latest = decision.progress.order_by("-on", "-pk").first()
        if latest is not None and (on < latest.on or percent < latest.percent):
            raise ValidationError({"percent": f"进展须晚于并不低于上一次登记（{latest.on}，{latest.percent}%）。"})
        entry = Progress.objects.create(decision=decision, on=on, percent=percent, text=text.strip(), photo=photo or "", recorded_by=actor)
        audit.record(actor=actor, action="decision.progress", obj=entry, org=decision.village, changes={"percent": percent, "on": on})
    return entry
