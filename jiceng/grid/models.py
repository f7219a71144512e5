"""Grids (网格) under villages and communities (domain.md §6). The rest of grid governance (cases,
sweeps, mobilization) builds on this model."""

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
