"""Residents' needs: 群众点单 → 社区下单 → 党员接单, and micro-wishes (微心愿), domain.md §7.3-§7.4.

A resident (or a grid worker on a resident's behalf) files a `Need`; the community vets it (reject,
merge, list on the board with a capacity, or dispatch to a paired unit or a named member); members
and unit liaisons `Claim` places; each claimer records a fulfilment; the resident confirms or
disputes. The phone is stored encrypted with a keyed hash and a masked copy (domain.md §9.1); the
resident's consent to processing is stored with the need (PIPL art. 13, §9.1).

The other engineer's models of this app (双报到, points, feedback, micro-projects) live in
models_service.py and are imported at the end of this module.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedKind(models.TextChoices):
    SERVICE = "service", _("群众需求")
    WISH_GOODS = "wish_goods", _("微心愿（物品）")
    WISH_SERVICE = "wish_service", _("微心愿（小服务）")


WISH_KINDS = frozenset({NeedKind.WISH_GOODS, NeedKind.WISH_SERVICE})


class NeedCategory(models.TextChoices):
    """A service catalogue in the style of 禅城's ten classes and 中江's posts (domain.md §7.2)."""

    ELDER = "elder", _("助老助残")
    LIFE = "life", _("生活服务")
    ENVIRONMENT = "environment", _("环境卫生")
    LEGAL = "legal", _("法律咨询")
    HEALTH = "health", _("医疗健康")
    EDUCATION = "education", _("助学帮教")
    CULTURE = "culture", _("文体活动")
    SAFETY = "safety", _("平安建设")
    GOODS = "goods", _("物品帮扶")
    OTHER = "other", _("其他")


class NeedStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    REJECTED = "rejected", _("未通过")
    MERGED = "merged", _("已合并")
    LISTED = "listed", _("认领中")
    CLAIMED = "claimed", _("已认领")
    DELIVERED = "delivered", _("已履约待评价")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")
    CLOSED = "closed", _("已关闭")


class Channel(models.TextChoices):
    ONLINE = "online", _("群众网上点单")
    GRID_WORKER = "grid_worker", _("网格员代填")
    STAFF = "staff", _("社区代填")


class ConfirmMode(models.TextChoices):
    RESIDENT = "resident", _("群众确认")
    SILENCE = "silence", _("逾期未评价，系统确认")


class Need(models.Model):
    community = models.ForeignKey("orgs.Organization", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="needs")
    kind = models.CharField(_("类型"), max_length=15, choices=NeedKind.choices, default=NeedKind.SERVICE)
    category = models.CharField(_("类别"), max_length=15, choices=NeedCategory.choices)
    title = models.CharField(_("需求标题"), max_length=60)
    description = models.TextField(_("需求描述"), max_length=1000)
    grid = models.ForeignKey("grid.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    wanted_by = models.DateField(_("希望完成日期"), null=True, blank=True)
    # The resident: name in clear (shown to staff), phone encrypted / keyed hash / masked.
    requester_name = models.CharField(_("姓名"), max_length=50)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=20)
    consent_at = models.DateTimeField(_("同意个人信息处理时间"))
    consent_version = models.CharField(_("告知同意书版本"), max_length=20)
    channel = models.CharField(_("来源"), max_length=15, choices=Channel.choices, default=Channel.ONLINE)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("代填人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))  # indexed by need_submitted
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.SUBMITTED, db_index=True)
    # Vetting (审核) and listing (建单).
    vetted_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    vetted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reject_reason = models.CharField(_("不予受理理由"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    public_title = models.CharField(_("公开标题"), max_length=60, blank=True)
    public_description = models.TextField(_("公开说明"), max_length=1000, blank=True)
    capacity = models.PositiveSmallIntegerField(_("所需人数"), default=1)
    claim_deadline = models.DateField(_("认领截止日期"), null=True, blank=True)
    points = models.PositiveSmallIntegerField(_("积分"), default=0)
    listed_at = models.DateTimeField(_("上架时间"), null=True, blank=True)
    dispatched = models.BooleanField(_("派单"), default=False)
    first_claimed_at = models.DateTimeField(_("首次认领时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("履约完成时间"), null=True, blank=True)
    # The resident's verdict.
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirm_mode = models.CharField(_("确认方式"), max_length=10, choices=ConfirmMode.choices, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度评分"), null=True, blank=True)
    resident_comment = models.CharField(_("群众评价"), max_length=300, blank=True)
    dispute_reason = models.CharField(_("异议内容"), max_length=300, blank=True)
    disputed_at = models.DateTimeField(_("异议时间"), null=True, blank=True)
    closed_reason = models.CharField(_("关闭原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("群众需求")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "status"], name="need_community_status"),
            # the vetting queue's order: its default (submitted and disputed), all, one status, one community;
            # the first two cover the community: a scoped list picks its page's keys from them alone (lib.paging.page_of_keys)
            models.Index(
                fields=["-submitted_at", "-id"],
                include=["community"],
                condition=models.Q(status__in=["submitted", "disputed"]),
                name="need_queue_open",
            ),
            models.Index(fields=["-submitted_at", "-id"], include=["community"], name="need_submitted"),
            models.Index(fields=["status", "-submitted_at", "-id"], name="need_status_submitted"),
            models.Index(fields=["community", "-submitted_at", "-id"], name="need_community_submitted"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="need_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5), name="need_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def is_wish(self) -> bool:
        return self.kind in WISH_KINDS

    @property
    def display_title(self) -> str:
        return self.public_title or self.title


class PhotoKind(models.TextChoices):
    REQUEST = "request", _("需求照片")
    EVIDENCE = "evidence", _("履约照片")


class NeedPhoto(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="photos")
    claim = models.ForeignKey("Claim", null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices)
    file = models.FileField(_("照片"), upload_to="needs/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("需求照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("已认领")
    STARTED = "started", _("服务中")
    FULFILLED = "fulfilled", _("已履约")
    WITHDRAWN = "withdrawn", _("已撤回")
    RELEASED = "released", _("逾期释放")
    DISPUTED = "disputed", _("群众有异议")


# Claims that hold a place on the need (counted against its capacity).
HOLDING = (ClaimStatus.ACTIVE, ClaimStatus.STARTED, ClaimStatus.FULFILLED)
OPEN = (ClaimStatus.ACTIVE, ClaimStatus.STARTED)


class Claim(models.Model):
    """One place on a need, taken by a party member or by a unit (through its liaison), or assigned
    by the community (派单)."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="claims")
    member = models.ForeignKey("orgs.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="need_claims")
    unit = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="need_claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="need_claims")
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE, db_index=True)
    claimed_at = models.DateTimeField(_("认领时间"))
    due_on = models.DateField(_("履约期限"))
    started_at = models.DateTimeField(_("开始服务时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("撤回/释放时间"), null=True, blank=True)
    fulfilled_on = models.DateField(_("服务日期"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1, null=True, blank=True)
    fulfil_note = models.CharField(_("服务情况"), max_length=500, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    credited_at = models.DateTimeField(_("积分记入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("认领")
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, unit__isnull=True) | models.Q(member__isnull=True, unit__isnull=False),
                name="claim_member_xor_unit",
            ),
            models.UniqueConstraint(
                fields=["need", "member"],
                condition=models.Q(status__in=["active", "started", "fulfilled"]),
                name="unique_need_member_claim",
            ),
            models.UniqueConstraint(
                fields=["need", "unit"], condition=models.Q(status__in=["active", "started", "fulfilled"]), name="unique_need_unit_claim"
            ),
            models.CheckConstraint(
                condition=models.Q(hours__isnull=True) | models.Q(hours__gt=0, hours__lte=24), name="claim_hours_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claimer_name} → {self.need}"

    @property
    def claimer_name(self) -> str:
        if self.member_id:
            return self.member.person.name if self.member else ""
        return self.unit.name if self.unit else ""


class MemberAccount(models.Model):
    """Links a login to the party member it belongs to, so a member can claim needs as themself.

    accounts.User has no person link; this keeps the needs app from changing the accounts model."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_account")
    member = models.OneToOneField("orgs.Member", on_delete=models.PROTECT, related_name="account")

    class Meta:
        verbose_name = _("党员账号关联")

    def __str__(self) -> str:
        return f"{self.user} → {self.member}"


class PhoneCode(models.Model):
    """A one-time code sent to a resident's phone. Only a keyed hash of the code is kept; a table
    (not the per-process cache) so every web worker sees the same code and attempt count."""

    phone_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=40)
    code_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        indexes = [models.Index(fields=["phone_hash", "purpose", "sent_at"], name="phonecode_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.sent_at:%Y-%m-%d %H:%M}"


from jiceng.needs.models_service import *  # noqa: F403,E402
