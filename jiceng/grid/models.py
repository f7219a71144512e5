"""Grids (网格) under villages and communities (domain.md §6). The rest of grid governance (cases,
sweeps, mobilization) builds on this model."""

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class GridKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("综合网格")
    DEDICATED = "dedicated", _("专属网格")


class Grid(models.Model):
    village = models.ForeignKey("orgs.Organization", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="grids")
    # district-town-village-grid, in the style of CJ/T 349-2010 (domain.md §6.1): village code + 3 digits.
    code = models.CharField(_("网格编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=15, choices=GridKind.choices, default=GridKind.COMPREHENSIVE)
    # GeoJSON Polygon or MultiPolygon geometry (WGS 84 longitude/latitude), validated on save by the service.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    # Bounding box of the boundary, kept for a cheap first filter before the exact point-in-polygon test.
    min_lng = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lng = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口"), default=0)
    party_org = models.ForeignKey(
        "orgs.Organization", verbose_name=_("网格党组织"), null=True, blank=True, on_delete=models.SET_NULL, related_name="grids_led"
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


from jiceng.grid.models_sweeps import *  # noqa: E402, F403

# ---- people and forces of a grid (domain.md §6.2) ----------------------------------------------


class MemberRole(models.TextChoices):
    CHIEF = "chief", _("网格长")
    FULL_TIME = "full_time", _("专职网格员")
    PART_TIME = "part_time", _("兼职网格员")


class GridMember(models.Model):
    """A person serving a grid for a period. `user` is the login of a worker who reports from a phone."""

    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("orgs.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="grid_roles")
    user = models.ForeignKey(
        "accounts.User", verbose_name=_("登录账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="grid_roles"
    )
    role = models.CharField(_("职责"), max_length=12, choices=MemberRole.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格人员")
        ordering = ["role", "start_date", "pk"]
        indexes = [models.Index(fields=["user", "end_date"], name="gridmember_user_end")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.person}"


class ForceKind(models.TextChoices):
    POLICE = "police", _("公安（社区民警）")
    JUSTICE = "justice", _("司法（法律顾问、调解员）")
    HEALTH = "health", _("卫生健康（家庭医生）")
    URBAN_MGMT = "urban_mgmt", _("城市管理")
    MARKET = "market", _("市场监管")
    OTHER = "other", _("其他")


class GridForce(models.Model):
    """One of the N specialist forces attached to a grid (“党建+N全科网格”, domain.md §6.4)."""

    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="forces")
    kind = models.CharField(_("力量类别"), max_length=12, choices=ForceKind.choices)
    name = models.CharField(_("名称"), max_length=100, help_text=_("如：棠下派出所社区民警 陈警官"))
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("专业力量")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.name


# ---- cases (事件, domain.md §6.3) ---------------------------------------------------------------


class SlaClass(models.TextChoices):
    ON_SPOT = "on_spot", _("即办（当日）")
    GENERAL = "general", _("一般（3日）")
    KEY = "key", _("重点难点（7日）")
    URGENT = "urgent", _("紧急（24小时）")


class CaseCategory(models.Model):
    """A kind of case and its time limits. No national limits exist; these are local and editable
    (domain.md §6.3: 凤县 same day / 2-3 days / 7 days; the colour scheme's 24 h for urgent)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    sla_class = models.CharField(_("时限类别"), max_length=10, choices=SlaClass.choices, default=SlaClass.GENERAL)
    accept_hours = models.PositiveIntegerField(_("受理时限（小时）"))
    dispatch_hours = models.PositiveIntegerField(_("分派时限（小时）"))
    respond_hours = models.PositiveIntegerField(_("签收时限（小时）"))
    handle_hours = models.PositiveIntegerField(_("处置时限（小时）"))
    verify_hours = models.PositiveIntegerField(_("核查时限（小时）"))
    close_hours = models.PositiveIntegerField(_("结案时限（小时）"))
    total_hours = models.PositiveIntegerField(_("总时限（小时）"))
    sort = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("事件类别")
        ordering = ["sort", "pk"]

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    REFUSED = "refused", _("不予受理")
    DISPATCHED = "dispatched", _("已分派")
    IN_PROGRESS = "in_progress", _("处置中")
    FEEDBACK = "feedback", _("已反馈")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    EVALUATED = "evaluated", _("已评价")


OPEN_STATUSES = (
    CaseStatus.REPORTED,
    CaseStatus.ACCEPTED,
    CaseStatus.DISPATCHED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.FEEDBACK,
    CaseStatus.VERIFIED,
)
DONE_STATUSES = (CaseStatus.CLOSED, CaseStatus.EVALUATED)


class CaseLevel(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    TOWN = "town", _("镇（街道）")
    DISTRICT = "district", _("区")


class CaseSource(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员上报")
    RESIDENT = "resident", _("群众反映")
    STAFF = "staff", _("工作人员登记")


class DispatchTarget(models.TextChoices):
    DEPARTMENT = "department", _("职能部门")
    FORCE = "force", _("网格专业力量")
    UP = "up", _("提交上级")


def case_overdue(status: str, stage_due_at: datetime | None, due_at: datetime, now: datetime) -> bool:
    """An open case past its stage's or its whole time limit at `now`; Case.overdue_at, for rows read as values."""
    if status not in OPEN_STATUSES:
        return False
    return (stage_due_at is not None and now > stage_due_at) or now > due_at


class Case(models.Model):
    """A reported matter and where it stands. Whether it is overdue follows from the dates
    (stage_due_at, due_at) and the time of asking; it is never stored."""

    code = models.CharField(_("查询码"), max_length=12, unique=True)
    village = models.ForeignKey("orgs.Organization", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="cases")
    # indexed with the status below (case_grid_status), which serves every look-up by grid too
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="cases", db_index=False)
    category = models.ForeignKey(CaseCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="cases")
    description = models.TextField(_("事件描述"))
    address = models.CharField(_("地点描述"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    source = models.CharField(_("来源"), max_length=12, choices=CaseSource.choices)
    reported_by = models.ForeignKey(
        "accounts.User", verbose_name=_("上报人账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_cases"
    )
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.REPORTED, db_index=True)
    level = models.CharField(_("承办层级"), max_length=10, choices=CaseLevel.choices, default=CaseLevel.VILLAGE)
    dispatch_target = models.CharField(_("分派去向"), max_length=12, choices=DispatchTarget.choices, blank=True)
    dispatched_to = models.CharField(_("承办单位"), max_length=100, blank=True)
    force = models.ForeignKey(GridForce, verbose_name=_("专业力量"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    refuse_reason = models.TextField(_("不予受理理由"), blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    evaluation = models.TextField(_("评价意见"), blank=True)
    reported_at = models.DateTimeField(_("上报时间"))  # indexed by case_reported
    stage_started_at = models.DateTimeField(_("本环节开始"))
    stage_due_at = models.DateTimeField(_("本环节时限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)

    class Meta:
        verbose_name = _("事件")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "stage_due_at"], name="case_status_stage_due"),
            models.Index(fields=["category", "reported_at"], name="case_category_reported"),
            # the case list's order, over the whole scope and within one village
            # covering the village: a scoped list picks its page's keys from this index alone (lib.paging.page_of_keys)
            models.Index(fields=["-reported_at", "-id"], include=["village"], name="case_reported"),
            models.Index(fields=["village", "-reported_at", "-id"], name="case_village_reported"),
            # open cases per grid on the map and the grid list, without reading the cases
            models.Index(fields=["grid", "status"], name="case_grid_status"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.category}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue_at(self, now: datetime) -> bool:
        """Past the stage's or the whole case's time limit at `now` (computed, never stored)."""
        return case_overdue(self.status, self.stage_due_at, self.due_at, now)

    def on_time(self) -> bool | None:
        if self.closed_at is None:
            return None
        return self.closed_at <= self.due_at


class CaseEvent(models.Model):
    """One line of the case timeline: a move of the lifecycle, with who, when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=60)
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A supervision notice (督办) from the level above when a stage runs past its limit. One per
    stage visit: (case, stage, stage_started_at) is unique, so running the check again changes nothing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(_("超时环节"), max_length=12, choices=CaseStatus.choices)
    stage_started_at = models.DateTimeField()
    from_level = models.CharField(max_length=10, choices=CaseLevel.choices)
    to_level = models.CharField(_("督办层级"), max_length=10, choices=CaseLevel.choices)
    to_org = models.ForeignKey("orgs.Organization", verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("督办事由"))
    due_at = models.DateTimeField(_("督办期限"))
    at = models.DateTimeField(_("督办时间"))

    class Meta:
        verbose_name = _("督办")
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "stage", "stage_started_at"], name="unique_escalation_per_stage")]

    def __str__(self) -> str:
        return f"{self.get_to_level_display()}督办 {self.case.code}"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="grid/cases/%Y/%m/")
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
