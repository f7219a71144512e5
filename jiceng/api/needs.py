"""/api/v1/needs, /claims and /public/needs: the needs loop (群众点单 → 社区下单 → 党员接单, domain.md §7.3).

Writes go through jiceng.needs.services like the pages. Staff reads are scoped by community; a need
outside the caller's scope is a 404. The public endpoints need no account: submitting is checked by
a one-time code to the resident's phone, and tracking by the tracking code (plus a code to the
phone for confirming or disputing). They are throttled per client address and show no personal
data beyond the masked phone. The 双报到 / points / micro-project endpoints live in their own router.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, paginate
from jiceng.api.schemas import Input, PageQuery
from jiceng.lib import throttle
from jiceng.lib.listing import label
from jiceng.needs import access, selectors, services
from jiceng.needs.models import Claim, ClaimStatus, Need, NeedCategory, NeedKind, NeedStatus
from jiceng.orgs.models import Member, Organization

router = Router(tags=["群众需求"])
VIEW = access.roles("need.view")
PUBLIC_ERRORS = {400: dict, 404: dict, 429: dict}
PUBLIC_POSTS_PER_MINUTE = 10


# ---- schemas ---------------------------------------------------------------------------------


class ClaimOut(Schema):
    id: int
    need: int = Field(..., alias="need_id")
    member: int | None = Field(None, alias="member_id")
    unit: int | None = Field(None, alias="unit_id")
    claimer_name: str
    status: ClaimStatus
    claimed_at: datetime
    due_on: date
    fulfilled_on: date | None
    hours: Decimal | None
    credited: bool

    @staticmethod
    def resolve_credited(obj: Claim) -> bool:
        return obj.credited_at is not None


class NeedOut(Schema):
    id: int
    community: int = Field(..., alias="community_id")
    community_name: str
    kind: NeedKind
    category: NeedCategory
    title: str
    description: str
    requester_name: str
    phone_masked: str
    address: str
    grid: int | None = Field(None, alias="grid_id")
    wanted_by: date | None
    channel: str
    status: NeedStatus
    status_label: str
    tracking_code: str
    submitted_at: datetime
    reject_reason: str
    merged_into: int | None = Field(None, alias="merged_into_id")
    capacity: int
    claim_deadline: date | None
    points: int
    rating: int | None
    confirm_mode: str

    @staticmethod
    def resolve_community_name(obj: Need) -> str:
        return obj.community.name

    @staticmethod
    def resolve_status_label(obj: Need) -> str:
        return label(NeedStatus, obj.status)


class NeedDetailOut(NeedOut):
    claims: list[ClaimOut]

    @staticmethod
    def resolve_claims(obj: Need) -> list[Claim]:
        return list(obj.claims.all())


class NeedPage(Schema):
    items: list[NeedOut]
    count: int
    page: int
    page_size: int


class NeedQuery(PageQuery):
    status: NeedStatus | None = None
    community: int | None = None


class BoardItemOut(Schema):
    id: int
    kind: NeedKind
    category: NeedCategory
    title: str = Field(..., alias="public_title")
    description: str = Field(..., alias="public_description")
    capacity: int
    taken: int
    claim_deadline: date | None
    points: int


class RejectIn(Input):
    reason: str


class MergeIn(Input):
    into: int = Field(..., description="保留的需求 id")


class ListIn(Input):
    capacity: int = Field(1, ge=1, le=50)
    claim_deadline: date
    points: int = Field(2, ge=0, le=100)
    public_title: str = ""
    public_description: str = ""


class DispatchIn(Input):
    unit: int | None = Field(None, description="结对单位 id")
    member: int | None = Field(None, description="党员 id")
    due_on: date | None = None
    points: int = Field(2, ge=0, le=100)


class ClaimIn(Input):
    unit: int | None = Field(None, description="以所联络的单位认领时填写单位 id")


class FulfilIn(Input):
    fulfilled_on: date
    hours: Decimal = Field(..., gt=0, le=24)
    note: str


class PhoneIn(Input):
    phone: str


class SubmitIn(Input):
    requester_name: str
    phone: str
    code: str = Field(..., description="发送到该手机号的 6 位验证码")
    kind: NeedKind = NeedKind.SERVICE
    category: NeedCategory
    title: str
    description: str
    address: str = ""
    grid: int | None = None
    wanted_by: date | None = None
    consent: bool = Field(..., description="同意《个人信息处理告知》（个人信息保护法第十三条）")


class TrackOut(Schema):
    tracking_code: str
    community_name: str
    title: str
    status: NeedStatus
    status_label: str
    phone_masked: str
    reject_reason: str
    capacity: int
    taken: int
    rating: int | None
    confirm_mode: str


class CodeIn(Input):
    code: str


class ConfirmIn(Input):
    code: str
    rating: int = Field(..., ge=1, le=5)
    comment: str = ""


class DisputeIn(Input):
    code: str
    reason: str


class OkOut(Schema):
    ok: bool = True
    message: str = ""


# ---- look-ups ----------------------------------------------------------------------------------


def _need_for(request: HttpRequest, pk: int) -> Need:
    return selectors.get_need_for_user(current_user(request), pk)


def _throttle(request: HttpRequest, scope: str, limit: int) -> None:
    if not throttle.allow(request, scope, limit):
        raise HttpError(429, "请求过于频繁，请稍后再试。")


# ---- staff -------------------------------------------------------------------------------------


@router.get(
    "/needs",
    response={200: NeedPage, **LIST_ERRORS},
    summary="群众需求列表",
    description="本人管辖范围内的需求；可按状态、村（社区）筛选。",
)
def list_needs(request: HttpRequest, filters: Query[NeedQuery]) -> dict[str, object]:
    qs = selectors.needs_for_user(current_user(request)).order_by("-submitted_at", "-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.community is not None:
        qs = qs.filter(community_id=filters.community)
    return paginate(qs, filters, keys_qs=qs)


@router.get("/needs/{need_id}", response={200: NeedDetailOut, **DETAIL_ERRORS}, summary="需求详情")
def get_need(request: HttpRequest, need_id: int) -> Need:
    return _need_for(request, need_id)


@router.post("/needs/{need_id}/reject", response={200: NeedOut, **WRITE_ERRORS}, summary="不予受理（理由群众可见）")
def reject_need(request: HttpRequest, need_id: int, payload: RejectIn) -> Need:
    return services.need_reject(actor=current_user(request), need=_need_for(request, need_id), reason=payload.reason)


@router.post("/needs/{need_id}/merge", response={200: NeedOut, **WRITE_ERRORS}, summary="合并重复需求")
def merge_need(request: HttpRequest, need_id: int, payload: MergeIn) -> Need:
    user = current_user(request)
    return services.need_merge(actor=user, need=_need_for(request, need_id), into=_need_for(request, payload.into))


@router.post(
    "/needs/{need_id}/list",
    response={200: NeedOut, **WRITE_ERRORS},
    summary="发布到需求清单",
    description="设定所需人数、认领截止日期和积分。",
)
def list_need(request: HttpRequest, need_id: int, payload: ListIn) -> Need:
    return services.need_list(actor=current_user(request), need=_need_for(request, need_id), **payload.model_dump())


@router.post("/needs/{need_id}/dispatch", response={201: ClaimOut, **WRITE_ERRORS}, summary="派单给结对单位或党员")
def dispatch_need(request: HttpRequest, need_id: int, payload: DispatchIn) -> Status[Claim]:
    user = current_user(request)
    need = _need_for(request, need_id)
    unit = Organization.objects.filter(pk=payload.unit).first() if payload.unit is not None else None
    member = Member.objects.filter(pk=payload.member).first() if payload.member is not None else None
    if (payload.unit is not None and unit is None) or (payload.member is not None and member is None):
        raise Http404
    claim = services.need_dispatch(actor=user, need=need, unit=unit, member=member, due_on=payload.due_on, points=payload.points)
    return Status(201, claim)


# ---- members and unit liaisons -------------------------------------------------------------------


@router.get("/needs-claimable", response={200: list[BoardItemOut], **LIST_ERRORS}, summary="可认领的需求（本区）")
def claimable(request: HttpRequest) -> list[Need]:
    return list(selectors.claimable(current_user(request), timezone.localdate())[:200])


@router.post(
    "/needs/{need_id}/claim",
    response={201: ClaimOut, **WRITE_ERRORS},
    summary="认领",
    description="名额已满、已过截止日期或需求不在清单上时返回 400。",
)
def claim_need(request: HttpRequest, need_id: int, payload: ClaimIn) -> Status[Claim]:
    user = current_user(request)
    need = selectors.public_need(need_id)
    if need is None:
        raise Http404
    unit = None
    if payload.unit is not None:
        unit = next((c.unit for c in services.claimers_of(user) if c.unit and c.unit.pk == payload.unit), None)
        if unit is None:
            raise Http404
    return Status(201, services.need_claim(actor=user, need=need, unit=unit))


def _my_claim(request: HttpRequest, claim_id: int) -> Claim:
    found = selectors.my_claims(current_user(request)).filter(pk=claim_id).first()
    if found is None:
        raise Http404
    return found


@router.get("/claims/mine", response={200: list[ClaimOut], **LIST_ERRORS}, summary="我的认领")
def my_claims(request: HttpRequest) -> list[Claim]:
    return list(selectors.my_claims(current_user(request))[:200])


@router.get("/claims/{claim_id}", response={200: ClaimOut, **DETAIL_ERRORS}, summary="认领详情")
def get_claim(request: HttpRequest, claim_id: int) -> Claim:
    return selectors.claim_for_user(current_user(request), claim_id)


@router.post("/claims/{claim_id}/withdraw", response={200: ClaimOut, **WRITE_ERRORS}, summary="撤回认领（开始服务前）")
def withdraw_claim(request: HttpRequest, claim_id: int) -> Claim:
    return services.claim_withdraw(actor=current_user(request), claim=_my_claim(request, claim_id))


@router.post("/claims/{claim_id}/fulfil", response={200: ClaimOut, **WRITE_ERRORS}, summary="登记履约", description="照片请在页面上传。")
def fulfil_claim(request: HttpRequest, claim_id: int, payload: FulfilIn) -> Claim:
    return services.claim_fulfil(
        actor=current_user(request),
        claim=_my_claim(request, claim_id),
        fulfilled_on=payload.fulfilled_on,
        hours=payload.hours,
        note=payload.note,
    )


# ---- public: no account ----------------------------------------------------------------------------


def _community(code: str) -> Organization:
    community = selectors.public_community(code)
    if community is None:
        raise Http404
    return community


@router.get("/public/needs/{community_code}/board", auth=None, response={200: list[BoardItemOut], 404: dict}, summary="公开需求清单")
def public_board(request: HttpRequest, community_code: str) -> list[Need]:
    found = selectors.board(_community(community_code), timezone.localdate())
    return found.needs + found.wishes


@router.post("/public/needs/{community_code}/code", auth=None, response={200: OkOut, **PUBLIC_ERRORS}, summary="发送点单验证码")
def public_send_code(request: HttpRequest, community_code: str, payload: PhoneIn) -> OkOut:
    _throttle(request, "need-form", PUBLIC_POSTS_PER_MINUTE)
    services.send_submit_code(community=_community(community_code), phone=payload.phone)
    return OkOut(message="验证码已发送，5 分钟内有效。")


@router.post(
    "/public/needs/{community_code}",
    auth=None,
    response={201: TrackOut, **PUBLIC_ERRORS},
    summary="群众点单",
    description="照片请在页面上传。",
)
def public_submit(request: HttpRequest, community_code: str, payload: SubmitIn) -> Status[dict[str, object]]:
    _throttle(request, "need-form", PUBLIC_POSTS_PER_MINUTE)
    data = services.NeedInput(
        kind=payload.kind,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        requester_name=payload.requester_name,
        phone=payload.phone,
        consent=payload.consent,
        address=payload.address,
        grid_id=payload.grid,
        wanted_by=payload.wanted_by,
    )
    need = services.need_submit(community=_community(community_code), data=data, code=payload.code, ip=throttle.client_address(request))
    return Status(201, _track(need))


def _tracked(request: HttpRequest, code: str) -> Need:
    _throttle(request, "need-track", 30)
    need = services.find_by_tracking_code(code)
    if need is None:
        raise Http404
    return need


def _track(need: Need) -> dict[str, object]:
    return {
        "tracking_code": need.tracking_code,
        "community_name": need.community.name,
        "title": need.title,
        "status": need.status,
        "status_label": need.get_status_display(),
        "phone_masked": need.phone_masked,
        "reject_reason": need.reject_reason,
        "capacity": need.capacity,
        "taken": need.claims.filter(status__in=("active", "started", "fulfilled")).count(),
        "rating": need.rating,
        "confirm_mode": need.confirm_mode,
    }


@router.get("/public/needs/track/{code}", auth=None, response={200: TrackOut, **PUBLIC_ERRORS}, summary="凭查询码查询进度")
def public_track(request: HttpRequest, code: str) -> dict[str, object]:
    return _track(_tracked(request, code))


@router.post("/public/needs/track/{code}/code", auth=None, response={200: OkOut, **PUBLIC_ERRORS}, summary="发送评价验证码")
def public_track_code(request: HttpRequest, code: str) -> OkOut:
    need = _tracked(request, code)
    _throttle(request, "need-form", PUBLIC_POSTS_PER_MINUTE)
    services.send_confirm_code(need=need)
    return OkOut(message=f"验证码已发送到 {need.phone_masked}")


@router.post("/public/needs/track/{code}/confirm", auth=None, response={200: TrackOut, **PUBLIC_ERRORS}, summary="确认完成并评价")
def public_confirm(request: HttpRequest, code: str, payload: ConfirmIn) -> dict[str, object]:
    need = _tracked(request, code)
    _throttle(request, "need-form", PUBLIC_POSTS_PER_MINUTE)
    return _track(services.need_confirm(need=need, code=payload.code, rating=payload.rating, comment=payload.comment))


@router.post("/public/needs/track/{code}/dispute", auth=None, response={200: TrackOut, **PUBLIC_ERRORS}, summary="提出异议")
def public_dispute(request: HttpRequest, code: str, payload: DisputeIn) -> dict[str, object]:
    need = _tracked(request, code)
    _throttle(request, "need-form", PUBLIC_POSTS_PER_MINUTE)
    return _track(services.need_dispute(need=need, code=payload.code, reason=payload.reason))
