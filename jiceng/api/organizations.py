"""/api/v1/organizations: the organization tree."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from jiceng.accounts.access import scope
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, optional_org_for, org_for, paginate, patch_changes
from jiceng.api.schemas import OrganizationDetailOut, OrganizationIn, OrganizationPage, OrganizationPatch, PageQuery
from jiceng.orgs import rules, services
from jiceng.orgs.access import roles
from jiceng.orgs.models import Organization, OrgKind

router = Router(tags=["组织"])


class OrganizationQuery(PageQuery):
    kind: OrgKind | None = Field(None, description="组织类型")
    parent: int | None = Field(None, description="上级组织 id：只列其直属下级")


def _with_parent_ids(orgs: list[Organization]) -> list[Organization]:
    """Parent ids for a page of organizations in one query (treebeard keeps no parent column)."""
    steplen = Organization.steplen
    parent_paths = {o.path[:-steplen] for o in orgs if o.depth > 1}
    ids = dict(Organization.objects.filter(path__in=parent_paths).values_list("path", "pk")) if parent_paths else {}
    for org in orgs:
        org.api_parent_id = ids.get(org.path[:-steplen])  # type: ignore[attr-defined]
    return orgs


def _detail(org: Organization) -> Organization:
    _with_parent_ids([org])
    org.api_warnings = rules.formation_warnings(org)  # type: ignore[attr-defined]
    org.api_yijiantiao = rules.yijiantiao([org]).get(org.pk)  # type: ignore[attr-defined]
    return org


@router.get("", response={200: OrganizationPage, **LIST_ERRORS}, summary="组织列表", description="按组织树顺序列出您管辖范围内的组织。")
def list_organizations(request: HttpRequest, filters: Query[OrganizationQuery]) -> dict[str, object]:
    user = current_user(request)
    qs = scope(Organization.objects.all(), user, roles("org.view"), "path").order_by("path")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent is not None:
        # A filter, not an access check: the rows stay limited to the caller's scope either way.
        parent = Organization.objects.filter(pk=filters.parent).values_list("path", "depth").first()
        qs = qs.filter(path__startswith=parent[0], depth=parent[1] + 1) if parent else qs.none()
    page = paginate(qs, filters)
    _with_parent_ids(page["items"])
    return page


@router.get(
    "/{int:org_id}", response={200: OrganizationDetailOut, **DETAIL_ERRORS}, summary="组织详情", description="含组织设置提示与一肩挑情况。"
)
def get_organization(request: HttpRequest, org_id: int) -> Organization:
    return _detail(org_for(current_user(request), org_id))


@router.post("", response={201: OrganizationDetailOut, **WRITE_ERRORS}, summary="新建组织")
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status[Organization]:
    user = current_user(request)
    parent = org_for(user, payload.parent)
    org = services.org_create(
        actor=user,
        parent=parent,
        name=payload.name,
        code=payload.code,
        kind=payload.kind,
        formation=payload.formation,
        joint_party_org=optional_org_for(user, payload.joint_party_org),
        address=payload.address,
    )
    return Status(201, _detail(org))


@router.patch("/{int:org_id}", response={200: OrganizationDetailOut, **WRITE_ERRORS}, summary="修改组织")
def update_organization(request: HttpRequest, org_id: int, payload: OrganizationPatch) -> Organization:
    user = current_user(request)
    org = org_for(user, org_id)
    changes = patch_changes(payload, required=("name", "address", "formation", "is_active"))
    if "joint_party_org" in changes:
        changes["joint_party_org"] = optional_org_for(user, changes["joint_party_org"])
    return _detail(services.org_update(actor=user, org=org, **changes))
