"""Door-to-door sweeps (大排查) and temporary mobilization of party members to grids (issue #5).

A sweep campaign covers selected grids for a period in one or more rounds; every household of the
roster gets at most one visit per round (a unique constraint, so two submits racing update one row).
Coverage is counted live from the visits, never stored. A mobilization assigns party members to
grids for a period; one member is never in two mobilizations whose periods overlap.
"""

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "FINAL_OUTCOMES",
    "FindingState",
    "Household",
    "Mobilization",
    "MobilizationAssignment",
    "QuestionKind",
    "SweepCampaign",
    "SweepQuestion",
    "SweepVisit",
    "VisitOutcome",
]


class Household(models.Model):
    """One household (户) of a grid's roster."""

    grid = models.ForeignKey("grid.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="household_roster")
    address = models.CharField(_("门牌地址"), max_length=200)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    members_count = models.PositiveSmallIntegerField(_("家庭人数"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("住户")
        ordering = ["grid", "address"]
        # The door number is the roster's natural key: importing the same list twice updates, never duplicates.
        constraints = [models.UniqueConstraint(fields=["grid", "address"], name="unique_household_address")]

    def __str__(self) -> str:
        return f"{self.address} {self.head_name}"


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("是/否")
    CHOICE = "choice", _("单选")
    TEXT = "text", _("文字")


class SweepCampaign(models.Model):
    """A 大排查 campaign of a village or town over some of its grids. Whether it is planned, running or
    finished follows from its dates (see status_on)."""

    title = models.CharField(_("排查名称"), max_length=100)
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("发起组织"), on_delete=models.PROTECT, related_name="sweeps")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    rounds = models.PositiveSmallIntegerField(_("轮次"), default=1)
    grids = models.ManyToManyField("grid.Grid", verbose_name=_("排查网格"), related_name="sweeps")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("大排查")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="sweep_end_after_start"),
            models.CheckConstraint(condition=models.Q(rounds__gte=1, rounds__lte=12), name="sweep_rounds_range"),
        ]

    def __str__(self) -> str:
        return self.title

    def status_on(self, day: date) -> str:
        if day < self.start_date:
            return "planned"
        if day > self.end_date:
            return "finished"
        return "running"

    def status_label(self, day: date) -> str:
        return {"planned": "未开始", "running": "进行中", "finished": "已结束"}[self.status_on(day)]


class SweepQuestion(models.Model):
    """One item of a campaign's checklist."""

    campaign = models.ForeignKey(SweepCampaign, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("问题"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.YES_NO)
    options = models.JSONField(_("选项"), default=list, blank=True)

    class Meta:
        verbose_name = _("排查问题")
        ordering = ["campaign", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class VisitOutcome(models.TextChoices):
    VISITED = "visited", _("已走访")
    NOT_HOME = "not_home", _("不在家")
    REFUSED = "refused", _("拒绝")
    REFERRED = "referred", _("转办")
    CLOSED = "closed", _("空置/注销")


# A household counts as covered in a round when its visit has one of these outcomes; "not at home"
# means the worker must come back, so it does not count.
FINAL_OUTCOMES = frozenset({VisitOutcome.VISITED, VisitOutcome.REFUSED, VisitOutcome.REFERRED, VisitOutcome.CLOSED})


class FindingState(models.TextChoices):
    NONE = "", _("无")
    PENDING = "pending", _("待转事件")
    REPORTED = "reported", _("已转事件")


class SweepVisit(models.Model):
    """The visit of one household in one round of a campaign; a second submit updates this row."""

    campaign = models.ForeignKey(SweepCampaign, on_delete=models.CASCADE, related_name="visits")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    round = models.PositiveSmallIntegerField(_("轮次"))
    outcome = models.CharField(_("走访结果"), max_length=10, choices=VisitOutcome.choices)
    answers = models.JSONField(_("问题回答"), default=dict, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    finding = models.CharField(_("发现问题"), max_length=500, blank=True)
    finding_state = models.CharField(_("问题状态"), max_length=10, choices=FindingState.choices, default=FindingState.NONE, blank=True)
    # The case opened from the finding, by id, so this module does not depend on the cases' schema.
    case_id = models.PositiveBigIntegerField(_("事件编号"), null=True, blank=True)
    visited_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("走访时间"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("走访记录")
        constraints = [models.UniqueConstraint(fields=["campaign", "household", "round"], name="unique_visit_per_round")]
        indexes = [models.Index(fields=["campaign", "round", "outcome"], name="visit_campaign_round")]

    def __str__(self) -> str:
        return f"{self.household} 第{self.round}轮 {self.get_outcome_display()}"


class Mobilization(models.Model):
    """A temporary mobilization (临时动员): party members sent to grids for a period and a purpose,
    such as the 2020 epidemic screening."""

    purpose = models.CharField(_("任务"), max_length=200)
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("发起组织"), on_delete=models.PROTECT, related_name="mobilizations"
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("临时动员")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="mobilization_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.purpose


class MobilizationAssignment(models.Model):
    """One member sent to one grid by a mobilization; the period is the mobilization's."""

    mobilization = models.ForeignKey(Mobilization, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey("orgs.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="mobilizations")
    grid = models.ForeignKey("grid.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="mobilized")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("动员党员")
        constraints = [models.UniqueConstraint(fields=["mobilization", "member"], name="unique_member_per_mobilization")]

    def __str__(self) -> str:
        return f"{self.member} → {self.grid}"
