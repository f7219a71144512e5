"""Village major decisions (四议两公开事项) and the village-group five-step variant (村组联议五步法).

domain.md §1 (villagers' committee law), §2 (the procedure). Thresholds live in jiceng.rules as
versioned data; the numbers a district may set (notice period, answer deadline, review amount)
live in `DecisionPolicy`.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.rules.models import Body


class DecisionPolicy(models.Model):
    """The configurable numbers of the procedure, set on an organization and inherited below it."""

    organization = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="decision_policy")
    notice_min_days = models.PositiveSmallIntegerField(_("公开最短天数"), default=7)  # domain.md §2.1 step 5: commonly ≥ 7 days [U]
    objection_answer_days = models.PositiveSmallIntegerField(_("异议答复期限（天）"), default=10)  # §2.1: one village charter [S]
    town_review_amount = models.DecimalField(_("需镇街预审的金额（元）"), max_digits=14, decimal_places=2, default=Decimal("100000"))  # [U]
    merge_first_steps = models.BooleanField(_("一肩挑村可合并提议与商议"), default=True)  # §2.1 step 2 [S]

    class Meta:
        verbose_name = _("四议两公开参数")

    def __str__(self) -> str:
        return f"{self.organization}"


class MatterGroup(models.TextChoices):
    ART24 = "art24", _("村民会议决定事项（组织法第二十四条）")
    PLANS = "plans", _("三划一规")
    FUNDS = "funds", _("三资一酬")
    RELIEF = "relief", _("三救一保")
    OTHER = "other", _("其他重要事项")


class MatterCatalogue(models.Model):
    """A village's list of matters that must go through the procedure (domain.md §2.2): approved by
    the villagers' (representatives') meeting and filed with the town."""

    village = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="matter_catalogues")
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    approved_on = models.DateField(_("表决通过日期"), null=True, blank=True)
    approved_by = models.CharField(_("通过会议"), max_length=100, blank=True)
    filed_on = models.DateField(_("镇街备案日期"), null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("事项清单")
        constraints = [models.UniqueConstraint(fields=["village", "version"], name="unique_catalogue_version")]

    def __str__(self) -> str:
        return f"{self.village} 事项清单 v{self.version}"


class MatterCategory(models.Model):
    catalogue = models.ForeignKey(MatterCatalogue, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("事项"), max_length=100)
    group = models.CharField(_("类别"), max_length=10, choices=MatterGroup.choices)
    # Every matter in the list goes through the procedure; with a threshold, only at or above it (以上).
    amount_threshold = models.DecimalField(_("金额门槛（元，以上）"), max_digits=14, decimal_places=2, null=True, blank=True)
    needs_town_review = models.BooleanField(_("须镇街预审"), default=False)
    basis = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("清单事项")
        ordering = ["group", "pk"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    VILLAGE = "village", _("村级（四议两公开）")
    GROUP = "group", _("村民小组（村组联议五步法）")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PROPOSED = "proposed", _("已提议")
    DELIBERATED = "deliberated", _("已商议")
    PARTY_REVIEWED = "party_reviewed", _("已审议")
    RESOLVED = "resolved", _("已决议")
    REJECTED = "rejected", _("未获通过")
    RESOLUTION_PUBLISHED = "resolution_published", _("决议已公开")
    IMPLEMENTING = "implementing", _("实施中")
    RESULT_PUBLISHED = "result_published", _("结果已公开")
    ARCHIVED = "archived", _("已归档")
    CLOSED = "closed", _("已终止")


class Classification(models.TextChoices):
    PROCEDURE = "procedure", _("须经四议两公开")
    GENERAL = "general", _("一般事项")


class Decision(models.Model):
    village = models.ForeignKey("orgs.Organization", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="decisions")
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, default=Level.VILLAGE)
    group_name = models.CharField(_("村民小组"), max_length=50, blank=True)
    title = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("事项内容"), blank=True)
    amount = models.DecimalField(_("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    category = models.ForeignKey(MatterCategory, verbose_name=_("清单事项"), null=True, blank=True, on_delete=models.PROTECT)
    classification = models.CharField(_("事项性质"), max_length=10, choices=Classification.choices)
    classification_reason = models.CharField(_("归类理由"), max_length=300)
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True)
    needs_town_review = models.BooleanField(_("须镇街预审"), default=False)
    town_reviewed_on = models.DateField(_("镇街预审通过日期"), null=True, blank=True)
    town_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    town_review_note = models.CharField(_("预审意见"), max_length=300, blank=True)
    filed_on = models.DateField(_("镇街备案日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_on = models.DateField(_("登记日期"), default=date.today)

    class Meta:
        verbose_name = _("四议两公开事项")
        indexes = [
            models.Index(fields=["village", "status"], name="decision_village_status"),
            # the list's order, over the whole scope and within one village
            # covering the village: a scoped list picks its page's keys from this index alone (lib.paging.page_of_keys)
            models.Index(fields=["-created_on", "-id"], include=["village"], name="decision_created"),
            models.Index(fields=["village", "-created_on", "-id"], name="decision_village_created"),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """The recorded meeting of one step, with its roster snapshot and computed verdict."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="meetings")
    step = models.CharField(_("步骤"), max_length=30)
    body = models.CharField(_("会议"), max_length=30, choices=Body.choices)
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=100)
    quorum_basis = models.CharField(_("到会计算方式"), max_length=12, blank=True)
    entitled = models.PositiveIntegerField(_("应到人数"))
    present = models.PositiveIntegerField(_("实到人数"))
    households = models.PositiveIntegerField(_("总户数"), default=0)
    households_present = models.PositiveIntegerField(_("到会户代表数"), default=0)
    roster = models.JSONField(_("应到名单（登记快照）"), default=list, blank=True)
    attendees = models.JSONField(_("实到名单"), default=list, blank=True)
    votes_for = models.PositiveIntegerField(_("赞成"))
    votes_against = models.PositiveIntegerField(_("反对"), default=0)
    votes_abstain = models.PositiveIntegerField(_("弃权"), default=0)
    minutes = models.TextField(_("会议记录"))
    town_staff_present = models.CharField(_("列席镇街干部（姓名、职务）"), max_length=200, blank=True)
    rule_set = models.ForeignKey("rules.RuleSet", on_delete=models.PROTECT, related_name="+")
    quorum_met = models.BooleanField(_("达到法定人数"))
    passed = models.BooleanField(_("表决通过"))
    findings = models.JSONField(_("判定依据"), default=list)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    override_reason = models.CharField(_("镇街认定理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("会议记录")
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(present__lte=models.F("entitled")), name="meeting_present_within_roster"),
            models.CheckConstraint(
                condition=models.Q(votes_for__lte=models.F("present") - models.F("votes_against") - models.F("votes_abstain")),
                name="meeting_votes_within_attendance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_body_display()} {self.held_on}"

    @property
    def advances(self) -> bool:
        return (self.quorum_met and self.passed) or bool(self.overridden_by_id)


class MeetingFile(models.Model):
    class Kind(models.TextChoices):
        SIGNED_MINUTES = "minutes", _("签字会议记录扫描件")
        PHOTO = "photo", _("会议照片")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="decisions/meetings/%Y/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name


class NoticeKind(models.TextChoices):
    RESOLUTION = "resolution", _("决议公开")
    RESULT = "result", _("实施结果公开")


class Notice(models.Model):
    """A disclosure notice; its content hash is recorded in the audit ledger when published."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("类型"), max_length=12, choices=NoticeKind.choices)
    code = models.CharField(_("核验码"), max_length=12, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("公开内容"))
    published_on = models.DateField(_("公开日期"))
    notice_days = models.PositiveSmallIntegerField(_("公开天数"))
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("公开公告")
        constraints = [models.UniqueConstraint(fields=["decision", "kind"], name="one_notice_per_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_on(self) -> date:
        return self.published_on + timedelta(days=self.notice_days)

    def on_notice(self, today: date) -> bool:
        """Still on the board: a state that follows from dates, never stored."""
        return self.published_on <= today < self.ends_on


class Objection(models.Model):
    """An objection of the village affairs supervision committee (domain.md §1.8, §2.1)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="objections")
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="objections")
    text = models.TextField(_("异议内容"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_on = models.DateField(_("提出日期"))
    due_on = models.DateField(_("答复期限"))
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("监委会异议")
        ordering = ["raised_on", "pk"]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    def overdue(self, today: date) -> bool:
        return self.is_open and today > self.due_on


class Progress(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="progress")
    on = models.DateField(_("日期"))
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    text = models.TextField(_("进展情况"))
    photo = models.FileField(_("照片"), upload_to="decisions/progress/%Y/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("实施进展")
        ordering = ["on", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(percent__lte=100), name="progress_percent_at_most_100")]

    def __str__(self) -> str:
        return f"{self.on} {self.percent}%"
