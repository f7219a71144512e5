"""/api/v1/posts: positions held in organizations (两委 and others) and their terms."""

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from jiceng.accounts.access import get_for_user, scope
from jiceng.accounts.models import User
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, org_for, paginate, person_for
from jiceng.api.schemas import PostEndIn, PostIn, PostOut, PostPage, PostQuery
from jiceng.orgs import services
from jiceng.orgs.access import roles
from jiceng.orgs.models import Post

router = Router(tags=["职务"])


# Who holds which post is shown to everyone who may see the organization (org.view).
def _posts() -> QuerySet[Post]:
    return Post.objects.select_related("person", "organization")


def _post_for(user: User, post_id: int) -> Post:
    return get_for_user(_posts(), user, roles("org.view"), "organization__path", pk=post_id)


@router.get("", response={200: PostPage, **LIST_ERRORS}, summary="职务列表")
def list_posts(request: HttpRequest, filters: Query[PostQuery]) -> dict[str, object]:
    qs = scope(_posts(), current_user(request), roles("org.view"), "organization__path").order_by(
        "organization__path", "role", "-start_date", "pk"
    )
    if filters.organization is not None:
        qs = qs.filter(organization_id=filters.organization)
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.current is not None:
        today = timezone.localdate()
        current = Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))
        qs = qs.filter(current) if filters.current else qs.exclude(current)
    return paginate(qs, filters)


@router.get("/{int:post_id}", response={200: PostOut, **DETAIL_ERRORS}, summary="职务详情")
def get_post(request: HttpRequest, post_id: int) -> Post:
    return _post_for(current_user(request), post_id)


@router.post("", response={201: PostOut, **WRITE_ERRORS}, summary="任职", description="同一人在同一组织不能同时两次担任同一职务。")
def create_post(request: HttpRequest, payload: PostIn) -> Status[Post]:
    user = current_user(request)
    post = services.post_create(
        actor=user,
        person=person_for(user, payload.person),
        organization=org_for(user, payload.organization),
        role=payload.role,
        start_date=payload.start_date,
        end_date=payload.end_date,
        elected=payload.elected,
    )
    return Status(201, post)


@router.post(
    "/{int:post_id}/end", response={200: PostOut, **WRITE_ERRORS}, summary="离任", description="记录离任日期；已离任的职务不能再次离任。"
)
def end_post(request: HttpRequest, post_id: int, payload: PostEndIn) -> Post:
    user = current_user(request)
    post = _post_for(user, post_id)
    return services.post_end(actor=user, post=post, end_date=payload.end_date)
