"""Typed input and output of the API. Outputs carry masked ID numbers and phones only.

A reference to another object is its id under the model's field name, both ways
(`"branch": 12`); a service's field error then names the same key the client sent.
"""

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from jiceng.lib.listing import label
from jiceng.lib.validators import normalize_id_number, normalize_phone
from jiceng.orgs.models import Education, Gender, Member, Organization, OrgKind, Person, Post, PostRole, Stage

MAX_PAGE_SIZE = 200


# ---- shared --------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str = Field(..., description="机器可读的错误代码，如 invalid、not_found、unauthenticated")
    message: str = Field(..., description="中文说明")
    fields: dict[str, list[str]] = Field(..., description="逐字段的错误信息；__all__ 为不属于单个字段的错误")


class ErrorOut(Schema):
    error: ErrorDetail


class Input(Schema):
    """Request bodies refuse unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="页码，从 1 开始")
    page_size: int = Field(settings.PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，最多 {MAX_PAGE_SIZE}")


class WarningOut(Schema):
    level: str = Field(..., description="warning 须处理；info 为规则允许的选项")
    text: str
    basis: str = Field(..., description="依据（法规及条款）")


def _checked(normalize: Any, value: str | None, kind: str) -> str | None:
    """Run a Django validator at the edge; its Chinese message becomes the field's message."""
    if value is None or not value.strip():
        return value
    try:
        result: str = normalize(value)
    except DjangoValidationError as exc:
        raise PydanticCustomError(kind, "；".join(exc.messages)) from None
    return result


# ---- organizations -------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    name: str
    code: str
    kind: OrgKind
    kind_label: str
    parent: int | None = Field(None, description="上级组织 id")
    depth: int = Field(..., description="在组织树中的层级，区为 1")
    formation: str = Field(..., description="两新组织的党组织组建方式：single / joint / none；其他组织为空")
    joint_party_org: int | None = Field(None, description="联合组建时所属联合党支部 id")
    address: str
    is_active: bool
    children_count: int

    @staticmethod
    def resolve_kind_label(obj: Organization) -> str:
        return obj.get_kind_label()

    @staticmethod
    def resolve_parent(obj: Organization) -> int | None:
        return getattr(obj, "api_parent_id", None)

    @staticmethod
    def resolve_joint_party_org(obj: Organization) -> int | None:
        return obj.joint_party_org_id

    @staticmethod
    def resolve_children_count(obj: Organization) -> int:
        return obj.numchild


class OrganizationDetailOut(OrganizationOut):
    warnings: list[WarningOut] = Field(..., description="组织设置提示（依据《中国共产党支部工作条例（试行）》等）")
    yijiantiao: bool | None = Field(None, description="村（社区）书记、主任（及经联社社长）是否“一肩挑”；非村（社区）为 null")

    @staticmethod
    def resolve_warnings(obj: Organization) -> list[Any]:
        return getattr(obj, "api_warnings", [])

    @staticmethod
    def resolve_yijiantiao(obj: Organization) -> bool | None:
        return getattr(obj, "api_yijiantiao", None)


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    count: int
    page: int
    page_size: int


class OrganizationIn(Input):
    parent: int = Field(..., description="上级组织 id（顶层组织只由系统初始化创建）")
    name: str = Field(..., min_length=1, max_length=100)
    code: str = Field(..., min_length=1, max_length=32, description="行政区划式编码，全局唯一")
    kind: OrgKind
    formation: str = Field("", description="仅非公企业、社会组织填写：single / joint / none")
    joint_party_org: int | None = Field(None, description="联合组建时所属联合党支部 id")
    address: str = Field("", max_length=200)


class OrganizationPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    address: str | None = Field(None, max_length=200)
    formation: str | None = None
    joint_party_org: int | None = None
    is_active: bool | None = None


# ---- people --------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    organization: int
    organization_name: str
    name: str
    name_initials: str
    gender: str
    gender_label: str
    birth_date: date | None
    ethnicity: str
    education: str
    address: str
    id_number_masked: str = Field(..., description="脱敏身份证号；明文只能在页面上经审计查看")
    phone_masked: str
    created_at: datetime

    @staticmethod
    def resolve_organization(obj: Person) -> int:
        return obj.organization_id

    @staticmethod
    def resolve_organization_name(obj: Person) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_gender_label(obj: Person) -> str:
        return label(Gender, obj.gender)


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int


class PersonQuery(PageQuery):
    q: str | None = Field(None, max_length=50, description="姓名或拼音首字母（如 zs）：1-2 个字母或汉字匹配开头，3 个以上匹配包含")
    id_number: str | None = Field(None, description="按身份证号精确查找（经密钥哈希比对，不存明文）")


class _PersonSecrets(Input):
    @field_validator("id_number", check_fields=False)
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return _checked(normalize_id_number, value, "id_number")

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _checked(normalize_phone, value, "phone")


class PersonIn(_PersonSecrets):
    organization: int = Field(..., description="所属组织 id")
    name: str = Field(..., min_length=1, max_length=50)
    gender: Gender
    birth_date: date | None = None
    ethnicity: str = Field("汉族", max_length=20)
    education: Education | None = None
    address: str = Field("", max_length=200)
    id_number: str = Field("", description="18 位居民身份证号，加密存储")
    phone: str = Field("", description="11 位手机号，加密存储")


class PersonPatch(_PersonSecrets):
    name: str | None = Field(None, min_length=1, max_length=50)
    gender: Gender | None = None
    birth_date: date | None = None
    ethnicity: str | None = Field(None, max_length=20)
    education: Education | None = None
    address: str | None = Field(None, max_length=200)
    id_number: str | None = None
    phone: str | None = None


# ---- members -------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    person: int
    person_name: str
    branch: int
    branch_name: str
    stage: Stage
    stage_label: str
    applied_on: date | None
    activist_on: date | None
    candidate_on: date | None
    probationary_on: date | None
    full_on: date | None
    work_unit: int | None
    residence_community: int | None

    @staticmethod
    def resolve_person(obj: Member) -> int:
        return obj.person_id

    @staticmethod
    def resolve_person_name(obj: Member) -> str:
        return obj.person.name

    @staticmethod
    def resolve_branch(obj: Member) -> int:
        return obj.branch_id

    @staticmethod
    def resolve_branch_name(obj: Member) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_stage_label(obj: Member) -> str:
        return label(Stage, obj.stage)

    @staticmethod
    def resolve_work_unit(obj: Member) -> int | None:
        return obj.work_unit_id

    @staticmethod
    def resolve_residence_community(obj: Member) -> int | None:
        return obj.residence_community_id


class MemberPage(Schema):
    items: list[MemberOut]
    count: int
    page: int
    page_size: int


class MemberQuery(PageQuery):
    stage: Stage | None = Field(None, description="发展阶段")
    branch: int | None = Field(None, description="所在党组织 id")


class _StageDates(Input):
    applied_on: date | None = Field(None, description="申请入党日期")
    activist_on: date | None = Field(None, description="确定入党积极分子日期")
    candidate_on: date | None = Field(None, description="确定发展对象日期")
    probationary_on: date | None = Field(None, description="接收预备党员日期")
    full_on: date | None = Field(None, description="转正日期")


class MemberIn(_StageDates):
    person: int = Field(..., description="人员 id；每人只有一份党员档案")
    branch: int = Field(..., description="所在党组织 id（党委、党总支、党支部或联合党支部）")
    stage: Stage
    work_unit: int | None = Field(None, description="工作单位 id")
    residence_community: int | None = Field(None, description="居住社区 id")


class MemberPatch(_StageDates):
    branch: int | None = None
    stage: Stage | None = None
    work_unit: int | None = None
    residence_community: int | None = None


# ---- posts ---------------------------------------------------------------------------------


class PostOut(Schema):
    id: int
    person: int
    person_name: str
    organization: int
    organization_name: str
    role: PostRole
    role_label: str
    start_date: date
    end_date: date | None
    elected: bool
    is_current: bool

    @staticmethod
    def resolve_person(obj: Post) -> int:
        return obj.person_id

    @staticmethod
    def resolve_person_name(obj: Post) -> str:
        return obj.person.name

    @staticmethod
    def resolve_organization(obj: Post) -> int:
        return obj.organization_id

    @staticmethod
    def resolve_organization_name(obj: Post) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_role_label(obj: Post) -> str:
        return label(PostRole, obj.role)

    @staticmethod
    def resolve_is_current(obj: Post) -> bool:
        today = timezone.localdate()
        return obj.start_date <= today and (obj.end_date is None or obj.end_date >= today)


class PostPage(Schema):
    items: list[PostOut]
    count: int
    page: int
    page_size: int


class PostQuery(PageQuery):
    organization: int | None = Field(None, description="组织 id")
    role: PostRole | None = Field(None, description="职务")
    current: bool | None = Field(None, description="true 只看现任，false 只看已离任或未到任")


class PostIn(Input):
    person: int
    organization: int
    role: PostRole
    start_date: date
    end_date: date | None = None
    elected: bool = True


class PostEndIn(Input):
    end_date: date = Field(..., description="离任日期")
