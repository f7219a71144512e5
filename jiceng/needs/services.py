"""Writes of the needs loop (群众点单 → 社区下单 → 党员接单, domain.md §7.3; 微心愿 §7.4).

Each write is one transaction that locks the need row, checks the move against workflow.MOVES and
records an audit event. Claims never exceed a need's capacity: the need row is locked with
select_for_update and the places counted inside the same transaction, and a partial unique
constraint refuses the same claimer twice even if two requests race past the count.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from jiceng.accounts.access import can, user_grants
from jiceng.accounts.models import Role, User
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_phone
from jiceng.needs import access, otp, workflow
from jiceng.needs.models import (
    HOLDING,
    OPEN,
    Channel,
    Claim,
    ClaimStatus,
    ConfirmMode,
    MemberAccount,
    Need,
    NeedCategory,
    NeedKind,
    NeedPhoto,
    NeedStatus,
    PhotoKind,
)
from jiceng.orgs.models import GRASSROOTS_KINDS, Member, Organization, Pairing
from jiceng.orgs.selectors import district_paths

S = NeedStatus
CONSENT_VERSION = "2026-01"
SUBMIT_PURPOSE = "need.submit"
MAX_PHOTOS = 6
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def per_phone_hour() -> int:
    return _setting("NEEDS_PER_PHONE_HOUR", 3)


def per_phone_day() -> int:
    return _setting("NEEDS_PER_PHONE_DAY", 5)


def silence_days() -> int:
    return _setting("NEEDS_SILENCE_DAYS", 7)  # domain.md §7.3 step 7; no source gives a number [U]


def claim_days() -> int:
    return _setting("NEEDS_CLAIM_DAYS", 7)  # [U]


def require(actor: User, action: str, org: Organization | None) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权对该村（社区）进行此操作。")


def confirm_purpose(need: Need) -> str:
    return f"need.confirm:{need.pk}"


# ---- photos ------------------------------------------------------------------------------------

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}


def check_photo(upload: UploadedFile) -> None:
    """Images only, judged by their content (Pillow must parse them), within MAX_UPLOAD_MB."""
    name = upload.name or ""
    limit = settings.MAX_UPLOAD_MB
    if (upload.size or 0) > limit * 1024 * 1024:
        raise ValidationError({"photos": f"“{name}”超过 {limit} MB，请压缩后再上传。"})
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    finally:
        upload.seek(0)
    if kind not in IMAGE_FORMATS:
        raise ValidationError({"photos": f"“{name}”不是图片：只能上传 JPG、PNG 或 WEBP 照片。"})


def check_photos(photos: Sequence[UploadedFile]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"最多上传 {MAX_PHOTOS} 张照片。"})
    for photo in photos:
        check_photo(photo)


# ---- 点单: submitting a need -------------------------------------------------------------------


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


def normalize_tracking_code(typed: str) -> str:
    return "".join(ch for ch in (typed or "").upper() if ch in TRACKING_ALPHABET)[:10]


def phone_flooding(phone: str, now: datetime) -> str | None:
    """Why this phone may not file another need now, or None. Counted from the stored needs."""
    phone_hash = fieldcrypto.lookup_hash(phone)
    recent = Need.objects.filter(phone_hash=phone_hash, submitted_at__gte=now - timedelta(days=1))
    if recent.filter(submitted_at__gte=now - timedelta(hours=1)).count() >= per_phone_hour():
        return f"同一手机号每小时最多提交 {per_phone_hour()} 条需求，请稍后再试。"
    if recent.count() >= per_phone_day():
        return f"同一手机号每天最多提交 {per_phone_day()} 条需求，请明天再试。"
    return None


def send_submit_code(*, community: Organization, phone: str, now: datetime | None = None) -> None:
    phone = normalize_phone(phone)
    why = phone_flooding(phone, now or timezone.now())
    if why:
        raise ValidationError({"phone": why})
    otp.send_code(phone=phone, purpose=SUBMIT_PURPOSE, now=now)


@dataclass
class NeedInput:
    kind: str
    category: str
    title: str
    description: str
    requester_name: str
    phone: str
    consent: bool
    address: str = ""
    grid_id: int | None = None
    wanted_by: date | None = None


def _validate(community: Organization, data: NeedInput, today: date) -> str:
    if community.kind not in GRASSROOTS_KINDS or not community.is_active:
        raise ValidationError("需求须提交到村或社区。")
    if not data.consent:
        # PIPL art. 13 (1), art. 14: resident-facing processing rests on informed consent (domain.md §9.1).
        raise ValidationError({"consent": "请阅读并同意《个人信息处理告知》后再提交。"})
    if data.kind not in NeedKind.values:
        raise ValidationError({"kind": "请选择需求类型。"})
    if data.category not in NeedCategory.values:
        raise ValidationError({"category": "请选择需求类别。"})
    if not data.title.strip() or not data.description.strip():
        raise ValidationError({"description": "请填写需求标题和具体内容。"})
    if not data.requester_name.strip():
        raise ValidationError({"requester_name": "请填写姓名。"})
    if not data.address.strip() and data.grid_id is None:
        raise ValidationError({"address": "请填写地址或选择所在网格。"})
    if data.grid_id is not None and not community.grids.filter(pk=data.grid_id, is_active=True).exists():
        raise ValidationError({"grid": "请选择本村（社区）的网格。"})
    if data.wanted_by is not None and data.wanted_by < today:
        raise ValidationError({"wanted_by": "希望完成日期不能早于今天。"})
    return normalize_phone(data.phone)


def need_submit(
    *,
    community: Organization,
    data: NeedInput,
    code: str = "",
    actor: User | None = None,
    photos: Sequence[UploadedFile] = (),
    ip: str | None = None,
    now: datetime | None = None,
) -> Need:
    """A resident files a need (checked by a one-time code to their phone), or a grid worker or
    community staff member files it on the resident's behalf (actor given; no code)."""
    now = now or timezone.now()
    if actor is not None:
        require(actor, "need.submit_for", community)
    phone = _validate(community, data, timezone.localdate(now))
    check_photos(photos)
    if actor is None:
        why = phone_flooding(phone, now)
        if why:
            raise ValidationError({"phone": why})
        otp.check_code(phone=phone, purpose=SUBMIT_PURPOSE, code=code, now=now)  # outside the transaction: wrong tries count
        channel = Channel.ONLINE
    else:
        grid_worker = any(g.role == Role.GRID_WORKER for g in user_grants(actor)) and not can(actor, {Role.VILLAGE_STAFF}, community)
        channel = Channel.GRID_WORKER if grid_worker else Channel.STAFF
    with transaction.atomic():
        need = Need.objects.create(
            community=community,
            kind=data.kind,
            category=data.category,
            title=data.title.strip(),
            description=data.description.strip(),
            grid_id=data.grid_id,
            address=data.address.strip(),
            wanted_by=data.wanted_by,
            requester_name=data.requester_name.strip(),
            phone_encrypted=fieldcrypto.encrypt(phone),
            phone_hash=fieldcrypto.lookup_hash(phone),
            phone_masked=fieldcrypto.mask_phone(phone),
            consent_at=now,
            consent_version=CONSENT_VERSION,
            channel=channel,
            submitted_by=actor,
            submitted_ip=ip,
            submitted_at=now,
            tracking_code=new_tracking_code(),
        )
        for photo in photos:
            NeedPhoto.objects.create(need=need, kind=PhotoKind.REQUEST, file=photo)
        workflow.record(
            need,
            "need.submit",
            actor=actor,
            kind=need.kind,
            category=need.category,
            channel=channel,
            phone=need.phone_masked,
            photos=len(photos),
            consent=CONSENT_VERSION,
        )
    return need


# ---- 审核 / 建单 / 派单: the community vets ------------------------------------------------------


def _locked(need: Need) -> Need:
    return Need.objects.select_for_update().select_related("community").get(pk=need.pk)


def _vetted(need: Need, actor: User, now: datetime) -> tuple[str, ...]:
    if need.vetted_at is None:
        need.vetted_at = now
        need.vetted_by = actor
        return ("vetted_at", "vetted_by")
    return ()


def need_reject(*, actor: User, need: Need, reason: str, now: datetime | None = None) -> Need:
    require(actor, "need.vet", need.community)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写不予受理的理由，群众可在查询页看到。"})
    now = now or timezone.now()
    with transaction.atomic():
        need = _locked(need)
        _refuse_with_holding_claims(need)
        need.reject_reason = reason
        fields = _vetted(need, actor, now)
        workflow.transition(need, "reject", actor=actor, fields=("reject_reason", *fields), reason=reason)
    return need


def need_merge(*, actor: User, need: Need, into: Need, now: datetime | None = None) -> Need:
    """Mark `need` a duplicate of `into`; the resident's tracking page points to the kept need."""
    require(actor, "need.vet", need.community)
    if into.pk == need.pk:
        raise ValidationError({"into": "不能与自身合并。"})
    if into.community_id != need.community_id:
        raise ValidationError({"into": "只能合并本村（社区）的需求。"})
    if into.status in (S.REJECTED, S.MERGED, S.CLOSED):
        raise ValidationError({"into": "保留的需求已不予受理、已合并或已关闭，请选择其他需求。"})
    now = now or timezone.now()
    with transaction.atomic():
        need = _locked(need)
        need.merged_into = into
        fields = _vetted(need, actor, now)
        workflow.transition(need, "merge", actor=actor, fields=("merged_into", *fields), into=into.pk)
    return need


def need_list(
    *,
    actor: User,
    need: Need,
    capacity: int,
    claim_deadline: date,
    points: int,
    public_title: str = "",
    public_description: str = "",
    now: datetime | None = None,
) -> Need:
    """Publish a vetted need on the community's needs board (居民需求清单)."""
    require(actor, "need.vet", need.community)
    now = now or timezone.now()
    if not 1 <= capacity <= 50:
        raise ValidationError({"capacity": "所需人数应在 1 至 50 人之间。"})
    if claim_deadline < timezone.localdate(now):
        raise ValidationError({"claim_deadline": "认领截止日期不能早于今天。"})
    if not 0 <= points <= 100:
        raise ValidationError({"points": "积分应在 0 至 100 之间。"})
    with transaction.atomic():
        need = _locked(need)
        _refuse_with_holding_claims(need)
        need.capacity = capacity
        need.claim_deadline = claim_deadline
        need.points = points
        # The public board never shows the resident's own words unless the community chose them.
        need.public_title = (public_title or need.title).strip()[:60]
        need.public_description = (public_description or need.description).strip()
        need.listed_at = now
        need.dispatched = False
        fields: tuple[str, ...] = ("capacity", "claim_deadline", "points", "public_title", "public_description", "listed_at", "dispatched")
        fields += _vetted(need, actor, now)
        workflow.transition(need, "list", actor=actor, fields=fields, capacity=capacity, deadline=claim_deadline, points=points)
    return need


def paired_units(community: Organization, on: date) -> list[Organization]:
    pairings = Pairing.objects.filter(community=community, agreement_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
    return list(Organization.objects.filter(pk__in=pairings.values("unit_id")).order_by("name"))


def members_for_dispatch(community: Organization) -> list[Member]:
    """Members of the community's own party organizations and members living there."""
    qs = Member.objects.filter(Q(branch__path__startswith=community.path) | Q(residence_community=community))
    return list(qs.select_related("person").order_by("person__name"))


def need_dispatch(
    *,
    actor: User,
    need: Need,
    unit: Organization | None = None,
    member: Member | None = None,
    due_on: date | None = None,
    points: int = 0,
    now: datetime | None = None,
) -> Claim:
    """派单: give the need to a paired unit or a named member directly (one place)."""
    require(actor, "need.vet", need.community)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if (unit is None) == (member is None):
        raise ValidationError("请选择一个结对单位或一名党员。")
    if unit is not None and unit.pk not in {u.pk for u in paired_units(need.community, today)}:
        raise ValidationError({"unit": "只能派给与本村（社区）结对共建的单位。"})
    if member is not None and member.pk not in {m.pk for m in members_for_dispatch(need.community)}:
        raise ValidationError({"member": "只能派给本村（社区）的党员或在本社区报到的党员。"})
    due_on = due_on or today + timedelta(days=claim_days())
    if due_on < today:
        raise ValidationError({"due_on": "履约期限不能早于今天。"})
    if not 0 <= points <= 100:
        raise ValidationError({"points": "积分应在 0 至 100 之间。"})
    with transaction.atomic():
        need = _locked(need)
        _refuse_with_holding_claims(need)
        need.capacity = 1
        need.points = points
        need.dispatched = True
        need.first_claimed_at = need.first_claimed_at or now
        need.public_title = need.public_title or need.title
        fields = ("capacity", "points", "dispatched", "first_claimed_at", "public_title", *_vetted(need, actor, now))
        claim = Claim.objects.create(need=need, member=member, unit=unit, dispatched_by=actor, claimed_at=now, due_on=due_on)
        workflow.transition(
            need,
            "dispatch",
            actor=actor,
            fields=fields,
            unit=unit.pk if unit else None,
            member=member.pk if member else None,
            claim=claim.pk,
        )
    return claim


def need_close(*, actor: User, need: Need, reason: str) -> Need:
    require(actor, "need.vet", need.community)
    if not reason.strip():
        raise ValidationError({"reason": "请填写关闭原因。"})
    with transaction.atomic():
        need = _locked(need)
        _refuse_with_holding_claims(need)
        need.closed_reason = reason.strip()
        workflow.transition(need, "close", actor=actor, fields=("closed_reason",), reason=need.closed_reason)
    return need


def _refuse_with_holding_claims(need: Need) -> None:
    if need.claims.filter(status__in=HOLDING).exists():
        raise ValidationError("该需求已有人认领，不能再审核；请先等认领撤回或到期释放。")


# ---- 接单: claims ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimer:
    member: Member | None = None
    unit: Organization | None = None

    @property
    def label(self) -> str:
        return self.member.person.name if self.member else (self.unit.name if self.unit else "")


def claimers_of(actor: User) -> list[Claimer]:
    """Who the user may claim as: themself as a party member (through MemberAccount), and each unit
    they are the liaison of."""
    found: list[Claimer] = []
    grants = user_grants(actor)
    if any(g.role == Role.PARTY_MEMBER for g in grants):
        link = MemberAccount.objects.filter(user=actor).select_related("member__person").first()
        if link is not None:
            found.append(Claimer(member=link.member))
    found += [Claimer(unit=g.organization) for g in grants if g.role == Role.UNIT_LIAISON]
    return found


def _same_district(a: Organization, b: Organization) -> bool:
    districts = district_paths([a.path, b.path])
    return districts[a.path] is not None and districts[a.path] == districts[b.path]


def _claimer_grant_ok(actor: User, need: Need, claimer: Claimer) -> bool:
    """Members and liaisons claim on the district's public board: their grant must be in the same
    district as the need (in-service members serve where they live, not where their branch is)."""
    role = Role.PARTY_MEMBER if claimer.member else Role.UNIT_LIAISON
    return any(g.role == role and _same_district(g.organization, need.community) for g in user_grants(actor))


def need_claim(*, actor: User, need: Need, unit: Organization | None = None, now: datetime | None = None) -> Claim:
    """Take one place on a listed need, as oneself (party member) or for one's unit (liaison)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    options = claimers_of(actor)
    if unit is not None:
        claimer = next((c for c in options if c.unit and c.unit.pk == unit.pk), None)
    else:
        claimer = next((c for c in options if c.member), None) or (options[0] if len(options) == 1 else None)
    if claimer is None:
        if not can(actor, access.roles("need.claim"), None):
            raise PermissionDenied("只有党员和单位联络员可以认领需求。")
        raise ValidationError("您的账号尚未关联党员信息，请联系所在社区工作人员。")
    if not _claimer_grant_ok(actor, need, claimer):
        raise PermissionDenied("只能认领本区的需求。")
    try:
        with transaction.atomic():
            need = _locked(need)
            if need.status not in (S.LISTED, S.CLAIMED):
                raise ValidationError(f"该需求当前为“{need.get_status_display()}”，不能认领。")
            if need.claim_deadline is not None and need.claim_deadline < today:
                raise ValidationError("该需求已过认领截止日期。")
            holding = list(need.claims.filter(status__in=HOLDING).values_list("member_id", "unit_id"))
            mine = (claimer.member.pk if claimer.member else None, claimer.unit.pk if claimer.unit else None)
            if mine in holding:
                raise ValidationError("您已认领该需求。")
            if len(holding) >= need.capacity:
                raise ValidationError(f"名额已满：该需求只需 {need.capacity} 人，已被认领完。")
            due_on = need.wanted_by if need.wanted_by and need.wanted_by >= today else today + timedelta(days=claim_days())
            claim = Claim.objects.create(need=need, member=claimer.member, unit=claimer.unit, user=actor, claimed_at=now, due_on=due_on)
            if need.first_claimed_at is None:
                need.first_claimed_at = now
                need.save(update_fields=["first_claimed_at"])
            workflow.record(
                need, "need.claim", actor=actor, claim=claim.pk, claimer=claimer.label, place=f"{len(holding) + 1}/{need.capacity}"
            )
            settle(need, actor=actor, now=now)
    except IntegrityError as exc:  # the partial unique constraint: the same claimer racing itself
        raise ValidationError("您已认领该需求。") from exc
    return claim


def settle(need: Need, *, actor: User | None, now: datetime) -> None:
    """Recompute a claimed-phase need's status from its claims (need row locked by the caller)."""
    if need.status not in workflow.CLAIM_PHASE:
        return
    counts = {s: 0 for s in ClaimStatus.values}
    for status in need.claims.values_list("status", flat=True):
        counts[status] += 1
    holding = sum(counts[s] for s in HOLDING)
    open_ = sum(counts[s] for s in OPEN)
    if counts[ClaimStatus.FULFILLED] and not open_:
        new = S.DELIVERED  # every claimer has served; any places still open leave the board
    elif holding >= need.capacity:
        new = S.CLAIMED
    elif need.dispatched:
        new = S.SUBMITTED  # a dispatched need whose claim lapsed goes back to the community's queue
    else:
        new = S.LISTED
    if new == need.status:
        return
    old = need.status
    need.status = new
    fields = ["status"]
    if new == S.DELIVERED:
        need.delivered_at = now
        fields.append("delivered_at")
    need.save(update_fields=fields)
    workflow.record(need, "need.settle", actor=actor, status=[old, new])


def _may_act_for(actor: User, claim: Claim) -> bool:
    """The claimer: the member's own account, or any liaison of the claiming unit."""
    if claim.member_id is not None:
        return MemberAccount.objects.filter(user=actor, member_id=claim.member_id).exists() and any(
            g.role == Role.PARTY_MEMBER for g in user_grants(actor)
        )
    return any(g.role == Role.UNIT_LIAISON and g.organization_id == claim.unit_id for g in user_grants(actor))


def _locked_claim(actor: User, claim: Claim) -> tuple[Claim, Need]:
    if not _may_act_for(actor, claim):
        raise PermissionDenied("这不是您的认领。")
    need = _locked(claim.need)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    return claim, need


def claim_start(*, actor: User, claim: Claim, now: datetime | None = None) -> Claim:
    now = now or timezone.now()
    with transaction.atomic():
        claim, need = _locked_claim(actor, claim)
        if claim.status != ClaimStatus.ACTIVE:
            raise ValidationError(f"该认领当前为“{claim.get_status_display()}”，不能开始服务。")
        claim.status = ClaimStatus.STARTED
        claim.started_at = now
        claim.save(update_fields=["status", "started_at"])
        workflow.record(need, "need.claim_start", actor=actor, claim=claim.pk)
    return claim


def claim_withdraw(*, actor: User, claim: Claim, now: datetime | None = None) -> Claim:
    """A claimer may step back before the service starts; the place returns to the board."""
    now = now or timezone.now()
    with transaction.atomic():
        claim, need = _locked_claim(actor, claim)
        if claim.status != ClaimStatus.ACTIVE:
            raise ValidationError("只能撤回尚未开始服务的认领。")
        claim.status = ClaimStatus.WITHDRAWN
        claim.ended_at = now
        claim.save(update_fields=["status", "ended_at"])
        workflow.record(need, "need.claim_withdraw", actor=actor, claim=claim.pk)
        settle(need, actor=actor, now=now)
    return claim


def release_expired_claims(*, now: datetime | None = None) -> int:
    """Release every unfulfilled claim past its due date; the needs return to the board."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    released = 0
    need_ids = list(Claim.objects.filter(status__in=OPEN, due_on__lt=today).values_list("need_id", flat=True).distinct())
    for need_id in need_ids:
        with transaction.atomic():
            need = Need.objects.select_for_update().select_related("community").get(pk=need_id)
            for claim in Claim.objects.select_for_update().filter(need=need, status__in=OPEN, due_on__lt=today):
                claim.status = ClaimStatus.RELEASED
                claim.ended_at = now
                claim.save(update_fields=["status", "ended_at"])
                workflow.record(need, "need.claim_release", actor=None, claim=claim.pk, due_on=claim.due_on)
                released += 1
            settle(need, actor=None, now=now)
    return released


# ---- 履约: fulfilment --------------------------------------------------------------------------


def claim_fulfil(
    *,
    actor: User,
    claim: Claim,
    fulfilled_on: date,
    hours: Decimal,
    note: str,
    photos: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Claim:
    now = now or timezone.now()
    if fulfilled_on > timezone.localdate(now):
        raise ValidationError({"fulfilled_on": "服务日期不能晚于今天。"})
    if fulfilled_on < timezone.localdate(claim.claimed_at):
        raise ValidationError({"fulfilled_on": "服务日期不能早于认领日期。"})
    if not Decimal("0") < hours <= Decimal("24"):
        raise ValidationError({"hours": "服务时长应大于 0 且不超过 24 小时。"})
    if not note.strip():
        raise ValidationError({"note": "请简要填写服务情况。"})
    check_photos(photos)
    with transaction.atomic():
        claim, need = _locked_claim(actor, claim)
        if claim.status not in OPEN:
            raise ValidationError(f"该认领当前为“{claim.get_status_display()}”，不能登记履约。")
        claim.status = ClaimStatus.FULFILLED
        claim.fulfilled_on = fulfilled_on
        claim.hours = hours
        claim.fulfil_note = note.strip()
        claim.fulfilled_at = now
        claim.user = claim.user or actor
        claim.save(update_fields=["status", "fulfilled_on", "hours", "fulfil_note", "fulfilled_at", "user"])
        for photo in photos:
            NeedPhoto.objects.create(need=need, claim=claim, kind=PhotoKind.EVIDENCE, file=photo)
        workflow.record(need, "need.fulfil", actor=actor, claim=claim.pk, on=fulfilled_on, hours=hours, photos=len(photos))
        settle(need, actor=actor, now=now)
    return claim


# ---- 评价: the resident confirms or disputes -------------------------------------------------------


def find_by_tracking_code(code: str) -> Need | None:
    code = normalize_tracking_code(code)
    if len(code) != 10:
        return None
    return Need.objects.select_related("community", "merged_into").filter(tracking_code=code).first()


def send_confirm_code(*, need: Need, now: datetime | None = None) -> None:
    if need.status != S.DELIVERED:
        raise ValidationError("该需求当前不需要评价。")
    otp.send_code(phone=fieldcrypto.decrypt(need.phone_encrypted), purpose=confirm_purpose(need), now=now)


def _check_resident(need: Need, code: str, now: datetime) -> None:
    if need.status != S.DELIVERED:
        raise ValidationError("该需求当前不需要评价。")
    otp.check_code(phone=fieldcrypto.decrypt(need.phone_encrypted), purpose=confirm_purpose(need), code=code, now=now)


def need_confirm(*, need: Need, code: str, rating: int, comment: str = "", now: datetime | None = None) -> Need:
    """The resident confirms the service and rates it (1-5); points are credited now."""
    now = now or timezone.now()
    if rating not in range(1, 6):
        raise ValidationError({"rating": "请选择 1 至 5 星的满意度评分。"})
    _check_resident(need, code, now)
    with transaction.atomic():
        need = _locked(need)
        need.rating = rating
        need.resident_comment = comment.strip()[:300]
        need.confirmed_at = now
        need.confirm_mode = ConfirmMode.RESIDENT
        fields = ("rating", "resident_comment", "confirmed_at", "confirm_mode")
        workflow.transition(need, "confirm", actor=None, fields=fields, rating=rating, by="resident")
        _credit(need, now)
    return need


def need_dispute(*, need: Need, code: str, reason: str, now: datetime | None = None) -> Need:
    """The resident says the service was not done; the need goes back to the community, no points."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": "请说明哪里不满意，社区会重新处理。"})
    _check_resident(need, code, now)
    with transaction.atomic():
        need = _locked(need)
        need.dispute_reason = reason.strip()[:300]
        need.disputed_at = now
        for claim in Claim.objects.select_for_update().filter(need=need, status=ClaimStatus.FULFILLED):
            claim.status = ClaimStatus.DISPUTED
            claim.save(update_fields=["status"])
        workflow.transition(need, "dispute", actor=None, fields=("dispute_reason", "disputed_at"), reason=need.dispute_reason)
    return need


def confirm_silent_needs(*, now: datetime | None = None) -> int:
    """Confirm needs the resident has not rated within the silence period (marked as such)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=silence_days())
    done = 0
    for need_id in Need.objects.filter(status=S.DELIVERED, delivered_at__lte=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            need = Need.objects.select_for_update().select_related("community").get(pk=need_id)
            if need.status != S.DELIVERED:
                continue
            need.confirmed_at = now
            need.confirm_mode = ConfirmMode.SILENCE
            workflow.transition(need, "confirm_silent", actor=None, fields=("confirmed_at", "confirm_mode"), by="silence")
            _credit(need, now)
            done += 1
    return done


def _credit(need: Need, now: datetime) -> None:
    """Credit points and service hours to each member who fulfilled the need (domain.md §7.2).

    Units earn no member points; their service shows in the statistics and the claims list."""
    from jiceng.needs import points  # the ledger of the other half of issue 4

    silent = need.confirm_mode == ConfirmMode.SILENCE
    rule = points.WISH_DONE if need.is_wish else points.NEED_DONE
    for claim in Claim.objects.select_for_update().filter(need=need, status=ClaimStatus.FULFILLED, credited_at__isnull=True):
        if claim.member_id is not None and claim.member is not None:
            note = f"{need.display_title}（{'逾期未评价，系统确认' if silent else f'群众评价 {need.rating} 星'}）"
            points.credit(
                member=claim.member,
                rule_code=rule,
                # The points the community set when listing; 0 lets the district's rule decide.
                points=need.points or None,
                hours=claim.hours or 0,
                source=claim,
                note=note,
                on=timezone.localdate(now),
                auto_confirmed=silent,
                community=need.community,
            )
        claim.credited_at = now
        claim.save(update_fields=["credited_at"])


def staff_claimers(actor: User, need: Need) -> dict[str, Any]:
    """Choices for the dispatch form."""
    today = timezone.localdate()
    return {"units": paired_units(need.community, today), "members": members_for_dispatch(need.community)}
