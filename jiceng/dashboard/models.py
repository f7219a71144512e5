"""Precomputed indicators (issue #6, "Dashboards stay fast as data grows").

`Snapshot` holds everything one dashboard page shows (tables, charts, headline figures) for one
organization and one year, as of one moment: the page reads one row instead of scanning members,
cases and needs. `HistoryPoint` keeps the headline counts (numerators and denominators) of one
organization for one day, so rates can be charted over time. Both are written only by
`rollups.refresh` / `rollups.backfill`; nothing here is typed in.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.orgs.models import Organization


class Snapshot(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))  # of the per-year tables (四议两公开, needs)
    as_of = models.DateTimeField(_("数据截至"))
    data = models.JSONField(_("指标"))  # tables, headline figures and units; see rollups.encode
    # The last refresh asked for from the page: a second request within REFRESH_COOLDOWN is refused.
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("指标快照")
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="dashboard_snapshot_org_year")]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}@{self.as_of:%Y-%m-%d %H:%M}"


class PendingSnapshot(models.Model):
    """A snapshot that a page found missing and handed to the task queue (a district, city or province
    is too large to compute inside a request; rollups.claim_fill). The unique row is what makes two
    requests at once enqueue one task; it is deleted when the snapshot is stored."""

    organization = models.ForeignKey(Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    requested_at = models.DateTimeField(_("提交时间"))  # the last enqueue; another one only after REFRESH_COOLDOWN

    class Meta:
        verbose_name = _("待生成的指标快照")
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="dashboard_pending_org_year")]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year} pending since {self.requested_at:%Y-%m-%d %H:%M}"


class Source(models.TextChoices):
    REFRESH = "refresh", _("定时/手动刷新")
    RECORDS = "records", _("按记录日期回溯")


class HistoryPoint(models.Model):
    """Headline counts of one organization's subtree on one day. A field is empty when the records
    cannot tell its value on that day (no dated source, docs/indicators.md "History")."""

    organization = models.ForeignKey(Organization, verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    as_of = models.DateTimeField(_("数据截至"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    party_orgs = models.PositiveIntegerField(null=True)
    party_members = models.PositiveIntegerField(null=True)
    two_new = models.PositiveIntegerField(null=True)  # operating two-new organizations: the §3.5 denominator
    single = models.PositiveIntegerField(null=True)
    joint = models.PositiveIntegerField(null=True)
    villages = models.PositiveIntegerField(null=True)
    yijiantiao = models.PositiveIntegerField(null=True)
    cases_closed = models.PositiveIntegerField(null=True)
    cases_on_time = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("指标历史")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="dashboard_history_org_day")]

    def __str__(self) -> str:
        return f"{self.organization_id}@{self.day}"
