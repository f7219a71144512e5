"""双报到 (in-service members and units report to communities), points, and 民生微实事 micro-projects
(domain.md §7.1, §7.2, §7.5). Imported at the end of needs/models.py, so they belong to the needs app.

Every number that comes from local practice rather than a source is data: `ServicePolicy` (report
validity, reminder window, council majority, notice days) and `PointRule` (what earns how many points,
and why). A state that follows from time (a report lapsed or due soon, a notice still running) is
computed from dates, never stored.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# needs/models.py star-imports this module: export only these names, so none shadows one of its own.
__all__ = [
    "REPORT_STATE_LABELS",
    "Confidence",
    "EndReason",
    "MicroProject",
    "PointEntry",
    "PointRule",
    "ProjectProgress",
    "ProjectStatus",
    "ProjectTransition",
    "Reminder",
    "ReportChannel",
    "RulePer",
    "ServicePolicy",
    "ServiceReport",
    "UnitBasis",
    "UnitReport",
    "add_months",
]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day (2025-08-31 + 6 → 2026-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class ServicePolicy(models.Model):
    """The configurable numbers of 双报到 and micro-projects, set on an organization and inherited below it."""

    organization = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="service_policy")
    # Foshan 2020: "每半年报到一次" [S]; other districts set their own.
    report_valid_months = models.PositiveSmallIntegerField(_("报到有效期（月）"), default=6)
    # How early the member is reminded before the report lapses [U].
    remind_days = models.PositiveSmallIntegerField(_("到期前提醒天数"), default=30)
    # 居民议事会: present must exceed this share of the council, "for" must exceed this share of present [U].
    council_quorum_numerator = models.PositiveSmallIntegerField(_("议事会到会比例分子"), default=1)
    council_quorum_denominator = models.PositiveSmallIntegerField(_("议事会到会比例分母"), default=2)
    council_pass_numerator = models.PositiveSmallIntegerField(_("表决通过比例分子"), default=1)
    council_pass_denominator = models.PositiveSmallIntegerField(_("表决通过比例分母"), default=2)
    # 民生微实事 public notice before implementation (坪山: 公示 → 确定清单 [S]; the length is local practice [U]).
    project_notice_days = models.PositiveSmallIntegerField(_("微实事公示最短天数"), default=5)

    class Meta:
        verbose_name = _("双报到与微实事参数")
        constraints = [
            models.CheckConstraint(condition=models.Q(report_valid_months__gt=0), name="policy_report_months_positive"),
            models.CheckConstraint(
                condition=models.Q(council_quorum_denominator__gt=0) & models.Q(council_pass_denominator__gt=0),
                name="policy_denominators_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}"


class ReportChannel(models.TextChoices):
    ONLINE = "online", _("党员线上报到")
    STAFF = "staff", _("社区代为登记")


class EndReason(models.TextChoices):
    MOVED = "moved", _("迁居，已向新社区报到")
    RENEWED = "renewed", _("已重新报到")
    WITHDRAWN = "withdrawn", _("社区注销")


class ServiceReport(models.Model):
    """An in-service member's report to the community where they live (双报到, domain.md §7.1 (2))."""

    member = models.ForeignKey("orgs.Member", on_delete=models.PROTECT, related_name="service_reports")
    community = models.ForeignKey("orgs.Organization", verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="service_reports")
    unit = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_staff",
    )
    reported_on = models.DateField(_("报到日期"))
    # Fixed when reported from the policy then in force; whether it has passed is computed.
    expires_on = models.DateField(_("有效期至"))
    channel = models.CharField(_("报到方式"), max_length=10, choices=ReportChannel.choices)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=10, choices=EndReason.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("党员报到")
        indexes = [models.Index(fields=["community", "expires_on"], name="report_community_expiry")]
        constraints = [
            # Two reports racing (or a double click) must not leave a member reported twice.
            models.UniqueConstraint(fields=["member"], condition=models.Q(ended_on__isnull=True), name="one_open_report_per_member"),
            models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("reported_on")), name="report_expires_after_reported"),
        ]

    def __str__(self) -> str:
        return f"{self.member}向{self.community}报到（{self.reported_on}）"

    def state(self, today: date, remind_days: int = 30) -> str:
        if self.ended_on is not None:
            return "ended"
        if today > self.expires_on:
            return "lapsed"
        if self.expires_on - today <= timedelta(days=remind_days):
            return "due"
        return "active"


REPORT_STATE_LABELS = {"active": _("有效"), "due": _("即将到期"), "lapsed": _("已过期"), "ended": _("已终止")}


class Reminder(models.Model):
    """One reminder that a report is about to lapse; unique per report, so re-running sends nothing twice."""

    report = models.OneToOneField(ServiceReport, on_delete=models.CASCADE, related_name="reminder")
    due_on = models.DateField(_("到期日"))
    sent_at = models.DateTimeField(_("提醒时间"))
    channel = models.CharField(_("提醒渠道"), max_length=20, default="console")
    text = models.CharField(_("提醒内容"), max_length=300)

    class Meta:
        verbose_name = _("报到到期提醒")

    def __str__(self) -> str:
        return f"{self.report} 提醒"


class UnitBasis(models.TextChoices):
    LOCATED = "located", _("驻区单位")
    PAIRED = "paired", _("结对共建单位")


class UnitReport(models.Model):
    """A unit's party organization reporting to a community (双报到, domain.md §7.1 (1))."""

    unit = models.ForeignKey("orgs.Organization", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="unit_reports")
    community = models.ForeignKey(
        "orgs.Organization", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="unit_reports_received"
    )
    basis = models.CharField(_("报到依据"), max_length=10, choices=UnitBasis.choices)
    reported_on = models.DateField(_("报到日期"))
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("单位报到")
        constraints = [
            models.UniqueConstraint(fields=["unit", "community"], condition=models.Q(ended_on__isnull=True), name="one_open_unit_report"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.community}"


class RulePer(models.TextChoices):
    ITEM = "item", _("每次")
    HOUR = "hour", _("每小时")


class Confidence(models.TextChoices):
    SOURCED = "S", _("有出处")
    KNOWN = "K", _("通行规定")
    UNVERIFIED = "U", _("地方做法，待核实")


class PointRule(models.Model):
    """What earns how many points, and why (domain.md §7.2: points are local practice, so rules are data).

    A rule with `district` set overrides the rule of the same code everywhere under that district.
    """

    code = models.CharField(_("编码"), max_length=40)
    district = models.ForeignKey(
        "orgs.Organization", verbose_name=_("适用区（县）"), null=True, blank=True, on_delete=models.CASCADE, related_name="point_rules"
    )
    name = models.CharField(_("名称"), max_length=60)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=1)
    per = models.CharField(_("计分单位"), max_length=10, choices=RulePer.choices, default=RulePer.ITEM)
    counts_as_service = models.BooleanField(_("计为服务"), default=True, help_text=_("报到等非服务类积分不计入“参与服务”统计"))
    basis = models.CharField(_("依据"), max_length=300)
    confidence = models.CharField(_("依据可信度"), max_length=1, choices=Confidence.choices, default=Confidence.UNVERIFIED)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        constraints = [
            models.UniqueConstraint(fields=["code", "district"], name="unique_point_rule_per_district"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(district__isnull=True), name="unique_default_point_rule"),
        ]

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        unit = "每小时" if self.per == RulePer.HOUR else "每次"
        return f"{unit} {self.points.normalize():f} 分"


class PointEntry(models.Model):
    """One line of a member's points ledger, with the rule and the record that produced it."""

    member = models.ForeignKey("orgs.Member", on_delete=models.PROTECT, related_name="point_entries")
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="entries")
    community = models.ForeignKey(
        "orgs.Organization", verbose_name=_("服务社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="point_entries"
    )
    points = models.DecimalField(_("积分"), max_digits=7, decimal_places=1)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=6, decimal_places=1, default=Decimal("0"))
    on = models.DateField(_("日期"))
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    source_type = models.CharField(_("来源类型"), max_length=60, blank=True)  # app_label.model of the record
    source_id = models.CharField(_("来源编号"), max_length=40, blank=True)
    source_label = models.CharField(_("来源"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # Credited after the resident stayed silent past the confirmation period, not on an explicit confirmation.
    auto_confirmed = models.BooleanField(_("逾期自动确认"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("积分记录")
        indexes = [
            models.Index(fields=["member", "year"], name="points_member_year"),
            models.Index(fields=["community", "year"], name="points_community_year"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="points_hours_not_negative"),
            # A confirmation retried (or confirmed and then also silence-confirmed) credits once.
            models.UniqueConstraint(
                fields=["member", "rule", "source_type", "source_id"], condition=~models.Q(source_id=""), name="one_credit_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.points} ({self.rule})"


class ProjectStatus(models.TextChoices):
    PROPOSAL = "proposal", _("提议征集")
    COUNCIL_VOTE = "council_vote", _("提交居民议事会")
    PUBLIC_NOTICE = "public_notice", _("公示中")
    IMPLEMENTING = "implementing", _("实施中")
    EVALUATED = "evaluated", _("已评价")
    REJECTED = "rejected", _("未通过")


class MicroProject(models.Model):
    """民生微实事 (domain.md §7.5): proposal → residents' council → public notice → implementation → evaluation."""

    community = models.ForeignKey("orgs.Organization", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="micro_projects")
    title = models.CharField(_("项目名称"), max_length=120)
    description = models.TextField(_("项目内容"), blank=True)
    budget = models.DecimalField(_("预算（元）"), max_digits=12, decimal_places=2)
    proposer = models.CharField(_("提议人"), max_length=60)
    status = models.CharField(_("状态"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSAL, db_index=True)
    proposed_on = models.DateField(_("提议日期"))
    council_held_on = models.DateField(_("议事会日期"), null=True, blank=True)
    council_members = models.PositiveSmallIntegerField(_("议事会成员数"), null=True, blank=True)
    council_present = models.PositiveSmallIntegerField(_("到会人数"), null=True, blank=True)
    votes_for = models.PositiveSmallIntegerField(_("赞成票"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("反对票"), null=True, blank=True)
    council_passed = models.BooleanField(_("表决通过"), null=True, blank=True)
    council_basis = models.CharField(_("表决规则"), max_length=200, blank=True)
    notice_from = models.DateField(_("公示开始"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("公示天数"), null=True, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    evaluated_on = models.DateField(_("评价日期"), null=True, blank=True)
    evaluation_score = models.PositiveSmallIntegerField(_("评价得分"), null=True, blank=True)
    evaluation_text = models.TextField(_("评价意见"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("民生微实事")
        indexes = [models.Index(fields=["community", "status"], name="project_community_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(
                condition=models.Q(evaluation_score__isnull=True) | models.Q(evaluation_score__lte=100), name="project_score_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def notice_until(self) -> date | None:
        """The last day of the public notice."""
        if self.notice_from is None or self.notice_days is None:
            return None
        return self.notice_from + timedelta(days=self.notice_days - 1)

    def on_notice(self, today: date) -> bool:
        until = self.notice_until
        return self.notice_from is not None and until is not None and self.notice_from <= today <= until


class ProjectProgress(models.Model):
    """A monthly progress report of an implementing project (坪山: 街道按月跟踪 [S])."""

    project = models.ForeignKey(MicroProject, on_delete=models.CASCADE, related_name="progress")
    month = models.DateField(_("月份"))  # the first day of the month
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    spent = models.DecimalField(_("累计支出（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    text = models.TextField(_("进展情况"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("微实事月度进展")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="one_progress_per_month"),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="microproject_progress_percent_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y-%m}"


class ProjectTransition(models.Model):
    """Each move of a project: old, new, who, why, when (the workflow's own history, next to the audit ledger)."""

    project = models.ForeignKey(MicroProject, on_delete=models.CASCADE, related_name="transitions")
    old = models.CharField(max_length=20, choices=ProjectStatus.choices)
    new = models.CharField(max_length=20, choices=ProjectStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("微实事状态变更")

    def __str__(self) -> str:
        return f"{self.project}: {self.old} → {self.new}"
