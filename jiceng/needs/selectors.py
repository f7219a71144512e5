"""Reads of the needs pages, always through the scoping function of jiceng.accounts.access.

Staff lists are scoped by `community__path`; single needs come from `get_for_user`, which gives the
same 404 for another community's need and a missing one. The public board shows listed needs with
their public title and description only: no name, phone or address (domain.md §9.1).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from jiceng.accounts.access import get_for_user, scope, scope_by_village
from jiceng.accounts.models import User
from jiceng.needs import access
from jiceng.needs.models import HOLDING, WISH_KINDS, Claim, ClaimStatus, MemberAccount, Need, NeedPhoto, NeedStatus
from jiceng.needs.services import Claimer, claimers_of
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.orgs.selectors import district_paths

S = NeedStatus
VIEW = access.roles("need.view")


def communities_for_user(user: User, action: str = "need.view") -> QuerySet[Organization]:
    return scope(Organization.objects.filter(kind__in=GRASSROOTS_KINDS, is_active=True), user, access.roles(action), "path").order_by(
        "path"
    )


def public_community(code: str) -> Organization | None:
    return Organization.objects.filter(code=code, kind__in=GRASSROOTS_KINDS, is_active=True).first()


def _with_places(qs: QuerySet[Need]) -> QuerySet[Need]:
    return qs.annotate(taken=Count("claims", filter=Q(claims__status__in=HOLDING)))


def needs_for_user(user: User) -> QuerySet[Need]:
    # the queue and the API list show the grid's id only: no join to the grid (and its boundary)
    return scope_by_village(Need.objects.select_related("community"), user, VIEW, "community")


def queue_rows(user: User, status: str = "", community_id: int | None = None) -> QuerySet[Need]:
    """The needs of the vetting queue, newest first: submitted and disputed, or one status."""
    qs = needs_for_user(user)
    qs = qs.filter(status=status) if status else qs.filter(status__in=(S.SUBMITTED, S.DISPUTED))
    if community_id:
        qs = qs.filter(community_id=community_id)
    return qs.order_by("-submitted_at", "-pk")


# The columns the queue page shows, read as values: no model instances, no grid boundary.
QUEUE_COLUMNS = ("pk", "title", "community__name", "kind", "status", "listed_at", "dispatched", "taken", "capacity", "submitted_at")


def queue(user: User, status: str = "", community_id: int | None = None) -> QuerySet[Need]:
    """The vetting queue with the places taken on each need. The places are a correlated subquery,
    not a JOIN + GROUP BY: PostgreSQL then computes them for the page's rows only, after the LIMIT,
    instead of grouping every need in scope first."""
    taken = Claim.objects.filter(need=OuterRef("pk"), status__in=HOLDING).order_by().values("need").annotate(n=Count("pk")).values("n")
    return queue_rows(user, status, community_id).annotate(taken=Coalesce(Subquery(taken), 0))


def get_need_for_user(user: User, pk: int) -> Need:
    qs = Need.objects.select_related("community", "grid", "merged_into", "submitted_by", "vetted_by").prefetch_related(
        Prefetch("claims", queryset=Claim.objects.select_related("member__person", "unit", "user").order_by("claimed_at", "pk")),
        "photos",
        "duplicates",
    )
    return get_for_user(qs, user, VIEW, "community__path", pk=pk)


def get_photo_for_user(user: User, pk: int) -> NeedPhoto:
    """A need's photo, for staff who may see that community's needs (photos are never public files)."""
    return get_for_user(NeedPhoto.objects.select_related("need"), user, VIEW, "need__community__path", pk=pk)


def claims_for_user(user: User, statuses: tuple[str, ...] = ()) -> QuerySet[Claim]:
    qs = scope(Claim.objects.select_related("need__community", "member__person", "unit"), user, VIEW, "need__community__path")
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-claimed_at", "-pk")


# ---- public ------------------------------------------------------------------------------------


@dataclass
class Board:
    needs: list[Need]
    wishes: list[Need]


def board(community: Organization, today: date) -> Board:
    """Listed needs still open for claims, with places taken; one query."""
    rows = list(
        _with_places(Need.objects.filter(community=community, status__in=(S.LISTED, S.CLAIMED)))
        .filter(Q(claim_deadline__isnull=True) | Q(claim_deadline__gte=today))
        .only("pk", "kind", "category", "public_title", "public_description", "capacity", "claim_deadline", "points", "status", "listed_at")
        .order_by("claim_deadline", "pk")
    )
    return Board(needs=[n for n in rows if n.kind not in WISH_KINDS], wishes=[n for n in rows if n.kind in WISH_KINDS])


def public_need(pk: int) -> Need | None:
    """A need as the board shows it (listed or claimed), with its places."""
    return (
        _with_places(Need.objects.filter(status__in=(S.LISTED, S.CLAIMED, S.DELIVERED, S.CONFIRMED)))
        .select_related("community")
        .filter(pk=pk)
        .first()
    )


def evidence_photos(need: Need) -> list[NeedPhoto]:
    return list(need.photos.filter(claim__isnull=False))


# ---- members and liaisons -------------------------------------------------------------------------


def my_claimers(user: User) -> list[Claimer]:
    return claimers_of(user)


def my_claims(user: User) -> QuerySet[Claim]:
    """Claims of the member's own account, and of the units the user is liaison of."""
    member_ids = list(MemberAccount.objects.filter(user=user).values_list("member_id", flat=True))
    unit_ids = [c.unit.pk for c in claimers_of(user) if c.unit]
    return (
        Claim.objects.filter(Q(member_id__in=member_ids) | Q(unit_id__in=unit_ids))
        .select_related("need__community", "member__person", "unit")
        .order_by("-claimed_at", "-pk")
    )


def claimable(user: User, today: date) -> QuerySet[Need]:
    """Listed needs of the user's district still open for claims."""
    from jiceng.accounts.access import user_grants

    granted = [g.organization.path for g in user_grants(user) if g.role in access.roles("need.claim")]
    roots = {d for d in district_paths(granted).values() if d is not None}
    if not roots:
        return Need.objects.none()
    condition = Q()
    for root in roots:
        condition |= Q(community__path__startswith=root)
    return (
        _with_places(Need.objects.filter(condition, status=S.LISTED))
        .filter(Q(claim_deadline__isnull=True) | Q(claim_deadline__gte=today))
        .select_related("community")
        .order_by("claim_deadline", "pk")
    )


def claim_for_user(user: User, pk: int) -> Claim:
    """A claim of the user's (member or unit), or one in their staff scope; else 404."""
    claim = my_claims(user).filter(pk=pk).first()
    if claim is None:
        claim = get_for_user(
            Claim.objects.select_related("need__community", "member__person", "unit"), user, VIEW, "need__community__path", pk=pk
        )
    return claim


OPEN_CLAIMS = (ClaimStatus.ACTIVE, ClaimStatus.STARTED)
