"""/api/v1/members: party members and the development pipeline (发展党员)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from jiceng.accounts.access import get_for_user, scope
from jiceng.accounts.models import User
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, optional_org_for, org_for, paginate, patch_changes, person_for
from jiceng.api.schemas import MemberIn, MemberOut, MemberPage, MemberPatch, MemberQuery
from jiceng.orgs import services
from jiceng.orgs.access import roles
from jiceng.orgs.models import STAGE_DATE_FIELD, Member

router = Router(tags=["党员"])
DATE_FIELDS = tuple(STAGE_DATE_FIELD.values())


def _members() -> QuerySet[Member]:
    return Member.objects.select_related("person", "branch")


def _member_for(user: User, member_id: int) -> Member:
    return get_for_user(_members(), user, roles("member.view"), "branch__path", pk=member_id)


@router.get("", response={200: MemberPage, **LIST_ERRORS}, summary="党员列表", description="含入党申请人至正式党员各阶段。")
def list_members(request: HttpRequest, filters: Query[MemberQuery]) -> dict[str, object]:
    qs = scope(_members(), current_user(request), roles("member.view"), "branch__path")
    qs = qs.order_by("branch__path", "person__name_initials", "pk")
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.branch is not None:
        qs = qs.filter(branch_id=filters.branch)
    return paginate(qs, filters)


@router.get("/{int:member_id}", response={200: MemberOut, **DETAIL_ERRORS}, summary="党员详情")
def get_member(request: HttpRequest, member_id: int) -> Member:
    return _member_for(current_user(request), member_id)


@router.post("", response={201: MemberOut, **WRITE_ERRORS}, summary="建立党员档案", description="各阶段日期须齐全且先后有序。")
def create_member(request: HttpRequest, payload: MemberIn) -> Status[Member]:
    user = current_user(request)
    person = person_for(user, payload.person)
    branch = org_for(user, payload.branch)
    if Member.objects.filter(person=person).exists():
        raise ValidationError({"person": ["该人员已有党员档案，请修改原档案。"]})
    member = services.member_save(
        actor=user,
        person=person,
        branch=branch,
        stage=payload.stage,
        dates={field: getattr(payload, field) for field in DATE_FIELDS},
        work_unit=optional_org_for(user, payload.work_unit),
        residence_community=optional_org_for(user, payload.residence_community),
    )
    return Status(201, member)


@router.patch("/{int:member_id}", response={200: MemberOut, **WRITE_ERRORS}, summary="修改党员档案", description="未提供的字段保持原值。")
def update_member(request: HttpRequest, member_id: int, payload: MemberPatch) -> Member:
    user = current_user(request)
    member = _member_for(user, member_id)
    changes = patch_changes(payload, required=("branch", "stage"))
    return services.member_save(
        actor=user,
        person=member.person,
        branch=org_for(user, changes["branch"]) if "branch" in changes else member.branch,
        stage=changes.get("stage", member.stage),
        dates={field: changes[field] if field in changes else getattr(member, field) for field in DATE_FIELDS},
        work_unit=optional_org_for(user, changes["work_unit"]) if "work_unit" in changes else member.work_unit,
        residence_community=(
            optional_org_for(user, changes["residence_community"]) if "residence_community" in changes else member.residence_community
        ),
    )
