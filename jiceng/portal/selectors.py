"""Reads of the public portal: public names of places and published notices, nothing personal."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Max, Prefetch, QuerySet

from jiceng.decisions.models import Notice
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind
from jiceng.portal.models import Article, Comment, CommentReply, CommentStatus, Consultation, Disclosure, live_q

TOWN_KINDS = (OrgKind.TOWN, OrgKind.SUBDISTRICT)


@dataclass
class Town:
    org: Organization
    places: list[Organization] = field(default_factory=list)


def towns() -> list[Town]:
    """Towns and sub-districts with their villages and communities, in one query."""
    rows = (
        Organization.objects.filter(kind__in=[*TOWN_KINDS, *GRASSROOTS_KINDS], is_active=True)
        .only("name", "code", "kind", "path", "depth")
        .order_by("path")
    )
    by_path: dict[str, Town] = {}
    for org in rows:
        if org.kind in TOWN_KINDS:
            by_path[org.path] = Town(org)
        elif (town := by_path.get(org.path[: -Organization.steplen])) is not None:
            town.places.append(org)
    return list(by_path.values())


def village(code: str) -> Organization | None:
    return Organization.objects.filter(code=code, kind__in=GRASSROOTS_KINDS, is_active=True).first()


def current_notices(place: Organization, today: date) -> list[Notice]:
    """The place's notices on the board today (two queries).

    Whether a notice is on the board follows from its dates; the rows read are only those
    published within the longest notice period of the place. A notice dated in the future is
    not on any board yet; its printed code still verifies.
    """
    published = Notice.objects.filter(decision__village=place, published_on__lte=today)
    longest = published.aggregate(days=Max("notice_days"))["days"]
    if longest is None:
        return []
    window = published.filter(published_on__gt=today - timedelta(days=longest))
    rows = window.only("code", "kind", "title", "published_on", "notice_days").order_by("-published_on", "-pk")
    return [n for n in rows if n.on_notice(today)]


def past_notices(place: Organization, today: date, current: list[Notice]) -> QuerySet[Notice]:
    """The place's published notices whose period has ended, newest first (to be paged)."""
    return (
        Notice.objects.filter(decision__village=place, published_on__lte=today)
        .exclude(pk__in=[n.pk for n in current])
        .only("code", "kind", "title", "published_on", "notice_days")
        .order_by("-published_on", "-pk")
    )


# ---- news, disclosures, consultation (issue 6) -------------------------------------------------

PORTAL_KINDS = (OrgKind.DISTRICT, *TOWN_KINDS, *GRASSROOTS_KINDS)


def place(code: str) -> Organization | None:
    """A district, town or village/community that has public pages."""
    return Organization.objects.filter(code=code, kind__in=PORTAL_KINDS, is_active=True).first()


def children(org: Organization) -> list[Organization]:
    """The places one level down that have public pages (a district's towns, a town's villages)."""
    return list(
        Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1, is_active=True, kind__in=PORTAL_KINDS)
        .only("name", "code", "kind")
        .order_by("path")
    )


def live_articles(org: Organization, now: datetime, limit: int | None = None) -> QuerySet[Article]:
    """Live news of the organization and the places under it, newest first."""
    qs = (
        Article.objects.filter(live_q(now), organization__path__startswith=org.path)
        .select_related("organization", "category")
        .only("title", "publish_at", "view_count", "cover", "organization__name", "organization__code", "category__name")
        .order_by("-publish_at", "-pk")
    )
    return qs[:limit] if limit else qs


def live_article(pk: int, now: datetime) -> Article | None:
    return Article.objects.filter(live_q(now), pk=pk).select_related("organization", "category").first()


def approved_comments(article: Article) -> list[Comment]:
    """Approved comments with their staff replies: two queries."""
    return list(
        Comment.objects.filter(article=article, status=CommentStatus.APPROVED)
        .only("nickname", "body", "created_at", "article_id")
        .prefetch_related(Prefetch("replies", queryset=CommentReply.objects.select_related("author")))
    )


def disclosures(village: Organization, today: date, domain: str | None = None) -> QuerySet[Disclosure]:
    qs = Disclosure.objects.filter(village=village, published_on__lte=today).order_by("-published_on", "-pk")
    return qs.filter(domain=domain) if domain else qs


def public_answers(org: Organization) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(organization=org, is_public=True)
        .exclude(answer="")
        .only("question", "answer", "answered_at", "created_at")
        .order_by("-answered_at", "-pk")
    )
