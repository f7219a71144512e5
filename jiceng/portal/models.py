"""Public portal records: news with views and moderated comments, disclosures, consultations.

Nothing personal is shown publicly: phones are stored encrypted with a keyed hash for look-ups
and a masked form for staff (domain.md §9.1); readers are counted by a keyed daily hash, never
by their address.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SCHEDULED = "scheduled", _("定时发布")
    PUBLISHED = "published", _("已发布")
    UNPUBLISHED = "unpublished", _("已撤回")


# A scheduled article goes live by itself when its time comes: "live" follows from the clock.
LIVE_STATUSES = (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED)


def live_q(now: datetime) -> Q:
    return Q(status__in=LIVE_STATUSES, publish_at__lte=now)


class Article(models.Model):
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("发布单位"), on_delete=models.PROTECT, related_name="articles")
    category = models.ForeignKey(Category, verbose_name=_("栏目"), null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(_("标题"), max_length=120)
    cover = models.ImageField(_("封面图"), upload_to="portal/covers/%Y/%m/", blank=True)
    body = models.TextField(_("正文"), help_text=_("已按白名单净化的 HTML"))
    status = models.CharField(_("状态"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    publish_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("阅读数"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-publish_at", "-pk"]
        indexes = [models.Index(fields=["organization", "status", "publish_at"], name="article_live")]

    def __str__(self) -> str:
        return self.title

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status in LIVE_STATUSES and self.publish_at is not None and self.publish_at <= now

    def shown_status(self, now: datetime | None = None) -> str:
        if self.status == ArticleStatus.SCHEDULED and self.is_live(now):
            return str(ArticleStatus.PUBLISHED.label)
        return self.get_status_display()


class ArticleView(models.Model):
    """One reader on one day: a keyed hash of address + browser + date, so no address is kept."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    day = models.DateField()
    reader = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "day", "reader"], name="one_view_per_reader_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}"


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    nickname = models.CharField(_("昵称"), max_length=20, blank=True)
    body = models.TextField(_("评论"), max_length=500)
    phone_encrypted = models.TextField()
    phone_hash = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=20)
    status = models.CharField(_("状态"), max_length=20, choices=CommentStatus.choices, default=CommentStatus.PENDING)
    reason = models.CharField(_("审核说明"), max_length=200, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:20]


class CommentReply(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("回复"), max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:20]


class DisclosureDomain(models.TextChoices):
    PARTY = "party", _("党务公开")
    VILLAGE = "village", _("村务公开")


class DisclosureCategory(models.TextChoices):
    GENERAL = "general", _("一般事项")
    FINANCE = "finance", _("财务收支")
    MAJOR = "major", _("重大事项")


class Disclosure(models.Model):
    village = models.ForeignKey("orgs.Organization", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="disclosures")
    domain = models.CharField(_("公开类别"), max_length=20, choices=DisclosureDomain.choices)
    category = models.CharField(_("事项类型"), max_length=20, choices=DisclosureCategory.choices)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    # The period the item covers; for a major matter, period_start is the day it arose.
    period_start = models.DateField(_("所属期起"))
    period_end = models.DateField(_("所属期止"))
    published_on = models.DateField(_("公开日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["village", "category", "published_on"], name="disclosure_rhythm")]

    def __str__(self) -> str:
        return self.title


class Consultation(models.Model):
    """留言咨询: a resident's question to one organization's inbox, and its answer."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("咨询对象"), on_delete=models.PROTECT, related_name="consultations"
    )
    question = models.TextField(_("问题"), max_length=1000)
    phone_encrypted = models.TextField()
    phone_hash = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=20)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    is_public = models.BooleanField(_("公开答复"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.question[:20]
